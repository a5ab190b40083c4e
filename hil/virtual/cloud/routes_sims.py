"""SIM management: /v1/sims and its per-SIM resources, shaped as sim.json describes them."""

from __future__ import annotations

import ipaddress
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from hil.virtual.network.clock import iso_z
from hil.virtual.network.events import sim_event_view
from hil.virtual.network.limits import (
    DATA_LIMIT_OPTIONS_MB,
    SMS_LIMIT_OPTIONS,
    MonthlyLimits,
    load_limits,
    save_limits,
)
from hil.virtual.network.metering import (
    QUOTA_DESCRIPTIONS,
    QuotaLevel,
    data_quota,
    mb,
    mb_string,
    sms_quota,
)
from hil.virtual.network.sessions import SessionState
from hil.virtual.network.store import SIM_FILTER_KEYS, SIM_SORT_KEYS, SimNotFoundError, SimRecord

from .bodies import ApiBody
from .deps import page_count, paging_headers, parse_filter, parse_sort, sims_guard
from .errors import ApiError
from .orders import PRODUCTS, SIM_PRODUCT_ID, TOP_UP_PRODUCT_ID
from .services import Services, services_of

router = APIRouter(dependencies=[Depends(sims_guard)])

MAX_USAGE_DAYS = 183  # "limited to the last 6 months"
PAYMENT_METHODS = {"banktransfer", "creditcard", "monthlyinvoice", "boleto"}
EXTENSION_PAYMENT_METHODS = {"banktransfer", "creditcard", "boleto"}
LIMIT_SERVICES = {"data": ("data", DATA_LIMIT_OPTIONS_MB, "MB"), "smsMT": ("smsMt", SMS_LIMIT_OPTIONS, "SMS")}
LIMIT_SERVICES["smsMO"] = ("smsMo", SMS_LIMIT_OPTIONS, "SMS")


class SimUpdate(ApiBody):
    """Values_for_a_SIM_update."""

    iccid: str
    status: Literal["Enabled", "Disabled"]
    label: str | None = None
    imei_lock: bool | None = None


class LimitsUpdate(ApiBody):
    """SetLimitsRequest."""

    dataLimitId: int | None = None  # noqa: N815 - the API's field names
    smsMtLimitId: int | None = None  # noqa: N815
    smsMoLimitId: int | None = None  # noqa: N815


class IccidRange(ApiBody):
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None


class SimTransfer(ApiBody):
    target_organisation: int | None = None
    iccid_ranges: list[IccidRange] = Field(default_factory=list)
    iccids: list[str] = Field(default_factory=list)


class AutoTopUp(ApiBody):
    enabled: bool | None = None
    iccids: list[str] = Field(default_factory=list)


class Extension(ApiBody):
    iccids: list[str] = Field(default_factory=list)
    productId: int | None = None  # noqa: N815


def _quota_status(level: QuotaLevel, threshold: str | None, exceeded: str | None) -> dict[str, Any]:
    status: dict[str, Any] = {"id": int(level), "description": QUOTA_DESCRIPTIONS[level]}
    if threshold:
        status["threshold_reached_date"] = threshold
    if exceeded:
        status["quota_exceeded_date"] = exceeded
    return status


def sim_view(sim: SimRecord) -> dict[str, Any]:
    data_level = data_quota(sim.data_quota_mb, sim.data_used_bytes).level
    sms_level = sms_quota(sim.sms_quota, sim.sms_used).level
    return {
        "iccid": sim.iccid,
        "iccid_with_luhn": sim.iccid_with_luhn,
        "imsi": sim.imsi,
        "current_imsi": sim.imsi,
        "msisdn": sim.msisdn,
        "imei": sim.imei,
        "imei_lock": sim.imei_lock,
        "status": sim.status,
        "activation_date": sim.activation_date,
        "ip_address": sim.ip_address,
        "current_quota": sim.data_quota_mb,
        "quota_status": _quota_status(data_level, sim.data_threshold_date, sim.data_exceeded_date),
        "current_quota_SMS": sim.sms_quota,
        "quota_status_SMS": _quota_status(sms_level, sim.sms_threshold_date, sim.sms_exceeded_date),
        "label": sim.label,
    }


