"""Firmware-mode checks of the bring-up the firmware does on its own after boot: boot, SIM,
attach, PDP context (APN), Device Authenticator bootstrap. Each verifies the console's event
against the rig and the 1NCE API."""

from __future__ import annotations

import re

from hil.checks.base import CheckContext, Limit, check
from hil.checks.firmware.common import FLAG_BOOTSTRAP, FirmwareCheck, ms_between
from hil.firmware.console import ConsoleEvent
from hil.records import CheckRecord
from hil.rig.capabilities import Cloud, Console

APN = "iot.1nce.net"
FIRMWARE_BOOT_MEASUREMENTS = (
    "version_valid",
    "version",
    "version_expected",
    "board",
    "config",
    "boot_ms",
    "boots",
    "period_s",
    "template",
    "udp",
    "coap",
)
SIM_READY_MEASUREMENTS = (
    "iccid_digits",
    "iccid_is_rigs",
    "model",
    "modem_iccid_same",
    "api_iccid_is_logged",
    "api_status",
    "imsi_matches_api",
)
ATTACH_MEASUREMENTS = ("stat", "rat", "operator_known", "operator", "time_to_attach")
APN_MEASUREMENTS = ("ip", "apn", "api_ip", "api_pdp_context")
SIGNAL_MEASUREMENTS = ("csq", "rssi", "rsrp", "rsrq")  # as in modem mode: one suite limit fits both
DEVICE_AUTH_MEASUREMENTS = ("identity_is_iccid", "psk_length", "auth_time", "cloud_psk_length")
_VERSION = re.compile(r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")


def _last_before(events: list[ConsoleEvent], name: str, later: ConsoleEvent) -> ConsoleEvent | None:
    index = events.index(later) if later in events else len(events)
    return next((e for e in reversed(events[:index]) if e.event == name), None)


@check("firmware_boot", "firmware", needs=(Console,), measurements=FIRMWARE_BOOT_MEASUREMENTS)
def firmware_boot(ctx: CheckContext) -> CheckRecord:
    """The image booted: console boot line with version and board, its config block stamped."""

    def body(fw: FirmwareCheck) -> None:
        with fw.step("boot") as s:
            boot = fw.boot()
            version = boot.get("version", "")
            fw.measure(s, "version_valid", bool(_VERSION.match(version or "")), default=Limit(expected=True))
            s.measure("version", version)
            expected_version = ctx.param("version", None)
            if expected_version is not None:
                fw.measure(s, "version_expected", version == expected_version, default=Limit(expected=True))
            board = str(getattr(ctx.rig.spec, "board", "") or "")
            fw.measure(s, "board", boot.get("board"), default=Limit(expected=board or None))
            fw.measure(
                s, "config", boot.get("config"), default=Limit(expected=ctx.param("config", "stamped"))
            )
            fw.measure(s, "boot_ms", boot.ms, "ms", default=Limit(low=0, high=5000))
            boots = len(fw.log().all("boot"))
            fw.measure(s, "boots", boots, default=Limit(expected=1))  # more: the MCU reset itself
        stamped = fw.stamped_config()
        if stamped is not None:
            with fw.step("config_block") as s:
                fw.measure(s, "period_s", boot.int("period_s"), "s", Limit(expected=stamped.uplink_period_s))
                fw.measure(s, "template", boot.get("template"), default=Limit(expected=stamped.template_name))
                udp = f"{stamped.udp_host}:{stamped.udp_port}"
                coap = f"{stamped.coap_host}:{stamped.coap_port}"
                fw.measure(s, "udp", boot.get("udp"), default=Limit(expected=udp))
                fw.measure(s, "coap", boot.get("coap"), default=Limit(expected=coap))

    return FirmwareCheck(ctx, "firmware_boot").run(body)


@check("sim_ready", "firmware", needs=(Console, Cloud), measurements=SIM_READY_MEASUREMENTS)
def sim_ready(ctx: CheckContext) -> CheckRecord:
    """The SIM the firmware read (console modem/sim ICCID) is the rig's and the 1NCE API's SIM."""

    def body(fw: FirmwareCheck) -> None:
        with fw.step("console") as s:
            sim = fw.wait_for("sim", what="the sim line (SIM ready)")
            modem = _last_before(fw.log().events, "modem", sim)
            logged = sim["iccid"]
            fw.measure(s, "iccid_digits", len(logged), default=Limit(low=19, high=20), blame="sim")
            fw.measure(s, "iccid_is_rigs", logged[:19] == fw.iccid, default=Limit(expected=True), blame="sim")
            if modem is not None:
                s.measure("model", modem.get("model"))
                fw.measure(s, "modem_iccid_same", modem.get("iccid") == logged, default=Limit(expected=True))
        with fw.step("api") as s:
            record = fw.cloud().client.sim(fw.iccid)
            fw.measure(
                s,
                "api_iccid_is_logged",
                record.iccid == logged[:19],
                default=Limit(expected=True),
                blame="sim",
            )
            s.measure("api_status", record.status)
            if modem is not None and record.imsi:
                logged_imsi = modem.get("imsi")
                fw.measure(
                    s,
                    "imsi_matches_api",
                    logged_imsi == record.imsi,
                    default=Limit(expected=True),
                    blame="sim",
                )

    return FirmwareCheck(ctx, "sim_ready").run(body)


@check("attach", "firmware", needs=(Console,), measurements=ATTACH_MEASUREMENTS)
def attach(ctx: CheckContext) -> CheckRecord:
    """The firmware attached (console `attached`): stat 5, the rig's RAT, an operator; time from boot."""

    def body(fw: FirmwareCheck) -> None:
        with fw.step("attach") as s:
            attached = fw.wait_for("attached", what="the attached line")
            boot = _last_before(fw.log().events, "boot", attached)
            fw.measure(s, "stat", attached.int("stat"), default=Limit(expected=5), blame="network")
            rat = (getattr(ctx.rig.spec, "tags", None) or {}).get("rat")
            fw.measure(s, "rat", attached.get("rat"), default=Limit(expected=rat), blame="network")
            operator = attached.get("operator", "unknown")
            fw.measure(
                s, "operator_known", operator != "unknown", default=Limit(expected=True), blame="network"
            )
            s.measure("operator", operator)
            if boot is not None:
                seconds = ms_between(boot, attached) / 1000.0
                fw.measure(s, "time_to_attach", seconds, "s", Limit(low=0, high=60), blame="network")

    return FirmwareCheck(ctx, "attach").run(body)


def _number(event: ConsoleEvent, key: str) -> float | None:
    """A numeric field of a console event, None when the firmware could not tell (left out)."""
    text = event.get(key)
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


@check("signal", "firmware", needs=(Console,), measurements=SIGNAL_MEASUREMENTS)
def signal(ctx: CheckContext) -> CheckRecord:
    """The firmware's signal report after attach (console `signal`): CSQ, RSSI, RSRP, RSRQ within limits."""

    def body(fw: FirmwareCheck) -> None:
        with fw.step("signal") as s:
            report = fw.wait_for("signal", what="the signal line (after attach)")
            fw.measure(s, "csq", report.int("csq"), default=Limit(low=0, high=31), blame="network")
            fw.measure(s, "rssi", _number(report, "rssi"), "dBm", Limit(low=-113, high=-51), blame="network")
            fw.measure(s, "rsrp", _number(report, "rsrp"), "dBm", Limit(low=-140, high=-44), blame="network")
            fw.measure(s, "rsrq", _number(report, "rsrq"), "dB", Limit(low=-20, high=-3), blame="network")

    return FirmwareCheck(ctx, "signal").run(body)


@check("apn", "firmware", needs=(Console, Cloud), measurements=APN_MEASUREMENTS)
def apn(ctx: CheckContext) -> CheckRecord:
    """The PDP context (console `pdp` ip) is the SIM's ip_address in the 1NCE API, on the configured APN."""

    def body(fw: FirmwareCheck) -> None:
        with fw.step("pdp") as s:
            pdp = fw.wait_for("pdp", what="the pdp line (data session)")
            ip = pdp["ip"]
            s.measure("ip", ip)
            stamped = fw.stamped_config()
            if stamped is not None:
                expected = ctx.param("apn", APN)
                fw.measure(s, "apn", stamped.apn, default=Limit(expected=expected), blame="dut")
        with fw.step("api") as s:
            client = fw.cloud().client
            record = client.sim(fw.iccid)
            fw.measure(s, "api_ip", record.ip_address, default=Limit(expected=ip), blame="network")
            status = client.status(fw.iccid)
            live = status.pdp_context is not None
            fw.measure(s, "api_pdp_context", live, default=Limit(expected=True), blame="network")

    return FirmwareCheck(ctx, "apn").run(body)


@check("device_auth", "firmware", needs=(Console, Cloud), measurements=DEVICE_AUTH_MEASUREMENTS)
def device_auth(ctx: CheckContext) -> CheckRecord:
    """The firmware bootstrapped (console `auth`): identity == ICCID, a PSK stored and known to the cloud."""

    def body(fw: FirmwareCheck) -> None:
        boot = fw.boot()
        if not fw.flags(boot) & FLAG_BOOTSTRAP:
            with fw.step("auth") as s:
                s.skipped = "the firmware's config has bootstrap off (flags)"
            return
        with fw.step("auth") as s:
            auth = fw.wait_for("auth", what="the auth line (Device Authenticator bootstrap)")
            identity = auth.get("identity", "")
            fw.measure(
                s, "identity_is_iccid", (identity or "")[:19] == fw.iccid, default=Limit(expected=True)
            )
            psk_len = auth.int("psk_len")
            fw.measure(s, "psk_length", psk_len, "B", Limit(low=16, high=64))
            pdp = _last_before(fw.log().events, "pdp", auth)
            if pdp is not None:
                fw.measure(s, "auth_time", ms_between(pdp, auth), "ms", Limit(low=0, high=10000))
        with fw.step("cloud_psk") as s:
            key = fw.cloud().client.psk(fw.iccid)
            secret = key.get("secretKey") if isinstance(key, dict) else None
            length = len(secret) if isinstance(secret, str) else 0  # the key itself is never recorded
            fw.measure(s, "cloud_psk_length", length, "B", Limit(expected=psk_len))

    return FirmwareCheck(ctx, "device_auth").run(body)
