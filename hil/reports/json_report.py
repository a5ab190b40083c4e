"""The JSON report: one document with the run, its rigs and every final result (steps,
measurements with limits and outcome, failure class, transcript) plus the attempts before it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from hil.reports.data import ReportData, clean_text, load_report, plain_value

if TYPE_CHECKING:
    from hil.records.db import ResultsDB, RunSummary, StoredRecord
    from hil.records.model import Step

FORMAT = "nce-hil-report"
VERSION = 1


def report_json(report: ReportData) -> dict[str, Any]:
    rigs = []
    for row in report.rigs:
        info = row.info
        rigs.append(
            {
                "name": info.name,
                "backend": info.backend,
                "board": info.board,
                "dialect": info.dialect,
                "iccid": info.iccid,
                "tags": dict(info.tags),
                "health": None
                if row.health is None
                else {
                    "state": row.health.health,
                    "reason": clean_text(row.health.reason),
                    "updated": row.health.updated,
                    "run_id": row.health.run_id,
                },
                "passed": row.passed,
                "failed": row.failed,
                "failure_classes": row.failure_classes,
            }
        )
    results = []
    for result in report.results:
        entry = _stored_json(result.final)
        entry["attempts"] = result.attempts
        entry["retries"] = [
            {
                "attempt": s.attempt,
                "passed": s.record.passed,
                "failure_class": s.record.failure_class,
                "started": s.record.started,
                "duration_s": s.record.duration_s,
                "errors": [clean_text(step.error) for step in s.record.steps if step.error],
            }
            for s in result.earlier
        ]
        results.append(entry)
    return {
        "format": FORMAT,
        "version": VERSION,
        "run": {
            **run_json(report.run),
            "argv": [clean_text(a) for a in report.data.argv],
            "meta": plain_value(report.data.meta),
        },
        "rigs": rigs,
        "results": results,
        "trend": [
            {"id": s.id, "status": s.status, "started": s.started, "pass_rate": s.counts.pass_rate}
            for s in report.trend
        ],
    }


def run_json(run: RunSummary) -> dict[str, Any]:
    """A run's summary as JSON (also what `hil runs --json` prints per run)."""
    counts = run.counts
    return {
        "id": run.id,
        "suite": run.suite,
        "source": run.source,
        "status": run.status,
        "interrupted": run.status == "interrupted",
        "started": run.started,
        "finished": run.finished,
        "duration_s": None if run.finished is None else round(run.finished - run.started, 3),
        "host": run.host,
        "counts": {
            "total": counts.total,
            "passed": counts.passed,
            "failed": counts.failed,
            "retried": counts.retried,
            "by_class": dict(counts.by_class),
            "pass_rate": counts.pass_rate,
        },
    }


def _stored_json(stored: StoredRecord) -> dict[str, Any]:
    record = stored.record
    return {
        "rig": stored.rig,
        "mode": stored.mode,
        "check": record.check,
        "round": stored.round,
        "attempt": stored.attempt,
        "subject": clean_text(record.subject),
        "started": record.started,
        "duration_s": record.duration_s,
        "passed": record.passed,
        "failure_class": record.failure_class,
        "steps": [_step_json(step) for step in record.steps],
        "transcript": clean_text(record.transcript),
    }


def _step_json(step: Step) -> dict[str, Any]:
    return {
        "name": step.name,
        "passed": step.passed,
        "error": None if step.error is None else clean_text(step.error),
        "skipped": None if step.skipped is None else clean_text(step.skipped),
        "duration_s": step.duration_s,
        "measurements": [
            {
                "name": m.name,
                "value": plain_value(m.value),
                "unit": m.unit,
                "low": m.low,
                "high": m.high,
                "expected": plain_value(m.expected),
                "passed": m.passed,
            }
            for m in step.measurements
        ],
    }


def render_json(db: ResultsDB, run_id: int) -> str:
    return json.dumps(report_json(load_report(db, run_id)), indent=1, allow_nan=False) + "\n"
