"""PLMN identities (MCC + MNC) in the 3-octet form of 3GPP TS 24.008 §10.5.1.3.

Octet 1: MCC digit 2 | MCC digit 1; octet 2: MNC digit 3 | MCC digit 3; octet 3: MNC digit 2 |
MNC digit 1 (high nibble | low nibble). A 2-digit MNC puts F in MNC digit 3: 90140 -> 09 F1 04.
FF FF FF is an empty slot (in EF_FPLMN, or a deleted LAI/TAI).
"""

from __future__ import annotations

from .bcd import FILLER, require_digits
from .errors import SimDataError

PLMN_LENGTH = 3
EMPTY_PLMN = b"\xff\xff\xff"


def encode_plmn(plmn: str) -> bytes:
    """'90140' (MCC 901, MNC 40) or '310410' (MNC 410) -> 3 octets."""
    require_digits(plmn, where=f"PLMN {plmn!r}")
    if len(plmn) not in (5, 6):
        raise SimDataError(
            "PLMN has the wrong length", expected="5 or 6 digits (MCC + MNC)", got=f"{len(plmn)} ({plmn!r})"
        )
    mcc = [int(d) for d in plmn[:3]]
    mnc = [int(d) for d in plmn[3:]]
    mnc3 = mnc[2] if len(mnc) == 3 else FILLER
    return bytes([mcc[0] | mcc[1] << 4, mcc[2] | mnc3 << 4, mnc[0] | mnc[1] << 4])


def decode_plmn(data: bytes) -> str | None:
    """3 octets -> 'MCCMNC', or None for an empty slot (FF FF FF)."""
    if len(data) != PLMN_LENGTH:
        raise SimDataError(
            "PLMN field has the wrong size", expected="3 octets", got=f"{len(data)} ({data.hex()})"
        )
    if data == EMPTY_PLMN:
        return None
    mcc1, mcc2 = data[0] & 0x0F, data[0] >> 4
    mcc3, mnc3 = data[1] & 0x0F, data[1] >> 4
    mnc1, mnc2 = data[2] & 0x0F, data[2] >> 4
    digits = [mcc1, mcc2, mcc3, mnc1, mnc2]
    if mnc3 != FILLER:
        digits.append(mnc3)
    if any(d > 9 for d in digits):
        raise SimDataError(
            "PLMN has a non-decimal digit",
            expected="BCD digits (F only as MNC digit 3)",
            got=data.hex().upper(),
        )
    return "".join(str(d) for d in digits)
