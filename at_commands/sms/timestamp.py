"""TP-SCTS / TP-DT / absolute TP-VP: seven swapped-BCD octets YY MM DD hh mm ss TZ (23.040 §9.2.3.11).

TZ counts quarter hours from UTC; bit 3 of the octet (the tens nibble, before the swap) is the sign.
The field has whole-second resolution and a two-digit year, read as 20YY.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .errors import PduError
from .octets import OctetReader
from .semi_octets import decode_decimal, encode_decimal

TIMESTAMP_LENGTH = 7
_SIGN_BIT = 0x08
_QUARTER_HOUR = 15 * 60
_MAX_QUARTERS = 79  # two BCD digits with the sign in the tens nibble's top bit


def normalize_timestamp(moment: datetime) -> datetime:
    """What survives a trip through the field: whole seconds, a fixed-offset zone."""
    offset = _offset(moment)
    return moment.astimezone(timezone(offset)).replace(microsecond=0)


def encode_timestamp(moment: datetime) -> bytes:
    offset = _offset(moment)
    if not 2000 <= moment.year <= 2099:
        raise PduError("timestamp year out of range", expected="2000..2099", got=str(moment.year))
    seconds = int(offset.total_seconds())
    quarters = abs(seconds) // _QUARTER_HOUR
    zone = encode_decimal(quarters) | (_SIGN_BIT if seconds < 0 else 0)
    fields = (moment.year % 100, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    return bytes(encode_decimal(value) for value in fields) + bytes([zone])


def decode_timestamp(reader: OctetReader, field: str) -> datetime:
    start = reader.offset
    raw = reader.read(TIMESTAMP_LENGTH, field)
    year, month, day, hour, minute, second = (
        decode_decimal(octet, offset=start + index, field=field) for index, octet in enumerate(raw[:6])
    )
    zone = raw[6]
    quarters = decode_decimal(zone & ~_SIGN_BIT, offset=start + 6, field=f"{field} time zone")
    offset = timedelta(seconds=quarters * _QUARTER_HOUR)
    if zone & _SIGN_BIT:
        offset = -offset
    try:
        return datetime(2000 + year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError as exc:
        raise PduError(
            f"{field} is not a real date/time",
            expected="a valid calendar date and time",
            got=f"{raw.hex().upper()} ({exc})",
            offset=start,
        ) from exc


def _offset(moment: datetime) -> timedelta:
    offset = moment.utcoffset()
    if offset is None:
        raise PduError(
            "timestamp must be timezone-aware",
            expected="a datetime with tzinfo",
            got=moment.isoformat(),
        )
    seconds = int(offset.total_seconds())
    if seconds % _QUARTER_HOUR or offset.microseconds:
        raise PduError(
            "time zone offset is not a whole number of quarter hours", expected="n × 15 min", got=str(offset)
        )
    if abs(seconds) // _QUARTER_HOUR > _MAX_QUARTERS:
        raise PduError(
            "time zone offset too large", expected=f"at most {_MAX_QUARTERS} quarter hours", got=str(offset)
        )
    return offset
