"""What a command handler returns: info lines plus a final result, or a data prompt.

Handlers are plain functions ``handler(cmd) -> Reply | Prompt`` or coroutines returning the same
(for commands that take modem time). Errors are raised (errors.py), not returned.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

Line = bytes | str

OK: Final = "OK"  # the ordinary final result


@dataclass(slots=True)
class Reply:
    """Info lines (framed together as one block) and the final result.

    ``final`` is "OK", another result text such as "SEND OK" / "SHUT OK" / "NORMAL POWER DOWN", or
    None for commands that end without a final result (SIM7000 AT+CIFSR prints only the address).
    """

    lines: Sequence[Line] = ()
    final: str | None = OK
    after: Sequence[Line] = ()  # a block after the final (SIM7000 AT+CIPSTATUS: OK, then STATE:)


@dataclass(slots=True)
class FixedLength:
    """Exactly ``size`` payload bytes follow the prompt (QISEND=id,len; USOST binary; CASEND)."""

    size: int


@dataclass(slots=True)
class CtrlZ:
    """Payload ends with Ctrl-Z (0x1A), ESC (0x1B) aborts; SMS text mode re-prompts on CR."""

    max_size: int = 4096
    reprompt_on_cr: bool = False
    on_abort: Reply = field(default_factory=Reply)


@dataclass(slots=True)
class DataMode:
    """nRF SLM data mode: raw bytes until the terminator (``+++``); no prompt, no OK on entry."""

    terminator: bytes = b"+++"
    idle_flush_s: float = 0.05


Entry = FixedLength | CtrlZ | DataMode


@dataclass(slots=True)
class Prompt:
    """Ask the host for a payload. ``then`` gets the payload and returns the command's reply.

    In DataMode ``then`` is called for every flushed chunk and its reply is ignored except for
    the last call (terminator seen), whose reply ends the command.
    """

    prompt: bytes
    entry: Entry
    then: Callable[[bytes], Reply | Prompt | Coroutine[Any, Any, Reply | Prompt]]


Result = Reply | Prompt | Coroutine[Any, Any, Reply | Prompt]
Handler = Callable[..., Result]

OK_REPLY: Final = Reply()


def ok(*lines: Line) -> Reply:
    return Reply(lines) if lines else OK_REPLY


def info(*lines: Line, final: str | None = OK) -> Reply:
    return Reply(lines, final)
