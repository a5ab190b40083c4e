"""Decode recorded AT captures into commands and URCs.

A capture is text, one line per host write or modem line: "> " marks host-to-modem, "< " marks
modem-to-host. Escapes (\\r, \\n, \\xNN, \\\\) stand for bytes that cannot be written plainly; a
host payload may end in "^Z" for Ctrl-Z. Lines may start with a timestamp in brackets, "[...]",
which is ignored, and blank lines and "#" comments are skipped. Echo on or off, interleaved URCs,
prompts and length-prefixed binary reads decode through the same AtSession the live channel uses.

Real captures are messier, and the decoder keeps its footing:
- A host that gives up early sends its next command before the answer came. With echo on, the
  echo names the command the following lines answer: answers that arrive after a later command
  was sent go to the command they echo ("late": true), and a command the modem never echoed is
  left without a final. With echo off only the order is known: the host's next command ends the
  previous one (a retry after silence is the common case).
- A boot banner (RDY, APP RDY ...) between a command and its final: if a final follows before
  the next host line, it is the command's, and the banner a URC of it; otherwise the command
  failed with MODEM_REBOOTED.
- A binary read whose bytes the logger left out (a placeholder line, or fewer bytes than
  announced) ends at the next host line, is marked "truncated", and its final (the first final
  result line in what was logged) still ends the command.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from at_commands.errors import AtCommandError, CmeError, CmsError, ModemRebootedError
from at_commands.grammar import CommandSpec
from at_commands.session import AtSession, CommandDone, Event, RebootEvent, Response, StrayEvent, UrcEvent
from at_commands.transcript import escape_bytes

_TIMESTAMP = re.compile(r"^\s*\[[^\]]*\]\s*")
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|r|n|t|\\)")
_ECHO_SETTING = re.compile(r"^AT(?:[A-Z&][0-9]*)*?E([01])", re.IGNORECASE)
_PIECES = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


class CaptureError(ValueError):
    """A capture line that is neither host ("> ") nor modem ("< ") text."""


@dataclass
class DecodedCommand:
    command: str
    final: str | None
    info: list[str]
    urcs: list[str]
    line: int  # capture line number of the command
    data: bytes | None = None
    payload: bytes | None = None
    prompt: bool = False
    error: str | None = None
    truncated: bool = False  # its binary payload ended before the announced length
    late: bool = False  # answered after the host had sent a later command

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "command": self.command,
            "final": self.final,
            "info": self.info,
            "urcs": self.urcs,
        }
        if self.prompt:
            out["prompt"] = True
        if self.payload is not None:
            out["payload"] = _text_or_hex(self.payload)
        if self.data is not None:
            out["data"] = _text_or_hex(self.data)
        if self.truncated:
            out["truncated"] = True
        if self.error:
            out["error"] = self.error
        if self.late:
            out["late"] = True
        out["line"] = self.line
        return out


@dataclass
class DecodedUrc:
    urc: str
    line: int
    body: str | None = None
    data: bytes | None = None
    truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"urc": self.urc}
        if self.body is not None:
            out["body"] = self.body
        if self.data is not None:
            out["data"] = _text_or_hex(self.data)
        if self.truncated:
            out["truncated"] = True
        out["line"] = self.line
        return out


Decoded = DecodedCommand | DecodedUrc


def _text_or_hex(data: bytes) -> str:
    """Mostly-text payloads as escaped text (what a person reads), binary ones as "hex:..."."""
    textual = sum(0x20 <= b < 0x7F or b in (0x09, 0x0A, 0x0D) for b in data)
    if textual >= 0.9 * len(data):
        return escape_bytes(data)
    return "hex:" + data.hex()


def unescape(text: str) -> bytes:
    """Capture text to bytes: \\r \\n \\t \\xNN \\\\ escapes; other characters as UTF-8."""

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] == "x":
            return chr(int(code[1:], 16))
        return {"r": "\r", "n": "\n", "t": "\t", "\\": "\\"}[code]

    decoded = _ESCAPE.sub(replace, text)
    return decoded.encode("latin-1") if all(ord(c) < 256 for c in decoded) else decoded.encode()


@dataclass
class _Open:
    """A command whose answer is being read."""

    decoded: DecodedCommand
    response: Response
    superseded: bool = False  # the host sent a later command before this one's answer ended
    cut: bool = False  # a boot banner cut it off; its final may still come before the next host line
    held: list[DecodedUrc] = field(default_factory=list)  # URCs after the banner, until we know


@dataclass
class _State:
    session: AtSession = field(default_factory=AtSession)
    current: _Open | None = None
    queue: list[DecodedCommand] = field(default_factory=list)  # sent while `current` was open
    echo: bool | None = None  # whether the modem echoes commands, as far as the capture shows
    raw: list[tuple[int, bytes]] = field(default_factory=list)  # (line, bytes) of a binary block


def decode_capture(lines: Iterable[str]) -> Iterator[Decoded]:
    """Commands (with their answers and the URCs that arrived while each was pending) and the URCs
    outside any command, in capture order."""
    state = _State()
    number = 0
    for number, raw in enumerate(lines, start=1):
        line = _TIMESTAMP.sub("", raw.rstrip("\r\n"))
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith(">"):
            yield from _host_line(state, line[2:] if line.startswith("> ") else line[1:], number)
        elif line.startswith("<"):
            content = line[2:] if line.startswith("< ") else line[1:]
            yield from _modem_bytes(state, unescape(content) + b"\r\n", number)
        else:
            raise CaptureError(f"line {number}: expected '> ' (host) or '< ' (modem), got {raw[:60]!r}")
    yield from _end_binary(state, number)
    yield from _close(state)


def _host_line(state: _State, content: str, number: int) -> Iterator[Decoded]:
    yield from _end_binary(state, number)
    data = unescape(content.replace("^Z", "\\x1a"))
    is_command = content[:2].upper() == "AT" or content[:2] == "A/"
    current = state.current
    if current is not None and current.response.prompted and not current.cut and not is_command:
        current.decoded.payload = data if current.decoded.payload is None else current.decoded.payload + data
        return
    if not is_command:
        return
    decoded = DecodedCommand(command=content.strip(), final=None, info=[], urcs=[], line=number)
    if current is None:
        _start(state, decoded)
    elif current.cut or not (state.echo or current.response.echoed):
        # A reboot without a final, or echo off: nothing will tell a late answer from the new
        # command's, so the host's next command ends this one.
        yield from _close(state)
        _start(state, decoded)
    else:
        current.superseded = True
        state.queue.append(decoded)


def _start(state: _State, decoded: DecodedCommand) -> None:
    response = state.session.start(CommandSpec.for_command(decoded.command))
    state.current = _Open(decoded, response, superseded=bool(state.queue))


def _modem_bytes(state: _State, data: bytes, number: int) -> Iterator[Decoded]:
    # Line by line (a capture line may hold several modem lines), so a queued command starts
    # before the lines that answer it are read.
    for piece in _PIECES.findall(data):
        yield from _modem_piece(state, piece, number)


def _modem_piece(state: _State, piece: bytes, number: int) -> Iterator[Decoded]:
    if state.session.tokenizer.binary_left:
        state.raw.append((number, piece))
    else:
        state.raw.clear()
        if state.queue:
            yield from _echo_of_queued(state, piece.decode("latin-1").strip())
    yield from _events(state, state.session.feed(piece, now=0.0), number)


def _end_binary(state: _State, number: int) -> Iterator[Decoded]:
    """A binary block still reading when the host writes again was logged short: it ends here,
    and what followed its final is read again, with the capture lines it came from."""
    events, rest = state.session.end_binary()
    yield from _events(state, events, state.raw[-1][0] if state.raw else number)
    pieces: list[tuple[int, bytes]] = []
    for line, piece in reversed(state.raw):
        if len(rest) <= sum(len(p) for _, p in pieces):
            break
        pieces.insert(0, (line, piece))
    state.raw = []
    excess = sum(len(p) for _, p in pieces) - len(rest)
    for index, (line, piece) in enumerate(pieces):
        yield from _modem_piece(state, piece[excess:] if index == 0 else piece, line)


def _echo_of_queued(state: _State, text: str) -> Iterator[Decoded]:
    """The echo of a command the host sent while an earlier one was open: the earlier ones got
    no answer; that command's answer starts here."""
    current = state.current
    upper = text.upper()
    own = current is not None and not current.cut and not current.response.echoed
    if own and current is not None and upper == current.decoded.command.upper():
        return  # the open command's own echo, late
    for index, queued in enumerate(state.queue):
        if queued.command.upper() == upper:
            skipped = state.queue[:index]
            del state.queue[: index + 1]
            queue, state.queue = state.queue, []
            yield from _close(state)
            yield from skipped
            state.queue = queue
            _start(state, queued)
            return


