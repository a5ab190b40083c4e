"""The pytest plugin end to end: real pytest sessions (subprocesses) on the virtual lab, their
records read back from the results DB, `hil report` over them, JUnit properties, pytest-xdist
workers each on a rig of their own, a failing test's transcript, and a plugin that stays idle."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from xml.etree import ElementTree

import pytest
from junitparser import JUnitXml

from hil.checks.base import MISSION_CHECKS
from hil.frontends.rigs import RigLock
from hil.records.db import ResultsDB, RunData

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "pytest"
SMOKE_CHECKS = set(MISSION_CHECKS) - {"firmware_boot"}  # examples/pytest/test_smoke.py: modem mode


def run_pytest(*args: str, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("HIL_FRONTEND_RUN_ID", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def only_run(db_path: Path) -> RunData:
    with ResultsDB(db_path) as db:
        runs = db.runs()
        assert len(runs) == 1, [(r.id, r.source, r.status) for r in runs]
        return db.load_run(runs[0].id)


def measurement(data: RunData, check: str, name: str) -> object:
    for stored in data.final_records():
        if stored.record.check == check:
            for step in stored.record.steps:
                for m in step.measurements:
                    if m.name == name:
                        return m.value
    raise AssertionError(f"no measurement {check}.{name} in run {data.run.id}")


def junit_properties(path: Path, test: str) -> dict[str, str]:
    """The <properties> of one <testcase> (junitparser reads cases, not their properties)."""
    root = ElementTree.parse(path).getroot()
    for case in root.iter("testcase"):
        if case.get("name") == test:
            return {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
    raise AssertionError(f"no testcase {test} in {path}")


def assert_no_rig_shared(data: RunData) -> None:
    """Each rig's records never overlap in time: one process at a time on a rig."""
    spans: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for stored in data.records:
        record = stored.record
        spans[stored.rig].append((record.started, record.started + record.duration_s, record.check))
    for rig, items in spans.items():
        items.sort()
        for (_start_a, end_a, check_a), (start_b, _end_b, check_b) in itertools.pairwise(items):
            assert start_b >= end_a - 0.001, (
                f"{rig}: {check_b} started at {start_b} before {check_a} ended {end_a}"
            )


def test_examples_on_the_virtual_lab_land_in_the_db_report_and_junit(tmp_path: Path) -> None:
    db_path, junit = tmp_path / "results.db", tmp_path / "junit.xml"
    result = run_pytest(
        str(EXAMPLES), "--lab", "virtual", "--results-db", str(db_path), "--junitxml", str(junit), "-q"
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "13 passed" in result.stdout, result.stdout[-2000:]

    data = only_run(db_path)
    assert (data.run.source, data.run.status) == ("pytest", "passed")
    checks = {stored.record.check for stored in data.final_records()}
    assert checks == {
        *SMOKE_CHECKS,
        "test_modem_and_cloud_agree_on_the_iccid",
        "test_flash_boot_and_first_uplink",
    }
    assert measurement(data, "attach", "stat") == 5
    assert 0 <= float(measurement(data, "attach", "time_to_attach")) <= 60  # type: ignore[arg-type]
    assert measurement(data, "test_flash_boot_and_first_uplink", "board") == "mps2-an385"
    assert measurement(data, "test_flash_boot_and_first_uplink", "coap_code") == "2.04"
    modes = {stored.record.check: stored.mode for stored in data.final_records()}
    assert modes["test_flash_boot_and_first_uplink"] == "firmware" and modes["attach"] == "modem"
    assert {rig.name for rig in data.rigs} == {"virtual-1"}

    report = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "hil"), "report", str(data.run.id), "--db", str(db_path), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert report.returncode == 0, report.stderr
    rendered = json.loads(report.stdout)
    assert rendered["run"]["source"] == "pytest" and rendered["run"]["counts"]["passed"] == 13
    html = tmp_path / "report.html"
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "hil"),
            "report",
            str(data.run.id),
            "--db",
            str(db_path),
            "--html",
            str(html),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert "test_flash_boot_and_first_uplink" in html.read_text()

    cases = {case.name for suite in JUnitXml.fromfile(str(junit)) for case in suite}
    assert {"test_attach", "test_flash_boot_and_first_uplink"} <= cases
    attach_props = junit_properties(junit, "test_attach")
    assert attach_props["attach.stat"] == "5" and attach_props["attach.passed"] == "True"
    assert attach_props["attach.time_to_attach"].endswith(" s")
    fw_props = junit_properties(junit, "test_flash_boot_and_first_uplink")
    assert fw_props["test_flash_boot_and_first_uplink.version"] == "0.1.0"


