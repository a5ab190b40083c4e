"""The JUnit XML report for CI (GitLab, Jenkins): one <testsuite> per rig and mode, one <testcase>
per check and round.

- Each measurement is a testcase <property>: name and value, with unit, limits and outcome as
  extra attributes (Jenkins and GitLab ignore attributes they do not know).
- A failed check has <failure message=... type=FAILURE_CLASS> holding its step errors and failed
  measurements; earlier failed attempts of a retried check are <flakyFailure>/<rerunFailure>
  (Maven Surefire's convention, which Jenkins shows).
- The transcript goes to <system-out>; control characters become `\\xNN` so the XML stays valid.
- An interrupted (or errored) run adds a testsuite "run" whose testcase errors: CI must not read
  a half run as green.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from hil.reports.data import ReportData, Result, clean_text, load_report

if TYPE_CHECKING:
    from hil.records.db import ResultsDB
    from hil.records.model import CheckRecord


def report_junit(report: ReportData) -> ET.Element:
    run = report.run
    root = ET.Element("testsuites", name=f"{run.suite} (run {run.id})")
    suites: dict[tuple[str, str], tuple[ET.Element, list[Result]]] = {}
    for result in report.results:
        key = (result.final.rig, result.final.mode)
        if key not in suites:
            suites[key] = (ET.Element("testsuite"), [])
        suites[key][1].append(result)
    rigs = {row.info.name: row.info for row in report.rigs}
    totals = [0, 0, 0, 0.0]  # tests, failures, errors, time
    for (rig, mode), (suite, results) in suites.items():
        info = rigs.get(rig)
        suite_time = sum(r.final.record.duration_s for r in results)
        failures = sum(not r.final.record.passed for r in results)
        suite.attrib.update(
            name=f"{rig} [{mode}]",
            tests=str(len(results)),
            failures=str(failures),
            errors="0",
            skipped="0",
            time=f"{suite_time:.3f}",
            timestamp=_iso(min(r.final.record.started for r in results)),
            hostname=clean_text(run.host or "localhost"),
        )
        props = ET.SubElement(suite, "properties")
        suite_props = {
            "run.id": str(run.id),
            "run.suite": run.suite,
            "run.status": run.status,
            "rig": rig,
            "mode": mode,
        }
        if info is not None:
            suite_props |= {
                "rig.backend": info.backend,
                "rig.board": info.board or "",
                "rig.dialect": info.dialect or "",
                "rig.iccid": info.iccid or "",
            }
        for name, value in suite_props.items():
            ET.SubElement(props, "property", name=name, value=clean_text(value))
        for result in results:
            suite.append(_testcase(result, f"{rig}.{mode}"))
        root.append(suite)
        totals[0] += len(results)
        totals[1] += failures
        totals[3] += suite_time
    if run.status in ("interrupted", "error", "running"):
        root.append(_run_status_suite(report))
        totals[0] += 1
        totals[2] += 1
    root.attrib.update(
        tests=str(totals[0]), failures=str(totals[1]), errors=str(totals[2]), time=f"{totals[3]:.3f}"
    )
    return root


def _testcase(result: Result, classname: str) -> ET.Element:
    stored = result.final
    record = stored.record
    case = ET.Element(
        "testcase",
        classname=classname,
        name=f"{record.check} [round {stored.round}]",
        time=f"{record.duration_s:.3f}",
    )
    props = ET.SubElement(case, "properties")
    ET.SubElement(props, "property", name="attempts", value=str(result.attempts))
    for current in record.steps:
        for m in current.measurements:
            attrs = {
                "name": m.name if len(record.steps) == 1 else f"{current.name}.{m.name}",
                "value": _raw(m.value),
            }
            if m.unit:
                attrs["unit"] = m.unit
            if m.low is not None:
                attrs["low"] = f"{m.low:g}"
            if m.high is not None:
                attrs["high"] = f"{m.high:g}"
            if m.expected is not None:
                attrs["expected"] = _raw(m.expected)
            attrs["outcome"] = "passed" if m.passed else "failed"
            ET.SubElement(props, "property", attrs)
    if not record.passed:
        message, details = _failure(record)
        failure = ET.SubElement(case, "failure", message=message, type=record.failure_class or "unclassified")
        failure.text = details
    for earlier in result.earlier:
        if earlier.record.passed:
            continue
        tag = "flakyFailure" if record.passed else "rerunFailure"
        message, details = _failure(earlier.record)
        flaky = ET.SubElement(
            case,
            tag,
            message=f"attempt {earlier.attempt}: {message}",
            type=earlier.record.failure_class or "unclassified",
        )
        flaky.text = details
    if record.transcript:
        ET.SubElement(case, "system-out").text = clean_text(record.transcript) + "\n"
    return case


def _failure(record: CheckRecord) -> tuple[str, str]:
    """(one-line message, the details): step errors first, then measurements out of limits."""
    lines = [
        f"step {problem.step}: {clean_text(problem.text)}" + (" out of limits" if problem.missed else "")
        for problem in record.problems()
    ]
    if not lines:
        lines.append(f"{record.check} failed")
    return lines[0], "\n".join(lines) + "\n"


def _run_status_suite(report: ReportData) -> ET.Element:
    run = report.run
    suite = ET.Element(
        "testsuite",
        name="run",
        tests="1",
        failures="0",
        errors="1",
        skipped="0",
        time="0.000",
        timestamp=_iso(run.started),
        hostname=clean_text(run.host or "localhost"),
    )
    case = ET.SubElement(suite, "testcase", classname="run", name="run finished", time="0.000")
    what = {
        "interrupted": "the run was interrupted before it finished",
        "running": "the run has not finished yet",
    }.get(run.status, "the run ended with an error")
    message = f"run {run.id} is {run.status}: {what}; {run.counts.total} result(s) were recorded"
    ET.SubElement(case, "error", message=message, type=run.status).text = message + "\n"
    return suite


def _raw(value: object) -> str:
    """A value as text for machines: true/false, empty for none, numbers and text as they are."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else clean_text(str(value))


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))


def serialize_junit(root: ET.Element) -> str:
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_junit(db: ResultsDB, run_id: int) -> str:
    return serialize_junit(report_junit(load_report(db, run_id)))
