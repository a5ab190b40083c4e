"""Image stamping: write a config block (hil/firmware/config_block.py) into a built firmware image
without rebuilding it, and read it back.

Three formats, each with its own idea of where the block is:
- ELF: the `.nce_config` section (the firmware's linker scripts put it at the board's
  config_block address); its bytes are replaced in the file, so the section and the loadable
  segment that carries it change together.
- Intel HEX: the 256 addresses from the block's address on (intelhex); every one must be present.
- raw BIN: offset = block address - flash base (the image starts at the flash base).

The input is never modified: the stamped image goes to `out` (written whole, then renamed).
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hil.firmware import config_block
from hil.firmware.boards import Board, MemoryRegion
from hil.firmware.config_block import BLOCK_SIZE, ConfigBlockError, FirmwareConfig

IMAGE_FORMATS = ("elf", "hex", "bin")
SECTION_NAME = ".nce_config"
# Without a board: the layout every firmware linker script in this repository uses (mps2-an385).
DEFAULT_BLOCK_ADDRESS = 0x00000400
DEFAULT_FLASH_BASE = 0x00000000

_EM_ARM = 40
_SHT_PROGBITS = 1
_SHT_NOBITS = 8
_SHF_ALLOC = 0x2
_PT_LOAD = 1
_ELF_MACHINES = {_EM_ARM: "ARM", 3: "x86", 62: "x86-64", 183: "AArch64", 243: "RISC-V"}


class ImageError(ValueError):
    """An image that cannot be stamped or read; the message names the file and what is wrong."""


@dataclass(frozen=True)
class StampInfo:
    """What `read_config` found: where the block is and what is in it."""

    image: Path
    format: str  # elf | hex | bin
    address: int  # the block's address in flash
    offset: int | None  # its offset in the file (None for HEX)
    state: str  # "stamped" | "erased" (no block: the firmware uses its defaults) | "corrupt"
    config: FirmwareConfig | None
    problem: str | None  # why it is corrupt
    board: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "image": str(self.image),
            "format": self.format,
            "address": f"{self.address:#010x}",
            "offset": self.offset,
            "state": self.state,
            "config": self.config.to_json() if self.config else None,
            "problem": self.problem,
            "board": self.board,
        }


def detect_format(image: Path) -> str:
    """'elf', 'hex' or 'bin' from the content (ELF magic, a ':' record) or the .bin suffix."""
    try:
        with image.open("rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise ImageError(f"{image}: cannot read: {exc.strerror}") from None
    if head == b"\x7fELF":
        return "elf"
    if head[:1] == b":" and image.suffix.lower() in (".hex", ".ihex", ".ihx", ""):
        return "hex"
    if image.suffix.lower() == ".bin":
        return "bin"
    raise ImageError(
        f"{image}: unknown image format (first bytes {head!r}, suffix {image.suffix or 'none'!r}); "
        "expected an ELF file, an Intel HEX file (.hex) or a raw binary (.bin)"
    )


def load_config_file(path: Path) -> FirmwareConfig:
    """The settings in a YAML or JSON file with FirmwareConfig's keys (unset keys keep defaults)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise ConfigBlockError(f"{path}: cannot read: {reason}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
        raise ConfigBlockError(f"{path}: not valid {kind}: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigBlockError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    return FirmwareConfig.from_mapping(data, where=str(path))


def read_config(image: Path, board: Board | None = None) -> StampInfo:
    """Where `image` holds its config block and what it says (erased, stamped or corrupt)."""
    place = _locate(image, board)
    block = place.read()
    if config_block.is_erased(block):
        state, config, problem = "erased", None, None
    else:
        try:
            config, state, problem = config_block.decode(block), "stamped", None
        except ConfigBlockError as exc:
            state, config, problem = "corrupt", None, str(exc)
    return StampInfo(
        image=image,
        format=place.format,
        address=place.address,
        offset=place.offset,
        state=state,
        config=config,
        problem=problem,
        board=board.name if board else None,
    )


def stamp(
    image: Path, config: FirmwareConfig, out: Path, board: Board | None = None, *, force: bool = False
) -> StampInfo:
    """Write `config`'s block into a copy of `image` at `out` and return what `out` now holds.

    Refuses (unless `force`) when the bytes at the block's place are neither erased nor a config
    block: that image was laid out differently and the stamp would overwrite code."""
    try:
        block = config_block.encode(config)
    except ConfigBlockError as exc:
        raise ConfigBlockError(f"config does not fit the block: {exc}") from None
    place = _locate(image, board)
    current = place.read()
    if not force and not config_block.is_erased(current) and current[:4] != config_block.MAGIC:
        raise ImageError(
            f"{image}: the {BLOCK_SIZE} bytes at {place.address:#010x} are neither erased nor a config "
            f"block (they start {current[:8].hex(' ')}): is the image laid out for "
            f"{'board ' + board.name if board else 'a config block at that address'}? (force to overwrite)"
        )
    _write_atomically(out, place.replaced(block))
    info = read_config(out, board)
    if info.config != config:  # read back what was written: a stamp is only done when it reads back
        raise ImageError(f"{out}: the stamped block does not read back ({info.state}: {info.problem})")
    return info


# --- where the block is, per format -------------------------------------------------------------


@dataclass
class _Place:
    format: str
    address: int
    offset: int | None
    content: bytes  # the whole file (ELF, BIN)
    hex_data: Any = None  # intelhex.IntelHex (HEX)

    def read(self) -> bytes:
        if self.hex_data is not None:
            return bytes(self.hex_data.tobinarray(start=self.address, size=BLOCK_SIZE))
        assert self.offset is not None
        return self.content[self.offset : self.offset + BLOCK_SIZE]

    def replaced(self, block: bytes) -> bytes:
        if self.hex_data is not None:
            import io

            self.hex_data.puts(self.address, block)
            text = io.StringIO()
            self.hex_data.write_hex_file(text)
            return text.getvalue().encode("ascii")
        assert self.offset is not None
        return self.content[: self.offset] + block + self.content[self.offset + BLOCK_SIZE :]


def _locate(image: Path, board: Board | None) -> _Place:
    if board is not None and board.config_block.size < BLOCK_SIZE:
        raise ImageError(
            f"board {board.name}: reserves {board.config_block.size} bytes for the config block, "
            f"the block needs {BLOCK_SIZE}"
        )
    kind = detect_format(image)
    if kind == "elf":
        return _locate_elf(image, board)
    if kind == "hex":
        return _locate_hex(image, board)
    return _locate_bin(image, board)


def _board_flash(board: Board | None) -> MemoryRegion | None:
    return board.mcu.flash if board else None


def _wanted_address(board: Board | None) -> int:
    return board.config_block.address if board else DEFAULT_BLOCK_ADDRESS


def _locate_bin(image: Path, board: Board | None) -> _Place:
    content = image.read_bytes()
    address = _wanted_address(board)
    flash = _board_flash(board)
    base = flash.base if flash else DEFAULT_FLASH_BASE
    if flash and len(content) > flash.size:
        raise ImageError(
            f"{image}: {len(content)} bytes, larger than board {board.name if board else ''}'s flash "
            f"({flash.size} bytes at {flash.base:#010x}): an image for another board?"
        )
    offset = address - base
    if offset < 0:
        raise ImageError(f"{image}: the block's address {address:#010x} is below the flash base {base:#010x}")
    if len(content) < offset + BLOCK_SIZE:
        raise ImageError(
            f"{image}: {len(content)} bytes, so it does not cover the config block at offset {offset:#x}"
            f"..{offset + BLOCK_SIZE:#x} (address {address:#010x} - flash base {base:#010x})"
        )
    return _Place("bin", address, offset, content)


def _locate_hex(image: Path, board: Board | None) -> _Place:
    from intelhex import HexReaderError, IntelHex

    data = IntelHex()
    try:
        data.loadhex(str(image))
    except (HexReaderError, UnicodeDecodeError, ValueError) as exc:
        raise ImageError(f"{image}: not a valid Intel HEX file: {exc}") from None
    address = _wanted_address(board)
    flash = _board_flash(board)
    segments: list[tuple[int, int]] = data.segments()
    if flash:
        for start, stop in segments:
            if not flash.contains(start, stop - start):
                raise ImageError(
                    f"{image}: data at {start:#010x}..{stop:#010x} lies outside board "
                    f"{board.name if board else ''}'s flash ({flash.base:#010x}..{flash.end:#010x}): "
                    "an image for another board?"
                )
    end = address + BLOCK_SIZE
    covered = [
        (max(start, address), min(stop, end)) for start, stop in segments if start < end and stop > address
    ]
    if not covered:
        raise ImageError(
            f"{image}: has no data at the config block's addresses {address:#010x}..{end:#010x}: "
            "was it built with the .nce_config section?"
        )
    gaps = []
    cursor = address
    for start, stop in sorted(covered):
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, stop)
    if cursor < end:
        gaps.append((cursor, end))
    if gaps:
        listed = ", ".join(f"{a:#010x}..{b:#010x}" for a, b in gaps)
        raise ImageError(f"{image}: the config block at {address:#010x}..{end:#010x} has gaps at {listed}")
    return _Place("hex", address, None, b"", hex_data=data)


