"""Power saving: AT+CPSMS / AT+CEDRXS settings and the PSM "not responding" window.

With PSM requested and the modem registered, it falls asleep ``psm_idle_s`` (RRC release) plus the
Active-Time (T3324) after the last activity (an AT line, a datagram, an SMS), and stays deaf for the
Periodic-TAU (T3412 ext) or until woken through the control channel (the PWRKEY/PSM_EINT pin).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from hil.virtual.modem_sim.state import T3324_UNITS, T3412_UNITS, Power, PowerSaving, decode_timer

if TYPE_CHECKING:
    from hil.virtual.modem_sim.modem import SimulatedModem


class PsmController:
    def __init__(self, modem: SimulatedModem) -> None:
        self.modem = modem
        self.settings = PowerSaving()
        self._idle: asyncio.TimerHandle | None = None
        self._sleep: asyncio.TimerHandle | None = None
        self.entries = 0  # how often the modem went to sleep

    @property
    def enabled(self) -> bool:
        return self.settings.psm_mode == 1

    def granted(self) -> tuple[str, str] | None:
        """(Active-Time, Periodic-TAU) bit strings the network granted; None without PSM."""
        if not self.enabled:
            return None
        return self.settings.active_time, self.settings.tau

    def activity(self) -> None:
        """Something happened: restart the way to sleep."""
        self._cancel_idle()
        modem = self.modem
        if not self.enabled or modem.power is not Power.READY or not modem.radio.reg.registered:
            return
        active = decode_timer(self.settings.active_time, T3324_UNITS)
        if active is None:  # Active-Time deactivated: the network keeps the UE reachable
            return
        delay = modem.scaled(modem.scenario.modem.psm_idle_s + active)
        self._idle = asyncio.get_running_loop().call_later(delay, self._enter)

    def _cancel_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _enter(self) -> None:
        self._idle = None
        modem = self.modem
        if modem.power is not Power.READY or not modem.radio.reg.registered:
            return
        if modem.engine.mode.value != "command":  # a command or payload in flight: try later
            self.activity()
            return
        self.entries += 1
        modem.enter_psm()
        tau = decode_timer(self.settings.tau, T3412_UNITS) or 3600
        self._sleep = asyncio.get_running_loop().call_later(modem.scaled(tau), self.wake)

    def wake(self) -> None:
        if self._sleep is not None:
            self._sleep.cancel()
            self._sleep = None
        if self.modem.power is Power.PSM:
            self.modem.leave_psm()
            self.activity()

    def reset(self) -> None:
        self._cancel_idle()
        if self._sleep is not None:
            self._sleep.cancel()
            self._sleep = None
