"""Swapped-nibble BCD as SIM files store digits: first digit in the low nibble, 0xF as filler."""

from __future__ import annotations

from .errors import SimDataError

FILLER = 0xF


def nibbles_of(data: bytes) -> list[int]:
    """Nibbles in digit order (low nibble of each octet first)."""
    return [nibble for octet in data for nibble in (octet & 0x0F, octet >> 4)]


def digits_from_swapped(data: bytes, *, where: str) -> str:
    """Decimal digits up to the first filler; anything after the filler must be filler too."""
    nibbles = nibbles_of(data)
    end = nibbles.index(FILLER) if FILLER in nibbles else len(nibbles)
    for position, nibble in enumerate(nibbles):
        if position < end and nibble > 9:
            raise SimDataError(
                "non-decimal BCD digit",
                expected="nibbles 0-9, then F filler",
                got=f"0x{nibble:X} as digit {position + 1} of {data.hex().upper()}",
                where=where,
            )
        if position >= end and nibble != FILLER:
            raise SimDataError(
                "digit after the F filler",
                expected="only F after the first F",
                got=f"0x{nibble:X} at nibble {position + 1} of {data.hex().upper()}",
                where=where,
            )
    return "".join(str(n) for n in nibbles[:end])


def swapped_from_digits(digits: str, octets: int, *, where: str) -> bytes:
    """Digits into `octets` octets of swapped BCD, padded with F."""
    require_digits(digits, where=where)
    if len(digits) > 2 * octets:
        raise SimDataError(
            "too many digits for the field",
            expected=f"at most {2 * octets}",
            got=f"{len(digits)} ({digits})",
            where=where,
        )
    nibbles = [int(d) for d in digits] + [FILLER] * (2 * octets - len(digits))
    return bytes(nibbles[i] | (nibbles[i + 1] << 4) for i in range(0, len(nibbles), 2))


def require_digits(digits: str, *, where: str) -> None:
    for index, char in enumerate(digits):
        if not "0" <= char <= "9":
            raise SimDataError(
                "not a decimal digit",
                expected="0-9 only",
                got=f"{char!r} at index {index} of {digits!r}",
                where=where,
            )
