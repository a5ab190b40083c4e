"""The rig file (rigs.yaml): which rigs a lab has and how each one is wired.

```yaml
rigs:
  - name: bench-1
    board: nrf9160dk              # boards/<board>.yaml
    console: /dev/serial/by-id/usb-SEGGER_J-Link_000960000000-if00
    modem_port: /dev/ttyUSB2      # or a pyserial URL: socket://127.0.0.1:7000, rfc2217://...
    dialect: nrf91                # at_commands dialect; omit to auto-detect
    iccid: "8988228066602759504"
    flasher: west                 # pyocd | west | qemu; default: the board's flash.method
    probe: "000960000000"
    power: {kind: simplerest, url: "http://10.0.0.5/relay/{index}/{value}", index: 1}
    tags: {modem: nrf91, rat: lte-m, rf: shielded}
```

Everything is checked on load and every problem is reported at once with file, line, key path and
what was expected (docs/rigs.md), so nothing runs half-configured.
"""

from __future__ import annotations

import importlib.util
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from at_commands.dialects.profiles import DIALECT_NAMES
from at_commands.sim.errors import SimDataError
from at_commands.sim.iccid import normalize_iccid
from hil.yamlsource import KeyPath, YamlFileError, YamlProblem, YamlSource, load_yaml_source

BACKENDS = ("local", "virtual", "labgrid")
FLASHERS = ("pyocd", "west", "qemu")
POWER_KINDS = ("simplerest", "tasmota", "shelly")
RIG_KEYS = (
    "name",
    "backend",
    "board",
    "console",
    "modem_port",
    "dialect",
    "iccid",
    "flasher",
    "probe",
    "power",
    "tags",
    "place",
    "coordinator",
)
POWER_KEYS = ("kind", "url", "index", "delay")
# The virtual backend makes its own console, modem, flasher and power: wiring them is a mistake.
NOT_FOR_VIRTUAL = ("console", "modem_port", "probe", "power")
# Only a labgrid rig is reserved from a coordinator (docs/labgrid.md).
LABGRID_ONLY = ("place", "coordinator")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TAG_KEY = re.compile(r"[a-z][a-z0-9_.-]{0,31}")
_DEVICE = re.compile(r"(/\S+|COM[0-9]+)")
_URL_PORTS_NEEDED = ("socket", "rfc2217")


class RigFileError(YamlFileError):
    """A rig file that cannot be used: `.file`, `.line`, `.key`, `.expected` of the first problem,
    `.problems` for all of them."""


class RigSelectionError(ValueError):
    """--rig / --tag asked for rigs the rig file does not have."""


@dataclass(frozen=True)
class PowerSpec:
    kind: str  # simplerest | tasmota | shelly
    url: str
    index: int | None = None
    delay: float = 2.0  # seconds off in a power cycle


@dataclass(frozen=True)
class RigSpec:
    name: str
    backend: str = "local"
    board: str | None = None
    console: str | None = None
    modem_port: str | None = None
    dialect: str | None = None
    iccid: str | None = None  # the 1NCE API's 19-digit form
    flasher: str | None = None
    probe: str | None = None
    power: PowerSpec | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    source: str = ""  # "rigs.yaml:12", for messages
    place: str | None = None  # labgrid: reserve this place (name=PLACE) besides the tags
    coordinator: str | None = None  # labgrid: HOST[:PORT]; default $LG_COORDINATOR


def default_boards_dir() -> Path:
    """The repository's boards/ folder (it may not exist in an installed copy)."""
    return Path(__file__).resolve().parents[2] / "boards"


def load_rigs(path: Path, *, boards_dir: Path | None = None) -> list[RigSpec]:
    """Read and check a rig file; raise RigFileError listing every problem."""
    source = load_yaml_source(Path(path), RigFileError)
    return parse_rigs(source, boards_dir=default_boards_dir() if boards_dir is None else boards_dir)


