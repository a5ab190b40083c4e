"""Benchmark: the smoke suite on 1 virtual rig vs N virtual rigs in parallel (`hil run`'s runner).

Prints, per mode: the wall time of 1 rig and of N rigs (target: N=16 in at most 3x the time of 1,
for 16x the work) and the harness's own CPU time per check (target <= 50 ms). The virtual lab's
emulator and simulators run in this process too, so their threads' CPU time (read from
/proc/self/task/<tid>/stat for the threads the lab started before any rig worker existed) is
taken out of the process's CPU time; threads the lab starts later are counted as harness, so the
figure errs high. Firmware mode boots one QEMU per rig: on a 2-core machine 16 QEMUs measure the
machine, not the harness, so it uses --firmware-rigs (default 4) and runs only with --firmware.
The time scale defaults to 0.01, the virtual lab's own (simulated modem delays x 0.01); simulated
deadlines the harness meets in real time (the nRF91's +CNMA ack of an MT SMS) keep at least 5 s.

    .venv/bin/python bench/lab/run.py [--rigs 16] [--time-scale 0.01] [--firmware --firmware-rigs 4]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hil.records.db import ResultsDB
from hil.run.events import CheckFinished, Event
from hil.run.plan import Plan, RunOptions, build_plan
from hil.run.runner import Runner
from hil.run.wiring import VirtualWiring

TICKS = os.sysconf("SC_CLK_TCK")


def thread_cpu_s(tid: int) -> float:
    """utime + stime of one thread of this process, in seconds (0 when it has ended)."""
    try:
        stat = Path(f"/proc/self/task/{tid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # fields 14 and 15 of stat


class MeasuredWiring(VirtualWiring):
    """The runner's virtual wiring, noting which threads belong to the lab."""

    lab_threads: list[tuple[str, int]]
    lab_cpu_s: float = 0.0

    def start(self) -> None:
        before = {t.native_id for t in threading.enumerate()}
        super().start()
        self.lab_threads = [
            (t.name, t.native_id)
            for t in threading.enumerate()
            if t.native_id not in before and t.native_id is not None
        ]

    def close(self) -> None:
        self.lab_cpu_s = sum(thread_cpu_s(tid) for _, tid in self.lab_threads)
        super().close()


@dataclass
class Figures:
    rigs: int
    wall_s: float
    checks: int
    failed: int
    process_cpu_s: float
    lab_cpu_s: float

    @property
    def harness_ms_per_check(self) -> float:
        return (self.process_cpu_s - self.lab_cpu_s) / max(1, self.checks) * 1000


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(plan: Plan, db_dir: Path) -> Figures:
    checks = 0
    failed = 0

    def count(event: Event) -> None:
        nonlocal checks, failed
        if isinstance(event, CheckFinished):
            checks += 1
            failed += not event.record.passed and not event.will_retry

    wiring = MeasuredWiring(plan)
    with ResultsDB(db_dir / f"bench-{plan.modes[0]}-{len(plan.rigs)}.db") as db:
        cpu_before = cpu_s()
        started = time.perf_counter()
        Runner(plan, db, wiring=wiring, listener=count).run()
        wall = time.perf_counter() - started
        cpu = cpu_s() - cpu_before
    return Figures(len(plan.rigs), wall, checks, failed, cpu, wiring.lab_cpu_s)


def bench_mode(mode: str, many: int, args: argparse.Namespace, db_dir: Path) -> None:
    results = []
    for rigs in (1, many):
        options = RunOptions(suite=args.suite, mode=mode, rigs=rigs, time_scale=args.time_scale, retries=0)
        figures = measure(build_plan(options), db_dir)
        results.append(figures)
        print(
            f"{mode:8} {rigs:3} rig(s): wall {figures.wall_s:7.2f} s, {figures.checks} checks "
            f"({figures.failed} failed), process CPU {figures.process_cpu_s:6.2f} s, lab threads "
            f"{figures.lab_cpu_s:6.2f} s, harness {figures.harness_ms_per_check:5.1f} ms/check",
            flush=True,
        )
    one, parallel = results
    ratio = parallel.wall_s / one.wall_s
    print(
        f"{mode:8} {parallel.rigs} rigs vs 1: {ratio:.2f}x the wall time for {parallel.rigs}x the work "
        f"(target <= 3x); harness CPU per check {parallel.harness_ms_per_check:.1f} ms (target <= 50 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rigs", type=int, default=16, help="rigs in parallel (modem mode)")
    parser.add_argument("--suite", default="smoke")
    parser.add_argument("--time-scale", type=float, default=0.01)
    parser.add_argument("--firmware", action="store_true", help="also firmware mode (QEMU per rig)")
    parser.add_argument("--firmware-rigs", type=int, default=4)
    args = parser.parse_args()
    print(f"smoke suite, time scale {args.time_scale}, {os.cpu_count()} CPU(s)")
    with tempfile.TemporaryDirectory(prefix="bench-lab-") as tmp:
        bench_mode("modem", args.rigs, args, Path(tmp))
        if args.firmware:
            bench_mode("firmware", args.firmware_rigs, args, Path(tmp))


if __name__ == "__main__":
    main()
