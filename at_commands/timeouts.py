"""Default per-command timeouts by command class, from what real drivers use (reference §3.2).
Callers may override any of them per call."""

from __future__ import annotations

import functools

from at_commands.grammar import command_name

DEFAULT_TIMEOUT = 5.0

# Longest documented response times; a command not listed gets DEFAULT_TIMEOUT.
COMMAND_TIMEOUTS: dict[str, float] = {
    "+COPS": 180.0,  # network scan / manual selection (Quectel: up to 180 s)
    "+CGACT": 150.0,
    "+QIACT": 150.0,
    "+QIDEACT": 40.0,
    "+CGATT": 140.0,
    "+CMGS": 60.0,
    "+CMGW": 60.0,
    "+CFUN": 15.0,
    "+CNACT": 60.0,
    "+CIICR": 85.0,
    "+UPSDA": 360.0,
    "+USOCO": 130.0,
    "+CPWROFF": 40.0,
    "+QPOWD": 40.0,
    "+QIOPEN": 150.0,
    "+QISEND": 120.0,
    "+CIPSTART": 75.0,
    "+CIPSEND": 60.0,
    "+CAOPEN": 60.0,
    "#SGACT": 150.0,
    "#SD": 140.0,
    "+CRSM": 10.0,
    "%XICCID": 10.0,
}


@functools.lru_cache(maxsize=1024)
def default_timeout(command: str) -> float:
    """The timeout for a command line, by its command class."""
    name = command_name(command)
    if name is None:
        return DEFAULT_TIMEOUT
    # The read form "AT+COPS?" answers at once; only set/test forms can take long.
    if command.rstrip().endswith("?") and name in ("+COPS", "+CGATT", "+CGACT", "+QIACT", "+CFUN", "+CNACT"):
        return DEFAULT_TIMEOUT
    return COMMAND_TIMEOUTS.get(name, DEFAULT_TIMEOUT)
