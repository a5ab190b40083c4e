"""Reports of a results-DB run (hil/reports): JSON, JUnit XML (read by junitparser and
xml.etree), HTML, secrets and control characters, and the `hil report` / `hil runs` commands."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml

from hil.records import CheckRecord, Measurement, Step
from hil.records.db import ResultsDB
from hil.records.sample import CHECKS, record_sample_run, sample_record, sample_results, sample_rigs
from hil.reports import render_html, render_json, render_junit, write_report
from hil.reports.compare import compare_runs
from hil.reports.figures import PLOT_SOURCES

ROOT = Path(__file__).resolve().parents[1]
HIL = ROOT / ".venv" / "bin" / "hil"

SECRETS = ("s3cr3t-Client-Value", "9876", "PSKHEX00112233445566", "eyJhbGciOiJIUzI1NiJ9abcdef")
NASTY_TRANSCRIPT = (
    "> AT+CPIN=9876\r\n"
    '< {"client_secret": "s3cr3t-Client-Value", "psk": "PSKHEX00112233445566"}\n'
    "> Authorization: Bearer eyJhbGciOiJIUzI1NiJ9abcdef\n"
    "< \x1b[31m+CME ERROR: 10\x1b[0m\x00\x07 <script>alert(1)</script> & ]]>\n"
)


def _nasty_record() -> CheckRecord:
    step = Step(
        "attach",
        [
            Measurement("time_to_attach", 150.5, "s", low=0.0, high=120.0),
            Measurement("operator", "<b>1NCE</b>"),
        ],
        error='AttachError: token=eyJhbGciOiJIUzI1NiJ9abcdef and "<denied>"',
        duration_s=150.5,
    )
    return CheckRecord(
        "attach", "edge (bg95)", [step], started=1_780_000_100.0, duration_s=151.0,
        failure_class="network", transcript=NASTY_TRANSCRIPT,
    )  # fmt: skip


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int]]:
    """A DB with three runs of suite `smoke` (the last with failures and retries), one run of
    another suite, and an `edge` run holding secrets, control characters and markup."""
    path = tmp_path_factory.mktemp("reports") / "results.db"
    db = ResultsDB(path)
    ids = [
        record_sample_run(db, sample_results(rigs=2, fail_rate=0.0, seed=11)),
        record_sample_run(db, sample_results(rigs=2, fail_rate=0.1, seed=12)),
        record_sample_run(db, sample_results(rigs=3, rounds=2, fail_rate=0.2, seed=13)),
        record_sample_run(db, sample_results(rigs=1, fail_rate=0.0, seed=14), suite="nightly"),
    ]
    edge = db.start_run("edge", "test", argv=["hil", "run", "--client-secret", "s3cr3t-Client-Value"])
    db.add_rig(edge, "edge", "virtual", board="mps2-an385", dialect="bg95", iccid="89882280666000000099")
    db.record(edge, "edge", _nasty_record())
    db.set_rig_health("edge", "bad", "console silent, psk=PSKHEX00112233445566")
    db.finish_run(edge, "failed")
    db.close()
    return path, [*ids, edge]


def _hil(*args: str, cwd: Path | None = None, db: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HIL_RESULTS_DB"}
    if db is not None:
        env["HIL_RESULTS_DB"] = str(db)
    return subprocess.run(
        [str(HIL), *args], cwd=cwd or ROOT, env=env, capture_output=True, text=True, timeout=60
    )


# -- JSON ----------------------------------------------------------------------------------------


def test_json_report_holds_the_run_rigs_and_every_final_result(lab: tuple[Path, list[int]]) -> None:
    path, ids = lab
    db = ResultsDB(path)
    data = db.load_run(ids[2])
    doc = json.loads(render_json(db, ids[2]))
    db.close()
    assert doc["format"] == "nce-hil-report" and doc["version"] == 1
    run = doc["run"]
    assert (run["id"], run["suite"], run["status"], run["interrupted"]) == (ids[2], "smoke", "failed", False)
    assert run["counts"]["total"] == data.run.counts.total == len(doc["results"])
    assert run["counts"]["failed"] == sum(not r["passed"] for r in doc["results"]) > 0
    assert run["argv"] == ["hil", "run", "--sample"]
    assert [r["name"] for r in doc["rigs"]] == ["virtual-1", "virtual-2", "virtual-3"]
    assert doc["rigs"][2]["dialect"] == "nrf91" and doc["rigs"][2]["iccid"] == "8988228066600000002"
    assert sum(r["passed"] + r["failed"] for r in doc["rigs"]) == run["counts"]["total"]
    # every final result, in order, with its steps, measurements, limits and outcome
    final = data.final_records()
    assert [(r["rig"], r["mode"], r["check"], r["round"], r["attempt"]) for r in doc["results"]] == [
        (s.rig, s.mode, s.record.check, s.round, s.attempt) for s in final
    ]
    attach = next(r for r in doc["results"] if r["check"] == "attach")
    tta = attach["steps"][0]["measurements"][0]
    assert (tta["name"], tta["unit"], tta["low"], tta["high"]) == ("time_to_attach", "s", 0.0, 120.0)
    assert tta["passed"] == (0.0 <= tta["value"] <= 120.0)
    for result in doc["results"]:
        assert result["passed"] == all(s["passed"] for s in result["steps"])
        if not result["passed"]:
            assert result["failure_class"] in ("infra", "flash", "dut", "network", "sim")
        assert result["transcript"].startswith("> AT+CEREG?")
    # retries: the earlier attempts of a retried result, with their failure
    retried = [r for r in doc["results"] if r["attempts"] > 1]
    assert len(retried) == data.run.counts.retried > 0
    assert all(r["retries"] and not r["retries"][0]["passed"] for r in retried)
    assert all(r["retries"][0]["failure_class"] in ("infra", "network") for r in retried)
    # the trend: the suite's runs up to this one
    assert [t["id"] for t in doc["trend"]] == ids[:3]


# -- JUnit ---------------------------------------------------------------------------------------


def test_junit_is_read_by_junitparser_and_etree(lab: tuple[Path, list[int]]) -> None:
    path, ids = lab
    db = ResultsDB(path)
    data = db.load_run(ids[2])
    text = render_junit(db, ids[2])
    db.close()
    xml = JUnitXml.fromstring(text)
    suites = list(xml)
    assert [s.name for s in suites] == [
        f"virtual-{n} [{m}]" for n in (1, 2, 3) for m in ("modem", "firmware")
    ]
    final = data.final_records()
    assert sum(s.tests for s in suites) == len(final) == data.run.counts.total
    assert sum(s.failures for s in suites) == data.run.counts.failed
    cases = [c for s in suites for c in s]
    assert len(cases) == len(final)
    failed = [c for c in cases if c.result and isinstance(c.result[0], Failure)]
    assert len(failed) == data.run.counts.failed
    failures = {(c.classname, c.name): (c.result[0].type, c.result[0].message) for c in failed}
    expected = {
        (f"{s.rig}.{s.mode}", f"{s.record.check} [round {s.round}]"): s.record.failure_class
        for s in final
        if not s.record.passed
    }
    assert {key: kind for key, (kind, _message) in failures.items()} == expected
    assert all(message for _kind, message in failures.values())
    first = cases[0]
    assert first.system_out is not None and "AT+CEREG?" in first.system_out
    # measurements as testcase properties (etree: junitparser does not read testcase properties)
    root = ET.fromstring(text)
    attach = next(c for c in root.iter("testcase") if c.get("name") == "attach [round 1]")
    props = {p.get("name"): p.attrib for p in attach.iter("property")}
    tta = props["time_to_attach"]
    assert (tta["unit"], tta["low"], tta["high"]) == ("s", "0", "120")
    assert tta["outcome"] == ("passed" if 0 <= float(tta["value"]) <= 120 else "failed")
    assert props["stat"]["expected"] == "5" and props["attempts"]["value"] in ("1", "2")
    suite_props = {p.get("name"): p.get("value") for p in root.find("testsuite/properties") or []}
    assert suite_props["rig.dialect"] == "bg95" and suite_props["run.status"] == "failed"
    # a result passed only on its retry shows the earlier failure as flakyFailure (Surefire)
    flaky = [s for s in final if s.attempt > 1 and s.record.passed]
    assert len(list(root.iter("flakyFailure"))) == len(flaky)


def test_control_characters_markup_and_secrets_never_reach_a_report(lab: tuple[Path, list[int]]) -> None:
    path, ids = lab
    db = ResultsDB(path)
    edge = ids[-1]
    reports = {"html": render_html(db, edge), "junit": render_junit(db, edge), "json": render_json(db, edge)}
    db.close()
    for fmt, text in reports.items():
        for secret in SECRETS:
            assert secret not in text, f"{fmt} report holds the secret {secret!r}"
        assert "<redacted>" in text or "&lt;redacted&gt;" in text, fmt
        assert "\x00" not in text and "\x1b" not in text and "\x07" not in text, fmt
    # JUnit: valid XML, the transcript in system-out with the controls made visible
    case = next(iter(next(iter(JUnitXml.fromstring(reports["junit"])))))
    assert case.system_out is not None
    assert "\\x1b[31m+CME ERROR: 10\\x1b[0m\\x00\\x07 <script>alert(1)</script> & ]]>" in case.system_out
    assert case.result[0].type == "network" and "<denied>" in case.result[0].text
    # JSON: strict JSON, the same visible text
    doc = json.loads(reports["json"])
    assert "\\x1b[31m" in doc["results"][0]["transcript"]
    assert doc["rigs"][0]["health"]["state"] == "bad"
    # HTML: every string escaped, so the transcript's markup is text
    html = reports["html"]
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;1NCE&lt;/b&gt;" in html and "<b>1NCE</b>" not in html
    assert "&lt;denied&gt;" in html


def test_an_interrupted_run_reads_as_interrupted_everywhere(tmp_path: Path) -> None:
    db_path = tmp_path / "results.db"
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.support.db_writer", str(db_path), "--records", "5", "--hang"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        lines = []
        for line in writer.stdout:
            lines.append(line.strip())
            if line.strip() == "committed 5":
                break
        assert lines[-1] == "committed 5", f"expected 'committed 5' from the writer, got {lines}"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    run_id = int(lines[0].split()[1])
    # `hil report` marks the dead writer's run interrupted before it reads it
    result = _hil("report", str(run_id), "--json", "--junit", str(tmp_path / "junit.xml"), db=db_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["run"]["status"] == "interrupted" and doc["run"]["interrupted"] is True
    assert len(doc["results"]) == 5
    root = ET.parse(tmp_path / "junit.xml").getroot()
    errors = list(root.iter("error"))
    assert len(errors) == 1 and errors[0].get("type") == "interrupted"
    assert root.get("errors") == "1" and root.get("tests") == "6"
    xml = JUnitXml.fromfile(str(tmp_path / "junit.xml"))
    run_suite = next(s for s in xml if s.name == "run")
    assert isinstance(next(iter(run_suite)).result[0], Error)
    db = ResultsDB(db_path)
    html = render_html(db, run_id)
    db.close()
    assert '<span class="badge interrupted big">⚠ INTERRUPTED</span>' in html
    assert "this run stopped before it finished" in html


# -- HTML content --------------------------------------------------------------------------------


def test_html_has_every_section_and_plot(lab: tuple[Path, list[int]]) -> None:
    path, ids = lab
    db = ResultsDB(path)
    data = db.load_run(ids[2])
    html = render_html(db, ids[2])
    db.close()
    assert html.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"https?://", html), "the report must not reference anything online"
    assert "<script" not in html.lower()
    plots = re.findall(r'<svg class="plot[^"]*" data-plot="([^"]+)" data-marks="(\d+)"', html)
    assert [p for p, _ in plots] == [s.plot for s in PLOT_SOURCES]
    assert all(int(marks) > 0 for _, marks in plots), plots
    for rig in data.rigs:
        assert f"<b>{rig.name}</b>" in html and rig.iccid and rig.iccid in html
    final = data.final_records()
    assert html.count('<article class="check') == len(final) + data.run.counts.failed  # + the failures list
    assert html.count("✗ FAIL</span>") == 2 * data.run.counts.failed
    assert html.count('<details class="transcript">') == len(final) + data.run.counts.failed
    assert f"{100 * data.run.counts.passed / data.run.counts.total:.1f}%" in html


def test_a_plot_with_no_data_says_so(tmp_path: Path) -> None:
    db = ResultsDB(tmp_path / "r.db")
    only_sim = sample_results(rigs=1, modes=("modem",), checks=("sim_ready",), fail_rate=0.0)
    run_id = record_sample_run(db, only_sim)
    html = render_html(db, run_id)
    db.close()
    empty = re.findall(r'<svg class="plot no-data" data-plot="([^"]+)"', html)
    assert empty == ["time_to_attach", "signal", "sms_latency", "bcl_savings", "failures"]
    assert html.count(">no data</text>") == 4 and ">no data: no failures</text>" in html
    assert 'data-plot="trend" data-marks="1"' in html


def test_write_report_writes_each_format(lab: tuple[Path, list[int]], tmp_path: Path) -> None:
    path, ids = lab
    db = ResultsDB(path)
    for fmt in ("html", "junit", "json"):
        target = tmp_path / "out" / f"report.{fmt}"
        assert write_report(db, ids[1], target, fmt) == target  # type: ignore[arg-type]
        assert target.stat().st_size > 1000
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        write_report(db, ids[1], tmp_path / "x", "pdf")  # type: ignore[arg-type]
    db.close()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "report.html",
        "report.json",
        "report.junit",
    ]


# -- comparison ----------------------------------------------------------------------------------


def test_compare_finds_newly_failing_fixed_and_changed(tmp_path: Path) -> None:
    import random

    db = ResultsDB(tmp_path / "r.db")
    good = sample_results(rigs=2, modes=("modem",), fail_rate=0.0, seed=5)
    rig = sample_rigs(2)[1]
    broken = [
        r if (r.rig.name, r.record.check) != (rig.name, "attach") else
        type(r)(r.rig, r.mode, r.round, r.attempt,
                sample_record("attach", rig, random.Random(1), started=r.record.started, fail=True))
        for r in good
    ]  # fmt: skip
    a = record_sample_run(db, good)
    b = record_sample_run(db, broken)
    forward = compare_runs(db, a, b, threshold=0.2)
    backward = compare_runs(db, b, a, threshold=0.2)
    db.close()
    by_key = {(r.rig, r.check): r for r in forward.rows}
    attach = by_key[(rig.name, "attach")]
    assert attach.verdict == "newly failing"
    assert [c.name for c in attach.changes] == ["time_to_attach"] and attach.changes[0].b > 120
    assert forward.count("newly failing") == 1 and forward.count("fixed") == 0
    others = [r for k, r in by_key.items() if k != (rig.name, "attach")]
    # the rest is the same data (the sample can fail a check even at fail_rate 0: still failing)
    assert all(r.verdict in ("same", "still failing") and not r.changes for r in others)
    assert len(forward.rows) == 2 * (len(CHECKS) - 1)  # no firmware_boot in modem mode
    assert backward.count("fixed") == 1 and backward.count("newly failing") == 0


# -- CLI -----------------------------------------------------------------------------------------


def test_hil_report_default_writes_html_and_prints_its_path(
    lab: tuple[Path, list[int]], tmp_path: Path
) -> None:
    path, ids = lab
    result = _hil("report", "latest", cwd=tmp_path, db=path)
    assert result.returncode == 0, result.stderr
    expected = Path("hil-results") / f"run-{ids[-1]}.html"
    assert result.stdout.strip() == str(expected)
    assert (tmp_path / expected).read_text().startswith("<!DOCTYPE html>")


def test_hil_report_several_formats_at_once(lab: tuple[Path, list[int]], tmp_path: Path) -> None:
    path, ids = lab
    html, junit = tmp_path / "r.html", tmp_path / "j" / "junit.xml"
    result = _hil(
        "report", str(ids[1]), "--html", str(html), "--junit", str(junit), "--json", "--db", str(path)
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["run"]["id"] == ids[1]  # stdout is only the JSON document
    assert f"wrote {html}" in result.stderr and f"wrote {junit}" in result.stderr
    assert JUnitXml.fromfile(str(junit)).tests > 0 and "<svg" in html.read_text()


def test_hil_report_errors(lab: tuple[Path, list[int]], tmp_path: Path) -> None:
    path, _ids = lab
    unknown = _hil("report", "999", "--db", str(path))
    assert unknown.returncode == 1 and "run 999: no such run" in unknown.stderr
    bad = _hil("report", "yesterday", "--db", str(path))
    assert bad.returncode == 1 and "expected a run id" in bad.stderr
    missing = _hil("report", "latest", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 1 and f"no results DB at {tmp_path / 'none.db'}" in missing.stderr
    assert not (tmp_path / "none.db").exists()
    usage = _hil("report", "--bogus")
    assert usage.returncode == 2


def test_hil_runs_lists_and_filters(lab: tuple[Path, list[int]]) -> None:
    path, ids = lab
    table = _hil("runs", db=path)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[1].split()[:3] == ["id", "suite", "source"]
    assert [int(line.split()[0]) for line in lines[2:]] == list(reversed(ids))
    assert "interrupted" not in table.stdout and "edge" in lines[2]
    doc = json.loads(_hil("runs", "--json", "--suite", "smoke", "--limit", "2", db=path).stdout)
    assert [r["id"] for r in doc["runs"]] == [ids[2], ids[1]]
    assert all(r["suite"] == "smoke" for r in doc["runs"])
    assert doc["runs"][0]["counts"]["total"] == sum(doc["runs"][0]["counts"][k] for k in ("passed", "failed"))
    missing = _hil("runs", "--db", "/nonexistent/results.db")
    assert missing.returncode == 1 and "no results DB" in missing.stderr


def test_hil_runs_compare(lab: tuple[Path, list[int]]) -> None:
    path, ids = lab
    result = _hil("runs", "compare", str(ids[0]), str(ids[1]), "--json", "--db", str(path))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    db = ResultsDB(path)
    expected = compare_runs(db, ids[0], ids[1]).as_json()
    db.close()
    assert doc == expected and doc["a"] == ids[0] and doc["b"] == ids[1]
    newly = [r for r in doc["rows"] if r["verdict"] == "newly failing"]
    assert newly and all(
        r["a"]["passed"] == r["a"]["total"] and r["b"]["passed"] < r["b"]["total"] for r in newly
    )
    text = _hil("runs", "compare", str(ids[0]), str(ids[1]), "--db", str(path))
    assert text.returncode == 0
    assert f"{doc['summary']['newly failing']} newly failing" in text.stdout
    rows = [ln for ln in text.stdout.splitlines() if ln.split()[:1] and ln.split()[0].startswith("virtual-")]
    assert sum("newly failing" in ln for ln in rows) == doc["summary"]["newly failing"]
    unknown = _hil("runs", "compare", "1", "77", "--db", str(path))
    assert unknown.returncode == 1 and "run 77: no such run" in unknown.stderr
