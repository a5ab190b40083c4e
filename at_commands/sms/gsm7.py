"""GSM 03.38 / 3GPP TS 23.038 default alphabet: characters <-> septets <-> packed octets.

Septets are ints 0-127. An extension-table character is two septets, ESC (0x1B) then its code, and
so costs two units of the 160-septet budget.
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import PduError, UnencodableCharacterError

ESCAPE = 0x1B

# Index = septet value. 0x1B is the escape to the extension table; decoding a lone escape shows a
# space, as 23.038 asks of receivers without a further extension table.
DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

EXTENSION_TABLE: dict[int, str] = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

_DEFAULT_CODES = {char: code for code, char in enumerate(DEFAULT_ALPHABET) if code != ESCAPE}
_EXTENSION_CODES = {char: code for code, char in EXTENSION_TABLE.items()}

_ALPHABET_NAME = "GSM 7-bit default alphabet or its extension table"


def char_septets(char: str) -> tuple[int, ...] | None:
    """The septets for one character, or None when the alphabet lacks it."""
    code = _DEFAULT_CODES.get(char)
    if code is not None:
        return (code,)
    ext = _EXTENSION_CODES.get(char)
    if ext is not None:
        return (ESCAPE, ext)
    return None


def is_gsm7(text: str) -> bool:
    """True when every character of `text` can be sent in the GSM 7-bit alphabet."""
    return all(char in _DEFAULT_CODES or char in _EXTENSION_CODES for char in text)


def septet_count(text: str) -> int:
    """How many septets `text` takes (extension characters count twice)."""
    return len(encode_gsm7(text))


def encode_gsm7(text: str) -> list[int]:
    """Characters to septets; raises UnencodableCharacterError naming the first misfit."""
    septets: list[int] = []
    for index, char in enumerate(text):
        codes = char_septets(char)
        if codes is None:
            raise UnencodableCharacterError(char, index, _ALPHABET_NAME)
        septets.extend(codes)
    return septets


def decode_gsm7(septets: Sequence[int]) -> str:
    """Septets to characters, resolving escape sequences."""
    chars: list[str] = []
    escaped = False
    for index, septet in enumerate(septets):
        if not 0 <= septet <= 0x7F:
            raise PduError("septet out of range", expected="0..127", got=f"{septet} at septet index {index}")
        if escaped:
            # 23.038: an escape code with no extension character shows the default-table one;
            # ESC ESC is reserved for a further table we do not have, shown as a space.
            fallback = " " if septet == ESCAPE else DEFAULT_ALPHABET[septet]
            chars.append(EXTENSION_TABLE.get(septet, fallback))
            escaped = False
        elif septet == ESCAPE:
            escaped = True
        else:
            chars.append(DEFAULT_ALPHABET[septet])
    if escaped:
        chars.append(" ")
    return "".join(chars)


def packed_length(septet_count: int, fill_bits: int = 0) -> int:
    """Octets needed for `septet_count` septets after `fill_bits` leading zero bits."""
    return (fill_bits + 7 * septet_count + 7) // 8


def pack_septets(septets: Sequence[int], fill_bits: int = 0) -> bytes:
    """Pack septets into octets LSB-first, after `fill_bits` zero bits (0-6, used after a UDH)."""
    _check_fill_bits(fill_bits)
    accumulator = 0
    for index, septet in enumerate(septets):
        if not 0 <= septet <= 0x7F:
            raise PduError("septet out of range", expected="0..127", got=f"{septet} at septet index {index}")
        accumulator |= septet << (fill_bits + 7 * index)
    return accumulator.to_bytes(packed_length(len(septets), fill_bits), "little")


def unpack_septets(data: bytes, count: int, fill_bits: int = 0) -> list[int]:
    """Take `count` septets out of packed `data`, skipping `fill_bits` leading bits."""
    _check_fill_bits(fill_bits)
    if count < 0:
        raise PduError("negative septet count", expected="a count >= 0", got=str(count))
    needed = packed_length(count, fill_bits)
    if len(data) < needed:
        raise PduError(
            "packed GSM 7-bit data too short",
            expected=f"{needed} octet(s) for {count} septet(s)",
            got=f"{len(data)} octet(s)",
        )
    accumulator = int.from_bytes(data[:needed], "little") >> fill_bits
    return [(accumulator >> (7 * index)) & 0x7F for index in range(count)]


def _check_fill_bits(fill_bits: int) -> None:
    if not 0 <= fill_bits <= 6:
        raise PduError("fill bits out of range", expected="0..6", got=str(fill_bits))
