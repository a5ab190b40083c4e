"""A byte-level client for a simulator port (pty path or socket:// URL), for tests and benches.

It reads with deadlines and keeps unread bytes, so a test can say exactly which bytes it expects:

    probe = PortProbe(sim.start_pty())
    assert probe.exchange(b"AT\\r") == b"AT\\r\\r\\nOK\\r\\n"
"""

from __future__ import annotations

import re
import time

import serial

FINAL = re.compile(
    rb"\r\n(OK|ERROR|\+CM[ES] ERROR: [^\r]*|SEND OK|SEND FAIL|SHUT OK|NO CARRIER|NORMAL POWER DOWN"
    rb"|\d+, CLOSE OK|CLOSE OK|\d+, SEND OK|DATA ACCEPT:[^\r]*)\r\n|> $|\r\n@$|^\d\r$"
)


class PortProbe:
    def __init__(self, url: str, timeout: float = 3.0) -> None:
        self.url = url
        self.timeout = timeout
        self.port = serial.serial_for_url(url, timeout=0.01)
        self.buffer = bytearray()

    def write(self, data: bytes) -> None:
        self.port.write(data)
        self.port.flush()

    def _fill(self) -> bool:
        waiting = self.port.in_waiting
        chunk = self.port.read(waiting or 1)
        if chunk:
            self.buffer += chunk
        return bool(chunk)

    def read_until(self, expected: bytes, timeout: float | None = None) -> bytes:
        """Everything up to and including ``expected``; TimeoutError shows what did arrive."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            position = self.buffer.find(expected)
            if position >= 0:
                end = position + len(expected)
                data = bytes(self.buffer[:end])
                del self.buffer[:end]
                return data
            if time.monotonic() > deadline:
                raise TimeoutError(f"{expected!r} not seen on {self.url}; got {bytes(self.buffer)!r}")
            self._fill()

    def read_final(self, timeout: float | None = None) -> bytes:
        """Everything up to and including a final result code or a data prompt."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            match = FINAL.search(self.buffer)
            if match:
                data = bytes(self.buffer[: match.end()])
                del self.buffer[: match.end()]
                return data
            if time.monotonic() > deadline:
                raise TimeoutError(f"no final result on {self.url}; got {bytes(self.buffer)!r}")
            self._fill()

    def read_exactly(self, size: int, timeout: float | None = None) -> bytes:
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while len(self.buffer) < size:
            if time.monotonic() > deadline:
                raise TimeoutError(f"wanted {size} bytes on {self.url}; got {bytes(self.buffer)!r}")
            self._fill()
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def exchange(self, line: bytes, timeout: float | None = None) -> bytes:
        """Send a command line and return the answer through its final result code."""
        self.write(line)
        return self.read_final(timeout)

    def drain(self, quiet: float = 0.05, limit: float = 2.0) -> bytes:
        """Whatever arrives until the line has been quiet for ``quiet`` seconds."""
        deadline = time.monotonic() + limit
        last = time.monotonic()
        while time.monotonic() - last < quiet and time.monotonic() < deadline:
            if self._fill():
                last = time.monotonic()
        data = bytes(self.buffer)
        self.buffer.clear()
        return data

    def close(self) -> None:
        self.port.close()

    def __enter__(self) -> PortProbe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
