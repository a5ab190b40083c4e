"""`hil report RUN [--html FILE] [--junit FILE] [--json] [--db FILE]`: a run of the results DB
as an HTML report for people, JUnit XML for CI, or JSON on stdout."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from hil.cli.output import fail

if TYPE_CHECKING:
    from hil.records.db import ResultsDB

DB_HELP = "The results DB (default: $HIL_RESULTS_DB or ./hil-results/results.db)."


def open_results_db(db_path: Path | None) -> ResultsDB:
    """The results DB at `db_path` (or the default); a clear error when there is none. Runs left
    `running` by a process that is gone are marked interrupted first, so they read as such."""
    from hil.records.db import ResultsDB, ResultsDBError, default_db_path

    path = db_path or default_db_path()
    if not path.is_file():
        fail(
            f"no results DB at {path}",
            hint="run a suite first, pass --db FILE, or set HIL_RESULTS_DB",
        )
    try:
        db = ResultsDB(path)
        db.mark_stale_runs()
    except ResultsDBError as exc:
        fail(str(exc))
    return db


def resolve(db: ResultsDB, ref: str) -> int:
    """A run id from RUN: a number, `latest`/`last`, or `last~N`."""
    from hil.records.db import UnknownRunError

    text = ref.strip()
    if text == "latest" or text.startswith("latest~"):
        text = "last" + text.removeprefix("latest")
    try:
        return db.resolve_run(text)
    except UnknownRunError as exc:
        fail(str(exc), hint="`hil runs` lists the runs")


@click.command()
@click.argument("run", default="latest")
@click.option(
    "--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), help="Write the HTML report here."
)
@click.option(
    "--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML here."
)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report on stdout.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), help=DB_HELP)
def report(
    run: str, html_file: Path | None, junit_file: Path | None, as_json: bool, db_path: Path | None
) -> None:
    """Report run RUN (an id, `latest` (the default) or `last~N`).

    With no format option the HTML report goes to hil-results/run-ID.html and its path is printed.
    Several formats at once are fine: `hil report latest --html r.html --junit junit.xml`.
    """
    from hil.reports import render_json, write_report

    db = open_results_db(db_path)
    try:
        run_id = resolve(db, run)
        if html_file is None and junit_file is None and not as_json:
            html_file = Path("hil-results") / f"run-{run_id}.html"
        written = []
        try:
            if html_file is not None:
                written.append(write_report(db, run_id, html_file, "html"))
            if junit_file is not None:
                written.append(write_report(db, run_id, junit_file, "junit"))
        except OSError as exc:
            fail(f"cannot write the report: {exc}")
        if as_json:
            click.echo(render_json(db, run_id), nl=False)
            for path in written:
                click.echo(f"wrote {path}", err=True)
        else:
            for path in written:
                click.echo(str(path))
    finally:
        db.close()
