"""`hil run`: the main job - a suite of checks on virtual or real rigs, with live progress, a
summary table, a report, and an exit code that is 0 only when everything passed."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click
from click.core import ParameterSource
from rich.table import Table

from hil.cli.output import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, emit_json, fail, print_table, stderr, stdout
from hil.records.db import ResultsDB, ResultsDBError, RunData, StoredRecord, default_db_path
from hil.run.plan import (
    DEFAULT_QUARANTINE_AFTER,
    DEFAULT_SUITE,
    DEFAULT_TIME_SCALE,
    MODE_CHOICES,
    Plan,
    PlanError,
    RunOptions,
    build_plan,
    parse_until,
)
from hil.run.progress import progress_for
from hil.run.runner import Runner, RunResult

# Options that decide what runs: a resumed run takes them from the run it resumes.
PLAN_OPTIONS = (
    "suite",
    "mode",
    "rigs",
    "rig_names",
    "tags",
    "rigs_file",
    "repeat",
    "until",
    "retries",
    "quarantine_after",
    "faults",
    "time_scale",
    "image",
)
# Key measurements for the summary table (modem-mode and firmware-mode names).
ATTACH_TIME = ("time_to_attach", "attach_time")
BCL_SAVING = ("saving_pct",)


@click.command()
@click.option(
    "--suite",
    default=DEFAULT_SUITE,
    show_default=True,
    help="A built-in suite's name or a suite file (.yaml).",
)
@click.option(
    "--mode",
    type=click.Choice(MODE_CHOICES),
    default="both",
    show_default=True,
    help="Which mode's checks to run.",
)
@click.option(
    "--rigs", "rigs", type=click.IntRange(1, 64), help="Run N virtual rigs in parallel (default 1)."
)
@click.option(
    "--rig", "rig_names", multiple=True, metavar="NAME", help="A real rig of the rig file (repeatable)."
)
@click.option(
    "--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Real rigs carrying this tag (repeatable)."
)
@click.option(
    "--rigs-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The rig file for real rigs (default: $HIL_RIGS_FILE or ./rigs.yaml).",
)
@click.option("--repeat", type=click.IntRange(1), default=1, show_default=True, help="Rounds to run.")
@click.option("--until", metavar="HH:MM|ISO", help="Start new rounds until this time (overnight runs).")
@click.option(
    "--resume",
    "resume",
    metavar="RUN",
    help="Finish an interrupted run (id or 'last'), skipping what it has.",
)
@click.option(
    "--retries",
    type=click.IntRange(0),
    default=1,
    show_default=True,
    help="Extra attempts for a failure of a transient class (infra, network).",
)
@click.option(
    "--quarantine-after",
    type=click.IntRange(1),
    default=DEFAULT_QUARANTINE_AFTER,
    show_default=True,
    help="Quarantine a rig after K infra failures in a row.",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="RIG=FAULT",
    help="Inject a fault into a virtual rig (repeatable).",
)
@click.option(
    "--image",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Firmware image to flash on real rigs in firmware mode (default: keep what they run).",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Results DB (default: $HIL_RESULTS_DB or ./hil-results/results.db).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML report file (default: run-<id>.html next to the DB).",
)
@click.option("--no-report", is_flag=True, help="Write no report.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object with the run's results on stdout.")
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIME_SCALE,
    show_default=True,
    help="Virtual rigs' simulated delays x this factor (1.0 = real module timings).",
)
@click.pass_context
def run(
    ctx: click.Context,
    suite: str,
    mode: str,
    rigs: int | None,
    rig_names: tuple[str, ...],
    tags: tuple[str, ...],
    rigs_file: Path | None,
    repeat: int,
    until: str | None,
    resume: str | None,
    retries: int,
    quarantine_after: int,
    faults: tuple[str, ...],
    image: Path | None,
    db_path: Path | None,
    report_path: Path | None,
    no_report: bool,
    as_json: bool,
    time_scale: float,
) -> None:
    """Run a suite of checks (default: the smoke suite on one virtual rig, modem and firmware mode).

    \b
    hil run                              # smoke suite, virtual lab, both modes
    hil run --rigs 4 --mode modem        # 4 virtual rigs in parallel
    hil run --rig bench-1 --suite my.yaml
    hil run --tag modem=bg96 --until 06:30   # overnight, rounds until 06:30
    hil run --resume last                # finish a run that was killed
    """
    path = db_path or default_db_path()
    try:
        db = ResultsDB(path)
    except ResultsDBError as exc:
        fail(str(exc), code=EXIT_USAGE)
    with db:
        run_id: int | None = None
        try:
            if resume is not None:
                given = [
                    "--" + name.replace("_", "-")
                    for name in PLAN_OPTIONS
                    if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT
                ]
                if given:
                    fail(
                        f"--resume takes the plan from the run it resumes; drop {', '.join(given)}",
                        code=EXIT_USAGE,
                    )
                run_id, plan = _resume_plan(db, resume)
            else:
                options = RunOptions(
                    suite=suite,
                    mode=mode,
                    rigs=rigs,
                    rig_names=rig_names,
                    tags=tags,
                    rigs_file=str(rigs_file) if rigs_file else None,
                    repeat=repeat,
                    until=parse_until(until) if until else None,
                    retries=retries,
                    quarantine_after=quarantine_after,
                    faults=faults,
                    time_scale=time_scale,
                    image=str(image) if image else None,
                )
                plan = build_plan(options)
        except PlanError as exc:
            fail(str(exc), code=EXIT_USAGE)
        for note in plan.notes:
            stderr.print(f"[yellow]note:[/] {note}")
        result = _execute(plan, db, run_id, as_json)
        report = (
            None
            if no_report
            else _write_report(
                db, result.run_id, report_path or path.parent / f"run-{result.run_id}.html", as_json
            )
        )
        data = db.load_run(result.run_id)
        if as_json:
            emit_json(_json(result, data, report))
        else:
            _summary(result, data, report)
    raise SystemExit(EXIT_OK if result.ok else EXIT_FAILURE)


def _resume_plan(db: ResultsDB, ref: str) -> tuple[int, Plan]:
    db.mark_stale_runs()
    try:
        run_id = db.resolve_run(ref)
    except ResultsDBError as exc:
        raise PlanError(f"--resume: {exc}") from exc
    summary = db.run(run_id)
    if summary.status not in ("interrupted", "failed", "error"):
        raise PlanError(
            f"--resume: run {run_id} is {summary.status}; only an interrupted or failed run can be resumed"
        )
    data = db.load_run(run_id)
    stored = data.meta.get("options")
    if not isinstance(stored, dict):
        raise PlanError(f"--resume: run {run_id} was not started by hil run (no options stored with it)")
    rounds = data.meta.get("rounds")
    if not isinstance(rounds, int):  # an --until run: finish the rounds it had started
        rounds = max((r.round for r in data.records), default=1)
    options = RunOptions.from_meta(stored)
    if options.until is not None:
        options = RunOptions.from_meta({**stored, "until": None})
    return run_id, build_plan(options, resume_rounds=rounds)


@contextmanager
def _stop_on_signals(runner: Runner, as_json: bool) -> Iterator[None]:
    """SIGINT/SIGTERM: finish the current checks, then stop (a second SIGINT stops at once)."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        if runner.stopping and signum == signal.SIGINT:
            raise KeyboardInterrupt
        runner.request_stop()
        if not as_json:
            stderr.print("[yellow]stopping: finishing the checks under way (Ctrl-C again to abort)[/]")

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _execute(plan: Plan, db: ResultsDB, resume: int | None, as_json: bool) -> RunResult:
    progress = progress_for(stdout, enabled=not as_json)
    runner = Runner(plan, db, listener=progress, argv=["hil", "run", *sys.argv[2:]])
    try:
        with _stop_on_signals(runner, as_json), progress:
            return runner.run(resume)
    except Exception as exc:
        fail(f"the run could not start: {type(exc).__name__}: {exc}")


