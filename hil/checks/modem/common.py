"""What every modem-mode check shares: the record it builds, steps whose errors are classified,
measurements that carry the failure class to blame when they miss their limits, the slice of the
AT transcript the check produced, and the cheap "bring the modem there" helpers that make checks
order-tolerant (each check attaches or opens the PDP context itself when an earlier one did not).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from at_commands.dialects.profiles import Rat
from at_commands.modem import Modem
from at_commands.modem_types import PdpContext, Registration
from at_commands.sim import normalize_iccid
from hil.checks.base import CheckContext, CheckFailedError, Limit
from hil.checks.classify import classify
from hil.checks.steps import CheckAbortedError, CheckSteps
from hil.records import CheckRecord, Step
from hil.records.redact import redact
from hil.rig.capabilities import Cloud

APN = "iot.1nce.net"
DEFAULT_ATTACH_TIMEOUT_S = 180.0
# ctx.state keys (shared by the checks of one rig within a round)
STATE_ICCID = "modem.iccid"  # the 19-digit ICCID the modem reported
STATE_ATTACHED = "modem.attached"  # the Registration of the last attach
STATE_PDP = "modem.pdp"  # the PdpContext of the data session


class ModemCheck(CheckSteps):
    """One run of one modem-mode check on one rig."""

    def __init__(self, ctx: CheckContext, name: str) -> None:
        super().__init__(ctx, name)
        self._who = f"{name} ({ctx.mode} mode)"
        self.modem = ctx.rig.get(Modem, needed_by=self._who)
        self._cloud: Cloud | None = None
        self._since = self.modem.transcript.elapsed()

    # --- measurements ---------------------------------------------------------------------------
    def measure(
        self,
        step: Step,
        name: str,
        value: Any,
        unit: str = "",
        default: Limit | None = None,
        *,
        blame: str = "dut",
    ) -> Any:
        """Record a measurement under the suite's limit (else `default`); when it misses, the
        check's failure class is `blame` (unless an earlier failure set one)."""
        self.ctx.measure(step, name, value, unit, default)
        if not step.measurements[-1].passed and self.record.failure_class is None:
            self.record.failure_class = blame
        return value

    def param(self, name: str, default: Any) -> Any:
        return self.ctx.param(name, default)

    # --- what the modem and the cloud know ----------------------------------------------------
    @property
    def cloud(self) -> Cloud:
        """The rig's Cloud capability (asked for on first use: signal needs none)."""
        if self._cloud is None:
            self._cloud = self.ctx.rig.get(Cloud, needed_by=self._who)
        return self._cloud

    @property
    def iccid(self) -> str:
        """The SIM's 19-digit ICCID: read from the modem once per round (the rig's as a hint)."""
        known = self.ctx.state.get(STATE_ICCID)
        if isinstance(known, str):
            return known
        iccid = self.modem.info().iccid
        self.ctx.state[STATE_ICCID] = iccid
        return iccid

    def rig_iccid(self) -> str | None:
        raw = getattr(self.ctx.rig.spec, "iccid", None)
        return normalize_iccid(str(raw)).api if raw else None

    def ensure_attached(self) -> Registration:
        """Registered (stat 1/5) now: cheap when already attached, else a full attach."""
        current = self.modem.registration()
        if current.registered:
            return current
        registration = self.modem.attach(
            rat=self.rat(),
            apn=str(self.param("apn", APN)),
            timeout=self.timeout("attach_timeout_s", DEFAULT_ATTACH_TIMEOUT_S),
        )
        self.ctx.state[STATE_ATTACHED] = registration
        self.ctx.state.pop(STATE_PDP, None)
        return registration

    def ensure_pdp(self) -> PdpContext:
        """Attached with an active data session (activating is idempotent on every dialect)."""
        self.ensure_attached()
        context = self.modem.activate_pdp(str(self.param("apn", APN)))
        self.ctx.state[STATE_PDP] = context
        return context

    def rat(self) -> Rat | None:
        value = self.param("rat", None)
        if value is None:
            return None
        try:
            return Rat(str(value))
        except ValueError:
            known = ", ".join(r.value for r in Rat)
            raise CheckFailedError(f"parameter rat must be one of {known}, not {value!r}", "infra") from None

    def endpoint(self, name: str) -> tuple[str, int]:
        """(host, port) of one of the cloud's endpoints ('udp', 'coap', 'bootstrap')."""
        try:
            url = urlsplit(self.cloud.endpoint(name))
        except KeyError as exc:
            raise CheckFailedError(str(exc.args[0]), "infra") from None
        if url.hostname is None or url.port is None:
            raise CheckFailedError(f"cloud endpoint {name!r} has no host:port: {url.geturl()!r}", "infra")
        return url.hostname, url.port

    # --- the record ---------------------------------------------------------------------------
    def finish(self) -> CheckRecord:
        lines = self.modem.transcript.capture_lines(self._since)
        self.record.transcript = redact("\n".join(lines))
        self.record.duration_s = time.monotonic() - self._started
        if self.record.passed:
            self.record.failure_class = None
        elif self.record.failure_class is None:
            self.record.failure_class = "dut"
        return self.record


def run_modem_check(ctx: CheckContext, name: str, body: Callable[[ModemCheck], None]) -> CheckRecord:
    """Run `body` on a fresh ModemCheck; whatever it records (or where it stopped) is the result."""
    session = ModemCheck(ctx, name)
    try:
        # Echo off, numeric +CME errors, verbose registration URCs: cheap, and a modem that
        # rebooted since the last check needs it again (without +CME codes an nRF91 in CFUN=0
        # answers a bare ERROR where the SIM layer needs "SIM not powered" to power it).
        session.modem.initialize()
        body(session)
    except CheckAbortedError:
        pass
    except Exception as exc:  # outside any step: still a record with the transcript
        session.record.steps.append(Step(name, error=redact(f"{type(exc).__name__}: {exc}")))
        if session.record.failure_class is None:
            session.record.failure_class = classify(exc)
    return session.finish()


def wait_for(probe: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    """The first truthy result of `probe`, or None after `timeout` s (never sleeps past it)."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        time.sleep(min(interval, remaining))
