"""Connectivity data of the emulated organisation on SQLite: SIMs, usage, SMS, events, limits.

SIM rows are also kept in memory (a write-through cache) so the hot paths - the API's
GET /v1/sims/{iccid} and the integrators' source-address lookups - never wait for the disk.
"""

from __future__ import annotations

import ipaddress
import json
import threading
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from at_commands.sim import luhn_check_digit

from .clock import Clock, iso_plus0000
from .database import Database
from .inventory import Inventory, SimSpec

QUOTA_VALIDITY = timedelta(days=3652)  # 10-year activation period of the IoT Lifetime Flat

SCHEMA = """
CREATE TABLE IF NOT EXISTS sims (
    iccid TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    imei TEXT NOT NULL DEFAULT '',
    ip_int INTEGER NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS sims_imei ON sims (imei);
CREATE TABLE IF NOT EXISTS usage_daily (
    iccid TEXT NOT NULL,
    day TEXT NOT NULL,
    data_tx INTEGER NOT NULL DEFAULT 0,
    data_rx INTEGER NOT NULL DEFAULT 0,
    sms_mo INTEGER NOT NULL DEFAULT 0,
    sms_mt INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (iccid, day)
);
CREATE TABLE IF NOT EXISTS sms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    iccid TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sms_by_sim ON sms (iccid, id);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    iccid TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_sim ON events (iccid, id);
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass
class SimRecord:
    """A SIM and its quota state, as the connectivity platform keeps it."""

    iccid: str
    imsi: str
    msisdn: str
    ip_address: str
    status: Literal["Enabled", "Disabled"]
    imei: str
    imei_lock: bool
    label: str
    activation_date: str
    data_quota_mb: float
    sms_quota: int
    quota_expiry: str
    data_used_bytes: int = 0
    sms_used: int = 0
    data_threshold_date: str | None = None
    data_exceeded_date: str | None = None
    sms_threshold_date: str | None = None
    sms_exceeded_date: str | None = None
    last_volume_added_mb: float = 500.0
    last_sms_added: int = 250
    quota_change_date: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def iccid_with_luhn(self) -> str:
        return self.iccid + luhn_check_digit(self.iccid)

    @property
    def ip_int(self) -> int:
        return int(ipaddress.IPv4Address(self.ip_address))


@dataclass
class SmsRecord:
    """One MO or MT SMS with the fields of the API's SMS-Data object."""

    iccid: str
    sms_type: Literal["MO", "MT"]
    status_id: int
    submit_date: str
    payload: str
    dcs: int = 0
    udh: str = ""
    source_address: str = ""
    source_address_type: int | None = None
    msisdn: str = ""
    imsi: str = ""
    msc: str = ""
    expiry_date: str | None = None
    delivery_date: str | None = None
    final_date: str | None = None
    retry_date: str | None = None
    last_delivery_attempt: str | None = None
    retry_count: int = 0
    destination_address: str = ""
    message_reference: int | None = None
    status_report_requested: bool = False
    id: int = 0


_SIM_FIELDS = {f.name for f in fields(SimRecord)}
_SMS_FIELDS = {f.name for f in fields(SmsRecord)}

_TRANSFERRED = "transferred_iccids"
SIM_SORT_KEYS = {"imei": "imei", "ip_address": "ip_int", "iccid": "iccid"}
SIM_FILTER_KEYS = ("imei", "ip_address")


class SimNotFoundError(LookupError):
    def __init__(self, iccid: str) -> None:
        super().__init__(f"SIM {iccid} not found")
        self.iccid = iccid


