"""Faults: scenario-defined or switched on at runtime, triggered by time or by a command line.

State faults (no SIM, PIN, denial, no coverage, PDP reject ...) change what the modem *is*; line
faults (slow, missing, truncated, garbage inside a response, URC inside a response, reboot on a
command) change how one command line is answered (engine.LineEffects); timed faults (reboot, URC
storm, garbage on the line, network detach / PDP teardown) happen at ``at_s``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hil.virtual.modem_sim.engine import LineEffects
from hil.virtual.modem_sim.scenario import (
    Garbage,
    Missing,
    Reboot,
    Slow,
    Truncated,
    UrcInResponse,
    UrcStorm,
)

if TYPE_CHECKING:
    from hil.virtual.modem_sim.modem import SimulatedModem

LINE_FAULTS = (Slow, Missing, Truncated, UrcInResponse, Garbage, Reboot)
STATE_TYPES = frozenset(
    {
        "no_sim",
        "sim_pin",
        "sim_puk",
        "sim_busy",
        "uicc_failure",
        "registration_denied",
        "no_coverage",
        "pdp_reject",
    }
)


@dataclass
class ActiveFault:
    id: str
    fault: Any  # one of the scenario fault models
    remaining: int | None  # times a command-triggered fault still fires (None: always)
    armed: bool = True  # timed faults are armed until at_s, then they act
    handle: asyncio.TimerHandle | None = None
    matcher: re.Pattern[str] | None = None

    def describe(self) -> dict[str, Any]:
        data: dict[str, Any] = self.fault.model_dump(exclude_none=True)
        data["id"] = self.id
        if self.remaining is not None:
            data["remaining"] = self.remaining
        return data


def garbage_bytes(fault: Garbage) -> bytes:
    if fault.kind == "bytes":
        assert fault.hex is not None
        return bytes.fromhex(fault.hex)
    if fault.kind == "non_utf8":
        return bytes(random.choice((0x80, 0xC3, 0xFE, 0xFF, 0xED, 0xA0)) for _ in range(fault.length))
    if fault.kind == "line_noise":
        noise = b"\x00\xff\r\n~}\x7f\x1b[\x11\x13"
        return bytes(random.choice(noise) for _ in range(fault.length))
    return os.urandom(fault.length)


class FaultBook:
    def __init__(self, modem: SimulatedModem) -> None:
        self.modem = modem
        self.active: dict[str, ActiveFault] = {}
        self._ids = itertools.count(1)

    # ------------------------------------------------------------ lifecycle
    def add(self, fault: Any) -> str:
        fault_id = fault.id or f"{fault.type}-{next(self._ids)}"
        if fault_id in self.active:
            self.remove(fault_id)
        times = getattr(fault, "times", None)
        entry = ActiveFault(fault_id, fault, times)
        if fault.pattern is not None:
            entry.matcher = re.compile(fault.pattern, re.IGNORECASE)
        self.active[fault_id] = entry
        has_trigger = fault.command is not None or fault.pattern is not None
        if fault.at_s is not None and not (has_trigger and isinstance(fault, LINE_FAULTS)):
            loop = asyncio.get_running_loop()
            entry.handle = loop.call_later(self.modem.scaled(fault.at_s), self._fire, fault_id)
        elif not has_trigger or not isinstance(fault, LINE_FAULTS):
            self._fire(fault_id)
        return fault_id

    def remove(self, key: str) -> list[str]:
        """Switch off a fault by id or by type; returns the ids removed."""
        removed = [fid for fid, entry in self.active.items() if key in (fid, entry.fault.type)]
        for fault_id in removed:
            entry = self.active.pop(fault_id)
            if entry.handle is not None:
                entry.handle.cancel()
            if entry.fault.type in STATE_TYPES and not entry.armed:
                self.modem.fault_cleared(entry.fault)
        return removed

    def clear(self) -> None:
        for fault_id in list(self.active):
            self.remove(fault_id)

    def _fire(self, fault_id: str) -> None:
        entry = self.active.get(fault_id)
        if entry is None:
            return
        entry.armed = False
        entry.handle = None
        fault = entry.fault
        if fault.type in STATE_TYPES:
            self.modem.fault_applied(fault)
            return
        self.active.pop(fault_id, None)  # one-shot events
        if isinstance(fault, Reboot):
            self.modem.reboot("fault")
        elif isinstance(fault, UrcStorm):
            self.modem.spawn(self._storm(fault), lifetime=True)
        elif isinstance(fault, Garbage):
            self.modem.engine.raw(garbage_bytes(fault))
        elif fault.type == "detach":
            self.modem.network_detach("fault")
        elif fault.type == "pdp_deactivate":
            self.modem.network_pdp_deactivate("fault")

    async def _storm(self, fault: UrcStorm) -> None:
        urc = fault.urc or self.modem.dialect.storm_urc()
        interval = 1.0 / fault.rate_hz
        for _ in range(fault.count):
            self.modem.engine.urc((urc,))
            await asyncio.sleep(interval)

    # -------------------------------------------------------------- queries
    def state(self, kind: str) -> Any | None:
        """The active (fired) state fault of this type, if any."""
        for entry in self.active.values():
            if entry.fault.type == kind and not entry.armed:
                return entry.fault
        return None

    def line_effects(self, line: str) -> LineEffects | None:
        effects: LineEffects | None = None
        upper = line.upper()
        for fault_id, entry in list(self.active.items()):
            fault = entry.fault
            if not isinstance(fault, LINE_FAULTS) or not _matches(entry, upper, line):
                continue
            if entry.remaining is not None:
                entry.remaining -= 1
                if entry.remaining <= 0:
                    self.active.pop(fault_id, None)
            effects = effects or LineEffects()
            if isinstance(fault, Slow):
                effects.delay_s += fault.delay_s
            elif isinstance(fault, Missing):
                effects.drop = True
            elif isinstance(fault, Truncated):
                effects.truncate_at = fault.keep_bytes if fault.keep_bytes is not None else -1
            elif isinstance(fault, UrcInResponse):
                effects.urcs_before.append((fault.urc,))
            elif isinstance(fault, Garbage):
                effects.insert = garbage_bytes(fault)
            elif isinstance(fault, Reboot):
                effects.reboot = True
        return effects

    def describe(self) -> list[dict[str, Any]]:
        return [entry.describe() for entry in self.active.values()]


def _matches(entry: ActiveFault, upper: str, line: str) -> bool:
    fault = entry.fault
    if fault.command is not None and upper.startswith(fault.command.upper()):
        return True
    return entry.matcher is not None and entry.matcher.match(line) is not None
