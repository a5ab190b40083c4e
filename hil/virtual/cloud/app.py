"""The HTTP application: the 1NCE Management API paths under /management-api (so the base URL is
interchangeable with https://api.1nce.com/management-api) plus the emulator's own /_emulator."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from . import routes_emulator, routes_oauth, routes_orders, routes_os, routes_sims, routes_sms
from .deps import authenticate
from .errors import MAX_BODY_BYTES, ApiError, error_response, install_error_handlers
from .services import Services

API_PREFIX = "/management-api"


class _BodyLimit(BaseHTTPMiddleware):
    """1NCE limits API bodies to 64 KB; refuse larger ones before any handler reads them."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return error_response(request, ApiError(413, f"request body over {MAX_BODY_BYTES} bytes"))
        return await call_next(request)


PUBLIC_PATHS = frozenset({API_PREFIX + "/oauth/token"})


class _Authenticate(BaseHTTPMiddleware):
    """Every 1NCE path but the token endpoint needs a bearer token, and that is checked before
    routing: a caller without one learns 401, not which paths or methods exist (404/405)."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if path.startswith(API_PREFIX + "/") and path not in PUBLIC_PATHS:
            try:
                authenticate(request)
            except ApiError as exc:
                return error_response(request, exc)
        return await call_next(request)


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="1NCE API emulator (nce-hil)",
        docs_url="/_emulator/docs",
        redoc_url=None,
        openapi_url="/_emulator/openapi.json",
    )
    app.state.services = services
    install_error_handlers(app)
    app.add_middleware(_BodyLimit)
    app.add_middleware(_Authenticate)  # added last = runs first
    api = APIRouter(prefix=API_PREFIX)
    api.include_router(routes_oauth.router)
    api.include_router(routes_sms.router)
    api.include_router(routes_sims.router)
    api.include_router(routes_orders.router)
    api.include_router(routes_os.router)
    app.include_router(api)
    app.include_router(routes_emulator.router)

    @app.get("/")
    async def index() -> JSONResponse:
        return JSONResponse({"api": API_PREFIX, "emulator": "/_emulator", "docs": "/_emulator/docs"})

    return app
