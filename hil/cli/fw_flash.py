"""`hil fw flash` and `hil fw probes`: put an image on a board through its board file's flasher.

Exit codes: 0 flashed / listed, 1 the image, board, target or probe cannot be used, 2 usage.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from hil.cli.output import emit_json, fail, print_table, stdout


@click.command("flash")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--board", "board_name", required=True, metavar="B", help="Board name (boards/<B>.yaml) or path."
)
@click.option(
    "--probe", default=None, metavar="ID", help="Debug probe unique id (hil fw probes); pyocd only."
)
@click.option(
    "--build-dir", type=click.Path(file_okay=False, path_type=Path), help="Zephyr build dir (west)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def flash(image: Path, board_name: str, probe: str | None, build_dir: Path | None, as_json: bool) -> None:
    """Flash IMAGE (ELF, HEX; BIN where the flasher takes one) onto board B."""
    from hil.firmware.boards import BoardFileError, load_board
    from hil.flash import flasher_for
    from hil.flash.base import FlasherError

    try:
        board = load_board(board_name)
        flasher = flasher_for(board, probe=probe, build_dir=build_dir)
        flasher.flash(image)
    except (BoardFileError, FlasherError) as exc:
        if as_json:
            emit_json({"ok": False, "error": str(exc)})
        fail(str(exc))
    if as_json:
        emit_json({"ok": True, "image": str(image), "board": board.name, "flasher": flasher.name})
    else:
        stdout.print(f"flashed {image} onto {board.name} with {flasher.name}")


@click.command("probes")
@click.option("--json", "as_json", is_flag=True, help="Print the probes as a JSON list.")
def probes(as_json: bool) -> None:
    """List the debug probes pyOCD sees (unique id, description)."""
    from hil.flash.pyocd import list_probes

    found = list_probes()
    if as_json:
        emit_json([vars(p) for p in found])
        return
    table = Table(title=f"{len(found)} debug probe(s)")
    for column in ("unique id", "description", "vendor", "product"):
        table.add_column(column)
    for p in found:
        table.add_row(p.unique_id, p.description, p.vendor, p.product)
    print_table(table, stdout)