def _write_report(db: ResultsDB, run_id: int, path: Path, as_json: bool) -> Path | None:
    try:
        from hil.reports import write_report
    except ImportError:
        if not as_json:
            stderr.print("[yellow]note:[/] no report: hil.reports is not available")
        return None
    try:
        return write_report(db, run_id, path, "html")
    except Exception as exc:  # the results are in the DB; a report can be made later
        stderr.print(f"[red]report failed:[/] {type(exc).__name__}: {exc} (try: hil report {run_id})")
        return None


# -- summary ---------------------------------------------------------------------------------------


def _measurement(records: list[StoredRecord], check: str | None, names: tuple[str, ...]) -> list[float]:
    """Numeric values of the measurements called one of `names` (of `check`'s records, if given)."""
    values = []
    for stored in records:
        if check is not None and stored.record.check != check:
            continue
        for step in stored.record.steps:
            for m in step.measurements:
                if m.name in names and isinstance(m.value, int | float) and not isinstance(m.value, bool):
                    values.append(float(m.value))
    return values


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _groups(data: RunData) -> dict[tuple[str, str], list[StoredRecord]]:
    groups: dict[tuple[str, str], list[StoredRecord]] = {}
    for stored in data.final_records():
        groups.setdefault((stored.rig, stored.mode), []).append(stored)
    return groups


