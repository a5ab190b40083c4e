"""A running QEMU board's UART0 as the rig's Console capability (hil/rig/capabilities.py), so
checks read a firmware in QEMU exactly as they read a serial console on a real rig."""

from __future__ import annotations

import threading

from hil.firmware.qemu import QemuBoard, QemuTimeoutError
from hil.rig.capabilities import LineConsole

_FOREVER_S = 10 * 365 * 24 * 3600.0


def qemu_console(board: QemuBoard, name: str = "qemu uart0") -> LineConsole:
    """A LineConsole fed with every console line of `board` (also the ones already read); it
    closes when QEMU's output ends, so a check waiting on it learns that the image stopped.
    UART0 is output only here (-serial stdio with stdin closed): write() is refused."""
    console = LineConsole(name)

    def pump() -> None:
        try:
            for line in board.stream(_FOREVER_S):
                console.feed(line.text)
        except QemuTimeoutError:  # pragma: no cover - ten years
            pass
        finally:
            console.close()

    threading.Thread(target=pump, name=f"{name} pump", daemon=True).start()
    return console
