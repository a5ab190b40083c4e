"""Error bodies in the shapes 1NCE uses, chosen by which API a path belongs to.

* OAuth (``/oauth/token``): ``{"statusCode", "errorCode", "message"}`` (auth.json Bearer_Token_400).
* SIM management (``/v1/sims...``): the specs document no error body; the emulator uses the same
  ``{"statusCode", "errorCode", "message"}`` shape as the OAuth API, the only one 1NCE documents.
* 1NCE OS (everything else under ``/v1``): ``{"statusCode", "statusText", "errors": [{...}]}``
  as in every Developer Hub StatusCodes file.
"""

from __future__ import annotations

import logging
import re
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

log = logging.getLogger(__name__)

STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Server Error",
}
ERROR_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    422: "UnprocessableEntity",
    429: "TooManyRequests",
    500: "InternalServerError",
}
MAX_BODY_BYTES = 64 * 1024  # "API bodies limited to 64 KB"


class ApiFamily(StrEnum):
    OAUTH = "oauth"
    SIMS = "sims"
    OS = "os"


MANAGEMENT_PREFIXES = ("/v1/sims", "/v1/orders", "/v1/products")  # sim.json, order.json, product.json
BEARER_CHALLENGE = 'Bearer realm="1NCE API"'


def family_for(path: str) -> ApiFamily:
    tail = path.removeprefix("/management-api")
    if tail.startswith("/oauth"):
        return ApiFamily.OAUTH
    if tail.startswith(MANAGEMENT_PREFIXES):
        return ApiFamily.SIMS
    return ApiFamily.OS


class ApiError(Exception):
    """An error answer: status, a message for people, optional errorCode and detail objects."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code
        self.details = details
        self.headers = headers


def error_body(family: ApiFamily, error: ApiError) -> dict[str, Any]:
    if family == ApiFamily.OS:
        errors = error.details or [{"message": error.message}]
        body: dict[str, Any] = {
            "statusText": STATUS_TEXT.get(error.status, "Unknown Error"),
            "errors": errors,
        }
        if error.status != 500:
            body = {"statusCode": error.status, **body}
        return body
    return {
        "statusCode": error.status,
        "errorCode": error.error_code or ERROR_CODES.get(error.status, "Error"),
        "message": error.message,
    }


def error_response(request: Request, error: ApiError) -> JSONResponse:
    headers = dict(error.headers or {})
    if error.status == 401:  # RFC 9110: a 401 names the scheme that would be accepted
        headers.setdefault("WWW-Authenticate", BEARER_CHALLENGE)
    return JSONResponse(
        error_body(family_for(request.url.path), error), status_code=error.status, headers=headers
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method the resource at this path serves (Starlette's own 405 names only one route's).

    Read from the app's OpenAPI paths, the public list of what it serves, compiled once per app.
    Literal paths win over templates, as in `contract.find_operation`: /v1/sims/topup is the top-up
    resource, not a SIM whose ICCID is "topup", so it allows POST, not /v1/sims/{iccid}'s GET and PUT.
    Of the paths that match, only those with the fewest parameters count."""
    table: list[tuple[re.Pattern[str], int, set[str]]] | None = getattr(
        request.app.state, "method_table", None
    )
    if table is None:
        table = []
        for path, operations in request.app.openapi()["paths"].items():
            pattern, _, converters = compile_path(path)
            table.append((pattern, len(converters), {method.upper() for method in operations}))
        request.app.state.method_table = table
    matches = [(params, methods) for pattern, params, methods in table if pattern.match(request.url.path)]
    fewest = min((params for params, _ in matches), default=0)
    return sorted({method for params, methods in matches if params == fewest for method in methods})


def _validation_message(exc: RequestValidationError) -> tuple[str, str]:
    first = exc.errors()[0] if exc.errors() else {}
    location = [str(part) for part in first.get("loc", ())]
    if first.get("type") == "json_invalid":
        return "body", "Request body validation error: body is not valid JSON"
    where = location[0] if location else "body"
    field = ".".join(location[1:]) or where
    kind = "Request body" if where == "body" else f"Request {where} parameter"
    if first.get("type") == "missing":
        return where, f"{kind} validation error: Missing attributes '{field}'"
    return where, f"{kind} validation error: '{field}' {first.get('msg', 'is invalid')}"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        where, message = _validation_message(exc)
        code = "BodyValidationError" if where == "body" else "ParameterValidationError"
        return error_response(request, ApiError(400, message, error_code=code))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            allowed = allowed_methods(request)
            headers["Allow"] = ", ".join(allowed)
            message = f"{request.method} is not allowed here; allowed: {', '.join(allowed)}"
        elif exc.status_code == 404:
            message = f"No route for {request.url.path}"
        else:
            message = str(exc.detail)
        return error_response(request, ApiError(exc.status_code, message, headers=headers or None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, ApiError(500, "Internal error in the emulator"))