def test_xdist_workers_each_take_their_own_rig(tmp_path: Path) -> None:
    db_path = tmp_path / "results.db"
    result = run_pytest(
        str(EXAMPLES / "test_smoke.py"), "--lab", "virtual", "--results-db", str(db_path), "-n", "2", "-q"
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    data = only_run(db_path)  # the controller's one run, shared by both workers
    assert (data.run.source, data.run.status) == ("pytest", "passed")
    assert len(data.final_records()) == 12
    workers = {rig.name: rig.tags.get("worker") for rig in data.rigs}
    assert workers == {"virtual-1": "gw0", "virtual-2": "gw1"}, workers
    assert {stored.rig for stored in data.records} <= set(workers)
    assert_no_rig_shared(data)


FAILING = """
def test_sim_with_a_wrong_limit(hil_check):
    hil_check("sim_ready", limits={"iccid_digits": {"expected": 20}})

def test_plain(rig):
    assert rig.name == "virtual-1"
"""


def test_a_failing_check_fails_the_test_with_its_class_and_transcript(tmp_path: Path) -> None:
    (tmp_path / "test_failing.py").write_text(FAILING)
    db_path = tmp_path / "results.db"
    junit = str(tmp_path / "j.xml")
    result = run_pytest(
        str(tmp_path), "--lab", "virtual", "--results-db", str(db_path), "--junitxml", junit, cwd=tmp_path
    )
    assert result.returncode == 1, result.stdout[-3000:]
    out = result.stdout
    assert "check sim_ready on virtual-1 failed (sim)" in out
    assert "iccid_digits = 19 (expected 20)" in out
    assert "nce-hil transcript: sim_ready on virtual-1" in out and "> AT+CPIN?" in out, out[-3000:]
    data = only_run(db_path)
    assert data.run.status == "failed"
    by_check = {stored.record.check: stored.record for stored in data.final_records()}
    assert by_check["sim_ready"].failure_class == "sim" and not by_check["sim_ready"].passed
    assert by_check["test_plain"].passed  # a test with only a rig is recorded with its outcome


def test_the_plugin_stays_idle_in_sessions_that_do_not_use_it(tmp_path: Path) -> None:
    (tmp_path / "test_nothing.py").write_text("def test_one():\n    assert True\n")
    db_path = tmp_path / "results.db"
    env_db = tmp_path / "env.db"
    os.environ["HIL_RESULTS_DB"], saved = str(env_db), os.environ.get("HIL_RESULTS_DB")
    try:
        plain = run_pytest(str(tmp_path), "-q", cwd=tmp_path)
        with_options = run_pytest(
            str(tmp_path), "--lab", "virtual", "--results-db", str(db_path), cwd=tmp_path
        )
    finally:
        if saved is None:
            os.environ.pop("HIL_RESULTS_DB", None)
        else:
            os.environ["HIL_RESULTS_DB"] = saved
    assert plain.returncode == 0 and with_options.returncode == 0, plain.stdout + with_options.stdout
    assert not env_db.exists() and not db_path.exists()  # no run, no DB file
    assert "nce-hil: virtual lab" in with_options.stdout  # the header says where results would go


def test_a_real_rig_lock_is_held_by_one_process_at_a_time(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from hil.frontends.rigs import RigLock\n"
            f"lock = RigLock('bench-1', Path({str(tmp_path)!r}))\n"
            "assert lock.try_acquire(); print('held', flush=True); sys.stdin.readline()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        mine = RigLock("bench-1", tmp_path)
        assert not mine.try_acquire()  # another process has the rig
        assert RigLock("bench-2", tmp_path).try_acquire()  # another rig is free
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(timeout=30) == 0
        assert mine.try_acquire()  # the holder is gone: the OS dropped its lock
        mine.release()
    finally:
        if holder.poll() is None:
            holder.kill()


@pytest.mark.parametrize("marker", ['rig("wifi=yes")', 'rig("modem=quectel-x")'])
def test_a_rig_marker_nothing_matches_skips_with_the_reason(tmp_path: Path, marker: str) -> None:
    (tmp_path / "test_marked.py").write_text(
        f"import pytest\n\n@pytest.mark.{marker}\ndef test_x(rig):\n    pass\n"
    )
    result = run_pytest(
        str(tmp_path), "-rs", "--lab", "virtual", "--results-db", str(tmp_path / "r.db"), cwd=tmp_path
    )
    assert result.returncode == 0 and "1 skipped" in result.stdout, result.stdout[-2000:]
    assert "virtual rig" in result.stdout
