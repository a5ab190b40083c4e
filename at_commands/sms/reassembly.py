"""Putting concatenated parts back together (23.040 §9.2.3.24.1).

Parts may arrive in any order and twice (a retransmission); they must share one reference, one
part count and one peer address, and every sequence number 1..total must be there.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import MissingPartError, ReassemblyError
from .messages import SmsDeliver, SmsSubmit
from .udh import ConcatInfo

Part = SmsDeliver | SmsSubmit


def reassemble(parts: Iterable[Part]) -> str:
    """The full text of a (possibly single-part) GSM7/UCS2 message."""
    texts = []
    for index, part in enumerate(ordered_parts(parts)):
        if part.text is None:
            raise ReassemblyError(
                "part carries octets, not text (use reassemble_data)",
                expected="GSM7 or UCS2 parts",
                got=f"{part.encoding} in part {index + 1}",
            )
        texts.append(part.text)
    # A sender that split a surrogate pair across parts leaves two lone halves; rejoin them.
    return "".join(texts).encode("utf-16-be", "surrogatepass").decode("utf-16-be", "surrogatepass")


def reassemble_data(parts: Iterable[Part]) -> bytes:
    """The full payload of a (possibly single-part) 8-bit message."""
    chunks = []
    for index, part in enumerate(ordered_parts(parts)):
        if part.data is None:
            raise ReassemblyError(
                "part carries text, not octets (use reassemble)",
                expected="8-bit parts",
                got=f"{part.encoding} in part {index + 1}",
            )
        chunks.append(part.data)
    return b"".join(chunks)


def ordered_parts(parts: Iterable[Part]) -> list[Part]:
    """The parts in sequence order, duplicates dropped; raises when they do not form one message."""
    items = list(parts)
    if not items:
        raise ReassemblyError("nothing to reassemble", expected="at least one part", got="no parts")
    if len(items) == 1 and items[0].concat is None:
        return items
    first = items[0]
    first_info = first.concat
    if first_info is None:
        raise ReassemblyError("part 1 given has no concatenation header", expected="a concat IE", got="none")
    by_sequence: dict[int, Part] = {}
    for position, part in enumerate(items, start=1):
        info = part.concat
        if info is None:
            raise ReassemblyError(
                f"part {position} given has no concatenation header", expected="a concat IE", got="none"
            )
        if type(part) is not type(first):
            raise ReassemblyError(
                f"part {position} given is a different message type",
                expected=type(first).__name__,
                got=type(part).__name__,
            )
        key = (info.reference, info.reference_bits, info.total)
        first_key = (first_info.reference, first_info.reference_bits, first_info.total)
        if key != first_key:
            raise ReassemblyError(
                f"part {position} given belongs to another message",
                expected=_describe(first_info),
                got=_describe(info),
            )
        if _peer(part) != _peer(first):
            raise ReassemblyError(
                f"part {position} given comes from another address",
                expected=_peer(first),
                got=_peer(part),
            )
        seen = by_sequence.get(info.sequence)
        if seen is not None and seen.user_data != part.user_data:
            raise ReassemblyError(
                f"two different parts claim sequence number {info.sequence}",
                expected="one content per sequence number",
                got=f"{seen.user_data!r} and {part.user_data!r}",
            )
        by_sequence[info.sequence] = part
    missing = tuple(seq for seq in range(1, first_info.total + 1) if seq not in by_sequence)
    if missing:
        raise MissingPartError(first_info.reference, first_info.total, missing)
    return [by_sequence[seq] for seq in range(1, first_info.total + 1)]


def _peer(part: Part) -> str:
    return part.originator.number if isinstance(part, SmsDeliver) else part.destination.number


def _describe(info: ConcatInfo) -> str:
    return f"ref {info.reference} ({info.reference_bits}-bit) of {info.total} parts"
