"""One mapping from what went wrong to why a check failed (infra, flash, dut, network, sim).

Modem-mode and firmware-mode checks (and `run_check` for anything a check lets escape) call
`classify`, so the same error gets the same class under every front end. The rule of thumb:
blame the rig or harness (infra) when we could not even ask; the SIM (sim) or the network
(network) when they said no; the device (dut) when it answered wrongly or not at all.
"""

from __future__ import annotations

import httpx

from at_commands.errors import (
    AtCommandError,
    AttachTimeoutError,
    AtTimeoutError,
    CmeError,
    CmsError,
    ModemRebootedError,
    NoCoverageError,
    PdpError,
    PortError,
    RegistrationDeniedError,
    SimError,
    SmsError,
)
from hil.checks.base import CheckFailedError
from hil.cloud.client import CloudApiError
from hil.flash.base import FlasherError
from hil.rig.capabilities import ConsoleDeadError, ConsoleTimeoutError, PowerError
from hil.rig.rig import MissingCapabilityError

# +CME errors that are the SIM's (27.007 §9.2: 10..18 SIM state, 310..317 the same range in
# the numbering some modules use); a CME error otherwise is the device's.
_SIM_CME_NAMES = ("sim", "puk", "pin")
_SIM_CME_CODES = frozenset({*range(10, 19), *range(310, 320)})


def classify(exc: BaseException) -> str:
    """The failure class for `exc` (one of hil.checks.base.FAILURE_CLASSES)."""
    if isinstance(exc, CheckFailedError):
        return exc.failure_class
    if isinstance(exc, MissingCapabilityError | PortError | PowerError):
        return "infra"
    if isinstance(exc, FlasherError):
        return "flash"
    if isinstance(exc, SimError):
        return "sim"
    if isinstance(exc, RegistrationDeniedError | NoCoverageError | AttachTimeoutError | PdpError):
        return "network"
    if isinstance(exc, CmeError) and (
        exc.code in _SIM_CME_CODES or any(word in exc.name.lower() for word in _SIM_CME_NAMES)
    ):
        return "sim"
    if isinstance(exc, CmsError) or (isinstance(exc, SmsError) and not isinstance(exc, AtCommandError)):
        return "network"  # the message service refused (SMSC, barring): not the device's doing
    if isinstance(exc, AtTimeoutError | ModemRebootedError | ConsoleDeadError | ConsoleTimeoutError):
        return "dut"
    if isinstance(exc, httpx.TransportError):
        return "infra"  # the 1NCE API (or the emulator) cannot be reached: connect, timeout, TLS
    if isinstance(exc, CloudApiError):
        if exc.status == 404 and "/sims/" in exc.path:
            return "sim"  # the SIM is not in this account
        return "infra"  # credentials, rate limits, server errors: the harness cannot ask
    if isinstance(exc, ConnectionError | FileNotFoundError | PermissionError):
        return "infra"  # a port or socket that vanished, a device node we may not open
    cause = exc.__cause__
    if cause is not None and cause is not exc:
        return classify(cause)
    return "dut"
