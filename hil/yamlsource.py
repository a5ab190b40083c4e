"""YAML configuration files whose errors name the file, the line, the key path and the expectation.

The scenario and inventory loaders report key paths only; rig files (and other hand-edited lab
files) also need the line, so this loader keeps the line of every key and list item next to the
plain data `yaml.safe_load` would give. It also rejects duplicate keys, which PyYAML silently
resolves to the last one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]


def key_text(path: KeyPath) -> str:
    """("rigs", 1, "power", "url") -> "rigs[1].power.url"; () -> "<top>"."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "<top>"


@dataclass(frozen=True)
class YamlProblem:
    file: str
    line: int | None
    key: str
    expected: str
    got: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        got = f", got {self.got}" if self.got is not None else ""
        return f"{where}: {self.key}: expected {self.expected}{got}"


class YamlFileError(ValueError):
    """One or more problems in a YAML file; the attributes describe the first."""

    def __init__(self, problems: Sequence[YamlProblem]) -> None:
        if not problems:
            raise ValueError("YamlFileError needs at least one problem")
        self.problems = tuple(problems)
        first = self.problems[0]
        self.file = first.file
        self.line = first.line
        self.key = first.key
        self.expected = first.expected
        self.got = first.got
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class YamlSource:
    """Parsed YAML data plus the line (1-based) of every key and list item in it."""

    file: str
    data: Any
    lines: Mapping[KeyPath, int] = field(default_factory=dict)

    def line(self, path: KeyPath) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return None

    def problem(self, path: KeyPath, expected: str, got: object = None) -> YamlProblem:
        return YamlProblem(
            file=self.file,
            line=self.line(path),
            key=key_text(path),
            expected=expected,
            got=None if got is None else describe(got),
        )


def describe(value: object) -> str:
    """How a wrong value is shown in an error: short, typed, never a whole nested structure."""
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return repr(shown)
    if isinstance(value, bool | int | float) or value is None:
        return f"{value!r} ({type(value).__name__})"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def parse_yaml_source(text: str, file: str, error: type[YamlFileError] = YamlFileError) -> YamlSource:
    """Parse `text`; syntax errors and duplicate keys raise `error` with the line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = exc.problem or str(exc)
        raise error([YamlProblem(file, line, "<syntax>", "valid YAML", reason)]) from None
    except yaml.YAMLError as exc:
        raise error([YamlProblem(file, None, "<syntax>", "valid YAML", str(exc))]) from None
    lines: dict[KeyPath, int] = {}
    problems: list[YamlProblem] = []
    if node is not None:
        lines[()] = node.start_mark.line + 1
        _index(node, (), lines, problems, file)
    if problems:
        raise error(problems)
    return YamlSource(file=file, data=data, lines=lines)


def load_yaml_source(path: Path, error: type[YamlFileError] = YamlFileError) -> YamlSource:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error([YamlProblem(str(path), None, "<file>", "an existing file", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise error([YamlProblem(str(path), None, "<file>", "a readable UTF-8 file", reason)]) from None
    return parse_yaml_source(text, str(path), error)


def _index(
    node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], problems: list[YamlProblem], file: str
) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # safe_load rejects unhashable keys itself
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    YamlProblem(
                        file,
                        line,
                        key_text((*path, key)),
                        f"each key once (first given on line {seen[key]})",
                        "a second one",
                    )
                )
                continue
            seen[key] = line
            lines[(*path, key)] = line
            _index(value_node, (*path, key), lines, problems, file)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            lines[(*path, position)] = item.start_mark.line + 1
            _index(item, (*path, position), lines, problems, file)
