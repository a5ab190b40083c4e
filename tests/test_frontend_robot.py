"""The Robot Framework library end to end: `robot` and `pabot` (real subprocesses) over the
example suites on virtual rigs, their records read back from the results DB (one run, no rig
used by two processes at once), and libdoc building the keyword documentation."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from hil.records.db import ResultsDB, RunData

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "robot"
BIN = Path(sys.executable).parent


def run_tool(tool: str, *args: str, db: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HIL_RESULTS_DB": str(db), "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("HIL_FRONTEND_RUN_ID", None)
    return subprocess.run(
        [str(BIN / tool), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def only_run(db_path: Path) -> RunData:
    with ResultsDB(db_path) as db:
        runs = db.runs()
        assert len(runs) == 1, [(r.id, r.source, r.status) for r in runs]
        return db.load_run(runs[0].id)


def spans_by_rig(data: RunData) -> dict[str, list[tuple[float, float, str]]]:
    spans: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for stored in data.records:
        record = stored.record
        spans[stored.rig].append((record.started, record.started + record.duration_s, record.check))
    return {rig: sorted(items) for rig, items in spans.items()}


def assert_no_rig_shared(data: RunData) -> None:
    for rig, items in spans_by_rig(data).items():
        for (_start_a, end_a, check_a), (start_b, _end_b, check_b) in itertools.pairwise(items):
            assert start_b >= end_a - 0.001, (
                f"{rig}: {check_b} started at {start_b} before {check_a} ended {end_a}"
            )


def assert_rigs_overlap_in_time(data: RunData) -> None:
    """Several rigs busy at the same time: the processes really ran in parallel."""
    spans = [(items[0][0], items[-1][1]) for items in spans_by_rig(data).values()]
    assert any(a[0] < b[1] and b[0] < a[1] for a, b in itertools.combinations(spans, 2)), spans


def test_robot_runs_the_examples_on_one_default_rig(tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    result = run_tool("robot", "--outputdir", str(tmp_path / "out"), str(EXAMPLES), db=db, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "12 tests, 12 passed, 0 failed" in result.stdout
    data = only_run(db)
    assert (data.run.source, data.run.status) == ("robot", "passed")
    assert {rig.name for rig in data.rigs} == {"virtual-1"}
    checks = {stored.record.check for stored in data.final_records()}
    assert {"sim_ready", "attach", "sms_mo", "sms_mt", "uplink_udp", "uplink_coap", "device_auth"} <= checks
    assert {"flash_firmware", "console_should_show", "downlink", "signal", "apn"} <= checks
    modes = {(stored.record.check, stored.mode) for stored in data.final_records()}
    assert ("console_should_show", "firmware") in modes and ("attach", "modem") in modes
    uplink = next(
        s.record for s in data.final_records() if s.record.check == "uplink_udp" and s.mode == "modem"
    )
    assert any(
        m.name == "decoded_matches" and m.value is True for step in uplink.steps for m in step.measurements
    )


def test_pabot_spreads_the_suites_over_rigs_one_process_per_rig(tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    result = run_tool(
        "pabot", "--processes", "4", "--outputdir", str(tmp_path / "out"), str(EXAMPLES), db=db, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    data = only_run(db)  # every pabot process records into the one run PabotLib shares
    assert (data.run.source, data.run.status) == ("robot", "passed")
    used = {stored.rig for stored in data.records}
    assert len(used) >= 2 and used <= {f"virtual-{n}" for n in range(1, 5)}, used
    assert_no_rig_shared(data)
    assert_rigs_overlap_in_time(data)


def test_pabot_with_the_value_set_file(tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    suites = [
        str(EXAMPLES / "sms.robot"),
        str(EXAMPLES / "uplinks.robot"),
        str(EXAMPLES / "sim_and_network.robot"),
    ]
    result = run_tool(
        "pabot",
        "--processes",
        "3",
        "--resourcefile",
        str(EXAMPLES / "rigs.dat"),
        "--outputdir",
        str(tmp_path / "out"),
        *suites,
        db=db,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    data = only_run(db)
    assert data.run.status == "passed"
    assert {stored.rig for stored in data.records} <= {f"virtual-{n}" for n in range(1, 5)}
    assert_no_rig_shared(data)


def test_libdoc_builds_the_keyword_documentation(tmp_path: Path) -> None:
    out = tmp_path / "hil-robot.html"
    result = subprocess.run(
        [sys.executable, "-m", "robot.libdoc", "hil.robot", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    html = out.read_text()
    for keyword in (
        "Attach Modem",
        "Send SMS From Device",
        "Uplink Should Decode To",
        "Bootstrap Should Return PSK",
        "Console Should Show",
        "Open Rig",
    ):
        assert keyword in html, keyword
