"""AtChannel against a scripted modem on a real pty: framing, errors, URCs, faults."""

from __future__ import annotations

import time

import pytest

from at_commands.channel import AtChannel
from at_commands.errors import (
    AtCommandError,
    AtTimeoutError,
    CmeError,
    CmsError,
    ModemRebootedError,
    PortError,
)
from tests.support.pty_peer import PtyPeer, script, wait_until

OK = b"\r\nOK\r\n"


@pytest.fixture
def peer_factory():
    peers: list[PtyPeer] = []
    channels: list[AtChannel] = []

    def make(table, *, echo=False, default=b"\r\nERROR\r\n"):
        peer = PtyPeer(script(table, default) if isinstance(table, dict) else table, echo=echo)
        peers.append(peer)
        channel = AtChannel.open(peer.path)
        channels.append(channel)
        return peer, channel

    yield make
    for channel in channels:
        channel.close()
    for peer in peers:
        peer.close()


def test_info_and_final_with_echo_on(peer_factory):
    _, ch = peer_factory({b"AT+CSQ": b"\r\n+CSQ: 17,99\r\n" + OK}, echo=True)
    response = ch.command("AT+CSQ")
    assert response.final == "OK"
    assert response.info == ["+CSQ: 17,99"]
    assert response.value("+CSQ:") == "17,99"
    assert response.lines[0] == "AT+CSQ"  # the echo is evidence, not information


def test_bare_information_line_echo_off(peer_factory):
    _, ch = peer_factory({b"AT+CIMI": b"\r\n901405100002864\r\n" + OK})
    assert ch.command("AT+CIMI").value() == "901405100002864"


def test_cme_numeric_and_verbose_map_to_the_same_named_error(peer_factory):
    _, ch = peer_factory(
        {b"AT+CPIN?": b"\r\n+CME ERROR: 10\r\n", b"AT+QCCID": b"\r\n+CME ERROR: SIM not inserted\r\n"}
    )
    with pytest.raises(CmeError) as numeric:
        ch.command("AT+CPIN?")
    with pytest.raises(CmeError) as verbose:
        ch.command("AT+QCCID")
    assert numeric.value.code == verbose.value.code == 10
    assert numeric.value.name == verbose.value.name == "SIM_NOT_INSERTED"
    assert "AT+CPIN?" in str(numeric.value) and "+CME ERROR: 10" in str(numeric.value)


def test_cms_error_and_plain_error(peer_factory):
    _, ch = peer_factory({b"AT+CMGS=24": b"\r\n+CMS ERROR: 330\r\n", b"AT+BOGUS": b"\r\nERROR\r\n"})
    with pytest.raises(CmsError) as cms:
        ch.command("AT+CMGS=24")
    assert cms.value.name == "SMSC_ADDRESS_UNKNOWN"
    with pytest.raises(AtCommandError) as plain:
        ch.command("AT+BOGUS")
    assert plain.value.final == "ERROR"
    assert ch.command("AT+BOGUS", check=False).error is not None


def test_urc_before_during_and_between_commands_is_routed_not_mixed(peer_factory):
    answer = b'\r\n+CEREG: 2\r\n+QIURC: "recv",0\r\n+CSQ: 20,99\r\n+CMTI: "SM",3\r\n' + OK
    peer, ch = peer_factory({b"AT+CSQ": answer})
    seen = []
    ch.subscribe(None, seen.append)
    peer.send(b"\r\nRING\r\n")
    assert wait_until(lambda: len(seen) == 1)
    response = ch.command("AT+CSQ")
    assert response.info == ["+CSQ: 20,99"]
    assert [u.line for u in response.urcs] == ["+CEREG: 2", '+QIURC: "recv",0', '+CMTI: "SM",3']
    peer.send(b'\r\n+CEREG: 5,"1A2B","01A2B3C4",8\r\n')
    assert wait_until(lambda: len(seen) == 5)
    assert [u.line for u in seen] == [
        "RING",
        "+CEREG: 2",
        '+QIURC: "recv",0',
        '+CMTI: "SM",3',
        '+CEREG: 5,"1A2B","01A2B3C4",8',
    ]


