"""ICCIDs as modems print them and as the 1NCE API wants them (1nce-reference.md §5.2).

Modems print 19 or 20 digits, with vendor prefixes, quotes or a trailing F pad
(modem-at-reference.md §1.2). The 1NCE API keys SIMs by the 19-digit body without the Luhn check
digit and also reports `iccid_with_luhn`, the 20-digit form stored on the SIM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .bcd import require_digits
from .errors import SimDataError

API_LENGTH = 19
WITH_LUHN_LENGTH = 20
TELECOM_PREFIX = "89"  # ITU-T E.118 major industry identifier for telecommunications

# "+QCCID: ", "%XICCID: ", "+CCID: ", "+ICCID: ", "#CCID: ", "^ICCID: " and the like.
_RESPONSE_PREFIX = re.compile(r"^[+%#^$]?[A-Za-z]*\s*:\s*")


def luhn_check_digit(digits: str) -> str:
    """The Luhn digit to append to `digits` (doubling starts at the rightmost payload digit)."""
    _require_payload(digits)
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str(-total % 10)


def luhn_valid(digits: str) -> bool:
    """True when the last digit is the Luhn check digit of the ones before it."""
    if len(digits) < 2 or not digits.isascii() or not digits.isdigit():
        return False
    return luhn_check_digit(digits[:-1]) == digits[-1]


@dataclass(frozen=True)
class Iccid:
    raw: str  # what the modem printed
    api: str  # 19 digits, no Luhn: the 1NCE API's `iccid`
    with_luhn: str  # 20 digits: the 1NCE API's `iccid_with_luhn`, as EF_ICCID stores it

    @property
    def check_digit(self) -> str:
        return self.with_luhn[-1]

    def __str__(self) -> str:
        return self.api


def normalize_iccid(raw: str) -> Iccid:
    """Any modem's ICCID line -> Iccid; raises SimDataError saying what is wrong with it."""
    digits = _RESPONSE_PREFIX.sub("", raw.strip()).strip().strip('"').strip()
    digits = digits.rstrip("Ff")
    if not digits:
        raise SimDataError("no ICCID digits", expected="19 or 20 digits", got=repr(raw))
    require_digits(digits, where=f"ICCID {raw!r}")
    if not digits.startswith(TELECOM_PREFIX):
        raise SimDataError(
            "ICCID does not start with the telecom prefix",
            expected=f"{TELECOM_PREFIX}...",
            got=digits,
            where=f"ICCID {raw!r}",
        )
    if len(digits) == API_LENGTH:
        return Iccid(raw=raw, api=digits, with_luhn=digits + luhn_check_digit(digits))
    if len(digits) == WITH_LUHN_LENGTH:
        body, check = digits[:-1], digits[-1]
        expected = luhn_check_digit(body)
        if check != expected:
            raise SimDataError(
                "ICCID Luhn check digit is wrong",
                expected=f"last digit {expected}",
                got=f"{check} in {digits}",
                where=f"ICCID {raw!r}",
            )
        return Iccid(raw=raw, api=body, with_luhn=digits)
    raise SimDataError(
        "ICCID has the wrong length",
        expected=f"{API_LENGTH} or {WITH_LUHN_LENGTH} digits",
        got=f"{len(digits)} digits ({digits})",
        where=f"ICCID {raw!r}",
    )


def _require_payload(digits: str) -> None:
    if not digits:
        raise SimDataError("nothing to compute a Luhn digit for", expected="at least one digit", got="''")
    require_digits(digits, where="Luhn input")
