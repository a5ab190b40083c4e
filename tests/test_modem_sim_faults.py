"""Every scenario fault, from the scenario file and at runtime (API and control channel), seen at
the byte level through a real pty or TCP port."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hil.virtual.modem_sim import ModemSimulator, ScenarioError, load_scenario
from hil.virtual.modem_sim.control import request
from hil.virtual.modem_sim.probe import PortProbe

FAST: dict[str, Any] = {"modem": {"boot_s": 1.0}, "network": {"registration_delay_s": 2.0}}


def scenario(*faults: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return {**FAST, **sections, "faults": list(faults)}


@contextlib.contextmanager
def modem(dialect: str, data: dict[str, Any] | None = None) -> Iterator[tuple[ModemSimulator, PortProbe]]:
    with ModemSimulator(dialect, data or FAST, time_scale=0.01) as sim, PortProbe(sim.start_tcp()) as probe:
        probe.exchange(b"ATE0\r")
        probe.exchange(b"AT+CMEE=1\r")
        yield sim, probe


def ask(probe: PortProbe, line: str) -> bytes:
    return probe.exchange(line.encode() + b"\r")


def roaming(sim: ModemSimulator) -> None:
    sim.wait_until(lambda s: s["registration"]["stat"] == 5 and any(c["active"] for c in s["pdp"]))


# ------------------------------------------------------------------ SIM
def test_no_sim() -> None:
    with modem("bg95", scenario({"type": "no_sim"})) as (sim, probe):
        assert ask(probe, "AT+CPIN?") == b"\r\n+CME ERROR: 10\r\n"
        assert ask(probe, "AT+CIMI") == b"\r\n+CME ERROR: 10\r\n"
        assert ask(probe, "AT+CEREG?") == b"\r\n+CEREG: 0,0\r\n\r\nOK\r\n"
        sim.clear_fault("no_sim")  # the SIM is inserted again
        assert probe.read_until(b"READY\r\n") == b"\r\n+CPIN: READY\r\n"
        roaming(sim)


def test_no_sim_on_nrf_reports_xsim_0_and_cereg_90() -> None:
    with modem("nrf91", scenario(sim={"present": False})) as (_, probe):
        assert ask(probe, "AT%XSIM=1;+CEREG=1") == b"\r\nOK\r\n"
        assert ask(probe, "AT+CFUN=1") == b"\r\nOK\r\n"
        assert probe.read_until(b"+CEREG: 90\r\n") == b"\r\n%XSIM: 0\r\n\r\n+CEREG: 90\r\n"
        assert ask(probe, "AT+CPIN?") == b"\r\n+CME ERROR: 10\r\n"


def test_uicc_failure_on_nrf() -> None:
    with modem("nrf91", scenario({"type": "uicc_failure"})) as (_, probe):
        ask(probe, "AT+CEREG=1")
        ask(probe, "AT+CFUN=1")
        assert probe.read_until(b"90\r\n") == b"\r\n+CEREG: 90\r\n"
        assert ask(probe, "AT+CPIN?") == b"\r\n+CME ERROR: 13\r\n"


def test_pin_required_wrong_pin_then_right_pin() -> None:
    with modem("bg96", scenario({"type": "sim_pin"})) as (sim, probe):
        assert ask(probe, "AT+CPIN?") == b"\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"
        assert ask(probe, "AT+CIMI") == b"\r\n+CME ERROR: 11\r\n"
        assert ask(probe, 'AT+CPIN="0000"') == b"\r\n+CME ERROR: 16\r\n"
        assert ask(probe, "AT+CPINR") == b'\r\n+CPINR: "SIM PIN",2,3\r\n+CPINR: "SIM PUK",10,10\r\n\r\nOK\r\n'
        assert ask(probe, 'AT+CPIN="1234"') == b"\r\nOK\r\n"
        assert probe.read_until(b"READY\r\n") == b"\r\n+CPIN: READY\r\n"
        roaming(sim)


def test_three_wrong_pins_lock_the_sim_and_the_puk_sets_a_new_pin() -> None:
    with modem("sara-r4", scenario(sim={"pin_required": True})) as (sim, probe):
        for _ in range(3):
            assert ask(probe, 'AT+CPIN="9999"') == b"\r\n+CME ERROR: 16\r\n"
        assert ask(probe, "AT+CPIN?") == b"\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n"
        assert ask(probe, 'AT+CPIN="12345678","4321"') == b"\r\nOK\r\n"
        assert ask(probe, "AT+CPIN?") == b"\r\n+CPIN: READY\r\n\r\nOK\r\n"
        assert ask(probe, 'AT+CLCK="SC",2') == b"\r\n+CLCK: 1\r\n\r\nOK\r\n"
        assert ask(probe, 'AT+CLCK="SC",0,"4321"') == b"\r\nOK\r\n"  # the new PIN works
        roaming(sim)


def test_puk_fault_and_nrf_quoted_codes() -> None:
    with modem("nrf91", scenario({"type": "sim_puk"})) as (_, probe):
        ask(probe, "AT+CFUN=4")
        assert ask(probe, "AT+CPIN?") == b'\r\n+CPIN: "SIM PUK"\r\n\r\nOK\r\n'


def test_sim_busy_n_times() -> None:
    with modem("sim7080", scenario({"type": "sim_busy", "count": 2})) as (_, probe):
        assert ask(probe, "AT+CPIN?") == b"\r\n+CME ERROR: 14\r\n"
        assert ask(probe, "AT+CCID") == b"\r\n+CME ERROR: 14\r\n"
        assert ask(probe, "AT+CPIN?") == b"\r\n+CPIN: READY\r\n\r\nOK\r\n"


# ---------------------------------------------------------- registration
def test_registration_denied_with_cause() -> None:
    with modem("bg95", scenario({"type": "registration_denied", "reject_cause": 15})) as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 3)
        assert ask(probe, "AT+CEREG=3;+CEREG?") == b'\r\n+CEREG: 3,3,"1A2B","01A2B3C4",8,0,15\r\n\r\nOK\r\n'
        assert ask(probe, "AT+CGATT?") == b"\r\n+CGATT: 0\r\n\r\nOK\r\n"


def test_denial_at_runtime_then_recovery() -> None:
    with modem("me910") as (sim, probe):
        roaming(sim)
        ask(probe, "AT+CEREG=2")
        fault_id = sim.set_fault({"type": "registration_denied", "reject_cause": 11})
        assert (
            probe.read_until(b",8\r\n", timeout=2)
            == b'\r\n+CEREG: 2\r\n\r\n+CEREG: 3,"1A2B","01A2B3C4",8\r\n'
        )
        sim.clear_fault(fault_id)
        assert probe.read_until(b"+CEREG: 5", timeout=2).endswith(b"+CEREG: 5")


def test_no_coverage() -> None:
    with modem("nrf91", scenario({"type": "no_coverage"})) as (sim, probe):
        ask(probe, "AT+CEREG=1")
        ask(probe, "AT+CFUN=1")
        assert probe.read_until(b"+CEREG: 4\r\n") == b"\r\n+CEREG: 2\r\n\r\n+CEREG: 4\r\n"
        assert ask(probe, "AT+CSQ") == b"\r\n+CSQ: 99,99\r\n\r\nOK\r\n"
        sim.clear_fault("no_coverage")
        assert probe.read_until(b"+CEREG: 5\r\n", timeout=2).endswith(b"\r\n+CEREG: 2\r\n\r\n+CEREG: 5\r\n")


# -------------------------------------------------------------------- PDP
def test_pdp_reject_in_every_form() -> None:
    reject = scenario({"type": "pdp_reject", "esm_cause": 33})
    with modem("bg95", reject) as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert ask(probe, "AT+CGPADDR=1") == b"\r\n+CGPADDR: 1\r\n\r\nOK\r\n"  # attached, no IP
        assert ask(probe, "AT+CGACT=1,1") == b"\r\n+CME ERROR: 133\r\n"
        assert ask(probe, "AT+QIACT=1") == b"\r\n+CME ERROR: 133\r\n"
        ask(probe, 'AT+QIOPEN=1,0,"UDP","127.0.0.1",9,0,0')
        assert probe.read_until(b"561\r\n") == b"\r\n+QIOPEN: 0,561\r\n"
    with modem("sim7080", reject) as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        ask(probe, "AT+CNACT=0,1")
        assert probe.read_until(b"DEACTIVE\r\n") == b"\r\n+APP PDP: 0,DEACTIVE\r\n"
    with modem("sara-r5", {**reject, "faults": [{"type": "pdp_reject", "esm_cause": 27}]}) as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert ask(probe, "AT+UPSDA=0,3") == b"\r\n+CME ERROR: 127\r\n"


def test_wrong_apn_is_rejected_by_the_network() -> None:
    with modem("sara-r4") as (sim, probe):
        ask(probe, "AT+CFUN=0")
        ask(probe, 'AT+CGDCONT=1,"IP","internet"')
        ask(probe, "AT+CFUN=1")
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert ask(probe, "AT+CGACT=1,1") == b"\r\n+CME ERROR: 127\r\n"


def test_network_detach_and_reattach() -> None:
    with modem("bg95") as (sim, probe):
        roaming(sim)
        ask(probe, "AT+CEREG=2;+CGEREP=1")
        sim.detach()
        assert probe.read_until(b"PDN ACT 1\r\n", timeout=2) == (
            b'\r\n+QIURC: "pdpdeact",1\r\n\r\n+CGEV: NW DETACH\r\n\r\n+CEREG: 2\r\n'
            b'\r\n+CEREG: 5,"1A2B","01A2B3C4",8\r\n\r\n+CGEV: ME PDN ACT 1\r\n'
        )


@pytest.mark.parametrize(
    ("dialect", "setup", "urcs"),
    [
        ("bg96", [], b'\r\n+CGEV: NW PDN DEACT 1\r\n\r\n+QIURC: "pdpdeact",1\r\n'),
        ("sim7080", ["AT+CNACT=0,1"], b"\r\n+CGEV: NW PDN DEACT 1\r\n\r\n+APP PDP: 0,DEACTIVE\r\n"),
        ("sara-r5", ["AT+UPSDA=0,3"], b"\r\n+CGEV: NW PDN DEACT 1\r\n\r\n+UUPSDD: 0\r\n"),
        (
            "sim7000",
            ['AT+CSTT="iot.1nce.net"', "AT+CIICR"],
            b"\r\n+CGEV: NW PDN DEACT 1\r\n\r\n+PDP: DEACT\r\n",
        ),
        ("nrf91", [], b"\r\n+CGEV: NW PDN DEACT 0\r\n"),
    ],
)
def test_network_pdp_teardown_urcs(dialect: str, setup: list[str], urcs: bytes) -> None:
    with modem(dialect) as (sim, probe):
        if dialect == "nrf91":
            ask(probe, "AT+CFUN=1")
        roaming(sim)
        for line in setup:
            ask(probe, line)
        time.sleep(0.05)
        probe.drain()
        ask(probe, "AT+CGEREP=1")
        endpoint = sim.start_control()
        assert request(endpoint, {"cmd": "pdp_deactivate"}) == {"ok": True}
        assert probe.read_until(urcs[-12:], timeout=2) == urcs


# ------------------------------------------------------- time and lines
def test_unexpected_reboot_at_a_time() -> None:
    with modem("bg96", scenario({"type": "reboot", "at_s": 10})) as (sim, probe):
        assert probe.read_until(b"RDY\r\n", timeout=2) == b"\r\nRDY\r\n"
        sim.wait_until(lambda s: s["boots"] == 2)
        assert probe.drain() == b"\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n" + (
            b"\r\n+QIND: SMS DONE\r\n\r\n+QIND: PB DONE\r\n"
        )
        assert ask(probe, "AT") == b"AT\r\r\nOK\r\n"  # echo is back on


def test_reboot_when_a_command_arrives() -> None:
    with modem("bg95", scenario({"type": "reboot", "command": "AT+QIOPEN"})) as (sim, probe):
        probe.write(b'AT+QIOPEN=1,0,"UDP","127.0.0.1",9,0,0\r')
        assert probe.read_until(b"APP RDY\r\n", timeout=2) == b"\r\nAPP RDY\r\n"  # no answer, a reboot
        assert sim.status()["boots"] == 2


def test_urc_storm() -> None:
    storm = {"type": "urc_storm", "urc": "+CEREG: 5", "count": 40, "rate_hz": 1000}
    with modem("bg95") as (sim, probe):
        sim.set_fault(storm)
        data = probe.read_until(b"+CEREG: 5\r\n" * 1, timeout=2)
        for _ in range(39):
            data += probe.read_until(b"+CEREG: 5\r\n")
        assert data == b"\r\n+CEREG: 5\r\n" * 40
        assert ask(probe, "AT") == b"\r\nOK\r\n"


def test_garbage_on_the_line_and_inside_a_response() -> None:
    noise = {"type": "garbage", "kind": "bytes", "hex": "FF00C3280D", "at_s": 30}
    inside = {"type": "garbage", "kind": "bytes", "hex": "DEADBEEF", "command": "AT+CGMM", "times": 1}
    clean = b"\r\nSARA-R410M-02B\r\n\r\nOK\r\n"
    with modem("sara-r4", scenario(noise, inside)) as (sim, probe):
        assert probe.read_until(b"\xff\x00\xc3\x28\x0d", timeout=2) == b"\xff\x00\xc3\x28\x0d"
        probe.write(b"AT+CGMM\r")
        answer = probe.read_until(b"OK\r\n")
        assert answer != clean and answer.replace(b"\xde\xad\xbe\xef", b"") == clean
        assert ask(probe, "AT+CGMM") == clean
        for kind in ("random", "non_utf8", "line_noise"):
            sim.set_fault({"type": "garbage", "kind": kind, "length": 16, "command": "AT+CGMM", "times": 1})
            probe.write(b"AT+CGMM\r")
            answer = probe.drain(quiet=0.1)
            assert len(answer) == len(clean) + 16
            assert ask(probe, "AT+CGMM") == clean  # and the modem carries on


def test_slow_missing_and_truncated_responses() -> None:
    faults = [
        {"type": "slow", "command": "AT+CGMR", "delay_s": 30},
        {"type": "missing", "pattern": r"AT\+CSQ$", "times": 1},
        {"type": "truncated", "command": "AT+CGMM", "keep_bytes": 7, "times": 1},
    ]
    with modem("me910", scenario(*faults)) as (_, probe):
        started = time.monotonic()
        assert ask(probe, "AT+CGMR") == b"\r\nM0B.730006\r\n\r\nOK\r\n"
        assert time.monotonic() - started >= 0.28  # 30 modem seconds at time_scale 0.01
        probe.write(b"AT+CSQ\r")
        assert probe.drain(quiet=0.15) == b""  # never answered
        assert ask(probe, "AT+CSQ").startswith(b"\r\n+CSQ: ")
        probe.write(b"AT+CGMM\r")
        assert probe.drain(quiet=0.1) == b"\r\nME910"  # cut mid-line
        assert ask(probe, "AT+CGMM") == b"\r\nME910C1-E2\r\n\r\nOK\r\n"


def test_psm_makes_the_modem_deaf_until_woken() -> None:
    data = {"modem": {"boot_s": 1.0, "psm_idle_s": 5.0}, "network": {"registration_delay_s": 1.0}}
    with modem("bg95", data) as (sim, probe):
        roaming(sim)
        assert ask(probe, 'AT+CPSMS=1,,,"00100001","00000001"') == b"\r\nOK\r\n"  # Active-Time 2 s
        sim.wait_until(lambda s: s["power"] == "psm", timeout=3)
        probe.write(b"AT\r")
        assert probe.drain(quiet=0.1) == b""
        sim.wake()
        assert ask(probe, "AT") == b"\r\nOK\r\n"
        assert sim.status()["psm"]["entries"] == 1


# ---------------------------------------------------- control and files
def test_faults_through_the_control_channel() -> None:
    with modem("bg95") as (sim, probe):
        endpoint = sim.start_control()
        answer = request(endpoint, {"cmd": "fault", "fault": {"type": "sim_busy", "count": 1}})
        assert answer["ok"] is True and answer["id"].startswith("sim_busy")
        assert ask(probe, "AT+CIMI") == b"\r\n+CME ERROR: 14\r\n"
        assert ask(probe, "AT+CIMI") == b"\r\n901405100000001\r\n\r\nOK\r\n"
        bad = request(endpoint, {"cmd": "fault", "fault": {"type": "slow", "command": "AT", "delay_s": "x"}})
        assert bad["ok"] is False and "fault.delay_s" in bad["error"]
        assert request(endpoint, {"cmd": "nope"})["ok"] is False
        assert request(endpoint, {"cmd": "sms", "from": "+4917012345678"})["ok"] is False
        assert request(endpoint, {"cmd": "signal", "rssi_dbm": -99})["ok"] is True
        assert ask(probe, "AT+CSQ") == b"\r\n+CSQ: 7,99\r\n\r\nOK\r\n"
        status = request(endpoint, {"cmd": "status"})["status"]
        assert status["sim"]["iccid"] == "89882280666027595044" and "pin" not in str(status["sim"])
        assert request(endpoint, {"cmd": "reboot"}) == {"ok": True}
        assert probe.read_until(b"APP RDY\r\n", timeout=2).endswith(b"APP RDY\r\n")


def test_control_channel_survives_junk(tmp_path: Path) -> None:
    import socket

    with modem("nrf91") as (sim, _):
        host, port = sim.start_control().split(":")
        with socket.create_connection((host, int(port)), timeout=2) as connection:
            connection.sendall(b'not json\n[1,2]\n{"cmd": "identity"}\n')
            answers = b""
            while answers.count(b"\n") < 3:
                answers += connection.recv(4096)
        lines = answers.splitlines()
        assert b'"ok":false' in lines[0] and b'"ok":false' in lines[1]
        assert b'"imsi":"901405100000001"' in lines[2]


def test_scenario_file_errors_name_the_key_path(tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(
        "network:\n  ip: 192.168.1.5\nfaults:\n  - type: slow\n    command: AT\n    delay_s: soon\n"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert "network.ip:" in message and "faults[0].delay_s:" in message
    path.write_text("faults: [ {type: reboot} ]\n")
    with pytest.raises(
        ScenarioError, match=r"faults\[0\]: Value error, reboot needs at_s, command or pattern"
    ):
        load_scenario(path)
    path.write_text("sim: [unclosed\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(path)
    path.write_text(
        "sim:\n  iccid: '8988228066602759504'\nnetwork:\n  stat: 5\n  rats: [nb-iot]\n"
        "faults:\n  - {type: sim_busy, count: 2}\n"
    )
    loaded = load_scenario(path)
    assert loaded.sim.iccid == "8988228066602759504" and loaded.faults[0].type == "sim_busy"


def test_transcript_has_every_byte_and_no_secrets(tmp_path: Path) -> None:
    log = tmp_path / "modem.log"
    with ModemSimulator("nrf91", FAST, time_scale=0.01, log=log) as sim, PortProbe(sim.start_pty()) as probe:
        probe.exchange(b"AT+CGMM\r")
        probe.exchange(b'AT%CMNG=0,16842753,3,"0123456789ABCDEF"\r')
        probe.exchange(b'AT+CPIN="1234"\r')
    text = log.read_text()
    assert "RX b'AT+CGMM\\r'" in text and "TX b'AT+CGMM\\r\\r\\nnRF9160-SICA\\r\\n\\r\\nOK\\r\\n'" in text
    assert "0123456789ABCDEF" not in text and '1234"' not in text
    assert "%CMNG=0,16842753,3,<redacted>" in text
    assert re.search(r"^\S+ \+\d+\.\d{6} nrf91 RX ", text, re.MULTILINE)
