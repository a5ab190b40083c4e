"""What every report format reads: one run loaded in bulk (three queries, no per-record query),
its final results with their earlier attempts, the rigs' health, the suite's trend, and the text
cleaning every format needs (control characters from transcripts, non-finite floats)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hil.records.db import RigInfo
from hil.records.redact import redact

if TYPE_CHECKING:
    from hil.records.db import ResultsDB, RigHealth, RunData, RunSummary, StoredRecord
    from hil.records.model import Measurement

TREND_RUNS = 20  # how many runs of the same suite the trend shows (this one the newest)

# Characters XML 1.0 cannot hold at all, and C0 controls people cannot see: shown as \xNN.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """`text` redacted once more (reports are a place secrets must not reach) and with control
    characters made visible (`\\x1b`), so it is valid XML and readable HTML. Tabs and newlines stay."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", redact(text))


def plain_value(value: Any) -> Any:
    """A measurement value as strict JSON can hold it (NaN/inf become their text)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | tuple):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    return value


def format_value(value: Any) -> str:
    """A measurement value for people: floats to 4 significant digits, text as is."""
    if isinstance(value, bool) or value is None:
        return str(value).lower() if isinstance(value, bool) else "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return clean_text(str(value))


def format_limits(m: Measurement) -> str:
    """The measurement's limits as people read them: `0 … 120`, `≥ 50`, `= READY`, or empty."""
    if m.expected is not None:
        return f"= {format_value(m.expected)}"
    if m.low is not None and m.high is not None:
        return f"{m.low:g} … {m.high:g}"
    if m.low is not None:
        return f"≥ {m.low:g}"
    if m.high is not None:
        return f"≤ {m.high:g}"
    return ""


@dataclass(frozen=True)
class Result:
    """The last attempt of one (rig, mode, check, round), with the attempts before it."""

    final: StoredRecord
    earlier: list[StoredRecord] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        return len(self.earlier) + 1


@dataclass(frozen=True)
class RigRow:
    info: RigInfo
    health: RigHealth | None
    passed: int
    failed: int
    failure_classes: dict[str, int]


@dataclass(frozen=True)
class ReportData:
    data: RunData
    results: list[Result]  # commit order of the final attempts
    rigs: list[RigRow]
    trend: list[RunSummary]  # oldest first, ending with this run when it is among them

    @property
    def run(self) -> RunSummary:
        return self.data.run


def load_report(db: ResultsDB, run_id: int, *, trend_runs: int = TREND_RUNS) -> ReportData:
    data = db.load_run(run_id)
    by_key: dict[tuple[str, str, str, int], list[StoredRecord]] = {}
    for stored in data.records:
        by_key.setdefault(stored.key, []).append(stored)
    results: list[Result] = []
    for attempts in by_key.values():
        attempts.sort(key=lambda s: (s.attempt, s.id))
        results.append(Result(attempts[-1], attempts[:-1]))
    results.sort(key=lambda r: r.final.id)
    health = db.rig_health()
    tallies: dict[str, tuple[int, int, dict[str, int]]] = {}
    for result in results:
        passed, failed, classes = tallies.get(result.final.rig, (0, 0, {}))
        if result.final.record.passed:
            passed += 1
        else:
            failed += 1
            label = result.final.record.failure_class or "unclassified"
            classes[label] = classes.get(label, 0) + 1
        tallies[result.final.rig] = (passed, failed, classes)
    known = {rig.name for rig in data.rigs}
    infos = list(data.rigs)
    infos += [RigInfo(name, "unknown") for name in tallies if name not in known]  # records of no rig
    rigs = [RigRow(info, health.get(info.name), *tallies.get(info.name, (0, 0, {}))) for info in infos]
    return ReportData(data, results, rigs, _trend(db, data.run, trend_runs))


def _trend(db: ResultsDB, run: RunSummary, count: int) -> list[RunSummary]:
    """The last `count` runs of the run's suite up to and including it, oldest first."""
    limit = count
    while True:
        summaries = [s for s, _attach in db.trend(run.suite, limit=limit)]
        upto = [s for s in summaries if s.id <= run.id]
        if len(upto) >= count or len(summaries) < limit or limit >= 5000:
            return upto[-count:]
        limit *= 4  # newer runs of the suite came after this one: look further back
