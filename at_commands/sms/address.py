"""Addresses: TP-DA / TP-OA / TP-RA (length in semi-octets) and the SMSC field (length in octets).

23.040 §9.1.2.5 and 24.011 §8.2.5.2. The type-of-address octet is `1 TTT NNNN`: 0x91 international,
0x81 unknown, 0xA1 national, 0xD0 alphanumeric (GSM 7-bit packed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from .errors import PduError
from .gsm7 import decode_gsm7, encode_gsm7, pack_septets, unpack_septets
from .octets import OctetReader
from .semi_octets import ADDRESS_DIGITS, FILLER, decode_address_digits, encode_address_digits


class TypeOfNumber(IntEnum):
    UNKNOWN = 0
    INTERNATIONAL = 1
    NATIONAL = 2
    NETWORK_SPECIFIC = 3
    SUBSCRIBER = 4
    ALPHANUMERIC = 5
    ABBREVIATED = 6
    RESERVED = 7


NPI_UNKNOWN = 0
NPI_ISDN = 1  # E.164, the plan of every phone number

MAX_DIGITS = 20  # TP-DA/OA/RA: 2-12 octets, so at most 10 octets of semi-octets
MAX_ALPHANUMERIC_SEPTETS = 11  # 20 semi-octets = 80 bits hold 11 septets
MAX_SMSC_LENGTH = 11  # octets after the length octet: TOA + 10 octets of digits

_NUMERIC = re.compile(r"\+?[0-9*#]+")


@dataclass(frozen=True)
class Address:
    """A phone number (digits, no '+') or an alphanumeric sender, with its type of address."""

    value: str
    ton: TypeOfNumber = TypeOfNumber.UNKNOWN
    npi: int = NPI_ISDN

    def __post_init__(self) -> None:
        if not 0 <= self.npi <= 0x0F:
            raise PduError("numbering plan out of range", expected="0..15", got=str(self.npi))
        if self.ton == TypeOfNumber.ALPHANUMERIC:
            septets = len(encode_gsm7(self.value))
            if septets > MAX_ALPHANUMERIC_SEPTETS:
                raise PduError(
                    "alphanumeric address too long",
                    expected=f"at most {MAX_ALPHANUMERIC_SEPTETS} septets",
                    got=f"{septets} for {self.value!r}",
                )
            return
        bad = next((c for c in self.value if c not in ADDRESS_DIGITS), None)
        if bad is not None:
            raise PduError(
                "address has a character that is not a semi-octet digit",
                expected=f"only {ADDRESS_DIGITS!r}",
                got=f"{bad!r} in {self.value!r}",
            )
        if len(self.value) > MAX_DIGITS:
            raise PduError(
                "address has too many digits",
                expected=f"at most {MAX_DIGITS}",
                got=f"{len(self.value)} in {self.value!r}",
            )

    @classmethod
    def parse(cls, text: str) -> Address:
        """'+27820001111' -> international, '0821234567' -> unknown, 'ACME' -> alphanumeric.

        Text with no letter, or starting with '+', must be a clean number: '+49 170 1234567' is
        refused rather than silently sent to an alphanumeric address.
        """
        if not text:
            raise PduError("empty address", expected="a phone number or alphanumeric name", got="''")
        if _NUMERIC.fullmatch(text):
            if text.startswith("+"):
                return cls(text[1:], TypeOfNumber.INTERNATIONAL)
            return cls(text, TypeOfNumber.UNKNOWN)
        if text.startswith("+") or not any(char.isalpha() for char in text):
            bad = next((c for c in text.removeprefix("+") if not (c.isdigit() or c in "*#")), None)
            raise PduError(
                "not a phone number",
                expected="'+' then digits, '*' or '#' (no spaces or dashes)",
                got=f"{bad!r} in {text!r}" if bad else repr(text),
            )
        return cls.alphanumeric(text)

    @classmethod
    def international(cls, digits: str) -> Address:
        return cls(digits.removeprefix("+"), TypeOfNumber.INTERNATIONAL)

    @classmethod
    def national(cls, digits: str) -> Address:
        return cls(digits, TypeOfNumber.NATIONAL)

    @classmethod
    def alphanumeric(cls, text: str) -> Address:
        return cls(text, TypeOfNumber.ALPHANUMERIC, NPI_UNKNOWN)

    @classmethod
    def from_toa(cls, value: str, toa: int) -> Address:
        return cls(value, TypeOfNumber((toa >> 4) & 0x07), toa & 0x0F)

    @property
    def toa(self) -> int:
        """The type-of-address octet (also the <toda>/<tosca> integer of 27.005: 145, 129, ...)."""
        return 0x80 | (self.ton << 4) | self.npi

    @property
    def number(self) -> str:
        """As people write it: '+' in front of international numbers."""
        return f"+{self.value}" if self.ton == TypeOfNumber.INTERNATIONAL else self.value

    @property
    def is_alphanumeric(self) -> bool:
        return self.ton == TypeOfNumber.ALPHANUMERIC

    def __str__(self) -> str:
        return self.number


def as_address(value: str | Address) -> Address:
    return value if isinstance(value, Address) else Address.parse(value)


def encode_tp_address(address: Address) -> bytes:
    """Length (semi-octets) + TOA + digits or packed text."""
    if address.is_alphanumeric:
        septets = encode_gsm7(address.value)
        body = pack_septets(septets)
        semi_octets = (len(septets) * 7 + 3) // 4
    else:
        body = encode_address_digits(address.value)
        semi_octets = len(address.value)
    return bytes([semi_octets, address.toa]) + body


def decode_tp_address(reader: OctetReader, field: str) -> Address:
    start = reader.offset
    semi_octets = reader.read_byte(f"{field} length")
    if semi_octets > MAX_DIGITS:
        raise PduError(
            f"{field} length too large",
            expected=f"at most {MAX_DIGITS} semi-octets",
            got=str(semi_octets),
            offset=start,
        )
    toa = reader.read_byte(f"{field} type of address")
    body = reader.read((semi_octets + 1) // 2, field)
    if (toa >> 4) & 0x07 == TypeOfNumber.ALPHANUMERIC:
        text = decode_gsm7(unpack_septets(body, semi_octets * 4 // 7))
        return Address.from_toa(text, toa)
    digits = decode_address_digits(body, semi_octets, offset=start + 2, field=field)
    return Address.from_toa(digits, toa)


def encode_smsc(address: Address | None) -> bytes:
    """The 27.005 SMSC prefix: 00 when absent (the modem then uses AT+CSCA)."""
    if address is None:
        return b"\x00"
    if address.is_alphanumeric:
        raise PduError("SMSC address cannot be alphanumeric", expected="digits", got=address.value)
    body = encode_address_digits(address.value)
    return bytes([1 + len(body), address.toa]) + body


def decode_smsc(reader: OctetReader) -> Address | None:
    start = reader.offset
    length = reader.read_byte("SMSC length")
    if length == 0:
        return None
    if length > MAX_SMSC_LENGTH:
        raise PduError(
            "SMSC length too large",
            expected=f"0..{MAX_SMSC_LENGTH} octets",
            got=str(length),
            offset=start,
        )
    field = reader.read(length, "SMSC address")
    toa, body = field[0], field[1:]
    if (toa >> 4) & 0x07 == TypeOfNumber.ALPHANUMERIC:
        raise PduError(
            "SMSC address cannot be alphanumeric",
            expected="a numeric type of address",
            got=f"0x{toa:02X}",
            offset=start + 1,
        )
    count = 2 * len(body)
    if body and body[-1] >> 4 == FILLER:
        count -= 1
    digits = decode_address_digits(body, count, offset=start + 2, field="SMSC address")
    return Address.from_toa(digits, toa)
