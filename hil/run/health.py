"""The health check before each round (LAVA's device health): cheap, and only about the rig.

- modem mode: the modem answers AT (else `bad`, infra); the SIM's state is read too - a SIM that is
  not ready leaves the rig `unknown` (the rig works; the checks will say what the SIM does);
- firmware mode: the board's console is alive (else `bad`).
A bad rig skips the round's checks; the failure counts toward quarantine when its class is infra.
"""

from __future__ import annotations

from dataclasses import dataclass

from at_commands.errors import AtError, PortError, SimError
from at_commands.modem import Modem
from hil.checks.base import Mode
from hil.rig.capabilities import Console
from hil.rig.rig import MissingCapabilityError, Rig

AT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Health:
    health: str  # good | unknown | bad
    reason: str
    failure_class: str | None = None  # when bad: why, in the checks' failure classes


def check_health(rig: Rig, mode: Mode) -> Health:
    try:
        if mode == "modem":
            return _modem_health(rig.get(Modem, needed_by="the health check"))
        console = rig.get(Console, needed_by="the health check")  # type: ignore[type-abstract]
        if getattr(console, "closed", False):
            return Health("bad", f"the console of {rig.name} has closed (board or port gone)", "infra")
        return Health("good", "the console is alive")
    except MissingCapabilityError as exc:
        return Health("bad", str(exc), "infra")


def _modem_health(modem: Modem) -> Health:
    try:
        answer = modem.channel.command("AT", timeout=AT_TIMEOUT_S, check=False)
    except PortError as exc:
        return Health("bad", f"the modem port is gone: {exc}", "infra")
    except AtError as exc:
        return Health("bad", f"the modem does not answer AT: {exc}", "infra")
    if answer.final != "OK":
        return Health("bad", f"the modem answers AT with {answer.final!r}, expected OK", "infra")
    try:
        status = modem.dialect.sim_status()
    except SimError as exc:  # no SIM, SIM failure: the rig answers, the SIM does not
        return Health("unknown", f"the modem answers AT; the SIM is not usable: {exc}")
    except AtError:
        # Some modules (nRF91) keep the SIM off until the radio is switched on; switching it on
        # is the checks' business, not the health check's.
        return Health("good", "the modem answers AT (SIM state not readable before the radio is on)")
    if status != "READY":
        return Health("unknown", f"the modem answers AT; the SIM is not ready (+CPIN: {status})")
    return Health("good", "the modem answers AT and the SIM is ready")
