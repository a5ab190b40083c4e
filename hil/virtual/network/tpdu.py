"""The network's side of SMS on the wire: SMS-SUBMIT in (MO), SMS-DELIVER and STATUS-REPORT out (MT).

Payload conventions follow the SIM API: DCS 0 (GSM 7-bit) and 8 (UCS-2) carry text, DCS 4 carries
binary data as a hex string; the UDH travels as a hex string too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from at_commands.sms.address import Address, TypeOfNumber
from at_commands.sms.dcs import DataCoding, Encoding
from at_commands.sms.errors import PduError
from at_commands.sms.messages import SmsDeliver, SmsStatusReport, SmsSubmit
from at_commands.sms.octets import parse_hex
from at_commands.sms.tpdu import decode_pdu_octets, encode_tpdu
from at_commands.sms.udh import decode_udh

API_DCS = {Encoding.GSM7: 0, Encoding.EIGHT_BIT: 4, Encoding.UCS2: 8}
SOURCE_ADDRESS_TYPES = {
    145: TypeOfNumber.INTERNATIONAL,
    161: TypeOfNumber.NATIONAL,
    208: TypeOfNumber.ALPHANUMERIC,
}


@dataclass(frozen=True)
class MoMessage:
    """What the network keeps of an SMS-SUBMIT."""

    payload: str
    dcs: int
    udh: str
    destination: str
    message_reference: int
    status_report_requested: bool
    concat: tuple[int, int, int] | None  # (reference, total, part)


def decode_submit(tpdu_hex: str) -> MoMessage:
    """Parse the SMS-SUBMIT TPDU a modem sent (no SMSC prefix); raises PduError."""
    message = decode_pdu_octets(parse_hex(tpdu_hex), has_smsc=False, direction="mo")
    if not isinstance(message, SmsSubmit):
        raise PduError("not an SMS-SUBMIT", expected="TP-MTI 01", got=type(message).__name__)
    payload = message.user_data if isinstance(message.user_data, str) else message.user_data.hex().upper()
    concat = message.concat
    return MoMessage(
        payload=payload,
        dcs=API_DCS[message.dcs.encoding],
        udh=message.udh.encode().hex().upper() if message.udh is not None else "",
        destination=message.destination.number,
        message_reference=message.message_reference,
        status_report_requested=message.status_report_request,
        concat=(concat.reference, concat.total, concat.sequence) if concat is not None else None,
    )


def encode_deliver(
    *,
    originator: str,
    originator_type: int | None,
    payload: str,
    dcs: int,
    udh_hex: str,
    timestamp: datetime,
    status_report_indication: bool = False,
) -> str:
    """The SMS-DELIVER TPDU (hex) for an MT SMS submitted through the API; raises PduError/ValueError."""
    encoding = {0: Encoding.GSM7, 4: Encoding.EIGHT_BIT, 8: Encoding.UCS2}.get(dcs)
    if encoding is None:
        raise ValueError(f"dcs must be 0 (text), 4 (binary as hex) or 8 (UCS-2), got {dcs}")
    content: str | bytes = payload
    if encoding == Encoding.EIGHT_BIT:
        try:
            content = bytes.fromhex(payload)
        except ValueError as exc:
            raise ValueError("dcs 4 needs the payload as a hex string") from exc
    udh = None
    if udh_hex:
        raw = bytes.fromhex(udh_hex)
        if raw and raw[0] != len(raw) - 1:  # the API's udh may omit the UDHL octet
            raw = bytes([len(raw)]) + raw
        udh = decode_udh(raw, 0)
    address = _originator(originator or "1NCE", originator_type)
    message = SmsDeliver(
        originator=address,
        timestamp=timestamp,
        dcs=DataCoding.build(encoding),
        user_data=content,
        udh=udh,
        status_report_indication=status_report_indication,
    )
    return encode_tpdu(message).hex().upper()


def encode_status_report(
    *, message_reference: int, recipient: str, submitted: datetime, discharged: datetime, status: int
) -> str:
    report = SmsStatusReport(
        message_reference=message_reference,
        recipient=Address.parse(recipient) if recipient else Address("0"),
        sc_timestamp=submitted,
        discharge_time=discharged,
        status=status,
    )
    return encode_tpdu(report).hex().upper()


def _originator(value: str, type_id: int | None) -> Address:
    ton = SOURCE_ADDRESS_TYPES.get(type_id) if type_id is not None else None
    if ton == TypeOfNumber.ALPHANUMERIC:
        return Address.alphanumeric(value[:11])
    if ton is not None and value.lstrip("+").isdigit():
        return Address(value.lstrip("+"), ton)
    return Address.parse(value if value.lstrip("+").isdigit() else value[:11])
