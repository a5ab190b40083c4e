"""`hil image`: write the firmware config block into a built image (ELF, Intel HEX, BIN) and show it.

Exit codes: 0 ok, 1 the image or the config cannot be used (or `info` found a corrupt block),
2 usage.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click
from rich.table import Table

from hil.cli.output import emit_json, fail, print_table, stdout
from hil.firmware.boards import Board
from hil.firmware.config_block import ConfigBlockError, FirmwareConfig
from hil.firmware.image import ImageError, StampInfo

IMAGE_PATH = click.Path(exists=True, dir_okay=False, path_type=Path)
BOARD_HELP = "Board (boards/<name>.yaml, or a path): the block's place; checks the image fits the board."


def _board(name: str | None, as_json: bool) -> Board | None:
    if name is None:
        return None
    from hil.firmware.boards import BoardFileError, load_board

    try:
        return load_board(name)
    except BoardFileError as exc:
        _error(str(exc), as_json)


def _error(message: str, as_json: bool) -> NoReturn:
    if as_json:
        emit_json({"ok": False, "error": message})
    fail(message)


def _show(info: StampInfo, title: str) -> None:
    table = Table(title=title)
    table.add_column("setting")
    table.add_column("value")
    table.add_row("image", str(info.image))
    table.add_row("format", info.format)
    table.add_row("block address", f"{info.address:#010x}")
    if info.offset is not None:
        table.add_row("file offset", f"{info.offset:#x}")
    table.add_row("state", info.state)
    if info.problem:
        table.add_row("problem", info.problem)
    if info.config:
        for key, value in info.config.to_json().items():
            table.add_row(key, str(value))
    elif info.state == "erased":
        table.add_row("note", "no block: the firmware runs with its compiled-in defaults")
    print_table(table, stdout)


@click.group()
def image() -> None:
    """Firmware images: stamp the config block (APN, endpoints, period, ...) without rebuilding."""


@image.command("stamp")
@click.argument("image_path", metavar="IMAGE", type=IMAGE_PATH)
@click.option(
    "--config",
    "config_path",
    required=True,
    type=IMAGE_PATH,
    help="YAML or JSON file with the config keys (apn, udp_host, ...); unset keys keep defaults.",
)
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the stamped copy (the input is never changed).",
)
@click.option("--board", "board_name", metavar="B", help=BOARD_HELP)
@click.option("--force", is_flag=True, help="Overwrite bytes that are neither erased nor a config block.")
@click.option("--json", "as_json", is_flag=True, help="Print the stamped block as JSON.")
def stamp_command(
    image_path: Path, config_path: Path, out: Path, board_name: str | None, force: bool, as_json: bool
) -> None:
    """Write the config block from --config into a copy of IMAGE (ELF, Intel HEX or .bin)."""
    from hil.firmware.image import load_config_file, stamp

    board = _board(board_name, as_json)
    try:
        config: FirmwareConfig = load_config_file(config_path)
        info = stamp(image_path, config, out, board, force=force)
    except (ImageError, ConfigBlockError) as exc:
        _error(str(exc), as_json)
    if as_json:
        emit_json({"ok": True, **info.to_json()})
    else:
        _show(info, f"stamped {out}")


@image.command("info")
@click.argument("image_path", metavar="IMAGE", type=IMAGE_PATH)
@click.option("--board", "board_name", metavar="B", help=BOARD_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print what was found as JSON.")
def info_command(image_path: Path, board_name: str | None, as_json: bool) -> None:
    """Show the config block in IMAGE: stamped (with its settings), erased, or corrupt (and why)."""
    from hil.firmware.image import read_config

    board = _board(board_name, as_json)
    try:
        info = read_config(image_path, board)
    except ImageError as exc:
        _error(str(exc), as_json)
    if as_json:
        emit_json({"ok": info.state != "corrupt", **info.to_json()})
    else:
        _show(info, str(image_path))
    if info.state == "corrupt":
        raise SystemExit(1)
