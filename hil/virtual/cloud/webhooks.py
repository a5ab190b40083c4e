"""Cloud Integrator webhooks: the 1.0.0 message envelope, delivery with 1NCE's timeout and retry
schedule (20 s; retries after 150, 180, 420, 1020 s), and INTEGRATION_FAILED after the fifth failed
attempt (manual restart; an ERROR admin log "CloudIntegrator[IntegrationDisabled]").

The emulator accepts plain http:// only for loopback receivers (a real webhook must be https)."""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from hil.virtual.network.clock import Clock, iso_z
from hil.virtual.network.database import Database

from .admin_log import AdminLog
from .http_delivery import Attempt, Delivery, HttpDeliverer

SCHEMA = """
CREATE TABLE IF NOT EXISTS integrations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL
);
"""
EVENT_TYPES = ("TELEMETRY_DATA", "LIFECYCLE", "ERROR", "GEOFENCE", "LOCATION")
EVENT_VERSION = "1.0.0"
EVENT_DESCRIPTIONS = {
    "TELEMETRY_DATA": "Data sent by a device over UDP, CoAP or LwM2M.",
    "LIFECYCLE": "Device lifecycle changes, e.g. the first registration of a device.",
    "ERROR": "Errors of devices, integrations and location services.",
    "GEOFENCE": "A device entered or left a geofence.",
    "LOCATION": "A new device location.",
    "TEST_MESSAGE": "The message sent when an integration is tested.",
}


class IntegrationError(ValueError):
    pass


class IntegrationConflictError(ValueError):
    pass


class IntegrationNotFoundError(LookupError):
    pass


@dataclass(frozen=True)
class DeviceRef:
    iccid: str
    imsi: str
    ip: str


def check_webhook_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise IntegrationError(f"url {url!r} is not an absolute https URL")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise IntegrationError(
            f"url {url!r}: webhooks need https (plain http only to loopback in the emulator)"
        )
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def envelope(
    event_type: str, device: DeviceRef | None, received_ms: int, body: dict[str, Any]
) -> dict[str, Any]:
    """The Cloud Integrator message: id, type, received (epoch ms as a string), version, device, ..."""
    message: dict[str, Any] = {
        "id": f"1-{received_ms // 1000:08x}-{secrets.token_hex(12)}",
        "type": event_type,
        "received": str(received_ms),
        "version": EVENT_VERSION,
    }
    if device is not None:
        message["device"] = {"iccid": device.iccid, "imsi": device.imsi, "ip": device.ip}
    message.update(body)
    return message


def _substitute(text: str, device: DeviceRef | None) -> str:
    for key in ("iccid", "imsi", "ip"):
        text = text.replace(f":{key}:", getattr(device, key) if device is not None else "none")
    return text


