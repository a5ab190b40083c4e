"""Dialect names -> driver classes, and auto-detection from what the module says about itself."""

from __future__ import annotations

from at_commands.channel import AtChannel
from at_commands.dialects.base import Dialect
from at_commands.dialects.nordic import Nordic
from at_commands.dialects.profiles import DIALECT_NAMES, identify, profile
from at_commands.dialects.quectel import Quectel
from at_commands.dialects.simcom import Sim7000, Sim7080
from at_commands.dialects.telit import Telit
from at_commands.dialects.ublox import Ublox
from at_commands.errors import AtError, ModemError

DRIVERS: dict[str, type[Dialect]] = {
    "bg95": Quectel,
    "bg96": Quectel,
    "bg77": Quectel,
    "nrf91": Nordic,
    "sara-r4": Ublox,
    "sara-r5": Ublox,
    "sim7000": Sim7000,
    "sim7080": Sim7080,
    "me910": Telit,
}
assert set(DRIVERS) == set(DIALECT_NAMES), "every profile needs a driver"

CHOICES: tuple[str, ...] = ("auto", *DIALECT_NAMES)


def make_dialect(channel: AtChannel, name: str) -> Dialect:
    """The driver for a dialect name; "auto" asks the module (AT+CGMM, then ATI)."""
    if name == "auto":
        name = detect(channel)
    return DRIVERS[profile(name).name](channel, profile(name))


def detect(channel: AtChannel) -> str:
    """Identify the module from AT+CGMM (every module answers it), falling back to ATI."""
    seen: list[str] = []
    for command in ("AT+CGMM", "ATI"):
        try:
            response = channel.command(command)
        except AtError:
            continue
        text = "\n".join(response.info)
        seen.append(f"{command}: {response.info}")
        match = identify(text)
        if match is not None:
            return match.name
    raise ModemError(
        "could not identify the module; it said "
        + ("; ".join(seen) or "nothing")
        + f". Pass a dialect explicitly: one of {', '.join(DIALECT_NAMES)}"
    )
