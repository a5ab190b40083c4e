"""A Cortex-M image running in QEMU: UART0 is the console (every line kept with its host
timestamp), UART1 a TCP connection to a simulated modem, and the exit status is the one the
firmware passed to semihosting SYS_EXIT.

    with QemuBoard(elf, modem="127.0.0.1:40123") as board:
        board.wait_for(lambda line: " done " in line.text, timeout=60)
        status = board.wait(timeout=10)

QEMU connects to the modem (the simulator listens first, so there is no race and no retry);
the process is always killed when the board is closed, also when a wait times out.
"""

from __future__ import annotations

import contextlib
import importlib
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from hil.flash.base import image_format

QEMU_FORMATS = frozenset({"elf", "bin"})  # -kernel loads an ELF, or a raw image at address 0
_STDERR_KEPT = 4000


class QemuError(RuntimeError):
    """QEMU is missing, did not start, or the image cannot be booted; the message says why."""


class QemuTimeoutError(QemuError):
    """A wait on the running image ran out; the message has the last console lines."""


@dataclass(frozen=True)
class ConsoleLine:
    """One console line and when the host read it (time.monotonic() and time.time())."""

    text: str
    monotonic: float
    wall: float


@dataclass(frozen=True)
class QemuMachine:
    """What QEMU needs to know about a board (boards/<name>.yaml `qemu:`)."""

    machine: str = "mps2-an385"
    cpu: str = "cortex-m3"


def machine_for_board(board: str) -> QemuMachine:
    """The QEMU machine of boards/<board>.yaml (`qemu:`); QemuError for a board QEMU cannot run."""
    load_board = getattr(importlib.import_module("hil.firmware.boards"), "load_board", None)
    if load_board is None:  # the board loader is not in this tree yet: the one QEMU board we know
        if board == "mps2-an385":
            return QemuMachine("mps2-an385", "cortex-m3")
        raise QemuError(f"board {board!r}: QEMU runs only mps2-an385")
    try:
        loaded = load_board(board)
    except (OSError, ValueError) as exc:
        raise QemuError(f"board {board!r}: {exc}") from exc
    spec = getattr(loaded, "qemu", None)
    if spec is None:
        raise QemuError(f"board {board!r} has no qemu: section; QEMU cannot run it (try mps2-an385)")
    return QemuMachine(str(spec.machine), str(spec.cpu))


def qemu_binary(name: str = "qemu-system-arm") -> str:
    path = shutil.which(name)
    if path is None:
        raise QemuError(f"{name} not found on PATH: install qemu-system-arm (bin/setup installs it)")
    return path


def modem_endpoint(modem: str) -> tuple[str, int]:
    """(host, port) from 'HOST:PORT' or pyserial's 'socket://HOST:PORT'."""
    text = modem.removeprefix("socket://")
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise QemuError(f"modem endpoint {modem!r}: expected HOST:PORT or socket://HOST:PORT")
    return host, int(port)