def find_sim(services: Services, iccid: str) -> SimRecord:
    try:
        return services.store.sim(iccid)
    except SimNotFoundError as exc:
        raise ApiError(404, f"SIM with ICCID {iccid} not found", error_code="SimNotFound") from exc


@router.get("/v1/sims")
async def list_sims(
    request: Request,
    page: int = Query(1, ge=1),
    page_size: int = Query(10, ge=1, le=100, alias="pageSize"),
    q: str | None = None,
    sort: str | None = None,
) -> JSONResponse:
    services = services_of(request)
    filters = parse_filter(q, SIM_FILTER_KEYS)
    if "ip_address" in filters:
        try:
            ipaddress.IPv4Address(filters["ip_address"])
        except ValueError as exc:
            raise ApiError(400, f"ip_address {filters['ip_address']!r} is not an IPv4 address") from exc
    sims, total = services.store.list_sims(
        page=page, page_size=page_size, filters=filters, sort=parse_sort(sort, SIM_SORT_KEYS)
    )
    return JSONResponse([sim_view(sim) for sim in sims], headers=paging_headers(page, page_size, total))


@router.post("/v1/sims", status_code=201)
async def update_sims(request: Request, updates: list[SimUpdate]) -> Response:
    services = services_of(request)
    for update in updates:  # check everything first: nothing is changed half-way
        find_sim(services, update.iccid)
    for update in updates:
        _apply(services, update)
    return Response(status_code=201)


@router.get("/v1/sims/limits")
async def get_limits(request: Request) -> JSONResponse:
    return JSONResponse(load_limits(services_of(request).store).as_api())


@router.post("/v1/sims/limits", status_code=201)
async def set_limits(request: Request, body: LimitsUpdate) -> Response:
    store = services_of(request).store
    current = load_limits(store)
    wanted = MonthlyLimits(
        body.dataLimitId if body.dataLimitId is not None else current.data_id,
        body.smsMtLimitId if body.smsMtLimitId is not None else current.sms_mt_id,
        body.smsMoLimitId if body.smsMoLimitId is not None else current.sms_mo_id,
    )
    try:
        save_limits(store, wanted)
    except ValueError as exc:
        raise ApiError(400, str(exc), error_code="BodyValidationError") from exc
    return Response(status_code=201)


@router.get("/v1/sims/{service}/limits")
async def selectable_limits(service: str, request: Request) -> JSONResponse:
    """The choices for one service, in the Values_for_Limits shape sim.json documents for this call:
    the service's key holds the first choice, `options` (an addition) every choice."""
    if service not in LIMIT_SERVICES:
        raise ApiError(
            404, f"no limits for service {service!r}; one of {sorted(LIMIT_SERVICES)}", error_code="NotFound"
        )
    key, options, unit = LIMIT_SERVICES[service]
    choices = [{"id": i, "limit": str(value), "unit": unit} for i, value in sorted(options.items())]
    return JSONResponse({key: choices[0], "options": choices})


def _payment_method(value: str | None, allowed: set[str]) -> str:
    if value is None:
        return "banktransfer"
    if value not in allowed:
        raise ApiError(400, "Payment method used is not valid.", error_code="ParameterValidationError")
    return value


def _known_sims(services: Services, iccids: list[str], what: str) -> list[str]:
    """The listed ICCIDs, once each; 400 for none, 404 naming the unknown (nothing is changed)."""
    unique = list(dict.fromkeys(iccids))
    if not unique:
        raise ApiError(400, f"{what}: list at least one ICCID", error_code="BodyValidationError")
    unknown = [iccid for iccid in unique if services.store.find_sim(iccid) is None]
    if unknown:
        raise ApiError(404, f"SIM(s) not found: {', '.join(unknown[:10])}", error_code="SimNotFound")
    return unique


