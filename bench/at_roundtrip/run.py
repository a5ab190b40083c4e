"""bench/at_roundtrip: AT round-trip latency through AtChannel vs a minimal raw pyserial loop.

Starts the simulated modem as its own process on a real pty (as a real modem would be), turns
echo off, then times N `AT` -> `OK` round trips twice on the same simulator: through AtChannel
(reader thread, session, URC routing, transcript) and through a bare `write` + `read_until(b"OK\\r\\n")`
loop. Prints median and p99 per command for both and their ratio.
Targets: ratio (median, AtChannel / raw) <= 1.5 and AtChannel p99 <= 2 ms.

    .venv/bin/python bench/at_roundtrip/run.py [--count 10000] [--dialect bg95] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import serial

from at_commands.channel import AtChannel

ROOT = Path(__file__).resolve().parents[2]


def start_simulator(dialect: str) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "hil.cli.main", "modem-sim", "--dialect", dialect, "--pty"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    first = process.stdout.readline()
    if not first:
        process.kill()
        raise SystemExit(f"simulator did not start: {command}")
    return process, json.loads(first)["port"]


def measure(count: int, one: Callable[[], None]) -> list[float]:
    for _ in range(min(500, count // 10)):  # warm-up
        one()
    samples = []
    clock = time.perf_counter_ns
    for _ in range(count):
        start = clock()
        one()
        samples.append((clock() - start) / 1e6)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 4),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 4),
        "max_ms": round(ordered[-1], 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--dialect", default="bg95")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    process, port = start_simulator(args.dialect)
    try:
        with AtChannel.open(port) as channel:
            assert channel.sync(), "simulator does not answer AT"
            channel.command("ATE0")

            def engine_once() -> None:
                channel.command("AT")

            engine = measure(args.count, engine_once)

        raw_port = serial.serial_for_url(port, baudrate=115200, timeout=2)
        raw_port.reset_input_buffer()

        def raw_once() -> None:
            raw_port.write(b"AT\r")
            if not raw_port.read_until(b"OK\r\n").endswith(b"OK\r\n"):
                raise SystemExit("raw loop: no OK within 2 s")

        raw = measure(args.count, raw_once)
        raw_port.close()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()

    result = {
        "count": args.count,
        "dialect": args.dialect,
        "at_channel": summary(engine),
        "raw_pyserial": summary(raw),
        "cpus": os.cpu_count(),
    }
    result["ratio_median"] = round(result["at_channel"]["median_ms"] / result["raw_pyserial"]["median_ms"], 3)
    result["ratio_p99"] = round(result["at_channel"]["p99_ms"] / result["raw_pyserial"]["p99_ms"], 3)
    result["met"] = result["ratio_median"] <= 1.5 and result["at_channel"]["p99_ms"] <= 2.0
    if args.json:
        print(json.dumps(result))
        return
    for name in ("at_channel", "raw_pyserial"):
        figures = result[name]
        median, p99, worst = figures["median_ms"], figures["p99_ms"], figures["max_ms"]
        print(f"{name:>13}: median {median:.3f} ms  p99 {p99:.3f} ms  max {worst:.3f} ms")
    print(
        f"ratio (median) {result['ratio_median']:.2f}  ratio (p99) {result['ratio_p99']:.2f}  "
        f"targets: ratio <= 1.5, p99 <= 2 ms -> {'OK' if result['met'] else 'BELOW TARGET'}"
    )


if __name__ == "__main__":
    main()
