"""Registration and packet data over modem time: CFUN, search -> attach -> default bearer, PDP
activation, network-initiated detach and PDP teardown.

Timings come from the scenario (scaled by time_scale). The network decides (network.py); faults
(no coverage, denial, PDP reject) are applied here so they work with either network.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from at_commands.dialects.profiles import Rat
from hil.virtual.modem_sim.errors import CmeError, esm_cause_to_cme
from hil.virtual.modem_sim.state import PdpContext, Registration, Signal, SimStatus, Stat

if TYPE_CHECKING:
    from hil.virtual.modem_sim.modem import SimulatedModem

log = logging.getLogger(__name__)

REG_COMMANDS = ("+CREG", "+CGREG", "+CEREG")


class PdpError(CmeError):
    """PDP activation refused: carries the 24.301 ESM cause and maps to +CME ERROR 100+cause."""

    def __init__(self, esm_cause: int, text: str = "") -> None:
        super().__init__(esm_cause_to_cme(esm_cause), text or f"ESM cause #{esm_cause}")
        self.esm_cause = esm_cause


class NoServiceError(PdpError):
    def __init__(self) -> None:
        super().__init__(0, "not registered")
        self.code = 30  # +CME ERROR: 30 no network service


class Radio:
    def __init__(self, modem: SimulatedModem) -> None:
        self.modem = modem
        self.reg = Registration()
        self.contexts: dict[int, PdpContext] = {}
        self.urc_n: dict[str, int] = dict.fromkeys(REG_COMMANDS, 0)
        self.cgerep = 0
        self.cops_mode = 0
        self.cops_format = 0
        self.manual_plmn: str | None = None
        self.cfun = 0
        self.connected = False  # RRC connected (+CSCON)
        signal = modem.scenario.network.signal
        self.signal = Signal(signal.rssi_dbm, signal.rsrp_dbm, signal.rsrq_db, signal.sinr_db, signal.ber)
        self._task: asyncio.Task[None] | None = None
        self._locks: dict[int, asyncio.Lock] = {}
        default = modem.profile.default_cid
        self.contexts[default] = PdpContext(default)

    # ------------------------------------------------------------- power
    def power_on(self) -> None:
        """After a boot: V.250-volatile settings back to defaults, contexts inactive (APNs kept)."""
        self.reg = Registration()
        self.urc_n = dict.fromkeys(REG_COMMANDS, 0)
        self.cgerep = 0
        self.connected = False
        for context in self.contexts.values():
            context.active, context.ip = False, None
        self.cfun = self.modem.dialect.boot_cfun
        if self.cfun == 0 and self.modem.dialect.sim_off_in_cfun0:
            self.modem.sim.powered = False
        if self.cfun == 1:
            self.start_registration()

    def power_off(self) -> None:
        self._cancel()
        self.reg = Registration()
        for context in self.contexts.values():
            context.active, context.ip = False, None

    def _cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None

    def set_cfun(self, fun: int) -> None:
        old, self.cfun = self.cfun, fun
        sim = self.modem.sim
        if fun == 1:
            sim.powered = True
            self.modem.dialect.on_cfun(old, fun)
            if old != 1 or not (self.reg.registered or self.searching):
                self.start_registration()
        else:
            self.deregister()
            sim.powered = not (fun == 0 and self.modem.dialect.sim_off_in_cfun0)
            self.modem.dialect.on_cfun(old, fun)

    def deregister(self) -> None:
        """Stop searching, drop the contexts, detach (CFUN 0/4, COPS=2, CGATT=0)."""
        self._cancel()
        self.drop_contexts(by_network=False)
        if self.reg.attached:
            self.reg.attached = False
            self.modem.fire(self.modem.network.detach())
            self.cgev("ME DETACH")
        self.set_connected(False)
        self.set_stat(Stat.NOT_SEARCHING)

    @property
    def searching(self) -> bool:
        return self._task is not None and not self._task.done()

    # ------------------------------------------------------ registration
    def start_registration(self) -> None:
        self._cancel()
        if self.cfun == 1 and self.cops_mode != 2:
            self._task = self.modem.spawn(self._register())

    def pick_rat(self) -> Rat | None:
        offered = self.modem.scenario.network.rats
        for rat in self.modem.dialect.selected_rats():
            if rat in self.modem.profile.rats and rat in offered:
                return rat
        return None

    async def _register(self) -> None:
        modem = self.modem
        sim = modem.sim
        if not sim.ready:
            failed = sim.status in (SimStatus.ABSENT, SimStatus.FAILED)
            self.set_stat(modem.dialect.stat_without_sim if failed else Stat.NOT_SEARCHING)
            return
        config = modem.scenario.network
        while True:
            rat = self.pick_rat()
            if rat is not None:
                self.reg.rat = rat
            self.set_stat(Stat.SEARCHING)
            await modem.sleep(config.registration_delay_s)
            if rat is None or modem.faults.state("no_coverage") is not None:
                self.set_stat(Stat.UNKNOWN)
                return
            if self.manual_plmn is not None and self.manual_plmn != config.plmn:
                self.set_stat(Stat.NOT_SEARCHING)  # the selected PLMN is not on the air
                return
            denied = modem.faults.state("registration_denied")
            if denied is not None:
                self._deny(denied.reject_cause)
                return
            result = await modem.network.attach(rat)
            if result.ok:
                break
            if result.stat == Stat.SEARCHING:  # the network link is down: keep searching
                continue
            self._deny(result.reject_cause)
            return
        reg = self.reg
        reg.plmn = result.plmn or config.plmn
        reg.tac = (result.tac or config.tac).upper()
        reg.ci = (result.ci or config.ci).upper()
        reg.attached = True
        reg.reject_cause = None
        self.set_connected(True)
        self.set_stat(Stat(result.stat))
        try:
            await self.activate(modem.profile.default_cid)
        except PdpError as exc:
            log.info("default bearer not established: %s", exc)
        modem.psm.activity()

    def _deny(self, cause: int | None) -> None:
        config = self.modem.scenario.network
        self.reg.tac, self.reg.ci = config.tac, config.ci  # the cell that said no
        self.set_stat(Stat.DENIED, reject_cause=cause)

    def set_stat(self, stat: Stat, reject_cause: int | None = None) -> None:
        reg = self.reg
        if reg.stat == stat and reg.reject_cause == reject_cause:
            return
        reg.stat = stat
        reg.reject_cause = reject_cause
        if stat not in (Stat.HOME, Stat.ROAMING):
            reg.attached = False
            if stat is not Stat.DENIED:
                reg.tac = reg.ci = ""
        dialect = self.modem.dialect
        for command in REG_COMMANDS:
            n = self.urc_n[command]
            if n:
                self.modem.urc(dialect.registration_line(command, n, read=False))
        dialect.on_registration(stat)

    def set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            self.modem.dialect.on_rrc(connected)

    # --------------------------------------------------------------- PDP
    def context(self, cid: int) -> PdpContext:
        if cid not in self.contexts:
            self.contexts[cid] = PdpContext(cid)
        return self.contexts[cid]

    def active_context(self) -> PdpContext | None:
        return next((c for c in self.contexts.values() if c.active), None)

    async def activate(self, cid: int, apn: str | None = None) -> PdpContext:
        lock = self._locks.setdefault(cid, asyncio.Lock())
        async with lock:
            context = self.context(cid)
            if context.active:
                return context
            modem = self.modem
            if not self.reg.registered:
                raise NoServiceError()
            await modem.sleep(modem.scenario.network.pdp_delay_s)
            reject = modem.faults.state("pdp_reject")
            if reject is not None:
                raise PdpError(reject.esm_cause, "PDP reject fault")
            result = await modem.network.pdp_activate(
                apn if apn is not None else context.apn, context.pdp_type
            )
            if not result.ok:
                raise PdpError(result.esm_cause or 31, result.error)
            if not self.reg.registered:  # lost while waiting
                raise NoServiceError()
            context.active, context.ip, context.dns = True, result.ip, result.dns
            self.cgev(f"ME PDN ACT {cid}")
            return context

    def deactivate(self, cid: int) -> None:
        """The host deactivates a context (CGACT=0, QIDEACT, CNACT=0,0 ...)."""
        context = self.contexts.get(cid)
        if context is None or not context.active:
            return
        context.active, context.ip = False, None
        self.modem.dialect.close_sockets(cid, by_network=False)
        self.cgev(f"ME PDN DEACT {cid}")
        self.modem.fire(self.modem.network.pdp_deactivate())

    def drop_contexts(self, by_network: bool) -> list[int]:
        dropped = []
        for context in self.contexts.values():
            if context.active:
                context.active, context.ip = False, None
                self.modem.dialect.close_sockets(context.cid, by_network=by_network)
                dropped.append(context.cid)
        return dropped

    def network_pdp_deactivate(self) -> None:
        for cid in self.drop_contexts(by_network=True):
            self.cgev(f"NW PDN DEACT {cid}")
            self.modem.dialect.on_pdp_lost(cid)

    def network_detach(self) -> None:
        if not self.reg.attached:
            return
        for cid in self.drop_contexts(by_network=True):
            self.modem.dialect.on_pdp_lost(cid)
        self.cgev("NW DETACH")
        self.reg.attached = False
        self.set_connected(False)
        self.set_stat(Stat.SEARCHING)
        self.start_registration()  # the module re-attaches by itself

    def cgev(self, event: str) -> None:
        if self.cgerep:
            self.modem.urc((f"+CGEV: {event}",))
