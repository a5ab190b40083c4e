"""Board files (boards/*.yaml, hil/firmware/boards.py): the shipped boards load, and every kind of
mistake is reported with the file, the line, the key path and what was expected."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from hil.cli.main import cli
from hil.firmware.boards import TOP_KEYS, BoardFileError, MemoryRegion, list_boards, load_board

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
name: kit
description: a test kit
mcu:
  family: cortex-m4f
  cpu: cortex-m4
  flash: {base: 0x08000000, size: 0x100000}
  ram: {base: 0x20000000, size: 0x20000}
config_block: {address: 0x08000400, size: 256}
console: {uart: usart2, baud: 115200}
modem: {uart: usart1, baud: 115200, dialect: bg95}
flash: {method: pyocd}
pyocd: {target: stm32l476rgtx}
targets: [freertos, zephyr]
"""


def _write(tmp_path: Path, text: str, name: str = "kit") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def _problems(tmp_path: Path, text: str, name: str = "kit") -> list[tuple[int | None, str, str]]:
    with pytest.raises(BoardFileError) as caught:
        load_board(_write(tmp_path, text, name))
    assert all(problem.file == str(tmp_path / f"{name}.yaml") for problem in caught.value.problems)
    return [(p.line, p.key, p.expected) for p in caught.value.problems]


def test_the_shipped_boards_load() -> None:
    assert list_boards() == ["mps2-an385", "nrf9160dk", "nucleo-l476rg-bg95", "p-l496g-cell02"]
    mps2 = load_board("mps2-an385")
    assert mps2.flash_method == "qemu" and mps2.qemu is not None and mps2.qemu.machine == "mps2-an385"
    assert mps2.config_block.address == 0x400 and mps2.mcu.flash == MemoryRegion(0, 0x400000)
    assert (mps2.console.uart, mps2.modem and mps2.modem.uart) == ("uart0", "uart1")
    cell = load_board("p-l496g-cell02")
    assert cell.pyocd is not None and cell.pyocd.target == "stm32l496agix"
    assert cell.modem is not None and cell.modem.dialect == "bg96"
    assert cell.mcu.flash.contains(cell.config_block.address, 256)
    nrf = load_board(ROOT / "boards" / "nrf9160dk.yaml")
    assert nrf.west is not None and (nrf.west.board, nrf.west.runner) == ("nrf9160dk/nrf9160/ns", "nrfjprog")
    assert nrf.modem is not None and nrf.modem.internal and nrf.modem.baud is None
    kit = load_board("nucleo-l476rg-bg95")
    assert kit.modem is not None and kit.modem.dialect == "bg95" and kit.flash_method == "pyocd"


def test_linker_scripts_agree_with_the_board_files() -> None:
    """The config block address in each board file is where the firmware's linker script puts it."""
    scripts = {
        "mps2-an385": ROOT / "firmware" / "baremetal" / "boards" / "mps2-an385" / "mps2-an385.ld",
        "p-l496g-cell02": ROOT / "firmware" / "freertos" / "boards" / "p-l496g-cell02" / "stm32l496ag.ld",
    }
    present = {name: script for name, script in scripts.items() if script.is_file()}
    assert "mps2-an385" in present
    for name, script in present.items():
        text = script.read_text()
        board = load_board(name)
        origin = re.search(r"FLASH\s*\(rx\)\s*:\s*ORIGIN\s*=\s*(0x[0-9A-Fa-f]+)", text)
        place = re.search(r"\.nce_config\s+(ORIGIN\(FLASH\)\s*\+\s*)?(0x[0-9A-Fa-f]+)", text)
        assert origin and place, script
        base = int(origin.group(1), 16)
        address = int(place.group(2), 16) + (base if place.group(1) else 0)
        assert (address, base) == (board.config_block.address, board.mcu.flash.base), name


def test_a_good_file_and_a_name_not_found(tmp_path: Path) -> None:
    board = load_board(_write(tmp_path, GOOD))
    assert board.targets == ("freertos", "zephyr") and board.source == tmp_path / "kit.yaml"
    with pytest.raises(
        BoardFileError, match=r"expected a known board \(.*mps2-an385.*\), got 'no-such-board'"
    ):
        load_board("no-such-board")


def test_unknown_and_missing_keys(tmp_path: Path) -> None:
    text = GOOD.replace("description: a test kit\n", "descripton: typo\n").replace(
        "targets: [freertos, zephyr]\n", ""
    )
    problems = _problems(tmp_path, text)
    assert (
        2,
        "descripton",
        "one of the keys " + ", ".join(TOP_KEYS),
    ) in problems
    assert any(key == "targets" and "every board file needs one" in expected for _, key, expected in problems)
    problems = _problems(tmp_path, GOOD.replace("  cpu: cortex-m4\n", "  cpu: cortex-m4\n  fpu: yes\n"))
    assert problems == [(6, "mcu.fpu", "one of the keys family, cpu, flash, ram")]


