"""Decode recorded AT captures into commands and URCs.

A capture is text, one line per host write or modem line: "> " marks host-to-modem, "< " marks
modem-to-host. Escapes (\\r, \\n, \\xNN, \\\\) stand for bytes that cannot be written plainly; a
host payload may end in "^Z" for Ctrl-Z. Lines may start with a timestamp in brackets, "[...]",
which is ignored, and blank lines and "#" comments are skipped. Echo on or off, interleaved URCs,
prompts and length-prefixed binary reads decode through the same AtSession the live channel uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from at_commands.errors import AtCommandError, CmeError, CmsError, ModemRebootedError
from at_commands.grammar import CommandSpec
from at_commands.session import AtSession, CommandDone, Response, UrcEvent
from at_commands.transcript import escape_bytes

_TIMESTAMP = re.compile(r"^\s*\[[^\]]*\]\s*")
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|r|n|t|\\)")


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
        if self.error:
            out["error"] = self.error
        out["line"] = self.line
        return out


@dataclass
class DecodedUrc:
    urc: str
    line: int
    body: str | None = None
    data: bytes | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"urc": self.urc}
        if self.body is not None:
            out["body"] = self.body
        if self.data is not None:
            out["data"] = _text_or_hex(self.data)
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
class _State:
    session: AtSession = field(default_factory=AtSession)
    current: DecodedCommand | None = None
    response: Response | None = None


def decode_capture(lines: Iterable[str]) -> Iterator[Decoded]:
    """Commands (with their answers and the URCs that arrived while each was pending) and the URCs
    outside any command, in capture order."""
    state = _State()
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
    if state.current is not None:
        yield _finish(state, None)


def _host_line(state: _State, content: str, number: int) -> Iterator[Decoded]:
    data = unescape(content.replace("^Z", "\\x1a"))
    is_command = content[:2].upper() == "AT" or content[:2] == "A/"
    current = state.current
    if current is not None and state.response is not None and state.response.prompted and not is_command:
        current.payload = data if current.payload is None else current.payload + data
        return
    if current is not None and is_command:
        # The previous command never got a final in this capture.
        yield _finish(state, None)
    if not is_command:
        return
    command = content.strip()
    state.response = state.session.start(CommandSpec.for_command(command))
    state.current = DecodedCommand(command=command, final=None, info=[], urcs=[], line=number)


def _modem_bytes(state: _State, data: bytes, number: int) -> Iterator[Decoded]:
    events = state.session.feed(data, now=0.0)
    # URCs that arrived while a command was pending are reported with that command.
    owned = {id(u) for e in events if isinstance(e, CommandDone) for u in e.response.urcs}
    if state.response is not None:
        owned |= {id(u) for u in state.response.urcs}
    for event in events:
        if isinstance(event, UrcEvent) and id(event.urc) not in owned:
            yield DecodedUrc(event.urc.line, number, event.urc.body, event.urc.data)
        elif isinstance(event, CommandDone) and state.current is not None:
            yield _finish(state, event.response)


def _finish(state: _State, response: Response | None) -> DecodedCommand:
    current = state.current
    assert current is not None
    response = response or state.session.abandon()
    state.current = None
    state.response = None
    if response is not None:
        current.final = response.final or None
        current.info = list(response.info)
        current.urcs = [u.line if u.body is None else f"{u.line}\n{u.body}" for u in response.urcs]
        current.data = response.data
        current.prompt = response.prompted
        current.error = _error_name(response)
    return current


def _error_name(response: Response) -> str | None:
    error = response.error
    if isinstance(error, CmeError | CmsError):
        return error.name
    if isinstance(error, ModemRebootedError):
        return "MODEM_REBOOTED"
    if isinstance(error, AtCommandError):
        return error.final.replace(" ", "_")
    return None
