"""Orders and products: the read operations of order.json and product.json, from the emulator's
own state (orders made by top-ups; the emulator's product catalogue)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from .deps import bearer, paging_headers, parse_sort
from .errors import ApiError
from .orders import PRODUCTS, SORT_KEYS, OrderNotFoundError
from .services import services_of

router = APIRouter(dependencies=[Depends(bearer)])


def _api_base(request: Request) -> str:
    return f"{str(request.base_url).rstrip('/')}/management-api"


@router.get("/v1/orders")
async def list_orders(
    request: Request,
    page: int = Query(1, ge=1),
    page_size: int = Query(10, ge=1, le=10, alias="pageSize"),
    sort: str | None = None,
) -> JSONResponse:
    keys = parse_sort(sort, SORT_KEYS)
    orders, total = services_of(request).orders.page(page=page, page_size=page_size, sort=keys)
    base = _api_base(request)
    return JSONResponse(
        [order.as_api(base) for order in orders], headers=paging_headers(page, page_size, total)
    )


@router.get("/v1/orders/{order_number}")
async def get_order(order_number: int, request: Request) -> JSONResponse:
    try:
        order = services_of(request).orders.get(order_number)
    except OrderNotFoundError as exc:
        raise ApiError(404, str(exc), error_code="OrderNotFound") from exc
    return JSONResponse(order.as_api(_api_base(request)))


@router.get("/v1/products")
async def list_products() -> JSONResponse:
    return JSONResponse(list(PRODUCTS))
