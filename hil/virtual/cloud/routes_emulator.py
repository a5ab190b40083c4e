"""Emulator-only controls under /_emulator (not part of any 1NCE API): counters, the portal-only
settings (SMS Forwarder and Data Streamer URLs) and moving the emulator clock forward."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .deps import bearer
from .errors import ApiError
from .services import services_of
from .webhooks import IntegrationError, check_webhook_url

router = APIRouter(prefix="/_emulator", dependencies=[Depends(bearer)])


class UrlSetting(BaseModel):
    url: str | None


class ClockAdvance(BaseModel):
    seconds: float = Field(ge=0, le=10 * 365 * 86400)


@router.get("/stats")
async def stats(request: Request) -> JSONResponse:
    services = services_of(request)
    services.history.flush(timeout=10)
    counters: dict[str, Any] = dict(services.pipeline.stats)
    counters.update(
        history_queued=services.history.queued,
        history_written=services.history.written,
        history_rows=services.history.count(),
        webhooks_delivered=services.integrator.delivered,
        webhooks_failed=services.integrator.failed,
    )
    return JSONResponse(counters)


def _url(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_webhook_url(value)
    except IntegrationError as exc:
        raise ApiError(400, str(exc)) from exc


@router.put("/sms-forwarder")
async def set_forwarder(request: Request, body: UrlSetting) -> Response:
    services_of(request).forwarder.url = _url(body.url)
    return Response(status_code=204)


@router.put("/data-streamer")
async def set_streamer(request: Request, body: UrlSetting) -> Response:
    services_of(request).streamer.url = _url(body.url)
    return Response(status_code=204)


@router.post("/clock/advance")
async def advance_clock(request: Request, body: ClockAdvance) -> Response:
    services_of(request).clock.advance(body.seconds)
    return Response(status_code=204)
