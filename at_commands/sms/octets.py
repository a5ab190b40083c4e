"""Hex text in, octets out, with every failure pinned to an octet offset."""

from __future__ import annotations

import string

from .errors import PduError

_HEX_DIGITS = frozenset(string.hexdigits)


def parse_hex(text: str) -> bytes:
    """Decode a hex PDU string (either case; surrounding whitespace is ignored)."""
    cleaned = text.strip()
    if len(cleaned) % 2:
        raise PduError(
            "hex PDU has an odd number of digits",
            expected="an even number of hex digits",
            got=f"{len(cleaned)} digits",
            offset=len(cleaned) // 2,  # the octet left with one digit
        )
    for index, char in enumerate(cleaned):
        if char not in _HEX_DIGITS:
            raise PduError(
                "hex PDU contains a non-hex character",
                expected="0-9 or A-F",
                got=f"{char!r} at character {index}",
                offset=index // 2,
            )
    return bytes.fromhex(cleaned)


class OctetReader:
    """Sequential reader over a PDU; offsets count from the first octet of the whole PDU."""

    def __init__(self, data: bytes, start: int = 0) -> None:
        self._data = data
        self._pos = start

    @property
    def offset(self) -> int:
        return self._pos

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def read(self, count: int, field: str) -> bytes:
        if count > self.remaining:
            raise PduError(
                f"PDU truncated in {field}",
                expected=f"{count} octet(s)",
                got=f"{self.remaining} octet(s) left",
                offset=self._pos,
            )
        chunk = self._data[self._pos : self._pos + count]
        self._pos += count
        return chunk

    def read_byte(self, field: str) -> int:
        return self.read(1, field)[0]

    def expect_end(self, field: str) -> None:
        """Trailing octets mean the declared lengths and the real length disagree."""
        if self.remaining:
            raise PduError(
                f"PDU has octets after {field}",
                expected="end of PDU",
                got=f"{self.remaining} extra octet(s)",
                offset=self._pos,
            )
