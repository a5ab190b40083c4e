"""A scripted modem on a real pty, for testing the AT engine byte by byte.

The test decides exactly which bytes the "modem" answers to each command line, so edge cases
(URCs mid-response, garbage, overlong lines, reboots, silence) are reproducible. The engine under
test opens the slave path with pyserial, exactly as it would a USB modem.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
import tty
from collections.abc import Callable

Responder = Callable[[bytes], bytes | None]


class RawPty:
    """A raw pty pair whose fds are closed exactly once, whichever thread gets there first.

    Tests unplug a port from a timer thread while the fixture closes it again at teardown; a
    second os.close on a number the next test's openpty already reused would close that test's
    port from under it (seen as a modem that never answers)."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self._lock = threading.Lock()
        self.closed = False

    def write(self, data: bytes) -> None:
        """Write to the master side; nothing once closed (a late timer must not write into a pty
        that reused the number)."""
        with self._lock:
            if not self.closed:
                os.write(self.master, data)

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            for fd in (self.master, self.slave):
                with contextlib.suppress(OSError):
                    os.close(fd)


class PtyPeer:
    """Reads command lines (terminated by CR) from the host and answers via `responder`."""

    def __init__(self, responder: Responder, *, echo: bool = False) -> None:
        self.responder = responder
        self.echo = echo
        self.received: list[bytes] = []
        self._pty = RawPty()
        self._master = self._pty.master
        self.path = self._pty.path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def send(self, data: bytes) -> None:
        """Write unsolicited bytes to the host."""
        self._pty.write(data)

    def close(self) -> None:
        self._stop.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=2)
        self._pty.close()

    def __enter__(self) -> PtyPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 4096)
            except OSError:
                return
            buffer += chunk
            while b"\r" in buffer or b"\x1a" in buffer:
                cut = min(i for i in (buffer.find(b"\r"), buffer.find(b"\x1a")) if i >= 0)
                line, buffer = buffer[: cut + 1], buffer[cut + 1 :]
                self.received.append(line)
                if self.echo and line.endswith(b"\r"):
                    self._pty.write(line)
                answer = self.responder(line)
                if answer:
                    self._pty.write(answer)


def script(table: dict[bytes, bytes | Callable[[], bytes]], default: bytes = b"\r\nERROR\r\n") -> Responder:
    """A responder answering each exact command line from a table."""

    def respond(line: bytes) -> bytes | None:
        answer = table.get(line.rstrip(b"\r"), default)
        return answer() if callable(answer) else answer

    return respond


def wait_until(predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()
