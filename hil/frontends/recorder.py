"""A results-DB run for a front end: started lazily (a session that never touches a rig leaves
no run behind), or joined by id when another process started it (pytest-xdist workers, pabot
processes), with rounds counted per (rig, mode, check) so repeated checks stay distinct results."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hil.checks.base import CheckContext, Limit, Mode, run_check
from hil.records import CheckRecord, Step
from hil.records.db import ResultsDB
from hil.rig.rig import Rig

# Set by a controller process (pytest-xdist, a test driving pabot) so its workers join one run.
RUN_ID_ENV = "HIL_FRONTEND_RUN_ID"


class RunRecorder:
    """One run of `source` ("pytest", "robot") in the DB at `db_path`; thread-safe."""

    def __init__(
        self,
        db_path: Path,
        *,
        source: str,
        suite: str,
        argv: Sequence[str] = (),
        meta: Mapping[str, Any] | None = None,
        run_id: int | None = None,
        worker: str = "",
    ) -> None:
        self.db_path = Path(db_path)
        self.source = source
        self.suite = suite
        self.argv = list(argv)
        self.meta = dict(meta or {})
        self.worker = worker or f"pid{os.getpid()}"
        self._run_id = run_id
        self.owner = run_id is None  # whoever started the run finishes it
        self._db: ResultsDB | None = None
        self._lock = threading.RLock()
        self._rounds: dict[tuple[str, str, str], int] = {}
        self._seeded: set[str] = set()
        self._rigs: set[str] = set()
        self.failed = 0
        self.recorded = 0

    @property
    def db(self) -> ResultsDB:
        with self._lock:
            if self._db is None:
                self._db = ResultsDB(self.db_path)
            return self._db

    @property
    def started(self) -> bool:
        return self._run_id is not None

    @property
    def run_id(self) -> int:
        """The run's id; starts the run on first use."""
        with self._lock:
            if self._run_id is None:
                self._run_id = self.db.start_run(self.suite, self.source, self.argv, self.meta)
                self.owner = True
            return self._run_id

    def add_rig(self, rig: Rig, info: Mapping[str, Any]) -> None:
        """Name the rig in the run once (ResultsDB.add_rig keyword arguments in `info`); the
        worker that used it goes into its tags."""
        with self._lock:
            if rig.name in self._rigs:
                return
            tags = dict(info.get("tags") or {})
            tags["worker"] = self.worker
            self.db.add_rig(self.run_id, rig.name, **{**dict(info), "tags": tags})
            self._rigs.add(rig.name)

    def next_round(self, rig: str, mode: str, check: str) -> int:
        """1 for the first (rig, mode, check) of the run, then 2, 3, ...; earlier holders of the
        rig (another worker, before us) are counted from the DB when we first see the rig."""
        with self._lock:
            if rig not in self._seeded:
                self._seeded.add(rig)
                for rig_name, mode_name, check_name, round_ in self.db.finished(self.run_id):
                    if rig_name == rig:
                        key = (rig_name, mode_name, check_name)
                        self._rounds[key] = max(self._rounds.get(key, 0), round_)
            key = (rig, mode, check)
            self._rounds[key] = self._rounds.get(key, 0) + 1
            return self._rounds[key]

    def record(self, rig: str, record: CheckRecord, mode: str) -> int:
        """Commit one record now; returns its round."""
        with self._lock:
            round_ = self.next_round(rig, mode, record.check)
            self.db.record(self.run_id, rig, record, mode=mode, round=round_, attempt=1)
            self.recorded += 1
            self.failed += not record.passed
            return round_

    def finish(self, status: str | None = None) -> str | None:
        """Close the run (when this process started it, or `status` is forced): passed when no
        result of the whole run failed. Returns the status written, or None."""
        with self._lock:
            if self._run_id is None:
                return None
            if status is None:
                counts = self.db.run(self._run_id).counts
                status = "passed" if counts.failed == 0 and counts.total else "failed"
            self.db.finish_run(self._run_id, status)
            return status

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def limits_from(raw: Mapping[str, Any] | None) -> dict[str, Limit]:
    """{"time_to_attach": {"high": 30}} or {"stat": Limit(expected=5)} -> Limits; KeyError-free:
    a bad key says which measurement and what is allowed."""
    limits: dict[str, Limit] = {}
    for name, value in (raw or {}).items():
        if isinstance(value, Limit):
            limits[name] = value
            continue
        if not isinstance(value, Mapping) or not set(value) <= {"low", "high", "expected"}:
            raise ValueError(
                f"limit {name!r}: expected a mapping with low/high/expected (or a Limit), got {value!r}"
            )
        limits[name] = Limit(value.get("low"), value.get("high"), value.get("expected"))
    return limits


def run_and_record(
    recorder: RunRecorder | None,
    rig: Rig,
    name: str,
    *,
    mode: Mode = "modem",
    params: Mapping[str, Any] | None = None,
    limits: Mapping[str, Any] | None = None,
    state: dict[str, Any] | None = None,
) -> CheckRecord:
    """`run_check(name)` on `rig`, committed to the run (when there is one) the moment it ends."""
    ctx = CheckContext(
        rig=rig,
        mode=mode,
        params=dict(params or {}),
        limits=limits_from(limits),
        state=state if state is not None else {},
    )
    try:
        record = run_check(name, ctx)
    except KeyError as exc:  # an unknown check: the caller's mistake, still a record to keep
        record = CheckRecord(name, rig.name, steps=[Step(name, error=str(exc.args[0]))])
        record.failure_class = "infra"
    if recorder is not None:
        recorder.record(rig.name, record, mode)
    return record


def failure_text(record: CheckRecord) -> str:
    """What failed in a record, in one paragraph: class, errors, missed measurements."""
    lines = [f"check {record.check} on {record.subject} failed ({record.failure_class or 'dut'})"]
    lines.extend(f"  {problem.step}: {problem.text}" for problem in record.problems())
    return "\n".join(lines)


def measurement_properties(record: CheckRecord, prefix: str = "") -> list[tuple[str, Any]]:
    """(name, value) pairs for JUnit properties / Robot metadata: CHECK.MEASUREMENT = value [unit]."""
    head = f"{prefix}{record.check}"
    pairs: list[tuple[str, Any]] = [(f"{head}.passed", record.passed)]
    if record.failure_class:
        pairs.append((f"{head}.failure_class", record.failure_class))
    for step in record.steps:
        for m in step.measurements:
            value = (
                m.value if isinstance(m.value, int | float | bool | str) or m.value is None else str(m.value)
            )
            pairs.append((f"{head}.{m.name}", f"{value} {m.unit}".strip() if m.unit else value))
    return pairs