_ELF_HEADER = struct.Struct("<16sHHIIIIIHHHHHH")
_SECTION = struct.Struct("<IIIIIIIIII")
_SEGMENT = struct.Struct("<IIIIIIII")


def _locate_elf(image: Path, board: Board | None) -> _Place:
    content = image.read_bytes()
    if len(content) < _ELF_HEADER.size:
        raise ImageError(f"{image}: truncated ELF header ({len(content)} bytes)")
    ident = content[:16]
    if ident[4] != 1 or ident[5] != 1:
        raise ImageError(
            f"{image}: a {'64' if ident[4] == 2 else '?'}-bit, "
            f"{'big' if ident[5] == 2 else 'little'}-endian ELF; expected a 32-bit little-endian "
            "(Cortex-M) firmware image"
        )
    (_, _, machine, _, entry, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum, shstrndx) = (
        _ELF_HEADER.unpack_from(content)
    )
    if board is not None:
        _check_elf_board(image, board, machine, entry)
    sections = [
        _read(image, content, _SECTION, shoff + i * shentsize, "section header") for i in range(shnum)
    ]
    if shstrndx >= len(sections):
        raise ImageError(f"{image}: no section name table (e_shstrndx {shstrndx}, {shnum} sections)")
    names = sections[shstrndx]
    found = None
    for section in sections:
        if _name(content, names, section[0]) == SECTION_NAME:
            found = section
    if found is None:
        raise ImageError(
            f"{image}: has no {SECTION_NAME} section: the firmware's linker script reserves one "
            f"({BLOCK_SIZE} bytes at the board's config_block address)"
        )
    _, kind, flags, addr, offset, size = found[:6]
    if kind == _SHT_NOBITS or not flags & _SHF_ALLOC:
        raise ImageError(f"{image}: {SECTION_NAME} has no contents in the image (NOBITS or not allocated)")
    if size != BLOCK_SIZE:
        raise ImageError(f"{image}: {SECTION_NAME} is {size} bytes, expected {BLOCK_SIZE}")
    if offset + size > len(content):
        raise ImageError(f"{image}: {SECTION_NAME} runs past the end of the file (truncated ELF?)")
    load = _load_address(image, content, phoff, phentsize, phnum, offset)
    if load is None:
        raise ImageError(
            f"{image}: {SECTION_NAME} (at {addr:#010x}) is in no loadable segment: a flasher skips it"
        )
    if board is not None and load != board.config_block.address:
        raise ImageError(
            f"{image}: {SECTION_NAME} is loaded at {load:#010x}, board {board.name} reads its config block "
            f"at {board.config_block.address:#010x}: an image for another board?"
        )
    return _Place("elf", load, offset, content)


