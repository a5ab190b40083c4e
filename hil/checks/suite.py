"""Suite files: which checks run, in which modes, with which parameters and limits.

    suite: smoke
    description: every check once
    checks:
      - check: attach
        modes: [modem, firmware]        # optional; default: every mode the check exists in
        params: {timeout_s: 60}
        limits:
          time_to_attach: {high: 30}     # low/high numbers, or expected

Everything is checked before anything runs, and every problem is reported at once with the file,
the line, the key path and what was expected: unknown keys, unknown checks (with the known list),
unknown modes, a mode the check has no implementation in, limits on measurements the check does
not declare, ill-typed limits (non-numbers, low > high, expected mixed with low/high).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hil.checks.base import MODES, REGISTRY, Limit, Mode, load_builtin_checks
from hil.yamlsource import KeyPath, YamlFileError, YamlProblem, YamlSource, load_yaml_source

SUITES_DIR = Path(__file__).resolve().parent / "suites"
TOP_KEYS = ("suite", "description", "checks")
ENTRY_KEYS = ("check", "modes", "params", "limits")
LIMIT_KEYS = ("low", "high", "expected")


class SuiteError(YamlFileError):
    """A suite file with problems; str() lists every one as file:line: key: expected ..., got ..."""


@dataclass(frozen=True)
class SuiteEntry:
    check: str
    modes: tuple[Mode, ...]
    params: Mapping[str, Any]
    limits: Mapping[str, Limit]
    source: str  # file:line of the entry


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    entries: tuple[SuiteEntry, ...]
    source: str
    # What a built-in suite left out because no implementation is installed (see builtin_suite).
    notes: tuple[str, ...] = field(default=())

    def for_mode(self, mode: Mode) -> list[SuiteEntry]:
        return [entry for entry in self.entries if mode in entry.modes]

    def checks(self) -> list[str]:
        return list(dict.fromkeys(entry.check for entry in self.entries))


def builtin_suites() -> list[str]:
    """Names of the suites shipped with nce-hil (hil/checks/suites/*.yaml)."""
    return sorted(path.stem for path in SUITES_DIR.glob("*.yaml"))


def builtin_suite(name: str = "smoke") -> Suite:
    """A shipped suite. It lists checks in every mode the project has; a mode whose implementation
    is not installed (e.g. firmware-mode checks in a modem-only install) is left out with a note
    instead of failing the whole suite. Every other problem is an error as in load_suite."""
    path = SUITES_DIR / f"{name}.yaml"
    if name not in builtin_suites():
        known = ", ".join(builtin_suites()) or "none"
        raise SuiteError(
            [YamlProblem(str(path), None, "<file>", f"a built-in suite (one of {known})", repr(name))]
        )
    return _load(path, missing_implementations="leave out")


def load_suite(path: Path) -> Suite:
    """Load and check a suite file; SuiteError lists every problem."""
    return _load(path, missing_implementations="error")


def _load(path: Path, *, missing_implementations: str) -> Suite:
    load_builtin_checks()
    source = load_yaml_source(path, SuiteError)
    reader = _SuiteReader(source, lenient=missing_implementations == "leave out")
    suite = reader.read()
    if reader.problems:
        raise SuiteError(reader.problems)
    assert suite is not None
    return suite


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _SuiteReader:
    def __init__(self, source: YamlSource, *, lenient: bool) -> None:
        self.source = source
        self.lenient = lenient
        self.problems: list[YamlProblem] = []
        self.notes: list[str] = []

    def problem(self, path: KeyPath, expected: str, got: object = None) -> None:
        self.problems.append(self.source.problem(path, expected, got))

    def wrong(self, path: KeyPath, expected: str, container: Mapping[Any, Any]) -> None:
        """A problem with the value of path[-1] in `container`, or with its absence."""
        key = path[-1]
        if key in container:
            self.problem(path, expected, container[key])
        else:
            self.problems.append(replace(self.source.problem(path, expected), got="nothing"))

    def where(self, path: KeyPath) -> str:
        line = self.source.line(path)
        return f"{self.source.file}:{line}" if line is not None else self.source.file

    def read(self) -> Suite | None:
        data = self.source.data
        if not isinstance(data, dict):
            self.problem((), "a mapping with keys suite, checks (and description)", data)
            return None
        for key in data:
            if key not in TOP_KEYS:
                self.problem((str(key),), f"one of the keys {', '.join(TOP_KEYS)}", str(key))
        name = data.get("suite")
        if not isinstance(name, str) or not name.strip():
            self.wrong(("suite",), "the suite's name (a non-empty string)", data)
            name = ""
        description = data.get("description", "")
        if not isinstance(description, str):
            self.problem(("description",), "a string", description)
            description = ""
        checks = data.get("checks")
        entries: list[SuiteEntry] = []
        if not isinstance(checks, list) or not checks:
            self.wrong(("checks",), "a non-empty list of checks", data)
        else:
            seen: dict[tuple[str, Mode], int] = {}
            for index, item in enumerate(checks):
                entry = self.entry(("checks", index), item)
                if entry is None:
                    continue
                for mode in entry.modes:
                    first = seen.get((entry.check, mode))
                    if first is not None:
                        self.problem(
                            ("checks", index, "check"),
                            f"each check once per mode ({entry.check} in {mode} mode is checks[{first}])",
                            entry.check,
                        )
                    seen.setdefault((entry.check, mode), index)
                if entry.modes:
                    entries.append(entry)
        return Suite(name, description, tuple(entries), self.source.file, tuple(self.notes))

    def entry(self, path: KeyPath, item: object) -> SuiteEntry | None:
        if not isinstance(item, dict):
            self.problem(path, "a mapping with check (and modes, params, limits)", item)
            return None
        for key in item:
            if key not in ENTRY_KEYS:
                self.problem((*path, str(key)), f"one of the keys {', '.join(ENTRY_KEYS)}", str(key))
        name = item.get("check")
        known = sorted({check for check, _ in REGISTRY})
        if not isinstance(name, str):
            self.wrong((*path, "check"), "a check name", item)
            return None
        implemented = tuple(mode for mode in MODES if (name, mode) in REGISTRY)
        if not implemented:
            if self.lenient:
                self.notes.append(f"{self.where(path)}: {name}: no implementation installed; left out")
            else:
                self.problem((*path, "check"), f"a known check (one of {', '.join(known)})", name)
            return None
        modes = implemented
        if "modes" in item:
            modes = self.modes((*path, "modes"), item["modes"], name, implemented)
        params = item.get("params", {})
        if not isinstance(params, dict) or not all(isinstance(key, str) for key in params):
            self.problem((*path, "params"), "a mapping of parameter names to values", params)
            params = {}
        limits = self.limits((*path, "limits"), item.get("limits", {}), name, modes or implemented)
        return SuiteEntry(name, modes, dict(params), limits, self.where(path))

    def modes(
        self, path: KeyPath, value: object, check: str, implemented: tuple[Mode, ...]
    ) -> tuple[Mode, ...]:
        if not isinstance(value, list) or not value:
            self.problem(path, f"a non-empty list of modes ({', '.join(MODES)})", value)
            return ()
        modes: list[Mode] = []
        for position, mode in enumerate(value):
            if mode not in MODES:
                self.problem((*path, position), f"a mode ({', '.join(MODES)})", mode)
            elif mode in modes:
                self.problem((*path, position), "each mode once", mode)
            elif mode not in implemented:
                if self.lenient:
                    where = self.where((*path, position))
                    self.notes.append(
                        f"{where}: {check} has no {mode}-mode implementation installed; left out"
                    )
                else:
                    self.problem(
                        (*path, position),
                        f"a mode {check} is implemented in ({', '.join(implemented)})",
                        mode,
                    )
            else:
                modes.append(mode)
        return tuple(modes)

    def limits(self, path: KeyPath, value: object, check: str, modes: tuple[Mode, ...]) -> dict[str, Limit]:
        if not isinstance(value, dict):
            self.problem(path, "a mapping of measurement names to {low, high} or {expected}", value)
            return {}
        declared = sorted({name for mode in modes for name in REGISTRY[(check, mode)].measurements})
        limits: dict[str, Limit] = {}
        for name, spec in value.items():
            key = (*path, str(name))
            if str(name) not in declared:
                what = f"one of {', '.join(declared)}" if declared else "none: it declares no measurements"
                self.problem(key, f"a measurement of {check} ({what})", str(name))
                continue
            limit = self.limit(key, spec)
            if limit is not None:
                limits[str(name)] = limit
        return limits

    def limit(self, path: KeyPath, spec: object) -> Limit | None:
        if not isinstance(spec, dict) or not spec:
            self.problem(path, "a mapping with low and/or high (numbers), or expected", spec)
            return None
        ok = True
        for key in spec:
            if key not in LIMIT_KEYS:
                self.problem((*path, str(key)), f"one of the limit keys {', '.join(LIMIT_KEYS)}", str(key))
                ok = False
        low, high = spec.get("low"), spec.get("high")
        for key, bound in (("low", low), ("high", high)):
            if key in spec and not _is_number(bound):
                self.problem((*path, key), "a number", bound)
                ok = False
        if "expected" in spec and ("low" in spec or "high" in spec):
            self.problem((*path, "expected"), "either expected or low/high, not both", spec["expected"])
            ok = False
        if "expected" in spec and (spec["expected"] is None or isinstance(spec["expected"], dict | list)):
            self.problem((*path, "expected"), "a value (a string, number or boolean)", spec["expected"])
            ok = False
        if ok and _is_number(low) and _is_number(high) and float(low) > float(high):  # type: ignore[arg-type]
            self.problem((*path, "low"), f"low <= high ({high})", low)
            ok = False
        if not ok:
            return None
        return Limit(
            low=float(low) if _is_number(low) else None,  # type: ignore[arg-type]
            high=float(high) if _is_number(high) else None,  # type: ignore[arg-type]
            expected=spec.get("expected"),
        )
