"""A `hil run` killed with SIGKILL mid-run keeps every finished record; the run shows as
interrupted and `--resume` finishes it without redoing what it has."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from hil.cli.main import SUBCOMMANDS
from hil.records.db import ResultsDB
from tests.test_run import HIL, explain, hil_command, hil_env, only_run, run_hil, write_suite

ROUNDS = 8
RIGS = 2
CHECKS = 3  # the quick suite


def _records_in(db: Path) -> int:
    if not db.exists():
        return 0
    with ResultsDB(db) as results:
        runs = results.runs()
        return len(results.load_run(runs[0].id).records) if runs else 0


def _wait_for_records(process: subprocess.Popen[str], db: Path, count: int, before: str) -> None:
    """Until the running `hil run` has committed `count` records (at most 120 s)."""
    deadline = time.monotonic() + 120
    while _records_in(db) < count:
        assert process.poll() is None, f"hil run ended before {before}: {process.communicate()}"
        assert time.monotonic() < deadline, f"no {count} records within 120 s"
        time.sleep(0.05)


def test_sigkill_then_resume_finishes_without_redoing(tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    suite = write_suite(tmp_path)
    args = ["--rigs", str(RIGS), "--mode", "modem", "--suite", str(suite), "--repeat", str(ROUNDS)]
    process = subprocess.Popen(
        [HIL, "run", *args, "--no-report"],
        env=hil_env(db),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_records(process, db, 4, "it was killed")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    with ResultsDB(db) as results:
        run_id = results.runs()[0].id
        before = results.load_run(run_id).records
    total = ROUNDS * RIGS * CHECKS
    assert 4 <= len({s.key for s in before}) < total, "the kill should land mid-run"

    listed = hil_command(db, "runs", "--json") if "runs" in SUBCOMMANDS else None
    if listed is not None:
        assert listed.returncode == 0, explain(listed)
        assert '"interrupted"' in listed.stdout, explain(listed)
    else:
        with ResultsDB(db) as results:
            results.mark_stale_runs()
    with ResultsDB(db) as results:
        assert results.run(run_id).status == "interrupted"
    if "report" in SUBCOMMANDS:
        report = hil_command(db, "report", str(run_id), "--json")
        assert report.returncode in (0, 1), explain(report)
        document = json.loads(report.stdout)
        assert document["run"]["status"] == "interrupted"
        reported = {(r["rig"], r["mode"], r["check"], r["round"]) for r in document["results"]}
        assert {s.key for s in before} <= reported, "a finished record is missing from hil report"

    # Options that decide the plan come from the run itself.
    refused = run_hil(db, "--resume", str(run_id), "--rigs", "5")
    assert refused.returncode == 2 and "--rigs" in refused.stderr, explain(refused)

    resumed = run_hil(db, "--resume", str(run_id), "--no-report")
    assert resumed.returncode == 0, explain(resumed)
    data = only_run(db)
    assert data.run.id == run_id and data.run.status == "passed"
    after = data.records
    # The records from before the kill are untouched: same ids, same contents.
    by_id = {s.id: s for s in after}
    for old in before:
        new = by_id[old.id]
        assert (new.key, new.attempt, new.record.passed, new.recorded) == (
            old.key,
            old.attempt,
            old.record.passed,
            old.recorded,
        )
    # Nothing was redone: every (rig, mode, check, round, attempt) once, every planned key there.
    attempts = [(*s.key, s.attempt) for s in after]
    assert len(attempts) == len(set(attempts))
    keys = {s.key for s in after}
    assert len(keys) == total
    redone = {s.key for s in after if s.id not in {o.id for o in before}} & {o.key for o in before}
    assert not redone, f"redone after resume: {sorted(redone)}"


def test_sigint_finishes_the_current_check_and_marks_the_run_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    suite = write_suite(tmp_path)
    process = subprocess.Popen(
        [
            HIL,
            "run",
            "--rigs",
            "1",
            "--mode",
            "modem",
            "--suite",
            str(suite),
            "--repeat",
            "50",
            "--no-report",
        ],
        env=hil_env(db),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_records(process, db, 2, "SIGINT")
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode == 1, f"{stdout}\n{stderr}"
    data = only_run(db)
    assert data.run.status == "interrupted"
    assert 2 <= len(data.records) < 50 * CHECKS
    assert f"resume with: hil run --resume {data.run.id}" in stdout
