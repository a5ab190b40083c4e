"""Two runs side by side (`hil runs compare A B`): per rig, mode and check, how many rounds passed
in A and in B, what is newly failing or fixed, and which numeric measurements moved by more than
a relative threshold (mean over the rounds, final attempts only)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hil.records.db import ResultsDB, RunData

DEFAULT_THRESHOLD = 0.2  # 20 %

Key = tuple[str, str, str]  # rig, mode, check


@dataclass
class Side:
    passed: int = 0
    total: int = 0
    values: dict[str, list[float]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)

    @property
    def all_passed(self) -> bool:
        return self.passed == self.total

    def mean(self, name: str) -> float | None:
        values = self.values.get(name)
        return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class Change:
    name: str
    a: float
    b: float
    unit: str

    @property
    def relative(self) -> float:
        if self.a == 0:
            return math.inf if self.b != 0 else 0.0
        return (self.b - self.a) / abs(self.a)


@dataclass(frozen=True)
class Row:
    rig: str
    mode: str
    check: str
    a: Side | None
    b: Side | None
    changes: list[Change]

    @property
    def verdict(self) -> str:
        if self.a is None:
            return "only in B"
        if self.b is None:
            return "only in A"
        if self.a.all_passed and not self.b.all_passed:
            return "newly failing"
        if not self.a.all_passed and self.b.all_passed:
            return "fixed"
        if not self.b.all_passed:
            return "still failing"
        return "changed" if self.changes else "same"


@dataclass(frozen=True)
class Comparison:
    a: int
    b: int
    threshold: float
    rows: list[Row]

    def count(self, verdict: str) -> int:
        return sum(row.verdict == verdict for row in self.rows)

    def as_json(self) -> dict[str, Any]:
        def side(s: Side | None) -> dict[str, Any] | None:
            return None if s is None else {"passed": s.passed, "total": s.total}

        return {
            "a": self.a,
            "b": self.b,
            "threshold": self.threshold,
            "summary": {
                verdict: self.count(verdict)
                for verdict in (
                    "newly failing",
                    "fixed",
                    "still failing",
                    "changed",
                    "same",
                    "only in A",
                    "only in B",
                )
            },
            "rows": [
                {
                    "rig": row.rig,
                    "mode": row.mode,
                    "check": row.check,
                    "verdict": row.verdict,
                    "a": side(row.a),
                    "b": side(row.b),
                    "changes": [
                        {
                            "measurement": c.name,
                            "a": c.a,
                            "b": c.b,
                            "unit": c.unit,
                            "relative": None if math.isinf(c.relative) else round(c.relative, 4),
                        }
                        for c in row.changes
                    ],
                }
                for row in self.rows
            ],
        }


def _sides(data: RunData) -> dict[Key, Side]:
    sides: dict[Key, Side] = {}
    for stored in data.final_records():
        record = stored.record
        side = sides.setdefault((stored.rig, stored.mode, record.check), Side())
        side.total += 1
        side.passed += record.passed
        for step in record.steps:
            for m in step.measurements:
                value = m.value
                if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                    continue
                name = m.name if len(record.steps) == 1 else f"{step.name}.{m.name}"
                side.values.setdefault(name, []).append(float(value))
                side.units.setdefault(name, m.unit)
    return sides


def compare_runs(db: ResultsDB, a: int, b: int, threshold: float = DEFAULT_THRESHOLD) -> Comparison:
    side_a, side_b = _sides(db.load_run(a)), _sides(db.load_run(b))
    rows = []
    for key in sorted(side_a.keys() | side_b.keys()):
        sa, sb = side_a.get(key), side_b.get(key)
        changes: list[Change] = []
        if sa is not None and sb is not None:
            for name in sa.values.keys() & sb.values.keys():
                mean_a, mean_b = sa.mean(name), sb.mean(name)
                assert mean_a is not None and mean_b is not None
                change = Change(name, mean_a, mean_b, sa.units.get(name, ""))
                if abs(change.relative) > threshold:
                    changes.append(change)
            changes.sort(key=lambda c: c.name)
        rows.append(Row(*key, sa, sb, changes))
    return Comparison(a, b, threshold, rows)