def parse_rigs(source: YamlSource, *, boards_dir: Path | None = None) -> list[RigSpec]:
    problems: list[YamlProblem] = []
    data = source.data
    if not isinstance(data, dict):
        raise RigFileError([source.problem((), "a mapping with a 'rigs' list", data)])
    for key in data:
        if key != "rigs":
            problems.append(source.problem((str(key),), "only the key 'rigs' at the top level", str(key)))
    items = data.get("rigs")
    if not isinstance(items, list) or not items:
        problems.append(source.problem(("rigs",), "a non-empty list of rigs", items))
        raise RigFileError(problems)
    base = Path(source.file).parent
    rigs: list[RigSpec] = []
    first_line: dict[str, int | None] = {}
    for position, item in enumerate(items):
        checker = _RigChecker(source, ("rigs", position), problems, base, boards_dir)
        rig = checker.rig(item)
        if rig is None:
            continue
        if rig.name in first_line:
            problems.append(
                source.problem(
                    ("rigs", position, "name"),
                    f"a unique rig name ({rig.name!r} is already used on line {first_line[rig.name]})",
                    rig.name,
                )
            )
            continue
        first_line[rig.name] = source.line(("rigs", position))
        rigs.append(rig)
    if problems:
        raise RigFileError(problems)
    return rigs


def select_rigs(
    rigs: Iterable[RigSpec], names: Iterable[str] = (), tags: Mapping[str, str] | None = None
) -> list[RigSpec]:
    """The rigs named (all when no names) that carry every tag given, in file order.

    Raises RigSelectionError for an unknown name or when nothing matches, so a run never starts on
    fewer rigs than the user meant."""
    every = list(rigs)
    wanted = list(dict.fromkeys(names))
    known = {rig.name for rig in every}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise RigSelectionError(
            f"no rig named {', '.join(map(repr, unknown))}; the rig file has: "
            + (", ".join(rig.name for rig in every) or "no rigs")
        )
    chosen = [rig for rig in every if not wanted or rig.name in wanted]
    wanted_tags = dict(tags or {})
    matching = [rig for rig in chosen if all(rig.tags.get(k) == v for k, v in wanted_tags.items())]
    if not matching:
        asked = ", ".join(f"{k}={v}" for k, v in wanted_tags.items())
        have = "; ".join(f"{rig.name}: {_tag_text(rig.tags) or 'no tags'}" for rig in chosen)
        raise RigSelectionError(f"no rig has the tags {asked} ({have})")
    return matching


def parse_tag_filters(items: Iterable[str]) -> dict[str, str]:
    """["modem=bg96", "rat=nb-iot"] -> {"modem": "bg96", "rat": "nb-iot"} (--tag options, markers)."""
    tags: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise RigSelectionError(f"a rig tag is KEY=VALUE (e.g. modem=bg96), got {item!r}")
        tags[key.strip()] = value.strip()
    return tags


def _tag_text(tags: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in tags.items())


