"""TP-UDH: the user data header of 23.040 §9.2.3.24, a UDHL octet then (IEI, IEL, data) elements.

Every element is kept raw, so nothing a sender put there is lost; the ones this toolkit acts on,
concatenation (IEI 00 and 08) and application ports (IEI 04 and 05), are also offered parsed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import PduError

IEI_CONCAT_8BIT = 0x00
IEI_PORTS_8BIT = 0x04
IEI_PORTS_16BIT = 0x05
IEI_CONCAT_16BIT = 0x08

MAX_UDH_LENGTH = 139  # UDHL octet + header must leave room in 140 octets of user data


@dataclass(frozen=True)
class InformationElement:
    iei: int
    data: bytes

    def __post_init__(self) -> None:
        if not 0 <= self.iei <= 0xFF:
            raise PduError("IEI out of range", expected="0..255", got=str(self.iei))
        if len(self.data) > 0xFF:
            raise PduError("IE data too long", expected="at most 255 octets", got=str(len(self.data)))

    def encode(self) -> bytes:
        return bytes([self.iei, len(self.data)]) + self.data


@dataclass(frozen=True)
class ConcatInfo:
    """Which part of a concatenated message this is; `sequence` counts from 1."""

    reference: int
    total: int
    sequence: int
    reference_bits: int = 8

    def __post_init__(self) -> None:
        if self.reference_bits not in (8, 16):
            raise PduError("concat reference width", expected="8 or 16 bits", got=str(self.reference_bits))
        if not 0 <= self.reference < 1 << self.reference_bits:
            raise PduError(
                "concat reference out of range",
                expected=f"0..{(1 << self.reference_bits) - 1}",
                got=str(self.reference),
            )
        if not 1 <= self.total <= 255:
            raise PduError("concat part count out of range", expected="1..255", got=str(self.total))
        if not 1 <= self.sequence <= self.total:
            raise PduError(
                "concat sequence number out of range", expected=f"1..{self.total}", got=str(self.sequence)
            )

    def to_element(self) -> InformationElement:
        if self.reference_bits == 8:
            return InformationElement(IEI_CONCAT_8BIT, bytes([self.reference, self.total, self.sequence]))
        return InformationElement(
            IEI_CONCAT_16BIT, self.reference.to_bytes(2, "big") + bytes([self.total, self.sequence])
        )


@dataclass(frozen=True)
class PortAddressing:
    """Application port addressing (used by WAP push, OMA-DM, LwM2M over SMS)."""

    destination: int
    source: int
    bits: int = 16

    def to_element(self) -> InformationElement:
        if self.bits not in (8, 16):
            raise PduError("port width", expected="8 or 16 bits", got=str(self.bits))
        width = self.bits // 8
        limit = 1 << self.bits
        if not (0 <= self.destination < limit and 0 <= self.source < limit):
            raise PduError(
                "port out of range",
                expected=f"0..{limit - 1}",
                got=f"destination {self.destination}, source {self.source}",
            )
        iei = IEI_PORTS_8BIT if self.bits == 8 else IEI_PORTS_16BIT
        return InformationElement(
            iei, self.destination.to_bytes(width, "big") + self.source.to_bytes(width, "big")
        )


@dataclass(frozen=True)
class UserDataHeader:
    elements: tuple[InformationElement, ...] = ()

    @property
    def concat(self) -> ConcatInfo | None:
        """The first well-formed concatenation element; 23.040 says to ignore one with a bad sequence."""
        for element in self.elements:
            info = _concat_from(element)
            if info is not None:
                return info
        return None

    @property
    def ports(self) -> PortAddressing | None:
        for element in self.elements:
            if element.iei == IEI_PORTS_8BIT and len(element.data) == 2:
                return PortAddressing(element.data[0], element.data[1], bits=8)
            if element.iei == IEI_PORTS_16BIT and len(element.data) == 4:
                return PortAddressing(
                    int.from_bytes(element.data[:2], "big"), int.from_bytes(element.data[2:], "big"), bits=16
                )
        return None

    def without_concat(self) -> tuple[InformationElement, ...]:
        return tuple(e for e in self.elements if e.iei not in (IEI_CONCAT_8BIT, IEI_CONCAT_16BIT))

    def encode(self) -> bytes:
        body = b"".join(element.encode() for element in self.elements)
        if len(body) > MAX_UDH_LENGTH:
            raise PduError(
                "user data header too long", expected=f"at most {MAX_UDH_LENGTH} octets", got=str(len(body))
            )
        return bytes([len(body)]) + body

    @property
    def encoded_length(self) -> int:
        """Octets the header takes in the user data, UDHL octet included."""
        return 1 + sum(2 + len(element.data) for element in self.elements)


def decode_udh(user_data: bytes, offset: int) -> UserDataHeader:
    """Parse the header at the start of `user_data`; `offset` is where user_data sits in the PDU."""
    if not user_data:
        raise PduError(
            "user data header indicated but user data is empty",
            expected="a UDHL octet",
            got="no octets",
            offset=offset,
        )
    udhl = user_data[0]
    if udhl + 1 > len(user_data):
        raise PduError(
            "user data header length overruns the user data",
            expected=f"at most {len(user_data) - 1} octets",
            got=f"UDHL {udhl}",
            offset=offset,
        )
    elements: list[InformationElement] = []
    position = 1
    end = 1 + udhl
    while position < end:
        if position + 2 > end:
            raise PduError(
                "information element header cut off by UDHL",
                expected="IEI and IEL octets",
                got=f"{end - position} octet(s) left in the header",
                offset=offset + position,
            )
        iei, iel = user_data[position], user_data[position + 1]
        if position + 2 + iel > end:
            raise PduError(
                f"information element 0x{iei:02X} overruns the user data header",
                expected=f"at most {end - position - 2} data octets",
                got=f"IEL {iel}",
                offset=offset + position + 1,
            )
        elements.append(InformationElement(iei, user_data[position + 2 : position + 2 + iel]))
        position += 2 + iel
    return UserDataHeader(tuple(elements))


def _concat_from(element: InformationElement) -> ConcatInfo | None:
    data = element.data
    if element.iei == IEI_CONCAT_8BIT and len(data) == 3:
        reference, total, sequence, bits = data[0], data[1], data[2], 8
    elif element.iei == IEI_CONCAT_16BIT and len(data) == 4:
        reference, total, sequence, bits = int.from_bytes(data[:2], "big"), data[2], data[3], 16
    else:
        return None
    if not 1 <= sequence <= total:
        return None
    return ConcatInfo(reference, total, sequence, reference_bits=bits)
