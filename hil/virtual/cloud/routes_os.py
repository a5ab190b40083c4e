"""1NCE OS API: Device Inspector, Energy Saver, Device Authenticator keys, Device Controller,
Cloud Integrator, endpoints, administration logs and the agreements - shaped as the Developer Hub's
StatusCodes files describe them."""

from __future__ import annotations

import base64
import binascii
import operator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from hil.virtual.network.store import SimRecord

from .bodies import ApiBody, StrictBody
from .controller import ACTIVE, ARCHIVED, ActionConflictError, ActionNotFoundError, ActionRejectedError
from .deps import UnboundedPageSize, bearer, page_count, parse_filter
from .energy_saver import (
    TemplateConflictError,
    TemplateNotFoundError,
    TemplateRejectedError,
    try_template,
)
from .errors import ApiError
from .history import TokenError
from .services import Services, services_of
from .webhooks import (
    EVENT_DESCRIPTIONS,
    EVENT_VERSION,
    IntegrationConflictError,
    IntegrationError,
    IntegrationNotFoundError,
)

router = APIRouter(dependencies=[Depends(bearer)])

Protocol = Literal["UDP", "COAP"]
EventName = Literal["TELEMETRY_DATA", "LIFECYCLE", "ERROR", "GEOFENCE", "LOCATION"]


class TemplateCreate(StrictBody):
    name: str = Field(min_length=1, max_length=64)
    template: str = Field(min_length=1)
    protocolFilter: list[Protocol] = Field(min_length=1)  # noqa: N815 - API field names
    status: Literal["ACTIVE", "INACTIVE"] = "ACTIVE"


class TemplatePatch(StrictBody):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    template: str | None = Field(default=None, min_length=1)
    protocolFilter: list[Protocol] | None = Field(default=None, min_length=1)  # noqa: N815
    status: Literal["ACTIVE", "INACTIVE"] | None = None


class TemplateTest(StrictBody):
    template: str = Field(min_length=1)
    payload: str = Field(min_length=1)


class PskBody(StrictBody):
    secretKey: str = Field(min_length=8, max_length=256, repr=False)  # noqa: N815
    protocol: Literal["COAP", "LWM2M"]
    format: Literal["STRING", "HEX"] = "STRING"


class UdpAction(StrictBody):
    payload: str
    payloadType: Literal["STRING", "BASE64"]  # noqa: N815
    port: int = Field(ge=1, le=65535)
    requestMode: Literal["SEND_NOW", "SEND_WHEN_ACTIVE"] = "SEND_NOW"  # noqa: N815


class CoapAction(StrictBody):
    payload: str | None = None
    payloadType: Literal["STRING", "BASE64"] = "STRING"  # noqa: N815
    port: int = Field(ge=1, le=65535)
    path: str = Field(pattern=r"^[a-zA-Z0-9\-._~%:/?#@!$&'()*+,;=]{0,255}$")
    requestType: Literal["GET", "POST", "PUT", "DELETE", "PATCH"]  # noqa: N815
    requestMode: Literal["SEND_NOW", "SEND_WHEN_ACTIVE"] = "SEND_NOW"  # noqa: N815
    sendAttempts: int = Field(default=1, ge=1, le=5)  # noqa: N815


class EventTypeRef(ApiBody):  # the item schema allows more properties
    type: EventName
    version: str | None = None


class WebhookCreate(StrictBody):
    name: str = Field(min_length=1, max_length=128)
    url: str
    headers: dict[str, str]
    eventTypes: list[EventTypeRef] = Field(min_length=1)  # noqa: N815
    jsonPayloadEnabled: bool = False  # noqa: N815


class WebhookPatch(StrictBody):
    url: str | None = None
    headers: dict[str, str] | None = None
    eventTypes: list[EventTypeRef] | None = Field(default=None, min_length=1)  # noqa: N815
    jsonPayloadEnabled: bool | None = None  # noqa: N815


class Agreements(ApiBody):
    accepted: bool


def device(services: Services, device_id: str) -> SimRecord:
    sim = services.store.find_sim(device_id)
    if sim is None:
        raise ApiError(404, f"Device {device_id} not found")
    return sim


def device_view(sim: SimRecord) -> dict[str, Any]:
    return {"id": sim.iccid, "iccid": sim.iccid, "imsi1": sim.imsi, "ip": sim.ip_address}