class QemuBoard:
    """One QEMU process running one image; a context manager that always kills it."""

    def __init__(
        self,
        image: Path,
        *,
        machine: QemuMachine | None = None,
        modem: str | None = None,
        icount_shift: int | None = None,
        on_line: Callable[[ConsoleLine], None] | None = None,
        extra_args: Sequence[str] = (),
        qemu: str | None = None,
    ) -> None:
        self.image = Path(image)
        fmt = image_format(self.image)
        if fmt not in QEMU_FORMATS:
            raise QemuError(
                f"image {self.image}: QEMU boots ELF or BIN images, got {fmt.upper()} "
                "(convert it: arm-none-eabi-objcopy -I ihex -O binary)"
            )
        self.machine = machine or QemuMachine()
        self.modem = modem
        self.icount_shift = icount_shift
        self.on_line = on_line
        self.extra_args = tuple(extra_args)
        self._qemu = qemu
        self.lines: list[ConsoleLine] = []
        self._new_lines: queue.Queue[ConsoleLine | None] = queue.Queue()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._readers: list[threading.Thread] = []
        self._stderr = bytearray()
        self.started_at: float | None = None

    # ------------------------------------------------------------ lifecycle
    def command(self) -> list[str]:
        """The QEMU command line for this board."""
        uart1 = "null"
        if self.modem is not None:
            host, port = modem_endpoint(self.modem)
            uart1 = f"tcp:{host}:{port}"
        command = [
            self._qemu or qemu_binary(),
            "-M", self.machine.machine, "-cpu", self.machine.cpu,
            "-nographic", "-monitor", "none",
            "-semihosting-config", "enable=on,target=native",
            "-serial", "stdio", "-serial", uart1,
            "-kernel", str(self.image),
        ]  # fmt: skip
        if self.icount_shift is not None:
            command += ["-icount", f"shift={self.icount_shift},align=off,sleep=on"]
        return command + list(self.extra_args)

    def start(self) -> QemuBoard:
        if self._process is not None:
            raise QemuError("this QEMU board was already started")
        command = self.command()
        try:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            raise QemuError(f"cannot start {command[0]}: {exc}") from exc
        self.started_at = time.monotonic()
        assert self._process.stdout is not None and self._process.stderr is not None
        stdout, stderr = self._process.stdout, self._process.stderr
        self._readers = [
            threading.Thread(target=self._read_console, args=(stdout,), name="qemu-console", daemon=True),
            threading.Thread(target=self._read_stderr, args=(stderr,), name="qemu-stderr", daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        return self

    def stop(self) -> int | None:
        """Kill QEMU if it still runs; returns its exit status (negative: killed by a signal)."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):  # kill() cannot be ignored
            process.wait(timeout=10)
        for reader in self._readers:
            reader.join(timeout=5)
        return process.returncode

    def __enter__(self) -> QemuBoard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------------- readers
    def _read_console(self, stream: object) -> None:
        buffer = b""
        read = stream.read1 if hasattr(stream, "read1") else stream.read  # type: ignore[attr-defined]
        while True:
            chunk = read(4096)
            if not chunk:
                break
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            for raw in complete:
                self._add_line(raw)
        if buffer:
            self._add_line(buffer)
        self._new_lines.put(None)

    def _add_line(self, raw: bytes) -> None:
        line = ConsoleLine(raw.rstrip(b"\r").decode("utf-8", "replace"), time.monotonic(), time.time())
        with self._lock:
            self.lines.append(line)
        self._new_lines.put(line)
        if self.on_line is not None:
            self.on_line(line)

    def _read_stderr(self, stream: object) -> None:
        read = stream.read1 if hasattr(stream, "read1") else stream.read  # type: ignore[attr-defined]
        while True:
            chunk = read(4096)
            if not chunk:
                return
            with self._lock:
                self._stderr += chunk
                del self._stderr[:-_STDERR_KEPT]

    # ---------------------------------------------------------------- state
    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.poll()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def stderr(self) -> str:
        with self._lock:
            return self._stderr.decode("utf-8", "replace").strip()

    def console_text(self) -> list[str]:
        with self._lock:
            return [line.text for line in self.lines]

    def _tail(self, count: int = 15) -> str:
        lines = self.console_text()[-count:]
        text = "\n  ".join(lines) if lines else "(no console output)"
        stderr = self.stderr
        return f"last console lines:\n  {text}" + (f"\nqemu stderr: {stderr}" if stderr else "")

    # ---------------------------------------------------------------- waits
    def stream(self, timeout: float) -> Iterator[ConsoleLine]:
        """Console lines as they arrive (each once, across calls) until QEMU's output ends;
        QemuTimeoutError when `timeout` seconds pass first."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QemuTimeoutError(f"console still open after {timeout:g} s; {self._tail()}")
            try:
                line = self._new_lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if line is None:
                self._new_lines.put(None)  # later calls end at once too
                return
            yield line

    def wait_for(self, predicate: Callable[[ConsoleLine], bool], timeout: float) -> ConsoleLine:
        """The first console line (already read or still to come) that satisfies `predicate`."""
        with self._lock:
            seen = list(self.lines)
        for line in seen:
            if predicate(line):
                return line
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                fresh = self.lines[len(seen) :]
                seen = list(self.lines)
            for line in fresh:
                if predicate(line):
                    return line
            if not self.running and self._readers_done():
                status = self.returncode
                raise QemuError(f"QEMU exited (status {status}) before the awaited line; {self._tail()}")
            if time.monotonic() > deadline:
                raise QemuTimeoutError(
                    f"awaited console line did not come within {timeout:g} s; {self._tail()}"
                )
            time.sleep(0.02)

    def _readers_done(self) -> bool:
        return all(not reader.is_alive() for reader in self._readers)

    def wait(self, timeout: float) -> int:
        """The image's exit status; after `timeout` seconds QEMU is killed and QemuTimeoutError raised."""
        if self._process is None:
            raise QemuError("QEMU board not started")
        try:
            status = self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise QemuTimeoutError(
                f"image still running after {timeout:g} s (killed); {self._tail()}"
            ) from None
        for reader in self._readers:
            reader.join(timeout=5)
        if status != 0 and not self.lines and self.stderr:
            raise QemuError(f"QEMU failed (status {status}): {self.stderr}")
        return status
