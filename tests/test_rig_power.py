"""Power switches against a real HTTP server on 127.0.0.1 that records what it was sent."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from hil.rig.capabilities import Power, PowerError
from hil.rig.power import ShellyGen1, SimpleRest, Tasmota, open_power
from hil.rig.rigfile import PowerSpec
from tests.support.power_stub import PowerStub


@pytest.fixture
def stub() -> Iterator[PowerStub]:
    with PowerStub() as running:
        yield running


def test_simplerest_switches_and_reads_with_index_and_value(stub: PowerStub) -> None:
    with open_power(PowerSpec("simplerest", stub.url + "/rest/{index}/{value}", index=3)) as power:
        assert isinstance(power, SimpleRest) and isinstance(power, Power)
        power.on()
        assert stub.state == {3: True}
        assert power.state() is True
        power.off()
        assert power.state() is False
    assert [(r.method, r.path) for r in stub.requests] == [
        ("GET", "/rest/3/1"),
        ("GET", "/rest/3"),  # {value} empty, trailing "/" stripped: labgrid's read
        ("GET", "/rest/3/0"),
        ("GET", "/rest/3"),
    ]


def test_simplerest_cycle_waits_the_off_time(stub: PowerStub) -> None:
    with open_power(PowerSpec("simplerest", stub.url + "/rest/0/{value}", delay=0.3)) as power:
        power.cycle()
    (_, off, t_off), (_, on, t_on) = stub.switches()
    assert (off, on) == (False, True)
    assert t_on - t_off >= 0.3
    with open_power(PowerSpec("simplerest", stub.url + "/rest/0/{value}", delay=5)) as power:
        started = time.monotonic()
        power.cycle(0.05)  # an explicit off time wins over the rig file's delay
        assert time.monotonic() - started < 2


def test_tasmota_power_commands(stub: PowerStub) -> None:
    with open_power(PowerSpec("tasmota", stub.url, index=2)) as power:
        assert isinstance(power, Tasmota)
        power.on()
        assert power.state() is True
        power.off()
    assert [r.query["cmnd"] for r in stub.requests] == [["Power2 On"], ["Power2"], ["Power2 Off"]]
    assert all(r.path == "/cm" for r in stub.requests)
    assert stub.state == {2: False}


def test_tasmota_credentials_go_in_the_query_and_never_in_errors(stub: PowerStub) -> None:
    with open_power(PowerSpec("tasmota", stub.url.replace("//", "//admin:s3cret@"))) as power:
        power.on()
        assert stub.requests[-1].query["user"] == ["admin"]
        assert stub.requests[-1].query["password"] == ["s3cret"]
        assert stub.requests[-1].auth is None
        stub.fail_status = 401
        with pytest.raises(PowerError) as caught:
            power.off()
        assert "s3cret" not in str(caught.value) and "s3cret" not in power.name
        assert "HTTP 401" in str(caught.value)


def test_shelly_gen1_posts_turn_and_reads_ison(stub: PowerStub) -> None:
    with open_power(PowerSpec("shelly", stub.url.replace("//", "//admin:pw@"), index=1)) as power:
        assert isinstance(power, ShellyGen1)
        power.on()
        assert power.state() is True
        power.off()
    first = stub.requests[0]
    assert (first.method, first.path, first.body, first.auth) == ("POST", "/relay/1", "turn=on", "admin:pw")
    assert (stub.requests[1].method, stub.requests[1].path) == ("GET", "/relay/1")
    assert stub.state == {1: False}


def test_switch_reporting_the_wrong_state_is_an_error(stub: PowerStub) -> None:
    stub.lie = True
    with open_power(PowerSpec("shelly", stub.url)) as power, pytest.raises(PowerError, match="ison=False"):
        power.on()
    with open_power(PowerSpec("tasmota", stub.url)) as power, pytest.raises(PowerError, match="reports OFF"):
        power.on()


def test_http_error_names_switch_request_and_body(stub: PowerStub) -> None:
    stub.fail_status = 500
    with open_power(PowerSpec("simplerest", stub.url + "/rest/1/{value}"), name="bench-1 power") as power:
        with pytest.raises(PowerError) as caught:
            power.on()
    message = str(caught.value)
    assert "bench-1 power" in message and "switch on" in message
    assert f"GET {stub.url}/rest/1/1 answered HTTP 500" in message
    assert "relay board on fire" in message


def test_timeout_is_bounded_and_clear(stub: PowerStub) -> None:
    stub.delay_s = 1.0
    with open_power(PowerSpec("tasmota", stub.url), timeout=0.2) as power:
        started = time.monotonic()
        with pytest.raises(PowerError, match=r"no answer to GET .* within 0.2 s"):
            power.on()
        assert time.monotonic() - started < 0.9


def test_nobody_listening(stub: PowerStub) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with open_power(PowerSpec("shelly", f"http://127.0.0.1:{port}"), timeout=1) as power:
        with pytest.raises(PowerError, match=r"POST http://127.0.0.1:\d+/relay/0 failed: ConnectError"):
            power.off()


def test_garbage_answers(stub: PowerStub) -> None:
    # a simplerest read that is not 1/0 (the stub answers "OK" to a path with a value)
    with open_power(PowerSpec("simplerest", stub.url + "/rest/1/1{value}")) as power:
        with pytest.raises(PowerError, match="expected 1 or 0, got 'OK'"):
            power.state()
    with open_power(PowerSpec("tasmota", stub.url + "/nothing")) as power:
        with pytest.raises(PowerError, match="HTTP 404"):
            power.on()
