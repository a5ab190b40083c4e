"""What every firmware-mode check shares: the console read through the rig's Console capability
(its whole history, so a check finds events that came before it started), waits for console
events that fail fast on the errors the firmware logged, and the failure class of everything
that can go wrong on the way (see classify_console_error and classify_error_event).

Console failures: the line source closed (a USB serial unplugged, QEMU gone) -> infra, unless the
firmware ended its run (`done`) or died (a death string: HardFault ...) -> dut; no boot line at
all -> flash. Logged errors: cause=denied / pdp_rejected (the network said no) -> network; no SIM,
SIM locked, ICCID mismatch or a failing `sim` step -> sim.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from hil.checks.base import CheckContext, CheckFailedError, Limit
from hil.checks.steps import CheckAbortedError, CheckSteps
from hil.firmware.config_block import FirmwareConfig
from hil.firmware.console import ConsoleEvent, ConsoleFormatError, ConsoleLog
from hil.firmware.image import ImageError, read_config
from hil.flash.base import Flasher
from hil.records import CheckRecord, Step
from hil.rig.capabilities import DEATH_PATTERNS, Cloud, Console, ConsoleDeadError

DEFAULT_TIMEOUT_S = 60.0
_DEATH = re.compile("|".join(f"(?:{p})" for p in DEATH_PATTERNS))
# Bring-up errors that are final answers (a retry gets the same), by failure class.
NETWORK_CAUSES = frozenset({"denied", "pdp_rejected", "no_coverage"})
SIM_CAUSES = frozenset({"no_sim", "sim_locked", "iccid_mismatch"})
FLAG_UDP, FLAG_COAP, FLAG_BOOTSTRAP = 0x01, 0x02, 0x04


def classify_error_event(event: ConsoleEvent) -> str | None:
    """The failure class of a logged `error` the firmware will not get past by retrying, or None
    for errors its recovery handles (timeouts, a modem reboot, a socket error)."""
    cause = event.get("cause", "")
    if cause in NETWORK_CAUSES:
        return "network"
    if cause in SIM_CAUSES or (event.get("where") == "sim" and cause in ("cme", "error")):
        return "sim"
    return None


def ms_between(first: ConsoleEvent, later: ConsoleEvent) -> int:
    """Milliseconds of firmware time between two events (the console's clock wraps after 49 days)."""
    return (later.ms - first.ms) % (1 << 32)


class FirmwareCheck(CheckSteps):
    """One run of one firmware-mode check on one rig: record, steps, console, cloud."""

    def __init__(self, ctx: CheckContext, name: str) -> None:
        super().__init__(ctx, name)
        self.who = f"{name} (firmware mode)"
        self.console: Console = ctx.rig.get(Console, needed_by=self.who)  # type: ignore[type-abstract]
        self._blame: dict[int, str] = {}  # id(measurement) -> failure class when it misses
        self._first_line = len(self.console.lines())
        self._evidence: list[str] = []  # lines of events the check used that came before it started

    # --- record ---------------------------------------------------------------------------------
    def measure(
        self,
        step: Step,
        name: str,
        value: Any,
        unit: str = "",
        default: Limit | None = None,
        blame: str = "dut",
    ) -> Any:
        """A measurement under the suite's limits (else `default`); `blame` is the failure class
        when it misses them."""
        self.ctx.measure(step, name, value, unit, default)
        self._blame[id(step.measurements[-1])] = blame
        return value

    def finish(self) -> CheckRecord:
        """The record, with the failure class of the first failed measurement when none is set."""
        record = self.record
        if not record.passed and record.failure_class is None:
            for step in record.steps:
                missed = next((m for m in step.measurements if not m.passed), None)
                if missed is not None:
                    record.failure_class = self._blame.get(id(missed), "dut")
                    break
        record.duration_s = time.monotonic() - self._started
        lines = self.console.lines()[self._first_line :]
        earlier = [line for line in self._evidence if line not in lines]
        # The firmware logs no secrets (PSK length only).
        record.transcript = "\n".join([*earlier, *lines][-200:])
        return record

    def run(self, body: Callable[[FirmwareCheck], None]) -> CheckRecord:
        with suppress(CheckAbortedError):  # the failed step holds the error
            body(self)
        return self.finish()

    # --- rig ------------------------------------------------------------------------------------
    @property
    def iccid(self) -> str:
        """The rig's SIM (19 digits, as the 1NCE API names it)."""
        iccid = str(getattr(self.ctx.rig.spec, "iccid", "") or "")
        if not iccid:
            raise CheckFailedError(f"rig {self.ctx.rig.name} names no ICCID (rigs.yaml iccid:)", "infra")
        return iccid[:19]

    def cloud(self) -> Cloud:
        return self.ctx.rig.get(Cloud, needed_by=self.who)

    def stamped_config(self) -> FirmwareConfig | None:
        """The config block of the image the rig's Flasher last wrote, when it can tell."""
        if not self.ctx.rig.has(Flasher):
            return None
        image = getattr(self.ctx.rig.get(Flasher), "image", None)  # type: ignore[type-abstract]
        if image is None:
            return None
        try:
            return read_config(image).config
        except ImageError:
            return None

    # --- console --------------------------------------------------------------------------------
    def _pull(self, timeout: float) -> bool:
        """Read what the console has (waiting up to `timeout` s for a first line); False once its
        source has closed and every line was read."""
        try:
            line = self.console.read_line(timeout)
            while line is not None:
                line = self.console.read_line(0)
        except ConsoleDeadError:
            return False
        return True

    def log(self) -> ConsoleLog:
        """Every event the console has shown, since the rig booted (lines read so far + pending)."""
        self._pull(0)
        log = ConsoleLog()
        for line in self.console.lines():
            try:
                log.add(line)
            except ConsoleFormatError:
                log.other.append(line)
        return log

    def _tail(self, count: int = 8) -> str:
        lines = self.console.lines()[-count:]
        return "last console lines:\n  " + ("\n  ".join(lines) if lines else "(none)")

    def wait_for(
        self,
        event: str,
        *,
        timeout: float | None = None,
        where: Callable[[ConsoleEvent], bool] | None = None,
        after: ConsoleEvent | None = None,
        what: str | None = None,
    ) -> ConsoleEvent:
        """The first console event `event` (after the event `after`, if given) satisfying `where`,
        already shown or still to come. Fails fast with the right class when the firmware logged a
        final error (denied, no SIM ...) since its last `connected`, died, ended its run, or the
        console's source closed; after `timeout` s (param timeout_s) with the last error's class."""
        limit = timeout if timeout is not None else float(self.ctx.param("timeout_s", DEFAULT_TIMEOUT_S))
        wanted = what or event
        deadline = time.monotonic() + limit
        while True:
            log = self.log()
            events = log.events
            start = events.index(after) + 1 if after is not None and after in events else 0
            for candidate in events[start:]:
                if candidate.event == event and (where is None or where(candidate)):
                    if candidate.line not in self._evidence:
                        self._evidence.append(candidate.line)
                    return candidate
            self._fail_on_logged_errors(events, wanted)
            dead_line = next((line for line in reversed(self.console.lines()) if _DEATH.search(line)), None)
            if dead_line is not None:
                raise CheckFailedError(f"waiting for {wanted}: the firmware died: {dead_line!r}", "dut")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                failure = self._last_error_class(events) or "dut"
                raise CheckFailedError(
                    f"no {wanted} on the console within {limit:g} s; {self._tail()}", failure
                )
            if not self._pull(min(remaining, 0.5)):
                self._console_closed(events, wanted)

    def _fail_on_logged_errors(self, events: list[ConsoleEvent], wanted: str) -> None:
        since = max((i for i, e in enumerate(events) if e.event in ("connected", "boot")), default=-1)
        for event in events[since + 1 :]:
            if event.event == "error" and (failure := classify_error_event(event)) is not None:
                raise CheckFailedError(f"waiting for {wanted}: the firmware logged {event.line!r}", failure)

    @staticmethod
    def _last_error_class(events: list[ConsoleEvent]) -> str | None:
        errors = [e for e in events if e.event == "error"]
        if not errors:
            return None
        last = errors[-1]
        return classify_error_event(last) or ("network" if last.get("where") in ("attach", "pdp") else None)

    def _console_closed(self, events: list[ConsoleEvent], wanted: str) -> None:
        if not self.console.lines():
            raise CheckFailedError(
                f"waiting for {wanted}: the console closed without a line (no boot)", "flash"
            )
        done = next((e for e in reversed(events) if e.event == "done"), None)
        if done is not None:
            raise CheckFailedError(f"waiting for {wanted}: the firmware ended its run: {done.line!r}", "dut")
        raise CheckFailedError(
            f"waiting for {wanted}: the console's line source closed (serial port gone?); {self._tail()}",
            "infra",
        )

    def boot(self, timeout: float | None = None) -> ConsoleEvent:
        """The last `boot` event (the running image's); no line at all before the timeout -> flash."""
        limit = timeout if timeout is not None else float(self.ctx.param("boot_timeout_s", 20.0))
        try:
            self.wait_for("boot", timeout=limit)
        except CheckFailedError as exc:
            if exc.failure_class == "dut":
                raise CheckFailedError(f"the image did not boot: {exc}", "flash") from exc
            raise
        return [e for e in self.log().events if e.event == "boot"][-1]

    def flags(self, boot: ConsoleEvent) -> int:
        try:
            return boot.int("flags")
        except (KeyError, ConsoleFormatError):
            return FLAG_UDP | FLAG_COAP | FLAG_BOOTSTRAP
