"""Device Controller: downlinks to a device's listening port over UDP or CoAP.

A request is stored (SCHEDULED), then sent at once (SEND_NOW) or at the device's next uplink on any
protocol (SEND_WHEN_ACTIVE, expiring after 24 h). UDP counts as SUCCEEDED once sent (no delivery
check); CoAP waits for the device's response (2.xx SUCCEEDED, else FAILED), up to `sendAttempts`
tries. Datagrams go to 127.a.b.c for SIM IP 10.a.b.c. At most 10 requests wait per device.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import aiocoap
from aiocoap.numbers import codes

from hil.virtual.netlink import sim_ip_to_loopback
from hil.virtual.network.clock import Clock, iso_z
from hil.virtual.network.core import CoreNetwork
from hil.virtual.network.database import Database
from hil.virtual.network.store import SimRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS actions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    iccid TEXT NOT NULL,
    status TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_by_device ON actions (iccid, status);
"""
MAX_SCHEDULED = 10
LIMITS = {"UDP": 508, "COAP": 1024}
ACTIVE = ("SCHEDULED", "IN_PROGRESS")
ARCHIVED = ("SUCCEEDED", "FAILED", "CANCELLED")
WHEN_ACTIVE_LIFETIME = timedelta(hours=24)


class ActionRejectedError(ValueError):
    pass


class ActionConflictError(ValueError):
    pass


class ActionNotFoundError(LookupError):
    pass


