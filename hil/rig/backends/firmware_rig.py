"""The QEMU side of a firmware-mode virtual rig: a Flasher whose every boot feeds ONE console.

On a real rig the console UART outlives a reflash or a reset; here every boot is a new QEMU
process, so QemuRigFlasher pumps each new board's UART0 into the same LineConsole. The console
closes when the running image's output ends (QEMU exited), or, with the `console_dead` fault,
after a few lines, as a USB serial adapter pulled out mid-run would.
"""

from __future__ import annotations

import threading
from pathlib import Path

from hil.firmware.qemu import QemuBoard, QemuMachine, QemuTimeoutError
from hil.flash.base import FlasherCapabilities, ProgressCallback
from hil.flash.qemu import QemuFlasher
from hil.rig.capabilities import LineConsole

_FOREVER_S = 10 * 365 * 24 * 3600.0
# With console_dead: the lines that still come through before the "unplug" (boot + modem lines).
UNPLUG_AFTER_LINES = 2


class QemuRigFlasher:
    """A Flasher (hil/flash/base.py) over QemuFlasher: flash = boot the image in QEMU with UART1
    on the modem; reset = boot it again. Console lines of every boot go to `console`."""

    name = "qemu"
    capabilities: FlasherCapabilities = QemuFlasher.capabilities

    def __init__(
        self,
        machine: QemuMachine,
        modem: str,
        console: LineConsole,
        *,
        unplug_after_lines: int | None = None,
        icount_shift: int | None = None,
    ) -> None:
        self._inner = QemuFlasher(machine, modem=modem, icount_shift=icount_shift)
        self.console = console
        self.unplug_after_lines = unplug_after_lines
        self._generation = 0
        self._fed = 0
        self._lock = threading.Lock()

    @property
    def board(self) -> QemuBoard | None:
        """The QEMU process running the last flashed image, if any."""
        return self._inner.board

    @property
    def image(self) -> Path | None:
        """The image last flashed (booted)."""
        return self._inner.image

    def flash(self, image: Path, *, progress: ProgressCallback | None = None) -> None:
        self._next_generation()
        self._inner.flash(image, progress=progress)
        self._pump()

    def reset(self) -> None:
        self._next_generation()
        self._inner.reset()
        self._pump()

    def erase(self) -> None:
        self._inner.erase()

    def read_back(self, address: int, length: int) -> bytes:
        return self._inner.read_back(address, length)

    def close(self) -> None:
        """Kill QEMU; the console closes as its source is gone."""
        self._next_generation()
        self._inner.close()
        self.console.close()

    def _next_generation(self) -> int:
        with self._lock:
            self._generation += 1
            return self._generation

    def _pump(self) -> None:
        board = self._inner.board
        if board is None:
            return
        with self._lock:
            generation = self._generation
        threading.Thread(
            target=self._feed, args=(board, generation), name=f"{self.console.name} pump", daemon=True
        ).start()

    def _feed(self, board: QemuBoard, generation: int) -> None:
        try:
            for line in board.stream(_FOREVER_S):
                with self._lock:
                    if generation != self._generation:
                        return  # reset or closed: the next boot's pump feeds the console
                    self.console.feed(line.text)
                    self._fed += 1
                    if self.unplug_after_lines is not None and self._fed >= self.unplug_after_lines:
                        self.console.close()  # the USB serial adapter is gone; QEMU runs on
                        return
        except QemuTimeoutError:  # pragma: no cover - ten years
            return
        with self._lock:
            if generation == self._generation:
                self.console.close()  # the image's output ended (QEMU exited)
