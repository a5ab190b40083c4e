"""Builds tests/c/qemu_probe_main.c with the bare-metal mps2-an385 board support into a scratch
directory: a tiny image that echoes modem lines to the console and exits on request."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOARD_DIR = ROOT / "firmware" / "baremetal" / "boards" / "mps2-an385"


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path is not None, f"{name} not found: run bin/setup (bin/apt-packages.txt installs it)"
    return path


def build(out_dir: Path) -> Path:
    """probe.elf (and probe.bin beside it) in out_dir."""
    elf = out_dir / "probe.elf"
    command = [
        tool("arm-none-eabi-gcc"), "-mcpu=cortex-m3", "-mthumb", "-Os", "-g", "-std=c99",
        "-Wall", "-Wextra", "-Werror", "-pedantic", "-ffunction-sections", "-fdata-sections",
        f"-I{BOARD_DIR}", f"-I{ROOT / 'firmware' / 'common' / 'include'}",
        "--specs=nano.specs", "--specs=nosys.specs", "-nostartfiles", "-Wl,--gc-sections",
        "-T", str(BOARD_DIR / "mps2-an385.ld"),
        str(BOARD_DIR / "startup.c"), str(BOARD_DIR / "board.c"),
        str(ROOT / "tests" / "c" / "qemu_probe_main.c"),
        "-o", str(elf),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, f"probe image build failed:\n{result.stderr}"
    objcopy = tool("arm-none-eabi-objcopy")
    subprocess.run([objcopy, "-O", "binary", str(elf), str(out_dir / "probe.bin")], check=True)
    return elf