def _epoch_ms(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError as exc:
        raise ApiError(400, f"{name} {value!r} is not an ISO 8601 timestamp") from exc


# --- Device Inspector -----------------------------------------------------------------------
@router.get("/v1/inspect/devices")
async def list_devices(
    request: Request,
    page: int = Query(1, ge=1, le=50),
    page_size: int = Query(10, ge=1, le=50, alias="pageSize"),
    sort: str | None = None,
    q: str | None = None,
) -> JSONResponse:
    services = services_of(request)
    filters = parse_filter(q, ("iccid",))
    sims = [sim for sim in services.store.all_sims() if filters.get("iccid", sim.iccid) == sim.iccid]
    for part in reversed([p.strip() for p in (sort or "iccid").split(",") if p.strip()]):
        key = part.lstrip("-")
        if key not in {"iccid", "ip", "imsi1", "id"}:
            raise ApiError(400, f"sort key {key!r} is not one of ['iccid', 'id', 'imsi1', 'ip']")
        attribute = {"iccid": "iccid", "id": "iccid", "imsi1": "imsi", "ip": "ip_int"}[key]
        sims.sort(key=operator.attrgetter(attribute), reverse=part.startswith("-"))
    chosen = sims[(page - 1) * page_size : page * page_size]
    return JSONResponse(
        {
            "items": [device_view(s) for s in chosen],
            "page": page,
            "pageAmount": page_count(len(sims), page_size),
        }
    )


def _history(
    request: Request,
    iccid: str | None,
    start: str | None,
    end: str | None,
    page_size: int,
    protocol: str | None,
    next_token: str | None,
) -> JSONResponse:
    services = services_of(request)
    if protocol is not None and protocol not in {"UDP", "COAP", "LWM2M"}:
        raise ApiError(400, f"protocol {protocol!r} is not one of UDP, COAP, LWM2M")
    try:
        items, token = services.history.page(
            iccid=iccid,
            start_ms=_epoch_ms(start, "startDateTime"),
            end_ms=_epoch_ms(end, "endDateTime"),
            protocol=protocol,
            page_size=page_size,
            next_token=next_token,
        )
    except TokenError as exc:
        raise ApiError(400, str(exc)) from exc
    body: dict[str, Any] = {"items": items}
    if token is not None:
        body["nextToken"] = token
    if not next_token:
        body["firstToken"] = "first"
    return JSONResponse(body)


@router.get("/v1/inspect/devices/history")
async def all_history(
    request: Request,
    deviceId: str | None = None,  # noqa: N803 - API parameter names
    iccid: str | None = None,
    startDateTime: str | None = None,  # noqa: N803
    endDateTime: str | None = None,  # noqa: N803
    pageSize: UnboundedPageSize = 10,  # noqa: N803
    protocol: str | None = None,
    nextToken: str | None = None,  # noqa: N803
) -> JSONResponse:
    selected = deviceId or iccid
    if selected is not None:
        device(services_of(request), selected)
    token = None if nextToken == "first" else nextToken
    return _history(request, selected, startDateTime, endDateTime, pageSize, protocol, token)


@router.get("/v1/inspect/devices/{device_id}")
async def get_device(device_id: str, request: Request) -> JSONResponse:
    sim = device(services_of(request), device_id)
    return JSONResponse({**device_view(sim), "name": sim.label or sim.iccid})


@router.get("/v1/inspect/devices/{device_id}/telemetry")
async def get_telemetry(device_id: str, request: Request, protocol: str | None = None) -> JSONResponse:
    services = services_of(request)
    sim = device(services, device_id)
    if protocol is not None and protocol not in {"UDP", "COAP", "LWM2M"}:
        raise ApiError(400, f"protocol {protocol!r} is not one of UDP, COAP, LWM2M")
    return JSONResponse({"id": sim.iccid, "state": services.history.telemetry(sim.iccid, protocol)})


@router.get("/v1/inspect/devices/{device_id}/history")
async def device_history(
    device_id: str,
    request: Request,
    startDateTime: str | None = None,  # noqa: N803
    endDateTime: str | None = None,  # noqa: N803
    pageSize: UnboundedPageSize = 10,  # noqa: N803
    protocol: str | None = None,
    nextToken: str | None = None,  # noqa: N803
) -> JSONResponse:
    sim = device(services_of(request), device_id)
    token = None if nextToken == "first" else nextToken
    return _history(request, sim.iccid, startDateTime, endDateTime, pageSize, protocol, token)


# --- Energy Saver ---------------------------------------------------------------------------
@router.get("/v1/optimize/templates")
async def list_templates(request: Request) -> JSONResponse:
    return JSONResponse([t.as_api() for t in services_of(request).energy.all()])


@router.post("/v1/optimize/templates", status_code=201)
async def create_template(request: Request, body: TemplateCreate) -> JSONResponse:
    try:
        template = services_of(request).energy.create(
            body.name, body.template, list(body.protocolFilter), body.status
        )
    except TemplateRejectedError as exc:
        raise ApiError(422, str(exc)) from exc  # create-optimizer-template documents 422
    except TemplateConflictError as exc:
        raise ApiError(409, str(exc)) from exc
    return JSONResponse(template.as_api(), status_code=201)


@router.patch("/v1/optimize/templates/{template_id}")
async def patch_template(template_id: str, request: Request, body: TemplatePatch) -> JSONResponse:
    try:
        template = services_of(request).energy.update(template_id, body.model_dump(exclude_none=True))
    except TemplateNotFoundError as exc:
        raise ApiError(404, str(exc)) from exc
    except TemplateRejectedError as exc:
        raise ApiError(422, str(exc)) from exc  # update-optimizer-template documents 422
    except TemplateConflictError as exc:
        raise ApiError(409, str(exc)) from exc
    return JSONResponse(template.as_api())


@router.delete("/v1/optimize/templates/{template_id}", status_code=204)
async def delete_template(template_id: str, request: Request) -> Response:
    try:
        services_of(request).energy.delete(template_id)
    except TemplateNotFoundError as exc:
        raise ApiError(404, str(exc)) from exc
    return Response(status_code=204)


@router.post("/v1/optimize/messages/test")
async def test_template(request: Request, body: TemplateTest) -> JSONResponse:
    try:
        payload = base64.b64decode(body.payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, "payload is not valid base64") from exc
    try:
        return JSONResponse(try_template(body.template, payload))
    except TemplateRejectedError as exc:
        raise ApiError(400, str(exc)) from exc
    except ValueError as exc:  # BclDecodeError: the payload does not fit the template
        raise ApiError(400, f"Translator[UserPayloadError]: {exc}") from exc


# --- Device Authenticator keys ----------------------------------------------------------------
@router.post("/v1/integrate/devices/{device_id}/presharedkey")
async def set_psk(device_id: str, request: Request, body: PskBody) -> JSONResponse:
    services = services_of(request)
    sim = device(services, device_id)
    try:
        key = services.authenticator.set_by_api(sim.iccid, body.protocol, body.secretKey, body.format)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc
    return JSONResponse(key.as_api())


@router.get("/v1/integrate/devices/{device_id}/psk/{protocol}")
async def get_psk(device_id: str, protocol: str, request: Request) -> JSONResponse:
    services = services_of(request)
    sim = device(services, device_id)
    if protocol not in {"COAP", "LWM2M", "UDP"}:
        raise ApiError(400, f"protocol {protocol!r} is not one of COAP, LWM2M, UDP")
    key = services.authenticator.get(sim.iccid, protocol)
    if key is None:
        raise ApiError(404, f"no pre-shared key for device {sim.iccid} and protocol {protocol}")
    return JSONResponse(key.as_api())


# --- Device Controller ------------------------------------------------------------------------
def _create_action(request: Request, device_id: str, protocol: str, body: BaseModel) -> JSONResponse:
    services = services_of(request)
    sim = device(services, device_id)
    try:
        result = services.controller.create(sim, protocol, body.model_dump(exclude_none=True))
    except ActionRejectedError as exc:
        raise ApiError(400, str(exc)) from exc
    except ActionConflictError as exc:
        raise ApiError(409, str(exc)) from exc
    return JSONResponse(result, status_code=202)


@router.post("/v1/integrate/devices/{device_id}/actions/UDP", status_code=202)
async def udp_action(device_id: str, request: Request, body: UdpAction) -> JSONResponse:
    return _create_action(request, device_id, "UDP", body)


@router.post("/v1/integrate/devices/{device_id}/actions/COAP", status_code=202)
async def coap_action(device_id: str, request: Request, body: CoapAction) -> JSONResponse:
    return _create_action(request, device_id, "COAP", body)


class ActionQuery:
    """The query parameters the action-request listings share."""

    def __init__(
        self,
        page: int = Query(1, ge=1, le=50),
        pageSize: UnboundedPageSize = 10,  # noqa: N803
        deviceId: str | None = None,  # noqa: N803
        protocol: str | None = None,
        status: str | None = None,
        requestMode: str | None = None,  # noqa: N803
        sort: str = "-created",
    ) -> None:
        self.page, self.page_size, self.device_id = page, pageSize, deviceId
        self.protocol, self.status, self.mode, self.sort = protocol, status, requestMode, sort


ActionFilter = Annotated[ActionQuery, Depends()]


def _actions(request: Request, statuses: tuple[str, ...] | None, query: ActionQuery) -> JSONResponse:
    if query.sort not in {"created", "-created", "updated", "-updated"}:
        raise ApiError(400, f"sort {query.sort!r} is not one of created, -created, updated, -updated")
    status = query.status
    if status is not None:
        if status not in {"SCHEDULED", "IN_PROGRESS", "FAILED", "SUCCEEDED", "CANCELLED"}:
            raise ApiError(400, f"status {status!r} is not a request status")
        statuses = tuple(s for s in (statuses or (status,)) if s == status)
    items, total = services_of(request).controller.page(
        statuses=statuses,
        device_id=query.device_id,
        protocol=query.protocol,
        mode=query.mode,
        sort=query.sort,
        page=query.page,
        page_size=query.page_size,
    )
    return JSONResponse(
        {"items": items, "page": query.page, "pageAmount": page_count(total, query.page_size)}
    )


@router.get("/v1/integrate/devices/actions/requests")
async def list_actions(request: Request, query: ActionFilter) -> JSONResponse:
    return _actions(request, None, query)


@router.get("/v1/integrate/devices/actions/requests/active")
async def active_actions(request: Request, query: ActionFilter) -> JSONResponse:
    return _actions(request, ACTIVE, query)


@router.get("/v1/integrate/devices/actions/requests/archived")
async def archived_actions(request: Request, query: ActionFilter) -> JSONResponse:
    return _actions(request, ARCHIVED, query)


@router.get("/v1/integrate/devices/actions/requests/{request_id}")
async def get_action(request_id: str, request: Request) -> JSONResponse:
    try:
        return JSONResponse(services_of(request).controller.get(request_id))
    except ActionNotFoundError as exc:
        raise ApiError(404, str(exc)) from exc


@router.delete("/v1/integrate/devices/actions/requests/{request_id}")
async def cancel_action(request_id: str, request: Request) -> JSONResponse:
    try:
        return JSONResponse(services_of(request).controller.cancel(request_id))
    except ActionNotFoundError as exc:
        raise ApiError(404, str(exc)) from exc


@router.delete("/v1/integrate/devices/{device_id}/actions/requests")
async def cancel_device_actions(device_id: str, request: Request) -> JSONResponse:
    services = services_of(request)
    sim = device(services, device_id)
    return JSONResponse(services.controller.cancel_device(sim.iccid))


# --- endpoints --------------------------------------------------------------------------------
def _endpoint_items(services: Services) -> list[dict[str, Any]]:
    endpoints = services.endpoints
    items = []
    for protocol, key in (("UDP", "udp"), ("COAP", "coap")):
        if key in endpoints:
            host, _, port = endpoints[key].split("://", 1)[1].rpartition(":")
            items.append(
                {
                    "protocol": protocol,
                    "active": True,
                    "domain": host,
                    "ipAddresses": [host],
                    "port": int(port),
                }
            )
    return items


@router.get("/v1/integrate/devices/endpoints")
async def list_endpoints(request: Request) -> JSONResponse:
    return JSONResponse({"items": _endpoint_items(services_of(request)), "page": 1, "pageAmount": 1})


@router.get("/v1/integrate/devices/endpoints/{protocol}")
async def get_endpoint(protocol: str, request: Request) -> JSONResponse:
    for item in _endpoint_items(services_of(request)):
        if item["protocol"] == protocol.upper():
            return JSONResponse({**item, "settings": []})
    raise ApiError(404, f"no endpoint for protocol {protocol!r}")


# --- Cloud Integrator -------------------------------------------------------------------------
def _integration_view(integration: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in integration.items()}


@router.get("/v1/integrate/clouds")
async def list_integrations(
    request: Request,
    page: int = Query(1, ge=1),
    pageSize: UnboundedPageSize = 10,  # noqa: N803
) -> JSONResponse:
    items = services_of(request).integrator.list()
    chosen = items[(page - 1) * pageSize : page * pageSize]
    listed = [{k: v for k, v in item.items() if k not in {"url", "headers", "error"}} for item in chosen]
    return JSONResponse({"items": listed, "page": page, "pageAmount": page_count(len(items), pageSize)})


@router.get("/v1/integrate/clouds/eventTypes")
async def event_types(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "eventTypes": [
                {"name": name, "description": description, "version": EVENT_VERSION, "payload": {}}
                for name, description in EVENT_DESCRIPTIONS.items()
            ]
        }
    )


