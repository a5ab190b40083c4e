"""`hil runs`: the runs of the results DB, newest first; `hil runs compare A B`: what changed."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.table import Table

from hil.cli.output import emit_json, print_table
from hil.cli.report import DB_HELP, open_results_db, resolve
from hil.reports.compare import DEFAULT_THRESHOLD

_STATUS_STYLE = {
    "passed": "green",
    "failed": "red",
    "interrupted": "yellow",
    "error": "red",
    "running": "cyan",
}


def _duration(started: float, finished: float | None) -> str:
    if finished is None:
        return "-"
    seconds = finished - started
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


@click.group(invoke_without_command=True)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many runs.")
@click.option("--suite", help="Only runs of this suite.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), help=DB_HELP)
@click.option("--json", "as_json", is_flag=True, help="The runs as JSON on stdout.")
@click.pass_context
def runs(ctx: click.Context, limit: int, suite: str | None, db_path: Path | None, as_json: bool) -> None:
    """List the runs of the results DB, newest first (`hil runs compare A B` compares two)."""
    ctx.ensure_object(dict)
    ctx.obj["db_path"] = db_path
    ctx.obj["as_json"] = as_json
    if ctx.invoked_subcommand is not None:
        return
    from hil.reports.json_report import run_json

    db = open_results_db(db_path)
    try:
        summaries = db.runs(limit=limit, suite=suite)
    finally:
        db.close()
    if as_json:
        emit_json({"db": str(db_path or _default()), "runs": [run_json(s) for s in summaries]})
        return
    if not summaries:
        click.echo("no runs" + (f" of suite {suite!r}" if suite else "") + " in the results DB")
        return
    table = Table(title="runs, newest first")
    for column, justify in (
        ("id", "right"),
        ("suite", "left"),
        ("source", "left"),
        ("status", "left"),
        ("started", "left"),
        ("duration", "right"),
        ("passed/failed", "right"),
        ("pass rate", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for s in summaries:
        rate = s.counts.pass_rate
        style = _STATUS_STYLE.get(s.status, "")
        table.add_row(
            str(s.id),
            s.suite,
            s.source,
            f"[{style}]{s.status}[/]" if style else s.status,
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(s.started)),
            _duration(s.started, s.finished),
            f"{s.counts.passed}/{s.counts.failed}",
            "-" if rate is None else f"{100 * rate:.1f}%",
        )
    print_table(table)


def _default() -> Path:
    from hil.records.db import default_db_path

    return default_db_path()


@runs.command()
@click.argument("run_a")
@click.argument("run_b")
@click.option(
    "--threshold",
    type=click.FloatRange(min=0.0),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Relative change of a measurement's mean that counts as changed (0.2 = 20 %).",
)
@click.option("--all", "show_all", is_flag=True, help="Also list checks that did not change.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), help=DB_HELP)
@click.option("--json", "as_json", is_flag=True, help="The comparison as JSON on stdout.")
@click.pass_context
def compare(
    ctx: click.Context,
    run_a: str,
    run_b: str,
    threshold: float,
    show_all: bool,
    db_path: Path | None,
    as_json: bool,
) -> None:
    """Compare run A with run B (ids, `latest` or `last~N`): per rig, mode and check, passed in A
    vs B, newly failing, fixed, and measurements whose mean moved by more than --threshold."""
    from hil.reports.compare import compare_runs

    parent = ctx.obj or {}
    db = open_results_db(db_path or parent.get("db_path"))
    try:
        a, b = resolve(db, run_a), resolve(db, run_b)
        comparison = compare_runs(db, a, b, threshold)
    finally:
        db.close()
    if as_json or parent.get("as_json"):
        emit_json(comparison.as_json())
        return
    table = Table(title=f"run {a} (A) vs run {b} (B), changes beyond {threshold:.0%}")
    for column in ("rig", "mode", "check", "A passed", "B passed", "verdict", "measurements (A → B)"):
        table.add_column(column)
    styles = {"newly failing": "bold red", "fixed": "green", "still failing": "red", "changed": "yellow"}
    shown = 0
    for row in comparison.rows:
        if row.verdict == "same" and not show_all:
            continue
        shown += 1
        changes = ", ".join(
            f"{c.name} {c.a:.4g} → {c.b:.4g}{' ' + c.unit if c.unit else ''}"
            + ("" if c.a == 0 else f" ({c.relative:+.0%})")
            for c in row.changes
        )
        style = styles.get(row.verdict)
        table.add_row(
            row.rig,
            row.mode,
            row.check,
            "-" if row.a is None else f"{row.a.passed}/{row.a.total}",
            "-" if row.b is None else f"{row.b.passed}/{row.b.total}",
            f"[{style}]{row.verdict}[/]" if style else row.verdict,
            changes or "-",
        )
    if shown:
        print_table(table)
    summary = ", ".join(
        f"{comparison.count(v)} {v}" for v in ("newly failing", "fixed", "still failing", "changed", "same")
    )
    click.echo(f"{len(comparison.rows)} checks compared: {summary}")
