"""How exactly `hil at decode` decodes a set of captures.

Every capture NAME.txt has a hand-checked expected decode next to it, NAME.expected.json: a JSON
list of the objects `hil at decode --json` prints, as they should be. A command counts as decoded
exactly when the decoder's object for the command on the same capture line equals the expected one
(final, information, URCs, payloads, flags: everything).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from at_commands.capture import decode_capture


@dataclass(frozen=True)
class CaptureScore:
    name: str
    commands: int  # commands in the expected decode
    exact: int  # of those, decoded exactly
    inexact_lines: tuple[int, ...]  # capture lines of the commands decoded differently


def expected_path(capture: Path) -> Path:
    return capture.with_name(capture.stem + ".expected.json")


def decode_file(capture: Path) -> list[dict[str, Any]]:
    return [item.to_json() for item in decode_capture(capture.read_text().splitlines())]


def score_capture(capture: Path) -> CaptureScore:
    expected: list[dict[str, Any]] = json.loads(expected_path(capture).read_text())
    decoded = {item["line"]: item for item in decode_file(capture) if "command" in item}
    wanted = [item for item in expected if "command" in item]
    inexact = tuple(item["line"] for item in wanted if decoded.get(item["line"]) != item)
    return CaptureScore(capture.name, len(wanted), len(wanted) - len(inexact), inexact)


def score_captures(folder: Path) -> list[CaptureScore]:
    """Every capture in `folder` that has an expected decode, by name."""
    return [score_capture(path) for path in sorted(folder.glob("*.txt")) if expected_path(path).exists()]


def exact_share(scores: list[CaptureScore]) -> float:
    total = sum(s.commands for s in scores)
    return sum(s.exact for s in scores) / total if total else 0.0