class NetworkStore:
    """SIMs (cached in memory), usage per day, SMS, events and settings."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.db = database
        self.clock = clock
        self._lock = threading.RLock()
        self.db.connection.executescript(SCHEMA)
        self._by_iccid: dict[str, SimRecord] = {}
        self._by_ip: dict[str, SimRecord] = {}
        for row in self.db.query("SELECT data FROM sims"):
            self._cache(SimRecord(**json.loads(row["data"])))

    # --- SIMs -------------------------------------------------------------------------------
    def import_inventory(self, inventory: Inventory) -> int:
        """Insert SIMs the database does not hold yet; returns how many were added."""
        added = 0
        transferred = set(self.setting(_TRANSFERRED, []))  # a kept database remembers transfers
        with self._lock, self.db.transaction() as connection:
            for spec in inventory.sims:
                if spec.iccid in self._by_iccid or spec.iccid in transferred:
                    continue
                record = self._record_from_spec(spec)
                connection.execute(
                    "INSERT INTO sims (iccid, data, imei, ip_int) VALUES (?, ?, ?, ?)",
                    (record.iccid, json.dumps(asdict(record)), record.imei, record.ip_int),
                )
                self._cache(record)
                added += 1
        return added

    def _record_from_spec(self, spec: SimSpec) -> SimRecord:
        now = self.clock.now()
        assert spec.ip_address is not None
        return SimRecord(
            iccid=spec.iccid,
            imsi=spec.imsi,
            msisdn=spec.msisdn,
            ip_address=spec.ip_address,
            status=spec.status,
            imei=spec.imei,
            imei_lock=spec.imei_lock,
            label=spec.label,
            activation_date=iso_plus0000(now),
            data_quota_mb=spec.data_quota_mb,
            sms_quota=spec.sms_quota,
            quota_expiry=(now + QUOTA_VALIDITY).strftime("%Y-%m-%dT00:00:00.000Z"),
            last_volume_added_mb=spec.data_quota_mb,
            last_sms_added=spec.sms_quota,
            quota_change_date=now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        )

    def _cache(self, record: SimRecord) -> None:
        self._by_iccid[record.iccid] = record
        self._by_ip[record.ip_address] = record

    def sim(self, iccid: str) -> SimRecord:
        record = self._by_iccid.get(iccid)
        if record is None:
            raise SimNotFoundError(iccid)
        return record

    def find_sim(self, iccid: str) -> SimRecord | None:
        return self._by_iccid.get(iccid)

    def sim_by_ip(self, ip_address: str) -> SimRecord | None:
        return self._by_ip.get(ip_address)

    def sim_by_imsi(self, imsi: str) -> SimRecord | None:
        return next((sim for sim in self._by_iccid.values() if sim.imsi == imsi), None)

    def sim_count(self) -> int:
        return len(self._by_iccid)

    def all_sims(self) -> list[SimRecord]:
        return list(self._by_iccid.values())

    def update_sim(self, iccid: str, **changes: Any) -> SimRecord:
        """Change fields of a SIM in the database and the cache together."""
        unknown = set(changes) - _SIM_FIELDS
        if unknown:
            raise ValueError(f"unknown SIM field(s) {sorted(unknown)}")
        with self._lock:
            updated = replace(self.sim(iccid), **changes)
            self.db.execute(
                "UPDATE sims SET data = ?, imei = ? WHERE iccid = ?",
                (json.dumps(asdict(updated)), updated.imei, iccid),
            )
            self._cache(updated)
            return updated

    def remove_sim(self, iccid: str) -> None:
        """The SIM leaves the organisation (a transfer); its SMS, usage and events go with it."""
        with self._lock, self.db.transaction() as connection:
            record = self.sim(iccid)
            for table in ("sims", "usage_daily", "sms", "events"):
                connection.execute(f"DELETE FROM {table} WHERE iccid = ?", (iccid,))
            gone = sorted({*self.setting(_TRANSFERRED, []), iccid})
            connection.execute(
                "INSERT INTO settings (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (_TRANSFERRED, json.dumps(gone)),
            )
            del self._by_iccid[iccid]
            self._by_ip.pop(record.ip_address, None)

    def list_sims(
        self, *, page: int, page_size: int, filters: dict[str, str], sort: list[tuple[str, bool]]
    ) -> tuple[list[SimRecord], int]:
        """One page of SIMs (filters: imei, ip_address; sort: (key, descending)) and the total."""
        where, parameters = [], []
        for key, value in filters.items():
            if key == "imei":
                where.append("imei = ?")
                parameters.append(value)
            elif key == "ip_address":
                where.append("ip_int = ?")
                parameters.append(str(int(ipaddress.IPv4Address(value))))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        order = ", ".join(f"{SIM_SORT_KEYS[key]} {'DESC' if desc else 'ASC'}" for key, desc in sort)
        order_clause = f"ORDER BY {order + ', ' if order else ''}iccid ASC"
        total = int(self.db.scalar(f"SELECT COUNT(*) FROM sims {clause}", parameters))
        offset = page_offset(page, page_size, total)
        if offset is None:
            return [], total
        rows = self.db.query(
            f"SELECT iccid FROM sims {clause} {order_clause} LIMIT ? OFFSET ?",
            [*parameters, page_size, offset],
        )
        return [self._by_iccid[row["iccid"]] for row in rows], total

    # --- usage ------------------------------------------------------------------------------
    def add_usage(
        self, iccid: str, *, data_tx: int = 0, data_rx: int = 0, sms_mo: int = 0, sms_mt: int = 0
    ) -> None:
        day = self.clock.now().date().isoformat()
        self.db.execute(
            "INSERT INTO usage_daily (iccid, day, data_tx, data_rx, sms_mo, sms_mt) "
            "VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (iccid, day) DO UPDATE SET data_tx = data_tx + excluded.data_tx, "
            "data_rx = data_rx + excluded.data_rx, sms_mo = sms_mo + excluded.sms_mo, "
            "sms_mt = sms_mt + excluded.sms_mt",
            (iccid, day, data_tx, data_rx, sms_mo, sms_mt),
        )

    def usage_between(self, iccid: str, start: date, end: date) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT day, data_tx, data_rx, sms_mo, sms_mt FROM usage_daily "
            "WHERE iccid = ? AND day >= ? AND day <= ? ORDER BY day",
            (iccid, start.isoformat(), end.isoformat()),
        )
        return [dict(row) for row in rows]

    def month_usage(self, iccid: str) -> dict[str, int]:
        """This calendar month's data bytes and SMS counts (the self-set limits reset on the 1st)."""
        first = self.clock.now().date().replace(day=1).isoformat()
        row = self.db.query(
            "SELECT COALESCE(SUM(data_tx + data_rx), 0) AS data, COALESCE(SUM(sms_mo), 0) AS mo, "
            "COALESCE(SUM(sms_mt), 0) AS mt FROM usage_daily WHERE iccid = ? AND day >= ?",
            (iccid, first),
        )[0]
        return {"data": int(row["data"]), "sms_mo": int(row["mo"]), "sms_mt": int(row["mt"])}

    # --- SMS --------------------------------------------------------------------------------
    def insert_sms(self, record: SmsRecord) -> SmsRecord:
        data = asdict(record)
        data.pop("id")
        cursor = self.db.execute(
            "INSERT INTO sms (iccid, data) VALUES (?, ?)", (record.iccid, json.dumps(data))
        )
        assert cursor.lastrowid is not None
        return replace(record, id=cursor.lastrowid)

    def update_sms(self, sms_id: int, **changes: Any) -> SmsRecord:
        unknown = set(changes) - _SMS_FIELDS
        if unknown:
            raise ValueError(f"unknown SMS field(s) {sorted(unknown)}")
        record = self.sms_by_id(sms_id)
        if record is None:
            raise LookupError(f"SMS {sms_id} not found")
        updated = replace(record, **changes)
        data = asdict(updated)
        data.pop("id")
        self.db.execute("UPDATE sms SET data = ? WHERE id = ?", (json.dumps(data), sms_id))
        return updated

    def sms_by_id(self, sms_id: int) -> SmsRecord | None:
        if not 0 < sms_id < 2**63:  # no such row, and beyond what SQLite can be asked about
            return None
        rows = self.db.query("SELECT id, data FROM sms WHERE id = ?", (sms_id,))
        return _sms_from_row(rows[0]) if rows else None

    def list_sms(
        self, iccid: str, *, page: int, page_size: int, descending: bool
    ) -> tuple[list[SmsRecord], int]:
        total = int(self.db.scalar("SELECT COUNT(*) FROM sms WHERE iccid = ?", (iccid,)))
        offset = page_offset(page, page_size, total)
        if offset is None:
            return [], total
        rows = self.db.query(
            f"SELECT id, data FROM sms WHERE iccid = ? ORDER BY id {'DESC' if descending else 'ASC'} "
            "LIMIT ? OFFSET ?",
            (iccid, page_size, offset),
        )
        return [_sms_from_row(row) for row in rows], total

    def pending_mt(self, iccid: str) -> list[SmsRecord]:
        """MT messages still waiting for delivery (pending or buffered), oldest first."""
        rows = self.db.query("SELECT id, data FROM sms WHERE iccid = ? ORDER BY id", (iccid,))
        records = [_sms_from_row(row) for row in rows]
        return [r for r in records if r.sms_type == "MT" and r.status_id in (1, 3)]

    # --- events -----------------------------------------------------------------------------
    def insert_event(self, iccid: str, timestamp: str, record: dict[str, Any]) -> int:
        cursor = self.db.execute(
            "INSERT INTO events (iccid, timestamp, record) VALUES (?, ?, ?)",
            (iccid, timestamp, json.dumps(record)),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def list_events(
        self, iccid: str, *, page: int, page_size: int, descending: bool
    ) -> tuple[list[dict[str, Any]], int]:
        total = int(self.db.scalar("SELECT COUNT(*) FROM events WHERE iccid = ?", (iccid,)))
        offset = page_offset(page, page_size, total)
        if offset is None:
            return [], total
        rows = self.db.query(
            f"SELECT record FROM events WHERE iccid = ? ORDER BY id {'DESC' if descending else 'ASC'} "
            "LIMIT ? OFFSET ?",
            (iccid, page_size, offset),
        )
        return [json.loads(row["record"]) for row in rows], total

    # --- settings ---------------------------------------------------------------------------
    def setting(self, name: str, default: Any = None) -> Any:
        value = self.db.scalar("SELECT value FROM settings WHERE name = ?", (name,))
        return default if value is None else json.loads(value)

    def set_setting(self, name: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO settings (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, json.dumps(value)),
        )


def page_offset(page: int, page_size: int, total: int) -> int | None:
    """Rows to skip for a 1-based page, or None for a page past the last row: such a page is empty,
    and SQLite is never asked for an offset (page numbers are unbounded; its integers are not)."""
    offset = (page - 1) * page_size
    return offset if offset < total else None


def _sms_from_row(row: Any) -> SmsRecord:
    return SmsRecord(id=row["id"], **json.loads(row["data"]))


def utc_today(clock: Clock) -> date:
    return datetime.fromtimestamp(clock.time(), tz=UTC).date()
