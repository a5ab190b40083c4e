"""The QEMU board runner (hil/firmware/qemu.py) and the qemu flasher (hil/flash/qemu.py), against
real QEMU running a tiny mps2-an385 image (tests/c/qemu_probe_main.c) whose modem UART is a real
TCP connection to the test."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hil.firmware.config_block import FirmwareConfig, encode
from hil.firmware.qemu import ConsoleLine, QemuBoard, QemuError, QemuMachine, QemuTimeoutError
from hil.flash.base import Flasher, FlasherError, UnsupportedOperationError
from hil.flash.qemu import QemuFlasher
from tests.support import qemu_probe


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return qemu_probe.build(tmp_path_factory.mktemp("qemu-probe"))


class ModemPeer:
    """The TCP end QEMU's UART1 connects to (what the simulated modem is in the lab)."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.server.settimeout(10)
        self.endpoint = f"127.0.0.1:{self.server.getsockname()[1]}"
        self.conn: socket.socket | None = None

    def accept(self) -> socket.socket:
        """The connection from QEMU's UART1, after the probe's greeting (its first line)."""
        self.conn, _ = self.server.accept()
        self.conn.settimeout(5)
        assert self.read_line() == b"AT\r\n"
        return self.conn

    def read_line(self) -> bytes:
        assert self.conn is not None
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = self.conn.recv(64)
            assert chunk, f"modem line closed after {data!r}"
            data += chunk
        return data

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.server.close()


@pytest.fixture
def peer() -> Iterator[ModemPeer]:
    modem = ModemPeer()
    yield modem
    modem.close()


def test_console_lines_are_timestamped_and_the_exit_status_is_the_image_s(
    probe: Path, peer: ModemPeer
) -> None:
    seen: list[ConsoleLine] = []
    before = time.monotonic()
    with QemuBoard(probe, modem=peer.endpoint, on_line=seen.append) as board:
        conn = peer.accept()
        first = board.wait_for(lambda line: " probe " in line.text, timeout=10)
        assert first.text == "0 I probe config=ffffffff"  # erased config block
        for word in ("alpha", "beta"):
            conn.sendall(word.encode() + b"\r")
            assert peer.read_line() == b"ok " + word.encode() + b"\r\n"
        echo = board.wait_for(lambda line: line.text.endswith("text=beta"), timeout=10)
        conn.sendall(b"exit 5\r")
        assert board.wait(timeout=10) == 5
    texts = [line.text for line in board.lines]
    assert [t.split(" ", 1)[1] for t in texts[1:]] == ["I echo text=alpha", "I echo text=beta"]
    assert seen == board.lines  # the callback saw every line once, in order
    stamps = [line.monotonic for line in board.lines]
    assert before <= stamps[0] <= stamps[1] <= stamps[2] <= time.monotonic()
    assert echo.monotonic >= first.monotonic and abs(echo.wall - time.time()) < 60


def test_a_hanging_image_is_killed_when_the_wait_runs_out(probe: Path, peer: ModemPeer) -> None:
    with QemuBoard(probe, modem=peer.endpoint) as board:
        conn = peer.accept()
        board.wait_for(lambda line: " probe " in line.text, timeout=10)
        conn.sendall(b"hang\r")
        started = time.monotonic()
        with pytest.raises(QemuTimeoutError) as timeout:
            board.wait(timeout=1.0)
        assert time.monotonic() - started < 5
        assert "still running after 1 s (killed)" in str(timeout.value)
        assert "0 I probe config=ffffffff" in str(timeout.value)  # the message shows the console
        assert not board.running


def test_icount_runs_the_guest_clock_in_step_with_the_host(probe: Path, peer: ModemPeer) -> None:
    # -icount shift=5,align=off,sleep=on: instructions are counted, idle time (WFI) still sleeps,
    # so the probe's 3 s modem timeout is about 3 s of wall time, and deterministic in the guest.
    with QemuBoard(probe, modem=peer.endpoint, icount_shift=5) as board:
        assert board.command()[-2:] == ["-icount", "shift=5,align=off,sleep=on"]
        peer.accept()
        started = time.monotonic()
        assert board.wait(timeout=20) == 3
        assert 2.5 <= time.monotonic() - started <= 10


def test_leaving_the_context_kills_qemu(probe: Path, peer: ModemPeer) -> None:
    with QemuBoard(probe, modem=peer.endpoint) as board:
        peer.accept()
        board.wait_for(lambda line: " probe " in line.text, timeout=10)
        assert board.running
    assert not board.running and board.returncode is not None


