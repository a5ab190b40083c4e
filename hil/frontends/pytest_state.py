"""What the pytest plugin keeps per session and per test. Nothing here opens a lab, a rig or the
DB until a fixture asks: the plugin loads in every pytest run of a project that installs it."""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the plugin loads in every pytest run: the harness only when a test asks
    from hil.checks.base import Mode
    from hil.frontends.recorder import RunRecorder
    from hil.frontends.rigs import HeldRig, RigPool
    from hil.records import CheckRecord

RUN_ID_ENV = "HIL_FRONTEND_RUN_ID"  # = hil.frontends.recorder.RUN_ID_ENV (kept light here)
OPTION_NAMES = ("hil_lab", "hil_rigs", "hil_rigs_file", "hil_results_db")
TRANSCRIPT_TAIL_LINES = 200


def worker_id(config: pytest.Config) -> str:
    """pytest-xdist's worker id (gw0, gw1, ...), or "main" without xdist."""
    workerinput = getattr(config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput else "main"


def worker_index(worker: str) -> int:
    match = re.fullmatch(r"gw(\d+)", worker)
    return int(match.group(1)) if match else 0


class HilSession:
    """The session's results-DB run and rig pool, both made on first use."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.worker = worker_id(config)
        self._recorder: RunRecorder | None = None
        self._pool: RigPool | None = None

    def option(self, name: str) -> Any:
        return self.config.getoption(name, None)

    @property
    def options_given(self) -> bool:
        return any(self.option(name) for name in OPTION_NAMES)

    @property
    def is_worker(self) -> bool:
        return self.worker != "main"

    @property
    def recorder(self) -> RunRecorder:
        if self._recorder is None:
            from hil.frontends.recorder import RunRecorder
            from hil.records.db import default_db_path

            path = self.option("hil_results_db")
            workerinput = getattr(self.config, "workerinput", None) or {}
            shared = workerinput.get("nce_hil_run_id")
            env = os.environ.get(RUN_ID_ENV)
            run_id = int(shared) if shared else (int(env) if env else None)
            self._recorder = RunRecorder(
                Path(path) if path else default_db_path(),
                source="pytest",
                suite=self._suite_name(),
                argv=["pytest", *self.config.invocation_params.args],
                meta={
                    "frontend": "pytest",
                    "lab": self.option("hil_lab"),
                    "rigs_file": self.option("hil_rigs_file"),
                    "rigs": list(self.option("hil_rigs") or []),
                    "rootdir": str(self.config.rootpath),
                },
                run_id=run_id,
                worker=self.worker,
            )
        return self._recorder

    def _suite_name(self) -> str:
        args = [a for a in self.config.invocation_params.args if not str(a).startswith("-")]
        where = Path(str(args[0]).split("::")[0]).name if args else self.config.rootpath.name
        return f"pytest:{where}"

    @property
    def pool(self) -> RigPool:
        if self._pool is None:
            from hil.frontends.rigs import RigPool

            lab = self.option("hil_lab")
            if lab == "virtual":
                if self.option("hil_rigs") or self.option("hil_rigs_file"):
                    raise pytest.UsageError(
                        "--lab virtual makes its own rigs; --rig/--rigs-file pick real ones"
                    )
                index = worker_index(self.worker)
                self._pool = RigPool.virtual(
                    [f"virtual-{index + 1}"],
                    time_scale=float(self.option("hil_time_scale") or 0.01),
                    first_index=index,
                )
            else:
                from hil.run.plan import PlanError

                try:
                    self._pool = RigPool.local(
                        self.option("hil_rigs_file"),
                        self.option("hil_rigs") or (),
                        lock_timeout_s=float(self.option("hil_rig_wait") or 600),
                    )
                except PlanError as exc:
                    raise pytest.UsageError(
                        f"nce-hil: no rigs ({exc}); pass --lab virtual, or --rigs-file FILE / --rig NAME"
                    ) from exc
        return self._pool

    def finish(self, exitstatus: int) -> None:
        if self._pool is not None:
            self._pool.close()
        recorder = self._recorder
        if recorder is None:
            return
        try:
            if recorder.owner and recorder.started and not self.is_worker_of_shared_run():
                status = {0: "passed", 2: "interrupted"}.get(int(exitstatus), "failed")
                if status == "passed" and recorder.failed:
                    status = "failed"
                recorder.finish(status)
        finally:
            recorder.close()

    def is_worker_of_shared_run(self) -> bool:
        workerinput = getattr(self.config, "workerinput", None) or {}
        return bool(workerinput.get("nce_hil_run_id"))


@dataclass
class TestState:
    """One test's rig and what it recorded."""

    held: HeldRig
    modem_since: float = 0.0
    console_start: int = 0
    checks: list[CheckRecord] = field(default_factory=list)
    record: CheckRecord | None = None  # the test's own measurements (hil_record)
    properties: list[tuple[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.time)

    @property
    def mode(self) -> Mode:
        return self.held.mode

    @classmethod
    def begin(cls, held: HeldRig) -> TestState:
        from hil.rig.capabilities import Console, Modem

        state = cls(held)
        rig = held.rig
        if rig.has(Modem):
            state.modem_since = rig.get(Modem).transcript.elapsed()
        if rig.has(Console):
            state.console_start = len(_console_history(rig.get(Console)))  # type: ignore[type-abstract]
        return state

    def console_lines(self) -> list[str]:
        from hil.rig.capabilities import Console

        rig = self.held.rig
        if not rig.has(Console):
            return []
        return _console_history(rig.get(Console))[self.console_start :]  # type: ignore[type-abstract]

    def transcript(self) -> str:
        """The test's AT transcript and console lines (last TRANSCRIPT_TAIL_LINES), redacted."""
        from hil.records.redact import redact
        from hil.rig.capabilities import Modem

        rig = self.held.rig
        parts: list[str] = []
        if rig.has(Modem):
            lines = rig.get(Modem).transcript.capture_lines(self.modem_since)
            if lines:
                parts.append("\n".join(lines[-TRANSCRIPT_TAIL_LINES:]))
        console = self.console_lines()
        if console:
            parts.append("\n".join(f"console: {line}" for line in console[-TRANSCRIPT_TAIL_LINES:]))
        return redact("\n".join(parts))

    def test_record(self, name: str, excinfo: pytest.ExceptionInfo[BaseException] | None) -> CheckRecord:
        """The test's own record: its hil_record measurements, and its error when it failed."""
        from hil.checks.classify import classify
        from hil.records import CheckRecord, Step

        record = self.record or CheckRecord(
            name, self.held.rig.name, steps=[Step("test")], started=self.started
        )
        if excinfo is not None:
            error = f"{excinfo.typename}: {excinfo.value}"
            record.steps.append(Step("test outcome", error=error.strip()))
            record.failure_class = record.failure_class or classify(excinfo.value)
        if record.passed:
            record.failure_class = None
        record.duration_s = time.time() - record.started
        record.transcript = self.transcript()
        return record


def _console_history(console: Any) -> list[str]:
    """Every line the console printed (a TeeConsole knows the unread ones too)."""
    seen = getattr(console, "seen", None)
    return list(seen()) if callable(seen) else list(console.lines())


TEST_STATE = pytest.StashKey[TestState]()
SESSION = pytest.StashKey[HilSession]()


def session_of(config: pytest.Config) -> HilSession:
    try:
        return config.stash[SESSION]
    except KeyError:
        session = config.stash[SESSION] = HilSession(config)
        return session


def warn(message: str) -> None:
    print(f"nce-hil: {message}", file=sys.stderr)
