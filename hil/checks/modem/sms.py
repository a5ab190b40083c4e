"""sms_mo and sms_mt in modem mode: the modem sends and the 1NCE API lists it; the API sends
and the modem receives it while the API reports it DELIVERED. Texts carry a nonce, so an older
message with the same words never counts."""

from __future__ import annotations

import secrets
import time

from hil.checks.base import CheckContext, Limit, check
from hil.checks.modem.common import ModemCheck, run_modem_check, wait_for
from hil.records import CheckRecord
from hil.rig.capabilities import Cloud, Modem

SMS_MO_MEASUREMENTS = ("parts", "api_listed", "api_latency")
SMS_MT_MEASUREMENTS = ("text_matches", "receive_latency", "api_state")
DEFAULT_MO_NUMBER = "+491701234567"
DEFAULT_MT_SENDER = "+4930123456"
DEFAULT_SMS_TIMEOUT_S = 60.0


def _nonce() -> str:
    return secrets.token_hex(4)


@check("sms_mo", "modem", needs=(Modem, Cloud), measurements=SMS_MO_MEASUREMENTS)
def sms_mo(ctx: CheckContext) -> CheckRecord:
    """The modem sends an SMS; the 1NCE API lists it as MO; latency until it does."""
    return run_modem_check(ctx, "sms_mo", _sms_mo)


def _sms_mo(c: ModemCheck) -> None:
    timeout = c.timeout("timeout_s", DEFAULT_SMS_TIMEOUT_S)
    text = f"nce-hil sms_mo {_nonce()}"
    with c.step("send") as s:
        c.ensure_attached()
        start = time.monotonic()
        references = c.modem.send_sms(str(c.param("number", DEFAULT_MO_NUMBER)), text)
        c.measure(s, "parts", len(references), default=Limit(expected=1))
    with c.step("api") as s:
        iccid = c.iccid

        def listed() -> bool:
            return any(
                sms.sms_type.description == "MO" and sms.payload == text
                for sms in c.cloud.client.sms_list(iccid)
            )

        found = bool(wait_for(listed, timeout, interval=0.2))
        latency_ms = (time.monotonic() - start) * 1000
        c.measure(s, "api_listed", found, default=Limit(expected=True), blame="network")
        if found:
            c.measure(s, "api_latency", latency_ms, "ms", Limit(low=0, high=timeout * 1000), blame="network")


@check("sms_mt", "modem", needs=(Modem, Cloud), measurements=SMS_MT_MEASUREMENTS)
def sms_mt(ctx: CheckContext) -> CheckRecord:
    """An SMS sent through the 1NCE API reaches the modem; the API reports it DELIVERED."""
    return run_modem_check(ctx, "sms_mt", _sms_mt)


def _sms_mt(c: ModemCheck) -> None:
    timeout = c.timeout("timeout_s", DEFAULT_SMS_TIMEOUT_S)
    text = f"nce-hil sms_mt {_nonce()}"
    iccid = c.iccid
    with c.step("receive") as s:
        c.ensure_attached()
        c.modem.enable_sms()
        start = time.monotonic()
        sms_id = c.cloud.client.send_sms(
            iccid, text, source_address=str(c.param("sender", DEFAULT_MT_SENDER))
        )
        message = c.modem.wait_sms(timeout)
        c.measure(
            s, "receive_latency", (time.monotonic() - start) * 1000, "ms", Limit(low=0, high=timeout * 1000)
        )
        c.measure(s, "text_matches", message.text == text, default=Limit(expected=True))
    with c.step("api") as s:

        def state() -> str | None:
            if sms_id is not None:
                detail = c.cloud.client.sms_detail(iccid, sms_id)
                return detail.status.description
            for sms in c.cloud.client.sms_list(iccid):  # no Location header: find it by its text
                if sms.sms_type.description == "MT" and sms.payload == text:
                    return sms.status.description
            return None

        final = wait_for(lambda: (got := state()) == "DELIVERED" and got, timeout, interval=0.2)
        c.measure(s, "api_state", final or state(), default=Limit(expected="DELIVERED"), blame="network")
