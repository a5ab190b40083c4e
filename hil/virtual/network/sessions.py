"""Session state per SIM as the SIM API shows it: OFFLINE, ATTACHED (no PDP context), ONLINE."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SessionState(StrEnum):
    OFFLINE = "OFFLINE"
    ATTACHED = "ATTACHED"
    ONLINE = "ONLINE"


@dataclass(frozen=True)
class Rat:
    """A radio access technology in the forms the APIs want."""

    name: str  # what the modem said, normalised
    description: str  # rat_type.description of the SIM API: 2G | 3G | 4G | 5G | NB-IoT
    streamer_id: int  # Data Streamer rat_type id: 1 3G, 2 2G, 6 LTE, 8 NB-IoT, 9 CAT-M

    @property
    def sms_capable(self) -> bool:
        return self.description != "NB-IoT"  # 1NCE: no SMS over NB-IoT


_RATS = {
    "GSM": Rat("GSM", "2G", 2),
    "2G": Rat("GSM", "2G", 2),
    "UTRAN": Rat("UTRAN", "3G", 1),
    "3G": Rat("UTRAN", "3G", 1),
    "LTE": Rat("LTE", "4G", 6),
    "4G": Rat("LTE", "4G", 6),
    "E-UTRAN": Rat("LTE", "4G", 6),
    "LTE-M": Rat("LTE-M", "4G", 9),
    "CAT-M": Rat("LTE-M", "4G", 9),
    "CAT-M1": Rat("LTE-M", "4G", 9),
    "EMTC": Rat("LTE-M", "4G", 9),
    "NB-IOT": Rat("NB-IoT", "NB-IoT", 8),
    "NBIOT": Rat("NB-IoT", "NB-IoT", 8),
    "NB1": Rat("NB-IoT", "NB-IoT", 8),
    "5G": Rat("NR", "5G", 6),
    "NR": Rat("NR", "5G", 6),
}
# 27.007 <AcT> values a modem may report instead of a name.
_ACT = {0: "GSM", 2: "UTRAN", 3: "GSM", 7: "LTE", 8: "LTE-M", 9: "NB-IOT", 13: "NR"}


def normalize_rat(value: object) -> Rat:
    """Map a modem's RAT ("LTE-M", "NB-IoT", "GSM", an <AcT> int ...) to the API forms."""
    if isinstance(value, int) and not isinstance(value, bool):
        key = _ACT.get(value)
        if key is None:
            raise ValueError(f"unknown <AcT> {value}; known: {sorted(_ACT)}")
        return _RATS[key]
    if isinstance(value, str) and value.strip().upper() in _RATS:
        return _RATS[value.strip().upper()]
    raise ValueError(f"unknown RAT {value!r}; known: {sorted(_RATS)} or an <AcT> integer")


@dataclass
class PdpContext:
    pdp_context_id: int
    apn: str
    ip_address: str
    created: datetime
    teid: int


@dataclass
class Session:
    iccid: str
    state: SessionState = SessionState.OFFLINE
    imei: str = ""
    rat: Rat | None = None
    tac: int = 0
    ci: int = 0
    attached_at: datetime | None = None
    pdp: PdpContext | None = None


class SessionTable:
    """The network's live view of every SIM; SIMs it never saw are OFFLINE."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._pdp_ids = itertools.count(1_898_708_000)

    def get(self, iccid: str) -> Session:
        return self._sessions.get(iccid) or Session(iccid)

    def attach(self, iccid: str, *, imei: str, rat: Rat, tac: int, ci: int, now: datetime) -> Session:
        session = Session(iccid, SessionState.ATTACHED, imei, rat, tac, ci, now)
        self._sessions[iccid] = session
        return session

    def open_pdp(self, iccid: str, *, apn: str, ip_address: str, now: datetime) -> PdpContext:
        session = self._sessions[iccid]
        pdp_id = next(self._pdp_ids)
        session.pdp = PdpContext(pdp_id, apn, ip_address, now, teid=pdp_id % 1_000_000_000)
        session.state = SessionState.ONLINE
        return session.pdp

    def close_pdp(self, iccid: str) -> PdpContext | None:
        session = self._sessions.get(iccid)
        if session is None or session.pdp is None:
            return None
        closed, session.pdp = session.pdp, None
        session.state = SessionState.ATTACHED
        return closed

    def detach(self, iccid: str) -> Session | None:
        return self._sessions.pop(iccid, None)

    def online(self, iccid: str) -> bool:
        return self.get(iccid).state == SessionState.ONLINE
