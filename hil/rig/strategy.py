"""The board state machine (labgrid's strategies): off -> flashed -> booted -> attached.

`BoardStrategy(rig).transition("booted")` brings a local rig to the state a check needs: power
off/on through the rig's power switch, flash the image, reset or power-cycle, wait for the console
port to come back (USB re-enumerates after a power cycle or a flash), wait for the firmware's boot
line, then attach the modem (modem mode: the harness drives it over AT; firmware mode: the console
shows the firmware's `attached` event). A higher state implies the lower ones, so asking for
"booted" on an attached rig does nothing; `force=True` starts again from off.

Every failure is a StrategyError with the state it was going to and a failure class (infra, flash,
dut, network, sim), so the harness can retry or quarantine.
"""

from __future__ import annotations

import enum
import re
import time
from pathlib import Path

from at_commands.errors import AtError, PortError, SimError
from at_commands.modem import Modem
from at_commands.modem_types import Registration
from hil.flash.base import Flasher, FlasherError
from hil.rig.backends.local import DEFAULT_CONNECT_TIMEOUT_S, LocalRig, PortWaitError
from hil.rig.capabilities import Console, ConsoleDeadError, ConsoleTimeoutError, Power, PowerError

BOOT_MARKER = r"^\d+ I boot\b"  # firmware/README.md: the first console event
ATTACHED_MARKER = r"^\d+ I attached\b"


class BoardState(enum.IntEnum):
    UNKNOWN = 0
    OFF = 1
    FLASHED = 2
    BOOTED = 3
    ATTACHED = 4


class StrategyError(RuntimeError):
    """The rig could not be brought to `target`; `failure_class` says whose fault it looks like."""

    def __init__(self, rig: str, target: BoardState, failure_class: str, message: str) -> None:
        self.rig = rig
        self.target = target
        self.failure_class = failure_class
        super().__init__(f"rig {rig}: cannot reach state {target.name.lower()}: {message}")


