"""SMS Forwarder (MO SMS as POST, MT delivery reports as PATCH, one URL per organisation) and the
Data Streamer's event stream (bulk: JSON arrays of at most 3000 records)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from hil.virtual.network.store import SimRecord, SmsRecord

from .http_delivery import Delivery, HttpDeliverer

MAX_BULK = 3000


class SmsForwarder:
    def __init__(self, deliverer: HttpDeliverer, organisation_id: str, url: str | None = None) -> None:
        self.deliverer = deliverer
        self.organisation_id = int(organisation_id)
        self.url = url

    def mo(self, record: SmsRecord, sim: SimRecord) -> None:
        if self.url is None:
            return
        body: dict[str, Any] = {
            "id": record.id,
            "payload": record.payload,
            "submit_date": record.submit_date[:19].replace("T", " "),
            "dest_address": record.destination_address,
            "source_address": sim.msisdn,
            "dcs": record.dcs,
            "pid": 0,
            "endpoint": {"id": int(sim.iccid[-9:]), "name": sim.iccid},
            "organisation": {"id": self.organisation_id},
        }
        concat = _concat(record.udh)
        if concat is not None:
            body["multi_part_info"] = {"identifier": concat[0], "total": concat[1], "partno": concat[2]}
        self.deliverer.submit(Delivery("POST", self.url, body))

    def delivery_report(self, record: SmsRecord, sim: SimRecord) -> None:
        if self.url is None or record.sms_type != "MT" or record.status_id not in (4, 5, 6):
            return
        delivered = record.status_id == 4
        body = {
            "id": record.id,
            "submit_date": record.submit_date[:19].replace("T", " "),
            "final_date": (record.final_date or record.submit_date)[:19].replace("T", " "),
            "organisation": {"id": self.organisation_id},
            "endpoint": {"id": int(sim.iccid[-9:]), "name": sim.iccid},
            "status": {"id": 4 if delivered else 5, "status": "DELIVERED" if delivered else "FAILED"},
        }
        self.deliverer.submit(Delivery("PATCH", self.url, body))


def _concat(udh_hex: str) -> tuple[int, int, int] | None:
    """(reference, total, part) from a UDH with an 8-bit concatenation element."""
    try:
        raw = bytes.fromhex(udh_hex)
    except ValueError:
        return None
    if len(raw) >= 6 and raw[1] == 0x00 and raw[2] == 0x03:
        return raw[3], raw[4], raw[5]
    return None


class DataStreamer:
    """Collects event records and posts them in bulk every `interval` seconds."""

    def __init__(self, deliverer: HttpDeliverer, url: str | None, interval: float) -> None:
        self.deliverer = deliverer
        self.url = url
        self.interval = interval
        self._pending: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    def record(self, event: dict[str, Any]) -> None:
        if self.url is not None:
            self._pending.append(event)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.flush()

    def flush(self) -> None:
        while self._pending and self.url is not None:
            batch, self._pending = self._pending[:MAX_BULK], self._pending[MAX_BULK:]
            self.deliverer.submit(Delivery("POST", self.url, batch))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
