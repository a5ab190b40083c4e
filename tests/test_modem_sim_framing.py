"""V.250 framing of the simulated modem, byte for byte, through a real pty and a real TCP socket."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator

import pytest
import serial

from hil.virtual.modem_sim import ModemSimulator
from hil.virtual.modem_sim.probe import PortProbe

FAST = {"modem": {"boot_s": 1.0}, "network": {"registration_delay_s": 1.0}}


@pytest.fixture(params=["pty", "tcp"])
def bg95(request: pytest.FixtureRequest) -> Iterator[tuple[ModemSimulator, PortProbe]]:
    with ModemSimulator("bg95", FAST, time_scale=0.01) as sim:
        url = sim.start_pty() if request.param == "pty" else sim.start_tcp()
        with PortProbe(url) as probe:
            yield sim, probe


def test_echo_on_after_boot_then_ate0(bg95: tuple[ModemSimulator, PortProbe]) -> None:
    _, probe = bg95
    assert probe.exchange(b"AT\r") == b"AT\r\r\nOK\r\n"
    assert probe.exchange(b"ATE0\r") == b"ATE0\r\r\nOK\r\n"  # the ATE0 line itself is still echoed
    assert probe.exchange(b"AT\r") == b"\r\nOK\r\n"
    assert probe.exchange(b"ATE1\r") == b"\r\nOK\r\n"
    assert probe.exchange(b"at\r") == b"at\r\r\nOK\r\n"  # case-insensitive, echoed as sent


def test_info_lines_and_concatenation(bg95: tuple[ModemSimulator, PortProbe]) -> None:
    _, probe = bg95
    assert probe.exchange(b"AT+CGMI;+CGMM\r") == b"AT+CGMI;+CGMM\r\r\nQuectel\r\n\r\nBG95-M3\r\n\r\nOK\r\n"
    assert probe.exchange(b"ATE0V1\r") == b"ATE0V1\r\r\nOK\r\n"  # basic commands chain without ';'
    answer = probe.exchange(b"ATI\r")
    assert answer == b"\r\nQuectel\r\nBG95-M3\r\nRevision: BG95M3LAR02A03\r\n\r\nOK\r\n"


def test_numeric_results_and_quiet(bg95: tuple[ModemSimulator, PortProbe]) -> None:
    _, probe = bg95
    probe.exchange(b"ATE0\r")
    probe.write(b"ATV0\r")
    assert probe.read_until(b"\r") == b"0\r"
    probe.write(b"AT+CGMI\r")
    assert probe.read_until(b"0\r") == b"Quectel\r\n0\r"  # V0: info without header, numeric final
    probe.write(b"AT+NOPE\r")
    assert probe.read_until(b"\r") == b"4\r"
    probe.write(b"ATV1Q1\r")
    assert probe.drain() == b""  # quiet: not even the OK
    probe.write(b"AT+CGMI\r")
    assert probe.drain() == b"\r\nQuectel\r\n"
    assert probe.exchange(b"ATQ0\r") == b"\r\nOK\r\n"


@pytest.mark.parametrize(
    ("dialect", "verbose"),
    [
        ("bg95", b"+CME ERROR: SIM not inserted"),
        ("sara-r4", b"+CME ERROR: SIM not inserted"),
        ("sim7080", b"+CME ERROR: SIM not inserted"),
        ("me910", b"+CME ERROR: SIM not inserted"),
    ],
)
def test_cmee_forms(dialect: str, verbose: bytes) -> None:
    no_sim = {"sim": {"present": False}, **FAST}
    with ModemSimulator(dialect, no_sim, time_scale=0.01) as sim, PortProbe(sim.start_pty()) as probe:
        probe.exchange(b"ATE0\r")
        probe.exchange(b"AT+CMEE=0\r")
        assert probe.exchange(b"AT+CPIN?\r") == b"\r\nERROR\r\n"
        probe.exchange(b"AT+CMEE=1\r")
        assert probe.exchange(b"AT+CPIN?\r") == b"\r\n+CME ERROR: 10\r\n"
        probe.exchange(b"AT+CMEE=2\r")
        assert probe.exchange(b"AT+CPIN?\r") == b"\r\n" + verbose + b"\r\n"


def test_nrf_accepts_cmee_0_and_1_only() -> None:
    with ModemSimulator("nrf91", FAST, time_scale=0.01) as sim, PortProbe(sim.start_pty()) as probe:
        assert probe.exchange(b"AT+CMEE=1\r") == b"AT+CMEE=1\r\r\nOK\r\n"
        assert probe.exchange(b"AT+CMEE=2\r") == b"AT+CMEE=2\r\r\nERROR\r\n"
        assert probe.exchange(b"AT+CMEE?\r") == b"AT+CMEE?\r\r\n+CMEE: 1\r\n\r\nOK\r\n"


def test_line_endings_backspace_and_repeat(bg95: tuple[ModemSimulator, PortProbe]) -> None:
    _, probe = bg95
    probe.exchange(b"ATE0\r")
    assert probe.exchange(b"AT+CGMI\r\n") == b"\r\nQuectel\r\n\r\nOK\r\n"
    assert probe.drain() == b""  # the LF after CR is not a second (empty) line
    assert probe.exchange(b"AT+CGMI\n") == b"\r\nQuectel\r\n\r\nOK\r\n"  # LF alone terminates too
    assert probe.exchange(b"AT+CGMX\x08I\r") == b"\r\nQuectel\r\n\r\nOK\r\n"
    probe.write(b"A/")
    assert probe.read_final() == b"\r\nQuectel\r\n\r\nOK\r\n"
    probe.write(b"\r\r\r")
    assert probe.drain() == b""  # empty lines get no answer


def test_garbage_and_overlong_lines_get_error_and_the_modem_keeps_going(
    bg95: tuple[ModemSimulator, PortProbe],
) -> None:
    _, probe = bg95
    probe.exchange(b"ATE0\r")
    assert probe.exchange(b"\xff\xfe garbage \x00\r") == b"\r\nERROR\r\n"
    assert probe.exchange(b"AT" + b"X" * 5000 + b"\r") == b"\r\nERROR\r\n"
    # An unterminated string is a parameter error; Quectel powers up with AT+CMEE=1.
    assert probe.exchange(b'AT+CGDCONT=1,"IP\r') == b"\r\n+CME ERROR: 50\r\n"
    assert probe.exchange(b"AT+CSQ=?\r") == b"\r\n+CSQ: (0-31,99),(0-7,99)\r\n\r\nOK\r\n"
    assert probe.exchange(b"AT\r") == b"\r\nOK\r\n"


def test_a_new_client_is_served_after_the_old_one_left() -> None:
    with ModemSimulator("bg96", FAST, time_scale=0.01) as sim:
        pty = sim.start_pty()
        for _ in range(3):
            with PortProbe(pty) as probe:
                probe.write(b"AT+CGM")  # a half line, then the client goes away
            time.sleep(0.05)  # the simulator has read the half line before the next client opens
            with PortProbe(pty) as probe:
                assert probe.exchange(b"AT\r") == b"AT\r\r\nOK\r\n"
        url = sim.start_tcp()
        first = PortProbe(url)
        assert first.exchange(b"AT\r") == b"AT\r\r\nOK\r\n"
        second = PortProbe(url)  # a new connection replaces the old one
        time.sleep(0.05)
        assert second.exchange(b"AT\r") == b"AT\r\r\nOK\r\n"
        first.close()
        second.close()


def test_urc_framing_and_urcs_inside_a_command(bg95: tuple[ModemSimulator, PortProbe]) -> None:
    sim, probe = bg95
    probe.exchange(b"ATE0\r")
    sim.set_fault({"type": "urc_in_response", "command": "AT+CSQ", "urc": '+QIURC: "pdpdeact",1', "times": 1})
    assert probe.exchange(b"AT+CSQ\r") == b'\r\n+QIURC: "pdpdeact",1\r\n\r\n+CSQ: 21,99\r\n\r\nOK\r\n'
    assert probe.exchange(b"AT+CSQ\r") == b"\r\n+CSQ: 21,99\r\n\r\nOK\r\n"  # times: 1


@pytest.mark.parametrize("policy", ["inline", "deferred"])
def test_urc_policy_during_a_slow_command(policy: str) -> None:
    scenario = {**FAST, "modem": {"boot_s": 1.0, "urc_policy": policy}}
    with ModemSimulator("bg95", scenario, time_scale=0.01) as sim, PortProbe(sim.start_pty()) as probe:
        probe.exchange(b"ATE0\r")
        sim.set_fault({"type": "slow", "command": "AT+CSQ", "delay_s": 30})  # 0.3 s of real time
        probe.write(b"AT+CSQ\r")
        time.sleep(0.1)
        sim.inject_sms("+4917012345678", "hi")  # +CMTI arrives while AT+CSQ is still running
        answer = probe.read_final(timeout=3)
        if policy == "inline":
            assert answer == b'\r\n+CMTI: "SM",1\r\n\r\n+CSQ: 21,99\r\n\r\nOK\r\n'
        else:
            assert answer == b"\r\n+CSQ: 21,99\r\n\r\nOK\r\n"
            assert (
                probe.read_until(b"\r\n", timeout=1) + probe.read_until(b"\r\n") == b'\r\n+CMTI: "SM",1\r\n'
            )


def test_serial_url_handlers_work_with_pyserial_defaults() -> None:
    with ModemSimulator("me910", FAST, time_scale=0.01) as sim:
        port = serial.serial_for_url(sim.start_tcp(), timeout=1)
        port.write(b"AT+CGMM\r")
        assert port.read_until(b"OK\r\n") == b"AT+CGMM\r\r\nME910C1-E2\r\n\r\nOK\r\n"
        port.close()


@pytest.mark.parametrize("dialect", ["bg96", "nrf91", "sara-r5", "sim7000", "sim7080", "me910"])
def test_random_command_lines_never_break_the_modem(dialect: str, caplog: pytest.LogCaptureFixture) -> None:
    """Every command the dialect knows, with random forms and junk parameters: answers, no crash."""
    rng = random.Random(dialect)
    lethal = {"+QPOWD", "+CPOWD", "+CPWROFF", "#SHDN", "+CFUN", "+CREBOOT", "#REBOOT", "#XRESET"}
    lethal |= {"#XRECV", "#XRECVFROM", "#XPOLL"}  # they wait for data in real time, by design
    scenario = {**FAST, "modem": {"boot_s": 1.0, "cfun_s": 0.0}, "network": {"cops_scan_s": 0.0}}
    junk = [
        "",
        "0",
        "1",
        "-1",
        "99999999999",
        '"x"',
        '"',
        "1,2,3,4,5,6,7",
        ",,,",
        '"127.0.0.1",9',
        "0x1F",
        "\xff",
    ]
    with ModemSimulator(dialect, scenario, time_scale=0.01) as sim, PortProbe(sim.start_pty()) as probe:
        names = sorted(set(sim.modem.dialect.table) - lethal)
        for round_ in range(200):
            name = rng.choice(names)
            form = rng.choice(["", "?", "=?", "=" + ",".join(rng.choices(junk, k=rng.randint(1, 4)))])
            probe.write(f"AT{name}{form}\r".encode("latin-1"))
            if round_ % 20 == 19:
                probe.drain(quiet=0.01, limit=0.2)
        probe.write(b"\x1b+++" + b"x" * 1600 + b"\r")  # leave any prompt or data mode
        time.sleep(0.1)
        probe.drain(quiet=0.05)
        sim.power_on()  # in case a command switched the radio or module off
        sim.wait_until(lambda s: s["power"] == "ready")
        probe.drain(quiet=0.05)
        probe.write(b"AT\r")
        assert probe.read_until(b"OK\r\n", timeout=3).endswith(b"OK\r\n")
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR and "modem_sim" in r.name]
    assert not failures, failures[0].getMessage() if failures else ""
