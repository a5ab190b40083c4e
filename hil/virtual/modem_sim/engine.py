"""The V.250 engine: bytes in, framed bytes out, byte-exact to the reference (§0.1).

It owns everything that is the same on every module: line assembly (``\\r`` terminator, ``\\n``
tolerated, backspace, ``A/``, maximum length), echo (ATE), verbose/numeric results (ATV), quiet
(ATQ), CMEE error forms, ``;`` concatenation, data prompts with fixed-length / Ctrl-Z / data-mode
payloads, and URC placement. What a command *means* is the dispatcher's business (dialects).

Framing (V1): info lines ``\\r\\n<l1>\\r\\n<l2>\\r\\n``; final ``\\r\\n<text>\\r\\n``; URCs
``\\r\\n<urc>\\r\\n``. V0: info lines ``<l>\\r\\n`` with no header, finals as ``<digit>\\r``
(text + ``\\r`` for results without a V.250 number).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from hil.virtual.modem_sim.errors import AtError, CmeError, CmsError, PlainError, cme_text, cms_text
from hil.virtual.modem_sim.parser import Command, Kind, parse_line
from hil.virtual.modem_sim.replies import OK, CtrlZ, DataMode, FixedLength, Line, Prompt, Reply, Result
from hil.virtual.modem_sim.transcript import Transcript

log = logging.getLogger(__name__)

CR, LF, BS, CTRL_Z, ESC = 0x0D, 0x0A, 0x08, 0x1A, 0x1B
NUMERIC_RESULTS = {
    "OK": "0",
    "CONNECT": "1",
    "RING": "2",
    "NO CARRIER": "3",
    "ERROR": "4",
    "NO DIALTONE": "6",
    "BUSY": "7",
    "NO ANSWER": "8",
}
_FAST_OK_V1 = b"\r\nOK\r\n"


class Mode(Enum):
    COMMAND = "command"
    BUSY = "busy"  # a command is running (modem time passes); input waits in the backlog
    ENTRY = "entry"  # a payload after a prompt
    SILENT = "silent"  # off, booting, asleep: input is lost, nothing is sent


@dataclass(slots=True)
class LineEffects:
    """How a fault bends the handling of one command line (faults.py decides)."""

    delay_s: float = 0.0  # answer late
    drop: bool = False  # never answer (the command is lost after its echo)
    truncate_at: int | None = None  # send only this many bytes of the answer
    insert: bytes | None = None  # bytes put into the middle of the answer
    urcs_before: list[Sequence[Line]] = field(default_factory=list)  # URCs between echo and answer
    reboot: bool = False  # the module resets instead of answering


Dispatcher = Callable[[Command], Result]
LineHook = Callable[[str], LineEffects | None]
RebootHook = Callable[[], None]


@dataclass(slots=True)
class Settings:
    """Per-boot V.250 state (reset on reboot and ATZ)."""

    echo: bool = True
    verbose: bool = True
    quiet: bool = False
    cmee: int = 0
    echo_payload: bool = False


class AtEngine:
    def __init__(
        self,
        sink: Callable[[bytes], None],
        dispatch: Dispatcher,
        *,
        vendor: str,
        max_line: int = 1024,
        urc_policy: str = "inline",
        transcript: Transcript | None = None,
        line_hook: LineHook | None = None,
        on_reboot: RebootHook | None = None,
        scale: Callable[[float], float] = lambda s: s,
    ) -> None:
        self._sink = sink
        self._dispatch = dispatch
        self.vendor = vendor
        self.max_line = max_line
        self.urc_policy = urc_policy
        self.transcript = transcript
        self.line_hook = line_hook
        self.on_reboot = on_reboot
        self._scale = scale
        self.settings = Settings()
        self.default_cmee = 0
        self.mode = Mode.COMMAND
        self._line = bytearray()
        self._overflow = False
        self._after_cr = False
        self._last_line = b""
        self._out = bytearray()
        self._capture: bytearray | None = None
        self._effects: LineEffects | None = None
        self._deferred: list[bytes] = []
        self._backlog = bytearray()
        self._entry: Prompt | None = None
        self._payload = bytearray()
        self._idle_handle: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self.lines_handled = 0

    # ----------------------------------------------------------------- input
    def feed(self, data: bytes) -> None:
        """Bytes from the host. Never raises: bad input gets ERROR, internal faults are logged."""
        try:
            self._feed(data)
        except Exception:  # a simulator bug must not kill the transport
            log.exception("modem engine failed on %d bytes of input", len(data))
            self._reset_input()
            self._emit_final_error(PlainError())
        self._flush()

    def _feed(self, data: bytes) -> None:
        i, n = 0, len(data)
        while i < n:
            mode = self.mode
            if mode is Mode.SILENT:
                if self.transcript:
                    self.transcript.rx(data[i:], note="dropped")
                return
            if mode is Mode.BUSY:
                self._backlog += data[i:]
                return
            if mode is Mode.ENTRY:
                i = self._feed_entry(data, i)
                continue
            byte = data[i]
            if self._after_cr:
                self._after_cr = False
                if byte == LF:  # CR LF: the LF belongs to the CR
                    i += 1
                    continue
            cr = data.find(b"\r", i)
            lf = data.find(b"\n", i)
            end = cr if lf < 0 or (0 <= cr < lf) else lf
            if end < 0:
                self._append(data[i:])
                if len(self._line) == 2 and self._line.upper() == b"A/":
                    self._line.clear()
                    self._repeat_last()
                return
            self._append(data[i:end])
            self._after_cr = data[end] == CR
            i = end + 1
            raw = bytes(self._line)
            overflow = self._overflow
            self._line.clear()
            self._overflow = False
            if not raw.strip() and not overflow:
                continue  # an empty line gets no answer
            self._handle_line(raw + data[end : end + 1], raw, overflow)

    def _append(self, chunk: bytes) -> None:
        room = self.max_line - len(self._line)
        if len(chunk) > room:
            self._overflow = True
            chunk = chunk[: max(room, 0)]
        self._line += chunk

    def _reset_input(self) -> None:
        self._line.clear()
        self._overflow = False
        self._after_cr = False

    def client_changed(self, *, drop_payload: bool = True) -> None:
        """A new host connected: forget its predecessor's half line (and pending payload)."""
        if self._line and self.transcript:
            self.transcript.rx(bytes(self._line), note="partial line discarded")
        self._reset_input()
        if drop_payload and self.mode is Mode.ENTRY:
            self._cancel_idle()
            self._entry = None
            self._payload.clear()
            self.mode = Mode.COMMAND

    # ------------------------------------------------------------ line level
    def _handle_line(self, wire: bytes, raw: bytes, overflow: bool) -> None:
        if self.transcript:
            self.transcript.rx_line(wire)
        self.lines_handled += 1
        if b"\x08" in raw:
            raw = _apply_backspaces(raw)
        if self.settings.echo:
            self._emit(raw + b"\r")
        text = raw.decode("latin-1").strip()
        if overflow or len(text) < 2 or text[:2].upper() != "AT":
            self._emit_final_error(PlainError())
            return
        self._last_line = raw
        body = text[2:]
        if not body and self.line_hook is None:  # the hot path: a bare "AT"
            self._emit_final(OK)
            return
        effects = self.line_hook(text) if self.line_hook else None
        if effects is not None and self._apply_effects_before(effects):
            return
        try:
            commands = parse_line(body)
        except AtError as exc:
            self._emit_final_error(exc)
            self._end_line()
            return
        if effects is not None and effects.delay_s > 0:
            self._start_task(self._delayed(effects.delay_s, commands))
            return
        self._run(commands, 0)

    def _repeat_last(self) -> None:
        if self._last_line:
            self._handle_line(b"A/", self._last_line, False)

    def _apply_effects_before(self, effects: LineEffects) -> bool:
        """Returns True when the line is finished (dropped or rebooted)."""
        for urc in effects.urcs_before:
            self._emit(_block(urc, self.settings.verbose))
        if effects.reboot:
            if self.on_reboot:
                self.on_reboot()
            return True
        if effects.drop:
            return True
        if effects.truncate_at is not None or effects.insert is not None:
            self._capture = bytearray()
            self._effects = effects
        return False

    async def _delayed(self, delay_s: float, commands: list[Command]) -> None:
        await asyncio.sleep(self._scale(delay_s))
        self._run(commands, 0)

    def _run(self, commands: list[Command], start: int) -> None:
        """Run commands[start:]; hands over to a task at the first one that takes modem time."""
        if not commands:  # a bare "AT"
            self._emit_final(OK)
            self._end_line()
            return
        last = len(commands) - 1
        for index in range(start, last + 1):
            command = commands[index]
            try:
                result = self._dispatch(command)
            except AtError as exc:
                self._emit_final_error(exc)
                self._end_line()
                return
            if inspect.iscoroutine(result):
                self._start_task(self._await_result(result, commands, index), result)
                return
            assert isinstance(result, Reply | Prompt)
            if not self._apply(result, index == last):
                return
        self._end_line()

    def _apply(self, result: Reply | Prompt, is_last: bool) -> bool:
        """Print a result. False when the line is done early (prompt opened)."""
        if isinstance(result, Prompt):
            self._open_prompt(result)
            return False
        if result.lines:
            self._emit(_block(result.lines, self.settings.verbose))
        if is_last and result.final is not None:
            self._emit_final(result.final)
        if result.after:
            self._emit(_block(result.after, self.settings.verbose))
        return True

    async def _await_result(
        self, pending: Coroutine[Any, Any, Reply | Prompt], commands: list[Command], index: int
    ) -> None:
        try:
            result = await pending
        except AtError as exc:
            self._emit_final_error(exc)
            self._end_line()
            return
        if self._apply(result, index == len(commands) - 1):
            self.mode = Mode.COMMAND
            if index + 1 < len(commands):
                self._run(commands, index + 1)
            else:
                self._end_line()

    def _start_task(self, coro: Coroutine[Any, Any, None], *inner: Coroutine[Any, Any, Any]) -> None:
        self.mode = Mode.BUSY
        self._flush()
        task = asyncio.get_running_loop().create_task(self._guard(coro))
        # A task cancelled before it ran (reboot, close) never awaited its coroutines: close them.
        task.add_done_callback(lambda _t: _close(coro, *inner))
        self._task = task

    async def _guard(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("modem command task failed")
            self._emit_final_error(PlainError())
            self._end_line()
        finally:
            self._flush()
            if self.mode in (Mode.COMMAND, Mode.ENTRY) and self._backlog:
                backlog = bytes(self._backlog)
                self._backlog.clear()
                self.feed(backlog)

    def _end_line(self) -> None:
        """The line's answer is complete: release captured output and deferred URCs."""
        if self.mode is Mode.BUSY:
            self.mode = Mode.COMMAND
        if self._capture is not None:
            captured, effects = bytes(self._capture), self._effects
            self._capture, self._effects = None, None
            self._emit(_bend(captured, effects))
        if self._deferred and self.mode is Mode.COMMAND:
            for block in self._deferred:
                self._emit(block)
            self._deferred.clear()

    # --------------------------------------------------------------- prompts
    def _open_prompt(self, prompt: Prompt) -> None:
        self._entry = prompt
        self._payload.clear()
        self.mode = Mode.ENTRY
        if prompt.prompt:
            self._emit(prompt.prompt)

    def _feed_entry(self, data: bytes, i: int) -> int:
        prompt = self._entry
        assert prompt is not None
        entry = prompt.entry
        if isinstance(entry, FixedLength):
            need = entry.size - len(self._payload)
            chunk = data[i : i + need]
            self._payload += chunk
            self._echo_payload(chunk)
            if len(self._payload) >= entry.size:
                self._finish_entry(bytes(self._payload))
            return i + len(chunk)
        if isinstance(entry, CtrlZ):
            return self._feed_ctrl_z(entry, data, i)
        return self._feed_data_mode(entry, data, i)

    def _feed_ctrl_z(self, entry: CtrlZ, data: bytes, i: int) -> int:
        n = len(data)
        while i < n:
            byte = data[i]
            i += 1
            if byte == CTRL_Z:
                self._finish_entry(bytes(self._payload))
                return i
            if byte == ESC:
                self._log_payload(note="aborted")
                self._entry = None
                self._payload.clear()
                self.mode = Mode.COMMAND
                self._apply(entry.on_abort, True)
                self._end_line()
                return i
            self._echo_payload(bytes((byte,)))
            if byte == CR and entry.reprompt_on_cr:
                self._payload += b"\n"
                self._emit(b"\r\n> ")
                continue
            if len(self._payload) < entry.max_size:
                self._payload.append(byte)
        return i

    def _feed_data_mode(self, entry: DataMode, data: bytes, i: int) -> int:
        self._payload += data[i:]
        position = self._payload.find(entry.terminator)
        if position >= 0:
            self._cancel_idle()
            chunk = bytes(self._payload[:position])
            self._payload.clear()
            self._finish_entry(chunk)
            return len(data)
        self._cancel_idle()
        loop = asyncio.get_running_loop()
        self._idle_handle = loop.call_later(entry.idle_flush_s, self._flush_data_mode)
        return len(data)

    def _flush_data_mode(self) -> None:
        """Data-mode time limit expired: send what arrived so far, stay in data mode."""
        self._idle_handle = None
        prompt = self._entry
        if prompt is None or not self._payload or self.mode is not Mode.ENTRY:
            return
        assert isinstance(prompt.entry, DataMode)
        keep = len(prompt.entry.terminator) - 1
        tail = bytes(self._payload[-keep:]) if keep else b""
        if prompt.entry.terminator.startswith(tail) and tail:
            chunk = bytes(self._payload[:-keep])  # may be the start of the terminator: hold it
            self._payload = bytearray(tail)
        else:
            chunk = bytes(self._payload)
            self._payload.clear()
        if chunk:
            if self.transcript:
                self.transcript.rx(chunk, note="data mode")
            result = prompt.then(chunk)
            if inspect.iscoroutine(result):
                result.close()

    def _cancel_idle(self) -> None:
        if self._idle_handle is not None:
            self._idle_handle.cancel()
            self._idle_handle = None

    def _finish_entry(self, payload: bytes) -> None:
        prompt = self._entry
        assert prompt is not None
        self._log_payload(payload)
        self._entry = None
        self._payload.clear()
        self.mode = Mode.COMMAND
        try:
            result = prompt.then(payload)
        except AtError as exc:
            self._emit_final_error(exc)
            self._end_line()
            return
        if inspect.iscoroutine(result):
            self._start_task(self._await_result(result, [], -1), result)
            return
        assert isinstance(result, Reply | Prompt)
        if self._apply(result, True):
            self._end_line()

    def _echo_payload(self, chunk: bytes) -> None:
        if self.settings.echo and self.settings.echo_payload and chunk:
            self._emit(chunk)

    def _log_payload(self, payload: bytes | None = None, note: str = "payload") -> None:
        if self.transcript:
            self.transcript.rx(bytes(self._payload) if payload is None else payload, note=note)

    # ---------------------------------------------------------------- output
    def _emit(self, data: bytes) -> None:
        if self._capture is not None:
            self._capture += data
        else:
            self._out += data

    def _flush(self) -> None:
        if self._out:
            data = bytes(self._out)
            self._out.clear()
            self._sink(data)

    def _emit_final(self, text: str) -> None:
        settings = self.settings
        if settings.quiet:
            return
        if settings.verbose:
            self._emit(_FAST_OK_V1 if text == OK else b"\r\n" + text.encode("latin-1") + b"\r\n")
        else:
            self._emit(NUMERIC_RESULTS.get(text, text).encode("latin-1") + b"\r")

    def _emit_final_error(self, exc: AtError) -> None:
        cmee = self.settings.cmee
        if isinstance(exc, CmeError) and cmee:
            text = f"+CME ERROR: {exc.code if cmee == 1 else cme_text(self.vendor, exc.code)}"
        elif isinstance(exc, CmsError):  # 27.005: +CMS ERROR regardless of CMEE
            text = f"+CMS ERROR: {exc.code if cmee != 2 else cms_text(exc.code)}"
        else:
            text = "ERROR"
        self._emit_final(text)

    def urc(self, lines: Sequence[Line]) -> None:
        """Send a URC now, or hold it while a payload is being entered / per the deferred policy."""
        if self.mode is Mode.SILENT:
            return
        block = _block(lines, True)
        if self.mode is Mode.ENTRY or (self.mode is Mode.BUSY and self.urc_policy == "deferred"):
            self._deferred.append(block)
            return
        self._emit(block)
        self._flush()

    def raw(self, data: bytes) -> None:
        """Bytes outside any framing (garbage faults, data pushed in online modes)."""
        if self.mode is not Mode.SILENT:
            self._emit(data)
            self._flush()

    # -------------------------------------------------------------- lifecycle
    def silence(self) -> None:
        """Power off / reboot / PSM: drop everything in flight."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        self._cancel_idle()
        self._entry = None
        self._payload.clear()
        self._backlog.clear()
        self._deferred.clear()
        self._capture, self._effects = None, None
        self._reset_input()
        self._out.clear()
        self.mode = Mode.SILENT

    def wake(self, *, reset_settings: bool) -> None:
        if reset_settings:
            self.settings = Settings(cmee=self.default_cmee, echo_payload=self.settings.echo_payload)
        self.mode = Mode.COMMAND

    def handle_basic(self, command: Command) -> Reply | None:
        """E/V/Q/Z and friends; None when the command is not a V.250 basic one."""
        name, settings = command.name, self.settings
        value = int(command.raw) if command.raw.isdigit() else 0
        if name == "E" and value in (0, 1):
            settings.echo = value == 1
        elif name == "V" and value in (0, 1):
            settings.verbose = value == 1
        elif name == "Q" and value in (0, 1):
            settings.quiet = value == 1
        elif name in ("Z", "&F"):
            self.settings = Settings(cmee=self.default_cmee, echo_payload=settings.echo_payload)
        elif name in ("&W", "&P", "&K", "&C", "&D", "&S", "X", "L", "M", "T", "P", "&V", "H"):
            pass  # accepted and without effect in the simulator
        elif name.startswith("S") and name[1:].isdigit():
            register = int(name[1:])
            defaults = {3: 13, 4: 10, 5: 8, 0: 0}
            if command.kind is Kind.READ:
                return Reply((f"{defaults.get(register, 0):03d}",))
        else:
            return None
        return Reply()


def _close(*coroutines: Coroutine[Any, Any, Any]) -> None:
    for coroutine in coroutines:
        coroutine.close()


def _block(lines: Sequence[Line], verbose: bool) -> bytes:
    encoded = [line if isinstance(line, bytes) else line.encode("latin-1", "replace") for line in lines]
    if verbose:
        return b"\r\n" + b"\r\n".join(encoded) + b"\r\n"
    return b"".join(line + b"\r\n" for line in encoded)


def _bend(data: bytes, effects: LineEffects | None) -> bytes:
    if effects is None:
        return data
    if effects.insert is not None:
        middle = len(data) // 2
        data = data[:middle] + effects.insert + data[middle:]
    if effects.truncate_at is not None:  # negative: cut in the middle of the answer
        data = data[: effects.truncate_at if effects.truncate_at >= 0 else len(data) // 2]
    return data


def _apply_backspaces(raw: bytes) -> bytes:
    out = bytearray()
    for byte in raw:
        if byte == BS:
            if out:
                out.pop()
        else:
            out.append(byte)
    return bytes(out)
