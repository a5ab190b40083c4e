"""Device Authenticator: DTLS identity (= ICCID) and pre-shared key per SIM and protocol.

Bootstrap (CoAP GET /bootstrap from the SIM's own address) returns the existing key, generates one
when there is none, and rotates it when called again 5 minutes or more after the previous call -
unless the key was set through the API, which pins it (reference §2.2).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from hil.virtual.network.clock import Clock, iso_z
from hil.virtual.network.database import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS psk (
    iccid TEXT NOT NULL,
    protocol TEXT NOT NULL,
    secret TEXT NOT NULL,
    format TEXT NOT NULL,
    set_by_api INTEGER NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    last_bootstrap REAL,
    PRIMARY KEY (iccid, protocol)
);
"""


@dataclass(frozen=True, repr=False)
class PresharedKey:
    iccid: str
    protocol: str
    secret: str
    format: str
    set_by_api: bool
    created: str
    updated: str

    def __repr__(self) -> str:  # the secret never shows in logs or tracebacks
        return f"PresharedKey(iccid={self.iccid!r}, protocol={self.protocol!r}, format={self.format!r})"

    def as_api(self) -> dict[str, Any]:
        return {
            "deviceId": self.iccid,
            "identity": self.iccid,
            "secretKey": self.secret,
            "protocol": self.protocol,
            "format": self.format,
            "createdAt": self.created,
            "updatedAt": self.updated,
        }


class Authenticator:
    def __init__(self, db: Database, clock: Clock, rotation_seconds: float = 300.0) -> None:
        self.db = db
        self.clock = clock
        self.rotation_seconds = rotation_seconds
        self.db.connection.executescript(SCHEMA)

    def get(self, iccid: str, protocol: str) -> PresharedKey | None:
        rows = self.db.query("SELECT * FROM psk WHERE iccid = ? AND protocol = ?", (iccid, protocol))
        return _key(rows[0]) if rows else None

    def set_by_api(self, iccid: str, protocol: str, secret: str, key_format: str) -> PresharedKey:
        if key_format == "HEX":
            try:
                bytes.fromhex(secret)
            except ValueError as exc:
                raise ValueError("secretKey is not a hex string although format is HEX") from exc
        now = iso_z(self.clock.now())
        existing = self.get(iccid, protocol)
        self.db.execute(
            "INSERT INTO psk (iccid, protocol, secret, format, set_by_api, created, updated, last_bootstrap) "
            "VALUES (?, ?, ?, ?, 1, ?, ?, NULL) ON CONFLICT (iccid, protocol) DO UPDATE SET "
            "secret = excluded.secret, format = excluded.format, set_by_api = 1, updated = excluded.updated",
            (iccid, protocol, secret, key_format, existing.created if existing else now, now),
        )
        key = self.get(iccid, protocol)
        assert key is not None
        return key

    def bootstrap(self, iccid: str) -> PresharedKey:
        """The CoAP bootstrap: existing key, new key, or a rotated one (see module doc)."""
        now_s = self.clock.time()
        now = iso_z(self.clock.now())
        rows = self.db.query("SELECT * FROM psk WHERE iccid = ? AND protocol = 'COAP'", (iccid,))
        if not rows:
            secret = _new_secret()
            self.db.execute(
                "INSERT INTO psk (iccid, protocol, secret, format, set_by_api, created, updated, "
                "last_bootstrap) VALUES (?, 'COAP', ?, 'STRING', 0, ?, ?, ?)",
                (iccid, secret, now, now, now_s),
            )
        else:
            row = rows[0]
            last = row["last_bootstrap"]
            rotate = not row["set_by_api"] and last is not None and now_s - last >= self.rotation_seconds
            if rotate:
                self.db.execute(
                    "UPDATE psk SET secret = ?, updated = ?, last_bootstrap = ? "
                    "WHERE iccid = ? AND protocol = 'COAP'",
                    (_new_secret(), now, now_s, iccid),
                )
            else:
                self.db.execute(
                    "UPDATE psk SET last_bootstrap = ? WHERE iccid = ? AND protocol = 'COAP'", (now_s, iccid)
                )
        key = self.get(iccid, "COAP")
        assert key is not None
        return key


def _new_secret() -> str:
    return secrets.token_hex(16)


def _key(row: Any) -> PresharedKey:
    return PresharedKey(
        row["iccid"],
        row["protocol"],
        row["secret"],
        row["format"],
        bool(row["set_by_api"]),
        row["created"],
        row["updated"],
    )
