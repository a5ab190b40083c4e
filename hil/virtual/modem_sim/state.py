"""The simulated module's state, as plain data: power, CFUN, SIM, registration, PDP, SMS, PSM.

Behaviour lives in modem.py (state changes over time) and the dialects (commands that read and
write this state). Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from at_commands.dialects.profiles import Rat
from hil.virtual.modem_sim.scenario import SimConfig


class Power(Enum):
    OFF = "off"
    BOOTING = "booting"
    READY = "ready"
    PSM = "psm"  # asleep in power saving mode: not responding


class SimStatus(Enum):
    ABSENT = "absent"
    PIN = "pin"
    PUK = "puk"
    READY = "ready"
    FAILED = "failed"  # UICC failure


class Stat(int, Enum):
    """27.007 <stat> of +CREG/+CGREG/+CEREG."""

    NOT_SEARCHING = 0
    HOME = 1
    SEARCHING = 2
    DENIED = 3
    UNKNOWN = 4
    ROAMING = 5
    UICC_FAILURE = 90  # nRF only


@dataclass
class SimCard:
    identity: SimConfig
    status: SimStatus = SimStatus.READY
    pin: str = ""  # the current PIN (AT+CPIN with the PUK can change it)
    pin_enabled: bool = False
    pin_attempts: int = 3
    puk_attempts: int = 10
    busy_left: int = 0  # answers of +CME ERROR: 14 still to give
    powered: bool = True
    fplmn: bytes = b"\xff" * 12  # EF_FPLMN: 4 PLMNs, unused entries FF
    files: dict[int, bytes] = field(default_factory=dict)  # EFs the host wrote with UPDATE BINARY

    @property
    def ready(self) -> bool:
        return self.status is SimStatus.READY and self.powered


@dataclass
class Registration:
    stat: Stat = Stat.NOT_SEARCHING
    rat: Rat = Rat.LTE_M
    plmn: str = ""
    tac: str = ""
    ci: str = ""
    reject_cause: int | None = None
    attached: bool = False  # EPS attach done (PS domain): +CGATT: 1

    @property
    def registered(self) -> bool:
        return self.stat in (Stat.HOME, Stat.ROAMING)


@dataclass
class PdpContext:
    cid: int
    pdp_type: str = "IP"
    apn: str = ""
    active: bool = False
    ip: str | None = None
    dns: list[str] = field(default_factory=list)
    username: str = ""  # secrets: never logged or dumped
    password: str = ""
    auth: int = 0


@dataclass
class StoredSms:
    index: int
    status: int  # 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT
    pdu: bytes  # SMSC field + TPDU, as AT+CMGR shows it in PDU mode
    tpdu_length: int
    storage: str = "SM"


SMS_STATUS_TEXT = {0: "REC UNREAD", 1: "REC READ", 2: "STO UNSENT", 3: "STO SENT", 4: "ALL"}


@dataclass
class SmsSettings:
    text_mode: bool = False  # AT+CMGF
    cnmi: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)  # mode, mt, bm, ds, bfr
    csmp: tuple[int, int, int, int] = (17, 167, 0, 0)  # fo, vp, pid, dcs
    charset: str = "GSM"  # AT+CSCS
    smsc: str = ""
    smsc_type: int = 145
    storage: tuple[str, str, str] = ("SM", "SM", "SM")  # CPMS mem1, mem2, mem3
    show_text_params: bool = False  # AT+CSDH


@dataclass
class PowerSaving:
    psm_mode: int = 0  # AT+CPSMS mode
    tau: str = "00111000"  # requested Periodic-TAU (T3412 ext), 8-bit string
    active_time: str = "00100001"  # requested Active-Time (T3324)
    edrx: dict[int, tuple[int, str]] = field(default_factory=dict)  # AcT-type -> (mode, value)


@dataclass
class Signal:
    rssi_dbm: int = -71
    rsrp_dbm: int = -95
    rsrq_db: float = -10.0
    sinr_db: float = 12.0
    ber: int = 99

    @property
    def csq(self) -> int:
        return max(0, min(31, (self.rssi_dbm + 113) // 2))

    @property
    def rsrp_index(self) -> int:
        return max(0, min(97, self.rsrp_dbm + 140))

    @property
    def rsrq_index(self) -> int:
        return max(0, min(34, round((self.rsrq_db + 20) * 2)))


def decode_timer(bits: str, table: dict[str, int | None]) -> int | None:
    """A GPRS timer 2/3 bit string (unit in bits 8-6, value in 5-1) in seconds; None: deactivated."""
    if len(bits) != 8 or any(c not in "01" for c in bits):
        raise ValueError(f"timer must be 8 bits, got {bits!r}")
    unit = table.get(bits[:3])
    return None if unit is None else unit * int(bits[3:], 2)


T3412_UNITS: dict[str, int | None] = {
    "000": 600,
    "001": 3600,
    "010": 36000,
    "011": 2,
    "100": 30,
    "101": 60,
    "110": 1152000,
    "111": None,
}
T3324_UNITS: dict[str, int | None] = {"000": 2, "001": 60, "010": 360, "111": None}
