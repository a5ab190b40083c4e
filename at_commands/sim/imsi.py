"""IMSI = MCC (3) + MNC (2 or 3) + MSIN; the MNC length is not in the number itself.

The SIM knows it (EF_AD, 31.102 §4.2.18); without that, a per-MCC table decides. The table holds
the MCCs whose operators all use 3-digit MNCs (ITU-T E.212 assignments); every other MCC,
including 901 (international, where 1NCE is 901 40), uses 2 digits.
"""

from __future__ import annotations

from dataclasses import dataclass

from .bcd import require_digits
from .errors import SimDataError

ONENCE_MCC = "901"
ONENCE_MNC = "40"

THREE_DIGIT_MNC_MCCS = frozenset(
    {
        "302",  # Canada
        "310", "311", "312", "313", "314", "315", "316",  # USA
        "334",  # Mexico
        "338", "342", "344", "346", "348", "352", "354",  # Caribbean
        "356", "358", "360", "365", "366", "376",  # Caribbean
        "708",  # Honduras
        "722",  # Argentina
        "732",  # Colombia
        "750",  # Falkland Islands
    }
)  # fmt: skip

MIN_LENGTH = 6
MAX_LENGTH = 15


@dataclass(frozen=True)
class Imsi:
    mcc: str
    mnc: str
    msin: str

    @property
    def plmn(self) -> str:
        return self.mcc + self.mnc

    def __str__(self) -> str:
        return self.mcc + self.mnc + self.msin


def mnc_length(mcc: str) -> int:
    return 3 if mcc in THREE_DIGIT_MNC_MCCS else 2


def parse_imsi(imsi: str, *, mnc_digits: int | None = None) -> Imsi:
    """Split an IMSI (as AT+CIMI prints it); `mnc_digits` from EF_AD overrides the table."""
    digits = imsi.strip().strip('"')
    require_digits(digits, where=f"IMSI {imsi!r}")
    if not MIN_LENGTH <= len(digits) <= MAX_LENGTH:
        raise SimDataError(
            "IMSI has the wrong length",
            expected=f"{MIN_LENGTH}-{MAX_LENGTH} digits",
            got=f"{len(digits)} ({digits})",
        )
    mcc = digits[:3]
    length = mnc_digits if mnc_digits is not None else mnc_length(mcc)
    if length not in (2, 3):
        raise SimDataError("MNC length", expected="2 or 3", got=str(length))
    return Imsi(mcc=mcc, mnc=digits[3 : 3 + length], msin=digits[3 + length :])


def is_1nce(imsi: str | Imsi) -> bool:
    """True for a 1NCE IMSI (MCC 901, MNC 40)."""
    parsed = imsi if isinstance(imsi, Imsi) else parse_imsi(imsi)
    return (parsed.mcc, parsed.mnc) == (ONENCE_MCC, ONENCE_MNC)