class CloudIntegrator:
    def __init__(self, db: Database, clock: Clock, admin_log: AdminLog, deliverer: HttpDeliverer) -> None:
        self.db = db
        self.clock = clock
        self.admin_log = admin_log
        self.deliverer = deliverer
        self.db.connection.executescript(SCHEMA)
        self._cache: list[dict[str, Any]] = self._load()
        self.delivered = 0
        self.failed = 0

    def _load(self) -> list[dict[str, Any]]:
        return [
            json.loads(row["data"]) for row in self.db.query("SELECT data FROM integrations ORDER BY seq")
        ]

    def _save(self, integration: dict[str, Any]) -> None:
        self.db.execute(
            "UPDATE integrations SET data = ? WHERE id = ?", (json.dumps(integration), integration["id"])
        )
        self._cache = self._load()

    @property
    def has_integrations(self) -> bool:
        return bool(self._cache)

    def list(self) -> list[dict[str, Any]]:
        return [dict(item) for item in self._cache]

    def get(self, integration_id: str) -> dict[str, Any]:
        for item in self._cache:
            if item["id"] == integration_id:
                return dict(item)
        raise IntegrationNotFoundError(f"integration {integration_id} not found")

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        url = check_webhook_url(body["url"])
        if any(item.get("url") == url for item in self._cache):
            raise IntegrationConflictError(f"another webhook already uses {url}")
        now = iso_z(self.clock.now())
        integration = {
            "id": secrets.token_urlsafe(20),
            "name": body["name"],
            "type": "WEBHOOK",
            "url": url,
            "headers": dict(body.get("headers") or {}),
            "eventTypes": [
                {"type": item["type"], "version": item.get("version") or EVENT_VERSION}
                for item in body["eventTypes"]
            ],
            "jsonPayloadEnabled": bool(body.get("jsonPayloadEnabled", False)),
            "state": "ROLLOUT_DONE",
            "createdTime": now,
            "updatedTime": now,
        }
        self.db.execute(
            "INSERT INTO integrations (id, data) VALUES (?, ?)", (integration["id"], json.dumps(integration))
        )
        self._cache = self._load()
        return integration

    def patch(self, integration_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        integration = self.get(integration_id)
        if "url" in changes:
            url = check_webhook_url(changes["url"])
            if any(item.get("url") == url and item["id"] != integration_id for item in self._cache):
                raise IntegrationConflictError(f"another webhook already uses {url}")
            integration["url"] = url
        if "headers" in changes:
            integration["headers"] = dict(changes["headers"])
        if "eventTypes" in changes:
            integration["eventTypes"] = [
                {"type": item["type"], "version": item.get("version") or EVENT_VERSION}
                for item in changes["eventTypes"]
            ]
        if "jsonPayloadEnabled" in changes:
            integration["jsonPayloadEnabled"] = bool(changes["jsonPayloadEnabled"])
        integration["updatedTime"] = iso_z(self.clock.now())
        self._save(integration)
        return integration

    def delete(self, integration_id: str) -> None:
        self.get(integration_id)
        self.db.execute("DELETE FROM integrations WHERE id = ?", (integration_id,))
        self._cache = self._load()

    def restart(self, integration_id: str) -> dict[str, Any]:
        integration = self.get(integration_id)
        integration["state"] = "INTEGRATION_ACTIVE"
        integration.pop("error", None)
        integration["updatedTime"] = iso_z(self.clock.now())
        self._save(integration)
        return integration

    async def test(self, integration_id: str) -> tuple[bool, str]:
        integration = self.get(integration_id)
        message = envelope(
            "TEST_MESSAGE",
            None,
            int(self.clock.time() * 1000),
            {"integration": {"id": integration["id"], "name": integration["name"]}},
        )
        attempt = await self.deliverer.attempt(self._delivery(integration, message, None))
        if attempt.ok:
            return True, "Test was successful"
        return False, f"Test failed: {attempt.error}"

    def publish(
        self, event_type: str, device: DeviceRef | None, body: dict[str, Any], received_ms: int
    ) -> None:
        """Send one event to every integration subscribed to its type (call on the event loop)."""
        for integration in self._cache:
            if integration["state"] == "INTEGRATION_FAILED":
                continue
            if not any(item["type"] == event_type for item in integration["eventTypes"]):
                continue
            payload = body
            if event_type == "TELEMETRY_DATA" and integration["jsonPayloadEnabled"]:
                payload = _parse_json_payload(body)
            message = envelope(event_type, device, received_ms, payload)
            self.deliverer.submit(
                self._delivery(integration, message, device), self._finished(integration["id"])
            )

    def _delivery(
        self, integration: dict[str, Any], message: dict[str, Any], device: DeviceRef | None
    ) -> Delivery:
        headers = {key: _substitute(value, device) for key, value in integration["headers"].items()}
        return Delivery("POST", _substitute(integration["url"], device), message, headers)

    def _finished(self, integration_id: str) -> Any:
        def done(delivery: Delivery, attempts: list[Attempt]) -> None:
            try:
                integration = self.get(integration_id)
            except IntegrationNotFoundError:
                return
            if attempts[-1].ok:
                self.delivered += 1
                integration["lastSuccessfulMessageDelivery"] = iso_z(self.clock.now())
                if integration["state"] != "INTEGRATION_FAILED":
                    integration["state"] = "INTEGRATION_ACTIVE"
                self._save(integration)
                return
            self.failed += 1
            if integration["state"] == "INTEGRATION_FAILED":
                return
            error = f"{len(attempts)} attempts failed, last: {attempts[-1].error}"
            integration.update(state="INTEGRATION_FAILED", error=error, updatedTime=iso_z(self.clock.now()))
            self._save(integration)
            self.admin_log.add(
                "INTEGRATION",
                "error",
                "CloudIntegrator[IntegrationDisabled]",
                f"Webhook {integration['name']} disabled: {error}",
                integration_id=integration_id,
            )

        return done


def _parse_json_payload(body: dict[str, Any]) -> dict[str, Any]:
    """ "Parse JSON payload": a raw payload that is valid JSON goes out as JSON, not base64."""
    payload = body.get("payload") or {}
    if payload.get("type") != "STRING" or payload.get("encoding") != "base64":
        return body
    try:
        value = json.loads(base64.b64decode(payload["value"]))
    except (ValueError, UnicodeDecodeError):
        return body
    parsed = {key: item for key, item in payload.items() if key != "encoding"}
    parsed.update(type="JSON", value=value)
    return {**body, "payload": parsed}
