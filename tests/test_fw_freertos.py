"""The FreeRTOS port (firmware/freertos): CMake build against the user's kernel, the board's
vector table and config block, and the port check image in QEMU against a simulated modem.

Building needs FREERTOS_KERNEL_PATH (a FreeRTOS-Kernel checkout); those tests are skipped with
that reason when it is unset. The configure-time error tests run everywhere.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hil.firmware.config_block import FirmwareConfig, encode
from hil.virtual.modem_sim.runner import ModemSimulator
from tests.support import freertos_fw

needs_kernel = pytest.mark.skipif(freertos_fw.kernel_path() is None, reason=freertos_fw.SKIP_REASON)

CONFIG_ADDRESS = 0x00000400  # boards/mps2-an385.yaml config_address
LINE = re.compile(r"^(\d+) ([EWID]) (\S+)(?: (.*))?$")


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path is not None, f"{name} not found: run bin/setup (bin/apt-packages.txt installs it)"
    return path


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return freertos_fw.build(tmp_path_factory.mktemp("fw-freertos"), "mps2-an385", freertos_fw.kernel_path())


def _run_qemu(elf: Path, modem_url: str, timeout: float = 120.0) -> tuple[int, list[str]]:
    port = modem_url.rsplit(":", 1)[1]
    command = [
        _tool("qemu-system-arm"), "-M", "mps2-an385", "-cpu", "cortex-m3", "-nographic",
        "-monitor", "none", "-semihosting-config", "enable=on,target=native", "-kernel", str(elf),
        "-serial", "stdio", "-serial", f"tcp:127.0.0.1:{port}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=timeout)
    return result.returncode, result.stdout.splitlines()


def _events(lines: list[str]) -> list[tuple[str, str, dict[str, str]]]:
    """(level, event, fields) of every console line; a line of another shape fails the test."""
    events = []
    for line in lines:
        match = LINE.match(line)
        assert match, f"console line not in the '<ms> <LEVEL> <event> key=value' format: {line!r}"
        fields = dict(part.split("=", 1) for part in (match.group(4) or "").split() if "=" in part)
        events.append((match.group(2), match.group(3), fields))
    return events


@pytest.fixture
def modem() -> Iterator[ModemSimulator]:
    with ModemSimulator("bg95", time_scale=0.01) as sim:
        yield sim


# ---- configure-time errors (no kernel needed) ---------------------------------------------------


def test_configure_without_kernel_path_says_what_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != freertos_fw.KERNEL_ENV}
    result = freertos_fw.configure(tmp_path / "b", env=env)
    assert result.returncode != 0
    assert "FREERTOS_KERNEL_PATH is not set" in result.stderr


def test_configure_with_a_directory_that_is_no_kernel(tmp_path: Path) -> None:
    result = freertos_fw.configure(tmp_path / "b", kernel=tmp_path)
    assert result.returncode != 0
    assert "is not a FreeRTOS-Kernel checkout" in result.stderr
    assert str(tmp_path) in result.stderr


def test_configure_unknown_board_lists_the_boards(tmp_path: Path) -> None:
    result = freertos_fw.configure(tmp_path / "b", board="nucleo-xyz", kernel=tmp_path)
    assert result.returncode != 0
    assert "BOARD='nucleo-xyz'" in result.stderr
    assert "mps2-an385" in result.stderr and "p-l496g-cell02" in result.stderr


# ---- the mps2-an385 image ------------------------------------------------------------------------


def _symbols(elf: Path) -> dict[str, int]:
    out = subprocess.run([_tool("arm-none-eabi-nm"), str(elf)], capture_output=True, text=True, check=True)
    return {
        parts[2]: int(parts[0], 16)
        for parts in (line.split() for line in out.stdout.splitlines())
        if len(parts) == 3
    }


def _section(elf: Path, name: str, scratch: Path) -> bytes:
    out = scratch / f"{name.strip('.')}.bin"
    subprocess.run(
        [_tool("arm-none-eabi-objcopy"), "-O", "binary", f"--only-section={name}", str(elf), str(out)],
        check=True,
    )
    return out.read_bytes()


@needs_kernel
def test_vector_table_holds_the_kernel_handlers(build_dir: Path, tmp_path: Path) -> None:
    elf = build_dir / "nce-portcheck.elf"
    vectors = _section(elf, ".isr_vector", tmp_path)
    words = [int.from_bytes(vectors[i : i + 4], "little") for i in range(0, len(vectors), 4)]
    symbols = _symbols(elf)
    assert len(words) == 16 + 32, "AN385: 16 core exceptions + 32 interrupts"
    # Thumb handlers: address | 1. SVCall = 11, PendSV = 14, SysTick = 15, UART1 RX = IRQ 2.
    assert words[11] == symbols["vPortSVCHandler"] | 1
    assert words[14] == symbols["xPortPendSVHandler"] | 1
    assert words[15] == symbols["xPortSysTickHandler"] | 1
    assert words[16 + 2] == symbols["nce_board_uart1_rx_handler"] | 1
    assert words[1] == symbols["Reset_Handler"] | 1
    assert words[0] == symbols["_estack"]


@needs_kernel
def test_config_block_is_reserved_erased_at_its_address(build_dir: Path, tmp_path: Path) -> None:
    elf = build_dir / "nce-portcheck.elf"
    headers = subprocess.run(
        [_tool("arm-none-eabi-objdump"), "-h", str(elf)], capture_output=True, text=True, check=True
    ).stdout
    row = next(line.split() for line in headers.splitlines() if " .nce_config " in line)
    assert int(row[2], 16) == 256 and int(row[3], 16) == CONFIG_ADDRESS
    assert _section(elf, ".nce_config", tmp_path) == b"\xff" * 256


@needs_kernel
def test_bin_and_hex_and_map_are_built(build_dir: Path) -> None:
    for suffix in (".elf", ".bin", ".hex", ".map"):
        assert (build_dir / f"nce-portcheck{suffix}").stat().st_size > 0
    assert (build_dir / "nce-portcheck.bin").read_bytes()[
        CONFIG_ADDRESS : CONFIG_ADDRESS + 256
    ] == b"\xff" * 256


@needs_kernel
def test_port_check_passes_in_qemu_against_a_simulated_modem(build_dir: Path, modem: ModemSimulator) -> None:
    status, lines = _run_qemu(build_dir / "nce-portcheck.elf", modem.start_tcp())
    events = _events(lines)
    summary = [line for line in lines if " line task=" not in line]
    assert status == 0, "port check failed:\n" + "\n".join(summary)
    checks = {
        fields["check"] for level, event, fields in events if event == "portcheck" and "check" in fields
    }
    assert checks == {"sleep", "random", "modem", "read_timeout", "console"}
    boot = next(fields for _, event, fields in events if event == "portcheck" and "board" in fields)
    assert boot["board"] == "mps2-an385" and boot["config"] == "absent"
    modem_check = next(fields for _, _, fields in events if fields.get("check") == "modem")
    assert int(modem_check["ati_bytes"]) > 10 and modem_check["dropped"] == "0"
    sleep = next(fields for _, _, fields in events if fields.get("check") == "sleep")
    assert int(sleep["elapsed_ms"]) >= 100
    # Two tasks wrote 25 lines each through the console mutex: every line arrived whole, in order per task.
    written = [fields for _, _, fields in events if "task" in fields]
    for task in ("a", "b"):
        numbers = [int(fields["n"]) for fields in written if fields["task"] == task]
        assert numbers == list(range(25)), f"task {task}: lines {numbers}"
    assert all(fields["pad"] == "0123456789abcdefghijklmnopqrstuvwxyz0123456789" for fields in written)
    assert lines[-1].endswith("result=pass")


@needs_kernel
def test_port_reads_a_stamped_config_block(build_dir: Path, tmp_path: Path, modem: ModemSimulator) -> None:
    block = tmp_path / "block.bin"
    block.write_bytes(encode(FirmwareConfig(uplink_period_s=30)))
    stamped = tmp_path / "stamped.elf"
    subprocess.run(
        [_tool("arm-none-eabi-objcopy"), f"--update-section=.nce_config={block}",
         str(build_dir / "nce-portcheck.elf"), str(stamped)],
        check=True,
    )  # fmt: skip
    status, lines = _run_qemu(stamped, modem.start_tcp())
    assert status == 0, "\n".join(lines[-20:])
    assert any("boot board=mps2-an385 config=present" in line for line in lines), "\n".join(lines[:5])
