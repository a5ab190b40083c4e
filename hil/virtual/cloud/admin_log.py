"""1NCE OS administration logs (GET /v1/administrationLogs): what went wrong where, for people."""

from __future__ import annotations

import json
import secrets
from typing import Any, Literal

from hil.virtual.network.clock import Clock, iso_z
from hil.virtual.network.database import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS admin_logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    category TEXT NOT NULL,
    iccid TEXT,
    message TEXT NOT NULL,
    description TEXT,
    timestamp TEXT NOT NULL,
    extra TEXT
);
CREATE INDEX IF NOT EXISTS admin_logs_by_sim ON admin_logs (iccid, seq);
"""

LogType = Literal["INTEGRATION", "DEVICE", "GENERAL", "LOCATION", "LIFECYCLE"]


class AdminLog:
    def __init__(self, db: Database, clock: Clock, customer_id: str) -> None:
        self.db = db
        self.clock = clock
        self.customer_id = customer_id
        self.db.connection.executescript(SCHEMA)

    def add(
        self,
        log_type: LogType,
        category: Literal["info", "error"],
        message: str,
        description: str = "",
        *,
        iccid: str | None = None,
        imsi: str | None = None,
        ip: str | None = None,
        integration_id: str | None = None,
    ) -> str:
        log_id = secrets.token_hex(12)
        extra = {"imsi": imsi, "ip": ip, "integrationId": integration_id}
        self.db.execute(
            "INSERT INTO admin_logs (id, type, category, iccid, message, description, timestamp, extra) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                log_id,
                log_type,
                category,
                iccid,
                message,
                description,
                iso_z(self.clock.now()),
                json.dumps(extra),
            ),
        )
        return log_id

    def page(self, *, page: int, page_size: int, filters: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
        where, parameters = [], []
        for key, column in (("type", "type"), ("category", "category"), ("iccid", "iccid")):
            if key in filters:
                where.append(f"{column} = ?")
                parameters.append(filters[key].upper() if key == "type" else filters[key])
        if "startDateTime" in filters:
            where.append("timestamp >= ?")
            parameters.append(filters["startDateTime"])
        if "endDateTime" in filters:
            where.append("timestamp <= ?")
            parameters.append(filters["endDateTime"])
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        total = int(self.db.scalar(f"SELECT COUNT(*) FROM admin_logs {clause}", parameters))
        rows = self.db.query(
            f"SELECT * FROM admin_logs {clause} ORDER BY seq DESC LIMIT ? OFFSET ?",
            [*parameters, page_size, (page - 1) * page_size],
        )
        return [self._item(row) for row in rows], total

    def _item(self, row: Any) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": row["id"],
            "customerId": self.customer_id,
            "type": row["type"],
            "category": row["category"],
            "message": row["message"],
            "timestamp": row["timestamp"],
        }
        if row["description"]:
            item["description"] = row["description"]
        if row["iccid"]:
            item["iccid"] = row["iccid"]
        for key, value in json.loads(row["extra"] or "{}").items():
            if value:
                item[key] = value
        return item
