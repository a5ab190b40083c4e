"""Records <-> octets: the SMSC prefix of 27.005 plus the TPDU layouts of 23.040 §9.2.2.

The first octet's TP-MTI means different things per direction: 00 is DELIVER towards the device
but DELIVER-REPORT from it, so the decoder is told which way the PDU travelled.
"""

from __future__ import annotations

from typing import Literal

from .address import Address, decode_smsc, decode_tp_address, encode_smsc, encode_tp_address
from .dcs import DataCoding
from .errors import PduError
from .messages import SmsDeliver, SmsMessage, SmsStatusReport, SmsSubmit
from .octets import OctetReader
from .timestamp import decode_timestamp, encode_timestamp
from .user_data import decode_user_data, encode_user_data
from .validity import ValidityFormat, decode_validity, encode_validity, validity_format

Direction = Literal["mt", "mo"]

MTI_DELIVER = 0b00  # SC -> MS (MO: DELIVER-REPORT)
MTI_SUBMIT = 0b01  # MS -> SC (MT: SUBMIT-REPORT)
MTI_STATUS_REPORT = 0b10  # SC -> MS (MO: COMMAND)

_MTI_NAMES = {
    "mt": {0: "SMS-DELIVER", 1: "SMS-SUBMIT-REPORT", 2: "SMS-STATUS-REPORT", 3: "reserved"},
    "mo": {0: "SMS-DELIVER-REPORT", 1: "SMS-SUBMIT", 2: "SMS-COMMAND", 3: "reserved"},
}

# First-octet bits (23.040 §9.2.3).
_RD_OR_MMS = 0x04  # SUBMIT: TP-RD; DELIVER/STATUS-REPORT: TP-MMS (set = no more messages)
_LP = 0x08
_SRR_SRI_SRQ = 0x20
_UDHI = 0x40
_RP = 0x80
_VPF_SHIFT = 3

# TP-PI bits (23.040 §9.2.3.27).
_PI_PID = 0x01
_PI_DCS = 0x02
_PI_UDL = 0x04
_PI_RESERVED = 0x78
_PI_EXTENSION = 0x80


def encode_pdu(message: SmsMessage) -> bytes:
    """SMSC field followed by the TPDU, as the hex after AT+CMGS or in +CMT carries it."""
    return encode_smsc(message.smsc) + encode_tpdu(message)


def encode_tpdu(message: SmsMessage) -> bytes:
    if isinstance(message, SmsSubmit):
        return _encode_submit(message)
    if isinstance(message, SmsDeliver):
        return _encode_deliver(message)
    return _encode_status_report(message)


def decode_pdu_octets(data: bytes, *, has_smsc: bool, direction: Direction) -> SmsMessage:
    if direction not in _MTI_NAMES:
        raise PduError("unknown direction", expected="'mt' or 'mo'", got=repr(direction))
    reader = OctetReader(data)
    smsc = decode_smsc(reader) if has_smsc else None
    if not reader.remaining:
        raise PduError("PDU has no TPDU", expected="a first octet", got="end of PDU", offset=reader.offset)
    fo_offset = reader.offset
    first = reader.read_byte("first octet")
    mti = first & 0b11
    if direction == "mt" and mti == MTI_DELIVER:
        return _decode_deliver(reader, first, smsc)
    if direction == "mt" and mti == MTI_STATUS_REPORT:
        return _decode_status_report(reader, first, smsc)
    if direction == "mo" and mti == MTI_SUBMIT:
        return _decode_submit(reader, first, smsc)
    wanted = "SMS-DELIVER (00) or SMS-STATUS-REPORT (10)" if direction == "mt" else "SMS-SUBMIT (01)"
    hint = "; a stored sent message (SUBMIT) decodes with direction='mo'" if direction == "mt" else ""
    raise PduError(
        f"unsupported message type for direction {direction!r}{hint}",
        expected=f"TP-MTI {wanted}",
        got=f"TP-MTI {mti:02b} ({_MTI_NAMES[direction][mti]}) in first octet 0x{first:02X}",
        offset=fo_offset,
    )


def _flag(value: bool, bit: int) -> int:
    return bit if value else 0


def _encode_submit(message: SmsSubmit) -> bytes:
    vpf = validity_format(message.validity)
    first = (
        MTI_SUBMIT
        | _flag(message.reject_duplicates, _RD_OR_MMS)
        | (vpf << _VPF_SHIFT)
        | _flag(message.status_report_request, _SRR_SRI_SRQ)
        | _flag(message.udh is not None, _UDHI)
        | _flag(message.reply_path, _RP)
    )
    return (
        bytes([first, message.message_reference])
        + encode_tp_address(message.destination)
        + bytes([message.protocol_identifier, message.dcs.value])
        + encode_validity(message.validity)
        + encode_user_data(message.user_data, message.dcs, message.udh)
    )


