"""Rig capabilities: lookup by type with clear errors, the line console's expect/death/close, and
closing a rig releases everything even when one part fails."""

from __future__ import annotations

import threading

import pytest

from hil.rig.capabilities import (
    Cloud,
    Console,
    ConsoleDeadError,
    ConsoleTimeoutError,
    LineConsole,
    Modem,
    Power,
)
from hil.rig.rig import MissingCapabilityError, Rig


class _Spec:
    name = "bench-3"
    backend = "virtual"


def test_rig_hands_out_capabilities_by_type_and_names_what_is_missing() -> None:
    console = LineConsole("uart0")
    rig = Rig(_Spec(), {Console: console})
    assert rig.has(Console) and not rig.has(Modem)
    assert rig.get(Console) is console
    with pytest.raises(MissingCapabilityError) as info:
        rig.get(Modem, needed_by="attach")
    message = str(info.value)
    assert "bench-3" in message and "Modem" in message and "attach" in message and "Console" in message
    assert isinstance(console, Console)


def test_close_runs_every_closer_in_reverse_even_if_one_fails() -> None:
    order: list[str] = []

    def fail() -> None:
        order.append("fail")
        raise OSError("port gone")

    rig = Rig(_Spec(), closers=[lambda: order.append("first"), fail, lambda: order.append("last")])
    with pytest.raises(RuntimeError, match="port gone"):
        rig.close()
    assert order == ["last", "fail", "first"]
    rig.close()  # idempotent
    assert order == ["last", "fail", "first"]


def test_console_expect_matches_from_another_thread() -> None:
    console = LineConsole("uart0")

    def produce() -> None:
        for line in ("boot", "nce: event=boot version=1.2.3", "ready"):
            console.feed(line + "\r\n")

    threading.Thread(target=produce).start()
    match = console.expect(r"version=(\S+)", timeout=5)
    assert match.group(1) == "1.2.3"
    assert console.lines() == ["boot", "nce: event=boot version=1.2.3"]


def test_console_expect_times_out_naming_pattern_and_last_line() -> None:
    console = LineConsole("uart0")
    console.feed("hello")
    with pytest.raises(ConsoleTimeoutError, match=r"'never'.*'hello'"):
        console.expect("never", timeout=0.3)


def test_console_fails_fast_on_death_string_and_on_close() -> None:
    console = LineConsole("uart0")
    console.feed("HardFault at 0x0800_1234")
    with pytest.raises(ConsoleDeadError, match="HardFault"):
        console.expect("ready", timeout=30)
    console.feed("last words")
    console.close()
    assert console.read_line(1) == "last words"
    with pytest.raises(ConsoleDeadError, match="closed"):
        console.read_line(1)


def test_cloud_endpoint_lookup_names_known_endpoints() -> None:
    from hil.cloud.client import CloudClient
    from hil.cloud.config import CloudSettings

    client = CloudClient(CloudSettings(api_url="http://127.0.0.1:9", client_id="x", client_secret="y"))
    cloud = Cloud(client, {"udp": "udp://127.0.0.1:5000"})
    assert cloud.endpoint("udp") == "udp://127.0.0.1:5000" and not cloud.virtual
    with pytest.raises(KeyError, match="udp"):
        cloud.endpoint("coap")
    client.close()
    assert not isinstance(object(), Power)


def test_a_cloud_for_the_real_api_sends_devices_to_1nce_production_endpoints() -> None:
    from pydantic import SecretStr

    from hil.cloud.client import CloudClient
    from hil.cloud.config import CloudSettings
    from hil.rig.capabilities import ONE_NCE_ENDPOINTS, Cloud

    settings = CloudSettings(
        api_url="https://api.1nce.com/management-api", client_id="id", client_secret=SecretStr("s")
    )
    with CloudClient(settings) as client:
        real = Cloud(client)
        assert real.endpoint("udp") == "udp://udp.os.1nce.com:4445" == ONE_NCE_ENDPOINTS["udp"]
        assert real.endpoint("bootstrap") == "coap://coap.os.1nce.com:5683/bootstrap"
        assert Cloud(client, endpoints={"udp": "udp://127.0.0.1:9"}).endpoint("udp") == "udp://127.0.0.1:9"
        with pytest.raises(KeyError, match="no 'netlink' endpoint"):
            real.endpoint("netlink")