class _RigChecker:
    """Checks one rig entry, appending problems instead of stopping at the first."""

    def __init__(
        self,
        source: YamlSource,
        path: KeyPath,
        problems: list[YamlProblem],
        base: Path,
        boards_dir: Path | None,
    ) -> None:
        self.source = source
        self.path = path
        self.problems = problems
        self.base = base
        self.boards_dir = boards_dir

    def fail(self, key: KeyPath, expected: str, got: object = None) -> None:
        self.problems.append(self.source.problem((*self.path, *key), expected, got))

    def rig(self, item: object) -> RigSpec | None:
        if not isinstance(item, dict):
            self.fail((), "a mapping with at least 'name'", item)
            return None
        before = len(self.problems)
        for key in item:
            if key not in RIG_KEYS:
                self.fail((str(key),), f"one of the keys {', '.join(RIG_KEYS)}", str(key))
        name = self.text(item, "name", "a rig name (letters, digits, '.', '_', '-'; at most 64)", _NAME)
        if "name" not in item:
            self.fail(("name",), "a rig name (every rig needs one)")
        backend = self.choice(item, "backend", BACKENDS) or "local"
        board = self.board(item)
        console = self.port(item, "console")
        modem_port = self.port(item, "modem_port")
        dialect = self.choice(item, "dialect", DIALECT_NAMES)
        iccid = self.iccid(item)
        flasher = self.choice(item, "flasher", FLASHERS)
        probe = self.text(item, "probe", "a debug probe's unique id (pyocd list)", re.compile(r"\S{1,128}"))
        power = self.power(item.get("power")) if "power" in item else None
        tags = self.tags(item.get("tags")) if "tags" in item else {}
        place = self.text(
            item, "place", "a labgrid place name", re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
        )
        coordinator = self.text(
            item,
            "coordinator",
            "a labgrid coordinator HOST[:PORT]",
            re.compile(r"[A-Za-z0-9.\[\]:_-]{1,255}"),
        )
        if backend != "labgrid":
            for key in LABGRID_ONLY:
                if item.get(key) is not None:
                    self.fail((key,), "this key on a labgrid rig only (backend: labgrid)", key)
        elif "tags" not in item and "place" not in item:
            self.fail((), "tags or a place on a labgrid rig (what to reserve from the coordinator)")
        if backend == "virtual":
            for key in NOT_FOR_VIRTUAL:
                if item.get(key) is not None:
                    self.fail((key,), "no such key on a virtual rig (the virtual backend makes its own)", key)
            if flasher not in (None, "qemu"):
                self.fail(("flasher",), "qemu (or nothing) on a virtual rig", flasher)
        elif backend == "local" and console is None and modem_port is None and before == len(self.problems):
            self.fail((), "a console or a modem_port on a local rig (a rig with neither has nothing to test)")
        if len(self.problems) != before or name is None:
            return None
        return RigSpec(
            name=name,
            backend=backend,
            board=board,
            console=console,
            modem_port=modem_port,
            dialect=dialect,
            iccid=iccid,
            flasher=flasher,
            probe=probe,
            power=power,
            tags=MappingProxyType(tags),
            source=f"{self.source.file}:{self.source.line(self.path)}",
            place=place,
            coordinator=coordinator,
        )

    def text(self, item: dict[str, Any], key: str, expected: str, pattern: re.Pattern[str]) -> str | None:
        value = item.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not pattern.fullmatch(value):
            self.fail((key,), expected, value)
            return None
        return value

    def choice(self, item: dict[str, Any], key: str, choices: Iterable[str]) -> str | None:
        value = item.get(key)
        options = tuple(choices)
        if value is None:
            return None
        if value not in options:
            self.fail((key,), f"one of {', '.join(options)}", value)
            return None
        return str(value)

    def board(self, item: dict[str, Any]) -> str | None:
        value = item.get("board")
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(("board",), "a board name from boards/ or a path to a board .yaml file", value)
            return None
        if value.endswith((".yaml", ".yml")) or "/" in value:
            board_path = Path(value) if Path(value).is_absolute() else self.base / value
            if not board_path.is_file():
                self.fail(("board",), f"an existing board file (no file at {board_path})", value)
                return None
            return str(board_path)
        if self.boards_dir is not None and self.boards_dir.is_dir():
            known = sorted(p.stem for p in self.boards_dir.glob("*.yaml"))
            if value not in known:
                self.fail(("board",), f"a board in {self.boards_dir}: {', '.join(known) or 'none'}", value)
                return None
        return value

    def port(self, item: dict[str, Any], key: str) -> str | None:
        value = item.get(key)
        if value is None:
            return None
        problem = serial_url_problem(value)
        if problem is not None:
            self.fail((key,), problem, value)
            return None
        return str(value)

    def iccid(self, item: dict[str, Any]) -> str | None:
        value = item.get("iccid")
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            self.fail(("iccid",), "the ICCID as a quoted string (a YAML number loses digits)", value)
            return None
        if not isinstance(value, str):
            self.fail(("iccid",), "an ICCID: 19 or 20 digits starting with 89", value)
            return None
        try:
            return normalize_iccid(value).api
        except SimDataError as exc:
            self.fail(("iccid",), f"an ICCID: 19 or 20 digits starting with 89 ({exc})", value)
            return None

    def power(self, value: object) -> PowerSpec | None:
        if not isinstance(value, dict):
            self.fail(("power",), "a mapping with kind and url (and index, delay)", value)
            return None
        before = len(self.problems)
        for key in value:
            if key not in POWER_KEYS:
                self.fail(("power", str(key)), f"one of the keys {', '.join(POWER_KEYS)}", str(key))
        kind = value.get("kind")
        if kind not in POWER_KINDS:
            self.fail(("power", "kind"), f"one of {', '.join(POWER_KINDS)}", kind)
        index = value.get("index")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
            self.fail(("power", "index"), "a relay/outlet number (an integer >= 0)", index)
        delay = value.get("delay", 2.0)
        if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 600:
            self.fail(("power", "delay"), "seconds off in a power cycle (0 to 600)", delay)
        url = value.get("url")
        problem = power_url_problem(str(kind), url, index) if kind in POWER_KINDS else None
        if problem is not None:
            self.fail(("power", "url"), problem, url)
        if len(self.problems) != before:
            return None
        assert isinstance(url, str) and isinstance(kind, str)
        return PowerSpec(kind=kind, url=url, index=index, delay=float(delay))

    def tags(self, value: object) -> dict[str, str]:
        if not isinstance(value, dict):
            self.fail(("tags",), "a mapping of tag names to values, e.g. {modem: bg96, rat: nb-iot}", value)
            return {}
        tags: dict[str, str] = {}
        for key, raw in value.items():
            where = ("tags", str(key))
            if not isinstance(key, str) or not _TAG_KEY.fullmatch(key):
                self.fail(where, "a tag name: lower-case letters, digits, '_', '.', '-' (at most 32)", key)
                continue
            if isinstance(raw, bool) or raw is None:
                self.fail(
                    where, "a text value (quote yes/no/on/off/true/false, YAML reads them as booleans)", raw
                )
                continue
            tag_value = str(raw) if isinstance(raw, int | float) else raw
            if not isinstance(tag_value, str) or not tag_value.strip() or tag_value != tag_value.strip():
                self.fail(where, "a non-empty text value without surrounding spaces", tag_value)
                continue
            tags[key] = tag_value
        return tags


