"""The full modem check: identify, SIM, attach, APN, signal, PDP, UDP both ways, SMS MO and MT.

It needs only capabilities: a Modem (any dialect, any transport) and a UDP peer the modem can
reach; MT SMS and the network's view of MO SMS are optional capabilities the virtual lab (or a
cloud API on a real rig) provides.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from at_commands.dialects.profiles import Rat
from at_commands.modem import Modem
from at_commands.sim import is_1nce
from at_commands.sms import decode_submit
from hil.records import CheckRecord, StepFailedError, step

APN = "iot.1nce.net"
MO_TEXT = "nce-hil modem check"
MT_TEXT = "nce-hil MT check ✓"


@dataclass
class ModemCheckOptions:
    expected_dialect: str | None = None
    rat: Rat = Rat.LTE_M
    attach_timeout_s: float = 180.0
    udp_timeout_s: float = 10.0
    sms_timeout_s: float = 60.0
    # Optional capabilities of the rig:
    inject_mt_sms: Callable[[str, str], object] | None = None  # (sender, text) -> None
    network_mo_sms: Callable[[], list[str]] | None = None  # TPDUs the network received, oldest first


def run_modem_check(modem: Modem, peer: socket.socket, options: ModemCheckOptions) -> CheckRecord:
    """Run every step; a failed step is recorded and the ones that depend on it are skipped."""
    record = CheckRecord("modem", modem.name)
    started = time.monotonic()
    modem.initialize()
    _identify(record, modem, options)
    attached = _attach(record, modem, options)
    ip = _pdp(record, modem) if attached else None
    if ip is not None:
        _udp(record, modem, peer, ip, options)
    else:
        _skip(record, ["udp_uplink", "udp_downlink"], "no PDP context")
    if attached:
        _sms_mo(record, modem, options)
        _sms_mt(record, modem, options)
    else:
        _skip(record, ["sms_mo", "sms_mt"], "not attached")
    record.duration_s = time.monotonic() - started
    return record


def _skip(record: CheckRecord, names: list[str], why: str) -> None:
    for name in names:
        with step(record, name) as skipped:
            skipped.skipped = why


def _identify(record: CheckRecord, modem: Modem, options: ModemCheckOptions) -> None:
    with step(record, "identify") as s:
        info = modem.info()
        if options.expected_dialect:
            s.measure("dialect", info.dialect, expected=options.expected_dialect)
        s.measure("model", info.model)
        s.measure("imei_digits", len(info.imei), expected=15)
    with step(record, "sim") as s:
        s.measure("iccid_digits", len(info.iccid), expected=19)
        s.measure("iccid_prefix", info.iccid[:2], expected="89")  # telecom ICCIDs (E.118)
        s.measure("imsi_is_1nce", is_1nce(info.imsi), expected=True)
        files = modem.sim_files()
        s.measure("ef_iccid_matches", files.iccid.startswith(info.iccid), expected=True)
        s.measure("forbidden_plmns", len(files.forbidden_plmns), expected=0)


def _attach(record: CheckRecord, modem: Modem, options: ModemCheckOptions) -> bool:
    with step(record, "attach") as s:
        start = time.monotonic()
        registration = modem.attach(rat=options.rat, apn=APN, timeout=options.attach_timeout_s)
        s.measure("time_to_attach", time.monotonic() - start, "s", low=0, high=options.attach_timeout_s)
        s.measure("stat", registration.stat, expected=5)  # 1NCE SIMs always roam
        s.measure("rat", registration.rat.value if registration.rat else None, expected=options.rat.value)
    attached = record.steps[-1].error is None
    with step(record, "apn") as s:
        if not attached:
            s.skipped = "not attached"
        else:
            s.measure("apn", modem.apn(), expected=APN)
    with step(record, "signal") as s:
        if not attached:
            s.skipped = "not attached"
        else:
            signal = modem.signal()
            s.measure("rssi", signal.rssi_dbm, "dBm", low=-113, high=-51)
            if signal.rsrp_dbm is not None:
                s.measure("rsrp", signal.rsrp_dbm, "dBm", low=-140, high=-44)
    return attached


def _pdp(record: CheckRecord, modem: Modem) -> str | None:
    ip: str | None = None
    with step(record, "pdp") as s:
        start = time.monotonic()
        context = modem.activate_pdp(APN)
        s.measure("time_to_ip", time.monotonic() - start, "s", low=0, high=150)
        in_1nce_range = ipaddress.IPv4Address(context.ip) in ipaddress.IPv4Network("10.0.0.0/8") or (
            ipaddress.IPv4Address(context.ip) in ipaddress.IPv4Network("100.64.0.0/10")
        )
        s.measure("ip_in_1nce_pools", in_1nce_range, expected=True)
        ip = context.ip
    return ip


def _udp(record: CheckRecord, modem: Modem, peer: socket.socket, ip: str, options: ModemCheckOptions) -> None:
    host, port = peer.getsockname()[:2]
    peer.settimeout(options.udp_timeout_s)
    payload = b"nce-hil uplink \x00\x01\x02"
    with modem.open_udp(host, port) as udp:
        source: tuple[str, int] | None = None
        with step(record, "udp_uplink") as s:
            start = time.monotonic()
            udp.send(payload)
            data, source = peer.recvfrom(4096)
            s.measure(
                "uplink_latency",
                (time.monotonic() - start) * 1000,
                "ms",
                low=0,
                high=options.udp_timeout_s * 1000,
            )
            s.measure("payload_intact", data == payload, expected=True)
            if ip.startswith("10."):
                s.measure("source_address", source[0], expected="127." + ip.split(".", 1)[1])
        with step(record, "udp_downlink") as s:
            if source is None:
                s.skipped = "no uplink to answer"
            else:
                start = time.monotonic()
                peer.sendto(b"nce-hil downlink", source)
                reply = udp.receive(options.udp_timeout_s)
                s.measure(
                    "downlink_latency",
                    (time.monotonic() - start) * 1000,
                    "ms",
                    low=0,
                    high=options.udp_timeout_s * 1000,
                )
                s.measure("payload_intact", reply.data == b"nce-hil downlink", expected=True)


def _sms_mo(record: CheckRecord, modem: Modem, options: ModemCheckOptions) -> None:
    with step(record, "sms_mo") as s:
        references = modem.send_sms("+491701234567", MO_TEXT)
        s.measure("parts", len(references), expected=1)
        if options.network_mo_sms is not None:
            received = options.network_mo_sms()
            if not received:
                raise StepFailedError("the network received no MO SMS")
            s.measure("network_got_text", decode_submit(received[-1], has_smsc=False).text, expected=MO_TEXT)


def _sms_mt(record: CheckRecord, modem: Modem, options: ModemCheckOptions) -> None:
    with step(record, "sms_mt") as s:
        if options.inject_mt_sms is None:
            s.skipped = "this rig cannot send MT SMS"
            return
        modem.enable_sms()
        start = time.monotonic()
        options.inject_mt_sms("+4915112345678", MT_TEXT)
        message = modem.wait_sms(options.sms_timeout_s)
        s.measure(
            "mt_latency", (time.monotonic() - start) * 1000, "ms", low=0, high=options.sms_timeout_s * 1000
        )
        s.measure("text", message.text, expected=MT_TEXT)
        s.measure("sender", message.sender, expected="+4915112345678")
