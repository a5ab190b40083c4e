"""Firmware-mode checks of what the firmware sends and receives: BCL uplinks over UDP and CoAP
(decoded by the cloud), an MT SMS that reconfigures it, and the data usage the 1NCE API counts."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from hil.checks.base import CheckContext, CheckFailedError, Limit, check
from hil.checks.firmware.common import FLAG_COAP, FLAG_UDP, FirmwareCheck
from hil.firmware.console import ConsoleEvent
from hil.records import CheckRecord
from hil.rig.capabilities import Cloud, Console
from hil.virtual.netlink import IPV4_UDP_OVERHEAD

DEFAULT_CLOUD_TIMEOUT_S = 20.0
UPLINK_MEASUREMENTS = (
    "round",
    "wire_bytes",
    "payload_bytes",
    "json_bytes",
    "saving_pct",
    "ack_code",
    "decoded_equals_logged",
    "webhook_delivered",
)
SMS_MT_MEASUREMENTS = (
    "text",
    "sms_id_returned",
    "receive_latency",
    "from",
    "config_source",
    "uplink_interval_s",
    "api_state",
)
DATA_USAGE_MEASUREMENTS = (
    "usage_before",
    "datagrams",
    "logged_bytes",
    "usage_delta",
    "overhead_per_datagram",
)


def _poll(what: str, probe: Any, timeout: float, failure_class: str = "dut") -> Any:
    """probe() until it returns something truthy; CheckFailedError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise CheckFailedError(f"{what}: not within {timeout:g} s", failure_class)
        time.sleep(0.2)


def _json_size(values: Any) -> int:
    return len(json.dumps(values, separators=(",", ":")).encode())


def _uplink_check(ctx: CheckContext, proto: str) -> CheckRecord:
    flag = FLAG_UDP if proto == "udp" else FLAG_COAP
    name = f"uplink_{proto}"

    def body(fw: FirmwareCheck) -> None:
        boot = fw.boot()
        if not fw.flags(boot) & flag:
            with fw.step("uplink") as s:
                s.skipped = f"the firmware's config has {proto.upper()} uplinks off (flags)"
            return
        cloud_timeout = float(ctx.param("cloud_timeout_s", DEFAULT_CLOUD_TIMEOUT_S))
        with fw.step("uplink") as s:
            logged = [e for e in fw.log().all("uplink", proto=proto)]
            uplink = logged[-1] if logged else fw.wait_for("uplink", where=lambda e: e.get("proto") == proto)
            values = uplink.json("values")
            payload = uplink.bytes("payload")
            s.measure("round", uplink.int("n"))
            fw.measure(s, "wire_bytes", uplink.int("len"), "B", Limit(low=1, high=1500))
            fw.measure(s, "payload_bytes", len(payload), "B", Limit(low=1))
            json_bytes = fw.measure(s, "json_bytes", _json_size(values), "B")
            saving = round(100.0 * (json_bytes - len(payload)) / json_bytes, 1)
            fw.measure(s, "saving_pct", saving, "%", Limit(low=30.0))
            if proto == "coap":
                mid = uplink["mid"]
                ack = fw.wait_for(
                    "uplink_ack",
                    after=uplink,
                    where=lambda e: e.get("mid") == mid,
                    what=f"the ACK of CoAP mid {mid}",
                )
                fw.measure(s, "ack_code", ack.get("code"), default=Limit(expected="2.04"), blame="network")
        cloud = fw.cloud()
        with fw.step("device_inspector") as s:

            def decoded() -> list[Any]:
                found = []
                for message in cloud.client.history(fw.iccid, protocol=proto.upper(), limit=50):
                    try:
                        found.append(json.loads(message.payload))
                    except ValueError:
                        continue
                return [d for d in found if d == values]

            matches = _poll(
                f"Device Inspector history with the {proto} values {values}", decoded, cloud_timeout
            )
            fw.measure(s, "decoded_equals_logged", matches[0] == values, default=Limit(expected=True))
        if cloud.inbox is not None:
            with fw.step("webhook") as s:
                inbox = cloud.inbox
                envelope = inbox.wait(
                    fw.iccid, lambda d: (d.get("payload") or {}).get("value") == values, timeout=cloud_timeout
                )
                fw.measure(s, "webhook_delivered", envelope is not None, default=Limit(expected=True))

    return FirmwareCheck(ctx, name).run(body)


@check("uplink_udp", "firmware", needs=(Console, Cloud), measurements=UPLINK_MEASUREMENTS)
def uplink_udp(ctx: CheckContext) -> CheckRecord:
    """A BCL uplink over UDP: logged values == decoded JSON in Device Inspector (and webhook)."""
    return _uplink_check(ctx, "udp")


@check("uplink_coap", "firmware", needs=(Console, Cloud), measurements=UPLINK_MEASUREMENTS)
def uplink_coap(ctx: CheckContext) -> CheckRecord:
    """A BCL uplink over CoAP (ACKed): logged values == decoded JSON in Device Inspector (and webhook)."""
    return _uplink_check(ctx, "coap")


