"""Benchmark: the firmware's C AT driver (its sans-I/O reader) on the host, lines parsed per second.

A large mixed transcript (the captures in tests/data/captures plus BG95 / nRF91 exchanges with
echo, info lines, errors, prompts, binary reads, two-line and binary URCs, boot banners) is fed in
64-byte chunks, each command started before its answer:

1. through the C reader, timed inside C (hil.firmware.at_reader.bench_in_c: no Python per chunk);
2. through the cffi wrapper (CAtReader.feed, events copied into Python objects);
3. for scale, through the Python engine's AtSession on the same input.

Lines = the LINE tokens at_commands.framing finds in the transcript (echo, info, finals, URCs,
binary headers), the same count for all three.

Run: .venv/bin/python bench/firmware/at_driver.py [--copies 400] [--chunk 64] [--c-rounds 20]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from at_commands.framing import LINE, Tokenizer
from at_commands.grammar import CommandSpec
from at_commands.session import AtSession
from hil.firmware.at_reader import CAtReader, bench_in_c, capture_segments

ROOT = Path(__file__).resolve().parents[2]
Segment = tuple[str | None, bytes]

PDU = b"07911326040000F0040B911346610089F60000208062917314080CC8329BFD065DDF72363904"
EXCHANGES: list[Segment] = [
    ("AT", b"AT\r\r\nOK\r\n"),
    ("ATI", b"\r\nQuectel\r\nBG95-M3\r\nRevision: BG95M3LAR02A03\r\n\r\nOK\r\n"),
    ("AT+CSQ", b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n"),
    ("AT+CEREG?", b'\r\n+CEREG: 5,"1A2B","01A2B3C4",9\r\n\r\n+CEREG: 2,5,"1A2B","01A2B3C4",9\r\n\r\nOK\r\n'),
    ("AT+COPS?", b'\r\n+COPS: 0,0,"1NCE",9\r\n\r\nOK\r\n'),
    ("AT+QCCID", b"AT+QCCID\r\r\n+QCCID: 89882390000262826558\r\n\r\nOK\r\n"),
    ("AT%XICCID", b"\r\n%XICCID: 8988239000026282655F\r\n\r\nOK\r\n"),
    ("AT+CPIN?", b"\r\n+CME ERROR: 10\r\n"),
    ("AT+QIRD=0,1500", b"\r\n+QIRD: 48\r\n" + bytes(range(48)) + b"\r\n\r\nOK\r\n"),
    ("AT#XRECVFROM=1500", b'\r\n#XRECVFROM: 5,"127.0.0.1",4445\r\nhello\r\n\r\nOK\r\n'),
    ("AT+QISEND=0,5", b'\r\n> \r\nSEND OK\r\n\r\n+QIURC: "recv",0\r\n'),
    ("AT+CMGS=24", b"\r\n> \r\n+CMGS: 7\r\n\r\nOK\r\n"),
    ("AT+CMGR=1", b"\r\n+CMGR: 0,,24\r\n" + PDU + b"\r\n\r\nOK\r\n"),
    (None, b'\r\n+CMT: "+358401234567",24\r\n' + PDU + b'\r\n\r\n#XUDPDATA: 4,"127.0.0.1",4445\r\nping\r\n'),
    ("AT+CGDCONT?", b'\r\n+CGDCONT: 1,"IP","iot.1nce.net","10.1.2.3",0,0\r\n\r\nOK\r\n'),
    ("AT+CFUN=1,1", b"\r\nOK\r\n\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nAPP RDY\r\n"),
    (None, b"\r\n+CSCON: 1\r\n\r\n%XSIM: 1\r\n\r\n+CGEV: ME PDN ACT 0\r\n"),
]


def transcript(copies: int) -> list[Segment]:
    """The captures once, then the exchanges `copies` times."""
    segments: list[Segment] = []
    for capture in sorted((ROOT / "tests" / "data" / "captures").glob("*.txt")):
        segments += [s for s in capture_segments(capture.read_text()) if s[0] or s[1]]
    return segments + EXCHANGES * copies


def count_lines(segments: Sequence[Segment]) -> int:
    session = AtSession(Tokenizer())
    lines = 0
    for command, data in segments:
        if command is not None:
            session.start(CommandSpec.for_command(command), now=0.0)
        lines += sum(kind == LINE for kind, _ in session.tokenizer.feed(data))
    return lines


def chunks_of(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def time_wrapper(segments: Sequence[Segment], chunk: int) -> tuple[float, int]:
    plan = [(command, chunks_of(data, chunk)) for command, data in segments]
    reader = CAtReader()
    events = 0
    start = time.perf_counter()
    for command, pieces in plan:
        if command is not None:
            reader.start(command)
        for piece in pieces:
            events += len(reader.feed(piece))
    return time.perf_counter() - start, events


def time_session(segments: Sequence[Segment], chunk: int) -> tuple[float, int]:
    plan = [(command, chunks_of(data, chunk)) for command, data in segments]
    session = AtSession()
    events = 0
    start = time.perf_counter()
    for command, pieces in plan:
        if command is not None:
            session.start(CommandSpec.for_command(command), now=0.0)
        for piece in pieces:
            events += len(session.feed(piece, now=0.0))
    return time.perf_counter() - start, events


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=400, help="copies of the exchange mix (default 400)")
    parser.add_argument("--chunk", type=int, default=64, help="bytes per feed (default 64)")
    parser.add_argument("--c-rounds", type=int, default=20, help="passes for the in-C timing (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N for each figure (default 3)")
    args = parser.parse_args()

    segments = transcript(args.copies)
    size = sum(len(data) for _, data in segments)
    lines = count_lines(segments)
    print(f"transcript: {len(segments)} segments, {size} bytes, {lines} lines; {args.chunk}-byte chunks")

    bench_in_c(segments, args.chunk, 1)  # build / warm up
    c_best = min(bench_in_c(segments, args.chunk, args.c_rounds)[0] for _ in range(args.repeat))
    c_events = bench_in_c(segments, args.chunk, 1)[1]
    wrapper_best, wrapper_events = min(time_wrapper(segments, args.chunk) for _ in range(args.repeat))
    session_best, session_events = min(time_session(segments, args.chunk) for _ in range(args.repeat))

    rows = [
        ("C reader, timed in C", lines * args.c_rounds / c_best, size * args.c_rounds / c_best, c_events),
        ("C reader via cffi wrapper", lines / wrapper_best, size / wrapper_best, wrapper_events),
        ("AtSession (Python)", lines / session_best, size / session_best, session_events),
    ]
    print(f"{'':28} {'lines/s':>14} {'MB/s':>8} {'events/pass':>12}")
    for name, per_line, per_byte, events in rows:
        print(f"{name:28} {per_line:14,.0f} {per_byte / 1e6:8.2f} {events:12}")
    speedup_c, speedup_wrapper = rows[0][1] / rows[2][1], rows[1][1] / rows[2][1]
    print(f"C in C vs AtSession: {speedup_c:.0f}x; wrapper vs AtSession: {speedup_wrapper:.1f}x")


if __name__ == "__main__":
    main()
