"""The HTML report for people: one self-contained file that opens offline.

No JavaScript, no fonts, no images, no links out: styles are inline, plots are inline SVG
(hil/reports/plots.py), and a Content-Security-Policy forbids the browser from loading anything
else. Every string from the DB goes through html.escape. Pass/fail is said in words (and a
symbol), never only in colour; the palette follows the system's light or dark mode.
"""

from __future__ import annotations

import time
from html import escape
from typing import TYPE_CHECKING

from hil.reports.data import ReportData, Result, clean_text, format_limits, format_value, load_report
from hil.reports.figures import PLOT_SOURCES, figures

if TYPE_CHECKING:
    from hil.records.db import ResultsDB
    from hil.records.model import Measurement

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
OPEN_GROUPS_UP_TO = 150  # results; above this the per-rig groups start closed (the page stays light)

STATUS_WORDS = {
    "passed": ("✓", "passed"),
    "failed": ("✗", "failed"),
    "interrupted": ("⚠", "interrupted"),
    "error": ("⚠", "error"),
    "running": ("…", "running"),
}

CSS = (
    """
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #ffffff; --text: #1b1f24; --muted: #5b6470; --line: #dfe3e8;
  --head: #f0f2f5; --accent: #1f6feb;
  --pass: #1a7f37; --pass-bg: #dcf5e3; --fail: #c62828; --fail-bg: #fde2e1;
  --warn: #9a6700; --warn-bg: #fff1c2; --band: rgba(26,127,55,0.08);
  --s0: #1f6feb; --s1: #e36209; --s2: #8250df; --s3: #1a7f37; --s4: #bf3989; --s5: #0a7ea4;
  --s6: #9a6700; --s7: #57606a;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --panel: #161b22; --text: #e6edf3; --muted: #9aa4af; --line: #30363d;
    --head: #1c232c; --accent: #58a6ff;
    --pass: #3fb950; --pass-bg: #12361f; --fail: #ff7b72; --fail-bg: #43191a;
    --warn: #d29922; --warn-bg: #3a2d0a; --band: rgba(63,185,80,0.10);
    --s0: #58a6ff; --s1: #ffa657; --s2: #bc8cff; --s3: #3fb950; --s4: #f778ba; --s5: #39c5cf;
    --s6: #d29922; --s7: #8b949e;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
}
main { max-width: 1200px; margin: 0 auto; padding: 28px 28px 64px; }
h1 { font-size: 28px; margin: 0; line-height: 1.2; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 0; }
.eyebrow { color: var(--muted); font-size: 13px; letter-spacing: .06em; text-transform: uppercase; }
.muted { color: var(--muted); }
.mono, pre, code {
  font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
}
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 20px; }
header.top .title { flex: 1 1 auto; }
.badge {
  display: inline-block; padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 13px;
  border: 1px solid currentColor; white-space: nowrap;
}
.badge.big { font-size: 16px; padding: 4px 14px; }
.badge.pass, .badge.passed, .badge.good { color: var(--pass); background: var(--pass-bg); }
.badge.fail, .badge.failed, .badge.bad, .badge.error { color: var(--fail); background: var(--fail-bg); }
.badge.interrupted, .badge.running, .badge.unknown, .badge.retried { color: var(--warn);
  background: var(--warn-bg); }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 4px 24px;
  margin: 16px 0 0; padding: 14px 18px; background: var(--panel); border: 1px solid var(--line);
  border-radius: 10px; }
dl.facts div { min-width: 0; }
dl.facts dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .05em; }
dl.facts dd { margin: 0 0 6px; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; margin-top: 16px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; }
.card .n { font-size: 26px; font-weight: 700; line-height: 1.2; }
.card .l { color: var(--muted); font-size: 13px; }
.card.pass .n { color: var(--pass); } .card.fail .n { color: var(--fail); }
.meter { height: 6px; border-radius: 3px; background: var(--fail-bg); margin-top: 6px; overflow: hidden; }
.meter span { display: block; height: 100%; background: var(--pass); }
nav.toc { margin-top: 18px; display: flex; gap: 18px; flex-wrap: wrap; font-size: 14px; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--head); font-weight: 600; font-size: 13px; color: var(--muted); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
.panel table tr:last-child td { border-bottom: 0; }
.plots { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
figure { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 10px;
  padding: 14px 14px 10px; }
figure h3 { margin-bottom: 6px; }
figcaption { color: var(--muted); font-size: 12.5px; margin-top: 4px; }
svg.plot { width: 100%; height: auto; display: block; }
svg.plot text { fill: var(--muted); font-size: 11px; font-family: inherit; }
svg.plot text.axis-label { font-size: 11.5px; }
svg.plot text.value-label { fill: var(--text); font-size: 11.5px; font-weight: 600; }
svg.plot text.legend { fill: var(--text); }
svg.plot text.no-data { fill: var(--muted); font-size: 18px; font-weight: 600; }
svg.plot text.limit-label { fill: var(--fail); }
svg.plot .grid { stroke: var(--line); stroke-width: 1; }
svg.plot .axis { stroke: var(--muted); stroke-width: 1; }
svg.plot .limit { stroke: var(--fail); stroke-width: 1.5; stroke-dasharray: 5 4; }
svg.plot .band { fill: var(--band); }
svg.plot .empty { fill: none; stroke: var(--line); stroke-dasharray: 6 5; }
svg.plot .whisker { stroke: var(--text); stroke-width: 1.4; fill: none; }
svg.plot .line { fill: none; stroke-width: 1.6; opacity: .85; }
svg.plot .fail { fill: var(--fail); }
svg.plot .current { fill: var(--accent); }
svg.plot .trend-good { fill: var(--pass); opacity: .55; }
svg.plot .trend-bad { fill: var(--fail); opacity: .55; }
"""
    + "".join(
        f"svg.plot .series-{i} {{ fill: var(--s{i}); stroke: var(--s{i}); }} "
        f"svg.plot .line.series-{i} {{ fill: none; }}\n"
        for i in range(8)
    )
    + """
.sources { margin-top: 10px; font-size: 13px; }
details.group { background: var(--panel); border: 1px solid var(--line); border-radius: 10px;
  margin: 10px 0; }
details.group > summary { padding: 10px 16px; cursor: pointer; font-weight: 600; display: flex;
  gap: 12px; align-items: center; }
details.group > summary .sp { flex: 1; }
details.group > .body { padding: 4px 16px 14px; }
article.check { border: 1px solid var(--line); border-left: 4px solid var(--pass); border-radius: 8px;
  margin: 10px 0; padding: 10px 14px; background: var(--panel); }
article.check.fail { border-left-color: var(--fail); }
article.check header { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: baseline;
  margin-bottom: 6px; }
article.check .meta { color: var(--muted); font-size: 13px; }
article.check table { font-size: 13.5px; }
article.check th, article.check td { padding: 4px 8px; }
tr.m-fail td { background: var(--fail-bg); }
.outcome.pass { color: var(--pass); font-weight: 600; } .outcome.fail { color: var(--fail);
  font-weight: 600; }
.errors { margin: 8px 0 0; padding: 8px 12px; border-radius: 6px; background: var(--fail-bg);
  color: var(--text); font-size: 13.5px; }
.errors div { overflow-wrap: anywhere; }
.errors b { color: var(--fail); }
details.transcript { margin-top: 8px; }
details.transcript summary { cursor: pointer; color: var(--muted); font-size: 13px; }
pre { margin: 6px 0 0; padding: 10px 12px; background: var(--head); border-radius: 6px; font-size: 12.5px;
  line-height: 1.45; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
.retries { font-size: 13px; color: var(--warn); margin-top: 6px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12.5px; }
@media (max-width: 900px) { .plots { grid-template-columns: 1fr;
  } .cards { grid-template-columns: repeat(2, 1fr); } }
@media print { details.group, details.transcript { break-inside: avoid; } }
"""
)


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def _badge(status: str, *, big: bool = False) -> str:
    symbol, word = STATUS_WORDS.get(status, ("•", status))
    size = " big" if big else ""
    return f'<span class="badge {escape(status)}{size}">{symbol} {escape(word.upper())}</span>'


