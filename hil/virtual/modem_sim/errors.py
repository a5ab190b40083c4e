"""Error results a simulated modem can give, and the texts it prints for them.

Handlers raise these; the engine turns them into ``ERROR``, ``+CME ERROR: <n|text>`` or
``+CMS ERROR: <n|text>`` according to AT+CMEE. Texts follow 27.007 §9.2 / 27.005 §3.2.5, with small
per-vendor overrides where the vendors are known to word them differently (reference §1.9).
"""

from __future__ import annotations

CME_TEXTS: dict[int, str] = {
    0: "phone failure",
    1: "no connection to phone",
    3: "operation not allowed",
    4: "operation not supported",
    5: "PH-SIM PIN required",
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    13: "SIM failure",
    14: "SIM busy",
    15: "SIM wrong",
    16: "incorrect password",
    17: "SIM PIN2 required",
    18: "SIM PUK2 required",
    20: "memory full",
    21: "invalid index",
    22: "not found",
    23: "memory failure",
    24: "text string too long",
    25: "invalid characters in text string",
    30: "no network service",
    31: "network timeout",
    32: "network not allowed - emergency calls only",
    50: "incorrect parameters",
    51: "command implemented but currently disabled",
    52: "command aborted by user",
    100: "unknown",
    103: "illegal MS",
    106: "illegal ME",
    107: "GPRS services not allowed",
    111: "PLMN not allowed",
    112: "location area not allowed",
    113: "roaming not allowed in this location area",
    114: "GPRS services not allowed in this PLMN",
    115: "no suitable cells in location area",
    122: "congestion",
    126: "insufficient resources",
    127: "missing or unknown APN",
    128: "unknown PDP address or PDP type",
    129: "user authentication failed",
    130: "activation rejected by GGSN, Serving GW or PDN GW",
    131: "activation rejected, unspecified",
    132: "service option not supported",
    133: "requested service option not subscribed",
    134: "service option temporarily out of order",
    148: "unspecified GPRS error",
    149: "PDP authentication failure",
    150: "invalid mobile class",
    171: "last PDN disconnection not allowed",
    515: "device busy",
    518: "not allowed in active state",
}

CMS_TEXTS: dict[int, str] = {
    300: "ME failure",
    301: "SMS service of ME reserved",
    302: "operation not allowed",
    303: "operation not supported",
    304: "invalid PDU mode parameter",
    305: "invalid text mode parameter",
    310: "SIM not inserted",
    311: "SIM PIN required",
    313: "SIM failure",
    314: "SIM busy",
    316: "SIM PUK required",
    320: "memory failure",
    321: "invalid memory index",
    322: "memory full",
    330: "SMSC address unknown",
    331: "no network service",
    332: "network timeout",
    340: "no +CNMA acknowledgement expected",
    500: "unknown error",
    524: "SMS client not registered",
}

# Vendor wording where it differs from 27.007 (reference §1.9: "texts vary by vendor").
CME_VENDOR_TEXTS: dict[str, dict[int, str]] = {
    "Quectel": {50: "invalid parameters", 3: "operation not allowed", 14: "SIM busy"},
    "SIMCom": {50: "incorrect parameters"},
    "Telit": {4: "operation not supported", 30: "no network service"},
    "u-blox": {},
    "Nordic": {},
}


class AtError(Exception):
    """A command failed; the engine prints the matching final result code."""

    def __init__(self, code: int | None = None, message: str = "") -> None:
        super().__init__(message or (f"code {code}" if code is not None else "ERROR"))
        self.code = code


class PlainError(AtError):
    """Bare ``ERROR`` whatever AT+CMEE says (unknown command, syntax error)."""


class CmeError(AtError):
    """``+CME ERROR: <err>`` (27.007 commands)."""

    code: int

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(code, message)


class CmsError(AtError):
    """``+CMS ERROR: <err>`` (27.005 SMS commands)."""

    code: int

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(code, message)


def cme_text(vendor: str, code: int) -> str:
    return CME_VENDOR_TEXTS.get(vendor, {}).get(code) or CME_TEXTS.get(code, "unknown")


def cms_text(code: int) -> str:
    return CMS_TEXTS.get(code, "unknown error")


def esm_cause_to_cme(cause: int) -> int:
    """24.301 ESM cause #n -> +CME ERROR 100+n for the causes 27.007 lists (#26..#50), else 148."""
    if 26 <= cause <= 50 or cause in {3, 6, 7, 11, 12, 13, 14, 15, 22}:
        return 100 + cause
    return 148
