"""Benchmark: the firmware in the virtual lab.

1. Image sizes per target (hil fw build): bare metal always, FreeRTOS when FREERTOS_KERNEL_PATH is
   set; .text/.data/.bss and the C SDK's share of each (from the map file).
2. Boot to first decoded uplink: the bare-metal image in QEMU (mps2-an385) against the simulated
   modem on the emulated network and cloud (FirmwareLab); wall time from QEMU's start to the
   moment the Device Inspector history holds the first decoded uplink, per dialect and round.
   The simulated modem's delays (boot, registration, PDP, SMS) are scaled by --time-scale; the
   firmware's own timers run in real time (no -icount).

Run: .venv/bin/python bench/firmware/run.py [--rounds 3] [--dialects bg95,nrf91] [--time-scale 0.01]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hil.firmware.build import BuildResult, FirmwareBuildError, build
from hil.firmware.run import FirmwareLab, FirmwareRunOptions


def print_sizes(result: BuildResult) -> None:
    share = result.sdk_share()
    s, k = result.sections, result.sdk
    print(f"{result.target:10} {result.board:12} image .text {s.text:7} .data {s.data:5} .bss {s.bss:6}")
    print(
        f"{'':10} {'':12} C SDK .text {k.text:7} .data {k.data:5} .bss {k.bss:6}   "
        f"share {share['text']} % / {share['data']} % / {share['bss']} %"
    )


def first_uplink_wall_time(
    image: Path, dialect: str, time_scale: float, timeout: float = 60.0
) -> tuple[float, str]:
    """Seconds from QEMU's start until the cloud's history holds a decoded uplink; its protocol."""
    options = FirmwareRunOptions(dialect=dialect, run_for_s=40, period_s=5, time_scale=time_scale)
    with FirmwareLab(image, options) as lab:
        assert lab.board is not None and lab.board.started_at is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = list(lab.cloud.history(lab.iccid, limit=1))
            if messages and messages[0].payload.startswith("{"):
                return time.monotonic() - lab.board.started_at, messages[0].protocol
            time.sleep(0.02)
        tail = "\n  ".join(lab.board.console_text()[-10:])
        raise TimeoutError(f"no decoded uplink within {timeout:g} s; console:\n  {tail}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dialects", default="bg95,nrf91")
    parser.add_argument("--time-scale", type=float, default=0.01)
    args = parser.parse_args()

    print("== image sizes (arm-none-eabi-gcc -Os, --gc-sections, newlib-nano) ==")
    scratch = Path(tempfile.mkdtemp(prefix="nce-bench-fw-"))
    baremetal: BuildResult | None = None
    targets = ["baremetal"] + (["freertos"] if os.environ.get("FREERTOS_KERNEL_PATH") else [])
    for target in targets:
        try:
            result = build(target, "mps2-an385", build_dir=scratch / target)
        except FirmwareBuildError as exc:
            print(f"{target:10} mps2-an385   build failed: {str(exc).splitlines()[-1]}")
            continue
        print_sizes(result)
        if target == "baremetal":
            baremetal = result
    if "freertos" not in targets:
        print("freertos   (skipped: FREERTOS_KERNEL_PATH is not set)")

    print(f"\n== boot to first decoded uplink (QEMU mps2-an385, modem time scale {args.time_scale}) ==")
    if baremetal is None:
        print("skipped: no bare-metal image")
        return
    for dialect in args.dialects.split(","):
        times = []
        for _ in range(args.rounds):
            seconds, protocol = first_uplink_wall_time(baremetal.image, dialect, args.time_scale)
            times.append(seconds)
            print(f"{dialect:8} first decoded uplink ({protocol}) after {seconds:6.2f} s wall")
        print(
            f"{dialect:8} median {statistics.median(times):.2f} s, min {min(times):.2f} s "
            f"over {len(times)} rounds"
        )


if __name__ == "__main__":
    main()
