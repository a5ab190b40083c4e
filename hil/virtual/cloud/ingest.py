"""The Device Integrator's common path for UDP and CoAP uplinks: who sent it (source address ->
SIM), Energy Saver translation, Device Inspector history, Cloud Integrator events, and the trigger
for SEND_WHEN_ACTIVE downlinks.

`accept()` runs on the UDP receiver thread (and for CoAP on the event loop); it only does what is
cheap and thread-safe there - decoding and queueing the history row - and hands everything that
touches other state (webhooks, admin logs, first-registration) to the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hil.virtual.netlink import loopback_to_sim_ip
from hil.virtual.network.core import CoreNetwork
from hil.virtual.network.database import Database
from hil.virtual.network.store import SimRecord

from .admin_log import AdminLog
from .energy_saver import EnergySaver, decode
from .history import HistoryMessage, HistoryStore
from .webhooks import CloudIntegrator, DeviceRef

SCHEMA = """
CREATE TABLE IF NOT EXISTS devices_seen (
    iccid TEXT PRIMARY KEY,
    first_seen_ms INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    reason: str = ""


class UplinkPipeline:
    def __init__(
        self,
        *,
        db: Database,
        core: CoreNetwork,
        energy: EnergySaver,
        history: HistoryStore,
        integrator: CloudIntegrator,
        admin_log: AdminLog,
        require_pdp_context: bool,
        agreements_accepted: Callable[[], bool],
    ) -> None:
        self.db = db
        self.core = core
        self.energy = energy
        self.history = history
        self.integrator = integrator
        self.admin_log = admin_log
        self.require_pdp_context = require_pdp_context
        self.agreements_accepted = agreements_accepted
        self.stats: Counter[str] = Counter()
        self.device_active: Callable[[str], None] | None = None  # the Device Controller's trigger
        self.pending_downlinks: set[str] = set()  # ICCIDs with SEND_WHEN_ACTIVE requests
        self.loop: asyncio.AbstractEventLoop | None = None
        self.db.connection.executescript(SCHEMA)
        self._seen = {row["iccid"] for row in self.db.query("SELECT iccid FROM devices_seen")}

    def identify(self, source_ip: str) -> SimRecord | None:
        """The SIM behind a loopback source address, if 1NCE OS would accept data from it."""
        try:
            sim = self.core.store.sim_by_ip(loopback_to_sim_ip(source_ip))
        except ValueError:
            return None
        if sim is None or sim.status != "Enabled" or not self.agreements_accepted():
            return None
        if self.require_pdp_context and not self.core.sessions.online(sim.iccid):
            return None
        return sim

    def accept(self, sim: SimRecord, protocol: str, payload: bytes, topic: str | None = None) -> Verdict:
        # The emulator's clock, which tests move forward: history and its retention use it too.
        received_ms = int(self.core.clock.time() * 1000)
        active = self.energy.active(protocol)
        if active is not None:
            template_id, compiled = active
            try:
                value: Any = decode(compiled, payload)
            except ValueError as exc:
                self.stats[f"{protocol.lower()}_template_errors"] += 1
                self._on_loop(self._template_failed, sim, protocol, template_id, str(exc))
                return Verdict(False, str(exc))
            stored = json.dumps(value, separators=(",", ":"))
            body_payload: dict[str, Any] = {"type": "JSON", "value": value}
        else:
            stored = base64.b64encode(payload).decode()
            body_payload = {"type": "STRING", "value": stored, "encoding": "base64"}
        if topic:
            body_payload["topic"] = topic
        self.history.put(HistoryMessage(sim.iccid, received_ms, protocol, topic, stored, active is not None))
        self.stats[f"{protocol.lower()}_accepted"] += 1
        first = sim.iccid not in self._seen
        if first or self.integrator.has_integrations or sim.iccid in self.pending_downlinks:
            if first:
                self._seen.add(sim.iccid)
            self._on_loop(self._after, sim, protocol, body_payload, received_ms, first)
        return Verdict(True)

    def _on_loop(self, callback: Callable[..., None], *args: Any) -> None:
        if self.loop is None:
            callback(*args)
        else:
            self.loop.call_soon_threadsafe(callback, *args)

    def _after(
        self, sim: SimRecord, protocol: str, body_payload: dict[str, Any], received_ms: int, first: bool
    ) -> None:
        device = DeviceRef(sim.iccid, sim.imsi, sim.ip_address)
        if first:
            self.db.execute(
                "INSERT OR IGNORE INTO devices_seen (iccid, first_seen_ms) VALUES (?, ?)",
                (sim.iccid, received_ms),
            )
            message = "Device registered for the first time"
            self.admin_log.add("LIFECYCLE", "info", "DEVICE_FIRST_TIME_REGISTERED", message, iccid=sim.iccid)
            lifecycle = {"lifecycle": {"type": "DEVICE_FIRST_TIME_REGISTERED", "message": message}}
            self.integrator.publish("LIFECYCLE", device, lifecycle, received_ms)
        self.integrator.publish(
            "TELEMETRY_DATA", device, {"source": protocol, "payload": body_payload}, received_ms
        )
        if sim.iccid in self.pending_downlinks and self.device_active is not None:
            self.device_active(sim.iccid)

    def _template_failed(self, sim: SimRecord, protocol: str, template_id: str, error: str) -> None:
        self.admin_log.add(
            "DEVICE",
            "error",
            "Translator[UserPayloadError]",
            f"{error} (template {template_id}, protocol {protocol}); the message was not processed",
            iccid=sim.iccid,
            imsi=sim.imsi,
            ip=sim.ip_address,
        )

    def rejected(self, source_ip: str, protocol: str, reason: str) -> None:
        """Count and, for known SIMs, log an uplink that was refused before processing."""
        self.stats[f"{protocol.lower()}_{reason}"] += 1
        if reason == "oversize":
            try:
                sim = self.core.store.sim_by_ip(loopback_to_sim_ip(source_ip))
            except ValueError:
                return
            if sim is not None:
                self._on_loop(self._oversize, sim, protocol)

    def _oversize(self, sim: SimRecord, protocol: str) -> None:
        self.admin_log.add(
            "DEVICE",
            "error",
            f"DeviceIntegrator[{protocol}PayloadTooLarge]",
            f"{protocol} message exceeds the maximum payload size and was dropped",
            iccid=sim.iccid,
            imsi=sim.imsi,
            ip=sim.ip_address,
        )
