"""Assertions over a firmware image running in FirmwareLab, shared by the bare-metal and FreeRTOS
acceptance tests: what the console logged against what the emulated cloud saw."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from hil.firmware.console import ConsoleEvent
from hil.firmware.run import FirmwareLab


def eventually(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what} not met within {timeout} s"
        time.sleep(0.05)


def uplinks(lab: FirmwareLab, proto: str) -> list[ConsoleEvent]:
    return lab.events("uplink", proto=proto)


def history(lab: FirmwareLab) -> list[tuple[str, Any]]:
    """(protocol, decoded values) of the Device Inspector history, oldest first."""
    return [(m.protocol, json.loads(m.payload)) for m in reversed(list(lab.cloud.history(lab.iccid)))]


def decoded_history(lab: FirmwareLab, proto: str, count: int) -> list[Any]:
    """The first `count` decoded values of `proto` in the Device Inspector history (waits)."""

    def found() -> list[Any] | None:
        values = [v for q, v in history(lab) if q == proto.upper()]
        return values if len(values) >= count else None

    result: list[Any] = eventually(found, what=f"{count} {proto} uplinks in the Device Inspector history")
    return result


def assert_cloud_decoded_what_was_logged(lab: FirmwareLab) -> None:
    for proto in ("udp", "coap"):
        logged = [e.json("values") for e in uplinks(lab, proto)]
        assert logged, f"no {proto} uplink logged"
        decoded = decoded_history(lab, proto, len(logged))
        assert decoded == logged, f"{proto}: the cloud decoded {decoded}, the firmware logged {logged}"


def bootstrap_then_sms_interval(lab: FirmwareLab) -> ConsoleEvent:
    """The firmware bootstraps and sends a CoAP uplink; then "interval=3" goes to it by MT SMS.
    Returns its `config` line (interval 3, source sms)."""
    auth = lab.wait_for("auth", timeout=30)
    # The Device Authenticator answered the SIM's own address with its ICCID; the PSK it gave
    # is the one the Management API now holds (its length only is logged).
    assert auth["identity"] == lab.iccid
    assert auth.int("psk_len") == len(lab.cloud.psk(lab.iccid)["secretKey"]) > 0
    lab.wait_for("uplink", timeout=20, proto="coap")
    lab.send_sms("interval=3")
    change = lab.wait_for("config", timeout=20)
    assert (change.get("interval"), change.get("source")) == ("3", "sms")
    return change
