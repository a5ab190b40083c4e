"""float32 values as the shortest decimal that round-trips, as 1NCE OS prints them."""

from __future__ import annotations

import math
import struct
from decimal import Decimal

_F32 = struct.Struct("<f")
_F32_MANTISSA = 0x7FFFFF
_MAX_DIGITS = 9  # 9 significant digits always round-trip a float32


def round_to_float32(value: float) -> float | None:
    """The float32 nearest to value (as a Python float), or None when it would overflow."""
    try:
        return float(_F32.unpack(_F32.pack(value))[0])
    except OverflowError:
        return None


def _round_trips(text: str, target: float) -> bool:
    return round_to_float32(float(text)) == target


def shortest_float32(value: float) -> float:
    """The float with the fewest significant digits that rounds to the same float32 as value.

    value must already be a float32 (e.g. unpacked with struct "f"); NaN and infinities are
    returned unchanged.
    """
    if value == 0.0 or not math.isfinite(value):
        return value
    low, high = 1, _MAX_DIGITS
    while low < high:  # more digits never stop round-tripping, so bisect on the digit count
        middle = (low + high) // 2
        if _round_trips(f"{value:.{middle}g}", value):
            high = middle
        else:
            low = middle + 1
    best = f"{value:.{low}g}"
    if low > 1 and (_bits(value) & _F32_MANTISSA) == 0:
        best = _shorter_at_power_of_two(value, low - 1) or best
    return float(best)


def _bits(value: float) -> int:
    return int.from_bytes(_F32.pack(value), "little")


def _shorter_at_power_of_two(value: float, digits: int) -> str | None:
    """At a power of two the rounding interval is lopsided: the nearest `digits`-digit decimal
    may miss it while its upper neighbour still lands inside."""
    nearest = Decimal(f"{value:.{digits - 1}e}")
    step = Decimal(1).scaleb(nearest.adjusted() - (digits - 1))
    for candidate in (nearest + step, nearest - step):
        text = f"{candidate:.{digits}g}"
        if _round_trips(text, value):
            return text
    return None
