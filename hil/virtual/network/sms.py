"""SMS routing: MO from the modem to the API and the SMS Forwarder; MT from the API to the modem,
with the delivery states of the SIM API (ids as 1NCE's platform reports them).

MT path: POST /sms -> pending (1) -> pushed to the modem, in progress (2) -> the modem answers
``sms_mt_result`` -> delivered (4), or buffered (3) and retried on a back-off until the expiry date
(expired, 6) or the retry budget (failed, 5). A SIM that is not attached, or on NB-IoT (no SMS
there), keeps its MT messages buffered until it attaches. DELETE cancels a waiting message (7).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from at_commands.sms.errors import PduError

from .clock import iso_z
from .events import EventType
from .metering import QuotaLevel, sms_quota
from .store import NetworkStore, SimRecord, SmsRecord
from .tpdu import decode_submit, encode_deliver, encode_status_report

if TYPE_CHECKING:
    from .core import CoreNetwork

STATUS_DESCRIPTIONS = {
    1: "DELIVERY ATTEMPT PENDING",
    2: "IN PROGRESS",
    3: "BUFFERED",
    4: "DELIVERED",
    5: "FAILED",
    6: "EXPIRED",
    7: "CANCELED",
}
PENDING, IN_PROGRESS, BUFFERED, DELIVERED, FAILED, EXPIRED, CANCELED = range(1, 8)
WAITING = (PENDING, BUFFERED)
FINAL = (DELIVERED, FAILED, EXPIRED, CANCELED)

# 27.005 / 24.011 causes for a refused MO SMS.
CMS_FACILITY_NOT_SUBSCRIBED = 50
CMS_INVALID_PDU = 304
CMS_NO_NETWORK_SERVICE = 331


@dataclass(frozen=True)
class SmsPolicy:
    """Timing of MT delivery; `scaled` shrinks it for tests (production values by default)."""

    delivery_timeout: float = 30.0
    retry_delays: tuple[float, ...] = (60.0, 300.0, 900.0, 3600.0)
    default_validity: timedelta = timedelta(hours=24)

    def scaled(self, factor: float) -> SmsPolicy:
        return replace(
            self,
            delivery_timeout=self.delivery_timeout * factor,
            retry_delays=tuple(delay * factor for delay in self.retry_delays),
        )


class SmsRefusedError(Exception):
    """An MO SMS the network does not accept; `cms_error` is what the modem reports."""

    def __init__(self, cms_error: int, text: str) -> None:
        super().__init__(text)
        self.cms_error = cms_error


class SmsSubmitError(ValueError):
    """An MT SMS the API cannot accept (bad payload, limit reached)."""


SmsListener = Callable[[SmsRecord, SimRecord], None]


class SmsRouter:
    def __init__(self, core: CoreNetwork, policy: SmsPolicy) -> None:
        self.core = core
        self.policy = policy
        self.on_mo: list[SmsListener] = []  # the SMS Forwarder's POST
        self.on_final: list[SmsListener] = []  # the SMS Forwarder's PATCH (delivery report)
        self._timers: dict[int, asyncio.TimerHandle] = {}

    @property
    def store(self) -> NetworkStore:
        return self.core.store

    def _now(self) -> datetime:
        return self.core.clock.now()

    # --- MO ---------------------------------------------------------------------------------
    def submit_mo(self, iccid: str, tpdu_hex: str) -> int:
        """Take an SMS-SUBMIT from the modem; returns TP-MR or raises SmsRefusedError."""
        sim = self.store.sim(iccid)
        session = self.core.sessions.get(iccid)
        if session.rat is None:
            raise SmsRefusedError(CMS_NO_NETWORK_SERVICE, "not attached to the network")
        if not session.rat.sms_capable:
            raise SmsRefusedError(CMS_FACILITY_NOT_SUBSCRIBED, "SMS is not available on NB-IoT")
        try:
            message = decode_submit(tpdu_hex)
        except (PduError, ValueError) as exc:
            raise SmsRefusedError(CMS_INVALID_PDU, f"invalid SMS-SUBMIT TPDU: {exc}") from exc
        if sms_quota(sim.sms_quota, sim.sms_used).level == QuotaLevel.EXHAUSTED:
            raise SmsRefusedError(CMS_FACILITY_NOT_SUBSCRIBED, "SMS quota used up")
        limit = self.core.limits().sms_mo
        if limit is not None and self.store.month_usage(iccid)["sms_mo"] >= limit:
            raise SmsRefusedError(CMS_FACILITY_NOT_SUBSCRIBED, f"monthly MO-SMS limit of {limit} reached")
        now = self._now()
        record = self.store.insert_sms(
            SmsRecord(
                iccid=iccid,
                sms_type="MO",
                status_id=DELIVERED,
                submit_date=iso_z(now),
                delivery_date=iso_z(now),
                final_date=iso_z(now),
                payload=message.payload,
                dcs=message.dcs,
                udh=message.udh,
                source_address=sim.msisdn,
                source_address_type=145,
                msisdn=sim.msisdn,
                imsi=sim.imsi,
                msc=self.core.msc_number,
                destination_address=message.destination,
                message_reference=message.message_reference,
                status_report_requested=message.status_report_requested,
            )
        )
        self._count(sim, mo=1)
        for listener in list(self.on_mo):
            listener(record, self.store.sim(iccid))
        if message.status_report_requested:
            self.core.push(
                iccid,
                {
                    "push": "sms_status",
                    "mr": message.message_reference,
                    "status": 0,
                    "tpdu": encode_status_report(
                        message_reference=message.message_reference,
                        recipient=message.destination,
                        submitted=now,
                        discharged=now,
                        status=0,
                    ),
                },
            )
        return message.message_reference

    # --- MT ---------------------------------------------------------------------------------
    def submit_mt(
        self,
        iccid: str,
        *,
        payload: str,
        source_address: str,
        source_address_type: int | None,
        dcs: int,
        udh: str,
        expiry: datetime | None,
    ) -> SmsRecord:
        """Accept an MT SMS from the API (raises SmsSubmitError) and start delivering it."""
        sim = self.store.sim(iccid)
        now = self._now()
        try:  # encode once up front so a bad payload is refused before anything is stored
            encode_deliver(
                originator=source_address,
                originator_type=source_address_type,
                payload=payload,
                dcs=dcs,
                udh_hex=udh,
                timestamp=now,
            )
        except (PduError, ValueError) as exc:
            raise SmsSubmitError(f"cannot encode the SMS: {exc}") from exc
        limit = self.core.limits().sms_mt
        if limit is not None and self.store.month_usage(iccid)["sms_mt"] >= limit:
            raise SmsSubmitError(f"Traffic limit of {limit} SMS per month exceeded")
        if sms_quota(sim.sms_quota, sim.sms_used).level == QuotaLevel.EXHAUSTED:
            raise SmsSubmitError("SMS quota of the SIM is used up")
        record = self.store.insert_sms(
            SmsRecord(
                iccid=iccid,
                sms_type="MT",
                status_id=PENDING,
                submit_date=iso_z(now),
                expiry_date=iso_z(expiry or now + self.policy.default_validity),
                payload=payload,
                dcs=dcs,
                udh=udh,
                source_address=source_address,
                source_address_type=source_address_type,
                msisdn=sim.msisdn,
                imsi=sim.imsi,
                msc=self.core.msc_number,
            )
        )
        self.try_deliver(record.id)
        return self.store.sms_by_id(record.id) or record

    def cancel(self, sms_id: int) -> SmsRecord:
        """Cancel an MT SMS that has not been delivered; raises ValueError otherwise."""
        record = self.store.sms_by_id(sms_id)
        if record is None:
            raise LookupError(f"SMS {sms_id} not found")
        if record.sms_type != "MT" or record.status_id not in (*WAITING, IN_PROGRESS):
            raise ValueError(
                f"SMS {sms_id} is {STATUS_DESCRIPTIONS[record.status_id]}; "
                "only buffered MT messages can be cancelled"
            )
        self._cancel_timer(sms_id)
        return self._finish(record, CANCELED)

    def flush(self, iccid: str) -> None:
        """The SIM just attached: deliver what is waiting for it."""
        for record in self.store.pending_mt(iccid):
            self.try_deliver(record.id)

    def try_deliver(self, sms_id: int) -> None:
        record = self.store.sms_by_id(sms_id)
        if record is None or record.status_id not in WAITING:
            return
        now = self._now()
        if record.expiry_date and iso_z(now) > record.expiry_date:
            self._finish(record, EXPIRED)
            return
        session = self.core.sessions.get(record.iccid)
        if session.rat is None or not session.rat.sms_capable or not self.core.has_link(record.iccid):
            if record.status_id != BUFFERED:
                self.store.update_sms(sms_id, status_id=BUFFERED)
            return
        tpdu = encode_deliver(
            originator=record.source_address,
            originator_type=record.source_address_type,
            payload=record.payload,
            dcs=record.dcs,
            udh_hex=record.udh,
            timestamp=now,
        )
        self.store.update_sms(sms_id, status_id=IN_PROGRESS, last_delivery_attempt=iso_z(now))
        self.core.push(record.iccid, {"push": "sms_mt", "sms_id": sms_id, "tpdu": tpdu})
        self._schedule(sms_id, self.policy.delivery_timeout, self._delivery_timed_out)

    def delivery_result(self, sms_id: int, delivered: bool) -> None:
        """The modem's sms_mt_result; raises LookupError for an unknown or settled message."""
        record = self.store.sms_by_id(sms_id)
        if record is None or record.sms_type != "MT":
            raise LookupError(f"no MT SMS with id {sms_id}")
        if record.status_id != IN_PROGRESS:
            status = STATUS_DESCRIPTIONS[record.status_id]
            raise LookupError(f"SMS {sms_id} is not awaiting a result ({status})")
        self._cancel_timer(sms_id)
        if delivered:
            now = iso_z(self._now())
            record = self.store.update_sms(sms_id, delivery_date=now)
            self._count(self.store.sim(record.iccid), mt=1)
            self._finish(record, DELIVERED)
        else:
            self._retry_later(record)

    def _delivery_timed_out(self, sms_id: int) -> None:
        record = self.store.sms_by_id(sms_id)
        if record is not None and record.status_id == IN_PROGRESS:
            self._retry_later(record)

    def _retry_later(self, record: SmsRecord) -> None:
        attempt = record.retry_count
        if attempt >= len(self.policy.retry_delays):
            self._finish(record, FAILED)
            return
        delay = self.policy.retry_delays[attempt]
        retry_at = self._now() + timedelta(seconds=delay)
        self.store.update_sms(
            record.id, status_id=BUFFERED, retry_count=attempt + 1, retry_date=iso_z(retry_at)
        )
        self._schedule(record.id, delay, self.try_deliver)

    def _finish(self, record: SmsRecord, status: int) -> SmsRecord:
        final = self.store.update_sms(record.id, status_id=status, final_date=iso_z(self._now()))
        for listener in list(self.on_final):
            listener(final, self.store.sim(final.iccid))
        return final

    def _schedule(self, sms_id: int, delay: float, action: Callable[[int], None]) -> None:
        self._cancel_timer(sms_id)
        loop = asyncio.get_running_loop()
        self._timers[sms_id] = loop.call_later(delay, self._fire, sms_id, action)

    def _fire(self, sms_id: int, action: Callable[[int], None]) -> None:
        self._timers.pop(sms_id, None)
        action(sms_id)

    def _cancel_timer(self, sms_id: int) -> None:
        timer = self._timers.pop(sms_id, None)
        if timer is not None:
            timer.cancel()

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    # --- quota ------------------------------------------------------------------------------
    def _count(self, sim: SimRecord, *, mo: int = 0, mt: int = 0) -> None:
        before = sms_quota(sim.sms_quota, sim.sms_used).level
        sim = self.store.update_sim(sim.iccid, sms_used=sim.sms_used + mo + mt)
        self.store.add_usage(sim.iccid, sms_mo=mo, sms_mt=mt)
        after = sms_quota(sim.sms_quota, sim.sms_used).level
        now = iso_z(self._now())
        if before < QuotaLevel.BELOW_THRESHOLD <= after:
            sim = self.store.update_sim(sim.iccid, sms_threshold_date=now)
            self.core.events.emit(
                sim, EventType.SMS_QUOTA_THRESHOLD, "Under 20% of the SMS quota left", severity=1, source=1
            )
        if before < QuotaLevel.EXHAUSTED <= after:
            sim = self.store.update_sim(sim.iccid, sms_exceeded_date=now)
            self.core.events.emit(
                sim, EventType.SMS_QUOTA_USED_UP, "SMS quota used up", severity=2, source=1, alert=True
            )
