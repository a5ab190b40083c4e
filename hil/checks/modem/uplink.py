"""uplink_udp and uplink_coap in modem mode: the harness BCL-encodes sensor values with our codec
for the firmware's nce_sensor template, sends them through the modem's own UDP socket to 1NCE OS,
and checks that the decoded JSON in the Device Inspector (and, when the rig has one, the webhook
inbox) equals what went in. Bytes on the wire against the same data as JSON give the saving."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from hil.checks.base import CheckContext, CheckFailedError, Limit, check
from hil.checks.modem.common import ModemCheck, run_modem_check, wait_for
from hil.records import CheckRecord, Step
from hil.rig.backends.virtual import sensor_template
from hil.rig.capabilities import Cloud, Modem
from sdk_bindings import bcl, coap

UPLINK_MEASUREMENTS = (
    "decoded_matches",
    "inspector_latency",
    "webhook_matches",
    "wire_bytes",
    "json_bytes",
    "saving_pct",
)
UPLINK_COAP_MEASUREMENTS = (*UPLINK_MEASUREMENTS, "coap_code", "topic_matches")
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_TOPIC = "nce_hil/smoke"
CHANGED = "2.04"


def sensor_values(c: ModemCheck) -> dict[str, Any]:
    """The values to send: the suite's `values`, else a reading whose counter is fresh per run
    (so the Device Inspector's older messages never match)."""
    values: dict[str, Any] = {
        "counter": secrets.randbelow(2**32),
        "interval_s": 60,
        "temperature_c10": 215,
        "humidity": 40,
        "battery_mv": 3600,
        "uptime_s": 12345,
    }
    extra = c.param("values", None)
    if extra is not None:
        if not isinstance(extra, Mapping):
            raise CheckFailedError(
                f"parameter values must be a mapping of asset to number, not {extra!r}", "infra"
            )
        values.update(extra)
    return values


def encode(values: Mapping[str, Any]) -> bytes:
    return bcl.encode(bcl.compile_template(sensor_template()), values)


def compact_json(values: Mapping[str, Any]) -> bytes:
    return json.dumps(values, separators=(",", ":")).encode()


def _decoded(payload: str) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        return None


def verify_in_cloud(
    c: ModemCheck, s: Step, protocol: str, values: Mapping[str, Any], sent_at: float, topic: str | None = None
) -> None:
    """The decoded values in the Device Inspector history and, if the rig has one, its webhook."""
    timeout = c.timeout("timeout_s", DEFAULT_TIMEOUT_S)
    iccid = c.iccid
    expected = dict(values)

    def in_history() -> Any:
        for message in c.cloud.client.history(iccid, protocol=protocol, limit=20):
            if _decoded(message.payload) == expected:
                return message
        return None

    message = wait_for(in_history, timeout, interval=0.1)
    c.measure(s, "decoded_matches", message is not None, default=Limit(expected=True), blame="network")
    if message is None:
        return
    latency_ms = (time.monotonic() - sent_at) * 1000
    c.measure(s, "inspector_latency", latency_ms, "ms", Limit(low=0, high=timeout * 1000), blame="network")
    if topic is not None:
        c.measure(s, "topic_matches", message.topic == topic, default=Limit(expected=True))
    inbox = c.cloud.inbox
    if inbox is not None:  # real rigs may have no webhook receiver of their own

        def delivered(envelope: dict[str, Any]) -> bool:
            payload = envelope.get("payload")
            return (
                envelope.get("type") == "TELEMETRY_DATA"
                and envelope.get("source") == protocol
                and isinstance(payload, dict)
                and payload.get("value") == expected
            )

        envelope = inbox.wait(iccid, delivered, timeout)
        c.measure(s, "webhook_matches", envelope is not None, default=Limit(expected=True), blame="network")


def measure_saving(c: ModemCheck, s: Step, wire: int, as_json: int) -> None:
    c.measure(s, "wire_bytes", wire, "B")
    c.measure(s, "json_bytes", as_json, "B")
    c.measure(s, "saving_pct", 100.0 * (1 - wire / as_json), "%", Limit(low=1))


@check("uplink_udp", "modem", needs=(Modem, Cloud), measurements=UPLINK_MEASUREMENTS)
def uplink_udp(ctx: CheckContext) -> CheckRecord:
    """A BCL-encoded UDP uplink through the modem decodes to the values sent (Inspector, webhook)."""
    return run_modem_check(ctx, "uplink_udp", _uplink_udp)


def _uplink_udp(c: ModemCheck) -> None:
    values = sensor_values(c)
    with c.step("send") as s:
        payload = encode(values)
        measure_saving(c, s, len(payload), len(compact_json(values)))
        c.ensure_pdp()
        host, port = c.endpoint("udp")
        with c.modem.open_udp(host, port) as udp:
            sent_at = time.monotonic()
            udp.send(payload)
    with c.step("cloud") as s:
        verify_in_cloud(c, s, "UDP", values, sent_at)


@check("uplink_coap", "modem", needs=(Modem, Cloud), measurements=UPLINK_COAP_MEASUREMENTS)
def uplink_coap(ctx: CheckContext) -> CheckRecord:
    """A BCL-encoded CoAP POST ?t=topic through the modem is acknowledged 2.04 and decodes to the
    values sent (Inspector, webhook)."""
    return run_modem_check(ctx, "uplink_coap", _uplink_coap)


def _uplink_coap(c: ModemCheck) -> None:
    values = sensor_values(c)
    topic = str(c.param("topic", DEFAULT_TOPIC))
    timeout = c.timeout("timeout_s", DEFAULT_TIMEOUT_S)
    with c.step("send") as s:
        message_id, token = secrets.randbelow(0x10000), secrets.token_bytes(2)
        message = coap.build_uplink(encode(values), message_id=message_id, token=token, topic=topic)
        as_json = coap.build_uplink(compact_json(values), message_id=message_id, token=token, topic=topic)
        measure_saving(c, s, len(message), len(as_json))
        c.ensure_pdp()
        host, port = c.endpoint("coap")
        with c.modem.open_udp(host, port) as udp:
            sent_at = time.monotonic()
            udp.send(message)
            answer = coap.parse(udp.receive(timeout).data)
        if answer.message_id != message_id:
            raise CheckFailedError(
                f"CoAP answer has message ID {answer.message_id}, expected {message_id} (ours)", "network"
            )
        c.measure(s, "coap_code", answer.code_text, default=Limit(expected=CHANGED), blame="network")
    with c.step("cloud") as s:
        verify_in_cloud(c, s, "COAP", values, sent_at, topic=topic)