class BoardStrategy:
    def __init__(
        self,
        rig: LocalRig,
        *,
        image: Path | None = None,
        boot_marker: str = BOOT_MARKER,
        attached_marker: str = ATTACHED_MARKER,
        boot_timeout: float = 30.0,
        port_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
        attach_timeout: float = 120.0,
        off_time: float | None = None,
    ) -> None:
        self.rig = rig
        self.image = image
        self.boot_marker = re.compile(boot_marker)
        self.attached_marker = re.compile(attached_marker)
        self.boot_timeout = boot_timeout
        self.port_timeout = port_timeout
        self.attach_timeout = attach_timeout
        self.off_time = off_time
        self.state = BoardState.UNKNOWN
        self.flashed_image: Path | None = None
        self.registration: Registration | None = None  # from the last attach in modem mode
        self.boot_line: str | None = None
        self.history: list[tuple[BoardState, float]] = []  # (state reached, seconds it took)
        self._powered_on_at: float | None = None  # the last power-on started a boot
        self._flashed_now = False  # flashed since the last boot: it needs a reset

    def transition(self, target: BoardState | str, *, force: bool = False) -> None:
        wanted = BoardState[target.upper()] if isinstance(target, str) else target
        if wanted is BoardState.UNKNOWN:
            raise ValueError("cannot transition to 'unknown'")
        if wanted is BoardState.OFF or force or self.state is BoardState.UNKNOWN:
            start = BoardState.OFF
        elif self.state is BoardState.OFF or self._needs_flash():
            start = BoardState.FLASHED
        elif self.state >= wanted:
            return  # attached implies booted implies flashed
        else:
            start = BoardState(self.state + 1)
        for step in range(start, wanted + 1):
            state = BoardState(step)
            if state is BoardState.OFF and not self.rig.has(Power) and wanted > BoardState.OFF:
                continue  # no switch: the board stays powered, the chain goes on from flashing
            began = time.monotonic()
            self._run(state)
            self.state = state
            self.history.append((state, time.monotonic() - began))

    # --- the steps --------------------------------------------------------------------------
    def _run(self, state: BoardState) -> None:
        try:
            {
                BoardState.OFF: self._off,
                BoardState.FLASHED: self._flash,
                BoardState.BOOTED: self._boot,
                BoardState.ATTACHED: self._attach,
            }[state]()
        except StrategyError:
            self.state = BoardState.UNKNOWN
            raise
        except PowerError as exc:
            self.state = BoardState.UNKNOWN
            raise StrategyError(self.rig.name, state, "infra", str(exc)) from exc
        except (PortWaitError, PortError) as exc:
            self.state = BoardState.UNKNOWN
            raise StrategyError(self.rig.name, state, "infra", str(exc)) from exc

    def _off(self) -> None:
        power = self._power(BoardState.OFF)
        self.rig.disconnect("powered off")
        power.off()
        self._powered_on_at = None

    def _flash(self) -> None:
        if self.state is BoardState.OFF or self.state is BoardState.UNKNOWN:
            self._power_on()
        if self.image is None:
            return  # keep what the board has
        flasher = self._flasher()
        self.rig.disconnect("being flashed")  # probes with a VCP (J-Link, ST-Link) drop it
        try:
            flasher.flash(self.image)
        except FlasherError as exc:
            raise StrategyError(self.rig.name, BoardState.FLASHED, "flash", str(exc)) from exc
        self.flashed_image = self.image
        self._flashed_now = True

    def _boot(self) -> None:
        rig = self.rig
        flasher = rig.get(Flasher) if rig.has(Flasher) else None  # type: ignore[type-abstract]
        booting = self._powered_on_at is not None and not self._flashed_now
        if not booting:
            if flasher is not None and flasher.capabilities.reset:
                rig.connect(self.port_timeout, modem=False)  # a reset keeps the port: listen first
                try:
                    flasher.reset()
                except FlasherError as exc:
                    raise StrategyError(rig.name, BoardState.BOOTED, "flash", str(exc)) from exc
            elif rig.has(Power):
                rig.disconnect("power-cycled")
                power = self._power(BoardState.BOOTED)
                if self.off_time is None:
                    power.cycle()  # the switch's own off delay (power.delay in the rig file)
                else:
                    power.cycle(self.off_time)
            # else: no way to restart it; a board that was already up is taken as booted
        self._powered_on_at = None
        self._flashed_now = False
        rig.connect(self.port_timeout, modem=False)
        if rig.spec.console is None:
            return
        console = rig.get(Console, needed_by="boot")  # type: ignore[type-abstract]
        try:
            self.boot_line = console.expect(self.boot_marker, self.boot_timeout).string
        except ConsoleDeadError as exc:
            raise StrategyError(rig.name, BoardState.BOOTED, "dut", str(exc)) from exc
        except ConsoleTimeoutError as exc:
            raise StrategyError(rig.name, BoardState.BOOTED, "dut", str(exc)) from exc

    def _attach(self) -> None:
        rig = self.rig
        rig.connect(self.port_timeout)
        if rig.spec.modem_port is None:
            # Firmware mode: the firmware attaches; its console says when.
            console = rig.get(Console, needed_by="attach")  # type: ignore[type-abstract]
            try:
                console.expect(self.attached_marker, self.attach_timeout)
            except (ConsoleDeadError, ConsoleTimeoutError) as exc:
                raise StrategyError(rig.name, BoardState.ATTACHED, "network", str(exc)) from exc
            return
        modem = rig.get(Modem, needed_by="attach")
        try:
            self.registration = modem.attach(timeout=self.attach_timeout)
        except SimError as exc:
            raise StrategyError(rig.name, BoardState.ATTACHED, "sim", str(exc)) from exc
        except PortError as exc:
            raise StrategyError(rig.name, BoardState.ATTACHED, "infra", str(exc)) from exc
        except AtError as exc:
            raise StrategyError(rig.name, BoardState.ATTACHED, "network", str(exc)) from exc

    # --- helpers ----------------------------------------------------------------------------
    def _needs_flash(self) -> bool:
        return self.image is not None and self.flashed_image != self.image

    def _power(self, target: BoardState) -> Power:
        if not self.rig.has(Power):
            raise StrategyError(
                self.rig.name, target, "infra", "it has no power switch (power: in the rig file)"
            )
        return self.rig.get(Power)  # type: ignore[type-abstract]

    def _power_on(self) -> None:
        if self.rig.has(Power):
            self.rig.get(Power).on()  # type: ignore[type-abstract]
            self._powered_on_at = time.monotonic()

    def _flasher(self) -> Flasher:
        try:
            return self.rig.get(Flasher, needed_by="flashing")  # type: ignore[type-abstract]
        except LookupError as exc:
            raise StrategyError(self.rig.name, BoardState.FLASHED, "infra", str(exc)) from exc
