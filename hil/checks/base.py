"""What every check is: a plain function over a rig's capabilities that returns a CheckRecord.

Checks never know where a rig is (local USB, labgrid place, virtual lab); they ask the rig for
capabilities (`ctx.rig.get(Modem, needed_by=...)`). One check name (e.g. `attach`) may have one
implementation per mode:

- `modem` mode: the harness drives the modem directly over AT and checks it against the 1NCE API;
- `firmware` mode: the firmware does the work; the check verifies from its console and the cloud.

`hil run`, the pytest plugin and the Robot library all call `run_check`, so a check behaves the
same under every front end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from hil.records import CheckRecord, Step
from hil.rig.rig import MissingCapabilityError, Rig

Mode = Literal["modem", "firmware"]
MODES: tuple[Mode, ...] = ("modem", "firmware")

# The mission's verbs: every check nce-hil knows, in the order a smoke suite runs them.
MISSION_CHECKS: tuple[str, ...] = (
    "sim_ready",
    "attach",
    "apn",
    "signal",
    "sms_mo",
    "sms_mt",
    "uplink_udp",
    "uplink_coap",
    "device_auth",
    "downlink",
    "firmware_boot",
    "data_usage",
)

# Why a check failed (LAVA's lesson): infra = the rig or harness (port gone, cloud API down,
# capability missing); flash = the image could not be written or booted; dut = the device or its
# firmware misbehaved; network = the network refused or lost it (denied, PDP rejected, no
# coverage); sim = the SIM (missing, PIN, wrong ICCID, disabled).
FAILURE_CLASSES: tuple[str, ...] = ("infra", "flash", "dut", "network", "sim")
# Classes worth one more attempt in an overnight run: the rig or the network may come back.
TRANSIENT_CLASSES: frozenset[str] = frozenset({"infra", "network"})


@dataclass(frozen=True)
class Limit:
    """Limits for one measurement: inclusive numeric bounds, or an exact expected value."""

    low: float | None = None
    high: float | None = None
    expected: Any = None

    def as_kwargs(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "expected": self.expected}


class CheckFailedError(Exception):
    """Raised by a check to stop with a failure class and a message that says what was expected,
    what came and where."""

    def __init__(self, message: str, failure_class: str) -> None:
        if failure_class not in FAILURE_CLASSES:
            known = ", ".join(FAILURE_CLASSES)
            raise ValueError(f"failure class must be one of {known}, got {failure_class!r}")
        super().__init__(message)
        self.failure_class = failure_class


@dataclass
class CheckContext:
    """Everything a check gets: the rig, the mode, the suite's parameters and limit overrides."""

    rig: Rig
    mode: Mode = "modem"
    params: Mapping[str, Any] = field(default_factory=dict)
    limits: Mapping[str, Limit] = field(default_factory=dict)
    # Shared state between the checks of one rig within a round (e.g. the SIM's API record read
    # by sim_ready, the uplinks a firmware run produced); checks must not depend on it being
    # filled, only use it to avoid repeating work.
    state: dict[str, Any] = field(default_factory=dict)
    progress: Callable[[str], None] = field(default=lambda _message: None)

    def param(self, name: str, default: Any) -> Any:
        return self.params.get(name, default)

    def limit(self, name: str, default: Limit | None = None) -> Limit:
        """The suite's limit for measurement `name`, else `default`, else no limit."""
        return self.limits.get(name, default or Limit())

    def measure(self, step: Step, name: str, value: Any, unit: str = "", default: Limit | None = None) -> Any:
        """Record a measurement under the suite's limits (or the check's default)."""
        return step.measure(name, value, unit, **self.limit(name, default).as_kwargs())


CheckFunction = Callable[[CheckContext], CheckRecord]


@dataclass(frozen=True)
class CheckInfo:
    name: str
    mode: Mode
    function: CheckFunction
    needs: tuple[type, ...]  # capabilities the check asks the rig for
    summary: str  # first line of the docstring
    # The measurement names the check records; a suite's limits may only name these.
    measurements: tuple[str, ...] = ()


REGISTRY: dict[tuple[str, Mode], CheckInfo] = {}


def check(
    name: str, mode: Mode, needs: tuple[type, ...] = (), measurements: tuple[str, ...] = ()
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check implementation for (name, mode); `measurements` declares the names it
    records, so a suite file's limits can be checked against them."""

    def register(function: CheckFunction) -> CheckFunction:
        key = (name, mode)
        if key in REGISTRY:
            raise ValueError(f"check {name!r} in {mode} mode is registered twice")
        summary = (function.__doc__ or name).strip().splitlines()[0]
        REGISTRY[key] = CheckInfo(name, mode, function, needs, summary, tuple(measurements))
        return function

    return register


def run_check(name: str, ctx: CheckContext) -> CheckRecord:
    """Run one check; never raises for a check's own failure. Exceptions become a failed record
    with a failure class (CheckFailedError's own, else hil.checks.classify.classify: typed modem,
    SIM, network and cloud errors to their class, MissingCapabilityError -> infra, else dut)."""
    from hil.checks.classify import classify  # imports this module

    load_builtin_checks()
    started = time.monotonic()
    info = REGISTRY.get((name, ctx.mode))
    if info is None:
        known = ", ".join(sorted(n for n, m in REGISTRY if m == ctx.mode)) or "none"
        raise KeyError(f"no check {name!r} in {ctx.mode} mode (known: {known})")
    try:
        record = info.function(ctx)
    except CheckFailedError as exc:
        record = CheckRecord(name, ctx.rig.name)
        record.steps.append(Step(name, error=str(exc)))
        record.failure_class = exc.failure_class
    except MissingCapabilityError as exc:
        record = CheckRecord(name, ctx.rig.name)
        record.steps.append(Step(name, error=str(exc)))
        record.failure_class = "infra"
    except Exception as exc:
        record = CheckRecord(name, ctx.rig.name)
        record.steps.append(Step(name, error=f"{type(exc).__name__}: {exc}"))
        record.failure_class = classify(exc)
    if not record.passed and record.failure_class is None:
        record.failure_class = "dut"
    if record.passed:
        record.failure_class = None
    record.duration_s = record.duration_s or (time.monotonic() - started)
    return record


def load_builtin_checks() -> None:
    """Import the modules that register the built-in checks (idempotent)."""
    import hil.checks.firmware
    import hil.checks.modem  # noqa: F401
