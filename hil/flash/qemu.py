"""The QEMU "flasher": flashing an image means booting it on the emulated board (UART0 console,
UART1 wired to the modem endpoint); reset boots the same image again. QEMU keeps no flash
between runs, so there is no erase and no read-back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hil.firmware.qemu import QEMU_FORMATS, ConsoleLine, QemuBoard, QemuError, QemuMachine, machine_for_board
from hil.flash.base import FlasherCapabilities, FlasherError, ProgressCallback, image_format, require


class QemuFlasher:
    """A Flasher (hil/flash/base.py) over QemuBoard; `board` is the running image, if any."""

    name = "qemu"
    capabilities = FlasherCapabilities(formats=QEMU_FORMATS, erase=False, reset=True, read_back=False)

    def __init__(
        self,
        machine: QemuMachine | None = None,
        *,
        modem: str | None = None,
        icount_shift: int | None = None,
        on_line: Callable[[ConsoleLine], None] | None = None,
    ) -> None:
        self.machine = machine or QemuMachine()
        self.modem = modem
        self.icount_shift = icount_shift
        self.on_line = on_line
        self.image: Path | None = None
        self.board: QemuBoard | None = None

    @classmethod
    def for_board(
        cls, board: str, *, modem: str | None = None, icount_shift: int | None = None
    ) -> QemuFlasher:
        """The flasher for boards/<board>.yaml's QEMU machine; FlasherError when QEMU cannot run it."""
        try:
            machine = machine_for_board(board)
        except QemuError as exc:
            raise FlasherError(f"qemu flasher: {exc}") from exc
        return cls(machine, modem=modem, icount_shift=icount_shift)

    def flash(self, image: Path, *, progress: ProgressCallback | None = None) -> None:
        fmt = image_format(image)
        if fmt not in self.capabilities.formats:
            known = "/".join(sorted(self.capabilities.formats)).upper()
            raise FlasherError(f"image {image}: the qemu flasher boots {known} images, got {fmt.upper()}")
        self.image = Path(image)
        self._boot()
        if progress is not None:
            progress(1.0)

    def reset(self) -> None:
        if self.image is None:
            raise FlasherError("qemu flasher: nothing to reset, no image was flashed")
        self._boot()

    def erase(self) -> None:
        require(self, "erase")

    def read_back(self, address: int, length: int) -> bytes:
        require(self, "read_back")
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        if self.board is not None:
            self.board.stop()
            self.board = None

    def __enter__(self) -> QemuFlasher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _boot(self) -> None:
        assert self.image is not None
        self.close()
        board = QemuBoard(
            self.image,
            machine=self.machine,
            modem=self.modem,
            icount_shift=self.icount_shift,
            on_line=self.on_line,
        )
        try:
            self.board = board.start()
        except QemuError as exc:
            raise FlasherError(f"qemu flasher: {exc}") from exc