class DeviceController:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        core: CoreNetwork,
        customer_id: str,
        coap_context: Callable[[], aiocoap.Context | None],
        coap_timeout: float,
    ) -> None:
        self.db = db
        self.clock = clock
        self.core = core
        self.customer_id = customer_id
        self.coap_context = coap_context
        self.coap_timeout = coap_timeout
        self.db.connection.executescript(SCHEMA)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.pending_devices: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._refresh_pending()

    # --- API --------------------------------------------------------------------------------
    def create(self, sim: SimRecord, protocol: str, body: dict[str, Any]) -> dict[str, Any]:
        payload = self._payload_bytes(body)
        if len(payload) > LIMITS[protocol]:
            raise ActionRejectedError(
                f"{protocol} payload is {len(payload)} bytes; the limit is {LIMITS[protocol]}"
            )
        waiting = int(
            self.db.scalar(
                "SELECT COUNT(*) FROM actions WHERE iccid = ? AND status = 'SCHEDULED'", (sim.iccid,)
            )
        )
        if waiting >= MAX_SCHEDULED:
            raise ActionConflictError(
                f"device {sim.iccid} already has {MAX_SCHEDULED} scheduled action requests"
            )
        now = iso_z(self.clock.now())
        request_id = secrets.token_urlsafe(20)
        mode = body.get("requestMode") or "SEND_NOW"
        attempts = int(body.get("sendAttempts") or 1) if protocol == "COAP" else 1
        request_data = {
            **body,
            "iccid": sim.iccid,
            "imsi1": sim.imsi,
            "deviceId": sim.iccid,
            "requestId": request_id,
            "customerId": self.customer_id,
            "requestMode": mode,
            "deviceIpAddress": sim.ip_address,
        }
        record = {
            "id": request_id,
            "status": "SCHEDULED",
            "deviceId": sim.iccid,
            "ip": sim.ip_address,
            "protocol": protocol,
            "created": now,
            "updated": now,
            "mode": mode,
            "requestData": request_data,
            "sendAttempts": attempts,
            "sendAttemptsLeft": attempts,
        }
        self.db.execute(
            "INSERT INTO actions (id, iccid, status, data) VALUES (?, ?, ?, ?)",
            (request_id, sim.iccid, "SCHEDULED", json.dumps(record)),
        )
        if mode == "SEND_NOW":
            self._spawn(self._execute(request_id))
        else:
            self.pending_devices.add(sim.iccid)
        target = f"port {body['port']}" + (f" path {body.get('path')}" if protocol == "COAP" else "")
        return {
            "id": request_id,
            "message": f"Action {protocol} for {target} successfully scheduled for device {sim.iccid}.",
        }

    def get(self, request_id: str) -> dict[str, Any]:
        rows = self.db.query("SELECT data FROM actions WHERE id = ?", (request_id,))
        if not rows:
            raise ActionNotFoundError(f"action request {request_id} not found")
        record: dict[str, Any] = json.loads(rows[0]["data"])
        return record

    def page(
        self,
        *,
        statuses: tuple[str, ...] | None,
        device_id: str | None,
        protocol: str | None,
        mode: str | None,
        sort: str,
        page: int,
        page_size: int,
    ) -> tuple[list[dict[str, Any]], int]:
        records = [json.loads(row["data"]) for row in self.db.query("SELECT data FROM actions ORDER BY seq")]
        chosen = [
            record
            for record in records
            if (statuses is None or record["status"] in statuses)
            and (device_id is None or record["deviceId"] == device_id)
            and (protocol is None or record["protocol"] == protocol.upper())
            and (mode is None or record["mode"] == mode)
        ]
        key = sort.lstrip("-")
        chosen.sort(key=lambda record: record[key], reverse=sort.startswith("-"))
        return chosen[(page - 1) * page_size : page * page_size], len(chosen)

    def cancel(self, request_id: str) -> dict[str, Any]:
        record = self.get(request_id)
        if record["status"] != "SCHEDULED":
            raise ActionNotFoundError(
                f"action request {request_id} is {record['status']}; only SCHEDULED requests can be cancelled"
            )
        self._update(record, status="CANCELLED")
        self._refresh_pending()
        return {"id": request_id, "status": "CANCELLED"}

    def cancel_device(self, iccid: str) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT id FROM actions WHERE iccid = ? AND status = 'SCHEDULED'", (iccid,))
        return [self.cancel(row["id"]) for row in rows]

    # --- sending ----------------------------------------------------------------------------
    def device_active(self, iccid: str) -> None:
        """An uplink arrived from the device: send what waits for it (called on the event loop)."""
        rows = self.db.query(
            "SELECT id FROM actions WHERE iccid = ? AND status = 'SCHEDULED' ORDER BY seq", (iccid,)
        )
        for row in rows:
            record = self.get(row["id"])
            if record["mode"] == "SEND_WHEN_ACTIVE":
                self._spawn(self._execute(row["id"]))
        self.pending_devices.discard(iccid)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _execute(self, request_id: str) -> None:
        record = self.get(request_id)
        if record["status"] != "SCHEDULED":
            return
        created = record["created"]
        if record["mode"] == "SEND_WHEN_ACTIVE" and iso_z(self.clock.now() - WHEN_ACTIVE_LIFETIME) > created:
            self._update(record, status="FAILED", resultData={"errorMessage": "request expired after 24 h"})
            return
        record = self._update(record, status="IN_PROGRESS")
        iccid = record["deviceId"]
        if not self.core.sessions.online(iccid):
            self._update(
                record,
                status="FAILED",
                sendAttemptsLeft=0,
                resultData={"errorMessage": "device has no active PDP context"},
            )
            return
        address = sim_ip_to_loopback(record["ip"])
        data = record["requestData"]
        payload = self._payload_bytes(data)
        if record["protocol"] == "UDP":
            try:
                self.udp.sendto(payload, (address, int(data["port"])))
            except OSError as exc:
                self._update(
                    record, status="FAILED", sendAttemptsLeft=0, resultData={"errorMessage": str(exc)}
                )
                return
            self._update(record, status="SUCCEEDED", sendAttemptsLeft=0, resultData={})
            return
        await self._coap(record, address, payload)

    async def _coap(self, record: dict[str, Any], address: str, payload: bytes) -> None:
        data = record["requestData"]
        context = self.coap_context()
        if context is None:
            self._update(record, status="FAILED", resultData={"errorMessage": "CoAP endpoint not running"})
            return
        path = data.get("path") or "/"
        uri = f"coap://{address}:{int(data['port'])}/{path.lstrip('/')}"
        method = getattr(codes, data.get("requestType") or "POST")
        left = int(record["sendAttemptsLeft"])
        last_error = ""
        while left > 0:
            left -= 1
            message = aiocoap.Message(
                code=method, uri=uri, payload=payload, transport_tuning=aiocoap.Reliable
            )
            try:
                response = await asyncio.wait_for(context.request(message).response, self.coap_timeout)
            except (TimeoutError, aiocoap.error.Error) as exc:
                last_error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                record = self._update(record, sendAttemptsLeft=left)
                continue
            code = response.code.dotted.replace(".", "")
            body = bytes(response.payload)
            try:
                text, kind = body.decode(), "TEXT"
                if not text.isprintable():
                    raise UnicodeDecodeError("utf-8", body, 0, 1, "not printable")
            except UnicodeDecodeError:
                text, kind = base64.b64encode(body).decode(), "BASE64"
            result = {"code": code, "payload": text, "payloadType": kind}
            status = "SUCCEEDED" if response.code.is_successful() else "FAILED"
            self._update(record, status=status, sendAttemptsLeft=left, resultData=result)
            return
        self._update(record, status="FAILED", sendAttemptsLeft=0, resultData={"errorMessage": last_error})

    # --- storage ----------------------------------------------------------------------------
    @staticmethod
    def _payload_bytes(body: dict[str, Any]) -> bytes:
        payload = body.get("payload") or ""
        if body.get("payloadType") == "BASE64":
            try:
                return base64.b64decode(payload, validate=True)
            except ValueError as exc:
                raise ActionRejectedError(
                    "payload is not valid base64 although payloadType is BASE64"
                ) from exc
        return str(payload).encode()

    def _update(self, record: dict[str, Any], **changes: Any) -> dict[str, Any]:
        record = {**record, **changes, "updated": iso_z(self.clock.now())}
        self.db.execute(
            "UPDATE actions SET status = ?, data = ? WHERE id = ?",
            (record["status"], json.dumps(record), record["id"]),
        )
        return record

    def _refresh_pending(self) -> None:
        rows = self.db.query("SELECT DISTINCT iccid FROM actions WHERE status = 'SCHEDULED'")
        self.pending_devices.clear()
        self.pending_devices.update(row["iccid"] for row in rows)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.udp.close()