def _order_location(request: Request, number: int) -> dict[str, str]:
    return {"Location": f"{str(request.base_url).rstrip('/')}/management-api/v1/orders/{number}"}


@router.post("/v1/sims/topup", status_code=201)
async def top_up_many(
    request: Request, iccids: Annotated[list[str], Body()], payment_method: str | None = None
) -> Response:
    services = services_of(request)
    method = _payment_method(payment_method, PAYMENT_METHODS)
    chosen = _known_sims(services, iccids, "top-up")
    for iccid in chosen:
        services.core.top_up(iccid)
    order = services.orders.record("BULK_TOPUP", chosen, TOP_UP_PRODUCT_ID, method)
    return Response(status_code=201, headers=_order_location(request, order.number))


@router.post("/v1/sims/autoTopup", status_code=201)
async def auto_top_up(request: Request, body: AutoTopUp) -> Response:
    services = services_of(request)
    if body.enabled is None:
        raise ApiError(400, "auto top-up: say 'enabled': true or false", error_code="BodyValidationError")
    for iccid in _known_sims(services, body.iccids, "auto top-up"):
        services.core.set_auto_top_up(iccid, body.enabled)
    return Response(status_code=201)


@router.post("/v1/sims/extension", status_code=201)
async def extend(request: Request, body: Extension, payment_method: str | None = None) -> Response:
    services = services_of(request)
    _payment_method(payment_method, EXTENSION_PAYMENT_METHODS)
    if body.productId is not None and body.productId != SIM_PRODUCT_ID:
        known = [p["id"] for p in PRODUCTS]
        raise ApiError(
            422,
            f"productId {body.productId} is not a SIM product (products: {known}; SIMs: {SIM_PRODUCT_ID})",
            error_code="UnprocessableEntity",
        )
    for iccid in _known_sims(services, body.iccids, "extension"):
        services.core.extend(iccid)
    return Response(status_code=201)


@router.post("/v1/sims/simTransfer", status_code=201)
async def transfer(request: Request, body: SimTransfer) -> Response:
    services = services_of(request)
    own = services.organisation_id
    if body.target_organisation is None or str(body.target_organisation) == own:
        raise ApiError(
            400,
            f"target_organisation: name the organisation to move the SIMs to (not this one, {own})",
            error_code="BodyValidationError",
        )
    chosen = list(body.iccids)
    for number, span in enumerate(body.iccid_ranges):
        if span.from_ is None or span.to is None or span.from_ > span.to:
            raise ApiError(
                400, f"iccid_ranges[{number}]: needs 'from' <= 'to'", error_code="BodyValidationError"
            )
        inside = [sim.iccid for sim in services.store.all_sims() if span.from_ <= sim.iccid <= span.to]
        if not inside:
            raise ApiError(
                404, f"iccid_ranges[{number}]: no SIM of this organisation", error_code="SimNotFound"
            )
        chosen += sorted(inside)
    for iccid in _known_sims(services, chosen, "SIM transfer"):
        services.core.transfer_out(iccid)
    return Response(status_code=201)


@router.get("/v1/sims/{iccid}")
async def get_sim(iccid: str, request: Request) -> JSONResponse:
    return JSONResponse(sim_view(find_sim(services_of(request), iccid)))


@router.put("/v1/sims/{iccid}")
async def update_sim(iccid: str, request: Request, update: SimUpdate) -> Response:
    services = services_of(request)
    find_sim(services, iccid)
    if update.iccid != iccid:
        raise ApiError(
            400,
            f"body iccid {update.iccid} does not match the path's {iccid}",
            error_code="BodyValidationError",
        )
    _apply(services, update)
    return Response(status_code=200)