def test_a_bin_image_boots_and_a_stamped_block_is_read(probe: Path, peer: ModemPeer, tmp_path: Path) -> None:
    # The .bin has no ELF loader behind it: Reset_Handler's .data copy and .bss zeroing must work.
    block = tmp_path / "block.bin"
    block.write_bytes(encode(FirmwareConfig(uplink_period_s=7)))
    stamped = tmp_path / "stamped.bin"
    subprocess.run(
        [qemu_probe.tool("arm-none-eabi-objcopy"), f"--update-section=.nce_config={block}", "-O", "binary",
         str(probe), str(stamped)],
        check=True,
    )  # fmt: skip
    with QemuBoard(stamped, modem=peer.endpoint) as board:
        conn = peer.accept()
        boot = board.wait_for(lambda line: " probe " in line.text, 10)
        assert boot.text == "0 I probe config=4e434543"  # "NCEC"
        conn.sendall(b"exit 0\r")
        assert board.wait(timeout=10) == 0


def test_no_modem_listening_is_a_clear_error(probe: Path) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with QemuBoard(probe, modem=f"socket://127.0.0.1:{port}") as board, pytest.raises(QemuError) as failed:
        board.wait(timeout=10)
    assert f"127.0.0.1:{port}" in str(failed.value) and "QEMU failed" in str(failed.value)


def test_hex_images_and_bad_endpoints_are_refused_before_qemu_starts(probe: Path, tmp_path: Path) -> None:
    hex_image = tmp_path / "probe.hex"
    objcopy = qemu_probe.tool("arm-none-eabi-objcopy")
    subprocess.run([objcopy, "-O", "ihex", str(probe), str(hex_image)], check=True)
    with pytest.raises(QemuError, match="QEMU boots ELF or BIN images, got HEX"):
        QemuBoard(hex_image)
    with pytest.raises(QemuError, match="expected HOST:PORT"):
        QemuBoard(probe, modem="localhost").command()
    with pytest.raises(FlasherError, match="no such file"):
        QemuBoard(tmp_path / "missing.elf")


def test_the_qemu_flasher_boots_resets_and_declares_what_it_cannot(probe: Path, tmp_path: Path) -> None:
    peer = ModemPeer()
    try:
        with QemuFlasher(modem=peer.endpoint) as flasher:
            assert isinstance(flasher, Flasher)
            assert flasher.capabilities.describe() == ["flash BIN/ELF", "reset"]
            progress: list[float] = []
            flasher.flash(probe, progress=progress.append)
            assert progress == [1.0]
            peer.accept()
            assert flasher.board is not None
            first = flasher.board
            first.wait_for(lambda line: " probe " in line.text, timeout=10)
            flasher.reset()  # a new QEMU on the same image; the old one is gone
            assert not first.running and flasher.board is not first
            conn = peer.accept()
            # Bytes that arrive before the image enabled its UART are lost, as on hardware.
            flasher.board.wait_for(lambda line: " probe " in line.text, timeout=10)
            conn.sendall(b"exit 0\r")
            assert flasher.board.wait(timeout=10) == 0
            with pytest.raises(UnsupportedOperationError, match="cannot erase"):
                flasher.erase()
            with pytest.raises(UnsupportedOperationError, match="cannot read back"):
                flasher.read_back(0x400, 256)
            hex_image = tmp_path / "x.hex"
            hex_image.write_text(":00000001FF\n")
            with pytest.raises(FlasherError, match="boots BIN/ELF images, got HEX"):
                flasher.flash(hex_image)
    finally:
        peer.close()
    with pytest.raises(FlasherError, match="nothing to reset"):
        QemuFlasher().reset()
    assert QemuFlasher.for_board("mps2-an385").machine == QemuMachine("mps2-an385", "cortex-m3")
    with pytest.raises(FlasherError, match="qemu flasher: board 'p-l496g-cell02'"):
        QemuFlasher.for_board("p-l496g-cell02")


def test_the_board_console_is_a_rig_console_capability(probe: Path, peer: ModemPeer) -> None:
    from hil.firmware.qemu_console import qemu_console
    from hil.rig.capabilities import Console, ConsoleDeadError

    with QemuBoard(probe, modem=peer.endpoint) as board:
        console = qemu_console(board)
        assert isinstance(console, Console)
        conn = peer.accept()
        assert console.expect(r"probe config=(\w+)", timeout=10).group(1) == "ffffffff"
        conn.sendall(b"gamma\r")
        assert console.expect(r"echo text=(\w+)", timeout=10).group(1) == "gamma"
        conn.sendall(b"exit 0\r")
        assert board.wait(timeout=10) == 0
        started = time.monotonic()
        with pytest.raises(ConsoleDeadError):
            console.expect("never", timeout=5)
        assert time.monotonic() - started < 4  # QEMU's output ended: at once, not after 5 s
    assert console.lines()[0] == "0 I probe config=ffffffff"
