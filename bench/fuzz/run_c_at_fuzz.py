"""Builds bench/fuzz/c_at_fuzz.c with the firmware's C AT reader under ASan+UBSan and runs it,
seeded from the captures in tests/data/captures and typical answers.

.venv/bin/python bench/fuzz/run_c_at_fuzz.py [--seconds 120] [--iterations N] [--seed N]

Prints the driver's figures (iterations, bytes, events, seconds); exits non-zero on any sanitizer
report or failed check (the report is on stderr).
"""

from __future__ import annotations

import argparse
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

from hil.firmware.at_reader import capture_segments

ROOT = Path(__file__).resolve().parents[2]
FW = ROOT / "firmware" / "common"
FLAGS = [
    "-std=c99",
    "-Wall",
    "-Wextra",
    "-O1",
    "-g",
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
]

# Answers the captures lack: binary reads, prompts, two-line URCs and bodies, boots, CIP finals.
EXTRA_SEEDS: list[tuple[str, bytes]] = [
    ("AT+QIRD=0,1500", b"\r\n+QIRD: 5\r\nA\r\nOK\r\n\r\nOK\r\n"),
    ("AT+QIRD=0,1500", b'\r\n+QIRD: 3,"10.0.0.1",5683\r\n\x00\r\n\r\nOK\r\n'),
    ("AT#XRECVFROM=5", b'\r\n#XRECVFROM: 3,"10.0.0.1",5683\r\nabc\r\nOK\r\n'),
    ("AT+QISEND=0,4", b"\r\n> \r\nSEND OK\r\n"),
    ("AT+CMGS=24", b"\r\n> \r\n+CMGS: 7\r\n\r\nOK\r\n"),
    ("AT+CMGR=1", b"\r\n+CMGR: 0,,24\r\n0791\r\nOK\r\n"),
    ("", b'\r\n+CMT: "+358",24\r\n0791AB\r\n\r\n#XUDPDATA: 4,"1.2.3.4",5\r\nab\r\n\r\n'),
    ("AT+CFUN=1,1", b"\r\nOK\r\n\r\nRDY\r\n\r\nAPP RDY\r\n"),
    ("AT+CIPSEND=0,4", b"\r\n> \r\n0, SEND OK\r\n\r\nDATA ACCEPT:4\r\n"),
    ("AT+CIPRXGET=2,0,7", b"\r\n+CIPRXGET: 2,0,7,0\r\n1234567\r\nOK\r\n"),
    ("AT+CIFSR", b"\r\n10.1.2.3\r\n"),
    ("AT+CEREG?", b'\r\n+CEREG: 5,"1A2B","01",7\r\n\r\n+CEREG: 2,5\r\n\r\nOK\r\n'),
]


def write_seeds(path: Path) -> int:
    """The seed file c_at_fuzz.c reads: u16 command length, u32 data length, command, data."""
    seeds: list[tuple[str, bytes]] = list(EXTRA_SEEDS)
    for capture in sorted((ROOT / "tests" / "data" / "captures").glob("*.txt")):
        for command, data in capture_segments(capture.read_text()):
            if data:
                seeds.append((command or "", data))
    with path.open("wb") as out:
        for command, data in seeds:
            encoded = command.encode("latin-1")
            out.write(struct.pack("<HI", len(encoded), len(data)) + encoded + data)
    return len(seeds)


def build(binary: Path) -> None:
    sources = [Path(__file__).resolve().parent / "c_at_fuzz.c", *sorted((FW / "at").glob("*.c"))]
    subprocess.run(
        ["gcc", *FLAGS, f"-I{FW / 'include'}", f"-I{FW / 'at'}", *map(str, sources), "-o", str(binary)],
        check=True,
        timeout=300,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=120.0, help="run time (default 120)")
    parser.add_argument("--iterations", type=int, default=0, help="stop after N iterations (0: time only)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (runs are repeatable per seed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nce-at-fuzz-") as scratch:
        binary = Path(scratch) / "c_at_fuzz"
        seed_file = Path(scratch) / "seeds.bin"
        count = write_seeds(seed_file)
        build(binary)
        print(
            f"C AT reader fuzz: {count} seeds, ASan+UBSan, {args.seconds:g} s, seed {args.seed}", flush=True
        )
        command = [str(binary), str(seed_file), str(args.seconds), str(args.iterations), str(args.seed)]
        sys.stdout.flush()
        result = subprocess.run(command, check=False, timeout=args.seconds + 600)
        print(f"exit {result.returncode}")
        sys.exit(result.returncode)


if __name__ == "__main__":
    main()
