"""POST /oauth/token: HTTP Basic client credentials in, a bearer token out; errors with the
errorCodes of the Developer Hub's post-access-token-post (BadCredentials for a wrong user or
secret; auth.json calls the same case CognitoAuthenticationError)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .errors import ApiError
from .services import services_of
from .tokens import CredentialsError

router = APIRouter()


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.partition(" ")
    username = password = ""
    if scheme.lower() == "basic" and encoded.strip():
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        username, _, password = decoded.partition(":")
    if not username:
        raise ApiError(
            400,
            "Auth header validation error: Missing attributes 'username'",
            error_code="AuthValidationError",
        )
    if not password:
        raise ApiError(
            400,
            "Auth header validation error: Missing attributes 'password'",
            error_code="AuthValidationError",
        )
    return username, password


def _grant_type(content_type: str, raw: bytes) -> str:
    body: Any
    if content_type == "application/json":
        try:
            body = json.loads(raw or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApiError(
                400, "Request body validation error: body is not valid JSON", error_code="BodyValidationError"
            ) from exc
    else:
        body = {key: values[0] for key, values in parse_qs(raw.decode(errors="replace")).items()}
    if not isinstance(body, dict) or "grant_type" not in body:
        raise ApiError(
            400,
            "Request body validation error: Missing attributes 'grant_type'",
            error_code="BodyValidationError",
        )
    if body["grant_type"] != "client_credentials":
        raise ApiError(
            400,
            f"Request body validation error: grant_type {body['grant_type']!r} is not supported; "
            "use 'client_credentials'",
            error_code="BodyValidationError",
        )
    return "client_credentials"


@router.post("/oauth/token")
async def token(request: Request) -> JSONResponse:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in {"application/json", "application/x-www-form-urlencoded"}:
        raise ApiError(400, "Content-Type not supported", error_code="UnsupportedContentTypeError")
    client_id, client_secret = _basic_credentials(request.headers.get("authorization", ""))
    _grant_type(content_type, await request.body())
    services = services_of(request)
    try:
        access_token, expires_in = services.issuer.issue(client_id, client_secret)
    except CredentialsError as exc:
        raise ApiError(400, exc.message, error_code="BadCredentials") from exc
    return JSONResponse(
        {
            "status_code": 200,
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": expires_in,
            "userId": client_id,
            "scope": "all",
        },
        headers={"Cache-Control": "no-store"},
    )
