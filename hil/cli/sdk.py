"""`hil sdk`: the C SDK (sdk_bindings/c) - footprint on Cortex-M.

Exit codes: 0 ok, 1 build failure or missing toolchain, 2 usage.
"""

from __future__ import annotations

import json
import sys

import click

from sdk_bindings.footprint import FootprintError, measure


@click.group()
def sdk() -> None:
    """The C SDK shared by the firmware and the harness."""


@sdk.command()
@click.option("--cpu", default="cortex-m3", show_default=True, help="-mcpu for arm-none-eabi-gcc.")
@click.option("--lto", is_flag=True, help="Also compile and link with -flto.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def size(cpu: str, lto: bool, as_json: bool) -> None:
    """What os_auth + os_energy_save + nce_bcl_encode add to an empty Cortex-M image.

    Builds an empty image and one calling the three (arm-none-eabi-gcc -Os, -ffunction-sections,
    newlib-nano, --gc-sections) in a temporary directory and compares .text/.data/.bss.
    """
    try:
        result = measure(cpu, lto=lto)
    except FootprintError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(result.as_dict()))
        return
    flags = "-Os" + (" -flto" if lto else "") + ", newlib-nano, --gc-sections"
    click.echo(f"{result.cpu}, {result.compiler}, {flags}")
    click.echo(f"{'':14}{'.text':>8}{'.data':>8}{'.bss':>8}")
    for label, sections in (
        ("empty image", result.empty),
        ("with the SDK", result.with_sdk),
        ("SDK adds", result.added),
    ):
        click.echo(f"{label:14}{sections.text:>8}{sections.data:>8}{sections.bss:>8}")
    verdict = "within" if result.within_target else "ABOVE"
    click.echo(f".text target <= {result.text_target}: {verdict} ({result.added.text} bytes)")
    if result.breakdown is not None:
        b = result.breakdown
        click.echo(
            f"added .text by origin: SDK {b.sdk}, libc {b.libc}, calls and demo tables {b.application}"
        )
    click.echo("largest additions: " + ", ".join(f"{s.name} {s.size}" for s in result.largest_symbols[:8]))
