"""The results DB (hil/records/db.py): round trip, migrations, several writer processes, SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hil.records import CheckRecord, Measurement, Step
from hil.records.db import ResultsDB, ResultsDBError, SchemaError, UnknownRunError, default_db_path
from hil.records.migrations import LATEST_VERSION, MIGRATIONS, migrate
from hil.records.sample import record_sample_run, sample_results

ROOT = Path(__file__).resolve().parents[1]


def _writer(db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.db_writer", str(db), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _as_dict(record: CheckRecord) -> dict[str, object]:
    return record.to_json()


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    db = ResultsDB(tmp_path / "r.db")
    results = sample_results(rigs=3, rounds=2, fail_rate=0.2, seed=7)
    run_id = record_sample_run(db, results)
    data = db.load_run(run_id)
    assert [s.record.to_json() for s in data.records] == [r.record.to_json() for r in results]
    assert [(s.rig, s.mode, s.round, s.attempt) for s in data.records] == [
        (r.rig.name, r.mode, r.round, r.attempt) for r in results
    ]
    assert [rig.name for rig in data.rigs] == ["virtual-1", "virtual-2", "virtual-3"]
    assert data.rigs[1].dialect == "bg96" and data.rigs[1].tags == {"modem": "bg96"}
    # counts: the last attempt of each (rig, mode, check, round) decides
    final = data.final_records()
    assert data.run.counts.total == len(final) < len(results)  # some were retried
    assert data.run.counts.failed == sum(not s.record.passed for s in final)
    assert data.run.counts.retried == sum(s.attempt > 1 for s in final)
    assert sum(data.run.counts.by_class.values()) == data.run.counts.failed
    assert data.run.status == "failed" and data.run.finished is not None
    assert data.argv == ["hil", "run", "--sample"] and data.meta == {"sample": True}


def test_values_of_every_kind_survive(tmp_path: Path) -> None:
    db = ResultsDB(tmp_path / "r.db")
    run_id = db.start_run(suite="s", source="test")
    step = Step(
        "s",
        [
            Measurement("flag", True, expected=True),
            Measurement("int", 7, "B", low=0, high=10),
            Measurement("float", -97.5, "dBm", low=-120.0, high=-44.0),
            Measurement("text", "LTE-M"),
            Measurement("none", None),
            Measurement("list", [1, "a"]),
            Measurement("obj", {"k": [1.5]}),
            Measurement("bytes", b"\x01\x02"),  # not JSON: kept as its text
        ],
        skipped=None,
        duration_s=0.25,
    )
    skipped = Step("later", skipped="no SMS centre")
    record = CheckRecord(
        "mix", "rig", steps=[step, skipped], started=1.5, duration_s=2.0, failure_class="dut"
    )
    db.record(run_id, rig="rig", record=record)
    (stored,) = db.load_run(run_id).records
    values = {m.name: m.value for m in stored.record.steps[0].measurements}
    assert values == {
        "flag": True,
        "int": 7,
        "float": -97.5,
        "text": "LTE-M",
        "none": None,
        "list": [1, "a"],
        "obj": {"k": [1.5]},
        "bytes": "b'\\x01\\x02'",
    }
    assert stored.record.steps[1].skipped == "no SMS centre" and stored.record.steps[1].passed
    assert stored.record.failure_class == "dut" and stored.record.duration_s == 2.0


def test_secrets_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = ResultsDB(path)
    run_id = db.start_run(
        suite="s",
        source="test",
        argv=["hil", "run", "--psk", "TOPSECRETPSK1"],
        meta={"client_secret": "CS-42x"},
    )
    record = CheckRecord("device_auth", "rig")
    record.steps.append(
        Step("auth", [Measurement("reply", '{"psk": "PSKVALUE99"}')], error="Bearer abcdef0123456789")
    )
    record.transcript = (
        '> AT%CMNG=0,1111,3,"6B65796B6579"\n> AT+CPIN=4711\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.x'
    )
    db.record(run_id, rig="rig", record=record)
    db.set_rig_health("rig", "bad", reason="token=SEKRET77 rejected")
    db.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())  # the DB, WAL and shm files
    for secret in (
        b"TOPSECRETPSK1",
        b"CS-42x",
        b"PSKVALUE99",
        b"abcdef0123456789",
        b"6B65796B6579",
        b"4711",
        b"eyJhbGciOiJIUzI1NiJ9",
        b"SEKRET77",
    ):
        assert secret not in raw, secret
    data = ResultsDB(path).load_run(run_id)
    assert data.argv == ["hil", "run", "--psk", "<redacted>"]
    assert data.meta == {"client_secret": "<redacted>"}
    assert "AT%CMNG=0,1111,3,<redacted>" in data.records[0].record.transcript


def test_migrates_a_version_1_db_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, str(path), target=1) == 0
    conn.execute(
        "INSERT INTO runs (id, suite, source, argv, meta, started, finished, status, pid, host) "
        "VALUES (1, 'smoke', 'hil run', '[]', '{}', 100.0, 160.0, 'passed', 1, 'lab')"
    )
    conn.execute("INSERT INTO rigs VALUES (1, 'r1', 'local', 'nrf9160dk', 'nrf91', '8988', '{}')")
    conn.execute(
        "INSERT INTO checks (id, run_id, rig, mode, check_name, round, attempt, subject, started, "
        "duration_s, "
        "passed, failure_class) VALUES (1, 1, 'r1', 'modem', 'attach', 1, 1, 'r1', 110.0, 12.5, 1, NULL)"
    )
    conn.execute("INSERT INTO steps VALUES (1, 1, 0, 'attach', NULL, NULL, 12.5, 1)")
    conn.execute("INSERT INTO measurements VALUES (1, 1, 0, 'time_to_attach', '12.5', 's', 0, 120, NULL, 1)")
    conn.close()

    db = ResultsDB(path)
    assert db.migrated_from == 1 and db.schema_version == LATEST_VERSION
    data = db.load_run(1)
    (stored,) = data.records
    assert stored.record.steps[0].measurements[0] == Measurement("time_to_attach", 12.5, "s", 0, 120)
    assert stored.recorded == 122.5  # filled in by migration 2 (started + duration)
    db.set_rig_health("r1", "good")  # a table migration 2 added
    assert db.rig_health()["r1"].health == "good"
    assert [row.version for row in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))


def test_refuses_a_db_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    ResultsDB(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (?, 0, 'from the future')", (LATEST_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(
        SchemaError, match=rf"schema version {LATEST_VERSION + 1} is newer .* \(up to {LATEST_VERSION}\)"
    ):
        ResultsDB(path)


def test_not_a_db_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some text, not SQLite\n" * 100)
    with pytest.raises(ResultsDBError, match=r"notes.txt: not a usable results DB"):
        ResultsDB(path)
    assert path.read_text().startswith("just some text")  # untouched


def test_bad_calls_say_what_was_expected(tmp_path: Path) -> None:
    db = ResultsDB(tmp_path / "r.db")
    with pytest.raises(UnknownRunError, match=r"run 9: no such run .* \(it has no runs\)"):
        db.record(9, rig="r", record=CheckRecord("attach", "r"))
    run_id = db.start_run(suite="s", source="t")
    with pytest.raises(
        ResultsDBError, match=r"status must be one of error, failed, interrupted, passed, got 'ok'"
    ):
        db.finish_run(run_id, "ok")
    with pytest.raises(ResultsDBError, match=r"health must be one of good, unknown, bad; got 'fine'"):
        db.set_rig_health("r", "fine")
    with pytest.raises(ResultsDBError, match=r"round and attempt start at 1"):
        db.record(run_id, rig="r", record=CheckRecord("attach", "r"), round=0)
    with pytest.raises(UnknownRunError, match=r"expected a run id \(a number\), 'last' or 'last~N'"):
        db.resolve_run("yesterday")
    assert db.resolve_run("last") == run_id == db.resolve_run(str(run_id))
    with pytest.raises(UnknownRunError, match="not that many runs"):
        db.resolve_run("last~1")
    assert db.run(run_id).status == "running"  # nothing half-done by the refused calls


def test_finished_and_resume(tmp_path: Path) -> None:
    db = ResultsDB(tmp_path / "r.db")
    run_id = db.start_run(suite="smoke", source="hil run")
    db.record(run_id, rig="a", record=CheckRecord("attach", "a"), mode="modem", round=1)
    db.record(run_id, rig="a", record=CheckRecord("signal", "a"), mode="firmware", round=2, attempt=1)
    db.record(run_id, rig="a", record=CheckRecord("signal", "a"), mode="firmware", round=2, attempt=2)
    assert db.finished(run_id) == {("a", "modem", "attach", 1), ("a", "firmware", "signal", 2)}
    db.finish_run(run_id, "interrupted")
    db.resume_run(run_id)
    assert db.run(run_id).status == "running" and db.run(run_id).pid == os.getpid()
    assert db.mark_stale_runs() == []  # we are alive


def test_default_db_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HIL_RESULTS_DB", raising=False)
    assert default_db_path() == Path("hil-results/results.db")
    monkeypatch.setenv("HIL_RESULTS_DB", str(tmp_path / "x.db"))
    assert default_db_path() == tmp_path / "x.db"


def test_trend_and_runs_listing(tmp_path: Path) -> None:
    db = ResultsDB(tmp_path / "r.db")
    ids = [record_sample_run(db, sample_results(rigs=2, seed=seed, fail_rate=0.1)) for seed in (1, 2, 3)]
    listed = db.runs()
    assert [r.id for r in listed] == ids[::-1]
    trend = db.trend()
    assert [s.id for s, _ in trend] == ids
    for summary, attach in trend:
        data = db.load_run(summary.id)
        times = [
            m.value
            for s in data.records
            if s.record.check == "attach"
            for m in s.record.steps[0].measurements
            if m.name == "time_to_attach"
        ]
        assert attach == pytest.approx(sum(times) / len(times))


def test_several_writer_processes_share_one_db(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    db = ResultsDB(path)
    shared_run = db.start_run(suite="xdist", source="pytest")
    writers = [
        _writer(path, "--records", "120", "--run", str(shared_run), "--rig", f"w{i}") for i in range(4)
    ]
    writers += [_writer(path, "--records", "60", "--rig", f"own{i}") for i in range(2)]
    reads = 0
    while any(w.poll() is None for w in writers):  # a reader alongside never blocks them
        db.runs()
        reads += 1
        time.sleep(0.01)
    for writer in writers:
        _out, err = writer.communicate(timeout=60)
        assert writer.returncode == 0, err
    data = db.load_run(shared_run)
    assert len(data.records) == 480
    assert {
        rig: sum(s.rig == rig for s in data.records) for rig in ("w0", "w1", "w2", "w3")
    } == dict.fromkeys(("w0", "w1", "w2", "w3"), 120)
    own = [r for r in db.runs() if r.suite == "writer"]
    assert len(own) == 2 and all(r.status == "passed" and r.counts.total == 60 for r in own)
    assert db._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert reads > 0


def test_sigkill_mid_run_keeps_every_committed_record(tmp_path: Path) -> None:
    path = tmp_path / "kill.db"
    writer = _writer(path, "--records", "100000")
    assert writer.stdout is not None
    run_line = writer.stdout.readline()
    assert run_line.startswith("run "), run_line + (writer.stderr.read() if writer.stderr else "")
    run_id = int(run_line.split()[1])
    committed = 0
    deadline = time.monotonic() + 30
    while committed < 50 and time.monotonic() < deadline:
        committed = int(writer.stdout.readline().split()[1])
    assert committed == 50
    os.kill(writer.pid, signal.SIGKILL)  # while it is still writing
    writer.wait(timeout=10)
    assert writer.returncode == -signal.SIGKILL
    remainder = writer.stdout.read().split()  # lines it printed before dying
    if remainder:
        committed = int(remainder[-1])

    db = ResultsDB(path)
    assert db.run(run_id).status == "running"
    assert db.mark_stale_runs() == [run_id]
    data = db.load_run(run_id)
    assert data.run.status == "interrupted"
    assert data.run.finished is not None
    # every record it reported committed is there, and no record is half-written
    assert len(data.records) >= committed
    assert len(data.records) <= committed + 1  # at most the one committed before it could print
    for stored in data.records:
        assert len(stored.record.steps) == 1 and stored.record.steps[0].measurements
        assert stored.record.transcript
    assert db._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert {key[3] for key in db.finished(run_id)} >= {1}
    assert db.mark_stale_runs() == []  # once is enough


def test_a_reused_pid_does_not_keep_a_run_alive(tmp_path: Path) -> None:
    db = ResultsDB(tmp_path / "r.db")
    run_id = db.start_run(suite="s", source="t")
    # the run claims our pid, but a different process start time: the pid was reused
    db._conn.execute("UPDATE runs SET pid_started='1' WHERE id=?", (run_id,))
    assert db.mark_stale_runs() == [run_id]
    assert db.run(run_id).status == "interrupted"


def test_meta_json_is_plain_json(tmp_path: Path) -> None:
    db = ResultsDB(tmp_path / "r.db")
    run_id = db.start_run(
        suite="s", source="t", meta={"rigs": 16, "tags": {"rat": "nb-iot"}, "limits": [1.5]}
    )
    raw = db._conn.execute("SELECT meta FROM runs WHERE id=?", (run_id,)).fetchone()[0]
    assert json.loads(raw) == {"rigs": 16, "tags": {"rat": "nb-iot"}, "limits": [1.5]}