def _outcome(passed: bool) -> str:
    return '<span class="badge pass">✓ PASS</span>' if passed else '<span class="badge fail">✗ FAIL</span>'


def _header(report: ReportData) -> list[str]:
    run = report.run
    counts = run.counts
    rate = counts.pass_rate
    duration = None if run.finished is None else run.finished - run.started
    facts = [
        ("suite", run.suite),
        ("source", run.source),
        ("status", run.status),
        ("started", _when(run.started)),
        ("finished", _when(run.finished)),
        ("duration", _duration(duration)),
        ("host", run.host or "—"),
        ("command", " ".join(clean_text(a) for a in report.data.argv) or "—"),
    ]
    out = [
        '<header class="top"><div class="title">',
        '<div class="eyebrow">nce-hil · hardware-in-the-loop report</div>',
        f'<h1>{escape(run.suite)} <span class="muted">· run #{run.id}</span></h1></div>',
        _badge(run.status, big=True),
        "</header>",
    ]
    if run.status == "interrupted":
        out.append(
            '<p class="errors"><b>⚠ Interrupted:</b> this run stopped before it finished; '
            "the results below are the ones it recorded.</p>"
        )
    out.append('<dl class="facts">')
    out += [
        f"<div><dt>{escape(name)}</dt><dd{' class=mono' if name == 'command' else ''}>"
        f"{escape(value)}</dd></div>"
        for name, value in facts
    ]
    out.append("</dl>")
    pct = "—" if rate is None else f"{100 * rate:.1f}%"
    meter = "" if rate is None else f'<div class="meter"><span style="width:{100 * rate:.1f}%"></span></div>'
    out += [
        '<section class="cards" aria-label="counts">',
        f'<div class="card"><div class="n">{counts.total}</div><div class="l">results</div></div>',
        f'<div class="card pass"><div class="n">{counts.passed}</div><div class="l">✓ passed</div></div>',
        f'<div class="card fail"><div class="n">{counts.failed}</div><div class="l">✗ failed</div></div>',
        f'<div class="card"><div class="n">{pct}</div><div class="l">pass rate</div>{meter}</div>',
        f'<div class="card"><div class="n">{counts.retried}</div>'
        '<div class="l">passed or failed after a retry</div></div>',
        "</section>",
        '<nav class="toc"><a href="#rigs">Rigs</a><a href="#plots">Plots</a>'
        f'<a href="#failures">Failures ({counts.failed})</a><a href="#results">All results</a></nav>',
    ]
    return out


