"""Benchmark: BCL encode/decode throughput of a 6-field template, C (via cffi) and pure Python.

Prints messages per second for
  * C encode, timed inside C over a batch (nce_bench_bcl_encode: the encoder alone);
  * C encode called from Python through cffi, one call per message;
  * Python encode (sdk_bindings.bcl.encode: case planning, layout, writing);
  * Python decode (sdk_bindings.bcl.decode, the template compiled once);
and host instructions per C encode from valgrind --tool=callgrind (a C driver run with N and 0
iterations; the difference divided by N). Run: .venv/bin/python bench/bcl/run.py
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sdk_bindings import bcl
from sdk_bindings.bcl.floats import shortest_float32
from sdk_bindings.bcl.native import NativeTemplate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TEMPLATE = ROOT / "sdk_bindings" / "bcl" / "examples" / "sensor6.json"
C_DIR = ROOT / "sdk_bindings" / "c"


def _values(rng: random.Random) -> dict[str, object]:
    battery = shortest_float32(struct.unpack("<f", struct.pack("<f", rng.uniform(2.5, 4.2)))[0])
    return {
        "temperature": rng.randint(-400, 850),
        "humidity": rng.randint(0, 100),
        "pressure": rng.randint(90000, 110000),
        "battery": battery,
        "door_open": rng.random() < 0.5,
        "site": rng.choice(["B12", "HQ", "LAB1", "X"]),
    }


def _rate(label: str, count: int, seconds: float, note: str = "") -> None:
    print(f"  {label:<44} {count / seconds:>14,.0f} msgs/s  ({seconds * 1e9 / count:,.0f} ns/msg){note}")


def _time(function: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        function()
    return time.perf_counter() - start


def bench_c_batch(native: NativeTemplate, values: dict[str, object], iterations: int) -> None:
    prepared, plan = native.plan(values)
    native.bench(prepared, 10_000)  # warm up
    length, elapsed_ns = native.bench(prepared, iterations)
    assert native.encode_prepared(prepared) == plan.payload and length == len(plan.payload)
    _rate("C encode, timed inside C (batch)", iterations, elapsed_ns / 1e9)
    seconds = _time(lambda: native.encode_prepared(prepared), iterations // 20)
    _rate("C encode, one cffi call per message", iterations // 20, seconds)


def bench_python(compiled: bcl.CompiledTemplate, samples: list[dict[str, object]], repeat: int) -> None:
    payloads = [bcl.encode(compiled, values) for values in samples]
    for payload, values in zip(payloads, samples, strict=True):
        assert bcl.decode(compiled, payload) == values
    count = repeat * len(samples)
    start = time.perf_counter()
    for _ in range(repeat):
        for values in samples:
            bcl.encode(compiled, values)
    _rate("Python encode (plan + layout + write)", count, time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(repeat * 5):
        for payload in payloads:
            bcl.decode(compiled, payload)
    _rate("Python decode (template compiled once)", count * 5, time.perf_counter() - start)
    native = NativeTemplate.of(compiled)
    start = time.perf_counter()
    for _ in range(max(1, repeat // 2)):
        for values in samples:
            native.encode(values)
    _rate(
        "C encode via encode_native (plan in Python)",
        max(1, repeat // 2) * len(samples),
        time.perf_counter() - start,
    )


def instructions_per_encode(iterations: int) -> float | None:
    valgrind, gcc = shutil.which("valgrind"), shutil.which("gcc")
    if valgrind is None or gcc is None:
        print("  (valgrind or gcc missing: no instruction count)")
        return None
    with tempfile.TemporaryDirectory(prefix="nce-bcl-bench-") as scratch:
        work = Path(scratch)
        (work / "sensor6.h").write_text(bcl.generate_header(TEMPLATE.read_text(), name="sensor6"))
        binary = work / "driver"
        sources = [HERE / "encode_driver.c", *sorted((C_DIR / "src").glob("*.c"))]
        includes = [f"-I{C_DIR / 'include'}", f"-I{work}"]
        subprocess.run([gcc, "-std=c99", "-O2", *includes, *map(str, sources), "-o", str(binary)], check=True)
        counts = []
        for n in (0, iterations):
            command = [
                valgrind,
                "--tool=callgrind",
                f"--callgrind-out-file={work}/cg.{n}",
                str(binary),
                str(n),
            ]
            out = subprocess.run(command, capture_output=True, text=True, check=True)
            match = re.search(r"Collected\s*:\s*(\d+)", out.stderr)
            if match is None:
                raise RuntimeError(out.stderr)
            counts.append(int(match.group(1)))
    return (counts[1] - counts[0]) / iterations


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--iterations", type=int, default=2_000_000, help="C batch size")
    parser.add_argument("--repeat", type=int, default=200, help="Python passes over 100 sample messages")
    args = parser.parse_args()
    compiled = bcl.compile_template(TEMPLATE.read_text())
    rng = random.Random(7)
    samples = [_values(rng) for _ in range(100)]
    print(f"BCL benchmark: {TEMPLATE.name} (6 fields: int16, uint8, uint32 LE, float32, boolean, string4)")
    bench_c_batch(NativeTemplate.of(compiled), samples[0], args.iterations)
    bench_python(compiled, samples, args.repeat)
    per_encode = instructions_per_encode(100_000)
    if per_encode is not None:
        print(f"  {'host instructions per C encode (callgrind)':<44} {per_encode:>14,.0f}")


if __name__ == "__main__":
    main()
