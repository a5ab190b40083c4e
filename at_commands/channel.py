"""AtChannel: one modem port, a background reader that owns it, one command in flight at a time.

Open it on any pyserial URL (a device path, a pty path, ``socket://host:port``, ``rfc2217://``).
The reader thread turns bytes into events through an AtSession (the sans-I/O core); commands wait
for their final result with per-command timeouts; URCs go to subscribers and waiters without being
lost or mistaken for responses; every byte lands in the Transcript.

A boot banner (RDY, APP RDY ...) under a command does not fail it at once: a modem that boots while
a command is on its way often still answers it. The command waits `boot_grace` seconds for its
final and raises ModemRebootedError only if none comes (the firmware's NCE_AT_BOOT_GRACE_MS).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import select
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import serial

from at_commands.errors import AtError, AtTimeoutError, ModemRebootedError, PortError
from at_commands.grammar import CommandSpec
from at_commands.session import (
    AtSession,
    CommandDone,
    Event,
    NoiseEvent,
    PromptEvent,
    RebootEvent,
    Response,
    StrayEvent,
    Urc,
    UrcEvent,
)
from at_commands.timeouts import default_timeout
from at_commands.transcript import Transcript

log = logging.getLogger(__name__)

UrcCallback = Callable[[Urc], None]


@dataclass
class _Inflight:
    response: Response
    done: threading.Event = field(default_factory=threading.Event)
    woken: threading.Event = field(default_factory=threading.Event)  # prompt, boot or done
    changed: threading.Event = field(default_factory=threading.Event)  # boot or done
    prompted: bool = False
    boot_deadline: float | None = None  # a boot banner cut it off: its final may come until then

    def finish(self) -> None:
        self.done.set()
        self.woken.set()
        self.changed.set()


class UrcWaiter:
    """Collects URCs with one prefix (and an optional predicate) from the moment it is created.

    Use it around the command that triggers the URC, so nothing is lost in between::

        with channel.urcs("+QIOPEN:") as opened:
            channel.command('AT+QIOPEN=1,0,"UDP","127.0.0.1",4445,0,0')
            urc = opened.get(timeout=150)

    While it is open, lines with its prefix are URCs even if they look like the pending command's
    answer (an asynchronous result such as +QIOPEN can arrive before the command's OK).
    """

    def __init__(
        self, channel: AtChannel, prefixes: tuple[str, ...], predicate: Callable[[Urc], bool] | None
    ) -> None:
        self.prefixes = prefixes
        self._channel = channel
        self._predicate = predicate
        self._queue: queue.SimpleQueue[Urc] = queue.SimpleQueue()

    def offer(self, urc: Urc) -> None:
        matches = urc.prefix in self.prefixes or urc.line in self.prefixes
        if matches and (self._predicate is None or self._predicate(urc)):
            self._queue.put(urc)

    def get(self, timeout: float) -> Urc:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            raise AtTimeoutError(
                None,
                timeout,
                f"URC {' or '.join(map(repr, self.prefixes))}",
                lines=[u.line for u in self._channel.recent_urcs()],
                partial=self._channel.pending_bytes(),
            ) from None

    def get_nowait(self) -> Urc | None:
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            return None

    def close(self) -> None:
        self._channel._remove_waiter(self)

    def __enter__(self) -> UrcWaiter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AtChannel:
    """A modem's AT port. Thread-safe; close() it (or use it as a context manager)."""

    boot_grace = 0.5  # seconds a command cut off by a boot banner still waits for its final

    def __init__(
        self,
        port: serial.SerialBase,
        *,
        transcript: Transcript | None = None,
        session: AtSession | None = None,
        name: str = "",
    ) -> None:
        self.name = name or getattr(port, "port", None) or "modem"
        self.transcript = transcript if transcript is not None else Transcript()
        self._port = port
        self._session = session or AtSession()
        self._lock = threading.Lock()  # guards the session and the in-flight command
        self._command_lock = threading.Lock()  # one command in flight
        self._inflight: _Inflight | None = None
        self._waiters: list[UrcWaiter] = []
        self._subscribers: list[tuple[str | None, UrcCallback]] = []
        self._reboot_callbacks: list[Callable[[str], None]] = []
        self._recent: deque[Urc] = deque(maxlen=256)
        self._dispatch_queue: queue.SimpleQueue[tuple[Callable[..., None], tuple[Any, ...]] | None] = (
            queue.SimpleQueue()
        )
        self._dispatcher: threading.Thread | None = None
        self._failure: PortError | None = None
        self._closing = False
        self._resync = False
        self._last_rx = 0.0
        self.reboots = 0
        self._fd = _posix_fd(port)
        self._reader = threading.Thread(target=self._read_loop, name=f"at-reader:{self.name}", daemon=True)
        self._reader.start()

    @classmethod
    def open(cls, url: str, *, baudrate: int = 115200, transcript: Transcript | None = None) -> AtChannel:
        """Open a pyserial URL: /dev/ttyUSB2, /dev/pts/7, socket://127.0.0.1:5000, rfc2217://host:port."""
        # pyserial's rfc2217:// refuses a write timeout; everything else gets one.
        write_timeout = None if url.lower().startswith("rfc2217://") else 5.0
        try:
            port = serial.serial_for_url(url, baudrate=baudrate, timeout=0.1, write_timeout=write_timeout)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise PortError(f"cannot open modem port {url!r}: {exc}") from exc
        return cls(port, transcript=transcript, name=url)

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._reader.join(timeout=2)
        with contextlib.suppress(Exception):
            self._port.close()
        if self._dispatcher is not None:
            self._dispatch_queue.put(None)
            self._dispatcher.join(timeout=2)

    def __enter__(self) -> AtChannel:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closing or self._failure is not None

    # -- commands --------------------------------------------------------------------------------

    def command(
        self,
        command: str,
        *,
        timeout: float | None = None,
        payload: bytes | None = None,
        payload_end: bytes = b"",
        prompt_timeout: float = 5.0,
        wait_for_prompt: bool = True,
        check: bool = True,
        expects_reboot: bool | None = None,
    ) -> Response:
        """Send one command line and wait for its final result code.

        `payload` is written after the command's prompt ("> " or "@"), followed by `payload_end`
        (e.g. b"\\x1a" for SMS); with wait_for_prompt=False it follows the command line at once
        (data modes that print no prompt, such as the nRF SLM's). With check=True (the default)
        an error final raises its typed error (CmeError, CmsError, AtCommandError); a reboot, a
        port failure or a timeout always raise. The Response holds the information lines, the
        URCs that arrived meanwhile, any
        binary payload and the evidence.
        """
        if "\r" in command or "\n" in command:
            raise ValueError(f"command must be one line without CR/LF: {command!r}")
        encoded = command.encode("ascii")
        overrides: dict[str, object] = {}
        if payload is not None:
            overrides["prompt"] = wait_for_prompt
        if expects_reboot is not None:
            overrides["expects_reboot"] = expects_reboot
        spec = CommandSpec.for_command(command, **overrides)
        limit = default_timeout(command) if timeout is None else timeout
        with self._command_lock:
            self._raise_if_unusable(command)
            if self._resync:
                self._drain()
            with self._lock:
                inflight = _Inflight(self._session.start(spec))
                self._inflight = inflight
            deadline = time.monotonic() + limit
            self._write(encoded + b"\r", command)
            if payload is not None and not wait_for_prompt:
                self._write(payload + payload_end, command)
            elif spec.behaviour.prompt and payload is not None:
                self._send_payload(inflight, command, payload + payload_end, min(prompt_timeout, limit))
            self._wait_final(inflight, command, limit, deadline)
            response = inflight.response
            error = response.error
            if error is not None and (check or isinstance(error, ModemRebootedError | PortError)):
                raise error
            return response

    def _wait_final(self, inflight: _Inflight, command: str, limit: float, deadline: float) -> None:
        while not inflight.done.is_set():
            boot_deadline = inflight.boot_deadline
            until = deadline if boot_deadline is None else min(deadline, boot_deadline)
            left = until - time.monotonic()
            if left <= 0:
                if boot_deadline is not None:
                    self._end_grace(inflight)
                else:
                    self._give_up(inflight, command, limit, "final result code")
                return
            inflight.changed.wait(left)
            inflight.changed.clear()  # the loop re-reads the state after clearing

    def _end_grace(self, inflight: _Inflight) -> None:
        """No final followed the boot banner: the command fails with its ModemRebootedError."""
        with self._lock:
            if inflight.done.is_set():
                return  # the final came just now
            if self._inflight is inflight:
                self._inflight = None
            self._session.abandon()  # a final arriving later is a stray one
        inflight.finish()

    def _send_payload(self, inflight: _Inflight, command: str, data: bytes, timeout: float) -> None:
        inflight.woken.wait(timeout)
        if inflight.prompted:
            self._write(data, command)
        elif not inflight.done.is_set() and inflight.boot_deadline is None:
            self._give_up(inflight, command, timeout, "prompt ('> ' or '@')")

    def _give_up(self, inflight: _Inflight, command: str, timeout: float, waiting_for: str) -> None:
        with self._lock:
            if inflight.done.is_set():
                return  # it finished just now
            self._session.abandon()
            self._inflight = None
            self._resync = True
            partial = self._session.tokenizer.pending
        if self._failure is not None:
            raise self._failure
        raise AtTimeoutError(command, timeout, waiting_for, inflight.response.lines, partial)

    def write_raw(self, data: bytes) -> None:
        """Write bytes outside any command (e.g. "+++" to leave a data mode)."""
        self._raise_if_unusable(None)
        self._write(data, None)

    def sync(self, attempts: int = 10, interval: float = 0.2) -> bool:
        """Send AT until the modem answers OK (after power-up, autobaud, a reboot)."""
        for _ in range(attempts):
            with contextlib.suppress(AtTimeoutError, AtError):
                if self.command("AT", timeout=interval, check=False).final == "OK":
                    return True
        return False

    # -- URCs ------------------------------------------------------------------------------------

    def urcs(
        self, prefix: str | tuple[str, ...], predicate: Callable[[Urc], bool] | None = None
    ) -> UrcWaiter:
        """A waiter collecting URCs with this prefix (or any of these) from now on (see UrcWaiter).
        A prefix may also be a whole URC line such as "RDY"."""
        prefixes = (prefix,) if isinstance(prefix, str) else prefix
        waiter = UrcWaiter(self, prefixes, predicate)
        with self._lock:
            self._waiters.append(waiter)
            self._session.claimed.update(prefixes)
        return waiter

    def wait_urc(
        self, prefix: str | tuple[str, ...], timeout: float, predicate: Callable[[Urc], bool] | None = None
    ) -> Urc:
        """Wait for the next URC with this prefix (one arriving after this call)."""
        with self.urcs(prefix, predicate) as waiter:
            return waiter.get(timeout)

    def subscribe(self, prefix: str | None, callback: UrcCallback) -> Callable[[], None]:
        """Call `callback(urc)` for every URC with this prefix (None: all URCs), on a dispatcher
        thread so a slow callback never stalls the reader. Returns an unsubscribe function."""
        entry = (prefix, callback)
        with self._lock:
            self._subscribers.append(entry)
            self._start_dispatcher()

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._subscribers.remove(entry)

        return unsubscribe

    def on_reboot(self, callback: Callable[[str], None]) -> None:
        """Call `callback(boot_line)` whenever the modem announces a (re)boot."""
        with self._lock:
            self._reboot_callbacks.append(callback)
            self._start_dispatcher()

    def recent_urcs(self) -> list[Urc]:
        """The last URCs seen (up to 256), oldest first."""
        with self._lock:
            return list(self._recent)

    def pending_bytes(self) -> bytes:
        with self._lock:
            return self._session.tokenizer.pending

    def _remove_waiter(self, waiter: UrcWaiter) -> None:
        with self._lock:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)
            still_wanted = {p for w in self._waiters for p in w.prefixes}
            self._session.claimed.difference_update(set(waiter.prefixes) - still_wanted)

    def _start_dispatcher(self) -> None:
        if self._dispatcher is None:
            self._dispatcher = threading.Thread(
                target=self._dispatch_loop, name=f"at-urc:{self.name}", daemon=True
            )
            self._dispatcher.start()

    def _dispatch_loop(self) -> None:
        while True:
            item = self._dispatch_queue.get()
            if item is None:
                return
            function, args = item
            try:
                function(*args)
            except Exception:
                log.exception("%s: URC callback %r failed", self.name, function)

    # -- I/O -------------------------------------------------------------------------------------

    def _write(self, data: bytes, command: str | None) -> None:
        self.transcript.record("tx", data)
        try:
            if self._fd is not None and len(data) <= _SMALL_WRITE:
                written = os.write(self._fd, data)
                if written < len(data):
                    self._port.write(data[written:])
            else:
                self._port.write(data)
        except (serial.SerialException, OSError) as exc:
            failure = PortError(f"{self.name}: write failed: {exc}", command=command)
            self._fail(failure)
            raise failure from exc

    def _raise_if_unusable(self, command: str | None) -> None:
        if self._failure is not None:
            raise PortError(str(self._failure), command=command)
        if self._closing:
            raise PortError(f"{self.name}: channel is closed", command=command)

    def _drain(self, quiet: float = 0.05, limit: float = 0.5) -> None:
        """After a timeout, let a late answer arrive and be discarded before the next command."""
        end = time.monotonic() + limit
        while time.monotonic() < end and time.monotonic() - self._last_rx < quiet:
            time.sleep(quiet / 2)
        self._resync = False

    def _read_chunks(self) -> Iterator[bytes]:
        """Chunks as the port delivers them; b"" on an idle poll (so close() is noticed)."""
        port = self._port
        fd = _posix_fd(port)
        if fd is not None:
            # A tty or pty: one select and one read per chunk, far less Python than pyserial's
            # read loop - this is the latency-critical path of every command.
            while True:
                ready, _, _ = select.select([fd], [], [], 0.1)
                if not ready:
                    yield b""
                    continue
                data = os.read(fd, 4096)
                if not data:
                    raise OSError("end of file: the device went away")
                yield data
        while True:
            data = port.read(1)
            waiting = port.in_waiting if data else 0  # type: ignore[attr-defined]
            yield data + port.read(waiting) if waiting else data

    def _read_loop(self) -> None:
        chunks = self._read_chunks()
        while not self._closing:
            try:
                data = next(chunks)
                if not data:
                    continue
            except Exception as exc:  # pyserial and os raise several types on a vanished port
                if not self._closing:
                    self._fail(PortError(f"{self.name}: read failed (port closed or device gone): {exc}"))
                return
            self._last_rx = time.monotonic()
            self.transcript.record("rx", data)
            with self._lock:
                events = self._session.feed(data, self._last_rx)
            if events:
                self._handle(events)

    def _handle(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, CommandDone):
                inflight = self._inflight
                if inflight is not None and inflight.response is event.response:
                    if isinstance(event.response.error, ModemRebootedError):
                        # Its final may still follow the banner: wait a grace time for it.
                        inflight.boot_deadline = time.monotonic() + self.boot_grace
                        inflight.woken.set()
                        inflight.changed.set()
                        continue
                    self._inflight = None
                    inflight.finish()
            elif isinstance(event, StrayEvent) and event.resumed is not None:
                self._resume(event.resumed)
            elif isinstance(event, UrcEvent):
                self._deliver(event.urc)
            elif isinstance(event, PromptEvent):
                inflight = self._inflight
                if inflight is not None:
                    inflight.prompted = True
                    inflight.woken.set()
            elif isinstance(event, RebootEvent):
                self.reboots += 1
                for callback in list(self._reboot_callbacks):
                    self._dispatch_queue.put((callback, (event.line,)))
            elif isinstance(event, NoiseEvent | StrayEvent):
                log.debug("%s: %r", self.name, event)

    def _resume(self, response: Response) -> None:
        """The final of the command a boot banner cut off, within its grace time."""
        with self._lock:
            inflight = self._inflight
            if inflight is None or inflight.boot_deadline is None or inflight.done.is_set():
                return
            self._inflight = None
            inflight.response = response
        inflight.finish()

    def _deliver(self, urc: Urc) -> None:
        with self._lock:
            self._recent.append(urc)
            waiters = list(self._waiters)
            subscribers = [cb for prefix, cb in self._subscribers if prefix is None or prefix == urc.prefix]
        for waiter in waiters:
            waiter.offer(urc)
        for callback in subscribers:
            self._dispatch_queue.put((callback, (urc,)))

    def _fail(self, failure: PortError) -> None:
        with self._lock:
            if self._failure is None:
                self._failure = failure
            inflight, self._inflight = self._inflight, None
            if inflight is not None:
                self._session.abandon()
        if inflight is not None:
            inflight.response.error = failure
            inflight.finish()


_SMALL_WRITE = 512  # command lines: one os.write; bigger payloads go through pyserial's loop


def _posix_fd(port: serial.SerialBase) -> int | None:
    """The file descriptor of a POSIX tty port (device or pty); None for sockets and others."""
    if os.name != "posix" or type(port).__module__ != "serial.serialposix":
        return None
    try:
        return int(port.fileno())
    except (AttributeError, OSError, ValueError, serial.SerialException):
        return None


@contextlib.contextmanager
def open_channel(url: str, **kwargs: Any) -> Iterator[AtChannel]:
    channel = AtChannel.open(url, **kwargs)
    try:
        yield channel
    finally:
        channel.close()
