"""Check records: steps with measurements that carry units and limits (the OpenHTF idea), so one
record drives a console table, JSON for machines and, later, JUnit and HTML reports."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple


@dataclass
class Measurement:
    name: str
    value: Any
    unit: str = ""
    low: float | None = None  # inclusive limits for numbers
    high: float | None = None
    expected: Any = None  # exact value expected, for non-numbers

    @property
    def passed(self) -> bool:
        if self.expected is not None:
            return bool(self.value == self.expected)
        if self.low is None and self.high is None:
            return self.value is not None
        if not isinstance(self.value, int | float) or isinstance(self.value, bool):
            return False
        return (self.low is None or self.value >= self.low) and (self.high is None or self.value <= self.high)

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.expected is not None:
            limit = f" (expected {self.expected!r})"
        elif self.low is not None or self.high is not None:
            low = "" if self.low is None else f"{self.low:g} <= "
            high = "" if self.high is None else f" <= {self.high:g}"
            limit = f" ({low}x{high})"
        else:
            limit = ""
        value = f"{self.value:.3g}" if isinstance(self.value, float) else f"{self.value}"
        return f"{self.name} = {value}{unit}{limit}"


@dataclass
class Step:
    name: str
    measurements: list[Measurement] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None  # why the step did not run
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.skipped is not None or (self.error is None and all(m.passed for m in self.measurements))

    def measure(self, name: str, value: Any, unit: str = "", **limits: Any) -> Any:
        self.measurements.append(Measurement(name, value, unit, **limits))
        return value


class Problem(NamedTuple):
    step: str
    text: str  # the step's error, or the missed measurement described
    missed: bool  # a measurement out of limits (not an error)


@dataclass
class CheckRecord:
    check: str
    subject: str  # e.g. the rig or dialect
    steps: list[Step] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    duration_s: float = 0.0
    # Why it failed, for reports and retries (LAVA's lesson): "infra", "flash", "dut", "network"
    # or "sim"; None while passing or not yet classified.
    failure_class: str | None = None
    transcript: str = ""  # the slice of the AT/console transcript this check produced, secrets redacted

    @property
    def passed(self) -> bool:
        return all(step.passed for step in self.steps)

    def step_named(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def problems(self) -> list[Problem]:
        """What failed, in step order: each step's error, then its measurements out of limits;
        what every failure message and report is written from."""
        found: list[Problem] = []
        for current in self.steps:
            if current.error:
                found.append(Problem(current.name, current.error, missed=False))
            found.extend(
                Problem(current.name, m.describe(), missed=True) for m in current.measurements if not m.passed
            )
        return found

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["passed"] = self.passed
        for step, raw in zip(self.steps, data["steps"], strict=True):
            raw["passed"] = step.passed
            for measurement, raw_m in zip(step.measurements, raw["measurements"], strict=True):
                raw_m["passed"] = measurement.passed
        return data


class StepFailedError(Exception):
    """Raised inside a step to stop it with a message (the step records it as its error)."""


@contextmanager
def step(record: CheckRecord, name: str) -> Iterator[Step]:
    """Run a step: time it, and record any exception as the step's error instead of raising."""
    current = Step(name)
    record.steps.append(current)
    start = time.monotonic()
    try:
        yield current
    except Exception as exc:  # a check records failures; it does not crash the run
        current.error = f"{type(exc).__name__}: {exc}"
    finally:
        current.duration_s = time.monotonic() - start
