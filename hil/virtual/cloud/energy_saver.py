"""Energy Saver: translation templates per protocol and the decoding of uplinks with the BCL codec.

One ACTIVE template per protocol (UDP, COAP). A template is compiled when it is stored, so a broken
one is refused with the statement path the codec names, and nothing is stored. An uplink that its
protocol's active template cannot decode is not processed (the caller drops it and writes an admin
log), as 1NCE does.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from hil.virtual.network.database import Database
from sdk_bindings import bcl

SCHEMA = """
CREATE TABLE IF NOT EXISTS templates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    template TEXT NOT NULL,
    protocols TEXT NOT NULL,
    status TEXT NOT NULL
);
"""
PROTOCOLS = ("UDP", "COAP")


class TemplateRejectedError(ValueError):
    """A template that is not valid BCL (message names where)."""


class TemplateConflictError(ValueError):
    """A second ACTIVE template for a protocol."""


class TemplateNotFoundError(LookupError):
    pass


def compile_template(text: str) -> bcl.CompiledTemplate:
    """Parse and compile a stringified template; raise TemplateRejectedError naming what is wrong."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateRejectedError(f"template is not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(document, dict):
        raise TemplateRejectedError("template must be a JSON object with a 'sense' list")
    try:
        return bcl.compile_template(document)
    except ValueError as exc:  # TemplateError is a ValueError
        raise TemplateRejectedError(f"template is not valid BCL: {exc}") from exc


def decode(compiled: bcl.CompiledTemplate, payload: bytes) -> dict[str, object]:
    """Decode one payload; raises ValueError (BclDecodeError) with 1NCE-like messages."""
    return bcl.decode(compiled, payload)


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    template: str
    protocols: tuple[str, ...]
    status: str

    def as_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "template": self.template,
            "protocolFilter": list(self.protocols),
            "status": self.status,
        }


class EnergySaver:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.db.connection.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._active: dict[str, tuple[str, Any]] = {}  # protocol -> (template id, compiled)
        self._reload_active()

    def all(self) -> list[Template]:
        return [_template(row) for row in self.db.query("SELECT * FROM templates ORDER BY seq")]

    def get(self, template_id: str) -> Template:
        rows = self.db.query("SELECT * FROM templates WHERE id = ?", (template_id,))
        if not rows:
            raise TemplateNotFoundError(f"template {template_id} not found")
        return _template(rows[0])

    def create(self, name: str, text: str, protocols: list[str], status: str) -> Template:
        compile_template(text)
        template = Template(secrets.token_urlsafe(15), name, text, tuple(dict.fromkeys(protocols)), status)
        with self._lock:
            self._check_conflict(template)
            self.db.execute(
                "INSERT INTO templates (id, name, template, protocols, status) VALUES (?, ?, ?, ?, ?)",
                (template.id, name, text, json.dumps(list(template.protocols)), status),
            )
            self._reload_active()
        return template

    def update(self, template_id: str, changes: dict[str, Any]) -> Template:
        current = self.get(template_id)
        text = changes.get("template", current.template)
        if "template" in changes:
            compile_template(text)
        updated = Template(
            current.id,
            changes.get("name", current.name),
            text,
            tuple(dict.fromkeys(changes.get("protocolFilter", current.protocols))),
            changes.get("status", current.status),
        )
        with self._lock:
            self._check_conflict(updated)
            self.db.execute(
                "UPDATE templates SET name = ?, template = ?, protocols = ?, status = ? WHERE id = ?",
                (
                    updated.name,
                    updated.template,
                    json.dumps(list(updated.protocols)),
                    updated.status,
                    template_id,
                ),
            )
            self._reload_active()
        return updated

    def delete(self, template_id: str) -> None:
        self.get(template_id)
        with self._lock:
            self.db.execute("DELETE FROM templates WHERE id = ?", (template_id,))
            self._reload_active()

    def active(self, protocol: str) -> tuple[str, Any] | None:
        """(template id, compiled template) active for a protocol, or None."""
        return self._active.get(protocol)

    def _check_conflict(self, template: Template) -> None:
        if template.status != "ACTIVE":
            return
        for other in self.all():
            if other.id != template.id and other.status == "ACTIVE":
                clash = set(other.protocols) & set(template.protocols)
                if clash:
                    raise TemplateConflictError(
                        f"template {other.id} ({other.name!r}) is already ACTIVE for {sorted(clash)}; "
                        "set it INACTIVE first"
                    )

    def _reload_active(self) -> None:
        active: dict[str, tuple[str, Any]] = {}
        for template in self.all():
            if template.status == "ACTIVE":
                compiled = compile_template(template.template)
                for protocol in template.protocols:
                    active[protocol] = (template.id, compiled)
        self._active = active


def _template(row: Any) -> Template:
    return Template(
        row["id"], row["name"], row["template"], tuple(json.loads(row["protocols"])), row["status"]
    )


def energy_mwh(payload_bytes: int) -> float:
    """1NCE's estimate for one message (nRF9160, CoAPs over NB-IoT): E = 0.013 x + 94.084 mWh."""
    return 0.013 * payload_bytes + 94.084


def try_template(template_text: str, payload: bytes) -> dict[str, Any]:
    """POST /v1/optimize/messages/test: the decoded JSON and what the template saved."""
    compiled = compile_template(template_text)
    decoded = decode(compiled, payload)
    translated = json.dumps(decoded, separators=(",", ":"))
    original, optimised = len(translated.encode()), len(payload)
    saving = (energy_mwh(original) - energy_mwh(optimised)) / energy_mwh(original) * 100
    return {
        "translatedPayload": translated,
        "reducedBytes": original - optimised,
        "energyUsageReduction": round(saving, 4),
    }
