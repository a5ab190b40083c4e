"""Contents of the identity files: EF_ICCID (TS 102 221 §13.2), EF_IMSI and EF_AD (TS 31.102 §4.2.2, §4.2.18).

Decoders take what +CRSM READ BINARY returned; encoders give what a simulated SIM serves.
"""

from __future__ import annotations

from .bcd import FILLER, digits_from_swapped, nibbles_of, require_digits, swapped_from_digits
from .errors import SimDataError, require_size
from .imsi import MAX_LENGTH as IMSI_MAX_DIGITS
from .imsi import MIN_LENGTH as IMSI_MIN_DIGITS

EF_ICCID_SIZE = 10
EF_IMSI_SIZE = 9
EF_AD_SIZE = 4

_IMSI_TYPE = 0b001  # identity type nibble, bits 1-3
_ODD_PARITY = 0b1000  # bit 4: odd number of IMSI digits


def decode_ef_iccid(data: bytes) -> str:
    """10 octets of swapped BCD -> the ICCID digits (the F pad of a 19-digit ICCID dropped)."""
    require_size(data, EF_ICCID_SIZE, "EF_ICCID")
    digits = digits_from_swapped(data, where="EF_ICCID")
    if not digits:
        raise SimDataError(
            "EF_ICCID is empty", expected="ICCID digits", got=data.hex().upper(), where="EF_ICCID"
        )
    return digits


def encode_ef_iccid(iccid: str) -> bytes:
    if len(iccid) not in (19, 20):
        raise SimDataError("ICCID length", expected="19 or 20 digits", got=f"{len(iccid)} ({iccid!r})")
    return swapped_from_digits(iccid, EF_ICCID_SIZE, where="EF_ICCID")


def decode_ef_imsi(data: bytes) -> str | None:
    """Length octet, then parity/type nibble + digits in swapped BCD; None when not provisioned (all FF)."""
    require_size(data, EF_IMSI_SIZE, "EF_IMSI")
    if data == b"\xff" * EF_IMSI_SIZE:
        return None
    length = data[0]
    if not 1 <= length <= EF_IMSI_SIZE - 1:
        raise SimDataError(
            "EF_IMSI length octet", expected=f"1..{EF_IMSI_SIZE - 1}", got=str(length), where="EF_IMSI"
        )
    nibbles = nibbles_of(data[1 : 1 + length])
    type_nibble, digit_nibbles = nibbles[0], nibbles[1:]
    if type_nibble & 0b111 != _IMSI_TYPE:
        raise SimDataError(
            "EF_IMSI identity type",
            expected="nibble 9 (odd) or 1 (even)",
            got=f"0x{type_nibble:X}",
            where="EF_IMSI",
        )
    if digit_nibbles and digit_nibbles[-1] == FILLER:
        digit_nibbles = digit_nibbles[:-1]
    if any(nibble > 9 for nibble in digit_nibbles):
        raise SimDataError(
            "non-decimal IMSI digit", expected="BCD digits", got=data.hex().upper(), where="EF_IMSI"
        )
    digits = "".join(str(nibble) for nibble in digit_nibbles)
    odd = bool(type_nibble & _ODD_PARITY)
    if odd != (len(digits) % 2 == 1):
        raise SimDataError(
            "EF_IMSI parity disagrees with the digit count",
            expected=f"{'odd' if odd else 'even'} number of digits",
            got=f"{len(digits)} digits ({digits})",
            where="EF_IMSI",
        )
    return digits


def encode_ef_imsi(imsi: str) -> bytes:
    require_digits(imsi, where="EF_IMSI")
    if not IMSI_MIN_DIGITS <= len(imsi) <= IMSI_MAX_DIGITS:
        raise SimDataError(
            "IMSI length", expected=f"{IMSI_MIN_DIGITS}-{IMSI_MAX_DIGITS} digits", got=f"{len(imsi)} ({imsi})"
        )
    type_nibble = _IMSI_TYPE | (_ODD_PARITY if len(imsi) % 2 else 0)
    nibbles = [type_nibble, *(int(d) for d in imsi)]
    if len(nibbles) % 2:
        nibbles.append(FILLER)
    body = bytes(nibbles[i] | (nibbles[i + 1] << 4) for i in range(0, len(nibbles), 2))
    return (bytes([len(body)]) + body).ljust(EF_IMSI_SIZE, b"\xff")


def decode_ef_ad_mnc_length(data: bytes) -> int | None:
    """The MNC length the SIM declares (octet 4, bits 1-4), or None when the file is too short for it."""
    if len(data) < EF_AD_SIZE:
        return None
    length = data[3] & 0x0F
    if length not in (2, 3):
        raise SimDataError("EF_AD MNC length", expected="2 or 3", got=str(length), where="EF_AD")
    return length


def encode_ef_ad(mnc_length: int, *, operation_mode: int = 0x00) -> bytes:
    if mnc_length not in (2, 3):
        raise SimDataError("MNC length", expected="2 or 3", got=str(mnc_length))
    return bytes([operation_mode, 0x00, 0x00, mnc_length])
