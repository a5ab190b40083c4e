"""The PDU-mode API both sides of the lab use.

The host encodes SUBMITs for `AT+CMGS=<tpdu_length>` and decodes DELIVERs and STATUS-REPORTs from
`+CMT` / `+CMGR` / `+CDS`; the simulated modem does the opposite (decode SUBMIT with
direction="mo", encode DELIVER and STATUS-REPORT). Every PDU string is the 27.005 form: SMSC field,
then the TPDU, as uppercase hex.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from .address import Address, as_address
from .dcs import DataCoding, Encoding
from .errors import PduError
from .messages import SmsDeliver, SmsMessage, SmsStatusReport, SmsSubmit
from .octets import parse_hex
from .segmentation import CONCAT_IE_OCTETS, EncodingChoice, choose_encoding, split_content
from .timestamp import normalize_timestamp
from .tpdu import Direction, decode_pdu_octets, encode_pdu
from .udh import ConcatInfo, InformationElement, UserDataHeader
from .validity import Validity, normalize_validity


@dataclass(frozen=True)
class SubmitPdu:
    hex: str  # SMSC field + TPDU, what is typed after the "> " prompt
    tpdu_length: int  # the <length> of AT+CMGS=<length>: octets after the SMSC field
    message: SmsSubmit

    def __str__(self) -> str:
        return self.hex


@dataclass(frozen=True)
class DeliverPdu:
    hex: str  # SMSC field + TPDU, as +CMT / +CMGR print it
    tpdu_length: int  # the <length> of +CMT: ,<length> and +CMGR: <stat>,,<length>
    message: SmsDeliver

    def __str__(self) -> str:
        return self.hex


class _ReferenceCounter:
    """Concatenation references cycle per 23.040; a random start keeps restarts from reusing them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = random.randrange(1 << 16)

    def take(self, bits: int) -> int:
        with self._lock:
            value = self._next
            self._next = (self._next + 1) % (1 << 16)
        return value % (1 << bits)


_references = _ReferenceCounter()
_M = TypeVar("_M", SmsDeliver, SmsSubmit, SmsStatusReport)


def encode_submit(
    destination: str | Address,
    text: str | bytes,
    *,
    smsc: str | Address | None = None,
    encoding: EncodingChoice = "auto",
    request_status_report: bool = False,
    validity: Validity | None = None,
    reference: int | None = None,
    message_reference: int = 0,
    message_class: int | None = None,
    reference_bits: Literal[8, 16] = 8,
    information_elements: Sequence[InformationElement] = (),
    reject_duplicates: bool = False,
) -> list[SubmitPdu]:
    """One SubmitPdu per part; more than one when the text needs concatenation.

    `validity` as a timedelta is rounded up to the next relative TP-VP step; a datetime gives an
    absolute TP-VP. `reference` is the concat reference (auto when None, cycling); a message that
    fits one part carries no concat header. `information_elements` (e.g. application ports) are
    repeated in every part.
    """
    address = as_address(destination)
    smsc_address = as_address(smsc) if smsc is not None else None
    dcs, udhs, chunks = _plan(text, encoding, message_class, reference, reference_bits, information_elements)
    vp = normalize_validity(validity)
    pdus = []
    for udh, chunk in zip(udhs, chunks, strict=True):
        message = SmsSubmit(
            smsc=smsc_address,
            destination=address,
            message_reference=message_reference,
            dcs=dcs,
            validity=vp,
            user_data=chunk,
            udh=udh,
            status_report_request=request_status_report,
            reject_duplicates=reject_duplicates,
        )
        octets = encode_pdu(message)
        pdus.append(SubmitPdu(octets.hex().upper(), _tpdu_length(octets), message))
    return pdus


def encode_deliver(
    originator: str | Address,
    text: str | bytes,
    timestamp: datetime,
    *,
    smsc: str | Address | None = None,
    encoding: EncodingChoice = "auto",
    more_messages: bool = False,
    reference: int | None = None,
    message_class: int | None = None,
    reference_bits: Literal[8, 16] = 8,
    information_elements: Sequence[InformationElement] = (),
    status_report_indication: bool = False,
) -> list[DeliverPdu]:
    """MT message(s) as the network hands them to the modem; `timestamp` is the aware SCTS."""
    address = as_address(originator)
    smsc_address = as_address(smsc) if smsc is not None else None
    scts = normalize_timestamp(timestamp)
    dcs, udhs, chunks = _plan(text, encoding, message_class, reference, reference_bits, information_elements)
    pdus = []
    for udh, chunk in zip(udhs, chunks, strict=True):
        message = SmsDeliver(
            smsc=smsc_address,
            originator=address,
            timestamp=scts,
            dcs=dcs,
            user_data=chunk,
            udh=udh,
            more_messages=more_messages,
            status_report_indication=status_report_indication,
        )
        octets = encode_pdu(message)
        pdus.append(DeliverPdu(octets.hex().upper(), _tpdu_length(octets), message))
    return pdus


def encode_status_report(
    message_reference: int,
    recipient: str | Address,
    sc_timestamp: datetime,
    discharge_time: datetime,
    status: int,
    *,
    smsc: str | Address | None = None,
    more_messages: bool = False,
) -> str:
    """The hex a +CDS carries (SMSC field + TPDU); `status` is TP-ST (0 = delivered)."""
    report = SmsStatusReport(
        smsc=as_address(smsc) if smsc is not None else None,
        message_reference=message_reference,
        recipient=as_address(recipient),
        sc_timestamp=normalize_timestamp(sc_timestamp),
        discharge_time=normalize_timestamp(discharge_time),
        status=status,
        more_messages=more_messages,
    )
    return encode_pdu(report).hex().upper()