def test_wrong_values_name_line_key_and_expectation(tmp_path: Path) -> None:
    cases = [
        ("family: cortex-m4f", "family: cortex-a53", 4, "mcu.family", "one of cortex-m0"),
        ("baud: 115200}\nmodem", "baud: fast}\nmodem", 9, "console.baud", "a baud rate, 1200..4000000"),
        ("dialect: bg95", "dialect: bg99", 10, "modem.dialect", "one of bg96, bg95"),
        ("method: pyocd", "method: jtag", 11, "flash.method", "one of qemu, pyocd, west"),
        ("target: stm32l476rgtx", "target: STM32 L476", 12, "pyocd.target", "a pyOCD target name"),
        ("[freertos, zephyr]", "[freertos, linux]", 13, "targets[1]", "one of baremetal, freertos, zephyr"),
        ("size: 256}", "size: 128}", 8, "config_block.size", "at least 256 bytes"),
        (
            "flash: {base: 0x08000000, size: 0x100000}",
            "flash: {base: 0x08000000}",
            6,
            "mcu.flash.size",
            "a value",
        ),
    ]
    for old, new, line, key, expected in cases:
        assert old in GOOD, old
        problems = _problems(tmp_path, GOOD.replace(old, new))
        assert len(problems) == 1, (new, problems)
        got_line, got_key, got_expected = problems[0]
        assert (got_line, got_key) == (line, key), (new, problems)
        assert got_expected.startswith(expected), (new, got_expected)


def test_consistency_between_sections(tmp_path: Path) -> None:
    outside = GOOD.replace("address: 0x08000400", "address: 0x00000400")
    assert _problems(tmp_path, outside) == [
        (8, "config_block.address", "a block inside the MCU's flash 0x08000000..0x08100000")
    ]
    no_section = GOOD.replace("pyocd: {target: stm32l476rgtx}\n", "")
    assert [p[1:] for p in _problems(tmp_path, no_section)] == [
        ("pyocd", "a pyocd section (flash.method is pyocd)")
    ]
    assert _problems(tmp_path, GOOD, name="other") == [
        (1, "name", "the file's name 'other' (boards/<name>.yaml)")
    ]
    internal = GOOD.replace("{uart: usart1, baud: 115200, dialect: bg95}", "{uart: internal, baud: 9600}")
    assert _problems(tmp_path, internal) == [
        (10, "modem.baud", "no baud rate for an internal modem (it is not on a UART)")
    ]
    west = GOOD.replace("method: pyocd", "method: west").replace(
        "pyocd: {target: stm32l476rgtx}", "west: {board: nucleo_l476rg, runner: stlink, args: [--erase, 3]}"
    )
    assert [p[1] for p in _problems(tmp_path, west)] == ["west.runner", "west.args"]


def test_yaml_syntax_duplicates_and_shape(tmp_path: Path) -> None:
    assert _problems(tmp_path, GOOD + "name: again\n") == [
        (14, "name", "each key once (first given on line 1)")
    ]
    problems = _problems(tmp_path, "name: kit\nmcu: [\n")
    assert problems[0][1:] == ("<syntax>", "valid YAML")
    assert _problems(tmp_path, "- a\n- b\n")[0][1:] == ("<top>", _problems(tmp_path, "- a\n")[0][2])
    with pytest.raises(BoardFileError) as caught:
        load_board(_write(tmp_path, GOOD.replace("family: cortex-m4f", "family: 7")))
    assert str(caught.value) == (
        f"{tmp_path / 'kit.yaml'}:4: mcu.family: expected one of "
        "cortex-m0, cortex-m0+, cortex-m3, cortex-m4, cortex-m4f, cortex-m7, "
        "cortex-m23, cortex-m33, cortex-m55, "
        "got 7 (int)"
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        GOOD.replace("family: cortex-m4f", "family: z80")
        .replace("dialect: bg95", "dialect: x")
        .replace("baud: 115200}\nmodem", "baud: 1}\nmodem")
    )
    assert [key for _, key, _ in _problems(tmp_path, text)] == ["mcu.family", "console.baud", "modem.dialect"]


def test_image_cli_takes_a_board(tmp_path: Path) -> None:
    binary = tmp_path / "image.bin"
    binary.write_bytes(b"\0" * 0x400 + b"\xff" * 0x400)
    result = CliRunner().invoke(cli, ["image", "info", str(binary), "--board", "p-l496g-cell02", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["address"] == "0x08000400"
    result = CliRunner().invoke(cli, ["image", "info", str(binary), "--board", "nope"])
    assert result.exit_code == 1 and "a known board" in result.stderr
