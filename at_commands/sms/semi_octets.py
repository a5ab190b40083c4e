"""Semi-octet (swapped BCD) coding used by addresses and timestamps in 23.040.

The first digit sits in the low nibble of each octet, and an odd digit count is padded with 0xF.
Nibbles 0xA-0xE stand for '*', '#', 'a', 'b', 'c' in address fields (23.040 §9.1.2.3).
"""

from __future__ import annotations

from .errors import PduError

ADDRESS_DIGITS = "0123456789*#abc"
_NIBBLE_OF = {char: nibble for nibble, char in enumerate(ADDRESS_DIGITS)}
FILLER = 0xF


def encode_address_digits(digits: str) -> bytes:
    """'27820001111' -> 72 28 00 10 11 F1."""
    nibbles: list[int] = []
    for index, char in enumerate(digits):
        nibble = _NIBBLE_OF.get(char)
        if nibble is None:
            raise PduError(
                "address digit not encodable as a semi-octet",
                expected=f"one of {ADDRESS_DIGITS!r}",
                got=f"{char!r} at index {index}",
            )
        nibbles.append(nibble)
    if len(nibbles) % 2:
        nibbles.append(FILLER)
    return bytes(nibbles[i] | (nibbles[i + 1] << 4) for i in range(0, len(nibbles), 2))


def decode_address_digits(data: bytes, count: int, *, offset: int, field: str) -> str:
    """The first `count` digits of `data`; any pad nibble is ignored (some SCs pad with 0, not F)."""
    digits: list[str] = []
    for index in range(count):
        octet = data[index // 2]
        nibble = (octet >> 4) if index % 2 else (octet & 0x0F)
        if nibble == FILLER:
            raise PduError(
                f"bad BCD digit in {field}",
                expected="a digit nibble 0-E",
                got=f"filler F as digit {index + 1} of {count}",
                offset=offset + index // 2,
            )
        digits.append(ADDRESS_DIGITS[nibble])
    return "".join(digits)


def encode_decimal(value: int) -> int:
    """0..99 -> one swapped BCD octet (42 -> 0x24)."""
    if not 0 <= value <= 99:
        raise PduError("value does not fit two BCD digits", expected="0..99", got=str(value))
    return (value // 10) | ((value % 10) << 4)


def decode_decimal(octet: int, *, offset: int, field: str) -> int:
    """One swapped BCD octet -> 0..99 (0x24 -> 42)."""
    tens, units = octet & 0x0F, octet >> 4
    if tens > 9 or units > 9:
        raise PduError(
            f"bad BCD in {field}",
            expected="two decimal nibbles",
            got=f"0x{octet:02X}",
            offset=offset,
        )
    return tens * 10 + units
