"""Byte stream -> tokens: lines, prompts, length-prefixed binary payloads, noise.

Modems frame text as CR LF lines, echo commands ending in a lone CR, print prompts with no line end
("> ", "@"), and put raw binary after some headers ("+QIRD: 5" CR LF then 5 bytes; "+CARECV: 5,"
then 5 bytes on the same line). The tokenizer handles all of these incrementally, on whatever chunks
the port delivers, and never raises: bytes it cannot make sense of become NOISE tokens, which the
session reports as evidence. It holds no knowledge of commands beyond `prompts`, which the session
switches on while a command waits for its prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

LINE: Final = 0  # value: str, one line without its terminator, stripped
PROMPT: Final = 1  # value: str, the prompt (">" or "@")
DATA: Final = 2  # value: bytes, a binary payload read by length
NOISE: Final = 3  # value: bytes, bytes that are not a valid line (garbage, an overlong line)

Token = tuple[int, object]

MAX_LINE: Final = 4096
MAX_BINARY: Final = 65536
PROMPT_BYTES: Final = frozenset({b">", b"> ", b"@"})

_LINE_RE = re.compile(rb"[^\r\n]+")
_UNPRINTABLE = re.compile(rb"[^\x20-\x7e\t]")
_EDGE_UNPRINTABLE = re.compile(rb"^[^\x20-\x7e]+|[^\x20-\x7e]+$")


@dataclass(frozen=True)
class BinaryRule:
    """A header after which `length` raw bytes follow.

    `header` must match the whole header line (inline=False: the payload starts after the line's
    CR LF) or the start of a line up to the payload (inline=True: the payload follows on the same
    line). Group "length" holds the byte count.
    """

    prefix: bytes
    header: re.Pattern[bytes]
    inline: bool = False


DEFAULT_BINARY_RULES: tuple[BinaryRule, ...] = (
    # Quectel: +QIRD: <len>[,"<ip>",<port>] then data (reference §2.1)
    BinaryRule(b"+QIRD: ", re.compile(rb'\+QIRD: (?P<length>\d+)(?:,"[^"]*",\d+)?')),
    BinaryRule(b"+QSSLRECV: ", re.compile(rb"\+QSSLRECV: (?P<length>\d+)")),
    # Nordic SLM: #XRECVFROM: <len>,"<ip>",<port> (NCS <= 3.1) / add-on form with handle, mode first
    BinaryRule(b"#XRECVFROM: ", re.compile(rb'#XRECVFROM: (?P<length>\d+),"[^"]*",\d+')),
    BinaryRule(b"#XRECVFROM: ", re.compile(rb'#XRECVFROM: \d+,\d+,(?P<length>\d+),"[^"]*",\d+')),
    BinaryRule(b"#XRECV: ", re.compile(rb"#XRECV: (?P<length>\d+)")),
    BinaryRule(b"#XRECV: ", re.compile(rb"#XRECV: \d+,\d+,(?P<length>\d+)")),
    BinaryRule(b"#XUDPDATA: ", re.compile(rb'#XUDPDATA: (?P<length>\d+)(?:,"[^"]*",\d+)?')),
    BinaryRule(b"#XTCPDATA: ", re.compile(rb"#XTCPDATA: (?P<length>\d+)")),
    # SIMCom classic stack: +CIPRXGET: 2,<id>,<len>,<remaining> then data
    BinaryRule(b"+CIPRXGET: 2,", re.compile(rb"\+CIPRXGET: 2,\d+,(?P<length>\d+),\d+")),
    # Telit: #SRECV: <connId>,<len> then data
    BinaryRule(b"#SRECV: ", re.compile(rb"#SRECV: \d+,(?P<length>\d+)")),
    # SIMCom SIM7080: +CARECV: <len>,<data> on the same line
    BinaryRule(b"+CARECV: ", re.compile(rb"\+CARECV: (?P<length>\d+),"), inline=True),
)


class Tokenizer:
    """Incremental tokenizer; `feed` returns the tokens the new bytes complete."""

    def __init__(
        self,
        rules: tuple[BinaryRule, ...] = DEFAULT_BINARY_RULES,
        *,
        max_line: int = MAX_LINE,
        max_binary: int = MAX_BINARY,
    ) -> None:
        self._block_rules = tuple(r for r in rules if not r.inline)
        self._inline_rules = tuple(r for r in rules if r.inline)
        self._block_prefixes = tuple({r.prefix for r in self._block_rules})
        self._inline_prefixes = tuple({r.prefix for r in self._inline_rules})
        self._max_line = max_line
        self._max_binary = max_binary
        self._buffer = b""
        self._raw_left = 0  # bytes of a binary payload still to read
        self._raw_parts: list[bytes] = []
        self._skip_lf = False  # a header ended in CR at a chunk boundary; its LF may follow
        self._discarding = False  # inside an overlong line: drop until the next line end
        self._swallow_space = False  # a "> " prompt's space may start the next chunk
        self.prompts_enabled = False

    @property
    def pending(self) -> bytes:
        """Bytes received but not yet part of a token (an unterminated line)."""
        return self._buffer + b"".join(self._raw_parts)

    @property
    def binary_left(self) -> int:
        """Bytes of a length-prefixed payload still to come (0 outside a payload)."""
        return self._raw_left

    def end_binary(self) -> bytes | None:
        """End a payload before its announced length (a capture whose logger left bytes out):
        the bytes read so far, or None outside a payload."""
        if not self._raw_left:
            return None
        data = b"".join(self._raw_parts)
        self._raw_left = 0
        self._raw_parts = []
        self._skip_lf = False
        return data

    def reset(self) -> None:
        """Forget partial input (after a reboot or a port reopen)."""
        self._buffer = b""
        self._raw_left = 0
        self._raw_parts = []
        self._skip_lf = False
        self._discarding = False
        self._swallow_space = False
        self.prompts_enabled = False

    def feed(self, chunk: bytes) -> list[Token]:
        tokens: list[Token] = []
        data = self._buffer + chunk if self._buffer else chunk
        self._buffer = b""
        pos = 0
        if self._swallow_space:
            self._swallow_space = False
            pos = 1 if data[:1] == b" " else 0
        end = len(data)
        if self._discarding:
            pos = self._skip_overlong(data, 0, tokens)
            if pos < 0:
                return tokens
        while pos < end:
            if self._raw_left:
                pos = self._read_raw(data, pos, tokens)
                continue
            pos = self._read_lines(data, pos, tokens)
            if pos < 0:
                break
        return tokens

    # -- internals --------------------------------------------------------------------------------

    def _read_raw(self, data: bytes, pos: int, tokens: list[Token]) -> int:
        if self._skip_lf:
            self._skip_lf = False
            if data[pos : pos + 1] == b"\n":
                pos += 1
        take = data[pos : pos + self._raw_left]
        self._raw_parts.append(take)
        self._raw_left -= len(take)
        if not self._raw_left:
            tokens.append((DATA, b"".join(self._raw_parts)))
            self._raw_parts = []
        return pos + len(take)

    def _start_raw(self, length: int, tokens: list[Token], header: bytes) -> bool:
        if length > self._max_binary:
            tokens.append((NOISE, b"binary length over limit: " + header[:80]))
            return False
        self._raw_left = length
        return True

    def _read_lines(self, data: bytes, pos: int, tokens: list[Token]) -> int:
        """Tokenize lines from pos; returns where to continue (raw mode) or -1 when done."""
        end = len(data)
        for match in _LINE_RE.finditer(data, pos):
            start, stop = match.span()
            if self.prompts_enabled and data[start : start + 1] in (b">", b"@"):
                # A prompt has no line end (reference §0.1): whatever follows it in the same
                # chunk is the next line, not part of the prompt's.
                start = self._prompt(data, start, tokens)
                if start == stop:
                    continue
            if self._inline_prefixes and data.startswith(self._inline_prefixes, start):
                raw_at = self._match_inline(data, start, stop, tokens)
                if raw_at is not None:
                    return raw_at
            if stop == end:
                # Unterminated: a prompt, or the start of a line still arriving.
                tail = data[start:]
                if len(tail) > self._max_line:
                    tokens.append((NOISE, b"overlong line: " + tail[:80]))
                    self._discarding = True
                    return -1
                self._buffer = tail
                return -1
            line = data[start:stop]
            if len(line) > self._max_line:
                tokens.append((NOISE, b"overlong line: " + line[:80]))
                continue
            if self._block_prefixes and line.startswith(self._block_prefixes):
                length = self._block_length(line)
                if length is not None and self._start_raw(length, tokens, line):
                    self._emit_line(line, tokens)
                    if not length:
                        tokens.append((DATA, b""))  # after its header, as every payload
                    after = stop + 2 if data[stop : stop + 2] == b"\r\n" else stop + 1
                    if length and data[stop : stop + 1] == b"\r" and stop + 1 == end:
                        self._skip_lf = True
                    return after
            self._emit_line(line, tokens)
        return -1

    def _prompt(self, data: bytes, start: int, tokens: list[Token]) -> int:
        """A prompt at data[start]: its token; returns where the next line starts (after the
        space of "> ", which may also be the first byte of the next chunk)."""
        prompt = data[start : start + 1]
        tokens.append((PROMPT, prompt.decode()))
        self.prompts_enabled = False
        start += 1
        if prompt == b">":
            if start == len(data):
                self._swallow_space = True
            elif data[start : start + 1] == b" ":
                start += 1
        return start

    def _match_inline(self, data: bytes, start: int, stop: int, tokens: list[Token]) -> int | None:
        for rule in self._inline_rules:
            header = rule.header.match(data, start)
            if header is not None:
                length = int(header.group("length"))
                if self._start_raw(length, tokens, header.group()):
                    self._emit_line(header.group(), tokens)
                    if not length:
                        tokens.append((DATA, b""))
                    return header.end()
                return None
        # No header (yet): an unterminated "+CARECV: 1" waits in the buffer for "2,...".
        return None

    def _block_length(self, line: bytes) -> int | None:
        for rule in self._block_rules:
            header = rule.header.fullmatch(line)
            if header is not None:
                return int(header.group("length"))
        return None

    def _skip_overlong(self, data: bytes, pos: int, tokens: list[Token]) -> int:
        cut = _LINE_END.search(data, pos)
        if cut is None:
            return -1
        self._discarding = False
        return cut.end()

    @staticmethod
    def _emit_line(line: bytes, tokens: list[Token]) -> None:
        if _UNPRINTABLE.search(line) is not None:
            # Garbage glued to a line: keep the printable core if the rest is only at the edges and
            # the core looks like something a modem says (a result code or a prefixed line).
            core = _EDGE_UNPRINTABLE.sub(b"", line)
            if core and _UNPRINTABLE.search(core) is None and _SALVAGEABLE.match(core):
                tokens.append((NOISE, line))
                line = core
            else:
                tokens.append((NOISE, line))
                return
        text = line.decode("ascii").strip()
        if text:
            tokens.append((LINE, text))


_LINE_END = re.compile(rb"[\r\n]+")
_SALVAGEABLE = re.compile(rb"^(?:OK|ERROR|[+%#^$]\w)")
