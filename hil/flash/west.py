"""The west flasher: `west flash` in a Zephyr build directory, runner and extra options from the
board file (boards/<name>.yaml `west:`). The image is the one the build directory produced."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hil.firmware.boards import Board
from hil.flash.base import FlasherCapabilities, FlasherError, ProgressCallback, UnsupportedOperationError

FLASH_TIMEOUT_S = 300.0


class WestFlasher:
    name = "west"
    capabilities = FlasherCapabilities(formats=frozenset({"elf", "hex", "bin"}), erase=False, reset=False)

    def __init__(
        self, board: Board, build_dir: Path, *, west: str = "west", timeout_s: float = FLASH_TIMEOUT_S
    ) -> None:
        if board.west is None:
            raise FlasherError(f"board {board.name}: no west section (runner, board) in its board file")
        self.board = board
        self.build_dir = Path(build_dir)
        self.west = west
        self.timeout_s = timeout_s

    def command(self, image: Path | None = None) -> list[str]:
        """The command line `flash` runs; with `image`, also --elf-file/--hex-file/--bin-file IMAGE."""
        assert self.board.west is not None
        argv = [self.west, "flash", "-d", str(self.build_dir), "--runner", self.board.west.runner]
        if image is not None:
            option = {".elf": "--elf-file", ".hex": "--hex-file", ".bin": "--bin-file"}.get(
                image.suffix.lower()
            )
            if option is None:
                raise FlasherError(f"image {image}: west flashes .elf, .hex or .bin files")
            argv += [option, str(image)]
        return argv + list(self.board.west.args)

    def flash(self, image: Path, *, progress: ProgressCallback | None = None) -> None:
        if not image.is_file():
            raise FlasherError(f"image {image}: no such file")
        if not (self.build_dir / "CMakeCache.txt").is_file():
            raise FlasherError(f"{self.build_dir}: not a west/Zephyr build directory (no CMakeCache.txt)")
        if shutil.which(self.west) is None:
            raise FlasherError(
                f"{self.west!r} not found on PATH: install west (pip install west) in a Zephyr workspace"
            )
        argv = self.command(image)
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise FlasherError(f"{' '.join(argv)}: no result after {self.timeout_s:.0f} s") from None
        if result.returncode != 0:
            tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
            raise FlasherError(f"{' '.join(argv)} failed (exit {result.returncode}): {tail}")
        if progress:
            progress(1.0)

    def erase(self) -> None:
        raise UnsupportedOperationError(
            "flasher 'west' cannot erase (west flash --erase erases while flashing)"
        )

    def reset(self) -> None:
        raise UnsupportedOperationError(
            "flasher 'west' cannot reset on its own (west flash resets after flashing)"
        )

    def read_back(self, address: int, length: int) -> bytes:
        raise UnsupportedOperationError("flasher 'west' cannot read back")