def _summary(result: RunResult, data: RunData, report: Path | None) -> None:
    table = Table(title=f"run {result.run_id}: {data.run.suite}")
    for name, justify in (
        ("rig", "left"),
        ("mode", "left"),
        ("passed", "right"),
        ("failed", "right"),
        ("failures", "left"),
        ("attach", "right"),
        ("BCL saving", "right"),
        ("state", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    groups = _groups(data)
    for rig_name, outcome in result.rigs.items():
        modes = sorted({mode for rig, mode in groups if rig == rig_name}) or ["-"]
        for mode in modes:
            records = groups.get((rig_name, mode), [])
            failed = [s for s in records if not s.record.passed]
            attach = _mean(_measurement(records, "attach", ATTACH_TIME))
            saving = _mean(_measurement(records, None, BCL_SAVING))
            state = outcome.state if outcome.state != "finished" else outcome.health
            table.add_row(
                rig_name,
                mode,
                str(len(records) - len(failed)),
                f"[red]{len(failed)}[/]" if failed else "0",
                ", ".join(f"{s.record.check}({s.record.failure_class})" for s in failed) or "-",
                "-" if attach is None else f"{attach:.2f} s",
                "-" if saving is None else f"{saving:.0f} %",
                f"[red]{state}[/]" if state in ("quarantined", "bad") else state,
            )
    print_table(table)
    for outcome in result.rigs.values():
        if outcome.state == "quarantined" or outcome.health == "bad":
            stdout.print(f"[red]{outcome.name}: {outcome.reason or outcome.health_reason}[/]", markup=True)
        if outcome.not_run:
            stdout.print(f"{outcome.name}: {outcome.not_run} planned result(s) not run")
    counts = data.run.counts
    style = "green" if result.ok else "red"
    stdout.print(
        f"[{style}]run {result.run_id} {result.status}: {counts.passed}/{counts.total} passed"
        + (f", {counts.retried} retried" if counts.retried else "")
        + "[/]"
    )
    if report is not None:
        stdout.print(f"report: {report}")
    if result.status == "interrupted" or any(o.not_run for o in result.rigs.values()):
        stdout.print(f"resume with: hil run --resume {result.run_id}")


def _json(result: RunResult, data: RunData, report: Path | None) -> dict[str, Any]:
    counts = data.run.counts
    return {
        "run_id": result.run_id,
        "status": result.status,
        "suite": data.run.suite,
        "resumed": result.resumed,
        "counts": {
            "total": counts.total,
            "passed": counts.passed,
            "failed": counts.failed,
            "retried": counts.retried,
            "by_class": dict(counts.by_class),
        },
        "rigs": [
            {
                "name": o.name,
                "state": o.state,
                "health": o.health,
                "reason": o.reason or o.health_reason,
                "not_run": o.not_run,
            }
            for o in result.rigs.values()
        ],
        "records": [
            {
                "rig": s.rig,
                "mode": s.mode,
                "check": s.record.check,
                "round": s.round,
                "attempt": s.attempt,
                "passed": s.record.passed,
                "failure_class": s.record.failure_class,
                "duration_s": round(s.record.duration_s, 3),
                "errors": [step.error for step in s.record.steps if step.error],
                "measurements": {m.name: m.value for step in s.record.steps for m in step.measurements},
            }
            for s in data.final_records()
        ],
        "report": str(report) if report else None,
    }
