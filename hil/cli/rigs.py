"""`hil rigs`: the rigs of the rig file with their last health; `hil rigs scan`: proposed entries
from the USB serial ports and debug probes connected to this machine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from hil.cli.output import emit_json, fail, print_table, stdout
from hil.rig.rigfile import RigFileError, load_rigs, rig_summary

if TYPE_CHECKING:
    from hil.records.db import RigHealth

DEFAULT_RIGS_FILE = "rigs.yaml"


def default_rigs_file() -> Path:
    """$HIL_RIGS_FILE, else ./rigs.yaml."""
    return Path(os.environ.get("HIL_RIGS_FILE") or DEFAULT_RIGS_FILE)


@click.group(invoke_without_command=True)
@click.option(
    "--rigs-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The rig file (default: $HIL_RIGS_FILE or ./rigs.yaml).",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Results DB for the rigs' last health (default: $HIL_RESULTS_DB or ./hil-results/results.db).",
)
@click.option("--json", "as_json", is_flag=True, help="The rigs as JSON on stdout.")
@click.pass_context
def rigs(ctx: click.Context, rigs_file: Path | None, db_path: Path | None, as_json: bool) -> None:
    """List the rigs of the rig file with their last health (good / unknown / bad)."""
    if ctx.invoked_subcommand is not None:
        return
    path = rigs_file or default_rigs_file()
    if not path.exists():
        fail(
            f"no rig file at {path}",
            hint="write one (docs/rigs.md, examples/rigs.yaml) or start from `hil rigs scan > rigs.yaml`",
        )
    try:
        specs = load_rigs(path)
    except RigFileError as exc:
        fail(f"the rig file has {len(exc.problems)} problem(s):\n{exc}")
    health = _health(db_path)
    rows: list[dict[str, Any]] = []
    for spec in specs:
        known = health.get(spec.name)
        row = rig_summary(spec)
        row["health"] = known.health if known else "unknown"
        row["health_reason"] = known.reason if known else "no health check recorded yet"
        rows.append(row)
    if as_json:
        emit_json({"rigs_file": str(path), "rigs": rows})
        return
    table = Table(title=f"rigs in {path}")
    for column in ("rig", "backend", "board", "ports", "dialect", "power", "tags", "health"):
        table.add_column(column)
    for spec, row in zip(specs, rows, strict=True):
        ports = ", ".join(
            f"{k}={v}" for k, v in (("console", spec.console), ("modem_port", spec.modem_port)) if v
        )
        power = "-"
        if spec.power is not None:
            power = spec.power.kind + (f" #{spec.power.index}" if spec.power.index is not None else "")
        state = str(row["health"])
        table.add_row(
            spec.name,
            spec.backend,
            spec.board or "-",
            ports or "-",
            spec.dialect or "auto",
            power,
            ", ".join(f"{k}={v}" for k, v in spec.tags.items()) or "-",
            state + (f" ({row['health_reason']})" if state != "unknown" else ""),
        )
    print_table(table)


def _health(db_path: Path | None) -> dict[str, RigHealth]:
    from hil.records.db import ResultsDB, default_db_path

    path = db_path or default_db_path()
    if not path.exists():  # listing rigs must not create a results DB
        return {}
    db = ResultsDB(path)
    try:
        return dict(db.rig_health())
    finally:
        db.close()


@rigs.command()
@click.option("--json", "as_json", is_flag=True, help="The proposal as JSON on stdout.")
def scan(as_json: bool) -> None:
    """Propose rigs.yaml entries from the USB serial ports (known modem and probe USB IDs) and the
    pyOCD probes connected here. The YAML goes to stdout, notes to stderr:
    `hil rigs scan > rigs.yaml`."""
    from hil.rig.scan import scan as run_scan

    result = run_scan()
    if as_json:
        emit_json(result.as_json())
        if not result.proposals:
            raise SystemExit(1)
        return
    if not result.proposals:
        reasons = [result.probe_note] if result.probe_note else []
        if result.unknown_ports:
            reasons.append(
                "USB serial ports with no known modem or probe ID: " + ", ".join(result.unknown_ports)
            )
        fail(
            "no USB serial ports found" if not result.unknown_ports else "no known modem or probe found",
            hint="; ".join(reasons) or "plug in a modem or a dev kit (and check `ls /dev/serial/by-id`)",
        )
    click.echo(result.as_yaml(), nl=False)
    for proposal in result.proposals:
        for note in proposal.notes:
            click.echo(f"# {proposal.name}: {note}", err=True)
    for port in result.unknown_ports:
        click.echo(f"# not proposed: {port}", err=True)
    for probe in result.probes_without_port:
        click.echo(f"# debug probe with no serial port: {probe}", err=True)
    if result.probe_note:
        click.echo(f"# {result.probe_note}", err=True)
    stdout.file.flush()


@rigs.command("labgrid-export")
@click.argument("rigs_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--exporter", default="exporter", show_default=True, help="The exporter's name (labgrid-exporter -n)."
)
@click.option(
    "--coordinator",
    default=None,
    help="Coordinator HOST:PORT for the place commands (default: $LG_COORDINATOR or 127.0.0.1:20408).",
)
@click.option(
    "--places-script",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the labgrid-client commands that create the places to this shell script.",
)
@click.option("--json", "as_json", is_flag=True, help="Exporter config, places and notes as JSON on stdout.")
def labgrid_export(
    rigs_file: Path, exporter: str, coordinator: str | None, places_script: Path | None, as_json: bool
) -> None:
    """Exporter YAML (stdout) for the rigs of RIGS_FILE wired to one exporter host, and the
    labgrid-client commands that create a place per rig with its tags and named matches
    (docs/labgrid.md): `hil rigs labgrid-export rigs.yaml --exporter lab-2 > exporter.yaml`."""
    from hil.rig.backends.labgrid_export import export_rigs, exporter_yaml_with_places

    if not rigs_file.exists():
        fail(f"no rig file at {rigs_file}", hint="docs/rigs.md", code=2)
    try:
        specs = load_rigs(rigs_file)
    except RigFileError as exc:
        fail(f"the rig file has {len(exc.problems)} problem(s):\n{exc}")
    result = export_rigs(
        specs, exporter=exporter, coordinator=coordinator or os.environ.get("LG_COORDINATOR")
    )
    if places_script is not None:
        places_script.write_text(result.script(), encoding="utf-8")
        places_script.chmod(0o755)
    if as_json:
        emit_json(result.as_json())
    else:
        click.echo(exporter_yaml_with_places(result), nl=False)
        for note in result.notes:
            click.echo(f"note: {note}", err=True)
    if not result.groups:
        raise SystemExit(1)
