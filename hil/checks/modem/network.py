"""attach, apn and signal in modem mode: the harness attaches the modem itself and compares what
the modem reports with what the 1NCE API sees."""

from __future__ import annotations

import time
from typing import Any

from hil.checks.base import CheckContext, Limit, check
from hil.checks.modem.common import (
    APN,
    DEFAULT_ATTACH_TIMEOUT_S,
    STATE_ATTACHED,
    STATE_PDP,
    ModemCheck,
    run_modem_check,
)
from hil.records import CheckRecord
from hil.rig.capabilities import Cloud, Modem

ATTACH_MEASUREMENTS = ("time_to_attach", "stat", "rat", "operator")
APN_MEASUREMENTS = ("apn", "time_to_ip", "ip", "ip_matches_api")
SIGNAL_MEASUREMENTS = ("csq", "rssi", "rsrp", "rsrq")


@check("attach", "modem", needs=(Modem, Cloud), measurements=ATTACH_MEASUREMENTS)
def attach(ctx: CheckContext) -> CheckRecord:
    """The modem attaches (stat 5, roaming) within the limit, on the expected RAT and operator."""
    return run_modem_check(ctx, "attach", _attach)


def _attach(c: ModemCheck) -> None:
    timeout = c.timeout("timeout_s", DEFAULT_ATTACH_TIMEOUT_S)
    with c.step("attach") as s:
        start = time.monotonic()
        registration = c.modem.attach(rat=c.rat(), apn=str(c.param("apn", APN)), timeout=timeout)
        elapsed = time.monotonic() - start
        c.ctx.state[STATE_ATTACHED] = registration
        c.ctx.state.pop(STATE_PDP, None)  # a fresh attach; the data session is re-checked
        c.measure(s, "time_to_attach", elapsed, "s", Limit(low=0, high=timeout), blame="network")
        c.measure(s, "stat", registration.stat, default=Limit(expected=5), blame="network")  # 1NCE roams
        wanted = c.rat()
        rat = registration.rat.value if registration.rat is not None else None
        c.measure(s, "rat", rat, default=Limit(expected=wanted.value) if wanted else None, blame="network")
    with c.step("operator") as s:
        # The visited network as the 1NCE API reports it (the modem's own view is vendor-specific).
        status = c.cloud.client.status(c.iccid)
        operator = _operator_name(status.location)
        expected = c.param("operator", None)
        c.measure(
            s, "operator", operator, default=Limit(expected=expected) if expected else None, blame="network"
        )


def _operator_name(location: dict[str, Any] | None) -> str | None:
    operator = (location or {}).get("operator")
    if isinstance(operator, dict) and operator.get("name"):
        return str(operator["name"])
    return None


@check("apn", "modem", needs=(Modem, Cloud), measurements=APN_MEASUREMENTS)
def apn(ctx: CheckContext) -> CheckRecord:
    """The PDP context reads back iot.1nce.net and its IP is the SIM's ip_address in the 1NCE API."""
    return run_modem_check(ctx, "apn", _apn)


def _apn(c: ModemCheck) -> None:
    wanted = str(c.param("apn", APN))
    with c.step("pdp") as s:
        c.ensure_attached()
        start = time.monotonic()
        context = c.ensure_pdp()
        c.measure(s, "time_to_ip", time.monotonic() - start, "s", Limit(low=0, high=150), blame="network")
        c.measure(s, "apn", c.modem.apn(), default=Limit(expected=wanted), blame="dut")
        c.measure(s, "ip", context.ip)
    with c.step("api") as s:
        sim = c.cloud.client.sim(c.iccid)
        c.measure(
            s, "ip_matches_api", context.ip == sim.ip_address, default=Limit(expected=True), blame="network"
        )
        if context.ip != sim.ip_address:
            s.error = f"modem's IP {context.ip} != the API's ip_address {sim.ip_address} for {c.iccid}"


@check("signal", "modem", needs=(Modem,), measurements=SIGNAL_MEASUREMENTS)
def signal(ctx: CheckContext) -> CheckRecord:
    """CSQ, RSSI, RSRP and RSRQ within limits (LTE: RSRP and RSRQ from +CESQ)."""
    return run_modem_check(ctx, "signal", _signal)


def _signal(c: ModemCheck) -> None:
    with c.step("signal") as s:
        c.ensure_attached()
        quality = c.modem.signal()
        c.measure(s, "csq", quality.csq, default=Limit(low=0, high=31), blame="network")
        c.measure(s, "rssi", quality.rssi_dbm, "dBm", Limit(low=-113, high=-51), blame="network")
        c.measure(s, "rsrp", quality.rsrp_dbm, "dBm", Limit(low=-140, high=-44), blame="network")
        c.measure(s, "rsrq", quality.rsrq_db, "dB", Limit(low=-20, high=-3), blame="network")
