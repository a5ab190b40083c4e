"""Request guards shared by the routers: bearer token, the /sims rate limit, paging arguments."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from pydantic import AfterValidator

from .errors import BEARER_CHALLENGE, ApiError
from .ratelimit import retry_after_header
from .services import services_of
from .tokens import Principal, TokenError


def authenticate(request: Request) -> Principal:
    """The principal of the request's bearer token; ApiError 401 (with its challenge) otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "Unauthorized: send 'Authorization: Bearer <token>' from POST /oauth/token",
            headers={"WWW-Authenticate": BEARER_CHALLENGE},
        )
    try:
        return services_of(request).issuer.verify(token.strip())
    except TokenError as exc:
        challenge = f'{BEARER_CHALLENGE}, error="invalid_token"'
        raise ApiError(401, exc.message, headers={"WWW-Authenticate": challenge}) from exc


async def bearer(request: Request) -> Principal:
    return authenticate(request)


async def sims_guard(request: Request) -> Principal:
    """Bearer token plus 1NCE's 10 requests/s per customer on /sims."""
    principal = await bearer(request)
    wait = services_of(request).limiter.acquire(principal.organisation_id)
    if wait is not None:
        raise ApiError(
            429,
            "Rate limit exceeded: the /sims API allows 10 requests per second per customer",
            headers={"Retry-After": retry_after_header(wait)},
        )
    return principal


# Where the documents set no maximum page size, any size is served: no store holds this many
# items, so a larger size answers the same, and the offsets it makes stay inside SQLite's integers.
PAGE_SIZE_CEILING = 2**31


def _within_ceiling(page_size: int) -> int:
    return min(page_size, PAGE_SIZE_CEILING)


UnboundedPageSize = Annotated[int, Query(ge=1), AfterValidator(_within_ceiling)]


def page_count(total: int, page_size: int) -> int:
    """Pages needed for `total` items (at least one, as 1NCE reports for an empty list)."""
    return max(1, -(-total // page_size))


def paging_headers(page: int, page_size: int, total: int) -> dict[str, str]:
    pages = page_count(total, page_size)
    return {
        "X-Count-Per-Page": str(page_size),
        "X-Current-Page": str(page),
        "X-Total-Count": str(total),
        "X-Total-Pages": str(pages),
    }


def parse_sort(sort: str | None, allowed: dict[str, str]) -> list[tuple[str, bool]]:
    """ "ip_address,-imei" -> [("ip_address", False), ("imei", True)]; unknown keys are a 400."""
    keys: list[tuple[str, bool]] = []
    for raw in (sort or "").split(","):
        part = raw.strip()
        if not part:
            continue
        name = part.lstrip("-")
        if name not in allowed:
            raise ApiError(
                400,
                f"sort key {name!r} is not one of {sorted(allowed)}",
                error_code="ParameterValidationError",
            )
        keys.append((name, part.startswith("-")))
    return keys


def parse_filter(q: str | None, allowed: tuple[str, ...]) -> dict[str, str]:
    """ "imei:4711,ip_address:10.0.0.1" -> {"imei": "4711", "ip_address": "10.0.0.1"}."""
    filters: dict[str, str] = {}
    for part in (q or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition(":")
        name = name.strip()
        if not sep or name not in allowed or not value.strip():
            raise ApiError(
                400,
                f"filter {part!r} is not <field>:<value> with a field of {list(allowed)}",
                error_code="ParameterValidationError",
            )
        filters[name] = value.strip()
    return filters
