"""The firmware console log (firmware/README.md, "Console log"), parsed into events.

One event per line: ``<ms> <LEVEL> <event> key=value key=value ...`` where LEVEL is E, W, I or D,
and a value is a bare token (no spaces), a double-quoted string (``\\"`` and ``\\\\`` escaped), or
a JSON object ``{...}`` (the uplink values). The harness and the tests read firmware output only
through this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

LEVELS = {"E": "error", "W": "warn", "I": "info", "D": "debug"}
_HEAD = re.compile(r"(\d+) ([EWID]) ([a-z][a-z0-9_]*)(?= |$)")
_KEY = re.compile(r"[a-z][a-z0-9_]*")


class ConsoleFormatError(ValueError):
    """A console line that is not in the log format; the message says where it went wrong."""


@dataclass(frozen=True)
class ConsoleEvent:
    ms: int
    level: str  # "E", "W", "I", "D"
    event: str
    fields: dict[str, str] = field(default_factory=dict)
    line: str = ""

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.fields.get(key, default)

    def __getitem__(self, key: str) -> str:
        try:
            return self.fields[key]
        except KeyError:
            raise KeyError(f"{self.event} event has no field {key!r}: {self.line!r}") from None

    def int(self, key: str) -> int:
        value = self[key]
        try:
            return int(value)
        except ValueError:
            raise ConsoleFormatError(f"{self.event}.{key}: expected an integer, got {value!r}") from None

    def json(self, key: str) -> Any:
        value = self[key]
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConsoleFormatError(f"{self.event}.{key}: not JSON ({exc}): {value!r}") from None

    def bytes(self, key: str) -> bytes:
        value = self[key]
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise ConsoleFormatError(f"{self.event}.{key}: not hex: {value!r}") from None


def _quoted(text: str, start: int, line: str) -> tuple[str, int]:
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if char == '"':
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise ConsoleFormatError(f"unterminated quoted value at column {start}: {line!r}")


def _braced(text: str, start: int, line: str) -> tuple[str, int]:
    depth, i, in_string = 0, start, False
    while i < len(text):
        char = text[i]
        if in_string:
            if char == "\\":
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return text[start : i + 1], i + 1
        i += 1
    raise ConsoleFormatError(f"unterminated {{...}} value at column {start}: {line!r}")


def parse_fields(text: str, line: str = "") -> dict[str, str]:
    """The key=value pairs of a line's tail."""
    fields: dict[str, str] = {}
    i = 0
    line = line or text
    while i < len(text):
        if text[i] == " ":
            i += 1
            continue
        key_match = _KEY.match(text, i)
        if key_match is None or key_match.end() >= len(text) or text[key_match.end()] != "=":
            raise ConsoleFormatError(f"expected key=value at column {i}: {line!r}")
        key = key_match.group(0)
        i = key_match.end() + 1
        if i < len(text) and text[i] == '"':
            value, i = _quoted(text, i, line)
        elif i < len(text) and text[i] == "{":
            value, i = _braced(text, i, line)
        else:
            end = text.find(" ", i)
            end = len(text) if end < 0 else end
            value, i = text[i:end], end
        if i < len(text) and text[i] != " ":
            raise ConsoleFormatError(f"expected a space after {key}= value at column {i}: {line!r}")
        fields[key] = value
    return fields


def parse_line(line: str) -> ConsoleEvent:
    """One event; ConsoleFormatError for a line of another shape."""
    text = line.rstrip("\r\n")
    head = _HEAD.match(text)
    if head is None:
        raise ConsoleFormatError(f"not a console log line ('<ms> <E|W|I|D> <event> key=value ...'): {line!r}")
    fields = parse_fields(text[head.end() :], text)
    return ConsoleEvent(int(head.group(1)), head.group(2), head.group(3), fields, text)


def is_event_line(line: str) -> bool:
    return _HEAD.match(line) is not None


class ConsoleLog:
    """Events of one run, in order; lines that are not events (e.g. from a bootloader) are kept
    apart in `other` rather than failing the run."""

    def __init__(self, lines: Iterable[str] = ()) -> None:
        self.events: list[ConsoleEvent] = []
        self.other: list[str] = []
        for line in lines:
            self.add(line)

    def add(self, line: str) -> ConsoleEvent | None:
        text = line.rstrip("\r\n")
        if not text:
            return None
        if not is_event_line(text):
            self.other.append(text)
            return None
        event = parse_line(text)
        self.events.append(event)
        return event

    def __iter__(self) -> Iterator[ConsoleEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def all(self, event: str, **match: str) -> list[ConsoleEvent]:
        return [
            e for e in self.events if e.event == event and all(e.fields.get(k) == v for k, v in match.items())
        ]

    def first(self, event: str, **match: str) -> ConsoleEvent:
        found = self.all(event, **match)
        if not found:
            seen = ", ".join(sorted({e.event for e in self.events})) or "none"
            where = f" with {match}" if match else ""
            raise LookupError(f"no {event} event{where} (events seen: {seen})")
        return found[0]

    def errors(self) -> list[ConsoleEvent]:
        return [e for e in self.events if e.level == "E"]
