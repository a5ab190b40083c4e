"""Network events as 1NCE's Data Streamer records, and their projection for GET /v1/sims/{iccid}/events.

Event type ids and the record layout follow the Data Streamer docs (reference §5.4). Every event is
stored (the SIM event API reads it back) and handed to the listeners (the Data Streamer worker).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from .clock import Clock, iso_plus0000
from .store import NetworkStore, SimRecord


class EventType(IntEnum):
    GENERIC = 0
    UPDATE_LOCATION = 1
    UPDATE_GPRS_LOCATION = 2
    CREATE_PDP_CONTEXT = 3
    UPDATE_PDP_CONTEXT = 4
    DELETE_PDP_CONTEXT = 5
    USER_AUTHENTICATION_FAILED = 6
    SIM_ACTIVATION = 8
    SIM_SUSPENSION = 9
    ENDPOINT_BLOCKED = 11
    PURGE_LOCATION = 15
    PURGE_GPRS_LOCATION = 16
    DATA_QUOTA_THRESHOLD = 18
    DATA_QUOTA_USED_UP = 19
    SMS_QUOTA_THRESHOLD = 20
    SMS_QUOTA_USED_UP = 21


EVENT_DESCRIPTIONS = {
    EventType.GENERIC: "Generic",
    EventType.UPDATE_LOCATION: "Update location",
    EventType.UPDATE_GPRS_LOCATION: "Update GPRS location",
    EventType.CREATE_PDP_CONTEXT: "Create PDP Context",
    EventType.UPDATE_PDP_CONTEXT: "Update PDP Context",
    EventType.DELETE_PDP_CONTEXT: "Delete PDP Context",
    EventType.USER_AUTHENTICATION_FAILED: "User authentication failed",
    EventType.SIM_ACTIVATION: "SIM activation",
    EventType.SIM_SUSPENSION: "SIM suspension",
    EventType.ENDPOINT_BLOCKED: "Endpoint blocked",
    EventType.PURGE_LOCATION: "Purge location",
    EventType.PURGE_GPRS_LOCATION: "Purge GPRS location",
    EventType.DATA_QUOTA_THRESHOLD: "Data quota threshold reached",
    EventType.DATA_QUOTA_USED_UP: "Data quota used up",
    EventType.SMS_QUOTA_THRESHOLD: "SMS quota threshold reached",
    EventType.SMS_QUOTA_USED_UP: "SMS quota used up",
}

SEVERITIES = {0: "INFO", 1: "WARNING", 2: "CRITICAL"}
EVENT_SOURCES = {0: "Network", 1: "Policy Control", 2: "API"}


@dataclass(frozen=True)
class VisitedNetwork:
    """The roaming partner the emulated SIMs attach through (1NCE SIMs always roam)."""

    operator_id: int = 2
    operator_name: str = "Telekom Deutschland"
    country_id: int = 74
    country_name: str = "Germany"
    iso_code: str = "de"
    country_code: str = "49"
    mcc: str = "262"
    mnc: str = "01"
    tapcode: str = "DEUD1"


EventListener = Callable[[dict[str, Any]], None]


class EventLog:
    """Builds, stores and fans out Data Streamer event records."""

    def __init__(
        self, store: NetworkStore, clock: Clock, organisation_id: str, organisation_name: str
    ) -> None:
        self.store = store
        self.clock = clock
        self.organisation = {"id": int(organisation_id), "name": organisation_name}
        self.listeners: list[EventListener] = []
        self._ids = itertools.count(int(clock.time() * 1000) * 1000)

    def emit(
        self,
        sim: SimRecord,
        event_type: EventType,
        description: str,
        *,
        severity: int = 0,
        source: int = 0,
        alert: bool = False,
        network: VisitedNetwork | None = None,
        pdp_context: dict[str, Any] | None = None,
        volume: dict[str, float] | None = None,
    ) -> dict[str, Any]:
        timestamp = iso_plus0000(self.clock.now())
        detail: dict[str, Any] = {}
        if network is not None:
            detail = {
                "id": network.operator_id,
                "name": network.operator_name,
                "country": {
                    "id": network.country_id,
                    "name": network.country_name,
                    "iso_code": network.iso_code,
                    "country_code": network.country_code,
                    "mcc": network.mcc,
                },
                "mnc": [network.mnc],
                "tapcode": [network.tapcode],
            }
        if pdp_context is not None:
            detail["pdp_context"] = pdp_context
        if volume is not None:
            detail["volume"] = volume
        record: dict[str, Any] = {
            "id": next(self._ids),
            "timestamp": timestamp,
            "event_type": {"id": int(event_type), "description": EVENT_DESCRIPTIONS[event_type]},
            "event_severity": {"id": severity, "description": SEVERITIES[severity]},
            "event_source": {"id": source, "description": EVENT_SOURCES[source]},
            "organisation": self.organisation,
            "alert": alert,
            "description": description,
            "imsi": {"imsi": sim.imsi},
            "sim": {"iccid": sim.iccid, "msisdn": sim.msisdn},
            "endpoint": {"name": sim.iccid, "ip_address": sim.ip_address, "imei": sim.imei},
            "detail": detail,
        }
        self.store.insert_event(sim.iccid, timestamp, record)
        for listener in list(self.listeners):
            listener(record)
        return record


def sim_event_view(record: dict[str, Any]) -> dict[str, Any]:
    """A Data Streamer record as the SIM_Event object of GET /v1/sims/{iccid}/events."""
    detail = record.get("detail") or {}
    view: dict[str, Any] = {
        "timestamp": record["timestamp"],
        "event_type": record["event_type"]["description"],
        "iccid": record["sim"]["iccid"],
        "imsi": record["imsi"]["imsi"],
        "alert": bool(record.get("alert")),
        "event_severity": record["event_severity"]["description"].capitalize(),
    }
    if record["endpoint"].get("imei"):
        view["imei"] = record["endpoint"]["imei"]
    if detail.get("country"):
        view["country"] = detail["country"]["name"]
        view["mcc"] = detail["country"]["mcc"]
    if detail.get("name"):
        view["operator"] = detail["name"]
    if detail.get("mnc"):
        view["mnc"] = detail["mnc"][0]
    return view
