"""What a rig hands out to checks (labgrid's lesson: checks ask for capabilities, never for a
place). A check never knows whether a Console is a USB UART, a QEMU pty or a labgrid resource.

Capabilities are looked up by type: `rig.get(Console)`, `rig.get(Modem)`, `rig.get(Flasher)`,
`rig.get(Power)`, `rig.get(Cloud)`.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from at_commands.modem import Modem
from hil.cloud.client import CloudClient
from hil.flash.base import Flasher

if TYPE_CHECKING:
    from hil.rig.backends.webhook_inbox import WebhookInbox
    from hil.virtual.cloud.server import ThreadedEmulator

__all__ = [
    "DEATH_PATTERNS",
    "Cloud",
    "Console",
    "ConsoleDeadError",
    "ConsoleTimeoutError",
    "Flasher",
    "LineConsole",
    "Modem",
    "Power",
    "PowerError",
]

# Lines that mean the DUT is gone: waiting longer for a marker after one of these wastes time.
DEATH_PATTERNS: tuple[str, ...] = (
    r"HardFault",
    r"MemManage",
    r"BusFault",
    r"UsageFault",
    r"Kernel panic",
    r"\bpanic\b",
    r"ASSERTION FAIL",
    r">>> ZEPHYR FATAL ERROR",
    r"\bFATAL\b",
)


class ConsoleTimeoutError(TimeoutError):
    """The expected console output did not come in time; says what was awaited and what came."""


class ConsoleDeadError(RuntimeError):
    """The console shows a death string (HardFault, panic, ...) or its line source closed."""


@runtime_checkable
class Console(Protocol):
    """The DUT's console UART, line by line."""

    name: str

    def read_line(self, timeout: float) -> str | None:
        """The next line (without line ending), or None when none came within `timeout` s.
        Raises ConsoleDeadError once the source has closed and every line was read."""
        ...

    def expect(self, pattern: str | re.Pattern[str], timeout: float) -> re.Match[str]:
        """Read until a line matches `pattern`; ConsoleTimeoutError after `timeout` s,
        ConsoleDeadError at once on a death string or a closed source."""
        ...

    def lines(self) -> list[str]:
        """Every line read so far (the console transcript)."""
        ...

    def write(self, data: bytes) -> None: ...


class LineConsole:
    """A Console fed by any line producer (a serial reader thread, a QEMU pty, a log file):
    the producer calls `feed(line)` and `close()`; checks call read_line/expect."""

    def __init__(
        self,
        name: str,
        *,
        writer: Callable[[bytes], None] | None = None,
        death_patterns: Sequence[str] = DEATH_PATTERNS,
    ) -> None:
        self.name = name
        self._writer = writer
        self._death = re.compile("|".join(f"(?:{p})" for p in death_patterns)) if death_patterns else None
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._closed = False
        self._drained = False

    # --- producer side ------------------------------------------------------------------
    def feed(self, line: str) -> None:
        self._queue.put(line.rstrip("\r\n"))

    def close(self) -> None:
        """The source ended (process exited, port gone); pending lines stay readable."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)

    @property
    def closed(self) -> bool:
        return self._closed

    # --- consumer side ------------------------------------------------------------------
    def read_line(self, timeout: float) -> str | None:
        if self._drained:
            raise ConsoleDeadError(f"console {self.name}: the line source has closed")
        try:
            line = self._queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None
        if line is None:
            self._drained = True
            raise ConsoleDeadError(f"console {self.name}: the line source has closed")
        with self._lock:
            self._lines.append(line)
        return line

    def expect(self, pattern: str | re.Pattern[str], timeout: float) -> re.Match[str]:
        wanted = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        seen = 0
        last = ""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConsoleTimeoutError(
                    f"console {self.name}: expected a line matching {wanted.pattern!r} within "
                    f"{timeout:g} s; got {seen} other line(s), the last {last!r}"
                )
            line = self.read_line(min(remaining, 0.5))
            if line is None:
                continue
            match = wanted.search(line)
            if match is not None:
                return match
            if self._death is not None and self._death.search(line):
                raise ConsoleDeadError(
                    f"console {self.name}: death string in {line!r} while waiting for {wanted.pattern!r}"
                )
            seen += 1
            last = line

    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def write(self, data: bytes) -> None:
        if self._writer is None:
            raise ConsoleDeadError(f"console {self.name} is read-only")
        self._writer(data)


class PowerError(RuntimeError):
    """The power switch refused or could not be reached; names the switch and what it said."""


@runtime_checkable
class Power(Protocol):
    """A switched power outlet for the rig (simplerest, tasmota, ... in the local backend)."""

    name: str

    def on(self) -> None: ...

    def off(self) -> None: ...

    def cycle(self, off_time_s: float = 1.0) -> None: ...


# Where devices reach 1NCE OS in production (1nce-reference: Device Integrator UDP 4445 and CoAP
# 5683, Device Authenticator CoAP GET /bootstrap): a Cloud for the real API uses these.
ONE_NCE_ENDPOINTS: Mapping[str, str] = {
    "udp": "udp://udp.os.1nce.com:4445",
    "coap": "coap://coap.os.1nce.com:5683",
    "bootstrap": "coap://coap.os.1nce.com:5683/bootstrap",
}


@dataclass
class Cloud:
    """The 1NCE side of a rig: our API client (real api.1nce.com or the emulator) and, for the
    virtual lab, the emulator handle and its endpoints (where devices send UDP/CoAP)."""

    client: CloudClient
    endpoints: Mapping[str, Any] = field(default_factory=dict)
    emulator: ThreadedEmulator | None = None
    inbox: WebhookInbox | None = None  # where the lab's webhook deliveries land, when it has one

    @property
    def virtual(self) -> bool:
        return self.emulator is not None

    def endpoint(self, name: str) -> str:
        """An endpoint URL ('udp', 'coap', 'bootstrap', ...): the given ones; a Cloud given none (the
        real API) has 1NCE's production endpoints. KeyError names what exists."""
        known = self.endpoints if self.endpoints or self.virtual else ONE_NCE_ENDPOINTS
        value = known.get(name)
        if not isinstance(value, str):
            raise KeyError(f"cloud has no {name!r} endpoint (it has: {', '.join(sorted(known))})")
        return value
