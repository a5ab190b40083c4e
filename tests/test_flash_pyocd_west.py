"""pyOCD flasher at pyOCD's boundary (real pyOCD, no probe attached here) and the west flasher's
command line, from the board files."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyocd.core.helpers import ConnectHelper

from hil.firmware.boards import load_board
from hil.flash import flasher_for
from hil.flash.base import FlasherError, UnsupportedOperationError
from hil.flash.pyocd import PyocdFlasher, known_target, list_probes
from hil.flash.west import WestFlasher


def _no_probe_access(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def forbidden(*args: object, **kwargs: object) -> list[object]:
        calls.append("get_all_connected_probes")
        return []

    monkeypatch.setattr(ConnectHelper, "get_all_connected_probes", staticmethod(forbidden))
    return calls


def test_no_probe_is_a_clear_error(tmp_path: Path) -> None:
    assert list_probes() == []  # real pyOCD enumeration: nothing is attached to this machine
    image = tmp_path / "fw.hex"
    image.write_text(":00000001FF\n")
    flasher = PyocdFlasher("nrf91", probe="0240000012345678")
    with pytest.raises(FlasherError, match=r"no debug probe with id '0240000012345678' is connected"):
        flasher.flash(image)
    with pytest.raises(FlasherError, match="no debug probe at all is connected"):
        PyocdFlasher("nrf91").erase()


def test_unknown_target_before_any_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _no_probe_access(monkeypatch)
    assert known_target("nrf91") and known_target("NRF91") and not known_target("stm32l999zz")
    with pytest.raises(
        FlasherError, match=r"pyOCD target 'stm32l999zz': not built into pyOCD .*pyocd pack install"
    ):
        PyocdFlasher("stm32l999zz")
    assert calls == []


def test_bad_images_before_any_probe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls = _no_probe_access(monkeypatch)
    flasher = PyocdFlasher("nrf91", probe="x")
    with pytest.raises(FlasherError, match="no such file"):
        flasher.flash(tmp_path / "missing.elf")
    wrong = tmp_path / "fw.txt"
    wrong.write_bytes(b"not firmware")
    with pytest.raises(FlasherError, match=r"not an ELF, Intel HEX or \.bin file"):
        flasher.flash(wrong)
    raw = tmp_path / "fw.bin"
    raw.write_bytes(b"\0" * 64)
    with pytest.raises(FlasherError, match=r"a \.bin has no load address"):
        flasher.flash(raw)
    assert calls == []


def test_pack_targets_of_the_shipped_boards_need_their_pack() -> None:
    board = load_board("p-l496g-cell02")
    if known_target("stm32l496agix"):
        pytest.skip("the STM32L4 pack is installed on this machine")
    with pytest.raises(FlasherError, match="pyocd pack install stm32l496agix"):
        flasher_for(board)


def test_west_command_line_from_the_board_file(tmp_path: Path) -> None:
    board = load_board("nrf9160dk")
    flasher = flasher_for(board, build_dir=tmp_path / "build")
    assert isinstance(flasher, WestFlasher)
    assert flasher.command() == ["west", "flash", "-d", str(tmp_path / "build"), "--runner", "nrfjprog"]
    assert flasher.command(Path("s/zephyr.hex")) == [
        "west", "flash", "-d", str(tmp_path / "build"), "--runner", "nrfjprog", "--hex-file", "s/zephyr.hex",
    ]  # fmt: skip
    image = tmp_path / "zephyr.hex"
    image.write_text(":00000001FF\n")
    with pytest.raises(FlasherError, match="not a west/Zephyr build directory"):
        flasher.flash(image)
    with pytest.raises(UnsupportedOperationError):
        flasher.erase()
    with pytest.raises(FlasherError, match="needs the Zephyr build directory"):
        flasher_for(board)
    with pytest.raises(FlasherError, match="no west section"):
        WestFlasher(load_board("mps2-an385"), tmp_path)


def test_cli_flash_and_probes(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from hil.cli.main import cli

    result = CliRunner().invoke(cli, ["fw", "probes", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    image = tmp_path / "fw.hex"
    image.write_text(":00000001FF\n")
    result = CliRunner().invoke(cli, ["fw", "flash", str(image), "--board", "p-l496g-cell02", "--json"])
    assert result.exit_code == 1 and "pyocd pack install" in json.loads(result.stdout)["error"]
    result = CliRunner().invoke(
        cli, ["fw", "flash", str(image), "--board", "nrf9160dk", "--build-dir", str(tmp_path)]
    )
    assert result.exit_code == 1 and "not a west/Zephyr build directory" in result.stderr
    result = CliRunner().invoke(cli, ["fw", "flash", str(image)])
    assert result.exit_code == 2
