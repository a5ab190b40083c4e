"""The console log parser (hil/firmware/console.py) on lines in the format of firmware/README.md."""

from __future__ import annotations

import pytest

from hil.firmware.console import ConsoleFormatError, ConsoleLog, parse_line


def test_boot_line_with_a_quoted_value() -> None:
    line = '5 I boot version=0.1.0 board=mps2-an385 config="defaults (corrupt: crc)" period_s=60\n'
    event = parse_line(line)
    assert (event.ms, event.level, event.event) == (5, "I", "boot")
    assert event["config"] == "defaults (corrupt: crc)"
    assert event.int("period_s") == 60


def test_uplink_values_are_json_and_bytes_are_hex() -> None:
    line = '1790 I uplink proto=udp n=1 payload=0a1b bytes=0a1b values={"counter":1,"site":"a b"} len=2'
    event = parse_line(line)
    assert event.json("values") == {"counter": 1, "site": "a b"}
    assert event.bytes("payload") == b"\x0a\x1b"
    assert event["len"] == "2"


def test_escapes_in_quoted_values() -> None:
    event = parse_line(r'9 I sms from=+4917012345678 text="say \"hi\" \\ bye"')
    assert event["text"] == 'say "hi" \\ bye'


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("hello world", "not a console log line"),
        ("12 X boot a=1", "not a console log line"),
        ('12 I sms text="open', "unterminated quoted"),
        ('12 I uplink values={"a":1', "unterminated"),
        ("12 I boot novalue", "expected key=value at column"),
        ('12 I boot a="x"y', "expected a space after a="),
    ],
)
def test_bad_lines_say_what_is_wrong(line: str, message: str) -> None:
    with pytest.raises(ConsoleFormatError, match=message):
        parse_line(line)


def test_log_keeps_other_lines_apart_and_finds_events() -> None:
    lines = ["QEMU banner", "1 I boot version=0.1.0", "2 E error cause=denied where=attach code=15", ""]
    log = ConsoleLog(lines)
    assert log.other == ["QEMU banner"]
    assert [e.event for e in log] == ["boot", "error"]
    assert log.first("error", where="attach").int("code") == 15
    assert len(log.errors()) == 1
    with pytest.raises(LookupError, match=r"no uplink event .*events seen: boot, error"):
        log.first("uplink")
    with pytest.raises(KeyError, match="boot event has no field 'board'"):
        log.first("boot")["board"]
