"""Board files (boards/<name>.yaml): the MCU's memories, where the config block lives, the console
and modem UARTs, and how the board is flashed (qemu, pyocd or west)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from at_commands.dialects.profiles import DIALECT_NAMES
from hil.firmware.config_block import BLOCK_SIZE
from hil.yamlsource import KeyPath, YamlFileError, YamlProblem, YamlSource, load_yaml_source

FLASH_METHODS = ("qemu", "pyocd", "west")
FIRMWARE_TARGETS = ("baremetal", "freertos", "zephyr")
INTERNAL_MODEM = "internal"  # the modem is on the SoC (nRF91), reached through the vendor's modem library


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
    uart: str  # the MCU's UART, or "internal" for a modem on the SoC (no UART, no baud)
    baud: int | None
    dialect: str | None = None  # only for the modem UART: the AT dialect of the modem on it

    @property
    def internal(self) -> bool:
        return self.uart == INTERNAL_MODEM


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


# --- loading and checking board files --------------------------------------------------------

MCU_FAMILIES = (
    "cortex-m0",
    "cortex-m0+",
    "cortex-m3",
    "cortex-m4",
    "cortex-m4f",
    "cortex-m7",
    "cortex-m23",
    "cortex-m33",
    "cortex-m55",
)
# Zephyr's flash runners (scripts/west_commands/runners), for a typo's sake.
WEST_RUNNERS = (
    "blackmagicprobe",
    "bossac",
    "dfu-util",
    "esp32",
    "jlink",
    "linkserver",
    "nrfjprog",
    "nrfutil",
    "openocd",
    "probe-rs",
    "pyocd",
    "qemu",
    "silabs_commander",
    "stm32cubeprogrammer",
    "stm32flash",
    "teensy",
    "trace32",
    "uf2",
)
TOP_KEYS = (
    "name",
    "description",
    "mcu",
    "config_block",
    "console",
    "modem",
    "flash",
    "qemu",
    "pyocd",
    "west",
    "targets",
)
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./+-]{0,63}")


class BoardFileError(YamlFileError):
    """A board file that cannot be used; every problem names the file, line, key and expectation."""


def default_boards_dir() -> Path:
    """The repository's boards/ folder; HIL_BOARDS_DIR overrides it."""
    override = os.environ.get("HIL_BOARDS_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "boards"


def list_boards(boards_dir: Path | None = None) -> list[str]:
    """The names of the board files in `boards_dir` (default: boards/), sorted."""
    folder = boards_dir or default_boards_dir()
    return sorted(path.stem for path in folder.glob("*.yaml")) if folder.is_dir() else []


def board_path(name_or_path: str | Path, boards_dir: Path | None = None) -> Path:
    """boards/<name>.yaml for a name; the path itself for anything that looks like a path."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith((".yaml", ".yml")) or "/" in text:
        return Path(name_or_path)
    return (boards_dir or default_boards_dir()) / f"{text}.yaml"


def load_board(name_or_path: str | Path, boards_dir: Path | None = None) -> Board:
    """Read and check one board file (by name from boards/ or by path)."""
    path = board_path(name_or_path, boards_dir)
    if not path.is_file() and path.parent == (boards_dir or default_boards_dir()):
        known = ", ".join(list_boards(boards_dir)) or "none"
        raise BoardFileError(
            [YamlProblem(str(path), None, "<file>", f"a known board ({known})", repr(str(name_or_path)))]
        )
    source = load_yaml_source(path, BoardFileError)
    return parse_board(source, expected_name=path.stem)


def parse_board(source: YamlSource, expected_name: str | None = None) -> Board:
    checker = _BoardChecker(source)
    board = checker.board(expected_name)
    if checker.problems or board is None:
        raise BoardFileError(checker.problems)
    return board


class _BoardChecker:
    """Checks a board file, collecting every problem instead of stopping at the first."""

    def __init__(self, source: YamlSource) -> None:
        self.source = source
        self.problems: list[YamlProblem] = []

    def fail(self, key: KeyPath, expected: str, got: object = None) -> None:
        self.problems.append(self.source.problem(key, expected, got))

    def mapping(
        self, data: dict[str, Any], key: KeyPath, keys: tuple[str, ...], required: tuple[str, ...], what: str
    ) -> dict[str, Any] | None:
        value = data.get(str(key[-1]))
        if value is None:
            if str(key[-1]) in data:  # an explicit null; a missing key is the parent's to report
                self.fail(key, f"a mapping with {what}", value)
            return None
        if not isinstance(value, dict):
            self.fail(key, f"a mapping with {what}", value)
            return None
        for extra in value:
            if extra not in keys:
                self.fail((*key, str(extra)), f"one of the keys {', '.join(keys)}", str(extra))
        for needed in required:
            if needed not in value:
                self.fail((*key, needed), f"a value ({what})")
        return value

    def integer(
        self, data: dict[str, Any], key: KeyPath, expected: str, low: int = 0, high: int = 2**32
    ) -> int | None:
        value = data.get(str(key[-1]))
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.fail(key, expected, value)
            return None
        return value

    def text(
        self, data: dict[str, Any], key: KeyPath, expected: str, pattern: re.Pattern[str] = _WORD
    ) -> str | None:
        value = data.get(str(key[-1]))
        if value is None:
            return None
        if not isinstance(value, str) or not pattern.fullmatch(value):
            self.fail(key, expected, value)
            return None
        return value

    def choice(self, data: dict[str, Any], key: KeyPath, choices: tuple[str, ...]) -> str | None:
        value = data.get(str(key[-1]))
        if value is None:
            return None
        if value not in choices:
            self.fail(key, f"one of {', '.join(choices)}", value)
            return None
        return str(value)

    def region(self, data: dict[str, Any], key: KeyPath) -> MemoryRegion | None:
        value = self.mapping(data, key, ("base", "size"), ("base", "size"), "base and size (bytes)")
        if value is None:
            return None
        base = self.integer(value, (*key, "base"), "an address 0x0..0xffffffff")
        size = self.integer(value, (*key, "size"), "a size in bytes, 1..4 GiB", 1)
        if base is None or size is None:
            return None
        if base + size > 2**32:
            self.fail((*key, "size"), f"a region ending by 0x100000000 (base {base:#x})", size)
            return None
        return MemoryRegion(base, size)

    def uart(self, data: dict[str, Any], key: KeyPath, modem: bool) -> Uart | None:
        keys = ("uart", "baud", "dialect") if modem else ("uart", "baud")
        value = self.mapping(data, key, keys, ("uart",), "uart (the MCU's UART name) and baud")
        if value is None:
            return None
        name = self.text(value, (*key, "uart"), "the MCU's UART name, e.g. uart1 or usart2")
        internal = modem and name == INTERNAL_MODEM
        baud = self.integer(value, (*key, "baud"), "a baud rate, 1200..4000000", 1200, 4_000_000)
        if internal and "baud" in value:
            self.fail(
                (*key, "baud"), "no baud rate for an internal modem (it is not on a UART)", value["baud"]
            )
        elif not internal and "baud" not in value:
            self.fail((*key, "baud"), "a baud rate, 1200..4000000")
        dialect = self.choice(value, (*key, "dialect"), DIALECT_NAMES) if modem else None
        if name is None or (baud is None and not internal):
            return None
        return Uart(name, None if internal else baud, dialect)

    def board(self, expected_name: str | None) -> Board | None:
        data = self.source.data
        if not isinstance(data, dict):
            self.fail(
                (), "a mapping with the board's keys (name, mcu, config_block, console, flash, ...)", data
            )
            return None
        for key in data:
            if key not in TOP_KEYS:
                self.fail((str(key),), f"one of the keys {', '.join(TOP_KEYS)}", str(key))
        for key in ("name", "mcu", "config_block", "console", "flash", "targets"):
            if key not in data:
                self.fail((key,), "a value (every board file needs one)")
        name = self.text(data, ("name",), "a board name (lower-case letters, digits, '.', '_', '-')", _NAME)
        if name is not None and expected_name is not None and name != expected_name:
            self.fail(("name",), f"the file's name {expected_name!r} (boards/<name>.yaml)", name)
        description = data.get("description", "")
        if not isinstance(description, str):
            self.fail(("description",), "a line of text", description)
        mcu = self.mcu(data)
        place = self.config_block(data, mcu)
        console = self.uart(data, ("console",), modem=False) if "console" in data else None
        modem = self.uart(data, ("modem",), modem=True) if "modem" in data else None
        method, qemu, pyocd, west = self.flashing(data)
        targets = self.targets(data)
        if self.problems or None in (name, mcu, place, console, method):
            return None
        assert name is not None and mcu is not None and place is not None and console is not None
        assert method is not None
        return Board(
            name=name,
            description=str(description),
            mcu=mcu,
            config_block=place,
            console=console,
            modem=modem,
            flash_method=method,
            qemu=qemu,
            pyocd=pyocd,
            west=west,
            targets=targets,
            source=Path(self.source.file),
        )

    def mcu(self, data: dict[str, Any]) -> Mcu | None:
        value = self.mapping(
            data,
            ("mcu",),
            ("family", "cpu", "flash", "ram"),
            ("family", "cpu", "flash", "ram"),
            "family, cpu, flash and ram",
        )
        if value is None:
            return None
        family = self.choice(value, ("mcu", "family"), MCU_FAMILIES)
        cpu = self.text(value, ("mcu", "cpu"), "a CPU name, e.g. cortex-m4")
        flash = self.region(value, ("mcu", "flash"))
        ram = self.region(value, ("mcu", "ram"))
        if family is None or cpu is None or flash is None or ram is None:
            return None
        return Mcu(family, cpu, flash, ram)

    def config_block(self, data: dict[str, Any], mcu: Mcu | None) -> ConfigBlockPlace | None:
        value = self.mapping(
            data,
            ("config_block",),
            ("address", "size"),
            ("address", "size"),
            "address and size (the firmware's .nce_config section)",
        )
        if value is None:
            return None
        address = self.integer(value, ("config_block", "address"), "an address in the MCU's flash")
        size = self.integer(
            value, ("config_block", "size"), f"at least {BLOCK_SIZE} bytes", BLOCK_SIZE, 1 << 20
        )
        if address is None or size is None:
            return None
        if mcu is not None and not mcu.flash.contains(address, size):
            flash = mcu.flash
            self.fail(
                ("config_block", "address"),
                f"a block inside the MCU's flash {flash.base:#010x}..{flash.end:#010x}",
                f"{address:#010x}",
            )
            return None
        return ConfigBlockPlace(address, size)

    def flashing(
        self, data: dict[str, Any]
    ) -> tuple[str | None, QemuSpec | None, PyocdSpec | None, WestSpec | None]:
        value = self.mapping(
            data, ("flash",), ("method",), ("method",), f"method ({', '.join(FLASH_METHODS)})"
        )
        method = self.choice(value, ("flash", "method"), FLASH_METHODS) if value else None
        qemu = pyocd = west = None
        if "qemu" in data:
            spec = self.mapping(data, ("qemu",), ("machine", "cpu"), ("machine", "cpu"), "machine and cpu")
            if spec is not None:
                machine = self.text(
                    spec, ("qemu", "machine"), "a QEMU machine name (qemu-system-arm -M help)"
                )
                cpu = self.text(spec, ("qemu", "cpu"), "a QEMU CPU name")
                qemu = QemuSpec(machine, cpu) if machine and cpu else None
        if "pyocd" in data:
            spec = self.mapping(data, ("pyocd",), ("target",), ("target",), "target (pyocd list --targets)")
            if spec is not None:
                target = self.text(
                    spec,
                    ("pyocd", "target"),
                    "a pyOCD target name (pyocd list --targets)",
                    re.compile(r"[a-z0-9_]{2,64}"),
                )
                pyocd = PyocdSpec(target) if target else None
        if "west" in data:
            spec = self.mapping(
                data, ("west",), ("board", "runner", "args"), ("board", "runner"), "board and runner"
            )
            if spec is not None:
                west = self.west(spec)
        needed = {"qemu": qemu, "pyocd": pyocd, "west": west}
        if method is not None and needed[method] is None and method not in data:
            self.fail((method,), f"a {method} section (flash.method is {method})")
        return method, qemu, pyocd, west

    def west(self, spec: dict[str, Any]) -> WestSpec | None:
        board = self.text(spec, ("west", "board"), "a Zephyr board target, e.g. nrf9160dk/nrf9160/ns")
        runner = self.choice(spec, ("west", "runner"), WEST_RUNNERS)
        args = spec.get("args", [])
        if not isinstance(args, list) or not all(isinstance(arg, str) for arg in args):
            self.fail(("west", "args"), "a list of extra runner arguments (strings)", args)
            args = None
        if board is None or runner is None or args is None:
            return None
        return WestSpec(board, runner, tuple(args))

    def targets(self, data: dict[str, Any]) -> tuple[str, ...]:
        value = data.get("targets")
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            self.fail(
                ("targets",), f"a non-empty list of firmware ports ({', '.join(FIRMWARE_TARGETS)})", value
            )
            return ()
        seen: list[str] = []
        for position, item in enumerate(value):
            if item not in FIRMWARE_TARGETS:
                self.fail(("targets", position), f"one of {', '.join(FIRMWARE_TARGETS)}", item)
            elif item in seen:
                self.fail(("targets", position), "each port once", item)
            else:
                seen.append(str(item))
        return tuple(seen)
