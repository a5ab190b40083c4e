"""A timestamped record of every byte, both directions, for reports and failure evidence.

Secrets registered with `add_secret` are replaced before anything is stored, so a PSK written to a
modem never reaches a transcript, a report or a log.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

Direction = Literal["tx", "rx"]
REDACTED = b"<redacted>"


@dataclass(frozen=True)
class Chunk:
    at: float  # seconds since the transcript started (monotonic)
    wall: float  # time.time() of the chunk
    direction: Direction
    data: bytes


class Transcript:
    """Thread-safe, bounded list of chunks (oldest dropped past `max_bytes`)."""

    def __init__(self, max_bytes: int = 8 * 1024 * 1024) -> None:
        self._chunks: list[Chunk] = []
        self._size = 0
        self._max_bytes = max_bytes
        self._start = time.monotonic()
        self._secrets: list[bytes] = []
        self._lock = threading.Lock()
        self.dropped_bytes = 0

    def add_secret(self, secret: str | bytes) -> None:
        """Never store this value (nor its hex form); scrubs what is already stored too."""
        raw = secret.encode() if isinstance(secret, str) else bytes(secret)
        if not raw:
            return
        # A raw value under 4 bytes would mangle ordinary traffic; its hex form is long enough.
        forms = [raw.hex().encode(), raw.hex().upper().encode()] + ([raw] if len(raw) >= 4 else [])
        with self._lock:
            for form in forms:
                if form not in self._secrets:
                    self._secrets.append(form)
            self._chunks = [Chunk(c.at, c.wall, c.direction, self._scrub(c.data)) for c in self._chunks]

    def _scrub(self, data: bytes) -> bytes:
        for secret in self._secrets:
            if secret in data:
                data = data.replace(secret, REDACTED)
        return data

    def record(self, direction: Direction, data: bytes) -> None:
        if not data:
            return
        with self._lock:
            if self._secrets:
                data = self._scrub(data)
            self._chunks.append(Chunk(time.monotonic() - self._start, time.time(), direction, data))
            self._size += len(data)
            while self._size > self._max_bytes and len(self._chunks) > 1:
                old = self._chunks.pop(0)
                self._size -= len(old.data)
                self.dropped_bytes += len(old.data)

    def chunks(self, since: float = 0.0) -> list[Chunk]:
        with self._lock:
            return [c for c in self._chunks if c.at >= since]

    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def capture_lines(self, since: float = 0.0) -> list[str]:
        """The transcript in the capture format `hil at decode` reads: "> " host, "< " modem."""
        return list(to_capture_lines(self.chunks(since)))

    def to_jsonl(self, since: float = 0.0) -> str:
        return "".join(
            json.dumps({"t": round(c.at, 6), "dir": c.direction, "data": c.data.decode("latin-1")}) + "\n"
            for c in self.chunks(since)
        )


def escape_bytes(data: bytes) -> str:
    """Bytes as capture text: printable ASCII as is, \\r \\n \\xNN \\\\ escapes for the rest."""
    out = []
    for byte in data:
        if byte == 0x5C:
            out.append("\\\\")
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        elif byte == 0x0D:
            out.append("\\r")
        elif byte == 0x0A:
            out.append("\\n")
        else:
            out.append(f"\\x{byte:02x}")
    return "".join(out)


def to_capture_lines(chunks: Iterable[Chunk]) -> Iterator[str]:
    """Chunks as capture lines: one per host write (a command line, or a payload after a prompt),
    one per modem line. Line ends are implied; other control bytes (Ctrl-Z, CR or LF inside a
    payload) are written as escapes."""
    received = bytearray()
    for chunk in chunks:
        if chunk.direction == "tx":
            if received.strip(b"\r\n"):
                # An unterminated modem line before the host writes is a prompt ("> ", "@").
                yield "< " + escape_bytes(bytes(received.strip(b"\r\n")))
            received.clear()
            yield "> " + escape_bytes(
                chunk.data.rstrip(b"\r\n") if chunk.data.endswith(b"\r") else chunk.data
            )
            continue
        received.extend(chunk.data)
        while True:
            cut = _first_line_end(received)
            if cut is None:
                break
            line, end = cut
            del received[:end]
            if line:
                yield "< " + escape_bytes(line)
    if received:
        yield "< " + escape_bytes(bytes(received))


def _first_line_end(buffer: bytearray) -> tuple[bytes, int] | None:
    for index, byte in enumerate(buffer):
        if byte in (0x0D, 0x0A):
            end = index + 1
            while end < len(buffer) and buffer[end] in (0x0D, 0x0A):
                end += 1
            return bytes(buffer[:index]), end
    return None
