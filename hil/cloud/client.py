"""Client of the 1NCE Management API (SIMs, SMS, 1NCE OS) over httpx - the same code for
https://api.1nce.com/management-api and for the emulator; only the base URL differs.

* OAuth client credentials; the token is fetched on first use, refreshed 60 s before it expires
  and once more when the API answers 401.
* 429 answers are retried after the Retry-After they carry (bounded by `max_rate_limit_wait`).
* List endpoints have iterators that follow X-Total-Pages (or nextToken for history).
* The secret and the tokens never appear in reprs, logs or exceptions.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from .config import CloudSettings
from .models import (
    ActionRequest,
    Device,
    HistoryMessage,
    Quota,
    Sim,
    SimEvent,
    SimStatus,
    Sms,
    Template,
    UsageDay,
)

log = logging.getLogger(__name__)

REFRESH_MARGIN = 60.0


class CloudApiError(RuntimeError):
    """A non-2xx answer: what was asked, what came back (body excerpt, never a token)."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        super().__init__(f"{method} {path} -> HTTP {status}: {message}")
        self.method = method
        self.path = path
        self.status = status
        self.message = message


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, dict):
        if "message" in body:
            return str(body["message"])
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)[
                :300
            ]
    return str(body)[:300]


class CloudClient:
    def __init__(
        self,
        settings: CloudSettings,
        *,
        timeout: float = 15.0,
        max_rate_limit_wait: float = 60.0,
        event_hooks: dict[str, list[Callable[..., Any]]] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.max_rate_limit_wait = max_rate_limit_wait
        self._http = httpx.Client(
            base_url=settings.api_url.rstrip("/"),
            timeout=timeout,
            event_hooks=event_hooks,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "nce-hil"},
            trust_env=False,
        )
        self._token: str | None = None
        self._token_expires = 0.0

    def __repr__(self) -> str:
        return f"CloudClient(api_url={self.settings.api_url!r}, client_id={self.settings.client_id!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CloudClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- transport --------------------------------------------------------------------------
    def authenticate(self) -> None:
        """Fetch a new bearer token."""
        response = self._http.post(
            "/oauth/token",
            json={"grant_type": "client_credentials"},
            auth=(self.settings.client_id, self.settings.client_secret.get_secret_value()),
        )
        if response.status_code != 200:
            raise CloudApiError("POST", "/oauth/token", response.status_code, _message(response))
        body = response.json()
        self._token = str(body["access_token"])
        self._token_expires = time.monotonic() + float(body.get("expires_in", 3600))

    def _bearer(self) -> str:
        if self._token is None or time.monotonic() > self._token_expires - REFRESH_MARGIN:
            self.authenticate()
        assert self._token is not None
        return self._token

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One API call with token handling and 429 back-off; raises CloudApiError on errors."""
        waited = 0.0
        refreshed = False
        while True:
            headers = {"Authorization": f"Bearer {self._bearer()}"}
            response = self._http.request(method, path, headers=headers, **kwargs)
            if response.status_code == 401 and not refreshed:
                refreshed = True
                self._token = None
                continue
            if response.status_code == 429:
                wait = _retry_after(response)
                if waited + wait <= self.max_rate_limit_wait:
                    log.info("rate limited on %s %s; retrying in %.1f s", method, path, wait)
                    time.sleep(wait)
                    waited += wait
                    continue
            if response.status_code >= 400:
                raise CloudApiError(method, path, response.status_code, _message(response))
            return response

    def _pages(self, path: str, page_size: int, params: dict[str, Any] | None = None) -> Iterator[Any]:
        page = 1
        while True:
            response = self.request(
                "GET", path, params={**(params or {}), "page": page, "pageSize": page_size}
            )
            body = response.json()
            items = body if isinstance(body, list) else body.get("items", body.get("events", []))
            yield from items
            total_pages = response.headers.get("X-Total-Pages")
            last = (
                int(total_pages)
                if total_pages
                else int(body.get("pageAmount", page))
                if isinstance(body, dict)
                else page
            )
            if page >= last or not items:
                return
            page += 1

    # --- SIM management ---------------------------------------------------------------------
    def sims(self, *, page_size: int = 100, q: str | None = None, sort: str | None = None) -> Iterator[Sim]:
        params = {key: value for key, value in (("q", q), ("sort", sort)) if value}
        for item in self._pages("/v1/sims", page_size, params):
            yield Sim.model_validate(item)

    def sim(self, iccid: str) -> Sim:
        return Sim.model_validate(self.request("GET", f"/v1/sims/{iccid}").json())

    def update_sim(
        self, iccid: str, *, status: str, label: str | None = None, imei_lock: bool | None = None
    ) -> None:
        body: dict[str, Any] = {"iccid": iccid, "status": status}
        if label is not None:
            body["label"] = label
        if imei_lock is not None:
            body["imei_lock"] = imei_lock
        self.request("PUT", f"/v1/sims/{iccid}", json=body)

    def status(self, iccid: str) -> SimStatus:
        return SimStatus.model_validate(self.request("GET", f"/v1/sims/{iccid}/status").json())

    def connectivity_info(self, iccid: str) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", f"/v1/sims/{iccid}/connectivity_info").json()
        return result

    def reset(self, iccid: str) -> None:
        self.request("POST", f"/v1/sims/{iccid}/reset")

    def events(self, iccid: str, *, page_size: int = 100) -> Iterator[SimEvent]:
        for item in self._pages(f"/v1/sims/{iccid}/events", page_size):
            yield SimEvent.model_validate(item)

    def usage(self, iccid: str, start: str | None = None, end: str | None = None) -> list[UsageDay]:
        params = {key: value for key, value in (("start_dt", start), ("end_dt", end)) if value}
        body = self.request("GET", f"/v1/sims/{iccid}/usage", params=params).json()
        return [UsageDay.model_validate(item) for item in body.get("stats", [])]

    def data_quota(self, iccid: str) -> Quota:
        return Quota.model_validate(self.request("GET", f"/v1/sims/{iccid}/quota/data").json())

    def sms_quota(self, iccid: str) -> Quota:
        return Quota.model_validate(self.request("GET", f"/v1/sims/{iccid}/quota/sms").json())

    def sms_list(self, iccid: str, *, page_size: int = 100) -> Iterator[Sms]:
        for item in self._pages(f"/v1/sims/{iccid}/sms", page_size):
            yield Sms.model_validate(item)

    def send_sms(self, iccid: str, payload: str, *, source_address: str = "1NCE", dcs: int = 0) -> int | None:
        """Submit an MT SMS; returns its id when the API tells it (Location header), else None."""
        response = self.request(
            "POST",
            f"/v1/sims/{iccid}/sms",
            json={"payload": payload, "source_address": source_address, "dcs": dcs},
        )
        location = response.headers.get("Location", "")
        tail = location.rstrip("/").rsplit("/", 1)[-1]
        return int(tail) if tail.isdigit() else None

    def sms_detail(self, iccid: str, sms_id: int) -> Sms:
        return Sms.model_validate(self.request("GET", f"/v1/sims/{iccid}/sms/{sms_id}").json())

    def cancel_sms(self, iccid: str, sms_id: int) -> None:
        self.request("DELETE", f"/v1/sims/{iccid}/sms/{sms_id}")

    def limits(self) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", "/v1/sims/limits").json()
        return result

    # --- 1NCE OS ----------------------------------------------------------------------------
    def devices(self, *, page_size: int = 50) -> Iterator[Device]:
        for item in self._pages("/v1/inspect/devices", page_size):
            yield Device.model_validate(item)

    def telemetry(self, iccid: str) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", f"/v1/inspect/devices/{iccid}/telemetry").json()
        return result

    def history(
        self, iccid: str, *, page_size: int = 100, protocol: str | None = None, limit: int | None = None
    ) -> Iterator[HistoryMessage]:
        """Newest first, following nextToken; stops after `limit` messages when given."""
        params: dict[str, Any] = {"pageSize": page_size}
        if protocol:
            params["protocol"] = protocol
        count = 0
        while True:
            body = self.request("GET", f"/v1/inspect/devices/{iccid}/history", params=params).json()
            for item in body.get("items", []):
                yield HistoryMessage.model_validate(item)
                count += 1
                if limit is not None and count >= limit:
                    return
            token = body.get("nextToken")
            if not token:
                return
            params["nextToken"] = token

    def templates(self) -> list[Template]:
        return [
            Template.model_validate(item) for item in self.request("GET", "/v1/optimize/templates").json()
        ]

    def create_template(
        self, name: str, template: str, protocols: list[str], status: str = "ACTIVE"
    ) -> Template:
        body = {"name": name, "template": template, "protocolFilter": protocols, "status": status}
        return Template.model_validate(self.request("POST", "/v1/optimize/templates", json=body).json())

    def delete_template(self, template_id: str) -> None:
        self.request("DELETE", f"/v1/optimize/templates/{template_id}")

    def try_template(self, template: str, payload: bytes) -> dict[str, Any]:
        body = {"template": template, "payload": base64.b64encode(payload).decode()}
        result: dict[str, Any] = self.request("POST", "/v1/optimize/messages/test", json=body).json()
        return result

    def create_webhook(
        self,
        name: str,
        url: str,
        event_types: list[str],
        *,
        headers: dict[str, str] | None = None,
        json_payload: bool = False,
    ) -> dict[str, Any]:
        body = {
            "name": name,
            "url": url,
            "headers": headers or {},
            "eventTypes": [{"type": t} for t in event_types],
            "jsonPayloadEnabled": json_payload,
        }
        result: dict[str, Any] = self.request("POST", "/v1/integrate/clouds/webhooks", json=body).json()
        return result

    def integration(self, integration_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", f"/v1/integrate/clouds/{integration_id}").json()
        return result

    def set_psk(self, iccid: str, secret: str, *, protocol: str = "COAP", key_format: str = "STRING") -> None:
        body = {"secretKey": secret, "protocol": protocol, "format": key_format}
        self.request("POST", f"/v1/integrate/devices/{iccid}/presharedkey", json=body)

    def psk(self, iccid: str, protocol: str = "COAP") -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", f"/v1/integrate/devices/{iccid}/psk/{protocol}").json()
        return result

    def send_udp(self, iccid: str, payload: bytes, port: int, *, when_active: bool = False) -> str:
        body = {
            "payload": base64.b64encode(payload).decode(),
            "payloadType": "BASE64",
            "port": port,
            "requestMode": "SEND_WHEN_ACTIVE" if when_active else "SEND_NOW",
        }
        return str(self.request("POST", f"/v1/integrate/devices/{iccid}/actions/UDP", json=body).json()["id"])

    def send_coap(
        self, iccid: str, payload: str, port: int, *, path: str = "/", method: str = "POST", attempts: int = 1
    ) -> str:
        body = {
            "payload": payload,
            "payloadType": "STRING",
            "port": port,
            "path": path,
            "requestType": method,
            "sendAttempts": attempts,
        }
        return str(
            self.request("POST", f"/v1/integrate/devices/{iccid}/actions/COAP", json=body).json()["id"]
        )

    def action_request(self, request_id: str) -> ActionRequest:
        return ActionRequest.model_validate(
            self.request("GET", f"/v1/integrate/devices/actions/requests/{request_id}").json()
        )

    def admin_logs(self, *, q: str | None = None, page_size: int = 100) -> Iterator[dict[str, Any]]:
        yield from self._pages("/v1/administrationLogs", page_size, {"q": q} if q else None)


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After", "1")
    try:
        return max(float(value), 0.0)
    except ValueError:
        return 1.0
