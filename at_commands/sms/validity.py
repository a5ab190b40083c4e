"""TP-VP in an SMS-SUBMIT: relative (1 octet), absolute (7, SCTS form) or enhanced (7) (23.040 §9.2.3.12).

A relative period is given as a timedelta, an absolute one as an aware datetime, an enhanced one as
EnhancedValidity. The TP-VPF bits of the first octet say which form follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from .errors import PduError
from .octets import OctetReader
from .semi_octets import decode_decimal, encode_decimal
from .timestamp import decode_timestamp, encode_timestamp, normalize_timestamp

ENHANCED_LENGTH = 7
_SINGLE_SHOT = 0x40
_EXTENSION = 0x80
_MAX_SECONDS = 255
_MAX_HHMMSS = timedelta(hours=99, minutes=59, seconds=59)


class ValidityFormat(IntEnum):
    """TP-VPF, bits 4-3 of the SUBMIT first octet."""

    NONE = 0b00
    ENHANCED = 0b01
    RELATIVE = 0b10
    ABSOLUTE = 0b11


class EnhancedFormat(IntEnum):
    """Bits 2-0 of the enhanced TP-VP functionality indicator."""

    NONE = 0b000  # no validity period specified
    RELATIVE = 0b001  # next octet as a relative TP-VP
    SECONDS = 0b010  # next octet: 0-255 seconds
    HHMMSS = 0b011  # next three octets: semi-octet hours, minutes, seconds


@dataclass(frozen=True)
class EnhancedValidity:
    format: EnhancedFormat
    period: timedelta | None = None  # None exactly when format is NONE
    single_shot: bool = False
    # Further functionality-indicator octets (extension bit set); their meaning is reserved.
    extensions: bytes = b""

    def __post_init__(self) -> None:
        if (self.format == EnhancedFormat.NONE) != (self.period is None):
            raise PduError(
                "enhanced validity period and format disagree",
                expected="a period exactly when the format is not NONE",
                got=f"format {self.format.name}, period {self.period}",
            )
        if any(octet & _EXTENSION for octet in self.extensions):
            raise PduError(
                "enhanced validity extension octets carry 7 bits",
                expected="values 0x00..0x7F (the top bit is the extension flag)",
                got=self.extensions.hex().upper(),
            )
        if len(self.extensions) > ENHANCED_LENGTH - 2:
            raise PduError(
                "too many enhanced validity extension octets",
                expected=f"at most {ENHANCED_LENGTH - 2}",
                got=str(len(self.extensions)),
            )


Validity = timedelta | datetime | EnhancedValidity


def relative_duration(value: int) -> timedelta:
    """The period one relative TP-VP octet stands for."""
    if value <= 143:
        return timedelta(minutes=5 * (value + 1))
    if value <= 167:
        return timedelta(hours=12, minutes=30 * (value - 143))
    if value <= 196:
        return timedelta(days=value - 166)
    return timedelta(weeks=value - 192)


_RELATIVE_STEPS = tuple(relative_duration(value) for value in range(256))


def relative_octet(period: timedelta) -> int:
    """The smallest relative TP-VP that lasts at least `period` (a message never expires early)."""
    if period <= timedelta(0):
        raise PduError("validity period must be positive", expected="> 0", got=str(period))
    for value, duration in enumerate(_RELATIVE_STEPS):
        if duration >= period:
            return value
    raise PduError(
        "validity period too long for a relative TP-VP",
        expected=f"at most {_RELATIVE_STEPS[-1]}",
        got=str(period),
    )


def validity_format(validity: Validity | None) -> ValidityFormat:
    if validity is None:
        return ValidityFormat.NONE
    if isinstance(validity, EnhancedValidity):
        return ValidityFormat.ENHANCED
    if isinstance(validity, datetime):
        return ValidityFormat.ABSOLUTE
    if isinstance(validity, timedelta):
        return ValidityFormat.RELATIVE
    raise PduError(
        "unsupported validity period",
        expected="timedelta (relative), datetime (absolute) or EnhancedValidity",
        got=type(validity).__name__,
    )


def normalize_validity(validity: Validity | None) -> Validity | None:
    """What the field will hold: relative periods rounded up to a representable step."""
    if isinstance(validity, timedelta):
        return _RELATIVE_STEPS[relative_octet(validity)]
    if isinstance(validity, datetime):
        return normalize_timestamp(validity)
    return validity


def encode_validity(validity: Validity | None) -> bytes:
    if validity is None:
        return b""
    if isinstance(validity, EnhancedValidity):
        return _encode_enhanced(validity)
    if isinstance(validity, datetime):
        return encode_timestamp(validity)
    return bytes([relative_octet(validity)])


def decode_validity(reader: OctetReader, vpf: ValidityFormat) -> Validity | None:
    if vpf == ValidityFormat.NONE:
        return None
    if vpf == ValidityFormat.RELATIVE:
        return relative_duration(reader.read_byte("TP-VP (relative)"))
    if vpf == ValidityFormat.ABSOLUTE:
        return decode_timestamp(reader, "TP-VP (absolute)")
    return _decode_enhanced(reader)


def _encode_enhanced(validity: EnhancedValidity) -> bytes:
    indicator = validity.format | (_SINGLE_SHOT if validity.single_shot else 0)
    if validity.extensions:
        indicator |= _EXTENSION
    # Every functionality-indicator octet but the last flags that another one follows.
    head = [octet | _EXTENSION for octet in validity.extensions[:-1]] + list(validity.extensions[-1:])
    value = _enhanced_value(validity)
    octets = bytes([indicator, *head]) + value
    if len(octets) > ENHANCED_LENGTH:
        raise PduError(
            "enhanced validity period does not fit",
            expected=f"{ENHANCED_LENGTH} octets",
            got=f"{len(octets)} octets",
        )
    return octets.ljust(ENHANCED_LENGTH, b"\x00")


def _enhanced_value(validity: EnhancedValidity) -> bytes:
    period = validity.period
    if period is None:
        return b""
    if validity.format == EnhancedFormat.RELATIVE:
        value = relative_octet(period)
        if _RELATIVE_STEPS[value] != period:
            raise PduError(
                "enhanced relative validity period is not a TP-VP step",
                expected=f"a step such as {_RELATIVE_STEPS[value]}",
                got=str(period),
            )
        return bytes([value])
    seconds = period.total_seconds()
    if seconds != int(seconds) or seconds < 0:
        raise PduError("validity period must be whole seconds", expected="n seconds >= 0", got=str(period))
    whole = int(seconds)
    if validity.format == EnhancedFormat.SECONDS:
        if whole > _MAX_SECONDS:
            raise PduError("validity period too long", expected=f"0..{_MAX_SECONDS} s", got=f"{whole} s")
        return bytes([whole])
    if period > _MAX_HHMMSS:
        raise PduError("validity period too long", expected=f"at most {_MAX_HHMMSS}", got=str(period))
    hours, rest = divmod(whole, 3600)
    return bytes(encode_decimal(value) for value in (hours, *divmod(rest, 60)))


def _decode_enhanced(reader: OctetReader) -> EnhancedValidity:
    start = reader.offset
    raw = reader.read(ENHANCED_LENGTH, "TP-VP (enhanced)")
    indicator = raw[0]
    position = 1
    extensions: list[int] = []
    octet = indicator
    while octet & _EXTENSION:
        if position >= ENHANCED_LENGTH:
            raise PduError(
                "enhanced TP-VP extension octets run past the field",
                expected=f"at most {ENHANCED_LENGTH} octets",
                got="extension bit set on every octet",
                offset=start,
            )
        octet = raw[position]
        extensions.append(octet & 0x7F)
        position += 1
    code = indicator & 0x07
    if code > max(EnhancedFormat):
        raise PduError(
            "reserved enhanced TP-VP format",
            expected="format 0-3",
            got=str(code),
            offset=start,
        )
    fmt = EnhancedFormat(code)
    value = raw[position:]
    period: timedelta | None = None
    if fmt == EnhancedFormat.RELATIVE:
        _need(value, 1, start + position)
        period = relative_duration(value[0])
    elif fmt == EnhancedFormat.SECONDS:
        _need(value, 1, start + position)
        period = timedelta(seconds=value[0])
    elif fmt == EnhancedFormat.HHMMSS:
        _need(value, 3, start + position)
        hours, minutes, seconds = (
            decode_decimal(value[i], offset=start + position + i, field="TP-VP (enhanced)") for i in range(3)
        )
        period = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return EnhancedValidity(
        format=fmt,
        period=period,
        single_shot=bool(indicator & _SINGLE_SHOT),
        extensions=bytes(extensions),
    )


def _need(value: bytes, count: int, offset: int) -> None:
    if len(value) < count:
        raise PduError(
            "enhanced TP-VP value does not fit after its extension octets",
            expected=f"{count} octet(s)",
            got=f"{len(value)}",
            offset=offset,
        )
