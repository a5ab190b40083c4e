"""Benchmark: what the front ends cost per check, and what pabot gains over several rigs.

1. Per check, the same check (default `signal`, cheap: two AT commands) on the same kind of
   virtual rig, N times each, median wall time:
   - direct: `run_check(name, ctx)` in a loop (and `run_check` + `ResultsDB.record`, what `hil run`
     does per check, for scale);
   - pytest: a generated test file of N tests `hil_check(name)` run by `pytest --lab virtual`; a
     test's time is pytest's setup + call + teardown of it (the plugin's fixtures, the DB commit,
     JUnit properties, pytest's own per-test work);
   - Robot: a generated suite of N test cases `Check Should Pass    name`; a test's time is its
     elapsed time in output.xml.
   The first test of each (the rig opening) is left out; overhead = median / direct median - 1.
2. pabot: 4 generated suites (a full modem-mode smoke each) with `--processes 1` and then 4,
   each process on its own virtual rig; wall time of each and the speed-up.

Run: .venv/bin/python bench/frontends/run.py [--check signal] [--runs 200] [--suites 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hil.checks.base import (  # noqa: E402
    MISSION_CHECKS,
    CheckContext,
    run_check,
)
from hil.records.db import ResultsDB  # noqa: E402
from hil.rig.backends.virtual import VirtualLab  # noqa: E402

BIN = Path(sys.executable).parent
# The modem-mode smoke checks that need no extra parameters, in suite order.
SMOKE = tuple(c for c in MISSION_CHECKS if c not in ("firmware_boot", "downlink", "data_usage"))

TIMING_PLUGIN = """
import json, os
_durations = {}

def pytest_runtest_logreport(report):
    _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration

def pytest_sessionfinish(session):
    with open(os.environ["BENCH_TIMES"], "w") as out:
        json.dump(_durations, out)
"""


def direct(check: str, runs: int, db_path: Path) -> tuple[list[float], list[float]]:
    plain: list[float] = []
    recorded: list[float] = []
    with VirtualLab(rigs=1) as lab, lab.open_rig(lab.spec(0)) as rig, ResultsDB(db_path) as db:
        run_id = db.start_run("bench", "bench")
        state: dict[str, object] = {}
        run_check(check, CheckContext(rig=rig, state=state))  # warm: attach, sessions
        for i in range(runs):
            started = time.perf_counter()
            record = run_check(check, CheckContext(rig=rig, state=state))
            plain.append(time.perf_counter() - started)
            assert record.passed, record.to_json()
            started = time.perf_counter()
            record = run_check(check, CheckContext(rig=rig, state=state))
            db.record(run_id, rig.name, record, round=i + 1)
            recorded.append(time.perf_counter() - started)
    return plain, recorded


def with_pytest(check: str, runs: int, work: Path, *, embedded: bool = True) -> list[float]:
    tests = work / f"pytest_bench_{embedded}"
    tests.mkdir()
    extra = "" if embedded else " -p no:pytest_embedded"
    (tests / "pytest.ini").write_text(f"[pytest]\naddopts = -p bench_timing{extra}\n")
    (tests / "bench_timing.py").write_text(TIMING_PLUGIN)
    body = "".join(f"\ndef test_{i}(hil_check):\n    hil_check({check!r})\n" for i in range(runs + 1))
    (tests / "test_bench.py").write_text(body)
    times = work / f"pytest_times_{embedded}.json"
    env = {**os.environ, "BENCH_TIMES": str(times), "PYTHONPATH": str(tests)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests), "--lab", "virtual",
         "--results-db", str(tests / "pytest.db")],
        cwd=tests, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"pytest failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    durations = json.loads(times.read_text())
    ordered = [durations[k] for k in sorted(durations, key=lambda k: int(k.rsplit("_", 1)[1]))]
    return ordered[1:]


def with_robot(check: str, runs: int, work: Path) -> list[float]:
    from robot.api import ExecutionResult

    suite = work / "robot_bench.robot"
    cases = "".join(f"Check {i}\n    Check Should Pass    {check}\n" for i in range(runs + 1))
    suite.write_text(
        "*** Settings ***\nLibrary    hil.robot    lab=virtual\nSuite Setup    Open Rig\n"
        f"Suite Teardown    Close Rig\n\n*** Test Cases ***\n{cases}"
    )
    out = work / "robot_out"
    env = {**os.environ, "HIL_RESULTS_DB": str(work / "robot.db")}
    result = subprocess.run(
        [str(BIN / "robot"), "--outputdir", str(out), "--log", "NONE", "--report", "NONE", str(suite)],
        cwd=work, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"robot failed:\n{result.stdout[-3000:]}")
    tests = ExecutionResult(str(out / "output.xml")).suite.tests
    return [test.elapsed_time.total_seconds() for test in tests][1:]


def pabot_wall(processes: int, suites: int, work: Path) -> float:
    folder = work / f"pabot_{processes}"
    folder.mkdir()
    for n in range(suites):
        cases = "".join(f"{check.title()}\n    Check Should Pass    {check}\n" for check in SMOKE)
        (folder / f"smoke_{n + 1}.robot").write_text(
            "*** Settings ***\nLibrary    hil.robot    lab=virtual\nSuite Setup    Open Rig\n"
            f"Suite Teardown    Close Rig\n\n*** Test Cases ***\n{cases}"
        )
    env = {
        **os.environ,
        "HIL_RESULTS_DB": str(folder / "results.db"),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    started = time.perf_counter()
    result = subprocess.run(
        [str(BIN / "pabot"), "--processes", str(processes), "--outputdir", str(folder / "out"), str(folder)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"pabot failed:\n{result.stdout[-3000:]}")
    with ResultsDB(folder / "results.db") as db:
        data = db.load_run(db.runs()[0].id)
        rigs = sorted({stored.rig for stored in data.records})
    where = ", ".join(rigs)
    print(f"  pabot --processes {processes}: {wall:6.2f} s wall, {len(data.records)} records on {where}")
    return wall


def summary(label: str, values: list[float], base: float | None) -> None:
    median = statistics.median(values)
    extra = (
        ""
        if base is None
        else f"   overhead {100 * (median / base - 1):+6.1f} % ({1000 * (median - base):+.2f} ms)"
    )
    print(f"  {label:<34} median {1000 * median:7.2f} ms  (n={len(values)}){extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", default="signal")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--suites", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-frontends-") as tmp:
        work = Path(tmp)
        print(f"per check: {args.check!r} on a virtual modem rig, {args.runs} runs each")
        plain, recorded = direct(args.check, args.runs, work / "direct.db")
        base = statistics.median(plain)
        summary("run_check (direct)", plain, None)
        summary("run_check + ResultsDB.record", recorded, base)
        summary("pytest plugin (hil_check, per test)", with_pytest(args.check, args.runs, work), base)
        summary(
            "  same, -p no:pytest_embedded", with_pytest(args.check, args.runs, work, embedded=False), base
        )
        summary("Robot library (Check Should Pass)", with_robot(args.check, args.runs, work), base)
        print(
            f"pabot: {args.suites} suites of {len(SMOKE)} modem-mode smoke checks, a virtual rig per process"
        )
        one = pabot_wall(1, args.suites, work)
        many = pabot_wall(4, args.suites, work)
        print(f"  speed-up with 4 processes: {one / many:.2f}x (machine: {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