def _check_elf_board(image: Path, board: Board, machine: int, entry: int) -> None:
    if board.mcu.family.startswith("cortex-m") and machine != _EM_ARM:
        name = _ELF_MACHINES.get(machine, f"machine {machine}")
        raise ImageError(f"{image}: built for {name}, board {board.name} has an ARM {board.mcu.family}")
    flash = board.mcu.flash
    if not flash.contains(entry & ~1):
        raise ImageError(
            f"{image}: entry point {entry:#010x} is outside board {board.name}'s flash "
            f"({flash.base:#010x}..{flash.end:#010x}): an image for another board?"
        )


def _read(image: Path, content: bytes, layout: struct.Struct, at: int, what: str) -> tuple[int, ...]:
    if at + layout.size > len(content):
        raise ImageError(f"{image}: {what} at offset {at:#x} runs past the end of the file (truncated ELF?)")
    return layout.unpack_from(content, at)


def _name(content: bytes, names: tuple[int, ...], index: int) -> str:
    start = names[4] + index
    end = content.find(b"\0", start, names[4] + names[5])
    return content[start:end].decode("latin-1") if end >= 0 else ""


def _load_address(
    image: Path, content: bytes, phoff: int, phentsize: int, phnum: int, offset: int
) -> int | None:
    """The physical (flash) address of file offset `offset`, from the PT_LOAD segment holding it."""
    for i in range(phnum):
        kind, p_offset, _vaddr, paddr, filesz = _read(
            image, content, _SEGMENT, phoff + i * phentsize, "program header"
        )[:5]
        if kind == _PT_LOAD and p_offset <= offset and offset + BLOCK_SIZE <= p_offset + filesz:
            return paddr + (offset - p_offset)
    return None


def _write_atomically(out: Path, data: bytes) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
