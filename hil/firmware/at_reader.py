"""The firmware's C AT reader (firmware/common/at, nce_at.h) on the host, through cffi.

    reader = CAtReader()
    reader.start("AT+QIRD=0,1500")
    events = reader.feed(b"\\r\\n+QIRD: 5\\r\\nhello\\r\\nOK\\r\\n")   # [CEvent(INFO ...), BINARY, FINAL]

The extension is compiled on first use (hil/firmware/_at_reader_build.py says why) into
build/c-at-reader/<hash>/, the hash covering the driver's sources, so an edit to the C is always
picked up; two processes building at once take a lock file and one of them builds.
"""

from __future__ import annotations

import enum
import functools
import importlib.util
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hil.firmware import _at_reader_build as build_spec
from hil.firmware.cache import build_lock, content_digest

CACHE_DIR = build_spec.REPO / "build" / "c-at-reader"

__all__ = [
    "CACHE_DIR",
    "CAtReader",
    "CEvent",
    "EventKind",
    "FinalKind",
    "bench_in_c",
    "capture_segments",
    "default_timeout_ms",
    "field",
    "field_int",
    "limits",
]


class EventKind(enum.IntEnum):
    """nce_at_event_kind_t."""

    INFO = 0
    FINAL = 1
    PROMPT = 2
    BINARY = 3
    URC = 4
    BOOT = 5
    NOISE = 6
    STRAY = 7


class FinalKind(enum.IntEnum):
    """nce_at_final_t."""

    NONE = 0
    OK = 1
    ERROR = 2
    CME = 3
    CMS = 4


@dataclass(frozen=True)
class CEvent:
    """One event of the C reader, copied out of the callback (nce_at_event_t)."""

    kind: EventKind
    line: str
    body: str | None = None
    data: bytes | None = None
    final: FinalKind = FinalKind.NONE
    code: int = 0
    command_ended: bool = False


# -- the extension ---------------------------------------------------------------------------------


def _find_extension(folder: Path, module_name: str) -> Path | None:
    found = sorted(folder.glob(f"{module_name}*.so")) if folder.is_dir() else []
    return found[0] if found else None