def encode_message(message: SmsMessage) -> str:
    """Any record back to its hex PDU (SMSC field + TPDU)."""
    return encode_pdu(message).hex().upper()


def tpdu_length(pdu_hex: str) -> int:
    """The <length> that goes with a PDU that carries an SMSC field (+CMT, +CDS, AT+CMGS)."""
    return _tpdu_length(parse_hex(pdu_hex))


def decode_pdu(
    hex_str: str,
    *,
    has_smsc: bool | None = True,
    direction: Direction = "mt",
    tpdu_length: int | None = None,
) -> SmsMessage:
    """Decode a 27.005 PDU into SmsDeliver / SmsStatusReport (mt) or SmsSubmit (mo).

    has_smsc=None works out whether the SMSC field is there: from `tpdu_length` (the <length> a
    +CMT/+CMGR line gives) when known, else by which reading has lengths that add up (the SMSC
    reading wins when both do, as 27.005 puts the field there).
    """
    data = parse_hex(hex_str)
    if tpdu_length is not None:
        return _decode_with_length(data, has_smsc, direction, tpdu_length)
    if has_smsc is not None:
        return decode_pdu_octets(data, has_smsc=has_smsc, direction=direction)
    try:
        return decode_pdu_octets(data, has_smsc=True, direction=direction)
    except PduError as with_smsc:
        try:
            return decode_pdu_octets(data, has_smsc=False, direction=direction)
        except PduError as without_smsc:
            raise PduError(
                "PDU fits neither layout",
                expected="a consistent PDU with or without an SMSC field",
                got=f"with SMSC: {with_smsc}; without SMSC: {without_smsc}",
            ) from without_smsc


def decode_deliver(
    hex_str: str, *, has_smsc: bool | None = True, tpdu_length: int | None = None
) -> SmsDeliver:
    return _expect(decode_pdu(hex_str, has_smsc=has_smsc, tpdu_length=tpdu_length), SmsDeliver)


def decode_status_report(
    hex_str: str, *, has_smsc: bool | None = True, tpdu_length: int | None = None
) -> SmsStatusReport:
    return _expect(decode_pdu(hex_str, has_smsc=has_smsc, tpdu_length=tpdu_length), SmsStatusReport)


def decode_submit(hex_str: str, *, has_smsc: bool | None = True, tpdu_length: int | None = None) -> SmsSubmit:
    return _expect(decode_pdu(hex_str, has_smsc=has_smsc, direction="mo", tpdu_length=tpdu_length), SmsSubmit)


def _expect(message: SmsMessage, kind: type[_M]) -> _M:
    if not isinstance(message, kind):
        raise PduError(
            "PDU is a different message type",
            expected=kind.__name__,
            got=type(message).__name__,
            offset=0,
        )
    return message


def _plan(
    content: str | bytes,
    encoding: EncodingChoice,
    message_class: int | None,
    reference: int | None,
    reference_bits: int,
    elements: Sequence[InformationElement],
) -> tuple[DataCoding, list[UserDataHeader | None], list[str | bytes]]:
    if reference_bits not in CONCAT_IE_OCTETS:
        raise PduError("concat reference width", expected="8 or 16 bits", got=str(reference_bits))
    alphabet: Encoding = choose_encoding(content, encoding)
    dcs = DataCoding.build(alphabet, message_class)
    chunks = split_content(content, alphabet, elements, concat_bits=reference_bits)
    extra = tuple(elements)
    if len(chunks) == 1:
        return dcs, [UserDataHeader(extra) if extra else None], chunks
    ref = reference if reference is not None else _references.take(reference_bits)
    udhs: list[UserDataHeader | None] = [
        UserDataHeader((ConcatInfo(ref, len(chunks), seq, reference_bits).to_element(), *extra))
        for seq in range(1, len(chunks) + 1)
    ]
    return dcs, udhs, chunks


def _tpdu_length(octets: bytes) -> int:
    if not octets:
        raise PduError("empty PDU", expected="an SMSC field and a TPDU", got="no octets", offset=0)
    smsc_field = 1 + octets[0]
    if smsc_field > len(octets):
        raise PduError(
            "SMSC field overruns the PDU",
            expected=f"at most {len(octets) - 1} octets of SMSC address",
            got=f"length octet {octets[0]}",
            offset=0,
        )
    return len(octets) - smsc_field


def _decode_with_length(data: bytes, has_smsc: bool | None, direction: Direction, length: int) -> SmsMessage:
    smsc_octets = len(data) - length
    if smsc_octets < 0:
        raise PduError(
            "declared TPDU length exceeds the PDU",
            expected=f"at most {len(data)} octets",
            got=f"length {length}",
        )
    present = smsc_octets > 0
    if has_smsc is not None and has_smsc != present:
        raise PduError(
            "declared TPDU length disagrees with has_smsc",
            expected="an SMSC field" if has_smsc else "no SMSC field",
            got=f"{smsc_octets} octet(s) before a {length}-octet TPDU",
        )
    if present and data[0] + 1 != smsc_octets:
        raise PduError(
            "SMSC field length disagrees with the declared TPDU length",
            expected=f"SMSC length octet {smsc_octets - 1}",
            got=f"{data[0]}",
            offset=0,
        )
    return decode_pdu_octets(data, has_smsc=present, direction=direction)
