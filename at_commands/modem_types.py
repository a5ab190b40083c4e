"""What the Modem API returns: vendor-neutral records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from at_commands.dialects.profiles import Rat

# 27.007 registration states (reference §1.4).
STAT_NAMES = {
    0: "not registered, not searching",
    1: "registered, home",
    2: "not registered, searching",
    3: "registration denied",
    4: "unknown (e.g. out of coverage)",
    5: "registered, roaming",
    6: "registered for SMS only, home",
    7: "registered for SMS only, roaming",
    8: "attached for emergency bearer services only",
    90: "not registered: UICC failure",
}
REGISTERED_STATS = frozenset({1, 5})


@dataclass(frozen=True)
class ModemInfo:
    dialect: str
    manufacturer: str
    model: str
    firmware: str
    imei: str
    iccid: str  # 19 digits, the form the 1NCE API uses
    iccid_raw: str  # as the modem printed it
    imsi: str


@dataclass(frozen=True)
class Registration:
    stat: int
    tac: str | None = None
    cell_id: str | None = None
    act: int | None = None  # AcT as the module reports it (vendor numbering)
    rat: Rat | None = None
    reject_cause: int | None = None
    active_time: str | None = None  # T3324 bits granted
    periodic_tau: str | None = None  # T3412-ext bits granted

    @property
    def registered(self) -> bool:
        return self.stat in REGISTERED_STATS

    @property
    def roaming(self) -> bool:
        return self.stat == 5

    @property
    def description(self) -> str:
        return STAT_NAMES.get(self.stat, f"stat {self.stat}")


@dataclass(frozen=True)
class Signal:
    rssi_dbm: int | None  # from +CSQ
    ber: int | None
    rsrp_dbm: float | None  # from +CESQ (LTE)
    rsrq_db: float | None
    csq: int | None  # raw +CSQ rssi index (99 = unknown)


@dataclass(frozen=True)
class PdpContext:
    cid: int
    apn: str
    ip: str


@dataclass(frozen=True)
class Datagram:
    data: bytes
    host: str | None
    port: int | None


@dataclass(frozen=True)
class SmsMessage:
    sender: str
    text: str
    timestamp: datetime | None
    index: int | None  # storage index, None for directly routed (+CMT) messages
    pdu: str | None  # the raw PDU hex when received in PDU mode


@dataclass(frozen=True)
class PowerSaving:
    psm_enabled: bool
    requested_tau: str | None
    requested_active_time: str | None
    edrx_enabled: bool
    edrx_value: str | None


def csq_to_dbm(rssi: int) -> int | None:
    """+CSQ rssi index to dBm: 0 -> -113, 1 -> -111, 2..30 -> -109..-53, 31 -> -51, 99 unknown."""
    if rssi == 99 or not 0 <= rssi <= 31:
        return None
    return -113 + 2 * rssi


def cesq_rsrp_to_dbm(value: int) -> float | None:
    """+CESQ rsrp 0..97 -> -140 + v dBm (255 unknown)."""
    return None if value == 255 or not 0 <= value <= 97 else float(-140 + value)


def cesq_rsrq_to_db(value: int) -> float | None:
    """+CESQ rsrq 0..34 -> -20 + v/2 dB (255 unknown)."""
    return None if value == 255 or not 0 <= value <= 34 else -20 + value / 2
