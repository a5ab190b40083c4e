"""`hil at decode`: recorded captures with echo on and off, URCs, prompts, binary reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from at_commands.capture import CaptureError, DecodedCommand, DecodedUrc, decode_capture
from at_commands.channel import AtChannel
from tests.support.pty_peer import PtyPeer, script

CAPTURES = Path(__file__).parent / "data" / "captures"


def decode_file(name: str) -> list[dict]:
    return [d.to_json() for d in decode_capture((CAPTURES / name).read_text().splitlines())]


def commands(items: list[dict]) -> dict[str, dict]:
    return {i["command"]: i for i in items if "command" in i}


def test_bg96_echo_on_capture():
    items = decode_file("bg96_echo_on.txt")
    by = commands(items)
    assert by["AT+QCCID"]["info"] == ["+QCCID: 89882390000262826558"]
    assert {"urc": '+CEREG: 5,"1A2B","01A2B3C4",8', "line": 11} in items
    # The async +QIOPEN arrives after OK, outside the command.
    assert by['AT+QIOPEN=1,0,"UDP","127.0.0.1",4445,0,0']["final"] == "OK"
    assert any(i.get("urc") == "+QIOPEN: 0,0" for i in items)
    assert by["AT+QISEND=0,5"] | {} == {
        "command": "AT+QISEND=0,5",
        "final": "SEND OK",
        "info": [],
        "urcs": [],
        "prompt": True,
        "payload": "hello",
        "line": 17,
    }
    assert by["AT+QIRD=0,1500"]["data"] == "OK\\r\\n\\r\\n"  # a payload that looks like OK stays data
    assert by["AT+CMGS=24"]["info"] == ["+CMGS: 7"]
    assert by["AT+CMGS=24"]["payload"].endswith("\\x1a")
    assert by["AT+CPIN?"]["error"] == "SIM_NOT_INSERTED"


def test_nrf91_echo_off_capture_with_timestamps_and_interleaved_urcs():
    items = decode_file("nrf91_echo_off.txt")
    by = commands(items)
    assert [i["urc"] for i in items if "urc" in i][:4] == [
        "%XSIM: 1",
        '+CEREG: 2,"B4DC","000AE520",9',
        "+CSCON: 1",
        '+CEREG: 5,"B4DC","000AE520",9,,,"00000000","00111000"',
    ]
    cereg = by["AT+CEREG?"]
    assert cereg["info"] == ['+CEREG: 5,5,"B4DC","000AE520",9,,,"00000000","00111000"']
    assert cereg["urcs"] == ["+CGEV: ME PDN ACT 0"]
    assert by["AT#XRECVFROM=10"]["data"] == "hello"
    cmt = next(i for i in items if i.get("urc", "").startswith("+CMT:"))
    assert cmt["body"].startswith("0791534850020200")
    assert by["AT+CMGF=1"]["final"] == "ERROR" and by["AT+CMGF=1"]["error"] == "ERROR"


def test_sara_binary_send_with_at_prompt_and_multiline_answer():
    by = commands(decode_file("sara_r4_at_prompt.txt"))
    assert by["AT+UCGED?"]["info"] == [
        "+UCGED: 2",
        "6,4,fff,fff",
        "5110,13,100,100,1a2b,1234567,123,00000000,ffff,ff,45,23,15",
    ]
    send = by['AT+USOST=0,"127.0.0.1",6133,7']
    assert send["prompt"] and send["info"] == ["+USOST: 0,7"]
    assert send["payload"] == "hex:000102" + "0d0a" + "fffe"
    assert by["AT+USORF=0,512"]["info"] == ['+USORF: 0,"127.0.0.1",6133,5,"hello"']


def test_simcom_inline_binary_and_bare_iccid():
    items = decode_file("sim7080_inline_binary.txt")
    by = commands(items)
    assert by["AT+CARECV=0,512"]["data"] == "ab\\r\\ncd"
    assert by["AT+CCID"]["info"] == ["89882390000262826558"]
    assert by["AT+CASEND=0,4"]["prompt"] and by["AT+CASEND=0,4"]["payload"] == "ping"
    assert [i["urc"] for i in items if "urc" in i] == ["+APP PDP: 0,ACTIVE", "+CADATAIND: 0"]


def test_reboot_mid_command_is_reported():
    items = decode_file("bg95_reboot_mid_command.txt")
    assert items[0]["command"] == "AT+QIACT=1" and items[0]["error"] == "MODEM_REBOOTED"
    assert [i["urc"] for i in items if "urc" in i][:2] == ["APP RDY", "+CFUN: 1"]
    assert commands(items)["ATE0"]["final"] == "OK"


def test_truncated_capture_reports_the_command_without_final():
    items = [d.to_json() for d in decode_capture(["> AT+COPS=?", "< +COPS: (1,"])]
    assert items == [{"command": "AT+COPS=?", "final": None, "info": ["+COPS: (1,"], "urcs": [], "line": 1}]


def test_a_line_with_no_direction_is_a_clear_error():
    with pytest.raises(CaptureError, match=r"line 2: expected '> ' \(host\) or '< ' \(modem\)"):
        list(decode_capture(["> AT", "OK"]))


def test_live_transcript_decodes_to_the_live_responses():
    """What the channel saw live and what the decoder makes of its transcript agree."""
    table = {
        b"AT+CSQ": b"\r\n+CEREG: 2\r\n+CSQ: 20,99\r\n\r\nOK\r\n",
        b"AT+QIRD=0,10": b"\r\n+QIRD: 3\r\n\x00\r\n\r\n\r\nOK\r\n",
        b"AT+CPIN?": b"\r\n+CPIN: READY\r\n\r\nOK\r\n",
        b"AT+X": b"\r\n+CME ERROR: 4\r\n",
    }
    with PtyPeer(script(table), echo=True) as peer, AtChannel.open(peer.path) as channel:
        live = [channel.command(c, check=False) for c in ("AT+CSQ", "AT+QIRD=0,10", "AT+CPIN?", "AT+X")]
        lines = channel.transcript.capture_lines()
    decoded = [d for d in decode_capture(lines) if isinstance(d, DecodedCommand)]
    assert [(d.command, d.final, d.info, d.data) for d in decoded] == [
        (r.command, r.final, r.info, r.data) for r in live
    ]
    assert decoded[0].urcs == ["+CEREG: 2"]
    assert not any(isinstance(d, DecodedUrc) for d in decode_capture(lines))


def test_cli_decode_json_lines_and_exit_codes(tmp_path):
    run = [sys.executable, "-m", "hil.cli.main"]
    out = subprocess.run(
        [*run, "at", "decode", "--json", str(CAPTURES / "bg96_echo_on.txt")], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    first = json.loads(out.stdout.splitlines()[0])
    assert first == {"command": "AT", "final": "OK", "info": [], "urcs": [], "line": 3}
    bad = tmp_path / "bad.txt"
    bad.write_text("AT+CSQ\n")
    out = subprocess.run([*run, "at", "decode", str(bad)], capture_output=True, text=True)
    assert out.returncode == 1 and "expected '> ' (host)" in out.stderr
    missing = subprocess.run(
        [*run, "at", "decode", str(tmp_path / "nope.txt")], capture_output=True, text=True
    )
    assert missing.returncode == 2  # usage error: the file does not exist
