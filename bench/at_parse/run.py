"""bench/at_parse: how many modem lines per second the AT session classifies.

Replays a mixed recorded-style transcript - echo on, information lines, URCs before, during and
between commands, a +CMT with its PDU body, length-prefixed binary reads, prompts, CME errors -
through AtSession (the same tokenizer and classifier the live channel uses), fed in 64-byte chunks
as a UART would deliver them. Prints lines/s. Target: >= 200,000 lines/s.

Then decoding accuracy: the share of commands `hil at decode` decodes exactly on the project's own
captures (tests/data/captures/*.txt, each with a hand-checked NAME.expected.json), and which ones
it gets wrong.

    .venv/bin/python bench/at_parse/run.py [--seconds 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from at_commands.capture_check import exact_share, score_captures
from at_commands.grammar import CommandSpec
from at_commands.session import AtSession, CommandDone

CAPTURES = Path(__file__).resolve().parents[2] / "tests" / "data" / "captures"

# (host command, modem bytes) pairs; None as command = unsolicited bytes between commands.
EXCHANGES: list[tuple[str | None, bytes]] = [
    ("AT+CSQ", b"AT+CSQ\r\r\n+CSQ: 17,99\r\n\r\nOK\r\n"),
    (None, b'\r\n+CEREG: 5,"1A2B","01A2B3C4",8\r\n'),
    ("AT+CEREG?", b'AT+CEREG?\r\r\n+CGEV: ME PDN ACT 1\r\n+CEREG: 2,5,"1A2B","01A2B3C4",8\r\n\r\nOK\r\n'),
    (
        "AT+CGDCONT?",
        b'AT+CGDCONT?\r\r\n+CGDCONT: 1,"IP","iot.1nce.net","10.64.0.2",0,0\r\n'
        b'+CGDCONT: 2,"IPV4V6","ims","0.0.0.0",0,0\r\n\r\nOK\r\n',
    ),
    (
        "AT+QIRD=0,1500",
        b'AT+QIRD=0,1500\r\r\n+QIURC: "recv",0\r\n+QIRD: 12\r\nOK\r\n\x00\x01hello\r\n\r\nOK\r\n',
    ),
    (None, b"\r\n+CMT: ,24\r\n0001000B917228001011F100000CC8329BFD065DDF72363904\r\n"),
    ("AT+CMGS=24", b"AT+CMGS=24\r\r\n> \r\n+CMGS: 7\r\n\r\nOK\r\n"),
    ("AT+QCCID", b"AT+QCCID\r\r\n+QCCID: 89882390000262826558\r\n\r\nOK\r\n"),
    ("AT+CPIN?", b"AT+CPIN?\r\r\n+CME ERROR: 10\r\n"),
    ("AT+CIMI", b"AT+CIMI\r\r\n901405100002864\r\n\r\nOK\r\n"),
    (None, b'\r\n+QIURC: "recv",0\r\n\r\nRING\r\n'),
    ("AT+CESQ", b"AT+CESQ\r\r\n+CESQ: 99,99,255,255,34,81\r\n\r\nOK\r\n"),
]


def build(repeats: int) -> list[tuple[CommandSpec | None, list[bytes]]]:
    specs = {c: CommandSpec.for_command(c) for c, _ in EXCHANGES if c}
    script = []
    for _ in range(repeats):
        for command, data in EXCHANGES:
            chunks = [data[i : i + 64] for i in range(0, len(data), 64)]
            script.append((specs[command] if command else None, chunks))
    return script


def count_lines(script: list[tuple[CommandSpec | None, list[bytes]]]) -> int:
    session = AtSession()
    lines = 0
    for spec, chunks in script:
        if spec is not None:
            session.start(spec, now=0.0)
        for chunk in chunks:
            lines += sum(1 for kind, _ in session.tokenizer.feed(chunk) if kind == 0)
    return lines


def run(script: list[tuple[CommandSpec | None, list[bytes]]]) -> int:
    session = AtSession()
    done = 0
    for spec, chunks in script:
        if spec is not None:
            session.start(spec, now=0.0)
        for chunk in chunks:
            for event in session.feed(chunk, now=0.0):
                if type(event) is CommandDone:
                    done += 1
    return done


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to measure")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    script = build(1000)
    lines_per_pass = count_lines(script)
    commands_per_pass = run(script)
    passes = 0
    start = time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        assert run(script) == commands_per_pass
        passes += 1
    elapsed = time.perf_counter() - start
    rate = lines_per_pass * passes / elapsed
    result: dict[str, object] = {
        "lines": lines_per_pass * passes,
        "commands": commands_per_pass * passes,
        "seconds": round(elapsed, 3),
        "lines_per_second": round(rate),
        "target_lines_per_second": 200_000,
        "met": rate >= 200_000,
    }
    scores = score_captures(CAPTURES)
    share = exact_share(scores)
    result |= {
        "captures": len(scores),
        "capture_commands": sum(s.commands for s in scores),
        "commands_decoded_exactly": sum(s.exact for s in scores),
        "decoded_exactly_share": round(share, 4),
        "inexact": {s.name: list(s.inexact_lines) for s in scores if s.inexact_lines},
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"at_parse: {result['lines']:,} lines ({result['commands']:,} commands) in {elapsed:.2f} s")
        print(
            f"at_parse: {rate:,.0f} lines/s (target >= 200,000) {'OK' if result['met'] else 'BELOW TARGET'}"
        )
        print(
            f"at_parse: decoded exactly: {result['commands_decoded_exactly']}/{result['capture_commands']}"
            f" commands ({share:.1%}) over {len(scores)} captures"
        )
        for score in scores:
            if score.inexact_lines:
                lines = ", ".join(map(str, score.inexact_lines))
                print(f"at_parse:   {score.name}: {score.commands - score.exact} inexact (lines {lines})")


if __name__ == "__main__":
    main()