def _rigs(report: ReportData) -> list[str]:
    out = [
        '<h2 id="rigs">Rigs</h2><div class="panel"><table class="summary" id="rig-summary"><thead><tr>',
        "<th>rig</th><th>backend</th><th>board</th><th>dialect</th><th>ICCID</th><th>health</th>",
        '<th class="num">passed</th><th class="num">failed</th><th>failure classes</th></tr></thead><tbody>',
    ]
    for row in report.rigs:
        info = row.info
        health = row.health.health if row.health else "unknown"
        reason = row.health.reason if row.health and row.health.reason else ""
        classes = ", ".join(f"{name} × {count}" for name, count in sorted(row.failure_classes.items()))
        out.append(
            f"<tr><td><b>{escape(info.name)}</b></td><td>{escape(info.backend)}</td>"
            f"<td>{escape(info.board or '—')}</td><td>{escape(info.dialect or '—')}</td>"
            f'<td class="mono">{escape(info.iccid or "—")}</td>'
            f'<td><span class="badge {escape(health)}" title="{escape(clean_text(reason))}">'
            f"{escape(health)}</span></td>"
            f'<td class="num">{row.passed}</td><td class="num">{row.failed}</td>'
            f"<td>{escape(classes or '—')}</td></tr>"
        )
    if not report.rigs:
        out.append('<tr><td colspan="9" class="muted">no rigs recorded</td></tr>')
    out.append("</tbody></table></div>")
    return out


def _plots(report: ReportData) -> list[str]:
    out = ['<h2 id="plots">Plots</h2><div class="plots">']
    for figure in figures(report):
        out.append(
            f'<figure id="plot-{escape(figure.source.plot)}"><h3>{escape(figure.source.title)}</h3>'
            f"{figure.svg}<figcaption>{escape(figure.caption)}</figcaption></figure>"
        )
    out.append("</div>")
    reads = "; ".join(f"{source.title}: {source.reads}" for source in PLOT_SOURCES)
    out.append(f'<p class="sources muted">Data: {escape(reads)}.</p>')
    return out


def _measurement_row(m: Measurement) -> str:
    ok = m.passed
    return (
        f'<tr class="{"m-pass" if ok else "m-fail"}"><td>{escape(m.name)}</td>'
        f'<td class="num mono">{escape(format_value(m.value))}</td><td>{escape(m.unit)}</td>'
        f'<td class="mono">{escape(format_limits(m))}</td>'
        f'<td class="outcome {"pass" if ok else "fail"}">{"✓ pass" if ok else "✗ fail"}</td></tr>'
    )


