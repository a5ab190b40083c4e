"""The AT conversation as a state machine with no I/O ("sans-I/O").

The live channel feeds it the bytes a port delivers; the capture decoder feeds it a recorded
transcript. Both get the same answers: which lines are echo, information, final result codes or
URCs (by the pending command's prefixes, the URC tables and the shape of registration lines, as
reference §3.3 recommends), where binary payloads belong, when a prompt arrived, and when a boot
line means the modem restarted under a command.

A boot line ends the pending command with ModemRebootedError, as the firmware's C reader does. A
modem that boots while a command is on its way often answers it anyway (RDY, then OK): the session
keeps reading the lines after the banner for the cut-off command, and the final result code that
follows comes as a StrayEvent whose `resumed` is the command's complete answer. Whether to accept
it (within a short grace time, live; before the next host line, in a capture) is the caller's call.
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass, field

from at_commands import grammar
from at_commands.error_codes import lookup_cme, lookup_cms
from at_commands.errors import (
    AtCommandError,
    AtError,
    AtResponseError,
    CmeError,
    CmsError,
    ModemRebootedError,
)
from at_commands.framing import DATA, LINE, NOISE, PROMPT, Tokenizer
from at_commands.grammar import CommandSpec

_BINARY_URCS = frozenset({"#XUDPDATA:", "#XTCPDATA:"})
_VERBOSITY = re.compile(r"^AT(?:[A-Z&][0-9]*)*?V([01])", re.IGNORECASE)


@dataclass(frozen=True)
class Urc:
    """An unsolicited result code: its line, and the body line or binary payload some carry."""

    line: str
    prefix: str | None = None
    body: str | None = None
    data: bytes | None = None
    at: float = 0.0  # time.monotonic() when it arrived
    truncated: bool = False  # `data` ended before its announced length (see AtSession.end_binary)

    @property
    def value(self) -> str:
        """The text after the prefix ("+CEREG: 5" -> "5")."""
        return self.line[len(self.prefix) :].strip() if self.prefix else self.line


@dataclass
class Response:
    """What a command produced, with everything seen on the way for evidence."""

    command: str
    final: str = ""
    info: list[str] = field(default_factory=list)
    urcs: list[Urc] = field(default_factory=list)
    data: bytes | None = None
    noise: list[bytes] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    prompted: bool = False
    error: AtError | None = None
    started: float = 0.0
    elapsed: float = 0.0
    echoed: bool = False  # the modem echoed the command line
    truncated: bool = False  # `data` ended before its announced length (see AtSession.end_binary)

    @property
    def ok(self) -> bool:
        return bool(self.final) and self.error is None

    def values(self, prefix: str) -> list[str]:
        """The text after `prefix` on every information line that has it."""
        return [line[len(prefix) :].strip() for line in self.info if line.startswith(prefix)]

    def value(self, prefix: str | None = None) -> str:
        """The text after `prefix` on the one information line that has it (or the first bare
        information line when prefix is None); AtResponseError when there is none."""
        if prefix is None:
            for line in self.info:
                if grammar.line_prefix(line) is None:
                    return line
            raise AtResponseError(
                f"{self.command}: expected a bare information line{self._noise_note()}",
                command=self.command,
                lines=self.lines,
            )
        found = self.values(prefix)
        if not found:
            raise AtResponseError(
                f"{self.command}: expected a line starting {prefix!r}{self._noise_note()}",
                command=self.command,
                lines=self.lines,
            )
        return found[0]

    def _noise_note(self) -> str:
        """Garbled bytes are the likely reason an expected line is missing: say so."""
        if not self.noise:
            return ""
        return f"; garbled bytes arrived instead: {[bytes(n[:60]) for n in self.noise[:3]]!r}"


@dataclass(frozen=True)
class CommandDone:
    response: Response


@dataclass(frozen=True)
class UrcEvent:
    urc: Urc


@dataclass(frozen=True)
class PromptEvent:
    prompt: str


@dataclass(frozen=True)
class NoiseEvent:
    data: bytes


@dataclass(frozen=True)
class RebootEvent:
    line: str


@dataclass(frozen=True)
class StrayEvent:
    """A final result code with no command pending (e.g. a late answer after a timeout).

    `resumed`: when a boot line had cut off the last command and this is the next final, that
    command's answer completed by it (final, error, and the lines after the banner as info and
    URCs); the Response of its CommandDone is left as it was."""

    line: str
    resumed: Response | None = None


Event = CommandDone | UrcEvent | PromptEvent | NoiseEvent | RebootEvent | StrayEvent


@dataclass
class _Pending:
    spec: CommandSpec
    response: Response
    echo_seen: bool = False
    body_next: bool = False  # the next line is the body of a +CMGR/+CMGL information line
    numeric: bool = False  # numeric result codes possible (ATV0 in effect or being set)


@dataclass
class _Cut:
    """A command a boot line cut off, whose final result code may still follow the banner."""

    pending: _Pending
    info: list[str] = field(default_factory=list)
    urcs: list[Urc] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


class AtSession:
    """Classifies what a modem says, one pending command at a time."""

    def __init__(self, tokenizer: Tokenizer | None = None) -> None:
        self.tokenizer = tokenizer or Tokenizer()
        self.numeric_results = False  # ATV0 in effect
        self.claimed: set[str] = set()  # prefixes someone waits for as URCs, even mid-command
        self._pending: _Pending | None = None
        self._cut: _Cut | None = None
        self._urc_awaiting_body: Urc | None = None
        self._urc_awaiting_data: Urc | None = None
        self._data_to_response = False

    # -- the host side ---------------------------------------------------------------------------

    @property
    def pending(self) -> Response | None:
        return self._pending.response if self._pending else None

    def start(self, spec: CommandSpec, now: float | None = None) -> Response:
        """A command line is being sent; its answer is collected into the returned Response."""
        response = Response(command=spec.text, started=time.monotonic() if now is None else now)
        verbosity = _VERBOSITY.match(spec.text)
        numeric = self.numeric_results or bool(verbosity and verbosity.group(1) == "0")
        self._pending = _Pending(spec, response, numeric=numeric)
        self._cut = None
        self.tokenizer.prompts_enabled = spec.behaviour.prompt
        return response

    def abandon(self) -> Response | None:
        """Give up on the pending command (timeout); later lines are treated as unsolicited."""
        pending, self._pending = self._pending, None
        self._cut = None
        self.tokenizer.prompts_enabled = False
        self._data_to_response = False
        return pending.response if pending else None

    def reset(self) -> None:
        """Forget partial input and modes, as after a reboot."""
        self.tokenizer.reset()
        self.numeric_results = False
        self._cut = None
        self._urc_awaiting_body = None
        self._urc_awaiting_data = None
        self._data_to_response = False

    def end_binary(self) -> tuple[list[Event], bytes]:
        """End a length-prefixed payload before its announced length: for captures whose logger
        left the bytes out (a placeholder line, or fewer bytes than announced), at the next host
        line. The payload is what was read up to the first line that is a final result code of
        the pending command (marked `truncated`). Returns its events and the bytes from that line
        on, which the caller feeds again: one wrong length never swallows the rest of a capture."""
        data = self.tokenizer.end_binary()
        if data is None:
            return [], b""
        events: list[Event] = []
        split = self._final_line_at(data)
        payload, rest = (data, b"") if split is None else (data[:split], data[split:])
        # Line ends after the logged bytes are the capture's framing, not payload.
        self._on_data(payload.rstrip(b"\r\n"), events, truncated=True)
        return events, rest

    def _final_line_at(self, data: bytes) -> int | None:
        """Where the first line of `data` that is a final result code of the pending command
        starts (at the start or after a line end), or None."""
        pending = self._pending
        behaviour = pending.spec.behaviour if pending else None
        start = 0
        while start < len(data):
            end = start
            while end < len(data) and data[end] not in b"\r\n":
                end += 1
            line = data[start:end].decode("latin-1").strip()
            if (
                line in grammar.OK_FINALS
                or line in grammar.ERROR_FINALS
                or line.startswith((grammar.CME_PREFIX, grammar.CMS_PREFIX))
                or (behaviour is not None and line in behaviour.success_finals | behaviour.failure_finals)
            ):
                return start
            start = end + 1
        return None

    def _rebooted(self) -> None:
        """A boot line: forget modes and waiting URCs, as reset(), but keep the tokenizer's input:
        what it holds now came after the boot line (in the same chunk), so dropping it would make
        the result depend on where the port split the bytes."""
        self.numeric_results = False
        self._urc_awaiting_body = None
        self._urc_awaiting_data = None
        self._data_to_response = False
        self.tokenizer.prompts_enabled = False

    # -- the modem side --------------------------------------------------------------------------

    def feed(self, data: bytes, now: float | None = None) -> list[Event]:
        events: list[Event] = []
        stamp = time.monotonic() if now is None else now
        for kind, value in self.tokenizer.feed(data):
            if kind == LINE:
                self._on_line(value, stamp, events)  # type: ignore[arg-type]
            elif kind == DATA:
                self._on_data(value, events)  # type: ignore[arg-type]
            elif kind == PROMPT:
                self._on_prompt(value, events)  # type: ignore[arg-type]
            elif kind == NOISE:
                if self._pending:
                    self._pending.response.noise.append(value)  # type: ignore[arg-type]
                events.append(NoiseEvent(value))  # type: ignore[arg-type]
        return events

    def _on_prompt(self, prompt: str, events: list[Event]) -> None:
        self.tokenizer.prompts_enabled = False
        if self._pending:
            self._pending.response.prompted = True
            self._pending.response.lines.append(prompt)
        events.append(PromptEvent(prompt))

    def _on_data(self, data: bytes, events: list[Event], truncated: bool = False) -> None:
        urc = self._urc_awaiting_data
        if urc is not None:
            self._urc_awaiting_data = None
            complete = Urc(urc.line, urc.prefix, urc.body, data, urc.at, truncated)
            self._attach(complete)
            events.append(UrcEvent(complete))
            return
        pending = self._pending
        if pending and self._data_to_response:
            response = pending.response
            response.data = data if response.data is None else response.data + data
            response.truncated = response.truncated or truncated
        else:
            events.append(NoiseEvent(b"payload with no owner: " + data[:80]))
        self._data_to_response = False

    def _on_line(self, line: str, now: float, events: list[Event]) -> None:
        self._data_to_response = False
        waiting = self._urc_awaiting_body
        if waiting is not None:
            self._urc_awaiting_body = None
            urc = Urc(waiting.line, waiting.prefix, line, None, waiting.at)
            self._attach(urc)
            if self._pending:
                self._pending.response.lines.append(line)
            elif self._cut:
                self._cut.lines.append(line)
            events.append(UrcEvent(urc))
            return
        pending = self._pending
        if pending is None:
            self._on_idle_line(line, now, events)
            return
        response = pending.response
        response.lines.append(line)
        if pending.body_next:
            pending.body_next = False
            response.info.append(line)
            return
        if not pending.echo_seen and line.upper() == pending.spec.text.upper():
            pending.echo_seen = True
            response.echoed = True
            return
        if self._is_final(line, pending, now, events):
            return
        behaviour = pending.spec.behaviour
        if self.tokenizer.prompts_enabled and line in (">", "@"):
            # A prompt that reached us as a whole line (recorded captures).
            response.lines.pop()
            self._on_prompt(line, events)
            return
        prefix = grammar.line_prefix(line)
        if grammar.is_boot_line(line):
            boot = Urc(line, prefix, at=now)
            if behaviour.expects_reboot:
                self._finish(pending, line, None, now, events)
            else:
                error = ModemRebootedError(pending.spec.text, line, response.lines)
                self._finish(pending, line, error, now, events)
                self._cut = _Cut(pending, urcs=[boot])
            self._rebooted()
            events.append(RebootEvent(line))
            events.append(UrcEvent(boot))
            return
        if prefix is not None and prefix in pending.spec.prefixes:
            # The command's own prefix: some lines are told apart by shape (+CEREG, +CIPRXGET);
            # otherwise a waiter that claimed the prefix marks an asynchronous result (+QIOPEN).
            unsolicited = grammar.unsolicited_by_shape(line, prefix)
            if unsolicited is None:
                unsolicited = prefix in self.claimed
            if unsolicited:
                self._emit_urc(line, prefix, now, events)
            else:
                self._add_info(pending, line, prefix)
            return
        if prefix is not None and prefix in self.claimed:
            self._emit_urc(line, prefix, now, events)
            return
        if grammar.is_urc_line(line, prefix):
            self._emit_urc(line, prefix, now, events)
            return
        self._add_info(pending, line, prefix)

    def _add_info(self, pending: _Pending, line: str, prefix: str | None) -> None:
        pending.response.info.append(line)
        if prefix in grammar.TWO_LINE_INFO:
            pending.body_next = True
        # A binary payload, if the tokenizer found a length header here, belongs to this answer.
        self._data_to_response = True

    def _is_final(self, line: str, pending: _Pending, now: float, events: list[Event]) -> bool:
        behaviour = pending.spec.behaviour
        command = pending.spec.text
        lines = pending.response.lines
        if line in grammar.OK_FINALS or line in behaviour.success_finals:
            self._finish(pending, line, None, now, events)
        elif pending.numeric and line in grammar.NUMERIC_FINALS:
            verbose = grammar.NUMERIC_FINALS[line]
            error = None if verbose in ("OK", "CONNECT") else AtCommandError(command, verbose, lines)
            self._finish(pending, verbose, error, now, events)
        elif line in grammar.ERROR_FINALS or line in behaviour.failure_finals:
            self._finish(pending, line, AtCommandError(command, line, lines), now, events)
        elif line.startswith(grammar.CME_PREFIX):
            self._finish(pending, line, _cme_error(command, line, lines), now, events)
        elif line.startswith(grammar.CMS_PREFIX):
            self._finish(pending, line, _cms_error(command, line, lines), now, events)
        elif behaviour.final_connect and line.startswith("CONNECT"):
            self._finish(pending, line, None, now, events)
        elif behaviour.final_pattern is not None and behaviour.final_pattern.match(line):
            pending.response.info.append(line)
            self._finish(pending, line, None, now, events)
        else:
            return False
        return True

    def _finish(
        self, pending: _Pending, final: str, error: AtError | None, now: float, events: list[Event]
    ) -> None:
        response = pending.response
        response.final = final
        response.error = error
        response.elapsed = now - response.started
        self._pending = None
        self.tokenizer.prompts_enabled = False
        self._data_to_response = False
        if error is None:
            verbosity = _VERBOSITY.match(pending.spec.text)
            if verbosity:
                self.numeric_results = verbosity.group(1) == "0"
        events.append(CommandDone(response))

    def _emit_urc(
        self, line: str, prefix: str | None, now: float, events: list[Event], attach: bool = True
    ) -> None:
        urc = Urc(line, prefix, at=now)
        if prefix in grammar.TWO_LINE_URCS:
            self._urc_awaiting_body = urc
            return
        if prefix in _BINARY_URCS:
            self._urc_awaiting_data = urc
            return
        if attach:
            self._attach(urc)
        events.append(UrcEvent(urc))

    def _attach(self, urc: Urc) -> None:
        """A URC arrived while a command was pending (or cut off and maybe still answering)."""
        if self._pending:
            self._pending.response.urcs.append(urc)
        elif self._cut:
            self._cut.urcs.append(urc)

    def _on_idle_line(self, line: str, now: float, events: list[Event]) -> None:
        cut = self._cut
        if (
            line in grammar.OK_FINALS
            or line in grammar.ERROR_FINALS
            or line.startswith((grammar.CME_PREFIX, grammar.CMS_PREFIX))
        ):
            events.append(StrayEvent(line, self._resume(cut, line, now) if cut else None))
            return
        prefix = grammar.line_prefix(line)
        boot = grammar.is_boot_line(line)
        if boot:
            self._rebooted()
            events.append(RebootEvent(line))
        if cut is not None:
            cut.lines.append(line)
            if not boot and not grammar.is_urc_line(line, prefix):
                # After the banner, the cut-off command's echo or information (the event stays
                # what it is with no command pending, as in the C reader).
                if not cut.pending.echo_seen and line.upper() == cut.pending.spec.text.upper():
                    cut.pending.echo_seen = True
                else:
                    cut.info.append(line)
                self._emit_urc(line, prefix, now, events, attach=False)
                return
        self._emit_urc(line, prefix, now, events)

    def _resume(self, cut: _Cut, final: str, now: float) -> Response:
        """The cut-off command's answer completed by the final that followed the boot banner."""
        self._cut = None
        cut_off = cut.pending.response
        command = cut_off.command
        lines = [*cut_off.lines, *cut.lines, final]
        error: AtError | None = None
        if final.startswith(grammar.CME_PREFIX):
            error = _cme_error(command, final, lines)
        elif final.startswith(grammar.CMS_PREFIX):
            error = _cms_error(command, final, lines)
        elif final not in grammar.OK_FINALS:
            error = AtCommandError(command, final, lines)
        return dataclasses.replace(
            cut_off,
            final=final,
            info=[*cut_off.info, *cut.info],
            urcs=[*cut_off.urcs, *cut.urcs],
            noise=list(cut_off.noise),
            lines=lines,
            error=error,
            elapsed=now - cut_off.started,
            echoed=cut.pending.echo_seen,
        )


def _error_value(line: str, prefix: str) -> str:
    return line[len(prefix) :].strip()


def _cme_error(command: str, line: str, lines: list[str]) -> CmeError:
    value = _error_value(line, grammar.CME_PREFIX)
    known = lookup_cme(value)
    if known is None:
        code = int(value) if value.isdigit() else None
        return CmeError(command, line, code, "UNKNOWN", value, lines)
    return CmeError(command, line, known.code, known.name, known.text, lines)


def _cms_error(command: str, line: str, lines: list[str]) -> CmsError:
    value = _error_value(line, grammar.CMS_PREFIX)
    known = lookup_cms(value)
    if known is None:
        code = int(value) if value.isdigit() else None
        return CmsError(command, line, code, "UNKNOWN", value, lines)
    return CmsError(command, line, known.code, known.name, known.text, lines)
