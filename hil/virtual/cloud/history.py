"""Device Inspector storage: message history (7 days) and the last state per protocol.

Uplinks arrive far faster than one SQLite commit per message allows, so a dedicated writer thread
drains a queue and writes batches (one transaction per batch, WAL). `flush()` waits until every
message queued so far is committed - what tests and benchmarks use to count without guessing.
"""

from __future__ import annotations

import base64
import json
import logging
import queue
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hil.virtual.network.clock import Clock, iso_z
from hil.virtual.network.database import Database

log = logging.getLogger(__name__)

RETENTION_MS = 7 * 24 * 3600 * 1000
MAX_STORED_MESSAGE = 2048  # bytes of the stored form; larger messages are forwarded, not kept
BATCH = 2000

SCHEMA = """
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    iccid TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    protocol TEXT NOT NULL,
    topic TEXT,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_by_device ON history (iccid, time_ms, id);
CREATE INDEX IF NOT EXISTS history_by_time ON history (time_ms, id);
CREATE TABLE IF NOT EXISTS telemetry (
    iccid TEXT NOT NULL,
    protocol TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (iccid, protocol)
);
"""


@dataclass(frozen=True)
class HistoryMessage:
    iccid: str
    time_ms: int
    protocol: str  # UDP | COAP | LWM2M
    topic: str | None
    payload: str  # stringified JSON (translated) or base64 (raw)
    translated: bool


class TokenError(ValueError):
    """A nextToken that this server did not hand out."""


class HistoryStore:
    """Queue in, batches out; queries for the Device Inspector API."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.db.connection.executescript(SCHEMA)
        self._queue: queue.SimpleQueue[HistoryMessage | None] = queue.SimpleQueue()
        self._written = 0
        self._queued = 0
        self._done = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    # --- writing ----------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._stopping = True
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def put(self, message: HistoryMessage) -> None:
        with self._done:
            self._queued += 1
        self._queue.put(message)

    @property
    def written(self) -> int:
        return self._written

    @property
    def queued(self) -> int:
        return self._queued

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued so far is committed; False on timeout."""
        with self._done:
            target = self._queued
            return self._done.wait_for(lambda: self._written >= target, timeout)

    def _run(self) -> None:
        connection = self.db.connection
        last_purge = 0.0
        while True:
            first = self._queue.get()
            batch = [] if first is None else [first]
            while len(batch) < BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._stopping = True
                    break
                batch.append(item)
            if batch:
                try:
                    self._write(connection, batch)
                except Exception:  # keep the writer alive; the loss shows in queued vs written
                    log.exception("history batch of %d messages failed", len(batch))
                with self._done:
                    self._written += len(batch)
                    self._done.notify_all()
            if self.clock.time() - last_purge > 600:
                last_purge = self.clock.time()
                cutoff = int(self.clock.time() * 1000) - RETENTION_MS
                connection.execute("DELETE FROM history WHERE time_ms < ?", (cutoff,))
            if self._stopping and self._queue.empty():
                return

    @staticmethod
    def _write(connection: Any, batch: list[HistoryMessage]) -> None:
        latest: dict[tuple[str, str], HistoryMessage] = {}
        rows = []
        for message in batch:
            latest[(message.iccid, message.protocol)] = message
            if len(message.payload) <= MAX_STORED_MESSAGE:
                rows.append(
                    (message.iccid, message.time_ms, message.protocol, message.topic, message.payload)
                )
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany(
                "INSERT INTO history (iccid, time_ms, protocol, topic, payload) VALUES (?, ?, ?, ?, ?)", rows
            )
            connection.executemany(
                "INSERT INTO telemetry (iccid, protocol, state) VALUES (?, ?, ?) "
                "ON CONFLICT (iccid, protocol) DO UPDATE SET state = excluded.state",
                [(m.iccid, m.protocol, json.dumps(_state(m))) for m in latest.values()],
            )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    # --- reading ----------------------------------------------------------------------------
    def count(self, iccid: str | None = None) -> int:
        if iccid is None:
            return int(self.db.scalar("SELECT COUNT(*) FROM history"))
        return int(self.db.scalar("SELECT COUNT(*) FROM history WHERE iccid = ?", (iccid,)))

    def telemetry(self, iccid: str, protocol: str | None) -> dict[str, Any]:
        rows = self.db.query("SELECT protocol, state FROM telemetry WHERE iccid = ?", (iccid,))
        return {
            row["protocol"]: json.loads(row["state"])
            for row in rows
            if protocol is None or row["protocol"] == protocol
        }

    def page(
        self,
        *,
        iccid: str | None,
        start_ms: int | None,
        end_ms: int | None,
        protocol: str | None,
        page_size: int,
        next_token: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first; returns the items and the token for the next page (None at the end)."""
        where = ["time_ms >= ?"]
        parameters: list[Any] = [max(start_ms or 0, int(self.clock.time() * 1000) - RETENTION_MS)]
        if iccid is not None:
            where.append("iccid = ?")
            parameters.append(iccid)
        if end_ms is not None:
            where.append("time_ms <= ?")
            parameters.append(end_ms)
        if protocol is not None:
            where.append("protocol = ?")
            parameters.append(protocol)
        if next_token:
            position = decode_token(next_token)
            where.append("(time_ms, id) < (?, ?)")
            parameters.extend(position)
        rows = self.db.query(
            f"SELECT id, iccid, time_ms, protocol, topic, payload FROM history WHERE {' AND '.join(where)} "
            "ORDER BY time_ms DESC, id DESC LIMIT ?",
            [*parameters, page_size + 1],
        )
        more = len(rows) > page_size
        rows = rows[:page_size]
        items = []
        for row in rows:
            item = {
                "iccid": row["iccid"],
                "deviceId": row["iccid"],
                "time": iso_z(datetime.fromtimestamp(row["time_ms"] / 1000, tz=UTC)),
                "payload": row["payload"],
                "protocol": row["protocol"],
            }
            if row["topic"]:
                item["topic"] = row["topic"]
            items.append(item)
        token = encode_token(rows[-1]["time_ms"], rows[-1]["id"]) if more and rows else None
        return items, token


def encode_token(time_ms: int, row_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([time_ms, row_id]).encode()).decode().rstrip("=")


def decode_token(token: str) -> tuple[int, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        time_ms, row_id = json.loads(raw)
        if not isinstance(time_ms, int) or not isinstance(row_id, int):
            raise ValueError
    except (ValueError, TypeError) as exc:
        raise TokenError(f"nextToken {token[:40]!r} is not one this API handed out") from exc
    return time_ms, row_id


def _state(message: HistoryMessage) -> dict[str, Any]:
    state: dict[str, Any] = {
        "message": json.loads(message.payload) if message.translated else message.payload,
        "encoding": "JSON" if message.translated else "BASE64",
        "timestamp": iso_z(datetime.fromtimestamp(message.time_ms / 1000, tz=UTC)),
    }
    if message.topic:
        state["topic"] = message.topic
    return state