def test_cereg_read_form_is_information_but_urc_form_is_a_urc(peer_factory):
    answer = b'\r\n+CEREG: 5,"1A2B","01A2B3C4",8\r\n+CEREG: 2,5,"1A2B","01A2B3C4",8\r\n' + OK
    _, ch = peer_factory({b"AT+CEREG?": answer})
    response = ch.command("AT+CEREG?")
    assert response.info == ['+CEREG: 2,5,"1A2B","01A2B3C4",8']
    assert [u.value for u in response.urcs] == ['5,"1A2B","01A2B3C4",8']


def test_prompt_without_line_end_then_payload(peer_factory):
    def respond(line: bytes) -> bytes | None:
        if line == b"AT+CMGS=24\r":
            return b"\r\n> "
        if line.endswith(b"\x1a"):
            assert line == b"0001000B917228001011F100000CC8329BFD065DDF72363904\x1a"
            return b"\r\n+CMGS: 7\r\n" + OK
        return None

    _, ch = peer_factory(respond)
    response = ch.command(
        "AT+CMGS=24", payload=b"0001000B917228001011F100000CC8329BFD065DDF72363904", payload_end=b"\x1a"
    )
    assert response.prompted and response.value("+CMGS:") == "7"


def test_ublox_at_sign_prompt_for_binary_send(peer_factory):
    def respond(line: bytes) -> bytes | None:
        if line == b'AT+USOST=0,"127.0.0.1",4445,4\r':
            return b"\r\n@"
        return None

    peer, ch = peer_factory(respond)
    peer.responder = respond

    # The payload has no terminator; answer once all four bytes arrived.
    def late_answer() -> None:
        assert wait_until(lambda: b"".join(peer.received).endswith(b"\x00\x01\r"), 2)
        peer.send(b"\r\n+USOST: 0,4\r\n" + OK)

    import threading

    threading.Thread(target=late_answer, daemon=True).start()
    response = ch.command('AT+USOST=0,"127.0.0.1",4445,4', payload=b"\x00\x01\r\n")
    assert response.value("+USOST:") == "0,4"


def test_length_prefixed_binary_read_containing_ok_and_urc_lookalikes(peer_factory):
    payload = b"OK\r\n+CMTI: 1\r\n\x00\xff"
    _, ch = peer_factory({b"AT+QIRD=0,1500": b"\r\n+QIRD: %d\r\n%s\r\n" % (len(payload), payload) + OK})
    response = ch.command("AT+QIRD=0,1500")
    assert response.data == payload
    assert response.urcs == []


def test_simcom_inline_binary_read(peer_factory):
    _, ch = peer_factory({b"AT+CARECV=0,512": b"\r\n+CARECV: 5,a\r\nb\x00\r\n" + OK})
    assert ch.command("AT+CARECV=0,512").data == b"a\r\nb\x00"


def test_timeout_carries_command_and_evidence_then_channel_recovers(peer_factory):
    late = {b"AT+COPS=?": b'\r\n+COPS: (1,"x"', b"AT": OK}
    _, ch = peer_factory(late)
    start = time.monotonic()
    with pytest.raises(AtTimeoutError) as error:
        ch.command("AT+COPS=?", timeout=0.3)
    assert 0.3 <= time.monotonic() - start < 1.5
    assert error.value.command == "AT+COPS=?"
    assert b'+COPS: (1,"x"' in error.value.partial
    assert ch.command("AT").final == "OK"


def test_silence_times_out_within_bound(peer_factory):
    _, ch = peer_factory(lambda line: None)
    start = time.monotonic()
    with pytest.raises(AtTimeoutError, match=r"no final result code within 0\.2 s; no lines seen"):
        ch.command("AT", timeout=0.2)
    assert time.monotonic() - start < 1.0


def test_modem_reboot_mid_command_raises_at_once_with_evidence(peer_factory):
    boot = b"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n"
    _, ch = peer_factory({b"AT+CGACT=1,1": boot, b"ATE0": b"ATE0\r" + OK})
    rebooted = []
    ch.on_reboot(rebooted.append)
    start = time.monotonic()
    with pytest.raises(ModemRebootedError) as error:
        ch.command("AT+CGACT=1,1", timeout=10)
    assert time.monotonic() - start < 2, "must not wait for the 10 s timeout"
    assert error.value.boot_line == "RDY"
    assert wait_until(lambda: rebooted == ["RDY"])
    assert ch.command("ATE0").final == "OK"  # echo came back on; the engine copes


