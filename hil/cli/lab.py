"""`hil lab`: the main job on the virtual lab - today, the full modem check on a simulated modem of
every supported dialect."""

from __future__ import annotations

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from at_commands.dialects.profiles import DIALECT_NAMES
from hil.cli.output import EXIT_FAILURE, EXIT_OK, emit_json, print_table, stderr, stdout
from hil.lab.virtual import run_virtual_lab
from hil.records import CheckRecord

COLUMNS = [
    ("attach", "time_to_attach", "{:.2f} s"),
    ("signal", "rssi", "{} dBm"),
    ("udp_uplink", "uplink_latency", "{:.1f} ms"),
    ("udp_downlink", "downlink_latency", "{:.1f} ms"),
    ("sms_mt", "mt_latency", "{:.0f} ms"),
]


@click.command()
@click.option(
    "--dialect",
    "dialects",
    type=click.Choice(DIALECT_NAMES),
    multiple=True,
    help="Dialect to run (repeatable); default: all nine.",
)
@click.option(
    "--transport",
    type=click.Choice(["pty", "tcp"]),
    default="pty",
    show_default=True,
    help="How the harness reaches each simulated modem.",
)
@click.option(
    "--time-scale",
    type=float,
    default=0.1,
    show_default=True,
    help="Simulated delays x this factor (1.0 = real module timings).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON record per rig on stdout.")
@click.option("--verbose", "-v", is_flag=True, help="Print every measurement.")
def lab(dialects: tuple[str, ...], transport: str, time_scale: float, as_json: bool, verbose: bool) -> None:
    """Run the virtual lab: a simulated modem per dialect, driven through the full modem check
    (identify, SIM files, attach with stat 5, APN, signal, PDP, UDP both ways, SMS MO and MT)."""
    chosen = list(dialects) or list(DIALECT_NAMES)
    with Progress(
        TextColumn("[bold]virtual lab[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task("starting", total=len(chosen))

        def done(record: CheckRecord) -> None:
            progress.update(
                task, advance=1, description=f"{record.subject}: {'pass' if record.passed else 'FAIL'}"
            )
            if as_json:
                emit_json(record.to_json())

        records = run_virtual_lab(chosen, transport=transport, time_scale=time_scale, on_done=done)
    if not as_json:
        print_table(_table(records))
        for record in records:
            _explain(record, verbose)
        passed = sum(r.passed for r in records)
        style = "green" if passed == len(records) else "red"
        stdout.print(f"[{style}]{passed}/{len(records)} rigs passed[/]")
    raise SystemExit(EXIT_OK if all(r.passed for r in records) else EXIT_FAILURE)


def _table(records: list[CheckRecord]) -> Table:
    table = Table(title="modem check on the virtual lab")
    table.add_column("rig", no_wrap=True)
    for step_name, _, _ in COLUMNS:
        table.add_column(step_name.replace("_", " "), justify="right", no_wrap=True)
    table.add_column("steps", justify="right")
    table.add_column("result")
    for record in records:
        cells = []
        for step_name, measurement, fmt in COLUMNS:
            step = record.step_named(step_name)
            found = next((m for m in step.measurements if m.name == measurement), None) if step else None
            if found is None or found.value is None:
                cells.append("-" if step is None or step.skipped else "[red]error[/]")
            else:
                cells.append(
                    fmt.format(found.value) if found.passed else f"[red]{fmt.format(found.value)}[/]"
                )
        ok = sum(s.passed for s in record.steps)
        result = "[green]pass[/]" if record.passed else "[red]FAIL[/]"
        table.add_row(record.subject, *cells, f"{ok}/{len(record.steps)}", result)
    return table


def _explain(record: CheckRecord, verbose: bool) -> None:
    for step in record.steps:
        if verbose or not step.passed:
            mark = "[green]ok[/]" if step.passed else "[red]FAIL[/]"
            stdout.print(
                f"  {record.subject} / {step.name}: {mark}" + (f" ({step.skipped})" if step.skipped else "")
            )
            if step.error:
                stdout.print(f"    [red]{step.error}[/]", markup=True)
            for measurement in step.measurements:
                if verbose or not measurement.passed:
                    stdout.print(f"    {measurement.describe()}", markup=False)
