"""The emulated organisation's orders and the product catalogue (order.json, product.json).

Orders come into being through what the emulator does: a top-up of one SIM (TOPUP), of several
(BULK_TOPUP), and the automatic top-up of a SIM whose data quota ran out (TOPUP). They are complete
at once (the emulator ships nothing). Order numbers count up from 2000000001, as 1NCE's example.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hil.virtual.network.clock import Clock, iso_z
from hil.virtual.network.database import Database
from hil.virtual.network.store import page_offset

FIRST_ORDER_NUMBER = 2_000_000_001
SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    order_type TEXT NOT NULL,
    order_date TEXT NOT NULL,
    data TEXT NOT NULL
);
"""
SIM_PRODUCT_ID = 1001
TOP_UP_PRODUCT_ID = 1002
PRODUCTS: tuple[dict[str, Any], ...] = (
    {
        "id": SIM_PRODUCT_ID,
        "product": "1NCE IoT Lifetime Flat",
        "material": "1NCE FlexSIM",
        "package_size": 1,
        "minQuantity": 1,
        "maxQuantity": 1000,
        "maxQuantityPerCustomer": 100000,
        "min_contract_duration": 120,
        "one_time_charges": [{"name": "provisionCharge", "amount_net": 10, "currency": "EUR"}],
        "recurring_charges": [],
    },
    {
        "id": TOP_UP_PRODUCT_ID,
        "product": "1NCE IoT Top-Up 500 MB / 250 SMS",
        "material": "Top-Up",
        "package_size": 1,
        "minQuantity": 1,
        "maxQuantity": 1000,
        "maxQuantityPerCustomer": 100000,
        "min_contract_duration": 0,
        "one_time_charges": [{"name": "topupCharge", "amount_net": 10, "currency": "EUR"}],
        "recurring_charges": [],
    },
)
PRICE_EUR = {product["id"]: product["one_time_charges"][0]["amount_net"] for product in PRODUCTS}
SORT_KEYS = {"order_number": "seq", "order_status": "seq", "order_date": "order_date"}  # all COMPLETED


class OrderNotFoundError(LookupError):
    pass


@dataclass(frozen=True)
class Order:
    number: int
    order_type: str
    order_date: str
    iccids: tuple[str, ...]
    product_id: int
    payment_method: str

    def as_api(self, api_base: str) -> dict[str, Any]:
        """The Order object; SIM links point at this API's own /v1/sims/{iccid}."""
        quantity = len(self.iccids)
        return {
            "order_number": self.number,
            "order_type": self.order_type,
            "order_date": self.order_date,
            "order_status": "COMPLETED",
            "invoice_number": str(self.number),
            "invoice_amount": f"{PRICE_EUR[self.product_id] * quantity * 1.19:.2f}",  # gross, 19 % VAT
            "currency": "EUR",
            "sims": [
                {"iccid": iccid, "_links": [{"rel": "self", "href": f"{api_base}/v1/sims/{iccid}"}]}
                for iccid in self.iccids
            ],
            "products": [{"product_id": self.product_id, "quantity": quantity}],
        }


class OrderBook:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.db.connection.executescript(SCHEMA)

    def record(self, order_type: str, iccids: list[str], product_id: int, payment_method: str) -> Order:
        date = iso_z(self.clock.now())
        data = {"iccids": iccids, "product_id": product_id, "payment_method": payment_method}
        cursor = self.db.execute(
            "INSERT INTO orders (order_type, order_date, data) VALUES (?, ?, ?)",
            (order_type, date, json.dumps(data)),
        )
        assert cursor.lastrowid is not None
        return self.get(FIRST_ORDER_NUMBER + cursor.lastrowid - 1)

    def get(self, number: int) -> Order:
        seq = number - FIRST_ORDER_NUMBER + 1
        rows = self.db.query("SELECT * FROM orders WHERE seq = ?", (seq,)) if 0 < seq < 2**62 else []
        if not rows:
            raise OrderNotFoundError(f"order {number} not found")
        return _order(rows[0])

    def page(self, *, page: int, page_size: int, sort: list[tuple[str, bool]]) -> tuple[list[Order], int]:
        """One page of orders sorted by (key, descending) pairs of SORT_KEYS, and the total."""
        total = int(self.db.scalar("SELECT COUNT(*) FROM orders"))
        offset = page_offset(page, page_size, total)
        if offset is None:
            return [], total
        order = [f"{SORT_KEYS[key]} {'DESC' if desc else 'ASC'}" for key, desc in sort]
        rows = self.db.query(
            f"SELECT * FROM orders ORDER BY {', '.join([*order, 'seq ASC'])} LIMIT ? OFFSET ?",
            (page_size, offset),
        )
        return [_order(row) for row in rows], total


def _order(row: Any) -> Order:
    data = json.loads(row["data"])
    return Order(
        FIRST_ORDER_NUMBER + row["seq"] - 1,
        row["order_type"],
        row["order_date"],
        tuple(data["iccids"]),
        data["product_id"],
        data["payment_method"],
    )
