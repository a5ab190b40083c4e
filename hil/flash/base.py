"""What every flasher offers (twister's lesson: flashers declare their capabilities, so a rig
knows before it starts whether it can erase, verify by read-back or reset a board)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

IMAGE_FORMATS = ("elf", "hex", "bin")


class FlasherError(RuntimeError):
    """Flashing failed or cannot start; the message says what was expected and what was found."""


class UnsupportedOperationError(FlasherError):
    """The flasher does not declare this capability (e.g. read-back on QEMU)."""


@dataclass(frozen=True)
class FlasherCapabilities:
    formats: frozenset[str] = field(default_factory=lambda: frozenset(IMAGE_FORMATS))
    erase: bool = False
    reset: bool = False
    read_back: bool = False

    def describe(self) -> list[str]:
        names = [f"flash {'/'.join(sorted(self.formats)).upper()}"]
        names += [name for name in ("erase", "reset", "read_back") if getattr(self, name)]
        return names


ProgressCallback = Callable[[float], None]  # fraction done, 0.0 .. 1.0


@runtime_checkable
class Flasher(Protocol):
    """A way to put images on one board (one probe, one QEMU machine, one west build dir)."""

    name: str
    capabilities: FlasherCapabilities

    def flash(self, image: Path, *, progress: ProgressCallback | None = None) -> None:
        """Write `image` (format from its content / suffix) and leave the board ready to reset."""
        ...

    def erase(self) -> None: ...

    def reset(self) -> None: ...

    def read_back(self, address: int, length: int) -> bytes: ...


def image_format(image: Path) -> str:
    """'elf', 'hex' or 'bin' from the file's content (ELF magic, Intel HEX ':' records) or suffix;
    FlasherError for a missing file or a format nobody can flash."""
    if not image.is_file():
        raise FlasherError(f"image {image}: no such file")
    head = image.read_bytes()[:4]
    if head == b"\x7fELF":
        return "elf"
    suffix = image.suffix.lower().lstrip(".")
    if head[:1] == b":" and suffix in ("hex", "ihex", ""):
        return "hex"
    if suffix == "bin":
        return "bin"
    raise FlasherError(
        f"image {image}: not an ELF, Intel HEX or .bin file (first bytes {head!r}); "
        f"expected one of {', '.join(IMAGE_FORMATS)}"
    )


def require(flasher: Flasher, capability: str) -> None:
    """UnsupportedOperationError unless `flasher` declares `capability`."""
    if not getattr(flasher.capabilities, capability, False):
        raise UnsupportedOperationError(
            f"flasher {flasher.name!r} cannot {capability.replace('_', ' ')} "
            f"(it can: {', '.join(flasher.capabilities.describe())})"
        )
