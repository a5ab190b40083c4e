"""Typed errors of the AT engine. Each carries its evidence: the command, the lines seen, the bytes
left over, so a failure says what was expected, what came and where."""

from __future__ import annotations

from collections.abc import Sequence


def _evidence(lines: Sequence[str], partial: bytes = b"") -> str:
    shown = list(lines[-12:])
    more = f" (+{len(lines) - 12} earlier)" if len(lines) > 12 else ""
    text = f"lines seen: {shown!r}{more}" if lines else "no lines seen"
    if partial:
        text += f"; unterminated bytes: {bytes(partial[:80])!r}"
    return text


class AtError(Exception):
    """Base of every error the AT engine raises."""

    def __init__(self, message: str, *, command: str | None = None, lines: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.command = command
        self.lines: tuple[str, ...] = tuple(lines)


class AtTimeoutError(AtError):
    """No final result code (or prompt, or URC) within the timeout."""

    def __init__(
        self,
        command: str | None,
        timeout: float,
        waiting_for: str,
        lines: Sequence[str] = (),
        partial: bytes = b"",
    ) -> None:
        subject = command if command is not None else "(no command)"
        super().__init__(
            f"{subject}: no {waiting_for} within {timeout:g} s; {_evidence(lines, partial)}",
            command=command,
            lines=lines,
        )
        self.timeout = timeout
        self.waiting_for = waiting_for
        self.partial = bytes(partial)


class AtCommandError(AtError):
    """The modem answered with an error result code (ERROR, NO CARRIER, SEND FAIL, ...)."""

    def __init__(self, command: str, final: str, lines: Sequence[str] = (), explanation: str = "") -> None:
        detail = f" ({explanation})" if explanation else ""
        super().__init__(
            f"{command}: modem answered {final!r}{detail}; {_evidence(lines)}", command=command, lines=lines
        )
        self.final = final


class CmeError(AtCommandError):
    """+CME ERROR: a 27.007 equipment error, numeric or verbose, mapped to a named error."""

    def __init__(
        self, command: str, final: str, code: int | None, name: str, text: str, lines: Sequence[str] = ()
    ):
        code_text = f"{code}" if code is not None else "?"
        super().__init__(command, final, lines, f"CME {code_text} {name}: {text}")
        self.code = code
        self.name = name
        self.text = text


class CmsError(AtCommandError):
    """+CMS ERROR: a 27.005 message-service error, numeric or verbose, mapped to a named error."""

    def __init__(
        self, command: str, final: str, code: int | None, name: str, text: str, lines: Sequence[str] = ()
    ):
        code_text = f"{code}" if code is not None else "?"
        super().__init__(command, final, lines, f"CMS {code_text} {name}: {text}")
        self.code = code
        self.name = name
        self.text = text


class ModemRebootedError(AtError):
    """A boot URC arrived while a command was pending: the modem restarted under us."""

    def __init__(self, command: str | None, boot_line: str, lines: Sequence[str] = ()) -> None:
        subject = command if command is not None else "(idle)"
        super().__init__(
            f"{subject}: modem rebooted (saw {boot_line!r}) before the command finished; {_evidence(lines)}",
            command=command,
            lines=lines,
        )
        self.boot_line = boot_line


class AtFramingError(AtError):
    """The byte stream broke the framing rules (an overlong line, an impossible length prefix)."""


class AtResponseError(AtError):
    """The modem's answer did not have the shape the caller needed (a missing or malformed line)."""


class PortError(AtError):
    """The serial port (device, pty or socket) failed or closed."""


class ModemError(AtError):
    """A modem-level failure (SIM, registration, data, sockets, SMS), with the AT evidence."""


class SimError(ModemError):
    """The SIM is missing, locked or failed."""

    def __init__(self, message: str, *, reason: str, command: str | None = None, lines: Sequence[str] = ()):
        super().__init__(message, command=command, lines=lines)
        self.reason = reason  # "not inserted", "PIN required", "PUK required", "failure", "busy"


class RegistrationDeniedError(ModemError):
    """The network rejected registration (stat 3), with the EMM reject cause when the modem gave one."""

    def __init__(self, message: str, *, reject_cause: int | None, lines: Sequence[str] = ()):
        super().__init__(message, lines=lines)
        self.reject_cause = reject_cause


class NoCoverageError(ModemError):
    """No network found: the modem kept reporting stat 4 (unknown / out of coverage) or 0."""


class AttachTimeoutError(ModemError):
    """Still searching when the attach timeout ran out."""


class PdpError(ModemError):
    """The PDP context (data session) could not be activated or was torn down."""


class SocketError(ModemError):
    """A socket could not be opened, written or read."""


class SmsError(ModemError):
    """An SMS could not be sent or read."""