@check("sms_mt", "firmware", needs=(Console, Cloud), measurements=SMS_MT_MEASUREMENTS)
def sms_mt(ctx: CheckContext) -> CheckRecord:
    """An "interval=N" SMS through the 1NCE API reconfigures the firmware: console sms + config, the
    next uplink carries N, the API says DELIVERED; latency from send to the console line."""

    def body(fw: FirmwareCheck) -> None:
        client = fw.cloud().client
        with fw.step("send") as s:
            connected = fw.wait_for("connected", what="the connected line (before an SMS can arrive)")
            log = fw.log()
            changes = [e for e in log.all("config") if "interval" in e.fields]
            current = int(changes[-1]["interval"]) if changes else fw.boot().int("period_s")
            interval = int(ctx.param("interval", current + 1 if current < 86400 else current - 1))
            text = f"interval={interval}"
            last = log.events[-1] if log.events else connected
            sent_at = time.monotonic()
            sms_id = client.send_sms(fw.iccid, text, source_address=str(ctx.param("sender", "+4930123456")))
            s.measure("text", text)
            fw.measure(s, "sms_id_returned", sms_id is not None, default=Limit(expected=True), blame="infra")
        with fw.step("received") as s:
            received = fw.wait_for(
                "sms", after=last, where=lambda e: e.get("text") == text, what=f"sms {text!r}"
            )
            latency_ms = (time.monotonic() - sent_at) * 1000  # ms, as in modem mode: one limit fits both
            fw.measure(
                s, "receive_latency", round(latency_ms, 1), "ms", Limit(low=0, high=30_000), blame="network"
            )
            s.measure("from", received.get("from"))
            config = fw.wait_for(
                "config",
                after=received,
                where=lambda e: e.get("interval") == str(interval),
                what=f"config interval={interval}",
            )
            fw.measure(s, "config_source", config.get("source"), default=Limit(expected="sms"))
        with fw.step("applied") as s:
            uplink = fw.wait_for(
                "uplink",
                after=config,
                timeout=interval + float(ctx.param("timeout_s", 60.0)),
                what="the first uplink after the new interval",
            )
            fw.measure(
                s, "uplink_interval_s", uplink.json("values").get("interval_s"), "s", Limit(expected=interval)
            )
        with fw.step("api_state") as s:
            assert sms_id is not None

            def delivered() -> str | None:
                state = client.sms_detail(fw.iccid, sms_id).status.description
                return state if state == "DELIVERED" else None

            state = _poll(f"SMS {sms_id} in state DELIVERED", delivered, DEFAULT_CLOUD_TIMEOUT_S, "network")
            fw.measure(s, "api_state", state, default=Limit(expected="DELIVERED"), blame="network")

    return FirmwareCheck(ctx, "sms_mt").run(body)


def _round_end(fw: FirmwareCheck, flags: int, after: ConsoleEvent | None) -> ConsoleEvent:
    """The last event of the next uplink round after `after` (CoAP's ACK, else the UDP uplink)."""
    if flags & FLAG_COAP:
        return fw.wait_for("uplink_ack", after=after, what="the end of an uplink round (CoAP ACK)")
    return fw.wait_for("uplink", after=after, what="the end of an uplink round (UDP uplink)")


def _tx_bytes(fw: FirmwareCheck) -> int:
    """Bytes the SIM sent, all days, as the 1NCE API's usage counts them (MB with 6 decimals)."""
    total = 0
    for day in fw.cloud().client.usage(fw.iccid):
        if day.data is not None:
            total += round(float(day.data.volume_tx) * 1_000_000)
    return total


@check("data_usage", "firmware", needs=(Console, Cloud), measurements=DATA_USAGE_MEASUREMENTS)
def data_usage(ctx: CheckContext) -> CheckRecord:
    """The 1NCE API's usage grows by the uplink bytes the firmware logged, within IP/UDP header overhead."""

    def body(fw: FirmwareCheck) -> None:
        rounds = int(ctx.param("rounds", 1))
        with fw.step("baseline") as s:
            flags = fw.flags(fw.boot())
            if not flags & (FLAG_UDP | FLAG_COAP):
                raise CheckFailedError(
                    "the firmware's config sends no uplinks (flags): nothing to count", "dut"
                )
            # Between rounds the firmware sends nothing: read the usage right after one ends.
            start = _round_end(fw, flags, None if not fw.log().events else fw.log().events[-1])
            before = _tx_bytes(fw)
            s.measure("usage_before", before, "B")
        with fw.step("rounds") as s:
            end = start
            for _ in range(rounds):
                end = _round_end(fw, flags, end)
            after = _tx_bytes(fw)
            events = fw.log().events
            sent = [e for e in events[events.index(start) + 1 : events.index(end) + 1] if e.event == "uplink"]
            logged = sum(e.int("len") for e in sent)
            delta = after - before
            s.measure("datagrams", len(sent))
            fw.measure(s, "logged_bytes", logged, "B", Limit(low=1))
            fw.measure(s, "usage_delta", delta, "B", Limit(low=logged))
            overhead = (delta - logged) / len(sent) if sent else 0.0
            # IPv4 + UDP headers are 28 B per datagram; anything above 64 B means uncounted traffic.
            fw.measure(
                s, "overhead_per_datagram", round(overhead, 1), "B", Limit(low=IPV4_UDP_OVERHEAD, high=64)
            )

    return FirmwareCheck(ctx, "data_usage").run(body)


