"""`hil run` through the real CLI on the virtual lab: the default job, parallel rigs, faults,
retries, quarantine, and configuration errors that stop everything before it starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from hil.checks.base import MODES, TRANSIENT_CLASSES
from hil.records import CheckRecord, Step
from hil.records.db import ResultsDB, RunData
from hil.run.events import CheckFinished, CheckStarted, HealthChecked, RigPlanned, RigQuarantined, RunStarted
from hil.run.plan import PlanError, parse_faults, parse_until
from hil.run.progress import LiveProgress, plain_line

HIL = str(Path(sys.executable).with_name("hil"))
CLI_TIMEOUT_S = 240

QUICK_SUITE = """\
suite: quick
description: three fast modem-mode checks for the runner's tests
checks:
  - check: sim_ready
    modes: [modem]
  - check: attach
    modes: [modem]
  - check: signal
    modes: [modem]
"""


def write_suite(tmp_path: Path, text: str = QUICK_SUITE, name: str = "quick.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def hil_env(db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["HIL_RESULTS_DB"] = str(db)
    env.pop("HIL_RIGS_FILE", None)
    env["COLUMNS"] = "200"
    return env


def run_hil(db: Path, *args: str, timeout: float = CLI_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """`hil run ARGS` with stdout a pipe (plain output), the DB at `db`."""
    return hil_command(db, "run", *args, timeout=timeout)


def hil_command(db: Path, *args: str, timeout: float = CLI_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """`hil ARGS` with stdout a pipe (plain output), the DB at `db`."""
    return subprocess.run(
        [HIL, *args],
        env=hil_env(db),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=db.parent,
    )


def explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def only_run(db: Path) -> RunData:
    with ResultsDB(db) as results:
        runs = results.runs()
        assert len(runs) == 1, f"expected one run in {db}, found {[r.id for r in runs]}"
        return results.load_run(runs[0].id)


def no_runs(db: Path) -> bool:
    if not db.exists():
        return True
    with ResultsDB(db) as results:
        return not results.runs()


def test_default_run_is_the_smoke_suite_in_both_modes_and_ends_green(tmp_path: Path) -> None:
    from hil.checks.suite import builtin_suite

    db = tmp_path / "results.db"
    result = run_hil(db, "--db", str(db))
    assert result.returncode == 0, explain(result)
    data = only_run(db)
    assert data.run.status == "passed"
    report = tmp_path / f"run-{data.run.id}.html"
    assert report.is_file() and report.stat().st_size > 0
    assert f"report: {report}" in result.stdout.replace("\n", "") or str(report.name) in result.stdout
    smoke = builtin_suite("smoke")
    recorded = {(s.mode, s.record.check) for s in data.final_records()}
    for mode in MODES:
        expected = {(mode, entry.check) for entry in smoke.for_mode(mode)}
        assert expected, f"the smoke suite has no {mode}-mode checks"
        assert expected <= recorded, f"missing in {mode} mode: {sorted(expected - recorded)}"
    assert all(s.record.passed for s in data.final_records())


def test_three_rigs_run_in_parallel(tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    suite = write_suite(tmp_path)
    result = run_hil(db, "--rigs", "3", "--mode", "modem", "--suite", str(suite), "--no-report")
    assert result.returncode == 0, explain(result)
    data = only_run(db)
    assert {r.name for r in data.rigs} == {"virtual-1", "virtual-2", "virtual-3"}
    spans: dict[str, list[tuple[float, float]]] = {}
    for stored in data.records:
        start = stored.record.started
        spans.setdefault(stored.rig, []).append((start, start + stored.record.duration_s))
    assert set(spans) == {"virtual-1", "virtual-2", "virtual-3"}
    # Each rig's checks ran while the other rigs' checks were running: the rigs' whole spans overlap.
    windows = {rig: (min(s for s, _ in v), max(e for _, e in v)) for rig, v in spans.items()}
    latest_start = max(w[0] for w in windows.values())
    earliest_end = min(w[1] for w in windows.values())
    assert latest_start < earliest_end, f"the rigs ran one after another: {windows}"
    # Plain progress (stdout is a pipe): one line per check.
    assert "virtual-2 modem attach 1: PASS" in result.stdout


def test_cloud_down_rig_is_quarantined_while_the_others_finish_green(tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    suite = write_suite(tmp_path)
    result = run_hil(
        db,
        "--rigs",
        "2",
        "--mode",
        "modem",
        "--suite",
        str(suite),
        "--repeat",
        "3",
        "--quarantine-after",
        "2",
        "--fault",
        "virtual-2=cloud_down",
        "--json",
        "--no-report",
    )
    assert result.returncode == 1, explain(result)
    summary = json.loads(result.stdout)
    assert summary["status"] == "failed"
    rigs = {r["name"]: r for r in summary["rigs"]}
    assert rigs["virtual-1"]["state"] == "finished"
    assert rigs["virtual-2"]["state"] == "quarantined"
    assert "infra failures in a row" in rigs["virtual-2"]["reason"]
    assert rigs["virtual-2"]["not_run"] > 0
    data = only_run(db)
    good = [s for s in data.final_records() if s.rig == "virtual-1"]
    assert len(good) == 3 * 3 and all(s.record.passed for s in good)
    bad = [s for s in data.final_records() if s.rig == "virtual-2"]
    assert bad and [s.record.failure_class for s in bad][-2:] == ["infra", "infra"]
    # infra is transient: each infra result was tried twice before it counted.
    assert all(s.attempt == 2 for s in bad if s.record.failure_class == "infra")
    with ResultsDB(db) as results:
        health = results.rig_health()
    assert health["virtual-2"].health == "bad" and "quarantined" in health["virtual-2"].reason
    assert health["virtual-1"].health == "good"


def test_registration_denied_is_a_network_failure_retried_once(tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    suite = write_suite(tmp_path)
    result = run_hil(
        db,
        "--mode",
        "modem",
        "--suite",
        str(suite),
        "--fault",
        "virtual-1=registration_denied",
        "--no-report",
    )
    assert result.returncode == 1, explain(result)
    data = only_run(db)
    attach = [s for s in data.records if s.record.check == "attach"]
    assert [s.attempt for s in attach] == [1, 2]
    assert {s.record.failure_class for s in attach} == {"network"}
    assert "network" in TRANSIENT_CLASSES
    assert "virtual-1 modem attach 1: FAIL (network)" in result.stdout


def test_a_modem_reboot_is_a_dut_failure_and_not_retried(tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    suite = write_suite(tmp_path)
    result = run_hil(
        db,
        "--mode",
        "modem",
        "--suite",
        str(suite),
        "--fault",
        "virtual-1=modem_reboot",
        "--no-report",
        "--json",
    )
    assert result.returncode == 1, explain(result)
    data = only_run(db)
    attach = [s for s in data.records if s.record.check == "attach"]
    assert len(attach) == 1 and attach[0].attempt == 1, "a dut failure must not be retried"
    assert attach[0].record.failure_class == "dut"
    assert "dut" not in TRANSIENT_CLASSES
    assert all(s.record.passed for s in data.records if s.record.check != "attach")
    records = json.loads(result.stdout)["records"]
    assert [(r["check"], r["failure_class"]) for r in records if not r["passed"]] == [("attach", "dut")]


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("unknown-check.yaml", QUICK_SUITE.replace("check: signal", "check: signul"), 8),
        ("bad-limits.yaml", QUICK_SUITE + "    limits:\n      rssi: {low: 5, high: 1}\n", 11),
    ],
)
def test_a_bad_suite_file_is_a_usage_error_and_nothing_runs(
    tmp_path: Path, name: str, text: str, line: int
) -> None:
    db = tmp_path / "results.db"
    suite = write_suite(tmp_path, text, name)
    result = run_hil(db, "--mode", "modem", "--suite", str(suite))
    assert result.returncode == 2, explain(result)
    assert f"{suite}:{line}" in result.stderr and "expected" in result.stderr, explain(result)
    assert no_runs(db)


def test_a_bad_rig_file_is_a_usage_error_and_nothing_runs(tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    rigs = tmp_path / "rigs.yaml"
    rigs.write_text(
        "rigs:\n  - name: bench-1\n    backend: local\n    dialect: nokia3310\n", encoding="utf-8"
    )
    result = run_hil(db, "--rigs-file", str(rigs), "--mode", "modem", "--suite", str(write_suite(tmp_path)))
    assert result.returncode == 2, explain(result)
    assert f"{rigs}:4" in result.stderr, explain(result)
    assert no_runs(db)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fault", "virtual-9=cloud_down"], "no rig 'virtual-9'"),
        (["--fault", "virtual-1=meteor"], "unknown fault 'meteor'"),
        (["--until", "25:00"], "not a time of day"),
        (["--rigs", "2", "--rig", "bench-1"], "one or the other"),
        (["--suite", "nightly"], "no built-in suite 'nightly'"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    db = tmp_path / "results.db"
    result = run_hil(db, "--mode", "modem", *args)
    assert result.returncode == 2, explain(result)
    assert message in result.stderr.replace("\n", " "), explain(result)
    assert no_runs(db)


def test_until_and_fault_parsing() -> None:
    import datetime as dt

    now = dt.datetime(2025, 6, 1, 23, 0)
    assert dt.datetime.fromtimestamp(parse_until("06:30", now=now)) == dt.datetime(2025, 6, 2, 6, 30)
    assert dt.datetime.fromtimestamp(parse_until("23:30", now=now)) == dt.datetime(2025, 6, 1, 23, 30)
    with pytest.raises(PlanError, match="in the past"):
        parse_until("2001-01-01T00:00")
    faults = parse_faults(
        ["virtual-2=cloud_down", "virtual-2=sim_missing"], ["virtual-1", "virtual-2"], "virtual"
    )
    assert faults == {"virtual-2": ("cloud_down", "sim_missing")}
    with pytest.raises(PlanError, match="only be injected into virtual rigs"):
        parse_faults(["bench-1=cloud_down"], ["bench-1"], "local")


def test_progress_lines_and_a_narrow_live_display() -> None:
    record = CheckRecord("attach", "virtual-2", steps=[Step("attach", error="denied")], duration_s=1.25)
    record.failure_class = "network"
    finished = CheckFinished("virtual-2", "modem", "attach", 1, 1, record, True)
    assert plain_line(finished) == "virtual-2 modem attach 1: FAIL (network) 1.25 s, retrying"
    console = Console(width=12, force_terminal=True, record=True)
    live = LiveProgress(console)
    live(RunStarted(7, ("virtual-1", "virtual-2"), ("modem",), 6, 0, False))
    live(RigPlanned("virtual-2", 3, 0))
    live(HealthChecked("virtual-2", "modem", 1, "good", "the modem answers AT", None))
    live(CheckStarted("virtual-2", "modem", "attach", 1, 1))
    live(finished)
    live(
        RigQuarantined(
            "virtual-2", "quarantined after 3 infra failures in a row; the last: a very long reason"
        )
    )
    console.print(live._render())  # a 12-column terminal: cut short, never an exception
    text = console.export_text()
    assert "virtual" in text
    assert max(len(line) for line in text.splitlines()) <= 12


def test_a_local_rig_from_the_rig_file_selected_by_tag(tmp_path: Path) -> None:
    """The local wiring: a rig file's rig (here a simulated modem on a real TCP port, standing in
    for a USB modem), picked by --tag, brought up by its board state machine, health-checked over AT."""
    from hil.virtual.modem_sim import ModemSimulator

    db = tmp_path / "results.db"
    suite = write_suite(
        tmp_path, "suite: signal-only\ndescription: x\nchecks:\n  - check: signal\n    modes: [modem]\n"
    )
    with ModemSimulator("bg95", time_scale=0.01, name="bench-1") as simulator:
        url = simulator.start_tcp()
        rigs = tmp_path / "rigs.yaml"
        rigs.write_text(
            "rigs:\n"
            f"  - name: bench-1\n    backend: local\n    modem_port: {url}\n    dialect: bg95\n"
            "    tags: {modem: bg95}\n"
            f"  - name: bench-2\n    backend: local\n    modem_port: {url}\n    dialect: nrf91\n"
            "    tags: {modem: nrf91}\n",
            encoding="utf-8",
        )
        result = run_hil(
            db,
            "--rigs-file",
            str(rigs),
            "--tag",
            "modem=bg95",
            "--mode",
            "modem",
            "--suite",
            str(suite),
            "--json",
        )
    assert result.returncode == 0, explain(result)
    data = only_run(db)
    assert [(r.name, r.backend) for r in data.rigs] == [("bench-1", "local")]
    assert [(s.rig, s.record.check, s.record.passed) for s in data.records] == [("bench-1", "signal", True)]
    with ResultsDB(db) as results:
        assert results.rig_health()["bench-1"].health == "good"
    assert json.loads(result.stdout)["report"].endswith(f"run-{data.run.id}.html")


def test_a_dead_console_in_firmware_mode_is_infra_and_quarantines_the_rig(tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    result = run_hil(
        db,
        "--mode",
        "firmware",
        "--fault",
        "virtual-1=console_dead",
        "--quarantine-after",
        "2",
        "--no-report",
    )
    assert result.returncode == 1, explain(result)
    data = only_run(db)
    failed = [s for s in data.final_records() if not s.record.passed]
    assert failed and all(s.record.failure_class == "infra" for s in failed), [
        (s.record.check, s.record.failure_class) for s in failed
    ]
    assert "virtual-1: QUARANTINED: quarantined after 2 infra failures in a row" in result.stdout
    with ResultsDB(db) as results:
        assert results.rig_health()["virtual-1"].health == "bad"
