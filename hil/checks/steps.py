"""The record of one check run, built step by step: what modem-mode and firmware-mode checks share
(hil/checks/modem/common.py ModemCheck, hil/checks/firmware/common.py FirmwareCheck)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from hil.checks.base import CheckContext, CheckFailedError
from hil.checks.classify import classify
from hil.records import CheckRecord, Step
from hil.records.redact import redact


class CheckAbortedError(Exception):
    """A step failed; the rest of the check cannot run (the step holds the error)."""


class CheckSteps:
    """A check's record on its rig, its steps, and its parameters."""

    def __init__(self, ctx: CheckContext, name: str) -> None:
        self.ctx = ctx
        self.name = name
        self.record = CheckRecord(name, ctx.rig.name)
        self._started = time.monotonic()

    @contextmanager
    def step(self, name: str) -> Iterator[Step]:
        """A step; an exception in it is recorded (redacted), classified (the first failure's
        class stays), and ends the check with CheckAbortedError."""
        current = Step(name)
        self.record.steps.append(current)
        start = time.monotonic()
        try:
            yield current
        except CheckAbortedError:
            raise
        except Exception as exc:
            text = str(exc) if isinstance(exc, CheckFailedError) else f"{type(exc).__name__}: {exc}"
            current.error = redact(text)
            if self.record.failure_class is None:
                self.record.failure_class = classify(exc)
            raise CheckAbortedError(name) from exc
        finally:
            current.duration_s = time.monotonic() - start

    def timeout(self, name: str, default: float) -> float:
        """Parameter `name` as a positive number of seconds (else `default`); infra when it is not."""
        value = self.ctx.param(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise CheckFailedError(
                f"parameter {name} must be a positive number of seconds, not {value!r}", "infra"
            )
        return float(value)
