"""TP-DCS, the data coding scheme octet (3GPP TS 23.038 §4): which alphabet, which message class.

Receivers must cope with every coding group, so decoding covers all of them; building a DCS uses
the general group (00xx), the form modems and SCs send.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import PduError


class Encoding(StrEnum):
    GSM7 = "gsm7"
    EIGHT_BIT = "8bit"
    UCS2 = "ucs2"


_ALPHABET_BITS = {Encoding.GSM7: 0b00, Encoding.EIGHT_BIT: 0b01, Encoding.UCS2: 0b10}
_GENERAL_ALPHABETS = (Encoding.GSM7, Encoding.EIGHT_BIT, Encoding.UCS2, Encoding.GSM7)  # 11: reserved
_CLASS_MEANINGFUL = 0x10
_COMPRESSED = 0x20


@dataclass(frozen=True)
class DataCoding:
    """One TP-DCS octet, with its meaning worked out."""

    value: int

    def __post_init__(self) -> None:
        if not 0 <= self.value <= 0xFF:
            raise PduError("DCS out of range", expected="0x00..0xFF", got=str(self.value))

    @classmethod
    def build(cls, encoding: Encoding, message_class: int | None = None) -> DataCoding:
        """General-group DCS: 0x00 GSM7, 0x04 8-bit, 0x08 UCS2; a class sets bit 4 (0x10 = flash)."""
        value = _ALPHABET_BITS[encoding] << 2
        if message_class is not None:
            if not 0 <= message_class <= 3:
                raise PduError("message class out of range", expected="0..3", got=str(message_class))
            value |= _CLASS_MEANINGFUL | message_class
        return cls(value)

    @property
    def group(self) -> int:
        return self.value >> 4

    @property
    def _is_general(self) -> bool:
        # 00xx general data coding, 01xx the same layout marked for automatic deletion.
        return self.group <= 0b0111

    @property
    def encoding(self) -> Encoding:
        if self._is_general:
            return _GENERAL_ALPHABETS[(self.value >> 2) & 0b11]
        if self.group == 0b1111:
            return Encoding.EIGHT_BIT if self.value & 0x04 else Encoding.GSM7
        if self.group == 0b1110:
            return Encoding.UCS2  # message waiting indication, store message, UCS2
        # 1100/1101 message waiting (GSM7); 1000-1011 reserved, which 23.038 reads as GSM7.
        return Encoding.GSM7

    @property
    def message_class(self) -> int | None:
        if self._is_general:
            return self.value & 0b11 if self.value & _CLASS_MEANINGFUL else None
        if self.group == 0b1111:
            return self.value & 0b11
        return None

    @property
    def compressed(self) -> bool:
        return self._is_general and bool(self.value & _COMPRESSED)

    @property
    def auto_delete(self) -> bool:
        return 0b0100 <= self.group <= 0b0111

    @property
    def message_waiting(self) -> bool:
        return 0b1100 <= self.group <= 0b1110
