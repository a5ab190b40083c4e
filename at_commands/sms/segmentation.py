"""Choosing an alphabet and cutting a message into parts that each fit 140 octets of user data.

A part never ends inside a GSM 7-bit escape sequence or a UTF-16 surrogate pair: both would turn
into garbage on the handset, and 23.040 forbids it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from .dcs import Encoding
from .errors import PduError
from .gsm7 import char_septets, encode_gsm7, is_gsm7
from .udh import InformationElement
from .user_data import MAX_SEPTETS, MAX_USER_DATA_OCTETS, header_septets

EncodingChoice = Literal["auto", "gsm7", "ucs2", "8bit"]

MAX_PARTS = 255
CONCAT_IE_OCTETS = {8: 5, 16: 6}  # IEI + IEL + data


def choose_encoding(content: str | bytes, choice: EncodingChoice) -> Encoding:
    """'auto': bytes -> 8-bit, text -> GSM7 when every character fits, else UCS2."""
    if isinstance(content, bytes):
        if choice not in ("auto", "8bit"):
            raise PduError(
                f"binary content cannot be sent as {choice}", expected="encoding 'auto' or '8bit'", got=choice
            )
        return Encoding.EIGHT_BIT
    if choice == "8bit":
        raise PduError("8-bit messages carry bytes", expected="bytes content", got="str")
    if choice == "gsm7":
        encode_gsm7(content)  # raises UnencodableCharacterError naming the first misfit
        return Encoding.GSM7
    if choice == "ucs2":
        return Encoding.UCS2
    if choice != "auto":
        raise PduError("unknown encoding", expected="'auto', 'gsm7', 'ucs2' or '8bit'", got=repr(choice))
    return Encoding.GSM7 if is_gsm7(content) else Encoding.UCS2


def header_octets(elements: Sequence[InformationElement], *, concat_bits: int | None) -> int:
    """Octets of a UDH (UDHL included) holding `elements`, plus a concat IE when concat_bits is set."""
    body = sum(2 + len(element.data) for element in elements)
    if concat_bits is not None:
        body += CONCAT_IE_OCTETS[concat_bits]
    return 1 + body if body else 0


def capacity(encoding: Encoding, udh_octets: int) -> int:
    """Units that fit next to a UDH: septets (GSM7), UTF-16 code units (UCS2) or octets (8-bit)."""
    if encoding == Encoding.GSM7:
        return MAX_SEPTETS - header_septets(udh_octets)
    if encoding == Encoding.UCS2:
        return (MAX_USER_DATA_OCTETS - udh_octets) // 2
    return MAX_USER_DATA_OCTETS - udh_octets


def _cost(char: str, encoding: Encoding) -> int:
    if encoding == Encoding.GSM7:
        septets = char_septets(char)
        assert septets is not None  # choose_encoding has checked every character
        return len(septets)
    return 2 if ord(char) > 0xFFFF else 1


def total_units(content: str | bytes, encoding: Encoding) -> int:
    if isinstance(content, bytes):
        return len(content)
    return sum(_cost(char, encoding) for char in content)


def split_content(
    content: str | bytes,
    encoding: Encoding,
    elements: Sequence[InformationElement] = (),
    *,
    concat_bits: int = 8,
) -> list[str | bytes]:
    """One chunk when the content fits a single message, else chunks sized for a concat UDH."""
    single = capacity(encoding, header_octets(elements, concat_bits=None))
    if total_units(content, encoding) <= single:
        return [content]
    per_part = capacity(encoding, header_octets(elements, concat_bits=concat_bits))
    if per_part <= 1:
        raise PduError(
            "user data header leaves no room for text",
            expected="a header of at most a few IEs",
            got=f"{per_part} unit(s) of room per part",
        )
    if isinstance(content, bytes):
        pieces: list[str | bytes] = [content[i : i + per_part] for i in range(0, len(content), per_part)]
        _check_part_count(len(pieces))
        return pieces
    chunks: list[str | bytes] = []
    start = 0
    used = 0
    for index, char in enumerate(content):
        cost = _cost(char, encoding)
        if used + cost > per_part:
            chunks.append(content[start:index])
            start, used = index, 0
        used += cost
    chunks.append(content[start:])
    _check_part_count(len(chunks))
    return chunks


def _check_part_count(count: int) -> None:
    if count > MAX_PARTS:
        raise PduError("message too long", expected=f"at most {MAX_PARTS} parts", got=f"{count} parts")
