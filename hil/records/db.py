"""The results DB: every run, rig and check record a lab produces, in one SQLite file.

- WAL journal, `synchronous=NORMAL`: a committed record survives the writer being killed (SIGKILL,
  crash); only a power loss can take the last few transactions.
- One short write transaction per call (BEGIN IMMEDIATE + busy_timeout), so several processes
  (pytest-xdist, pabot workers, a second `hil run`) can write one DB; readers never block writers.
- `record()` commits the check the moment it is called: a run killed mid-way keeps everything
  that finished, `mark_stale_runs()` then marks it interrupted and `finished()` tells `--resume`
  what not to redo.
- Secrets never reach the file: transcripts, errors, argv and meta pass through `redact` again.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hil.records.migrations import SchemaError, current_version, migrate
from hil.records.model import CheckRecord, Measurement, Step
from hil.records.redact import REDACTED, SECRET_KEYS, redact, redact_argv

__all__ = [
    "FINAL_STATUSES",
    "HEALTH_STATES",
    "RESULT_KEY",
    "ResultsDB",
    "ResultsDBError",
    "RigHealth",
    "RigInfo",
    "RunCounts",
    "RunData",
    "RunSummary",
    "SchemaError",
    "StoredRecord",
    "UnknownRunError",
    "default_db_path",
]

FINAL_STATUSES = frozenset({"passed", "failed", "interrupted", "error"})
HEALTH_STATES = frozenset({"good", "unknown", "bad"})
RESULT_KEY = "rig, mode, check, round"  # what identifies one result; attempts retry the same key
BUSY_TIMEOUT_MS = 30_000
_SECRET_KEY = re.compile(rf"(?i)^(?:{SECRET_KEYS})$")


def default_db_path() -> Path:
    """`$HIL_RESULTS_DB`, else ./hil-results/results.db."""
    env = os.environ.get("HIL_RESULTS_DB")
    return Path(env) if env else Path("hil-results") / "results.db"


class ResultsDBError(Exception):
    """A call the DB cannot honour (unknown run, bad status, ...); the message says what and why."""


class UnknownRunError(ResultsDBError):
    pass


@dataclass(frozen=True)
class RunCounts:
    """Results of a run, counting the last attempt of each (rig, mode, check, round)."""

    total: int = 0
    passed: int = 0
    failed: int = 0
    retried: int = 0  # results that needed more than one attempt
    by_class: Mapping[str, int] = field(default_factory=dict)  # failed results per failure class

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.total if self.total else None


@dataclass(frozen=True)
class RunSummary:
    id: int
    suite: str
    source: str
    started: float
    finished: float | None
    status: str
    counts: RunCounts
    pid: int = 0
    host: str = ""


@dataclass(frozen=True)
class RigInfo:
    name: str
    backend: str
    board: str | None = None
    dialect: str | None = None
    iccid: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredRecord:
    """A CheckRecord as stored, with where and when it ran."""

    id: int
    rig: str
    mode: str
    round: int
    attempt: int
    record: CheckRecord
    recorded: float | None = None  # time.time() of the commit

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.rig, self.mode, self.record.check, self.round)


@dataclass(frozen=True)
class RunData:
    run: RunSummary
    argv: list[str]
    meta: dict[str, Any]
    rigs: list[RigInfo]
    records: list[StoredRecord]  # in commit order, every attempt

    def final_records(self) -> list[StoredRecord]:
        """The last attempt of each (rig, mode, check, round), in commit order of those."""
        last: dict[tuple[str, str, str, int], StoredRecord] = {}
        for stored in self.records:
            current = last.get(stored.key)
            if current is None or stored.attempt >= current.attempt:
                last[stored.key] = stored
        return sorted(last.values(), key=lambda s: s.id)


@dataclass(frozen=True)
class RigHealth:
    rig: str
    health: str
    reason: str
    updated: float
    run_id: int | None = None


class ResultsDB:
    """One results DB file; one connection, usable from several threads (calls are serialised)."""

    def __init__(self, path: Path | str, *, timeout_s: float = BUSY_TIMEOUT_MS / 1000) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(
                str(path), timeout=timeout_s, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise ResultsDBError(f"{path}: cannot open the results DB: {exc}") from exc
        self._lock = threading.RLock()
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self.migrated_from = migrate(self._conn, str(path))
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise ResultsDBError(f"{path}: not a usable results DB ({exc})") from exc
        except SchemaError:
            self._conn.close()
            raise

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> ResultsDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._lock:
            return current_version(self._conn)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; the write lock is taken at BEGIN, waits up to busy_timeout."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- writing ---------------------------------------------------------------------------------

    def start_run(
        self,
        suite: str,
        source: str,
        argv: Sequence[str] = (),
        meta: Mapping[str, Any] | None = None,
    ) -> int:
        """A new run in status `running`, owned by this process; returns its id."""
        pid = os.getpid()
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (suite, source, argv, meta, started, status, pid, host, pid_started) "
                "VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                (
                    suite,
                    source,
                    json.dumps(redact_argv([str(a) for a in argv])),
                    _dumps(_redact_tree(dict(meta or {}))),
                    time.time(),
                    pid,
                    socket.gethostname(),
                    _process_start(pid),
                ),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def resume_run(self, run_id: int) -> None:
        """Take over an interrupted (or failed) run for `--resume`: running again, owned by us."""
        self._require_run(run_id)
        pid = os.getpid()
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET status='running', finished=NULL, pid=?, host=?, pid_started=? WHERE id=?",
                (pid, socket.gethostname(), _process_start(pid), run_id),
            )

    def add_rig(
        self,
        run_id: int,
        name: str,
        backend: str,
        board: str | None = None,
        dialect: str | None = None,
        iccid: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Say that `name` takes part in the run (again: its details are updated)."""
        self._require_run(run_id)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO rigs (run_id, name, backend, board, dialect, iccid, tags) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, name) DO UPDATE SET backend=excluded.backend, board=excluded.board, "
                "dialect=excluded.dialect, iccid=excluded.iccid, tags=excluded.tags",
                (run_id, name, backend, board, dialect, iccid, json.dumps(dict(tags or {}), sort_keys=True)),
            )

    def record(
        self,
        run_id: int,
        rig: str,
        record: CheckRecord,
        mode: str = "modem",
        round: int = 1,
        attempt: int = 1,
    ) -> int:
        """Store one finished check, committed before this returns; returns the record's id."""
        if round < 1 or attempt < 1:
            raise ResultsDBError(
                f"record {record.check!r} on {rig!r}: round and attempt start at 1 "
                f"(got round={round}, attempt={attempt})"
            )
        self._require_run(run_id)
        now = time.time()
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO checks (run_id, rig, mode, check_name, round, attempt, subject, started, "
                "duration_s, "
                "passed, failure_class, recorded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    rig,
                    mode,
                    record.check,
                    round,
                    attempt,
                    redact(record.subject),
                    float(record.started),
                    float(record.duration_s),
                    int(record.passed),
                    record.failure_class,
                    now,
                ),
            )
            check_id = cursor.lastrowid
            assert check_id is not None
            for position, current in enumerate(record.steps):
                step_cursor = conn.execute(
                    "INSERT INTO steps (check_id, position, name, error, skipped, duration_s, passed) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        check_id,
                        position,
                        current.name,
                        None if current.error is None else redact(current.error),
                        None if current.skipped is None else redact(current.skipped),
                        float(current.duration_s),
                        int(current.passed),
                    ),
                )
                conn.executemany(
                    "INSERT INTO measurements (step_id, position, name, value, unit, low, high, expected, "
                    "passed) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            step_cursor.lastrowid,
                            index,
                            m.name,
                            _dumps(_redact_tree(m.value)),
                            m.unit,
                            m.low,
                            m.high,
                            None if m.expected is None else _dumps(m.expected),
                            int(m.passed),
                        )
                        for index, m in enumerate(current.measurements)
                    ],
                )
            if record.transcript:
                conn.execute(
                    "INSERT INTO transcripts (check_id, text) VALUES (?, ?)",
                    (check_id, redact(record.transcript)),
                )
            return check_id

    def finish_run(self, run_id: int, status: str) -> None:
        if status not in FINAL_STATUSES:
            raise ResultsDBError(
                f"finish_run({run_id}): status must be one of "
                f"{', '.join(sorted(FINAL_STATUSES))}, got {status!r}"
            )
        self._require_run(run_id)
        with self._write() as conn:
            conn.execute("UPDATE runs SET status=?, finished=? WHERE id=?", (status, time.time(), run_id))

    def set_rig_health(self, rig: str, health: str, reason: str = "", run_id: int | None = None) -> None:
        if health not in HEALTH_STATES:
            raise ResultsDBError(
                f"set_rig_health({rig!r}): health must be one of good, unknown, bad; got {health!r}"
            )
        with self._write() as conn:
            conn.execute(
                "INSERT INTO rig_health (rig, health, reason, updated, run_id) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (rig) DO UPDATE SET health=excluded.health, reason=excluded.reason, "
                "updated=excluded.updated, run_id=excluded.run_id",
                (rig, health, redact(reason), time.time(), run_id),
            )

    def mark_stale_runs(self) -> list[int]:
        """Runs left `running` by a process of this host that is gone → `interrupted`; their ids.

        A pid that now belongs to another process (its start time differs) counts as gone; runs
        of other hosts are left alone (we cannot see their processes).
        """
        host = socket.gethostname()
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, pid, pid_started FROM runs WHERE status='running' AND host=?", (host,)
            ).fetchall()
        stale = [run_id for run_id, pid, started in rows if not _process_alive(pid, started)]
        if stale:
            with self._write() as conn:
                for run_id in stale:
                    conn.execute(
                        "UPDATE runs SET status='interrupted', finished=COALESCE("
                        "(SELECT MAX(recorded) FROM checks WHERE run_id=?), started) "
                        "WHERE id=? AND status='running'",
                        (run_id, run_id),
                    )
        return stale

    # -- reading ---------------------------------------------------------------------------------

    def runs(self, limit: int = 50, suite: str | None = None) -> list[RunSummary]:
        """The newest runs first."""
        where, params = ("WHERE suite=?", [suite]) if suite else ("", [])
        with self._lock:
            rows = self._conn.execute(
                f"SELECT id, suite, source, started, finished, status, pid, host FROM runs {where} "
                "ORDER BY id DESC LIMIT ?",
                [*params, limit],
            ).fetchall()
            counts = self._counts([row[0] for row in rows])
        return [
            RunSummary(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                row[5],
                counts.get(row[0], RunCounts()),
                row[6],
                row[7],
            )
            for row in rows
        ]

    def run(self, run_id: int) -> RunSummary:
        with self._lock:
            row = self._conn.execute(
                "SELECT id, suite, source, started, finished, status, pid, host FROM runs WHERE id=?",
                (run_id,),
            ).fetchone()
            if row is None:
                raise self._unknown_run(run_id)
            counts = self._counts([run_id])
        return RunSummary(
            row[0], row[1], row[2], row[3], row[4], row[5], counts.get(run_id, RunCounts()), row[6], row[7]
        )

    def resolve_run(self, ref: str | int) -> int:
        """A run id from what a user typed: a number, `last`, or `last~N` (N runs before the last)."""
        text = str(ref).strip()
        with self._lock:
            if text.isdigit():
                run_id = int(text)
                if self._conn.execute("SELECT 1 FROM runs WHERE id=?", (run_id,)).fetchone() is None:
                    raise self._unknown_run(run_id)
                return run_id
            match = re.fullmatch(r"last(?:~(\d+))?", text)
            if match is None:
                raise UnknownRunError(f"run {text!r}: expected a run id (a number), 'last' or 'last~N'")
            back = int(match.group(1) or 0)
            row = self._conn.execute(
                "SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?", (back,)
            ).fetchone()
        if row is None:
            raise UnknownRunError(
                f"run {text!r}: {self.path} has {'no runs' if back == 0 else 'not that many runs'}"
            )
        return int(row[0])

    def load_run(self, run_id: int) -> RunData:
        """The run with its rigs and every record (all attempts), as CheckRecords again."""
        summary = self.run(run_id)
        with self._lock:
            argv_json, meta_json = self._conn.execute(
                "SELECT argv, meta FROM runs WHERE id=?", (run_id,)
            ).fetchone()
            rigs = [
                RigInfo(name, backend, board, dialect, iccid, json.loads(tags))
                for name, backend, board, dialect, iccid, tags in self._conn.execute(
                    "SELECT name, backend, board, dialect, iccid, tags FROM rigs "
                    "WHERE run_id=? ORDER BY rowid",
                    (run_id,),
                )
            ]
            checks = self._conn.execute(
                "SELECT c.id, rig, mode, check_name, round, attempt, subject, started, duration_s, "
                "failure_class, "
                "recorded, t.text FROM checks c LEFT JOIN transcripts t ON t.check_id = c.id "
                "WHERE run_id=? ORDER BY c.id",
                (run_id,),
            ).fetchall()
            steps = self._conn.execute(
                "SELECT s.id, s.check_id, s.name, s.error, s.skipped, s.duration_s FROM steps s "
                "JOIN checks c ON c.id = s.check_id WHERE c.run_id=? ORDER BY s.check_id, s.position",
                (run_id,),
            ).fetchall()
            measurements = self._conn.execute(
                "SELECT m.step_id, m.name, m.value, m.unit, m.low, m.high, m.expected FROM measurements m "
                "JOIN steps s ON s.id = m.step_id JOIN checks c ON c.id = s.check_id "
                "WHERE c.run_id=? ORDER BY m.step_id, m.position",
                (run_id,),
            ).fetchall()
        by_step: dict[int, list[Measurement]] = {}
        for step_id, name, value, unit, low, high, expected in measurements:
            by_step.setdefault(step_id, []).append(
                Measurement(
                    name,
                    json.loads(value),
                    unit,
                    low,
                    high,
                    None if expected is None else json.loads(expected),
                )
            )
        by_check: dict[int, list[Step]] = {}
        for step_id, check_id, name, error, skipped, duration in steps:
            by_check.setdefault(check_id, []).append(
                Step(name, by_step.get(step_id, []), error=error, skipped=skipped, duration_s=duration)
            )
        records = [
            StoredRecord(
                check_id,
                rig,
                mode,
                round_,
                attempt,
                CheckRecord(
                    check_name,
                    subject,
                    steps=by_check.get(check_id, []),
                    started=started,
                    duration_s=duration,
                    failure_class=failure_class,
                    transcript=transcript or "",
                ),
                recorded,
            )
            for (
                check_id,
                rig,
                mode,
                check_name,
                round_,
                attempt,
                subject,
                started,
                duration,
                failure_class,
                recorded,
                transcript,
            ) in checks
        ]
        return RunData(summary, json.loads(argv_json), json.loads(meta_json), rigs, records)

    def finished(self, run_id: int) -> set[tuple[str, str, str, int]]:
        """(rig, mode, check, round) of every result the run already has, for `--resume`.

        A result counts once any attempt of it was recorded: the runner retried what it wanted
        to retry before recording the last attempt.
        """
        self._require_run(run_id)
        with self._lock:
            rows = self._conn.execute(
                "SELECT DISTINCT rig, mode, check_name, round FROM checks WHERE run_id=?", (run_id,)
            ).fetchall()
        return {(rig, mode, check, round_) for rig, mode, check, round_ in rows}

    def rig_health(self, rig: str | None = None) -> dict[str, RigHealth]:
        """The last health of every rig (or of `rig`), by rig name."""
        query = "SELECT rig, health, reason, updated, run_id FROM rig_health"
        with self._lock:
            rows = self._conn.execute(
                query + (" WHERE rig=?" if rig else "") + " ORDER BY rig", (rig,) if rig else ()
            ).fetchall()
        return {row[0]: RigHealth(*row) for row in rows}

    def trend(self, suite: str | None = None, limit: int = 30) -> list[tuple[RunSummary, float | None]]:
        """Oldest first: each of the last `limit` runs with its mean time to attach (s), if any."""
        summaries = list(reversed(self.runs(limit=limit, suite=suite)))
        if not summaries:
            return []
        ids = [s.id for s in summaries]
        marks = ",".join("?" * len(ids))
        with self._lock:
            rows = self._conn.execute(
                "SELECT c.run_id, AVG(CAST(m.value AS REAL)) FROM measurements m "
                "JOIN steps s ON s.id = m.step_id "
                "JOIN checks c ON c.id = s.check_id "
                f"WHERE c.run_id IN ({marks}) AND c.check_name='attach' AND m.name='time_to_attach' "
                "GROUP BY c.run_id",
                ids,
            ).fetchall()
        attach = {run_id: mean for run_id, mean in rows}
        return [(s, attach.get(s.id)) for s in summaries]

    # -- internals -------------------------------------------------------------------------------

    def _counts(self, run_ids: Sequence[int]) -> dict[int, RunCounts]:
        if not run_ids:
            return {}
        marks = ",".join("?" * len(run_ids))
        rows = self._conn.execute(
            "SELECT c.run_id, c.passed, c.failure_class, c.attempt FROM checks c JOIN ("
            "  SELECT run_id, rig, mode, check_name, round, MAX(attempt) AS last FROM checks "
            f"  WHERE run_id IN ({marks})"
            "  GROUP BY run_id, rig, mode, check_name, round"
            ") f ON f.run_id=c.run_id AND f.rig=c.rig AND f.mode=c.mode AND f.check_name=c.check_name "
            "AND f.round=c.round AND f.last=c.attempt",
            list(run_ids),
        ).fetchall()
        tallies: dict[int, dict[str, Any]] = {}
        for run_id, passed, failure_class, attempt in rows:
            tally = tallies.setdefault(
                run_id, {"total": 0, "passed": 0, "failed": 0, "retried": 0, "by_class": {}}
            )
            tally["total"] += 1
            tally["retried"] += attempt > 1
            if passed:
                tally["passed"] += 1
            else:
                tally["failed"] += 1
                label = failure_class or "unclassified"
                tally["by_class"][label] = tally["by_class"].get(label, 0) + 1
        return {run_id: RunCounts(**tally) for run_id, tally in tallies.items()}

    def _require_run(self, run_id: int) -> None:
        with self._lock:
            if self._conn.execute("SELECT 1 FROM runs WHERE id=?", (run_id,)).fetchone() is None:
                raise self._unknown_run(run_id)

    def _unknown_run(self, run_id: int) -> UnknownRunError:
        last = self._conn.execute("SELECT MAX(id) FROM runs").fetchone()[0]
        known = "it has no runs" if last is None else f"its runs are numbered up to {last}"
        return UnknownRunError(f"run {run_id}: no such run in {self.path} ({known})")


def _dumps(value: Any) -> str:
    """JSON for a measurement value; what JSON cannot hold is kept as its text, not lost."""
    try:
        return json.dumps(value, allow_nan=True, default=str)
    except (TypeError, ValueError):
        return json.dumps(repr(value))


def _redact_tree(value: Any) -> Any:
    """Strings redacted, values under secret-looking keys replaced, everything else kept."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {
            str(k): (REDACTED if _SECRET_KEY.match(str(k)) and v is not None else _redact_tree(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact_tree(v) for v in value]
    return value


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None  # field 22 of stat; fields[0] is field 3


def _process_state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rfind(")") + 2 :].split()[0]


def _process_alive(pid: int, started: str | None) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if _process_state(pid) in ("Z", "X"):  # killed but not yet reaped by its parent
        return False
    current = _process_start(pid)
    return started is None or current is None or current == started