@functools.cache
def _extension() -> Any:
    """The compiled module (ffi, lib), building it when no build of these sources exists."""
    key = content_digest(build_spec.source_files())[:16]
    module_name = f"_nce_at_{key}"
    folder = CACHE_DIR / key
    with build_lock(CACHE_DIR / f"{key}.lock"):
        so = _find_extension(folder, module_name)
        if so is None:
            with tempfile.TemporaryDirectory(prefix="nce-at-build-", dir=CACHE_DIR) as scratch:
                built = build_spec.make_ffi(module_name).compile(tmpdir=scratch, verbose=False)
                folder.mkdir(parents=True, exist_ok=True)
                so = folder / Path(built).name
                shutil.copy2(built, so)
    spec = importlib.util.spec_from_file_location(module_name, so)
    if spec is None or spec.loader is None:  # pragma: no cover - the file was just found
        raise ImportError(f"cannot load the C AT reader extension {so}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ffi = module.ffi

    @ffi.def_extern(name="nce_at_host_event")  # type: ignore[untyped-decorator]
    def _on_event(ctx: Any, event: Any) -> None:
        reader: CAtReader = ffi.from_handle(ctx)
        reader._events.append(_copy_event(ffi, event))

    return module


def _copy_event(ffi: Any, event: Any) -> CEvent:
    kind = EventKind(event.kind)
    line = ffi.unpack(event.line, event.line_len).decode("latin-1") if event.line != ffi.NULL else ""
    body = ffi.string(event.body).decode("latin-1") if event.body != ffi.NULL else None
    data = bytes(ffi.buffer(event.data, event.data_len)) if event.data != ffi.NULL else None
    return CEvent(
        kind=kind,
        line=line,
        body=body,
        data=data,
        final=FinalKind(event.final),
        code=int(event.code),
        command_ended=bool(event.command_ended),
    )


def limits() -> dict[str, int]:
    """The build's NCE_AT_LINE_MAX, NCE_AT_BINARY_MAX and NCE_AT_COMMAND_MAX."""
    lib = _extension().lib
    return {
        "line_max": int(lib.NCE_AT_LINE_MAX),
        "binary_max": int(lib.NCE_AT_BINARY_MAX),
        "command_max": int(lib.NCE_AT_COMMAND_MAX),
    }


# -- the reader --------------------------------------------------------------------------------------


class CAtReader:
    """nce_at_reader_t: bytes in, events out; the same calls as AtSession's sans-I/O core."""

    def __init__(self) -> None:
        module = _extension()
        self._ffi: Any = module.ffi
        self._lib: Any = module.lib
        self._events: list[CEvent] = []
        self._handle = self._ffi.new_handle(self)
        self._reader = self._ffi.new("nce_at_reader_t *")
        self._lib.nce_at_reader_init(self._reader, self._lib.nce_at_host_event, self._handle)

    def start(self, command: str) -> None:
        """A command line was sent (without CR): its echo, prefixes, prompt and finals are expected."""
        self._lib.nce_at_reader_start(self._reader, command.encode("latin-1"))

    def feed(self, data: bytes) -> list[CEvent]:
        """The events the bytes complete, in order."""
        self._events = []
        self._lib.nce_at_feed(self._reader, data, len(data))
        events, self._events = self._events, []
        return events

    def abandon(self) -> None:
        """Give up on the pending command (timeout): later lines are unsolicited."""
        self._lib.nce_at_reader_abandon(self._reader)

    def reset(self) -> None:
        """Forget partial input and waiting URCs, as after a reboot."""
        self._lib.nce_at_reader_reset(self._reader)

    @property
    def pending(self) -> bool:
        return bool(self._lib.nce_at_reader_pending(self._reader))

    @property
    def noise_events(self) -> int:
        return int(self._reader.noise_events)

    @property
    def overlong_lines(self) -> int:
        return int(self._reader.overlong_lines)


# -- text helpers and the in-C benchmark ---------------------------------------------------------------


def field(csv: str, index: int, cap: int = 256) -> str | None:
    """nce_at_field: field `index` of a comma-separated answer, quotes removed; None if absent."""
    module = _extension()
    out = module.ffi.new("char[]", cap)
    length = module.lib.nce_at_field(csv.encode("latin-1"), index, out, cap)
    return None if length < 0 else module.ffi.string(out).decode("latin-1")


def field_int(csv: str, index: int) -> int | None:
    """nce_at_field_int: field `index` as an integer; None if absent or not a number."""
    module = _extension()
    value = module.ffi.new("long *")
    return None if module.lib.nce_at_field_int(csv.encode("latin-1"), index, value) != 0 else int(value[0])


def default_timeout_ms(command: str) -> int:
    """nce_at_default_timeout: the firmware's timeout class of a command line."""
    return int(_extension().lib.nce_at_default_timeout(command.encode("latin-1")))


def bench_in_c(segments: Sequence[tuple[str | None, bytes]], chunk: int, rounds: int) -> tuple[float, int]:
    """Feed (command or None, modem bytes) segments through a C reader `rounds` times in chunks of
    `chunk` bytes, timed inside C; (seconds, events delivered)."""
    module = _extension()
    ffi, lib = module.ffi, module.lib
    stream = b"".join(data for _, data in segments)
    offsets = [0]
    for _, data in segments:
        offsets.append(offsets[-1] + len(data))
    keep = [ffi.new("char[]", c.encode("latin-1")) if c is not None else ffi.NULL for c, _ in segments]
    commands = ffi.new("const char *[]", keep)
    events = ffi.new("uint64_t *")
    seconds = lib.nce_at_host_bench(
        stream, ffi.new("size_t[]", offsets), commands, len(segments), chunk, rounds, events
    )
    return float(seconds), int(events[0])


# -- captures ------------------------------------------------------------------------------------------

_TIMESTAMP = re.compile(r"^\s*\[[^\]]*\]\s*")


def capture_segments(text: str) -> list[tuple[str | None, bytes]]:
    """A recorded capture (hil at decode's format) as (command sent, modem bytes after it)
    segments, read the way at_commands.capture reads it: "> AT..." starts a command, other host
    lines are payloads (the reader never sees them), "< text" is text + CR LF from the modem. The
    first segment (command None) holds what came before any command."""
    from at_commands.capture import unescape

    segments: list[tuple[str | None, bytes]] = [(None, b"")]
    for raw in text.splitlines():
        line = _TIMESTAMP.sub("", raw.rstrip("\r\n"))
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        content = line[2:] if line[1:2] == " " else line[1:]
        if line.startswith(">"):
            if content[:2].upper() == "AT" or content[:2] == "A/":
                segments.append((content.strip(), b""))
        elif line.startswith("<"):
            command, data = segments[-1]
            segments[-1] = (command, data + unescape(content) + b"\r\n")
    return segments