def _check(result: Result, *, show_rig: bool = False) -> str:
    stored = result.final
    record = stored.record
    passed = record.passed
    meta = [f"{stored.rig} [{stored.mode}]" if show_rig else stored.mode, f"round {stored.round}"]
    meta.append(_duration(record.duration_s))
    if result.attempts > 1:
        meta.append(f"attempt {stored.attempt} of {result.attempts}")
    if record.failure_class and not passed:
        meta.append(f"failure class: {record.failure_class}")
    parts = [
        f'<article class="check {"pass" if passed else "fail"}"><header>{_outcome(passed)}'
        f'<h3>{escape(record.check)}</h3><span class="meta">{escape(" · ".join(meta))}</span></header>'
    ]
    rows = [_measurement_row(m) for step in record.steps for m in step.measurements]
    if rows:
        parts.append(
            '<table><thead><tr><th>measurement</th><th class="num">value</th><th>unit</th>'
            "<th>limits</th><th>outcome</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        )
    errors = [
        f'<div><b>✗ step {escape(step.name)}:</b> <span class="mono">'
        f"{escape(clean_text(step.error))}</span></div>"
        for step in record.steps
        if step.error
    ]
    skipped = [
        f"<div>step {escape(step.name)} skipped: {escape(clean_text(step.skipped))}</div>"
        for step in record.steps
        if step.skipped
    ]
    if errors:
        parts.append('<div class="errors">' + "".join(errors) + "</div>")
    if skipped:
        parts.append('<div class="muted">' + "".join(skipped) + "</div>")
    for earlier in result.earlier:
        what = (
            "passed"
            if earlier.record.passed
            else f"failed ({earlier.record.failure_class or 'unclassified'})"
        )
        first_error = next((s.error for s in earlier.record.steps if s.error), None)
        detail = f": {clean_text(first_error)}" if first_error else ""
        parts.append(f'<div class="retries">↻ attempt {earlier.attempt} {escape(what)}{escape(detail)}</div>')
    if record.transcript:
        text = clean_text(record.transcript)
        lines = text.count("\n") + 1
        parts.append(
            f'<details class="transcript"><summary>transcript ({lines} line{"s" if lines != 1 else ""})'
            "</summary>"
            f"<pre>{escape(text)}</pre></details>"
        )
    parts.append("</article>")
    return "".join(parts)


def _results(report: ReportData) -> list[str]:
    failed = [r for r in report.results if not r.final.record.passed]
    out = [f'<h2 id="failures">Failures ({len(failed)})</h2>']
    if failed:
        out.append(
            '<details class="group" open><summary>failed results, in the order they ran'
            f'<span class="sp"></span>{_badge("failed")}</summary><div class="body">'
        )
        out += [_check(r, show_rig=True) for r in failed]
        out.append("</div></details>")
    else:
        out.append('<p><span class="badge pass">✓ no failures</span></p>')
    out.append('<h2 id="results">All results</h2>')
    groups: dict[tuple[str, str], list[Result]] = {}
    for result in report.results:
        groups.setdefault((result.final.rig, result.final.mode), []).append(result)
    open_attr = " open" if len(report.results) <= OPEN_GROUPS_UP_TO else ""
    for (rig, mode), results in groups.items():
        bad = sum(not r.final.record.passed for r in results)
        verdict = _badge("failed") if bad else _badge("passed")
        out.append(
            f'<details class="group"{open_attr}><summary>{escape(rig)} '
            f'<span class="muted">[{escape(mode)}]</span>'
            f'<span class="sp"></span><span class="muted">{len(results) - bad} passed, {bad} failed</span>'
            f'{verdict}</summary><div class="body">'
        )
        out += [_check(r) for r in results]
        out.append("</div></details>")
    if not report.results:
        out.append('<p class="muted">no results recorded</p>')
    return out


def html_report(report: ReportData) -> str:
    run = report.run
    title = f"{run.suite} · run #{run.id} · {run.status}"
    body = [*_header(report), *_rigs(report), *_plots(report), *_results(report)]
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="color-scheme" content="light dark">',
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>",
            *body,
            f"<footer>Generated by nce-hil on {escape(_when(time.time()))} "
            f"from results DB run {run.id}.</footer>",
            "</main></body></html>\n",
        ]
    )


def render_html(db: ResultsDB, run_id: int) -> str:
    return html_report(load_report(db, run_id))
