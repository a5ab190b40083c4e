"""The pyOCD flasher, through pyOCD's Python API: list probes as data, flash ELF/HEX/BIN by probe
id, erase, reset. The target, the image and its format are checked before any probe is touched."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hil.flash.base import FlasherCapabilities, FlasherError, ProgressCallback, image_format


@dataclass(frozen=True)
class ProbeInfo:
    unique_id: str
    description: str
    vendor: str
    product: str


def list_probes() -> list[ProbeInfo]:
    """The debug probes pyOCD sees now (never waits for one to be plugged in)."""
    from pyocd.core.helpers import ConnectHelper

    probes = ConnectHelper.get_all_connected_probes(blocking=False, print_wait_message=False)
    return [
        ProbeInfo(str(p.unique_id), str(p.description), str(p.vendor_name), str(p.product_name))
        for p in probes
    ]


def known_target(target: str) -> bool:
    """pyOCD has `target` built in, or an installed CMSIS pack provides it."""
    from pyocd.target import TARGET

    if target.lower() in TARGET:
        return True
    try:
        from pyocd.target.pack.pack_target import ManagedPacks

        return any(dev.part_number.lower() == target.lower() for dev in ManagedPacks.get_installed_targets())
    except Exception:  # no pack index on this machine: only built-in targets exist
        return False


class PyocdFlasher:
    name = "pyocd"
    capabilities = FlasherCapabilities(erase=True, reset=True, read_back=True)

    def __init__(self, target: str, probe: str | None = None, *, frequency_hz: int | None = None) -> None:
        if not known_target(target):
            raise FlasherError(
                f"pyOCD target {target!r}: not built into pyOCD and no installed CMSIS pack provides it "
                f"(pyocd list --targets; install its pack with: pyocd pack install {target})"
            )
        self.target = target
        self.probe = probe
        self.frequency_hz = frequency_hz

    def _session(self) -> Any:
        from pyocd.core.helpers import ConnectHelper
        from pyocd.core.session import Session

        probes = ConnectHelper.get_all_connected_probes(
            blocking=False, unique_id=self.probe, print_wait_message=False
        )
        if not probes:
            wanted = f"with id {self.probe!r}" if self.probe else "at all"
            raise FlasherError(f"no debug probe {wanted} is connected (pyOCD found none; see hil fw probes)")
        if len(probes) > 1:
            ids = ", ".join(str(p.unique_id) for p in probes)
            raise FlasherError(f"{len(probes)} debug probes match ({ids}): choose one with --probe ID")
        options: dict[str, Any] = {"target_override": self.target}
        if self.frequency_hz:
            options["frequency"] = self.frequency_hz
        return Session(probes[0], options=options)

    def flash(self, image: Path, *, progress: ProgressCallback | None = None) -> None:
        kind = image_format(image)  # raises for a missing file or a format nobody flashes
        if kind == "bin":
            raise FlasherError(
                f"image {image}: a .bin has no load address; flash the ELF or HEX (or stamp and convert)"
            )
        from pyocd.flash.file_programmer import FileProgrammer

        with self._session() as session:
            FileProgrammer(session, progress=progress).program(str(image), file_format=kind)
            session.target.reset()

    def erase(self) -> None:
        from pyocd.flash.eraser import FlashEraser

        with self._session() as session:
            FlashEraser(session, FlashEraser.Mode.CHIP).erase()

    def reset(self) -> None:
        with self._session() as session:
            session.target.reset()

    def read_back(self, address: int, length: int) -> bytes:
        with self._session() as session:
            return bytes(session.target.read_memory_block8(address, length))