@router.post("/v1/integrate/clouds/webhooks", status_code=201)
async def create_webhook(request: Request, body: WebhookCreate) -> JSONResponse:
    try:
        integration = services_of(request).integrator.create(body.model_dump())
    except IntegrationError as exc:
        raise ApiError(400, str(exc)) from exc
    except IntegrationConflictError as exc:
        raise ApiError(409, str(exc)) from exc
    return JSONResponse(_webhook_view(integration), status_code=201)


def _webhook_view(integration: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "id",
        "name",
        "type",
        "url",
        "headers",
        "eventTypes",
        "jsonPayloadEnabled",
        "state",
        "createdTime",
        "updatedTime",
    )
    return {key: integration[key] for key in keys}


@router.patch("/v1/integrate/clouds/webhooks/{integration_id}")
async def patch_webhook(integration_id: str, request: Request, body: WebhookPatch) -> JSONResponse:
    try:
        integration = services_of(request).integrator.patch(
            integration_id, body.model_dump(exclude_none=True)
        )
    except IntegrationNotFoundError as exc:
        raise ApiError(404, str(exc)) from exc
    except IntegrationError as exc:
        raise ApiError(400, str(exc)) from exc
    except IntegrationConflictError as exc:
        raise ApiError(409, str(exc)) from exc
    return JSONResponse(_webhook_view(integration))


