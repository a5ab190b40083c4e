"""Image stamping (hil/firmware/image.py, `hil image stamp/info`) on real images: a tiny Cortex-M3
program linked with the bare-metal mps2-an385 linker script by arm-none-eabi-gcc, and the .bin and
.hex that arm-none-eabi-objcopy makes from it (as the firmware Makefile does)."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from intelhex import IntelHex

from hil.cli.main import cli
from hil.firmware import config_block
from hil.firmware.boards import Board, ConfigBlockPlace, Mcu, MemoryRegion, Uart
from hil.firmware.config_block import ConfigBlockError, FirmwareConfig
from hil.firmware.image import ImageError, detect_format, read_config, stamp

ROOT = Path(__file__).resolve().parents[1]
LINKER_SCRIPT = ROOT / "firmware" / "baremetal" / "boards" / "mps2-an385" / "mps2-an385.ld"
BLOCK = 0x400

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs arm-none-eabi-gcc")

PROGRAM = r"""
#include <stdint.h>
extern uint32_t _estack;
void Reset_Handler(void);
__attribute__((section(".isr_vector"), used))
static const uintptr_t vectors[2] = {(uintptr_t)&_estack, (uintptr_t)Reset_Handler};
#define FF4 0xFFu, 0xFFu, 0xFFu, 0xFFu
#define FF16 FF4, FF4, FF4, FF4
#define FF64 FF16, FF16, FF16, FF16
__attribute__((section(".nce_config"), used))
static const uint8_t config_block[256] = {FF64, FF64, FF64, FF64};
volatile uint32_t counter = 5;
void Reset_Handler(void) { for (;;) { counter += config_block[0]; } }
"""

MPS2 = Board(
    name="mps2-an385",
    description="test board",
    mcu=Mcu("cortex-m3", "cortex-m3", MemoryRegion(0, 0x400000), MemoryRegion(0x20000000, 0x400000)),
    config_block=ConfigBlockPlace(BLOCK, 256),
    console=Uart("uart0", 115200),
    modem=Uart("uart1", 115200),
    flash_method="qemu",
)
STM32 = replace(
    MPS2,
    name="stm32-like",
    mcu=Mcu("cortex-m4f", "cortex-m4", MemoryRegion(0x08000000, 0x100000), MemoryRegion(0x20000000, 0x50000)),
    config_block=ConfigBlockPlace(0x08000400, 256),
)
CONFIG = FirmwareConfig(apn="test.apn", udp_host="127.0.0.1", udp_port=40001, uplink_period_s=7, run_for_s=30)


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """elf, hex, bin of the program, plus an ELF without the .nce_config section."""
    out = tmp_path_factory.mktemp("image")
    (out / "prog.c").write_text(PROGRAM)
    elf = out / "prog.elf"
    subprocess.run(
        [
            "arm-none-eabi-gcc",
            "-mcpu=cortex-m3",
            "-mthumb",
            "-Os",
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-nostartfiles",
            "--specs=nosys.specs",
            "-T",
            str(LINKER_SCRIPT),
            str(out / "prog.c"),
            "-o",
            str(elf),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    for fmt, suffix in (("binary", "bin"), ("ihex", "hex")):
        subprocess.run(
            ["arm-none-eabi-objcopy", "-O", fmt, str(elf), str(out / f"prog.{suffix}")],
            check=True,
            timeout=30,
        )
    subprocess.run(
        ["arm-none-eabi-objcopy", "--remove-section", ".nce_config", str(elf), str(out / "noblock.elf")],
        check=True,
        timeout=30,
    )
    return {"elf": elf, "bin": out / "prog.bin", "hex": out / "prog.hex", "noblock": out / "noblock.elf"}


def _changed(before: bytes, after: bytes) -> list[int]:
    assert len(before) == len(after)
    return [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]


@pytest.mark.parametrize("fmt", ["elf", "bin", "hex"])
def test_fresh_image_has_an_erased_block(images: dict[str, Path], fmt: str) -> None:
    info = read_config(images[fmt], MPS2)
    assert (info.format, info.state, info.address, info.config) == (fmt, "erased", BLOCK, None)
    assert detect_format(images[fmt]) == fmt


@pytest.mark.parametrize("fmt", ["elf", "bin"])
def test_stamp_round_trip_changes_only_the_block(images: dict[str, Path], fmt: str, tmp_path: Path) -> None:
    source = images[fmt]
    before = source.read_bytes()
    out = tmp_path / f"stamped.{fmt}"
    info = stamp(source, CONFIG, out, MPS2)
    assert info.state == "stamped" and info.config == CONFIG
    assert source.read_bytes() == before  # the input is untouched
    after = out.read_bytes()
    assert after[info.offset : info.offset + 256] == config_block.encode(CONFIG)  # type: ignore[operator]
    changed = _changed(before, after)
    assert changed and all(info.offset <= i < info.offset + 256 for i in changed)  # type: ignore[operator]
    assert read_config(out).config == CONFIG  # also without a board


def test_stamp_hex_round_trip(images: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "stamped.hex"
    assert stamp(images["hex"], CONFIG, out, MPS2).config == CONFIG
    before, after = IntelHex(str(images["hex"])), IntelHex(str(out))
    assert before.segments() == after.segments()
    assert after.tobinstr(start=BLOCK, size=256) == config_block.encode(CONFIG)
    outside = [a for a in before.addresses() if not BLOCK <= a < BLOCK + 256]
    assert all(before[a] == after[a] for a in outside)
    assert after.start_addr == before.start_addr  # the entry record survives


def test_stamped_elf_converts_to_the_stamped_bin(images: dict[str, Path], tmp_path: Path) -> None:
    """The section and its loadable segment change together: objcopy of the stamped ELF gives
    exactly the stamped BIN (what a flasher writes from either is the same)."""
    stamp(images["elf"], CONFIG, tmp_path / "s.elf", MPS2)
    stamp(images["bin"], CONFIG, tmp_path / "s.bin", MPS2)
    subprocess.run(
        ["arm-none-eabi-objcopy", "-O", "binary", str(tmp_path / "s.elf"), str(tmp_path / "c.bin")],
        check=True,
        timeout=30,
    )
    assert (tmp_path / "c.bin").read_bytes() == (tmp_path / "s.bin").read_bytes()


def test_restamp_replaces_the_block(images: dict[str, Path], tmp_path: Path) -> None:
    first = tmp_path / "a.elf"
    stamp(images["elf"], CONFIG, first)
    second = replace(CONFIG, apn="other.apn", log_level=3)
    assert stamp(first, second, first).config == second  # in place through a temp file


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [(0, b"XXXX", "bad magic"), (4, struct.pack("<H", 2), "version 2"), (40, b"\x01", "CRC")],
)
def test_info_says_why_a_block_is_corrupt(
    images: dict[str, Path], tmp_path: Path, field: int, value: bytes, why: str
) -> None:
    out = tmp_path / "s.bin"
    stamp(images["bin"], CONFIG, out)
    data = bytearray(out.read_bytes())
    data[BLOCK + field : BLOCK + field + len(value)] = value
    if field < 8:  # a header change with a valid CRC: the header check must name it, not the CRC
        data[BLOCK + 252 : BLOCK + 256] = struct.pack("<I", zlib.crc32(bytes(data[BLOCK : BLOCK + 252])))
    out.write_bytes(bytes(data))
    info = read_config(out)
    assert info.state == "corrupt" and info.config is None
    assert info.problem is not None and why in info.problem
    code, stdout, _ = _hil("image", "info", str(out), "--json")
    assert code == 1
    assert json.loads(stdout)["state"] == "corrupt" and why in json.loads(stdout)["problem"]


def test_a_config_too_large_for_the_block(images: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigBlockError, match=r"does not fit the block: apn: at most 31 bytes, got 40"):
        stamp(images["elf"], replace(CONFIG, apn="a" * 40), tmp_path / "x.elf")
    assert not (tmp_path / "x.elf").exists()
    small = replace(MPS2, config_block=ConfigBlockPlace(BLOCK, 128))
    with pytest.raises(ImageError, match="reserves 128 bytes for the config block, the block needs 256"):
        stamp(images["elf"], CONFIG, tmp_path / "x.elf", small)


def test_hex_with_gaps_over_the_block(images: dict[str, Path], tmp_path: Path) -> None:
    data = IntelHex(str(images["hex"]))
    for address in range(BLOCK + 0x10, BLOCK + 0x20):
        del data[address]
    gappy = tmp_path / "gappy.hex"
    data.write_hex_file(str(gappy))
    with pytest.raises(ImageError, match=r"has gaps at 0x00000410\.\.0x00000420"):
        stamp(gappy, CONFIG, tmp_path / "out.hex")
    for address in range(BLOCK, BLOCK + 256):
        if address in data.addresses():
            del data[address]
    data.write_hex_file(str(gappy))
    with pytest.raises(ImageError, match="has no data at the config block's addresses"):
        read_config(gappy)


def test_images_for_another_board(images: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"entry point 0x0*[0-9a-f]+ is outside board stm32-like's flash"):
        stamp(images["elf"], CONFIG, tmp_path / "x.elf", STM32)
    with pytest.raises(ImageError, match=r"lies outside board stm32-like's flash"):
        stamp(images["hex"], CONFIG, tmp_path / "x.hex", STM32)
    tiny = replace(MPS2, name="tiny", mcu=replace(MPS2.mcu, flash=MemoryRegion(0, 1024)))
    with pytest.raises(ImageError, match=r"larger than board tiny's flash \(1024 bytes"):
        stamp(images["bin"], CONFIG, tmp_path / "x.bin", tiny)
    x86 = tmp_path / "x86.elf"
    data = bytearray(images["elf"].read_bytes())
    data[18:20] = struct.pack("<H", 62)
    x86.write_bytes(bytes(data))
    with pytest.raises(ImageError, match="built for x86-64, board mps2-an385 has an ARM cortex-m3"):
        read_config(x86, MPS2)
    moved = replace(MPS2, config_block=ConfigBlockPlace(0x800, 256))
    with pytest.raises(
        ImageError, match=r"loaded at 0x00000400, board mps2-an385 reads its config block at 0x00000800"
    ):
        read_config(images["elf"], moved)


def test_bytes_that_are_not_a_block_are_not_overwritten(images: dict[str, Path], tmp_path: Path) -> None:
    code_place = replace(MPS2, config_block=ConfigBlockPlace(0x0, 256))  # the vector table
    with pytest.raises(ImageError, match="neither erased nor a config block"):
        stamp(images["bin"], CONFIG, tmp_path / "x.bin", code_place)
    assert stamp(images["bin"], CONFIG, tmp_path / "x.bin", code_place, force=True).config == CONFIG


def test_elf_without_the_section_and_other_bad_files(images: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"has no \.nce_config section"):
        read_config(images["noblock"])
    unknown = tmp_path / "image.txt"
    unknown.write_bytes(b"hello world")
    with pytest.raises(ImageError, match=r"unknown image format .*expected an ELF file, an Intel HEX file"):
        read_config(unknown)
    truncated = tmp_path / "short.elf"
    truncated.write_bytes(images["elf"].read_bytes()[:200])
    with pytest.raises(ImageError, match="truncated ELF"):
        read_config(truncated)
    short_bin = tmp_path / "short.bin"
    short_bin.write_bytes(b"\0" * 0x450)
    with pytest.raises(ImageError, match="does not cover the config block"):
        read_config(short_bin)
    broken_hex = tmp_path / "broken.hex"
    broken_hex.write_text(":10000000FFFF\n")
    with pytest.raises(ImageError, match="not a valid Intel HEX file"):
        read_config(broken_hex)


def _hil(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_stamp_and_info(images: dict[str, Path], tmp_path: Path) -> None:
    config_yaml = tmp_path / "fw.yaml"
    config_yaml.write_text("apn: cli.apn\nuplink_period_s: 12\nlog_level: debug\n")
    out = tmp_path / "s.hex"
    code, stdout, stderr = _hil(
        "image", "stamp", str(images["hex"]), "--config", str(config_yaml), "-o", str(out), "--json"
    )
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["ok"] and report["state"] == "stamped" and report["address"] == "0x00000400"
    assert report["config"]["apn"] == "cli.apn" and report["config"]["log_level"] == 3
    code, stdout, _ = _hil("image", "info", str(out))
    assert code == 0
    assert "cli.apn" in stdout and "stamped" in stdout and "0x00000400" in stdout
    code, stdout, _ = _hil("image", "info", str(images["elf"]))
    assert code == 0 and "erased" in stdout and "defaults" in stdout
    config_json = tmp_path / "fw.json"
    config_json.write_text(json.dumps({"apn": "x", "colour": "red"}))
    code, stdout, stderr = _hil(
        "image", "stamp", str(images["elf"]), "--config", str(config_json), "-o", str(tmp_path / "x.elf")
    )
    assert code == 1 and "unknown key 'colour'" in stderr and str(config_json) in stderr
    code, _, stderr = _hil("image", "stamp", str(images["elf"]), "-o", str(tmp_path / "x.elf"))
    assert code == 2 and "--config" in stderr
    code, stdout, _ = _hil("image", "info", str(images["noblock"]), "--json")
    assert code == 1 and "no .nce_config section" in json.loads(stdout)["error"]
