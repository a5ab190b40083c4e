"""The board state machine on a local rig: a board on a real pty whose /dev/serial/by-id-style
symlink vanishes while the HTTP power switch has it off, a recording flasher, and a simulated
modem on a socket:// URL."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hil.flash.base import FlasherCapabilities, FlasherError
from hil.rig.backends.local import LocalRig, open_rig
from hil.rig.rigfile import PowerSpec, RigSpec
from hil.rig.strategy import BoardState, BoardStrategy, StrategyError
from hil.virtual.modem_sim.runner import ModemSimulator
from tests.support.power_stub import PowerStub
from tests.support.pty_peer import RawPty


class FakeBoard:
    """Its console is a pty reached through a symlink that exists only while it has power; on
    power-on (and on reset) it prints `boot_text` a little after the port is back."""

    def __init__(self, link: Path, boot_text: str = "3 I boot version=1.2.3 board=fake\r\n") -> None:
        self._pty = RawPty()
        self.path = self._pty.path
        self.link = link
        self.boot_text = boot_text
        self.port_delay = 0.1
        self.boots = 0
        self.come_back = True
        self.timers: list[threading.Timer] = []
        self.closed = False

    def later(self, delay: float, action: object) -> None:
        timer = threading.Timer(delay, lambda: None if self.closed else action())  # type: ignore[operator]
        self.timers.append(timer)
        timer.start()

    def power(self, index: int, on: bool) -> None:
        if not on:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()
            return
        if self.come_back:
            self.later(self.port_delay, lambda: self.link.symlink_to(self.path))
            self.boot(self.port_delay + 0.5)
            self.boot(self.port_delay + 1.5)  # again, should a loaded machine open the port late

    def boot(self, after: float = 0.3) -> None:
        def say() -> None:
            self.boots += 1
            with contextlib.suppress(OSError):
                self._pty.write(self.boot_text.encode())

        self.later(after, say)

    def close(self) -> None:
        self.closed = True  # (fd numbers are reused: a late timer must not write into another pty)
        for timer in self.timers:
            timer.cancel()
        self._pty.close()


class RecordingFlasher:
    name = "recorder"
    capabilities = FlasherCapabilities(reset=True)

    def __init__(self, board: FakeBoard) -> None:
        self.board = board
        self.calls: list[str] = []
        self.fail: str | None = None

    def flash(self, image: Path, *, progress: object = None) -> None:
        self.calls.append(f"flash {image.name}")
        if self.fail:
            raise FlasherError(self.fail)

    def erase(self) -> None:
        self.calls.append("erase")

    def reset(self) -> None:
        self.calls.append("reset")
        self.board.boot()

    def read_back(self, address: int, length: int) -> bytes:
        return b""


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[tuple[FakeBoard, PowerStub]]:
    board = FakeBoard(tmp_path / "usb-SEGGER_J-Link_000960000001-if00")
    board.link.symlink_to(board.path)  # plugged in and powered at the start
    with PowerStub(on_change=board.power) as stub:
        yield board, stub
    board.close()


def make_rig(
    board: FakeBoard, stub: PowerStub, recorder: RecordingFlasher | None = None, **spec: object
) -> LocalRig:
    rig_spec = RigSpec(
        name="bench-1",
        console=str(board.link),
        power=PowerSpec("simplerest", stub.url + "/rest/{index}/{value}", index=1, delay=0.05),
        **spec,  # type: ignore[arg-type]
    )
    factory = None if recorder is None else (lambda s: recorder)
    return open_rig(rig_spec, connect=False, use_user_credentials=False, flasher_factory=factory)


def test_off_then_booted_waits_for_the_port_to_come_back(bench: tuple[FakeBoard, PowerStub]) -> None:
    board, stub = bench
    with make_rig(board, stub) as rig:
        strategy = BoardStrategy(rig, boot_timeout=5, port_timeout=5)
        strategy.transition("off")
        assert strategy.state is BoardState.OFF and not board.link.exists()
        strategy.transition("booted")
        assert strategy.state is BoardState.BOOTED
        assert strategy.boot_line is not None and "version=1.2.3" in strategy.boot_line
        assert [on for _, on, _ in stub.switches()] == [False, True]
        strategy.transition("booted")  # already there: nothing happens
        strategy.transition("flashed")  # booted implies flashed
        assert len(stub.switches()) == 2


def test_flash_then_reset_through_the_flasher(bench: tuple[FakeBoard, PowerStub], tmp_path: Path) -> None:
    board, stub = bench
    flasher = RecordingFlasher(board)
    image = tmp_path / "nce-fw.elf"
    image.write_bytes(b"\x7fELF")
    with make_rig(board, stub, flasher, flasher="pyocd", probe="000960000001") as rig:
        strategy = BoardStrategy(rig, image=image, boot_timeout=5, port_timeout=5)
        strategy.transition(BoardState.BOOTED)
        assert flasher.calls == ["flash nce-fw.elf", "reset"]
        assert [state for state, _ in strategy.history] == [
            BoardState.OFF,
            BoardState.FLASHED,
            BoardState.BOOTED,
        ]
        second = tmp_path / "nce-fw-2.elf"
        second.write_bytes(b"\x7fELF")
        strategy.image = second  # a new image: flashed again although the board is booted
        strategy.transition("booted")
        assert flasher.calls[2:] == ["flash nce-fw-2.elf", "reset"]


def test_flash_failure_is_class_flash(bench: tuple[FakeBoard, PowerStub], tmp_path: Path) -> None:
    board, stub = bench
    flasher = RecordingFlasher(board)
    flasher.fail = "no probe 000960000001 found"
    image = tmp_path / "a.elf"
    image.write_bytes(b"\x7fELF")
    with make_rig(board, stub, flasher, flasher="pyocd") as rig:
        strategy = BoardStrategy(rig, image=image, port_timeout=2)
        with pytest.raises(StrategyError, match="cannot reach state flashed: no probe") as caught:
            strategy.transition("booted")
        assert caught.value.failure_class == "flash"
        assert strategy.state is BoardState.UNKNOWN


def test_board_that_hardfaults_at_boot_is_class_dut(bench: tuple[FakeBoard, PowerStub]) -> None:
    board, stub = bench
    board.boot_text = "HardFault: PC=0x0000abcd\r\n"
    with make_rig(board, stub) as rig:
        strategy = BoardStrategy(rig, boot_timeout=10, port_timeout=5)
        started = time.monotonic()
        with pytest.raises(StrategyError, match="death string") as caught:
            strategy.transition("booted")
        assert caught.value.failure_class == "dut"
        assert time.monotonic() - started < 5  # not the 10 s boot timeout


def test_port_that_never_comes_back_is_class_infra(bench: tuple[FakeBoard, PowerStub]) -> None:
    board, stub = bench
    board.come_back = False
    with make_rig(board, stub) as rig:
        strategy = BoardStrategy(rig, port_timeout=0.5)
        with pytest.raises(StrategyError, match=r"did not appear within 0.5 s") as caught:
            strategy.transition("booted")
        assert caught.value.failure_class == "infra"


def test_power_switch_down_is_class_infra(bench: tuple[FakeBoard, PowerStub]) -> None:
    board, stub = bench
    stub.fail_status = 503
    with make_rig(board, stub) as rig:
        with pytest.raises(StrategyError, match="HTTP 503") as caught:
            BoardStrategy(rig).transition("off")
        assert caught.value.failure_class == "infra"


def test_attached_in_modem_mode(bench: tuple[FakeBoard, PowerStub]) -> None:
    board, stub = bench
    with ModemSimulator("bg95", time_scale=0.01) as simulator:
        url = simulator.start_tcp()
        with make_rig(board, stub, modem_port=url, dialect="bg95") as rig:
            strategy = BoardStrategy(rig, boot_timeout=5, port_timeout=5, attach_timeout=10)
            strategy.transition("attached")
            assert strategy.state is BoardState.ATTACHED
            assert strategy.registration is not None and strategy.registration.stat in (1, 5)
            assert [s for s, _ in strategy.history][-1] is BoardState.ATTACHED


def test_attached_in_firmware_mode_from_the_console(bench: tuple[FakeBoard, PowerStub]) -> None:
    board, stub = bench
    board.boot_text = "3 I boot version=1\r\n900 I attached stat=5 rat=lte-m operator=26201\r\n"
    with make_rig(board, stub) as rig:
        strategy = BoardStrategy(rig, boot_timeout=5, port_timeout=5, attach_timeout=5)
        strategy.transition("attached")
        assert strategy.state is BoardState.ATTACHED


def test_no_power_switch_cannot_go_off(tmp_path: Path) -> None:
    pty = RawPty()
    try:
        spec = RigSpec(name="bench-9", console=pty.path)
        with open_rig(spec, use_user_credentials=False) as rig:
            with pytest.raises(StrategyError, match="no power switch") as caught:
                BoardStrategy(rig).transition("off")
            assert caught.value.failure_class == "infra"
    finally:
        pty.close()
