"""Every fault the simulated modem can inject ends in its typed error within its timeout, for every
dialect - or, for the faults a robust driver must ride out, does not disturb the result."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from at_commands.dialects.profiles import DIALECT_NAMES, Rat
from at_commands.errors import (
    AtResponseError,
    AtTimeoutError,
    ModemRebootedError,
    NoCoverageError,
    PdpError,
    RegistrationDeniedError,
    SimError,
)
from at_commands.modem import Modem
from hil.virtual.modem_sim import ModemSimulator, SimulatorHost

TIME_SCALE = 0.01
ATTACH_TIMEOUT = 3.0


@pytest.fixture(scope="module")
def host() -> Iterator[SimulatorHost]:
    shared = SimulatorHost()
    yield shared
    shared.close()


@contextmanager
def modem_with(
    dialect: str, host: SimulatorHost, faults: list[dict]
) -> Iterator[tuple[ModemSimulator, Modem]]:
    with ModemSimulator(dialect, {"faults": faults}, time_scale=TIME_SCALE, host=host) as sim:
        with Modem.open(sim.start_pty(), dialect) as modem:
            modem.initialize()
            yield sim, modem


def within(limit: float, action: Callable[[], object]) -> float:
    start = time.monotonic()
    action()
    elapsed = time.monotonic() - start
    assert elapsed <= limit, f"took {elapsed:.2f} s, limit {limit} s"
    return elapsed


dialects = pytest.mark.parametrize("dialect", DIALECT_NAMES)


@dialects
def test_no_sim(dialect: str, host: SimulatorHost) -> None:
    with modem_with(dialect, host, [{"type": "no_sim"}]) as (_, modem):
        with pytest.raises(SimError) as error:
            within(2, lambda: modem.attach(rat=Rat.LTE_M, timeout=ATTACH_TIMEOUT))
        assert error.value.reason == "not inserted"


@dialects
def test_pin_required_then_unlock(dialect: str, host: SimulatorHost) -> None:
    with modem_with(dialect, host, [{"type": "sim_pin"}]) as (_, modem):
        with pytest.raises(SimError) as error:
            within(2, lambda: modem.attach(rat=Rat.LTE_M, timeout=ATTACH_TIMEOUT))
        assert error.value.reason == "PIN required"
        modem.unlock("1234")
        assert modem.attach(rat=Rat.LTE_M, timeout=ATTACH_TIMEOUT).stat == 5
        assert b"1234" not in b"".join(c.data for c in modem.transcript.chunks())


@dialects
def test_puk_required(dialect: str, host: SimulatorHost) -> None:
    with modem_with(dialect, host, [{"type": "sim_puk"}]) as (_, modem):
        with pytest.raises(SimError) as error:
            modem.attach(rat=Rat.LTE_M, timeout=ATTACH_TIMEOUT)
        assert error.value.reason == "PUK required"


@dialects
def test_sim_busy_is_retried(dialect: str, host: SimulatorHost) -> None:
    with modem_with(dialect, host, [{"type": "sim_busy", "count": 3}]) as (sim, modem):
        assert modem.info().imsi == sim.identity["imsi"]


@dialects
def test_uicc_failure(dialect: str, host: SimulatorHost) -> None:
    with modem_with(dialect, host, [{"type": "uicc_failure"}]) as (_, modem):
        with pytest.raises(SimError) as error:
            within(ATTACH_TIMEOUT + 2, lambda: modem.attach(rat=Rat.LTE_M, timeout=ATTACH_TIMEOUT))
        assert error.value.reason == "failure"


@dialects
def test_registration_denied_carries_the_reject_cause(dialect: str, host: SimulatorHost) -> None:
    with modem_with(dialect, host, [{"type": "registration_denied", "reject_cause": 15}]) as (_, modem):
        with pytest.raises(RegistrationDeniedError) as error:
            within(ATTACH_TIMEOUT + 2, lambda: modem.attach(rat=Rat.LTE_M, timeout=ATTACH_TIMEOUT))
        assert error.value.reject_cause == 15


@dialects
def test_no_coverage(dialect: str, host: SimulatorHost) -> None:
    with modem_with(dialect, host, [{"type": "no_coverage"}]) as (_, modem):
        with pytest.raises(NoCoverageError):
            within(ATTACH_TIMEOUT + 2, lambda: modem.attach(rat=Rat.LTE_M, timeout=ATTACH_TIMEOUT))


@dialects
def test_pdp_reject(dialect: str, host: SimulatorHost) -> None:
    with modem_with(dialect, host, [{"type": "pdp_reject", "esm_cause": 33}]) as (_, modem):
        modem.attach(rat=Rat.LTE_M, timeout=ATTACH_TIMEOUT)
        with pytest.raises(PdpError):
            within(5, modem.activate_pdp)


@dialects
def test_reboot_mid_command_fails_fast(dialect: str, host: SimulatorHost) -> None:
    with modem_with(dialect, host, [{"type": "reboot", "command": "AT+CSQ", "times": 1}]) as (_, modem):
        with pytest.raises((ModemRebootedError, AtTimeoutError)) as error:
            within(6, modem.signal)
        if isinstance(error.value, AtTimeoutError):
            # Modules without a boot URC (u-blox, Telit) just go quiet: the timeout is the evidence.
            assert dialect in ("sara-r4", "sara-r5", "me910")
        assert modem.channel.sync(attempts=20, interval=0.25)
        modem.initialize()  # echo is back on after a reboot; the driver re-initialises and goes on
        assert modem.attach(rat=Rat.LTE_M, timeout=ATTACH_TIMEOUT).stat == 5


@dialects
def test_urc_storm_does_not_disturb_commands(dialect: str, host: SimulatorHost) -> None:
    storm = {"type": "urc_storm", "command": "AT+CGDCONT", "count": 300, "rate_hz": 2000}
    with modem_with(dialect, host, [storm]) as (_, modem):
        assert modem.attach(rat=Rat.LTE_M, timeout=ATTACH_TIMEOUT).stat == 5
        assert modem.apn() == "iot.1nce.net"
        assert modem.info().imei


@dialects
def test_garbage_inside_a_response_is_a_typed_error_with_the_bytes(dialect: str, host: SimulatorHost) -> None:
    garbage = {"type": "garbage", "command": "AT+CSQ", "kind": "non_utf8", "length": 40, "times": 1}
    with modem_with(dialect, host, [garbage]) as (_, modem):
        with pytest.raises(AtResponseError, match="garbled bytes arrived instead"):
            modem.signal()
        assert modem.signal().csq is not None  # the next answer parses again


@dialects
def test_line_noise_between_commands_is_ignored(dialect: str, host: SimulatorHost) -> None:
    noise = [
        {"type": "garbage", "at_s": 0.0, "kind": kind, "length": 64} for kind in ("random", "line_noise")
    ]
    with modem_with(dialect, host, noise) as (_, modem):
        time.sleep(0.05)
        assert modem.attach(rat=Rat.LTE_M, timeout=ATTACH_TIMEOUT).stat == 5
        assert modem.apn() == "iot.1nce.net"


@dialects
def test_slow_response_within_and_beyond_the_timeout(dialect: str, host: SimulatorHost) -> None:
    # delay_s is simulated time: 40 s x time scale 0.01 = 0.4 s of real time.
    with modem_with(dialect, host, [{"type": "slow", "command": "AT+CSQ", "delay_s": 40}]) as (_, modem):
        assert modem.channel.command("AT+CSQ", timeout=3).final == "OK"
        with pytest.raises(AtTimeoutError) as error:
            within(1.0, lambda: modem.channel.command("AT+CSQ", timeout=0.2))
        assert error.value.command == "AT+CSQ"
        assert modem.channel.command("AT").final == "OK"  # the late answer is not taken for this one


@dialects
def test_missing_response(dialect: str, host: SimulatorHost) -> None:
    with modem_with(dialect, host, [{"type": "missing", "command": "AT+CSQ"}]) as (_, modem):
        with pytest.raises(AtTimeoutError, match=r"AT\+CSQ: no final result code within 0\.5 s"):
            within(1.5, lambda: modem.channel.command("AT+CSQ", timeout=0.5))


@dialects
def test_truncated_line_reports_the_partial_bytes(dialect: str, host: SimulatorHost) -> None:
    with modem_with(dialect, host, [{"type": "truncated", "command": "AT+CSQ", "keep_bytes": 8}]) as (
        _,
        modem,
    ):
        with pytest.raises(AtTimeoutError) as error:
            within(1.5, lambda: modem.channel.command("AT+CSQ", timeout=0.5))
        assert error.value.partial or error.value.lines, "the evidence must show what did arrive"