def _events(state: _State, events: list[Event], number: int) -> Iterator[Decoded]:
    for event in events:
        current = state.current
        if isinstance(event, CommandDone):
            if current is None or event.response is not current.response:
                continue
            if isinstance(event.response.error, ModemRebootedError):
                current.cut = True  # the final may still follow the banner
            else:
                yield from _finish(state, event.response)
        elif isinstance(event, StrayEvent):
            if event.resumed is not None and current is not None and current.cut:
                yield from _finish(state, event.resumed)
        elif isinstance(event, RebootEvent):
            state.echo = None  # echo is back to its power-on default, which differs by vendor
        elif isinstance(event, UrcEvent):
            if current is not None and not current.cut and _owned(event, current.response):
                continue
            urc = DecodedUrc(event.urc.line, number, event.urc.body, event.urc.data, event.urc.truncated)
            if current is not None and current.cut:
                current.held.append(urc)
            else:
                yield urc


def _owned(event: UrcEvent, response: Response) -> bool:
    """URCs that arrived while a command was pending are reported with that command."""
    return any(u is event.urc for u in response.urcs)


def _finish(state: _State, response: Response) -> Iterator[Decoded]:
    """The open command got its final: report it, then start the next queued command."""
    current = state.current
    assert current is not None
    state.current = None
    _fill(current.decoded, response)
    current.decoded.late = current.superseded
    _learn_echo(state, current.decoded.command, response)
    yield current.decoded
    if state.queue:
        _start(state, state.queue.pop(0))


