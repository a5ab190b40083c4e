"""Virtual modem rigs: a simulated modem per dialect on a pty or TCP, a UDP peer on loopback, and
the simulator's network as the SMS counterpart; each runs the full modem check."""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence

from at_commands.modem import Modem
from hil.checks.modem_check import ModemCheckOptions, run_modem_check
from hil.records import CheckRecord, Step
from hil.virtual.modem_sim import ModemSimulator, SimulatorHost


def run_virtual_rig(
    dialect: str, *, transport: str = "pty", time_scale: float = 0.1, host: SimulatorHost | None = None
) -> CheckRecord:
    """Start a simulated `dialect` modem and run the modem check against it."""
    with ModemSimulator(dialect, time_scale=time_scale, host=host, name=dialect) as sim:
        url = sim.start_pty() if transport == "pty" else sim.start_tcp()
        peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        peer.bind(("127.0.0.1", 0))
        try:
            with Modem.open(url, "auto") as modem:
                options = ModemCheckOptions(
                    expected_dialect=dialect,
                    attach_timeout_s=max(10.0, 180.0 * time_scale),
                    udp_timeout_s=5.0,
                    sms_timeout_s=max(5.0, 60.0 * time_scale),
                    inject_mt_sms=sim.inject_sms,
                    network_mo_sms=lambda: list(sim.standalone.mo_sms),
                )
                record = run_modem_check(modem, peer, options)
                record.subject = f"{dialect} ({transport})"
                return record
        except Exception as exc:  # a rig that cannot even start still gets a record
            record = CheckRecord("modem", f"{dialect} ({transport})")
            record.steps.append(Step("open", error=f"{type(exc).__name__}: {exc}"))
            return record
        finally:
            peer.close()


def run_virtual_lab(
    dialects: Sequence[str],
    *,
    transport: str = "pty",
    time_scale: float = 0.1,
    on_done: Callable[[CheckRecord], None] | None = None,
) -> list[CheckRecord]:
    """The modem check on one virtual rig per dialect; all simulators share one event loop."""
    host = SimulatorHost()
    records = []
    try:
        for dialect in dialects:
            record = run_virtual_rig(dialect, transport=transport, time_scale=time_scale, host=host)
            records.append(record)
            if on_done is not None:
                on_done(record)
    finally:
        host.close()
    return records
