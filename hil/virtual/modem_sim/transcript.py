"""Every byte in and out, with timestamps, secrets redacted.

One line per event: ``<wall clock ISO> +<seconds since start> <RX|TX> [note] <repr of bytes>``.
Command lines are logged whole (so a PIN, password or PSK inside them can be redacted reliably);
payloads after a prompt are logged as one event; output is logged per write.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from hil.virtual.modem_sim.parser import parse_line, split_args

REDACTED = "<redacted>"

# Command -> index of the first secret parameter (everything from there on is hidden), or a
# predicate on the parsed parameters. Sources: reference §2 (credentials commands per vendor).
_SECRET_FROM: dict[str, int] = {
    "+CPIN": 0,  # PIN / PUK
    "+CPIN2": 0,
    "+CLCK": 2,  # facility password
    "+CPWD": 1,
    "%CMNG": 3,  # nRF credential content / passphrase
    "+QICSGP": 3,  # username, password
    "+CGAUTH": 2,
    "+CNCFG": 3,
    "+CSTT": 1,
    "#SGACT": 2,
    "+KCNXCFG": 3,
    "#SSLSECDATA": 3,
    "+USECMNG": 3,
    "+QSSLCFG": 2,  # "psk" items carry the key
    "+CSSLCFG": 2,
}
_SECRET_WHEN_OPTION: dict[str, tuple[int, set[str]]] = {
    "+USECPRF": (1, {"8", "9", "10", "12"}),  # PSK, PSK identity, private key password ...
    "+UPSD": (1, {"2", "3"}),  # profile user name / password
}
_TEXTUAL_SECRET = re.compile(rb"(?i)(%CMNG|USECPRF|USECMNG|SSLSECDATA|QICSGP|CGAUTH|CPIN)[^\r]*")


def redact_line(line: bytes) -> bytes:
    """The command line with secret parameters replaced by <redacted>."""
    text = line.decode("latin-1")
    stripped = text.rstrip("\r\n")
    ending = text[len(stripped) :]
    if len(stripped) < 2 or stripped[:2].upper() != "AT":
        return line
    try:
        commands = parse_line(stripped[2:])
    except Exception:
        return _TEXTUAL_SECRET.sub(lambda m: m.group(1) + b"=" + REDACTED.encode(), line)
    parts: list[str] = []
    changed = False
    for command in commands:
        secret_from = _secret_index(command.name, command.raw)
        if secret_from is None:
            parts.append(command.text)
            continue
        args = command.raw.split(",") if '"' not in command.raw else _quoted_fields(command.raw)
        kept = args[:secret_from] + [REDACTED] * (len(args) > secret_from)
        parts.append(f"{command.name}={','.join(kept)}")
        changed = True
    if not changed:
        return line
    return (stripped[:2] + ";".join(parts) + ending).encode("latin-1")


def _secret_index(name: str, raw: str) -> int | None:
    if not raw:
        return None
    if name in _SECRET_FROM:
        return _SECRET_FROM[name]
    if name in _SECRET_WHEN_OPTION:
        index, options = _SECRET_WHEN_OPTION[name]
        try:
            args = split_args(raw)
        except Exception:
            return 0
        if len(args) > index and (args[index] or "") in options:
            return index + 1
    return None


def _quoted_fields(raw: str) -> list[str]:
    fields: list[str] = []
    current: list[str] = []
    quoted = False
    for char in raw:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            fields.append("".join(current))
            current = []
            continue
        current.append(char)
    fields.append("".join(current))
    return fields


class Transcript:
    """Writes the byte log to a file (or any text stream); thread-safe, line-buffered."""

    def __init__(self, target: Path | str | TextIO, name: str = "") -> None:
        if isinstance(target, str | Path):
            self._own = True
            self._stream: TextIO = open(target, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the modem
        else:
            self._own = False
            self._stream = target
        self._start = time.monotonic()
        self._name = f"{name} " if name else ""
        self._lock = threading.Lock()
        self._redact_payload = False
        self._echo_secrets: list[tuple[bytes, bytes]] = []  # (line, redacted) to hide in echoes

    def _write(self, direction: str, data: bytes, note: str) -> None:
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        elapsed = time.monotonic() - self._start
        label = f" [{note}]" if note else ""
        with self._lock:
            self._stream.write(f"{now} +{elapsed:.6f} {self._name}{direction}{label} {data!r}\n")
            self._stream.flush()

    def rx_line(self, line: bytes) -> None:
        redacted = redact_line(line)
        self._redact_payload = redacted != line  # a credential import: its payload is secret too
        if self._redact_payload:
            pair = (line.rstrip(b"\r\n"), redacted.rstrip(b"\r\n"))
            self._echo_secrets = [*self._echo_secrets[-7:], pair]
        self._write("RX", redacted, "")

    def rx(self, data: bytes, note: str = "") -> None:
        if self._redact_payload and note in ("payload", "aborted"):
            self._write("RX", REDACTED.encode() + f" ({len(data)} bytes)".encode(), note)
            return
        if note not in ("payload", "aborted", "data mode"):  # stray command text: hide secrets in it
            data = _TEXTUAL_SECRET.sub(lambda m: m.group(1) + b"=" + REDACTED.encode(), data)
        self._write("RX", data, note)

    def tx(self, data: bytes) -> None:
        for secret, redacted in self._echo_secrets:  # the echo repeats the command line
            data = data.replace(secret, redacted)
        self._write("TX", data, "")

    def event(self, text: str) -> None:
        self._write("--", text.encode(), "")

    def close(self) -> None:
        if self._own:
            self._stream.close()
