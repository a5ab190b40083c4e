"""Benchmark: latency of GET /v1/sims/{iccid} on the emulator holding 10,000 SIMs.

Starts `hil cloud serve` as a child process (rate limit off, so the server's own latency is what
is measured), warms up, then times --requests sequential GETs of random ICCIDs over one keep-alive
connection and prints p50 / p90 / p99 / max. Run: .venv/bin/python bench/api/run.py
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.ingest.emulator_process import Emulator


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sims", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("--warmup", type=int, default=500)
    args = parser.parse_args()
    started = time.perf_counter()
    emulator = Emulator(args.sims, "--sims-rate-limit", "0")
    print(f"emulator with {args.sims} SIMs up in {time.perf_counter() - started:.1f} s")
    try:
        iccids = [sim["iccid"] for sim in emulator.sims]
        rng = random.Random(1)
        with httpx.Client(base_url=emulator.endpoints["api"], headers=emulator.headers, timeout=10) as client:
            for _ in range(args.warmup):
                client.get(f"/v1/sims/{rng.choice(iccids)}").raise_for_status()
            samples = []
            for _ in range(args.requests):
                iccid = rng.choice(iccids)
                begin = time.perf_counter()
                response = client.get(f"/v1/sims/{iccid}")
                samples.append((time.perf_counter() - begin) * 1000)
                if response.status_code != 200 or response.json()["iccid"] != iccid:
                    raise SystemExit(
                        f"wrong answer for {iccid}: {response.status_code} {response.text[:200]}"
                    )
        ordered = sorted(samples)
        print(f"GET /v1/sims/{{iccid}}: {len(samples)} requests, {args.sims} SIMs, sequential, keep-alive")
        print(
            f"latency ms  p50 {percentile(ordered, 0.50):.2f}  p90 {percentile(ordered, 0.90):.2f}  "
            f"p99 {percentile(ordered, 0.99):.2f}  max {ordered[-1]:.2f}  "
            f"mean {statistics.fmean(samples):.2f}"
        )
        print(f"throughput  {len(samples) / (sum(samples) / 1000):.0f} requests/s (one client)")
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
