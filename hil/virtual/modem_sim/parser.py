"""Splitting a V.250 command line into commands, and reading their parameters.

``AT+CMEE=2;+CREG=2``, ``ATE0V1``, ``AT&W&P``, ``AT+CIFSR;E0`` and ``ATD*99***1#`` all parse: basic
commands are a letter (or ``&`` + letter) with an optional number, extended commands start with one
of ``+ % # $ * ^`` and end at ``;`` outside quotes (V.250 §5.3-5.4).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from hil.virtual.modem_sim.errors import CmeError, PlainError

EXTENDED_PREFIXES: Final = frozenset("+%#$*^")
_NAME_CHARS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_!.:-")
_MISSING: Final = object()


class Kind(IntEnum):
    ACTION = 0  # AT+CGMI
    SET = 1  # AT+CFUN=1
    READ = 2  # AT+CFUN?
    TEST = 3  # AT+CFUN=?


class ParamError(CmeError):
    """A parameter is missing, malformed or out of range (+CME ERROR: 50)."""

    def __init__(self, message: str) -> None:
        super().__init__(50, message)


class Command:
    """One command of a command line: its upper-cased name, form and raw parameter text."""

    __slots__ = ("_args", "kind", "name", "raw", "text")

    def __init__(self, name: str, kind: Kind, raw: str, text: str) -> None:
        self.name = name
        self.kind = kind
        self.raw = raw
        self.text = text
        self._args: list[str | None] | None = None

    def __repr__(self) -> str:
        return f"Command({self.text!r})"

    @property
    def args(self) -> list[str | None]:
        """Parameters split at commas outside quotes; quotes removed; empty ones are None."""
        if self._args is None:
            self._args = split_args(self.raw)
        return self._args

    def __len__(self) -> int:
        return len(self.args)

    def arg_str(self, index: int, default: object = _MISSING) -> str:
        args = self.args
        value = args[index] if index < len(args) else None
        if value is None:
            if default is _MISSING:
                raise ParamError(f"{self.name}: parameter {index + 1} missing")
            return default  # type: ignore[return-value]
        return value

    def opt_str(self, index: int) -> str | None:
        args = self.args
        return args[index] if index < len(args) else None

    def arg_int(
        self, index: int, default: object = _MISSING, lo: int | None = None, hi: int | None = None
    ) -> int:
        args = self.args
        text = args[index] if index < len(args) else None
        if text is None:
            if default is _MISSING:
                raise ParamError(f"{self.name}: parameter {index + 1} missing")
            return default  # type: ignore[return-value]
        try:
            value = int(text, 0) if text.lower().startswith("0x") else int(text)
        except ValueError:
            raise ParamError(f"{self.name}: parameter {index + 1} is not a number: {text!r}") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ParamError(f"{self.name}: parameter {index + 1} out of range: {value}")
        return value

    def opt_int(self, index: int, lo: int | None = None, hi: int | None = None) -> int | None:
        value: int | None = self.arg_int(index, None, lo, hi)
        return value


def split_args(raw: str) -> list[str | None]:
    if not raw:
        return []
    out: list[str | None] = []
    current: list[str] = []
    quoted = False
    was_quoted = False
    for char in raw:
        if char == '"':
            quoted = not quoted
            was_quoted = True
            continue
        if char == "," and not quoted:
            out.append(_finish(current, was_quoted))
            current, was_quoted = [], False
            continue
        current.append(char)
    if quoted:
        raise ParamError(f"unterminated string in {raw!r}")
    out.append(_finish(current, was_quoted))
    return out


def _finish(chars: list[str], was_quoted: bool) -> str | None:
    text = "".join(chars)
    if was_quoted:
        return text
    text = text.strip()
    return text or None


def parse_line(body: str) -> list[Command]:
    """The commands in a line after its ``AT`` prefix. Raises PlainError on bad syntax."""
    commands: list[Command] = []
    i, n = 0, len(body)
    while i < n:
        char = body[i]
        if char in " ;":
            i += 1
            continue
        if char in EXTENDED_PREFIXES:
            i = _extended(body, i, commands)
        elif char.isalpha() or char == "&":
            i = _basic(body, i, commands)
        else:
            raise PlainError(message=f"unexpected {char!r} in command line")
    return commands


def _extended(body: str, start: int, commands: list[Command]) -> int:
    i, n = start + 1, len(body)
    while i < n and body[i] in _NAME_CHARS:
        i += 1
    name = body[start:i].upper()
    if len(name) < 2:
        raise PlainError(message=f"no command name after {body[start]!r}")
    while i < n and body[i] == " ":
        i += 1
    kind, raw = Kind.ACTION, ""
    if i < n and body[i] == "?":
        kind, i = Kind.READ, i + 1
    elif i < n and body[i] == "=":
        if i + 1 < n and body[i + 1] == "?":
            kind, i = Kind.TEST, i + 2
        else:
            kind = Kind.SET
            j = i + 1
            quoted = False
            while j < n and (quoted or body[j] != ";"):
                if body[j] == '"':
                    quoted = not quoted
                j += 1
            raw, i = body[i + 1 : j], j
    commands.append(Command(name, kind, raw, body[start:i].rstrip()))
    return i


def _basic(body: str, start: int, commands: list[Command]) -> int:
    i, n = start, len(body)
    if body[i] == "&":
        i += 1
        if i >= n or not body[i].isalpha():
            raise PlainError(message="'&' without a command letter")
    letter = body[start : i + 1].upper()
    i += 1
    if letter == "D":  # the dial string runs to the end of the line
        commands.append(Command("D", Kind.SET, body[i:].strip(), body[start:]))
        return n
    if letter == "S":  # S-parameters: S3=13, S3?
        j = i
        while j < n and body[j].isdigit():
            j += 1
        register = body[i:j]
        if not register:
            raise PlainError(message="S without a register number")
        name = f"S{int(register)}"
        if j < n and body[j] == "?":
            commands.append(Command(name, Kind.READ, "", body[start : j + 1]))
            return j + 1
        if j < n and body[j] == "=":
            k = j + 1
            while k < n and body[k].isdigit():
                k += 1
            commands.append(Command(name, Kind.SET, body[j + 1 : k], body[start:k]))
            return k
        raise PlainError(message=f"S{register} without '?' or '='")
    j = i
    while j < n and body[j].isdigit():
        j += 1
    commands.append(Command(letter, Kind.SET if j > i else Kind.ACTION, body[i:j], body[start:j]))
    return j
