"""SMS through the simulated modem: AT+CMGS in PDU and text mode with the "> " prompt, Ctrl-Z and
ESC; MT delivery as +CMTI (stored, CMGR/CMGL/CMGD) or +CMT (routed; nRF must acknowledge)."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from typing import Any

from at_commands.sms import SmsDeliver, SmsSubmit, decode_pdu
from hil.virtual.modem_sim import ModemSimulator
from hil.virtual.modem_sim.probe import PortProbe

FAST: dict[str, Any] = {
    "modem": {"boot_s": 1.0},
    "network": {"registration_delay_s": 1.0, "sms_delay_s": 1.0},
}
# "Hello World!" to +27820001111 (python-gsmmodem's vector, reference §4.3): 25 octets, TPDU 24.
HELLO_PDU = b"0001000B917228001011F100000CC8329BFD065DDF72363904"
SENDER = "+4917012345678"


@contextlib.contextmanager
def registered(
    dialect: str, scenario: dict[str, Any] | None = None
) -> Iterator[tuple[ModemSimulator, PortProbe]]:
    with (
        ModemSimulator(dialect, scenario or FAST, time_scale=0.01) as sim,
        PortProbe(sim.start_pty()) as probe,
    ):
        probe.exchange(b"ATE0\r")
        probe.exchange(b"AT+CMEE=1\r")
        if dialect == "nrf91":
            probe.exchange(b"AT+CFUN=1\r")
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        yield sim, probe


def ask(probe: PortProbe, line: str) -> bytes:
    return probe.exchange(line.encode() + b"\r")


def test_cmgs_pdu_flow_byte_exact() -> None:
    with registered("bg95") as (sim, probe):
        assert ask(probe, "AT+CMGF=0") == b"\r\nOK\r\n"
        assert ask(probe, "AT+CMGS=24") == b"\r\n> "
        assert probe.exchange(HELLO_PDU + b"\x1a") == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
        ask(probe, "AT+CMGS=24")
        assert probe.exchange(HELLO_PDU + b"\x1a") == b"\r\n+CMGS: 1\r\n\r\nOK\r\n"
        sent = sim.standalone.mo_sms
        assert [bytes.fromhex(t)[1] for t in sent] == [0, 1]  # the modem assigns TP-MR
        message = decode_pdu(sent[0], has_smsc=False, direction="mo")
        assert isinstance(message, SmsSubmit)
        assert (message.destination.number, message.text) == ("+27820001111", "Hello World!")
        ask(probe, "AT+CMGS=23")
        assert probe.exchange(HELLO_PDU + b"\x1a") == b"\r\n+CMS ERROR: 304\r\n"  # length disagrees
        ask(probe, "AT+CMGS=24")
        assert probe.exchange(b"00010\x1b") == b"\r\nOK\r\n"  # ESC: nothing sent
        assert len(sim.standalone.mo_sms) == 2


def test_cmgs_echo_while_typing_the_pdu_is_configurable() -> None:
    scenario = {**FAST, "modem": {"boot_s": 1.0, "echo_payload": True}}
    with registered("bg96", scenario) as (_, probe):
        ask(probe, "ATE1")
        probe.write(b"AT+CMGS=24\r")
        assert probe.read_until(b"> ") == b"AT+CMGS=24\r\r\n> "
        probe.write(HELLO_PDU + b"\x1a")
        assert probe.read_final() == HELLO_PDU + b"\r\n+CMGS: 0\r\n\r\nOK\r\n"


def test_cmgs_text_mode_with_a_second_prompt() -> None:
    with registered("sim7000") as (sim, probe):
        assert ask(probe, "AT+CMGF=1") == b"\r\nOK\r\n"
        assert ask(probe, 'AT+CSCS="GSM"') == b"\r\nOK\r\n"
        assert ask(probe, f'AT+CMGS="{SENDER}"') == b"\r\n> "
        probe.write(b"Hello\r")
        assert probe.read_until(b"> ") == b"\r\n> "  # every CR gives another prompt
        assert probe.exchange(b"world\x1a") == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
        message = decode_pdu(sim.standalone.mo_sms[0], has_smsc=False, direction="mo")
        assert isinstance(message, SmsSubmit)
        assert (message.destination.number, message.text) == (SENDER, "Hello\rworld")


def test_nrf_is_pdu_only_and_needs_an_sms_client() -> None:
    with registered("nrf91") as (_, probe):
        assert ask(probe, "AT+CMGF=1") == b"\r\nERROR\r\n"
        assert ask(probe, "AT+CMGF?") == b"\r\n+CMGF: 0\r\n\r\nOK\r\n"
        assert ask(probe, "AT+CMGS=24") == b"\r\n+CMS ERROR: 524\r\n"
        assert ask(probe, "AT+CNMI=3,2,0,1") == b"\r\nOK\r\n"
        assert ask(probe, "AT+CMGS=24") == b"\r\n> "
        assert probe.exchange(HELLO_PDU + b"\x1a") == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
        assert ask(probe, "AT+CPMS?") == b'\r\n+CPMS: "TA",0,3,"TA",0,3,"TA",0,3\r\n\r\nOK\r\n'
        assert ask(probe, "AT+CMGR=1") == b"\r\nERROR\r\n"  # no SMS storage on the nRF91


def test_mt_sms_stored_read_and_deleted() -> None:
    with registered("bg95") as (sim, probe):
        ids = sim.inject_sms(SENDER, "hello")
        assert probe.read_until(b'"SM",1\r\n') == b'\r\n+CMTI: "SM",1\r\n'
        assert sim.standalone.mt_results == {ids[0]: True}
        ask(probe, "AT+CMGF=1")
        answer = ask(probe, "AT+CMGR=1")
        assert re.fullmatch(
            rb'\r\n\+CMGR: "REC UNREAD","\+4917012345678",,"\d\d/\d\d/\d\d,\d\d:\d\d:\d\d[+-]\d\d"\r\nhello'
            rb"\r\n\r\nOK\r\n",
            answer,
        ), answer
        assert ask(probe, "AT+CMGR=1").startswith(b'\r\n+CMGR: "REC READ","+4917012345678",,"')
        assert ask(probe, 'AT+CMGL="ALL"').startswith(b'\r\n+CMGL: 1,"REC READ","+4917012345678",,"')
        ask(probe, "AT+CMGF=0")
        pdu_answer = ask(probe, "AT+CMGR=1")
        header, pdu, _ = pdu_answer.split(b"\r\n")[1:4]
        message = decode_pdu(pdu.decode(), has_smsc=True, direction="mt")
        assert isinstance(message, SmsDeliver)
        octets = bytes.fromhex(pdu.decode())
        assert header == f"+CMGR: 1,,{len(octets) - octets[0] - 1}".encode()  # <length> leaves out the SMSC
        assert (message.originator.number, message.text) == (SENDER, "hello")
        assert ask(probe, "AT+CPMS?") == b'\r\n+CPMS: "SM",1,30,"SM",1,30,"SM",1,30\r\n\r\nOK\r\n'
        assert ask(probe, "AT+CMGD=1") == b"\r\nOK\r\n"
        assert ask(probe, "AT+CMGR=1") == b"\r\n+CMS ERROR: 321\r\n"


def test_mt_sms_routed_with_cmt() -> None:
    with registered("bg96") as (sim, probe):
        ask(probe, "AT+CNMI=2,2,0,0,0")
        sim.inject_sms(SENDER, "routed")
        header = probe.read_until(b"\r\n", timeout=2) + probe.read_until(b"\r\n")
        match = re.fullmatch(rb"\r\n\+CMT: ,(\d+)\r\n", header)
        assert match, header
        pdu = probe.read_until(b"\r\n")[:-2]
        octets = bytes.fromhex(pdu.decode())
        assert len(octets) == int(match.group(1)) + octets[0] + 1
        ask(probe, "AT+CMGF=1")
        sim.inject_sms(SENDER, "as text")
        assert re.fullmatch(
            rb'\r\n\+CMT: "\+4917012345678",,"[^"]+"\r\nas text\r\n', probe.read_until(b"as text\r\n")
        )


def test_nrf_cmt_must_be_acknowledged() -> None:
    scenario = {**FAST, "modem": {"boot_s": 1.0, "cnma_timeout_s": 10.0}}
    with registered("nrf91", scenario) as (sim, probe):
        ask(probe, "AT+CNMI=3,2,0,1")
        first = sim.inject_sms(SENDER, "ack me")[0]
        assert probe.read_until(b",", timeout=2) == f'\r\n+CMT: "{SENDER}",'.encode()
        probe.read_until(b"\r\n")
        probe.read_until(b"\r\n")
        assert ask(probe, "AT+CNMA=1") == b"\r\nOK\r\n"
        assert sim.standalone.mt_results[first] is True
        assert ask(probe, "AT+CNMA=1") == b"\r\n+CMS ERROR: 340\r\n"
        second = sim.inject_sms(SENDER, "ignored")[0]
        probe.read_until(b"+CMT:")
        deadline = time.monotonic() + 2
        while second not in sim.standalone.mt_results and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sim.standalone.mt_results[second] is False  # unacknowledged: undelivered


def test_nrf_without_sms_client_cannot_take_mt() -> None:
    with registered("nrf91") as (sim, probe):
        sms_id = sim.inject_sms(SENDER, "nobody listens")[0]
        assert sim.standalone.mt_results == {sms_id: False}
        assert probe.drain() == b""


def test_scenario_sms_seed_arrives_on_time() -> None:
    scenario = {**FAST, "sms": [{"from": SENDER, "text": "seeded", "at_s": 5}]}
    with registered("sara-r4", scenario) as (_, probe):
        assert probe.read_until(b'\r\n+CMTI: "SM",1\r\n', timeout=3).endswith(b'+CMTI: "SM",1\r\n')
        ask(probe, "AT+CMGF=1")
        assert ask(probe, "AT+CMGR=1").split(b"\r\n")[2] == b"seeded"


def test_sms_settings_read_back() -> None:
    with registered("me910") as (_, probe):
        assert ask(probe, 'AT+CSCA="+491710760000",145') == b"\r\nOK\r\n"
        assert ask(probe, "AT+CSCA?") == b'\r\n+CSCA: "+491710760000",145\r\n\r\nOK\r\n'
        assert ask(probe, "AT+CSMP=49,167,0,0") == b"\r\nOK\r\n"
        assert ask(probe, "AT+CSMP?") == b"\r\n+CSMP: 49,167,0,0\r\n\r\nOK\r\n"
        assert ask(probe, 'AT+CPMS="ME","ME","ME"') == b"\r\n+CPMS: 0,30,0,30,0,30\r\n\r\nOK\r\n"
        assert ask(probe, "AT+CNMI=2,1,0,2,0;+CNMI?") == b"\r\n+CNMI: 2,1,0,2,0\r\n\r\nOK\r\n"
        assert ask(probe, 'AT+CPMS="XX"') == b"\r\n+CMS ERROR: 302\r\n"


def test_mo_sms_needs_registration() -> None:
    with registered("bg95") as (_, probe):
        ask(probe, "AT+CFUN=4")
        ask(probe, "AT+CMGS=24")
        assert probe.exchange(HELLO_PDU + b"\x1a") == b"\r\n+CMS ERROR: 331\r\n"
