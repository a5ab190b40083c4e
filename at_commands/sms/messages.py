"""The three TPDUs this toolkit sends and receives, as records (23.040 §9.2.2).

SMS-SUBMIT goes from the device to the SC (what `AT+CMGS` carries); SMS-DELIVER and
SMS-STATUS-REPORT come back (`+CMT`, `+CMGR`, `+CDS`). The same records are built by the encoders
and returned by the decoder, so encode -> decode gives back an equal record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .address import Address
from .dcs import DataCoding, Encoding
from .errors import PduError
from .status import StatusCategory, status_category, status_description
from .udh import ConcatInfo, UserDataHeader
from .user_data import is_septet_coded
from .validity import Validity

GSM7_DEFAULT = DataCoding(0)


def _check_octet(name: str, value: int) -> None:
    if not 0 <= value <= 0xFF:
        raise PduError(f"{name} out of range", expected="0..255", got=str(value))


def _check_content(content: str | bytes, dcs: DataCoding) -> None:
    wants_text = is_septet_coded(dcs) or (dcs.encoding == Encoding.UCS2 and not dcs.compressed)
    if wants_text and not isinstance(content, str):
        raise PduError(f"DCS 0x{dcs.value:02X} ({dcs.encoding}) carries text", expected="str", got="bytes")
    if not wants_text and not isinstance(content, bytes):
        form = f"{dcs.encoding}, compressed" if dcs.compressed else str(dcs.encoding)
        raise PduError(
            f"DCS 0x{dcs.value:02X} ({form}) carries octets",
            expected="bytes",
            got="str",
        )


@dataclass(frozen=True, kw_only=True)
class _Message:
    """User data common to SUBMIT and DELIVER: str for GSM7/UCS2, bytes for 8-bit or compressed."""

    user_data: str | bytes
    dcs: DataCoding = GSM7_DEFAULT
    udh: UserDataHeader | None = None
    smsc: Address | None = None
    protocol_identifier: int = 0
    reply_path: bool = False

    def __post_init__(self) -> None:
        _check_content(self.user_data, self.dcs)
        _check_octet("TP-PID", self.protocol_identifier)

    @property
    def text(self) -> str | None:
        return self.user_data if isinstance(self.user_data, str) else None

    @property
    def data(self) -> bytes | None:
        return self.user_data if isinstance(self.user_data, bytes) else None

    @property
    def encoding(self) -> Encoding:
        return self.dcs.encoding

    @property
    def message_class(self) -> int | None:
        return self.dcs.message_class

    @property
    def concat(self) -> ConcatInfo | None:
        return self.udh.concat if self.udh is not None else None


@dataclass(frozen=True, kw_only=True)
class SmsSubmit(_Message):
    destination: Address
    message_reference: int = 0
    validity: Validity | None = None
    reject_duplicates: bool = False
    status_report_request: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_octet("TP-MR", self.message_reference)


@dataclass(frozen=True, kw_only=True)
class SmsDeliver(_Message):
    originator: Address
    timestamp: datetime  # TP-SCTS, when the SC received the message
    more_messages: bool = False  # TP-MMS inverted: True while the SC holds more for this device
    loop_prevention: bool = False
    status_report_indication: bool = False


@dataclass(frozen=True, kw_only=True)
class SmsStatusReport:
    message_reference: int  # the <mr> of the +CMGS this report is about
    recipient: Address
    sc_timestamp: datetime  # when the SC received the original SUBMIT
    discharge_time: datetime  # when the SC delivered it, or last tried
    status: int  # TP-ST
    smsc: Address | None = None
    more_messages: bool = False
    loop_prevention: bool = False
    status_report_qualifier: bool = False  # True: the report answers an SMS-COMMAND, not a SUBMIT
    # Optional parameters after TP-PI; a report with user data but no DCS is GSM7 (23.040 §9.2.3.27).
    protocol_identifier: int | None = None
    dcs: DataCoding | None = None
    user_data: str | bytes | None = None
    udh: UserDataHeader | None = None

    def __post_init__(self) -> None:
        _check_octet("TP-MR", self.message_reference)
        _check_octet("TP-ST", self.status)
        if self.protocol_identifier is not None:
            _check_octet("TP-PID", self.protocol_identifier)
        if self.user_data is not None:
            _check_content(self.user_data, self.effective_dcs)
        elif self.udh is not None:
            raise PduError("status report has a UDH but no user data", expected="user_data", got="None")

    @property
    def effective_dcs(self) -> DataCoding:
        return self.dcs if self.dcs is not None else DataCoding(0)

    @property
    def category(self) -> StatusCategory:
        return status_category(self.status)

    @property
    def delivered(self) -> bool:
        return self.category == StatusCategory.DELIVERED

    @property
    def description(self) -> str:
        return status_description(self.status)

    @property
    def text(self) -> str | None:
        return self.user_data if isinstance(self.user_data, str) else None


SmsMessage = SmsSubmit | SmsDeliver | SmsStatusReport
