"""The runner: one worker thread per rig, each running the plan's checks in order, round after round.

Per rig and round, for each mode: open the rig, health check (good / unknown / bad, stored with
set_rig_health), then the suite's checks; each record is committed the moment it ends. A failure
whose class is transient (TRANSIENT_CLASSES) gets more attempts (`retries`); K infra failures in a
row (`quarantine_after`; a bad health check of class infra counts as one) quarantine the rig: it
stops, is marked bad with the reason, the others go on. `--resume` skips every (rig, mode, check,
round) the run already has and continues the same run id. `request_stop()` (SIGINT) lets each rig
finish its current check, then the run is marked interrupted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hil.checks.base import TRANSIENT_CLASSES, CheckContext, Mode, run_check
from hil.records import CheckRecord, Step
from hil.records.db import ResultsDB
from hil.rig.rig import Rig
from hil.run.events import (
    CheckFinished,
    CheckProgress,
    CheckStarted,
    Event,
    HealthChecked,
    Listener,
    RigDone,
    RigPlanned,
    RigQuarantined,
    RunEnded,
    RunStarted,
    ignore,
)
from hil.run.health import Health
from hil.run.plan import Plan, PlannedRig
from hil.run.wiring import Wiring, wiring_for

Key = tuple[str, str, str, int]


@dataclass
class RigOutcome:
    name: str
    state: str = "pending"  # running | finished | quarantined | interrupted
    reason: str = ""
    health: str = "unknown"
    health_reason: str = ""
    done: int = 0  # results recorded by this process
    failed: int = 0
    not_run: int = 0  # planned results left out (bad health, quarantine, interrupt)


@dataclass
class RunResult:
    run_id: int
    status: str  # passed | failed | interrupted
    resumed: bool
    already_done: int
    rigs: dict[str, RigOutcome] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "passed"


class Runner:
    def __init__(
        self,
        plan: Plan,
        db: ResultsDB,
        *,
        wiring: Wiring | None = None,
        listener: Listener = ignore,
        argv: Sequence[str] = (),
    ) -> None:
        self.plan = plan
        self.db = db
        self.wiring = wiring or wiring_for(plan)
        self.listener = listener
        self.argv = list(argv)
        self._stop = threading.Event()
        self._emit_lock = threading.Lock()
        self.run_id: int | None = None

    def request_stop(self) -> None:
        """Finish the checks under way, start no more, mark the run interrupted."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _emit(self, event: Event) -> None:
        with self._emit_lock:  # one event at a time: listeners need no locks of their own
            self.listener(event)

    # -- the run ---------------------------------------------------------------------------------
    def run(self, resume: int | None = None) -> RunResult:
        db, plan = self.db, self.plan
        db.mark_stale_runs()
        done: set[Key] = set()
        if resume is not None:
            status = db.run(resume).status
            if status in ("running", "passed"):
                raise RuntimeError(
                    f"run {resume} is {status}: only an interrupted or failed run can be resumed"
                )
            done = db.finished(resume)
            db.resume_run(resume)
            run_id = resume
        else:
            run_id = db.start_run(plan.suite.name, plan.suite.source, self.argv, self._meta())
        self.run_id = run_id
        result = RunResult(run_id, "failed", resume is not None, len(done))
        for planned in plan.rigs:
            result.rigs[planned.spec.name] = RigOutcome(planned.spec.name)
            db.add_rig(run_id, planned.spec.name, **self.wiring.rig_info(planned))
        self._emit(
            RunStarted(
                run_id,
                tuple(p.spec.name for p in plan.rigs),
                plan.modes,
                plan.total(),
                len(done),
                resume is not None,
            )
        )
        try:
            self.wiring.start()
        except BaseException:
            db.finish_run(run_id, "error")
            raise
        try:
            threads = [
                threading.Thread(
                    target=self._worker,
                    args=(planned, done, result.rigs[planned.spec.name], run_id),
                    name=f"rig {planned.spec.name}",
                    daemon=True,
                )
                for planned in plan.rigs
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                while thread.is_alive():  # short joins keep the main thread responsive to SIGINT
                    thread.join(0.2)
        finally:
            self.wiring.close()
        result.status = self._status(run_id, result)
        db.finish_run(run_id, result.status)
        self._emit(RunEnded(run_id, result.status))
        return result

    def _meta(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "options": plan.options.to_meta(),
            "suite_source": plan.suite.source,
            "modes": list(plan.modes),
            "backend": plan.backend,
            "rigs": [p.spec.name for p in plan.rigs],
            "rounds": plan.rounds,
            "image": str(plan.image) if plan.image else None,
        }

    def _status(self, run_id: int, result: RunResult) -> str:
        if self.stopping or any(o.state == "interrupted" for o in result.rigs.values()):
            return "interrupted"
        counts = self.db.run(run_id).counts
        not_run = sum(o.not_run for o in result.rigs.values())
        expected = self.plan.total()
        complete = expected is None or counts.total >= expected
        return "passed" if counts.failed == 0 and not_run == 0 and complete and counts.total else "failed"

    # -- one rig ---------------------------------------------------------------------------------
    def _worker(self, planned: PlannedRig, done: set[Key], outcome: RigOutcome, run_id: int) -> None:
        name = planned.spec.name
        plan = self.plan
        mine = {key for key in done if key[0] == name}
        per_rig = None if plan.rounds is None else plan.rounds * plan.per_round()
        self._emit(RigPlanned(name, per_rig, len(mine)))
        outcome.state = "running"
        streak = _Streak(plan.options.quarantine_after)
        round_ = 0
        try:
            while not self.stopping and outcome.state == "running":
                round_ += 1
                if plan.rounds is not None and round_ > plan.rounds:
                    break
                if plan.options.until is not None and time.time() >= plan.options.until:
                    break
                for mode in plan.modes:
                    todo = [e for e in plan.entries[mode] if (name, mode, e.check, round_) not in done]
                    if not todo:
                        continue
                    if self.stopping or outcome.state != "running":
                        break
                    self._round(planned, mode, round_, todo, outcome, streak, run_id)
        except Exception as exc:  # the harness's own bug: this rig stops, the run goes on
            outcome.state = "quarantined"
            outcome.reason = f"harness error: {type(exc).__name__}: {exc}"
            self.db.set_rig_health(name, "unknown", outcome.reason, run_id)
            self._emit(RigQuarantined(name, outcome.reason))
        if outcome.state == "running":
            outcome.state = "interrupted" if self.stopping else "finished"
        if per_rig is not None:
            outcome.not_run = max(0, per_rig - len(mine) - outcome.done)
        self._emit(RigDone(name, outcome.state))

    def _round(
        self,
        planned: PlannedRig,
        mode: Mode,
        round_: int,
        todo: Sequence[Any],
        outcome: RigOutcome,
        streak: _Streak,
        run_id: int,
    ) -> None:
        name = planned.spec.name
        rig: Rig | None = None
        try:
            try:
                rig = self.wiring.open(planned, mode)
                self.db.add_rig(run_id, name, **self.wiring.rig_info(planned))
                health = self.wiring.health(rig, mode)
            except Exception as exc:
                health = Health(
                    "bad", f"cannot open the rig for {mode} mode: {type(exc).__name__}: {exc}", "infra"
                )
            outcome.health, outcome.health_reason = health.health, health.reason
            self.db.set_rig_health(name, health.health, health.reason, run_id)
            self._emit(HealthChecked(name, mode, round_, health.health, health.reason, health.failure_class))
            if health.health == "bad" or rig is None:
                if streak.add(health.failure_class, f"health check: {health.reason}"):
                    self._quarantine(name, outcome, streak, run_id)
                return
            state: dict[str, Any] = {}  # shared by the checks of this rig, mode and round
            for entry in todo:
                if self.stopping:
                    return
                record = self._check(rig, mode, entry, round_, state, run_id)
                outcome.done += 1
                outcome.failed += not record.passed
                if streak.add(record.failure_class, _first_error(record)):
                    self._quarantine(name, outcome, streak, run_id)
                    return
        finally:
            if rig is not None:
                rig.close()

    def _check(
        self, rig: Rig, mode: Mode, entry: Any, round_: int, state: dict[str, Any], run_id: int
    ) -> CheckRecord:
        name = rig.name
        attempt = 1
        while True:
            self._emit(CheckStarted(name, mode, entry.check, round_, attempt))

            def progress(message: str, check: str = entry.check) -> None:
                self._emit(CheckProgress(name, mode, check, message))

            ctx = CheckContext(
                rig=rig,
                mode=mode,
                params=dict(entry.params),
                limits=dict(entry.limits),
                state=state,
                progress=progress,
            )
            try:
                record = run_check(entry.check, ctx)
            except KeyError as exc:  # the plan checked the suite; a check vanishing is the harness's
                record = CheckRecord(entry.check, name, steps=[Step(entry.check, error=str(exc))])
                record.failure_class = "infra"
            self.db.record(run_id, name, record, mode=mode, round=round_, attempt=attempt)
            retry = (
                not record.passed
                and record.failure_class in TRANSIENT_CLASSES
                and attempt <= self.plan.options.retries
                and not self.stopping
            )
            self._emit(CheckFinished(name, mode, entry.check, round_, attempt, record, retry))
            if not retry:
                return record
            attempt += 1

    def _quarantine(self, name: str, outcome: RigOutcome, streak: _Streak, run_id: int) -> None:
        outcome.state = "quarantined"
        outcome.reason = f"quarantined after {streak.count} infra failures in a row; the last: {streak.last}"
        outcome.health, outcome.health_reason = "bad", outcome.reason
        self.db.set_rig_health(name, "bad", outcome.reason, run_id)
        self._emit(RigQuarantined(name, outcome.reason))


class _Streak:
    """Consecutive infra failures of one rig (each result after its retries, each bad health check)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self.last = ""

    def add(self, failure_class: str | None, error: str) -> bool:
        """Count one outcome; True when the rig has reached the limit."""
        if failure_class == "infra":
            self.count += 1
            self.last = error
        else:
            self.count = 0
        return self.count >= self.limit


def _first_error(record: CheckRecord) -> str:
    problems = record.problems()
    return f"{record.check}: {problems[0].text}" if problems else record.check
