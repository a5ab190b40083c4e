"""Flashers: put an image on a board (QEMU, pyOCD, west), each declaring what it can do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hil.firmware.boards import Board
from hil.flash.base import Flasher, FlasherError


def flasher_for(
    board: Board,
    *,
    method: str | None = None,
    probe: str | None = None,
    build_dir: Path | None = None,
    **opts: Any,
) -> Flasher:
    """The flasher for `board` (its flash.method unless `method` says otherwise)."""
    chosen = method or board.flash_method
    if chosen == "pyocd":
        from hil.flash.pyocd import PyocdFlasher

        if board.pyocd is None:
            raise FlasherError(f"board {board.name}: no pyocd section (target) in its board file")
        return PyocdFlasher(board.pyocd.target, probe, **opts)
    if chosen == "west":
        from hil.flash.west import WestFlasher

        if build_dir is None:
            raise FlasherError("the west flasher needs the Zephyr build directory (build_dir)")
        return WestFlasher(board, build_dir, **opts)
    if chosen == "qemu":
        from hil.flash.qemu import QemuFlasher

        return QemuFlasher.for_board(board.name, **opts)
    raise FlasherError(f"unknown flasher {chosen!r}: expected pyocd, west or qemu")