DOWNLINK_MEASUREMENTS = (
    "received",
    "payload_matches",
    "downlink_latency",
    "request",
)  # names as in modem mode
DEFAULT_DOWNLINK_PORT = 5000  # the firmware's NCE_APP_DOWNLINK_PORT


@check("downlink", "firmware", needs=(Console, Cloud), measurements=DOWNLINK_MEASUREMENTS)
def downlink(ctx: CheckContext) -> CheckRecord:
    """A Device Controller UDP downlink ("send when active") reaches the firmware after its next
    uplink (console `downlink` with the same bytes); latency from the API call to the console line."""

    def body(fw: FirmwareCheck) -> None:
        client = fw.cloud().client
        payload = f"nce-hil downlink {secrets.token_hex(4)}".encode()
        port = int(ctx.param("port", DEFAULT_DOWNLINK_PORT))
        with fw.step("send") as s:
            connected = fw.wait_for("connected", what="the connected line (before a downlink can arrive)")
            log = fw.log()
            last = log.events[-1] if log.events else connected
            sent_at = time.monotonic()
            request_id = client.send_udp(fw.iccid, payload, port, when_active=True)
            s.measure("request", request_id)
        with fw.step("received") as s:
            received = fw.wait_for(
                "downlink",
                after=last,
                where=lambda e: e.get("bytes") == payload.hex(),
                what=f"the downlink {payload!r} on port {port}",
            )
            latency_ms = (time.monotonic() - sent_at) * 1000
            fw.measure(s, "received", True, default=Limit(expected=True), blame="network")
            fw.measure(s, "payload_matches", received.bytes("bytes") == payload, default=Limit(expected=True))
            timeout_ms = float(ctx.param("timeout_s", DEFAULT_CLOUD_TIMEOUT_S)) * 1000
            fw.measure(
                s,
                "downlink_latency",
                round(latency_ms, 1),
                "ms",
                Limit(low=0, high=timeout_ms),
                blame="network",
            )

    return FirmwareCheck(ctx, "downlink").run(body)


SMS_MO_MEASUREMENTS = ("request", "sent", "reference", "api_listed", "api_latency", "text_matches")
STATUS_REPLY = "status counter="  # the firmware's answer to a "status" SMS starts so


@check("sms_mo", "firmware", needs=(Console, Cloud), measurements=SMS_MO_MEASUREMENTS)
def sms_mo(ctx: CheckContext) -> CheckRecord:
    """A "status" SMS through the 1NCE API makes the firmware answer with an MO SMS (console
    `sms_sent`); the API lists it as MO with the same text; latency from the request to the list."""

    def body(fw: FirmwareCheck) -> None:
        client = fw.cloud().client
        with fw.step("ask") as s:
            connected = fw.wait_for("connected", what="the connected line (before an SMS can arrive)")
            log = fw.log()
            last = log.events[-1] if log.events else connected
            sent_at = time.monotonic()
            sms_id = client.send_sms(
                fw.iccid, "status", source_address=str(ctx.param("sender", "+4930123456"))
            )
            s.measure("request", sms_id)
        with fw.step("reply") as s:
            reply = fw.wait_for(
                "sms_sent",
                after=last,
                where=lambda e: (e.get("text") or "").startswith(STATUS_REPLY),
                what="the firmware's status reply (sms_sent)",
            )
            text = reply["text"]
            fw.measure(s, "sent", True, default=Limit(expected=True))
            s.measure("reference", reply.int("mr"))
        with fw.step("api") as s:
            timeout = float(ctx.param("timeout_s", DEFAULT_CLOUD_TIMEOUT_S))
            deadline = time.monotonic() + timeout
            listed = None
            while listed is None and time.monotonic() < deadline:
                listed = next(
                    (
                        m
                        for m in client.sms_list(fw.iccid)
                        if m.sms_type.description == "MO" and m.payload == text
                    ),
                    None,
                )
                if listed is None:
                    time.sleep(0.1)
            latency_ms = (time.monotonic() - sent_at) * 1000
            fw.measure(s, "api_listed", listed is not None, default=Limit(expected=True), blame="network")
            fw.measure(
                s, "text_matches", listed is not None and listed.payload == text, default=Limit(expected=True)
            )
            if listed is not None:
                fw.measure(
                    s,
                    "api_latency",
                    round(latency_ms, 1),
                    "ms",
                    Limit(low=0, high=timeout * 1000),
                    blame="network",
                )

    return FirmwareCheck(ctx, "sms_mo").run(body)