def _apply(services: Services, update: SimUpdate) -> None:
    changes: dict[str, Any] = {}
    if update.label is not None:
        changes["label"] = update.label
    if update.imei_lock is not None:
        changes["imei_lock"] = update.imei_lock
    if changes:
        services.store.update_sim(update.iccid, **changes)
    services.core.set_status(update.iccid, update.status)


@router.get("/v1/sims/{iccid}/status")
async def get_status(iccid: str, request: Request) -> JSONResponse:
    services = services_of(request)
    sim = find_sim(services, iccid)
    session = services.core.sessions.get(iccid)
    body: dict[str, Any] = {"status": session.state.value, "services": []}
    if session.state != SessionState.OFFLINE and session.attached_at is not None:
        visited = services.core.visited
        body["location"] = {
            "iccid": sim.iccid,
            "imsi": sim.imsi,
            "last_updated": iso_z(session.attached_at),
            "last_updated_gprs": iso_z(session.attached_at),
            "sgsn_number": "491600300000",
            "vlr_number": "491710000000",
            "msc": services.core.msc_number,
            "sgsn_ip_address": services.core.sgsn_ip,
            "operator_id": str(visited.operator_id),
            "operator": {
                "id": str(visited.operator_id),
                "name": visited.operator_name,
                "country": {
                    "id": str(visited.country_id),
                    "name": visited.country_name,
                    "iso-code": visited.iso_code,
                },
            },
            "country": {
                "country_id": str(visited.country_id),
                "name": visited.country_name,
                "country_code": visited.country_code,
                "mcc": visited.mcc,
                "iso-code": visited.iso_code,
                "latitude": "51",
                "longitude": "9",
            },
        }
        body["services"] = ["GPRS"] + (["SMS"] if session.rat and session.rat.sms_capable else [])
    pdp = services.core.pdp_record(iccid)
    if pdp is not None:
        body["pdp_context"] = pdp
    return JSONResponse(body)


@router.get("/v1/sims/{iccid}/connectivity_info")
async def get_connectivity_info(
    iccid: str, request: Request, subscriber: bool = True, ussd: bool = False
) -> JSONResponse:
    services = services_of(request)
    find_sim(services, iccid)
    requested = services.clock.now()
    session = services.core.sessions.get(iccid)
    body: dict[str, Any] = {"request_timestamp": _plus0000(requested)}
    if subscriber:
        # 1NCE answers with a current location only for 2G/3G attachments.
        current = session.rat is not None and session.rat.description in {"2G", "3G"}
        info: dict[str, Any] = {"current_location_retrieved": current, "age_of_location": 0}
        if session.rat is not None:
            visited = services.core.visited
            info["cell_global_id"] = {
                "cid": session.ci,
                "lac": session.tac,
                "mcc": visited.mcc,
                "mnc": visited.mnc,
            }
        body["subscriber_info"] = info
    if ussd:
        body["ussd_info"] = {"success": False, "error": "USSD is not supported by the emulated network"}
    body["reply_timestamp"] = _plus0000(services.clock.now())
    return JSONResponse(body)