@router.post("/v1/integrate/clouds/webhooks/{integration_id}/restart")
async def restart_webhook(integration_id: str, request: Request) -> JSONResponse:
    try:
        integration = services_of(request).integrator.restart(integration_id)
    except IntegrationNotFoundError as exc:
        raise ApiError(404, str(exc)) from exc
    keys = (
        "id",
        "name",
        "type",
        "state",
        "createdTime",
        "updatedTime",
        "eventTypes",
        "lastSuccessfulMessageDelivery",
    )
    view = {key: integration[key] for key in keys if key in integration}
    return JSONResponse(
        {"integration": view, "restartStatus": "SUCCESS", "message": "Restart was successful"}
    )


@router.post("/v1/integrate/clouds/webhooks/{integration_id}/test")
async def test_webhook(integration_id: str, request: Request) -> JSONResponse:
    try:
        ok, message = await services_of(request).integrator.test(integration_id)
    except IntegrationNotFoundError as exc:
        raise ApiError(404, str(exc)) from exc
    return JSONResponse({"testStatus": "SUCCESS" if ok else "FAILURE", "message": message})


@router.get("/v1/integrate/clouds/{integration_id}")
async def get_integration(integration_id: str, request: Request) -> JSONResponse:
    try:
        return JSONResponse(_integration_view(services_of(request).integrator.get(integration_id)))
    except IntegrationNotFoundError as exc:
        raise ApiError(404, str(exc)) from exc


@router.delete("/v1/integrate/clouds/{integration_id}", status_code=204)
async def delete_integration(integration_id: str, request: Request) -> Response:
    try:
        services_of(request).integrator.delete(integration_id)
    except IntegrationNotFoundError as exc:
        raise ApiError(404, str(exc)) from exc
    return Response(status_code=204)


# --- administration logs, agreements ----------------------------------------------------------
@router.get("/v1/administrationLogs")
async def admin_logs(
    request: Request,
    page: int = Query(1, ge=1, le=50),
    pageSize: UnboundedPageSize = 10,  # noqa: N803
    q: str | None = None,
) -> JSONResponse:
    filters = parse_filter(q, ("geofenceId", "category", "iccid", "type", "startDateTime", "endDateTime"))
    items, total = services_of(request).admin_log.page(page=page, page_size=pageSize, filters=filters)
    return JSONResponse({"items": items, "page": page, "pageAmount": page_count(total, pageSize)})


@router.post("/v1/agreements/1nceos", status_code=201)
async def accept_agreements(request: Request, body: Agreements) -> Response:
    if body.accepted is not True:
        raise ApiError(400, "only 'accepted': true is accepted")
    services_of(request).store.set_setting("os_agreements_accepted", True)
    return Response(status_code=201)
