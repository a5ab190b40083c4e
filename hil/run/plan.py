"""What a run will do, decided and checked before anything starts: the suite's checks per mode ×
the rigs × the rounds. Every problem (suite file, limits, rig file, rig selection, faults, the
firmware image) is a PlanError here, so nothing runs half-configured."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hil.checks.base import MODES, Mode
from hil.rig.rigfile import (
    RigFileError,
    RigSelectionError,
    RigSpec,
    load_rigs,
    parse_tag_filters,
    select_rigs,
)

if TYPE_CHECKING:
    from hil.checks.suite import Suite, SuiteEntry

MODE_CHOICES = ("modem", "firmware", "both")
DEFAULT_SUITE = "smoke"
DEFAULT_QUARANTINE_AFTER = 3
DEFAULT_TIME_SCALE = 0.01
FIRMWARE_TARGET = ("baremetal", "mps2-an385")  # the image virtual firmware rigs boot in QEMU


class PlanError(Exception):
    """The run cannot start as asked; the message names the file, line and expectation."""


@dataclass(frozen=True)
class RunOptions:
    """What the user asked for (`hil run`'s options); stored with the run so --resume can rebuild
    the same plan."""

    suite: str = DEFAULT_SUITE  # a built-in suite's name or a suite file
    mode: str = "both"  # modem | firmware | both
    rigs: int | None = None  # virtual rigs (default 1 unless rigs come from a rig file)
    rig_names: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    rigs_file: str | None = None
    repeat: int = 1
    until: float | None = None  # epoch seconds: start no round after it
    retries: int = 1  # extra attempts for a transient failure class
    quarantine_after: int = DEFAULT_QUARANTINE_AFTER
    faults: tuple[str, ...] = ()  # "RIG=FAULT"
    time_scale: float = DEFAULT_TIME_SCALE
    period_s: int = 3  # firmware uplink period on virtual firmware rigs
    image: str | None = None  # firmware image for local rigs (default: keep what they have)

    @property
    def local(self) -> bool:
        return bool(self.rig_names or self.tags or self.rigs_file)

    def to_meta(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("rig_names", "tags", "faults"):
            data[key] = list(data[key])
        return data

    @classmethod
    def from_meta(cls, data: Mapping[str, Any]) -> RunOptions:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        for key in ("rig_names", "tags", "faults"):
            if key in known:
                known[key] = tuple(known[key])
        return cls(**known)


@dataclass(frozen=True)
class PlannedRig:
    spec: RigSpec
    faults: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    options: RunOptions
    suite: Suite
    modes: tuple[Mode, ...]
    entries: Mapping[Mode, tuple[SuiteEntry, ...]]
    rigs: tuple[PlannedRig, ...]
    backend: str  # virtual | local | labgrid
    rounds: int | None  # None: until options.until
    image: Path | None = None  # firmware image (virtual firmware rigs; local rigs with --image)
    notes: tuple[str, ...] = field(default_factory=tuple)

    def per_round(self) -> int:
        return sum(len(self.entries[mode]) for mode in self.modes)

    def total(self) -> int | None:
        """Results the whole run produces (None when rounds run until a time)."""
        return None if self.rounds is None else self.rounds * self.per_round() * len(self.rigs)

    def keys(self, rig: str, rounds: int) -> list[tuple[str, str, str, int]]:
        return [
            (rig, mode, entry.check, round_)
            for round_ in range(1, rounds + 1)
            for mode in self.modes
            for entry in self.entries[mode]
        ]


def build_plan(options: RunOptions, *, resume_rounds: int | None = None) -> Plan:
    """Check everything the run needs and say what it will do; PlanError on any problem."""
    if options.mode not in MODE_CHOICES:
        raise PlanError(f"--mode: expected one of {', '.join(MODE_CHOICES)}, got {options.mode!r}")
    if options.repeat < 1:
        raise PlanError(f"--repeat: expected a number of rounds >= 1, got {options.repeat}")
    if options.retries < 0:
        raise PlanError(f"--retries: expected 0 or more, got {options.retries}")
    if options.quarantine_after < 1:
        raise PlanError(f"--quarantine-after: expected 1 or more, got {options.quarantine_after}")
    if options.time_scale <= 0:
        raise PlanError(f"--time-scale: expected a factor > 0, got {options.time_scale}")
    if options.rigs is not None and options.local:
        raise PlanError(
            "--rigs N runs virtual rigs; --rig/--tag/--rigs-file pick real ones: use one or the other"
        )
    if options.rigs is not None and not 1 <= options.rigs <= 64:
        raise PlanError(f"--rigs: expected 1 to 64 virtual rigs, got {options.rigs}")
    suite = resolve_suite(options.suite)
    wanted: tuple[Mode, ...] = MODES if options.mode == "both" else (options.mode,)  # type: ignore[assignment]
    notes: list[str] = []
    entries: dict[Mode, tuple[SuiteEntry, ...]] = {}
    for mode in wanted:
        found = tuple(suite.for_mode(mode))
        if found:
            entries[mode] = found
        elif options.mode == "both":
            notes.append(f"suite {suite.name} has no checks in {mode} mode")
        else:
            raise PlanError(f"suite {suite.name} ({suite.source}) has no checks in {mode} mode")
    modes = tuple(mode for mode in MODES if mode in entries)
    if not modes:
        raise PlanError(f"suite {suite.name} ({suite.source}) has no checks to run")
    backend, specs = _rigs(options)
    faults = parse_faults(options.faults, [spec.name for spec in specs], backend)
    rigs = tuple(PlannedRig(spec, faults.get(spec.name, ())) for spec in specs)
    image = _image(options, backend, modes)
    if resume_rounds is not None:
        rounds: int | None = resume_rounds
    elif options.until is not None:
        rounds = options.repeat if options.repeat > 1 else None
    else:
        rounds = options.repeat
    return Plan(options, suite, modes, entries, rigs, backend, rounds, image, tuple(notes))


def resolve_suite(text: str) -> Suite:
    """A suite file (a path, or a name ending in .yaml/.yml) or a built-in suite's name."""
    from hil.checks.suite import SuiteError, builtin_suite, builtin_suites, load_suite

    looks_like_file = "/" in text or text.endswith((".yaml", ".yml")) or Path(text).exists()
    try:
        if looks_like_file:
            return load_suite(Path(text))
        if text not in builtin_suites():
            raise PlanError(
                f"--suite: no built-in suite {text!r} (built in: {', '.join(builtin_suites())}); "
                "or give a suite file (.yaml)"
            )
        return builtin_suite(text)
    except SuiteError as exc:
        count = len(getattr(exc, "problems", ())) or 1
        raise PlanError(f"the suite file has {count} problem(s):\n{exc}") from exc


def parse_until(text: str, *, now: dt.datetime | None = None) -> float:
    """`HH:MM` (the next such time, today or tomorrow) or an ISO date-time -> epoch seconds."""
    current = now or dt.datetime.now()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            raise PlanError(f"--until: {text!r} is not a time of day (HH:MM, 00:00 to 23:59)")
        target = current.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if target <= current:
            target += dt.timedelta(days=1)
        return target.timestamp()
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise PlanError(
            f"--until: expected HH:MM or an ISO date-time (2025-06-01T06:30), got {text!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=current.astimezone().tzinfo)
    stamp = parsed.timestamp()
    if stamp <= time.time():
        raise PlanError(f"--until: {text} is in the past")
    return stamp


def parse_faults(items: Sequence[str], rigs: Sequence[str], backend: str) -> dict[str, tuple[str, ...]]:
    """["virtual-2=cloud_down", ...] -> {"virtual-2": ("cloud_down",)}, every name and fault checked."""
    from hil.rig.backends.virtual import FAULTS

    faults: dict[str, tuple[str, ...]] = {}
    for item in items:
        rig, sep, fault = item.partition("=")
        rig, fault = rig.strip(), fault.strip()
        if not sep or not rig or not fault:
            raise PlanError(f"--fault expects RIG=FAULT (e.g. virtual-2=cloud_down), got {item!r}")
        if backend != "virtual":
            raise PlanError(f"--fault {item}: faults can only be injected into virtual rigs")
        if rig not in rigs:
            raise PlanError(f"--fault {item}: no rig {rig!r} in this run (rigs: {', '.join(rigs)})")
        if fault not in FAULTS:
            raise PlanError(f"--fault {item}: unknown fault {fault!r} (known: {', '.join(FAULTS)})")
        faults[rig] = (*faults.get(rig, ()), fault)
    return faults


def _rigs(options: RunOptions) -> tuple[str, list[RigSpec]]:
    if not options.local:
        from hil.rig.backends.virtual import DEFAULT_DIALECTS

        # The virtual lab's naming: virtual-<n>, dialects in turn (VirtualLab.spec makes the rest).
        count = options.rigs or 1
        return "virtual", [
            RigSpec(
                f"virtual-{index + 1}",
                backend="virtual",
                dialect=DEFAULT_DIALECTS[index % len(DEFAULT_DIALECTS)],
                source="virtual lab",
            )
            for index in range(count)
        ]
    from hil.cli.rigs import default_rigs_file

    path = Path(options.rigs_file) if options.rigs_file else default_rigs_file()
    if not path.exists():
        raise PlanError(
            f"no rig file at {path} (--rigs-file, $HIL_RIGS_FILE or ./rigs.yaml; see docs/rigs.md)"
        )
    try:
        specs = load_rigs(path)
        chosen = select_rigs(specs, options.rig_names, parse_tag_filters(options.tags))
    except RigFileError as exc:
        raise PlanError(f"the rig file has {len(exc.problems)} problem(s):\n{exc}") from exc
    except RigSelectionError as exc:
        raise PlanError(f"{path}: {exc}") from exc
    backends = sorted({spec.backend for spec in chosen})
    if backends == ["labgrid"]:  # rigs reserved from a labgrid coordinator (hil/rig/backends/labgrid.py)
        return "labgrid", chosen
    if backends != ["local"]:
        others = ", ".join(f"{s.name} ({s.backend}, {s.source})" for s in chosen if s.backend != "local")
        raise PlanError(
            f"{path}: hil run drives local rigs, or labgrid rigs, from a rig file (one backend a run); "
            f"not: {others}"
        )
    return "local", chosen


def _image(options: RunOptions, backend: str, modes: Sequence[Mode]) -> Path | None:
    if options.image is not None:
        path = Path(options.image)
        if not path.is_file():
            raise PlanError(f"--image: no firmware image at {path}")
        return path
    if "firmware" not in modes or backend != "virtual":
        return None
    from hil.rig.backends.virtual import VirtualLab

    if not hasattr(VirtualLab, "open_firmware_rig"):
        raise PlanError(
            "firmware mode on the virtual lab is not available in this version (no firmware rigs)"
        )
    try:
        from hil.firmware.build import FirmwareBuildError
        from hil.firmware.cache import ensure_image
    except ImportError as exc:
        raise PlanError(f"firmware mode needs the firmware image cache ({exc})") from exc
    try:
        return ensure_image(*FIRMWARE_TARGET)
    except FirmwareBuildError as exc:
        raise PlanError(f"firmware mode needs the {'/'.join(FIRMWARE_TARGET)} image: {exc}") from exc