def _close(state: _State) -> Iterator[Decoded]:
    """The open command (and any queued) ends without a final in this capture."""
    current = state.current
    if current is not None:
        state.current = None
        abandoned = state.session.abandon()
        _fill(current.decoded, current.response if current.cut or abandoned is None else abandoned)
        yield current.decoded
        yield from current.held
    queued, state.queue = state.queue, []
    yield from queued


def _fill(decoded: DecodedCommand, response: Response) -> None:
    decoded.final = response.final or None
    decoded.info = list(response.info)
    decoded.urcs = [u.line if u.body is None else f"{u.line}\n{u.body}" for u in response.urcs]
    decoded.data = response.data
    decoded.truncated = response.truncated
    decoded.prompt = response.prompted
    decoded.error = _error_name(response)


def _learn_echo(state: _State, command: str, response: Response) -> None:
    setting = _ECHO_SETTING.match(command)
    if setting and response.error is None:
        state.echo = setting.group(1) == "1"
    elif response.final:
        state.echo = response.echoed


def _error_name(response: Response) -> str | None:
    error = response.error
    if isinstance(error, CmeError | CmsError):
        return error.name
    if isinstance(error, ModemRebootedError):
        return "MODEM_REBOOTED"
    if isinstance(error, AtCommandError):
        return error.final.replace(" ", "_")
    return None