def _plus0000(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


@router.post("/v1/sims/{iccid}/reset", status_code=201)
async def reset(iccid: str, request: Request) -> Response:
    services = services_of(request)
    find_sim(services, iccid)
    services.core.reset_connectivity(iccid)
    return Response(status_code=201)


@router.get("/v1/sims/{iccid}/events")
async def get_events(
    iccid: str,
    request: Request,
    page: int = Query(1, ge=1),
    page_size: int = Query(10, ge=1, le=1000, alias="pageSize"),
    sort: str | None = None,
) -> JSONResponse:
    services = services_of(request)
    find_sim(services, iccid)
    keys = parse_sort(sort, {"timestamp": "timestamp", "id": "id"})
    descending = keys[0][1] if keys else True  # newest first unless asked otherwise
    records, total = services.store.list_events(iccid, page=page, page_size=page_size, descending=descending)
    pages = page_count(total, page_size)
    return JSONResponse(
        {"events": [sim_event_view(record) for record in records], "totalEvents": total, "totalPages": pages},
        headers=paging_headers(page, page_size, total),
    )


def _parse_day(value: str | None, name: str, default: date) -> date:
    if value is None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ApiError(
            400,
            f"{name} {value!r} is not a date in the form YYYY-MM-DD",
            error_code="ParameterValidationError",
        ) from exc


@router.get("/v1/sims/{iccid}/usage")
async def get_usage(
    iccid: str, request: Request, start_dt: str | None = None, end_dt: str | None = None
) -> JSONResponse:
    services = services_of(request)
    find_sim(services, iccid)
    today = services.clock.now().date()
    end = _parse_day(end_dt, "end_dt", today)
    start = _parse_day(start_dt, "start_dt", end - timedelta(days=29))
    if start > end:
        raise ApiError(400, f"start_dt {start} is after end_dt {end}", error_code="ParameterValidationError")
    if start < today - timedelta(days=MAX_USAGE_DAYS):
        raise ApiError(
            400, "usage is available for the last 6 months only", error_code="ParameterValidationError"
        )
    currency = {"id": 1, "symbol": "€", "code": "EUR"}
    stats = []
    for row in services.store.usage_between(iccid, start, end):
        data_total = row["data_tx"] + row["data_rx"]
        sms_total = row["sms_mo"] + row["sms_mt"]
        stats.append(
            {
                "date": f"{row['day']}T00:00:00.000Z",
                "data": {
                    "volume": mb_string(data_total),
                    "volume_rx": mb_string(row["data_rx"]),
                    "volume_tx": mb_string(row["data_tx"]),
                    "cost": mb_string(data_total),
                    "currency": currency,
                    "traffic_type": {"id": 5, "description": "Data", "unit": "MB"},
                },
                "sms": {
                    "volume": str(sms_total),
                    "volume_rx": str(row["sms_mo"]),
                    "volume_tx": str(row["sms_mt"]),
                    "cost": str(sms_total),
                    "currency": currency,
                    "traffic_type": {"id": 6, "description": "SMS", "unit": "SMS"},
                },
            }
        )
    return JSONResponse({"stats": stats})


@router.get("/v1/sims/{iccid}/quota/data")
async def get_data_quota(iccid: str, request: Request) -> JSONResponse:
    sim = find_sim(services_of(request), iccid)
    state = data_quota(sim.data_quota_mb, sim.data_used_bytes)
    return JSONResponse(
        {
            "volume": mb(int(state.remaining)),
            "total_volume": sim.data_quota_mb,
            "expiry_date": sim.quota_expiry,
            "peak_throughput": 1_000_000,
            "last_volume_added": sim.last_volume_added_mb,
            "last_status_change_date": sim.quota_change_date,
            "threshold_percentage": 20,
        }
    )


@router.get("/v1/sims/{iccid}/quota/sms")
async def get_sms_quota(iccid: str, request: Request) -> JSONResponse:
    sim = find_sim(services_of(request), iccid)
    state = sms_quota(sim.sms_quota, sim.sms_used)
    return JSONResponse(
        {
            "volume": int(state.remaining),
            "total_volume": sim.sms_quota,
            "expiry_date": sim.quota_expiry,
            "last_volume_added": sim.last_sms_added,
            "last_status_change_date": sim.quota_change_date,
            "threshold_percentage": 20,
        }
    )


@router.post("/v1/sims/{iccid}/topup", status_code=201)
async def top_up(iccid: str, request: Request, payment_method: str | None = None) -> Response:
    services = services_of(request)
    find_sim(services, iccid)
    method = _payment_method(payment_method, PAYMENT_METHODS)
    services.core.top_up(iccid)
    order = services.orders.record("TOPUP", [iccid], TOP_UP_PRODUCT_ID, method)
    return Response(status_code=201, headers=_order_location(request, order.number))
