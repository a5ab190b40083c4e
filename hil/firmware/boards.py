"""Board files (boards/<name>.yaml): the MCU's memories, where the config block lives, the console
and modem UARTs, and how the board is flashed (qemu, pyocd or west)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FLASH_METHODS = ("qemu", "pyocd", "west")
FIRMWARE_TARGETS = ("baremetal", "freertos", "zephyr")


@dataclass(frozen=True)
class MemoryRegion:
    base: int
    size: int

    @property
    def end(self) -> int:
        """One past the last address."""
        return self.base + self.size

    def contains(self, address: int, length: int = 1) -> bool:
        return self.base <= address and address + length <= self.end


@dataclass(frozen=True)
class Mcu:
    family: str  # e.g. cortex-m3, cortex-m4f, cortex-m33
    cpu: str
    flash: MemoryRegion
    ram: MemoryRegion


@dataclass(frozen=True)
class ConfigBlockPlace:
    address: int
    size: int


@dataclass(frozen=True)
class Uart:
    uart: str
    baud: int
    dialect: str | None = None  # only for the modem UART: the AT dialect of the modem on it


@dataclass(frozen=True)
class QemuSpec:
    machine: str
    cpu: str


@dataclass(frozen=True)
class PyocdSpec:
    target: str


@dataclass(frozen=True)
class WestSpec:
    board: str
    runner: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    mcu: Mcu
    config_block: ConfigBlockPlace
    console: Uart
    modem: Uart | None
    flash_method: str  # one of FLASH_METHODS
    qemu: QemuSpec | None = None
    pyocd: PyocdSpec | None = None
    west: WestSpec | None = None
    targets: tuple[str, ...] = ()
    source: Path | None = field(default=None, compare=False)
