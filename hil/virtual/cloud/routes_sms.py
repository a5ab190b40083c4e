"""SMS of one SIM: list, send (MT), details, cancel; SMS-Data objects as sim.json describes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from hil.virtual.network.sms import STATUS_DESCRIPTIONS, SmsSubmitError
from hil.virtual.network.store import SmsRecord

from .bodies import ApiBody
from .deps import paging_headers, parse_sort, sims_guard
from .errors import ApiError
from .routes_sims import find_sim
from .services import services_of

router = APIRouter(dependencies=[Depends(sims_guard)])

SMS_TYPE_IDS = {"MT": 1, "MO": 2}


class SourceAddressType(ApiBody):
    """Source_Address_Type: `id` is a number (145, 161 or 208), and optional."""

    id: float | None = None


class SmsMessage(ApiBody):
    """SMSMessage of sim.json."""

    source_address: str = Field(default="1NCE", max_length=20)
    payload: str = Field(min_length=1)
    udh: str = ""
    dcs: int = 0
    source_address_type: SourceAddressType | None = None
    expiry_date: str | None = None


def sms_view(record: SmsRecord) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": record.id,
        "submit_date": record.submit_date,
        "retry_count": str(record.retry_count),
        "source_address": record.source_address,
        "iccid": record.iccid,
        "msisdn": record.msisdn,
        "imsi": record.imsi,
        "msc": record.msc,
        "dcs": record.dcs,
        "udh": record.udh,
        "payload": record.payload,
        "status": {"id": record.status_id, "description": STATUS_DESCRIPTIONS[record.status_id]},
        "sms_type": {"id": SMS_TYPE_IDS[record.sms_type], "description": record.sms_type},
    }
    for key in ("delivery_date", "expiry_date", "final_date", "retry_date", "last_delivery_attempt"):
        value = getattr(record, key)
        if value:
            view[key] = value
    if record.source_address_type is not None:
        view["source_address_type"] = {"id": record.source_address_type}
    return view


@router.get("/v1/sims/{iccid}/sms")
async def list_sms(
    iccid: str,
    request: Request,
    page: int = Query(1, ge=1),
    page_size: int = Query(10, ge=1, le=100, alias="pageSize"),
    sort: str | None = None,
) -> JSONResponse:
    services = services_of(request)
    find_sim(services, iccid)
    keys = parse_sort(sort, {"id": "id", "submit_date": "id"})
    descending = keys[0][1] if keys else True  # newest first unless asked otherwise
    records, total = services.store.list_sms(iccid, page=page, page_size=page_size, descending=descending)
    return JSONResponse([sms_view(r) for r in records], headers=paging_headers(page, page_size, total))


@router.post("/v1/sims/{iccid}/sms", status_code=201)
async def send_sms(iccid: str, request: Request, message: SmsMessage) -> Response:
    services = services_of(request)
    find_sim(services, iccid)
    if message.dcs not in (0, 4, 8):
        raise ApiError(400, f"dcs must be 0, 4 or 8, got {message.dcs}", error_code="BodyValidationError")
    given = message.source_address_type.id if message.source_address_type else None
    if given not in (None, 145, 161, 208):
        raise ApiError(
            400, "source_address_type.id must be 145, 161 or 208", error_code="BodyValidationError"
        )
    address_type = None if given is None else int(given)
    expiry = None
    if message.expiry_date:
        try:
            expiry = datetime.fromisoformat(message.expiry_date.replace("+0000", "+00:00"))
        except ValueError as exc:
            raise ApiError(
                400, "expiry_date is not an ISO 8601 date-time", error_code="BodyValidationError"
            ) from exc
        if expiry.tzinfo is None:
            raise ApiError(400, "expiry_date needs a time zone, e.g. Z", error_code="BodyValidationError")
    try:
        record = services.core.sms.submit_mt(
            iccid,
            payload=message.payload,
            source_address=message.source_address,
            source_address_type=address_type,
            dcs=message.dcs,
            udh=message.udh,
            expiry=expiry,
        )
    except SmsSubmitError as exc:
        raise ApiError(400, str(exc), error_code="SmsRejected") from exc
    location = f"{str(request.base_url).rstrip('/')}/management-api/v1/sims/{iccid}/sms/{record.id}"
    return Response(status_code=201, headers={"Location": location})


def _find_sms(request: Request, iccid: str, sms_id: float) -> SmsRecord:
    """sim.json types the SMS id as a number: one that is no SMS id (a fraction, negative, beyond
    SQLite's integers) is a well-formed request for an SMS that does not exist."""
    services = services_of(request)
    find_sim(services, iccid)
    exists = sms_id.is_integer() and 0 < sms_id < 2**63
    record = services.store.sms_by_id(int(sms_id)) if exists else None
    if record is None or record.iccid != iccid:
        shown = int(sms_id) if exists else sms_id
        raise ApiError(404, f"SMS {shown} of SIM {iccid} not found", error_code="SmsNotFound")
    return record


@router.get("/v1/sims/{iccid}/sms/{sms_id}")
async def get_sms(iccid: str, sms_id: float, request: Request) -> JSONResponse:
    return JSONResponse(sms_view(_find_sms(request, iccid, sms_id)))


@router.delete("/v1/sims/{iccid}/sms/{sms_id}")
async def cancel_sms(iccid: str, sms_id: float, request: Request) -> Response:
    record = _find_sms(request, iccid, sms_id)
    try:
        services_of(request).core.sms.cancel(record.id)
    except ValueError as exc:
        raise ApiError(400, str(exc), error_code="SmsNotCancellable") from exc
    return Response(status_code=200)