def test_expected_reboot_is_not_an_error(peer_factory):
    _, ch = peer_factory({b"AT+CFUN=1,1": OK + b"\r\nRDY\r\n"})
    assert ch.command("AT+CFUN=1,1").final == "OK"


def test_garbage_and_non_utf8_bytes_never_crash_and_are_evidence(peer_factory):
    noisy = b"\xff\xfe\x00garbage\x01\x80\r\n\xc3\x28\r\n+CSQ: 9,99\r\n\xfe\xfeOK\r\n"
    _, ch = peer_factory({b"AT+CSQ": noisy})
    response = ch.command("AT+CSQ")
    assert response.info == ["+CSQ: 9,99"]
    assert response.final == "OK"
    assert len(response.noise) >= 2


def test_overlong_line_is_dropped_as_noise(peer_factory):
    _, ch = peer_factory({b"AT+CSQ": b"\r\n" + b"A" * 5000 + b"\r\n+CSQ: 1,99\r\n" + OK})
    response = ch.command("AT+CSQ")
    assert response.info == ["+CSQ: 1,99"]
    assert any(n.startswith(b"overlong line") for n in response.noise)


def test_urc_waiter_catches_async_result_even_before_ok(peer_factory):
    _, ch = peer_factory({b'AT+QIOPEN=1,0,"UDP","127.0.0.1",4445,0,0': b"\r\n+QIOPEN: 0,0\r\n" + OK})
    with ch.urcs("+QIOPEN:") as opened:
        response = ch.command('AT+QIOPEN=1,0,"UDP","127.0.0.1",4445,0,0')
        assert response.info == []
        assert opened.get(timeout=1).value == "0,0"


def test_urc_waiter_timeout_is_typed(peer_factory):
    _, ch = peer_factory({})
    with pytest.raises(AtTimeoutError, match="URC '\\+QIOPEN:'"):
        ch.wait_urc("+QIOPEN:", timeout=0.1)


def test_two_line_urc_carries_its_body(peer_factory):
    peer, ch = peer_factory({})
    with ch.urcs("+CMT:") as incoming:
        peer.send(b"\r\n+CMT: ,24\r\n0791...PDU\r\n")
        urc = incoming.get(timeout=1)
    assert urc.body == "0791...PDU"


def test_transcript_has_every_byte_both_ways_and_redacts_secrets(peer_factory):
    _, ch = peer_factory({b'AT%CMNG=0,1111,3,"6B6579"': OK, b"AT": OK})
    ch.transcript.add_secret("key")
    ch.command('AT%CMNG=0,1111,3,"6B6579"')
    ch.command("AT")
    captured = b"".join(c.data for c in ch.transcript.chunks())
    assert b"6B6579" not in captured and b"<redacted>" in captured
    assert ch.transcript.capture_lines() == ['> AT%CMNG=0,1111,3,"<redacted>"', "< OK", "> AT", "< OK"]


def test_port_that_vanishes_fails_pending_and_later_commands(peer_factory):
    peer, ch = peer_factory(lambda line: None)
    import threading

    unplug = threading.Timer(0.2, peer.close)
    unplug.start()
    with pytest.raises((PortError, AtTimeoutError)):
        ch.command("AT", timeout=3)
    with pytest.raises(PortError):
        ch.command("AT", timeout=1)
    unplug.join(timeout=5)


def test_numeric_result_codes_after_atv0(peer_factory):
    _, ch = peer_factory({b"ATV0": b"0\r", b"AT+CSQ": b"+CSQ: 5,99\r\n0\r", b"AT+X": b"4\r"})
    assert ch.command("ATV0").final == "OK"
    assert ch.command("AT+CSQ").info == ["+CSQ: 5,99"]
    with pytest.raises(AtCommandError):
        ch.command("AT+X")


def test_command_must_be_one_line(peer_factory):
    _, ch = peer_factory({})
    with pytest.raises(ValueError):
        ch.command("AT\rAT")
