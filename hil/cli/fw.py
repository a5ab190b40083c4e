"""`hil fw`: build firmware images and run them in the virtual lab (QEMU + simulated modem +
emulated 1NCE cloud). `hil fw flash` comes from hil/cli/fw_flash.py when that module exists."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from at_commands.dialects.profiles import DIALECT_NAMES
from hil.cli.lazy import LazyGroup
from hil.cli.output import print_table

SUBCOMMANDS = {"build": "hil.cli.fw:build_command", "run": "hil.cli.fw:run_command"}
if importlib.util.find_spec("hil.cli.fw_flash") is not None:
    SUBCOMMANDS["flash"] = "hil.cli.fw_flash:flash"
    SUBCOMMANDS["probes"] = "hil.cli.fw_flash:probes"


@click.group(cls=LazyGroup, lazy_subcommands=SUBCOMMANDS)
def fw() -> None:
    """Firmware images: build, run in QEMU against the virtual lab, flash."""


# ----------------------------------------------------------------------------------------- build


@click.command("build")
@click.option(
    "--target", required=True, type=click.Choice(["baremetal", "freertos", "zephyr"]), help="Firmware port."
)
@click.option("--board", required=True, help="Board name (boards/<board>.yaml), e.g. mps2-an385.")
@click.option("--dialect", default=None, help="Build for one modem dialect (default: identified at boot).")
@click.option(
    "--build-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to build (default: build/firmware/<target>/<board>).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def build_command(
    target: str, board: str, dialect: str | None, build_dir: Path | None, as_json: bool
) -> None:
    """Build the firmware and print its .text/.data/.bss and the C SDK's share of each."""
    from hil.firmware.build import DIALECTS, FirmwareBuildError, build

    if dialect is not None and dialect not in DIALECTS:
        raise click.BadParameter(
            f"expected one of {', '.join(DIALECTS)}, got {dialect!r}", param_hint="--dialect"
        )
    try:
        result = build(target, board, dialect=dialect, build_dir=build_dir)
    except FirmwareBuildError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(result.to_json()))
        return
    table = Table(title=f"{target} image for {board}: {result.image}")
    for column in ("", ".text", ".data", ".bss"):
        table.add_column(column, justify="right" if column else "left")
    share = result.sdk_share()
    table.add_row("image", *(str(getattr(result.sections, k)) for k in ("text", "data", "bss")))
    table.add_row("C SDK", *(str(getattr(result.sdk, k)) for k in ("text", "data", "bss")))
    table.add_row("SDK share", *(f"{share[k]} %" for k in ("text", "data", "bss")))
    print_table(table)


# ------------------------------------------------------------------------------------------- run


def _progress_line(text: str, event: Any, colour: bool) -> str:
    if event is None or not colour:
        return text
    style = {"E": "red", "W": "yellow", "D": "bright_black"}.get(event.level)
    return click.style(text, fg=style) if style else text


@click.command("run")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--board", default="mps2-an385", show_default=True, help="A board QEMU can run.")
@click.option(
    "--dialect",
    type=click.Choice(DIALECT_NAMES),
    default="bg95",
    show_default=True,
    help="The simulated modem's dialect.",
)
@click.option(
    "--for", "run_for", type=click.IntRange(1, 65535), default=20, show_default=True, help="Run length (s)."
)
@click.option(
    "--period",
    type=click.IntRange(1, 86400),
    default=5,
    show_default=True,
    help="Uplink period (s), stamped.",
)
@click.option(
    "--time-scale",
    type=click.FloatRange(0.001, 1.0),
    default=0.01,
    show_default=True,
    help="The simulated modem's delays x this.",
)
@click.option(
    "--sms", "sms_text", default=None, help="An MT SMS to send after the first uplink, e.g. interval=3."
)
@click.option(
    "--icount",
    "icount_shift",
    type=click.IntRange(0, 10),
    default=None,
    help="QEMU -icount shift=N,align=off,sleep=on: deterministic instruction timing.",
)
@click.option("--no-stamp", is_flag=True, help="Boot the image as it is (its own config block or defaults).")
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object: bootstrap, uplinks, sms, errors..."
)
def run_command(
    image: Path,
    board: str,
    dialect: str,
    run_for: int,
    period: int,
    time_scale: float,
    sms_text: str | None,
    icount_shift: int | None,
    no_stamp: bool,
    as_json: bool,
) -> None:
    """Boot IMAGE in QEMU against a simulated modem on the emulated 1NCE network and cloud, and
    print what the cloud saw. Exit 0 only when the firmware bootstrapped and at least one UDP
    and one CoAP uplink were decoded."""
    from hil.firmware.qemu import QemuError
    from hil.firmware.run import FirmwareLab, FirmwareRunError, FirmwareRunOptions, run_ok
    from hil.virtual.modem_sim import ScenarioError, SimClaimError

    terminal = sys.stdout.isatty()
    first_uplink = threading.Event()

    def on_line(line: Any, event: Any) -> None:
        if event is not None and event.event == "uplink":
            first_uplink.set()
        if not as_json:
            click.echo(_progress_line(line.text, event, terminal))

    options = FirmwareRunOptions(
        board=board,
        dialect=dialect,
        run_for_s=run_for,
        period_s=period,
        time_scale=time_scale,
        icount_shift=icount_shift,
        stamp=not no_stamp,
    )
    try:
        with FirmwareLab(image, options, on_line=on_line) as lab:
            if not as_json:
                click.echo(
                    f"# modem {dialect} on SIM {lab.iccid}; QEMU {board}; running {run_for} s", err=terminal
                )
            if sms_text is not None and first_uplink.wait(run_for + 10):
                lab.send_sms(sms_text)
            try:
                lab.wait()
            except QemuError as exc:
                click.echo(f"error: {exc}", err=True)
            report = lab.report()
    except (FirmwareRunError, QemuError, SimClaimError, ScenarioError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    ok = run_ok(report)
    report["ok"] = ok
    if as_json:
        click.echo(json.dumps(report))
    else:
        _print_report(report)
    sys.exit(0 if ok else 1)


def _print_report(report: dict[str, Any]) -> None:
    boot = report["bootstrap"]
    click.echo("")
    click.echo(
        f"bootstrap: {'yes' if boot['bootstrapped'] else 'NO'}; identity={boot['identity']} "
        f"psk_len={boot['psk_len']}; SIM {boot['sim_iccid']}; authenticator requests "
        f"{boot['cloud']['requests']}, PSK set: {boot['cloud']['psk_set']}"
    )
    table = Table(title="uplinks the cloud decoded (Device Inspector)")
    for column in ("protocol", "n", "len", "topic", "decoded values", "= logged"):
        table.add_column(column)
    for uplink in report["uplinks"]:
        table.add_row(
            str(uplink.get("protocol")),
            str(uplink.get("n", "")),
            str(uplink.get("len", "")),
            str(uplink.get("topic") or ""),
            json.dumps(uplink.get("decoded"), separators=(",", ":")),
            {True: "yes", False: "NO"}.get(uplink.get("matches_log"), "-"),
        )
    print_table(table)
    sms = report["sms"]
    for sent in sms["sent"]:
        click.echo(
            f"sms sent: {sent['text']!r} status={sent.get('status')} received={sent['received_by_firmware']}"
        )
    for change in sms["config_changes"]:
        click.echo("config changed: " + " ".join(f"{k}={v}" for k, v in change.items()))
    for error in report["errors"]:
        click.echo("error: " + " ".join(f"{k}={v}" for k, v in error.items()))
    click.echo(f"exit status {report['exit_status']}; {'ok' if report['ok'] else 'FAILED'}")