def serial_url_problem(value: object) -> str | None:
    """None when `value` is a port pyserial can open (a device path or a pyserial URL), else what
    was expected."""
    expected = (
        "a serial device path (/dev/ttyUSB0, /dev/serial/by-id/...) or a pyserial URL "
        "(socket://host:port, rfc2217://host:port, loop://)"
    )
    if not isinstance(value, str) or not value:
        return expected
    if "://" not in value:
        return None if _DEVICE.fullmatch(value) else expected
    scheme, _, rest = value.partition("://")
    if not re.fullmatch(r"[a-z][a-z0-9]*", scheme) or not _has_pyserial_handler(scheme):
        return f"{expected}; pyserial has no {scheme!r} URL handler"
    if scheme in _URL_PORTS_NEEDED:
        parts = urlsplit(value)
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or port is None or not 0 < port < 65536:
            return f"{scheme}://HOST:PORT with a port 1-65535"
    elif scheme == "spy" and not rest:
        return "spy://<device or URL>"
    return None


def _has_pyserial_handler(scheme: str) -> bool:
    return importlib.util.find_spec(f"serial.urlhandler.protocol_{scheme}") is not None


def power_url_problem(kind: str, url: object, index: int | None) -> str | None:
    """None when `url` suits the power switch `kind`, else what was expected."""
    if not isinstance(url, str):
        return f"the {kind} switch's URL (http://...)"
    parts = urlsplit(url.replace("{", "").replace("}", ""))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "an http:// or https:// URL with a host"
    try:
        parts.port  # noqa: B018 (raises for a bad port)
    except ValueError:
        return "a URL with a port 1-65535"
    if kind == "simplerest":
        fields = _template_fields(url)
        if fields is None:
            return "a URL template with {value} (and optionally {index}), braces balanced"
        if "value" not in fields:
            return "a URL with {value} where 1 (on) or 0 (off) goes, e.g. http://host/relay/{index}/{value}"
        if fields - {"value", "index"}:
            return "only the placeholders {value} and {index}"
        if "index" in fields and index is None:
            return "power.index too, since the URL has {index}"
        return None
    if "{" in url or "}" in url:
        return f"the {kind} device's base URL (http://host), no placeholders"
    if parts.path not in ("", "/") or parts.query:
        return f"the {kind} device's base URL (http://host[:port]) without a path"
    return None


def _template_fields(url: str) -> set[str] | None:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(url) if name is not None}
    except ValueError:
        return None


def rig_summary(rig: RigSpec) -> dict[str, object]:
    """A rig as plain data (for --json and reports); power URLs lose any credentials."""
    return {
        "name": rig.name,
        "backend": rig.backend,
        "board": rig.board,
        "console": rig.console,
        "modem_port": rig.modem_port,
        "dialect": rig.dialect,
        "iccid": rig.iccid,
        "flasher": rig.flasher,
        "probe": rig.probe,
        "power": None
        if rig.power is None
        else {"kind": rig.power.kind, "url": redact_url(rig.power.url), "index": rig.power.index},
        "tags": dict(rig.tags),
        "source": rig.source,
    }


def redact_url(url: str) -> str:
    """The URL without user:password and without password/token query values."""
    redacted = re.sub(r"//[^/@\s]*@", "//***@", url)
    return re.sub(r"(?i)([?&](?:password|pass|pwd|token|key|auth)=)[^&#]*", r"\1***", redacted)