def _decode_submit(reader: OctetReader, first: int, smsc: Address | None) -> SmsSubmit:
    message_reference = reader.read_byte("TP-MR")
    destination = decode_tp_address(reader, "TP-DA")
    pid = reader.read_byte("TP-PID")
    dcs = DataCoding(reader.read_byte("TP-DCS"))
    validity = decode_validity(reader, ValidityFormat((first >> _VPF_SHIFT) & 0b11))
    user_data, udh = decode_user_data(reader, dcs, bool(first & _UDHI))
    reader.expect_end("TP-UD")
    return SmsSubmit(
        smsc=smsc,
        destination=destination,
        message_reference=message_reference,
        protocol_identifier=pid,
        dcs=dcs,
        validity=validity,
        user_data=user_data,
        udh=udh,
        reject_duplicates=bool(first & _RD_OR_MMS),
        status_report_request=bool(first & _SRR_SRI_SRQ),
        reply_path=bool(first & _RP),
    )


def _encode_deliver(message: SmsDeliver) -> bytes:
    first = (
        MTI_DELIVER
        | _flag(not message.more_messages, _RD_OR_MMS)
        | _flag(message.loop_prevention, _LP)
        | _flag(message.status_report_indication, _SRR_SRI_SRQ)
        | _flag(message.udh is not None, _UDHI)
        | _flag(message.reply_path, _RP)
    )
    return (
        bytes([first])
        + encode_tp_address(message.originator)
        + bytes([message.protocol_identifier, message.dcs.value])
        + encode_timestamp(message.timestamp)
        + encode_user_data(message.user_data, message.dcs, message.udh)
    )


def _decode_deliver(reader: OctetReader, first: int, smsc: Address | None) -> SmsDeliver:
    originator = decode_tp_address(reader, "TP-OA")
    pid = reader.read_byte("TP-PID")
    dcs = DataCoding(reader.read_byte("TP-DCS"))
    timestamp = decode_timestamp(reader, "TP-SCTS")
    user_data, udh = decode_user_data(reader, dcs, bool(first & _UDHI))
    reader.expect_end("TP-UD")
    return SmsDeliver(
        smsc=smsc,
        originator=originator,
        protocol_identifier=pid,
        dcs=dcs,
        timestamp=timestamp,
        user_data=user_data,
        udh=udh,
        more_messages=not first & _RD_OR_MMS,
        loop_prevention=bool(first & _LP),
        status_report_indication=bool(first & _SRR_SRI_SRQ),
        reply_path=bool(first & _RP),
    )


def _encode_status_report(report: SmsStatusReport) -> bytes:
    first = (
        MTI_STATUS_REPORT
        | _flag(not report.more_messages, _RD_OR_MMS)
        | _flag(report.loop_prevention, _LP)
        | _flag(report.status_report_qualifier, _SRR_SRI_SRQ)
        | _flag(report.udh is not None, _UDHI)
    )
    octets = (
        bytes([first, report.message_reference])
        + encode_tp_address(report.recipient)
        + encode_timestamp(report.sc_timestamp)
        + encode_timestamp(report.discharge_time)
        + bytes([report.status])
    )
    indicator = (
        _flag(report.protocol_identifier is not None, _PI_PID)
        | _flag(report.dcs is not None, _PI_DCS)
        | _flag(report.user_data is not None, _PI_UDL)
    )
    if not indicator:
        return octets
    octets += bytes([indicator])
    if report.protocol_identifier is not None:
        octets += bytes([report.protocol_identifier])
    if report.dcs is not None:
        octets += bytes([report.dcs.value])
    if report.user_data is not None:
        octets += encode_user_data(report.user_data, report.effective_dcs, report.udh)
    return octets


def _decode_status_report(reader: OctetReader, first: int, smsc: Address | None) -> SmsStatusReport:
    message_reference = reader.read_byte("TP-MR")
    recipient = decode_tp_address(reader, "TP-RA")
    sc_timestamp = decode_timestamp(reader, "TP-SCTS")
    discharge_time = decode_timestamp(reader, "TP-DT")
    status = reader.read_byte("TP-ST")
    pid: int | None = None
    dcs: DataCoding | None = None
    user_data: str | bytes | None = None
    udh = None
    if reader.remaining:
        indicator = reader.read_byte("TP-PI")
        extension = indicator
        while extension & _PI_EXTENSION:
            extension = reader.read_byte("TP-PI extension")
        if indicator & _PI_PID:
            pid = reader.read_byte("TP-PID")
        if indicator & _PI_DCS:
            dcs = DataCoding(reader.read_byte("TP-DCS"))
        if indicator & _PI_UDL:
            user_data, udh = decode_user_data(
                reader, dcs if dcs is not None else DataCoding(0), bool(first & _UDHI)
            )
        # A reserved TP-PI bit announces data after TP-UD that receivers are told to discard.
        if not indicator & _PI_RESERVED:
            reader.expect_end("the status report parameters")
    return SmsStatusReport(
        smsc=smsc,
        message_reference=message_reference,
        recipient=recipient,
        sc_timestamp=sc_timestamp,
        discharge_time=discharge_time,
        status=status,
        more_messages=not first & _RD_OR_MMS,
        loop_prevention=bool(first & _LP),
        status_report_qualifier=bool(first & _SRR_SRI_SRQ),
        protocol_identifier=pid,
        dcs=dcs,
        user_data=user_data,
        udh=udh,
    )
