"""Benchmark: records committed per second into the results DB, and report generation time.

1. Commits: sample records written one `ResultsDB.record()` (one transaction, one commit) at a
   time, as the harness does: by one writer, then by 4 writer processes into the same DB file.
2. Reports: a run of about 10,000 results (8 rigs × 2 modes × 55 rounds of the sample checks),
   then the time `write_report` takes for HTML, JUnit and JSON (best of --repeat), with sizes.

Run: .venv/bin/python bench/reports/run.py [--records 2000] [--writers 4] [--results 10000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hil.records.db import ResultsDB
from hil.records.sample import SampleResult, record_sample_run, sample_results
from hil.reports import FORMATS, write_report
from hil.reports.data import load_report


def _records(count: int, seed: int) -> list[SampleResult]:
    results: list[SampleResult] = []
    rounds = 1
    while len(results) < count:
        results = sample_results(rigs=4, rounds=rounds, fail_rate=0.05, seed=seed)
        rounds *= 2
    return results[:count]


def _write(db_path: Path, run_id: int, results: list[SampleResult], start: object) -> None:
    db = ResultsDB(db_path)
    start.wait()  # type: ignore[attr-defined]
    for r in results:
        db.record(run_id, r.rig.name, r.record, mode=r.mode, round=r.round, attempt=r.attempt)
    db.close()


def bench_commits(tmp: Path, records: int, writers: int) -> None:
    results = _records(records, seed=1)
    db = ResultsDB(tmp / "single.db")
    run_id = db.start_run("bench", "bench")
    started = time.perf_counter()
    for r in results:
        db.record(run_id, r.rig.name, r.record, mode=r.mode, round=r.round, attempt=r.attempt)
    elapsed = time.perf_counter() - started
    db.close()
    print(f"1 writer:  {records} records in {elapsed:.2f} s = {records / elapsed:,.0f} records/s committed")

    path = tmp / "shared.db"
    db = ResultsDB(path)
    runs = [db.start_run("bench", f"writer-{n}") for n in range(writers)]
    db.close()
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    share = [_records(records // writers, seed=10 + n) for n in range(writers)]
    procs = [
        context.Process(target=_write, args=(path, run_id, part, start))
        for run_id, part in zip(runs, share, strict=True)
    ]
    for proc in procs:
        proc.start()
    time.sleep(2.0)  # let every process import and open the DB before the clock starts
    started = time.perf_counter()
    start.set()
    for proc in procs:
        proc.join(timeout=600)
        if proc.exitcode != 0:
            raise SystemExit(f"writer process {proc.pid} exited with {proc.exitcode}")
    elapsed = time.perf_counter() - started
    total = sum(len(part) for part in share)
    db = ResultsDB(path)
    stored = sum(db.run(run_id).counts.total for run_id in runs)
    db.close()
    print(
        f"{writers} writers: {total} records in {elapsed:.2f} s = {total / elapsed:,.0f} records/s committed "
        f"(all processes together; {stored} results counted back)"
    )


def bench_reports(tmp: Path, results_wanted: int, repeat: int) -> None:
    per_round = 8 * 23  # rigs × (11 modem checks + 12 firmware checks)
    rounds = -(-results_wanted // per_round)
    results = sample_results(rigs=8, rounds=rounds, fail_rate=0.05, seed=3)
    db = ResultsDB(tmp / "reports.db")
    for seed in (1, 2):  # earlier runs of the suite, for the trend
        record_sample_run(db, sample_results(rigs=2, fail_rate=0.05, seed=seed))
    started = time.perf_counter()
    run_id = record_sample_run(db, results)
    print(f"run {run_id}: {len(results)} records stored in {time.perf_counter() - started:.1f} s")
    counts = db.run(run_id).counts
    print(f"run {run_id}: {counts.total} results ({counts.failed} failed, {counts.retried} retried)")
    best = min(_timed(lambda: load_report(db, run_id)) for _ in range(repeat))
    print(f"load the run in bulk: {best:.2f} s")
    for fmt in FORMATS:
        target = tmp / f"report.{fmt}"
        best = min(
            _timed(lambda fmt=fmt, target=target: write_report(db, run_id, target, fmt))
            for _ in range(repeat)
        )
        size = target.stat().st_size / 1e6
        print(f"{fmt:5}: {best:.2f} s for {counts.total} results ({size:.1f} MB), best of {repeat}")
    db.close()


def _timed(call: object) -> float:
    started = time.perf_counter()
    call()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=2000, help="records per commit benchmark")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--results", type=int, default=10_000, help="results in the reported run")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        bench_commits(Path(tmp), args.records, args.writers)
        bench_reports(Path(tmp), args.results, args.repeat)


if __name__ == "__main__":
    main()
