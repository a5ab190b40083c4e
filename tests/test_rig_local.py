"""The local backend over real ptys, socket:// URLs, a simulated modem, an HTTP power switch and
the emulated 1NCE cloud reached with the user's credentials (a cloud.yaml, as a user writes it)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from at_commands.modem import Modem
from hil.flash.base import Flasher, FlasherCapabilities
from hil.rig.backends.local import LocalRig, PortWaitError, SerialConsole, open_rig, wait_for_port
from hil.rig.capabilities import Cloud, Console, ConsoleDeadError, ConsoleTimeoutError, Power
from hil.rig.power import Tasmota
from hil.rig.rig import MissingCapabilityError
from hil.rig.rigfile import PowerSpec, RigSpec
from hil.virtual.cloud.server import EmulatorConfig, ThreadedEmulator
from hil.virtual.modem_sim.runner import ModemSimulator
from hil.virtual.network.inventory import parse_yaml_inventory
from tests.support.power_stub import PowerStub
from tests.support.pty_peer import RawPty

SECRET = "local-rig-secret-0123456789"
ICCID = "8988280666000000017"
INVENTORY = f"""
organisation: {{id: "7400002", name: Local Lab, ip_range: 10.66.0.0/16}}
api_users: [{{client_id: "7400002_api", client_secret: "{SECRET}"}}]
sims:
  - {{iccid: "{ICCID}", imsi: "901405100000017"}}
"""


class Pty(RawPty):
    """A console UART: the test writes what the board prints on the master side."""

    def say(self, text: str) -> None:
        self.write(text.encode())

    def unplug(self) -> None:
        self.close()


@pytest.fixture
def pty() -> Iterator[Pty]:
    board = Pty()
    yield board
    board.unplug()


@pytest.fixture(autouse=True)
def no_user_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NCE_CONFIG", str(tmp_path / "no-cloud.yaml"))
    for name in ("NCE_CLIENT_ID", "NCE_CLIENT_SECRET", "NCE_API_URL"):
        monkeypatch.delenv(name, raising=False)


def console_rig(path: str, **kwargs: object) -> LocalRig:
    return open_rig(RigSpec(name="bench-1", console=path, source="rigs.yaml:2"), **kwargs)  # type: ignore[arg-type]


def test_console_reads_lines_and_expects_the_boot_marker(pty: Pty) -> None:
    with console_rig(pty.path) as rig:
        console = rig.get(Console)  # type: ignore[type-abstract]
        pty.say("\r\nnoise before boot\r\n5 I boot version=0.1.0 board=mps2-an385 config=stamped\r\n")
        match = console.expect(r"^\d+ I boot version=(\S+)", timeout=2)
        assert match.group(1) == "0.1.0"
        pty.say("412 I modem link=bg95\r\npartial")
        assert console.read_line(2) == "412 I modem link=bg95"
        pty.say(" line\n")
        assert console.read_line(2) == "partial line"
        assert "noise before boot" in console.lines()
        console.write(b"help\r\n")
        assert os.read(pty.master, 100) == b"help\r\n"


@pytest.mark.parametrize(
    "death",
    [
        "HardFault at PC=0x00001234",
        "Kernel panic - not syncing: VFS",
        'assertion "len <= sizeof buf" failed: file "app.c", line 42',
        "ASSERTION FAIL [err == 0] @ WEST_TOPDIR/zephyr/kernel/sem.c:141",
    ],
)
def test_console_death_string_fails_the_expect_at_once(pty: Pty, death: str) -> None:
    with console_rig(pty.path) as rig:
        console = rig.get(Console)  # type: ignore[type-abstract]
        pty.say(f"5 I boot version=0.1.0\r\n{death}\r\n")
        started = time.monotonic()
        with pytest.raises(ConsoleDeadError, match="death string"):
            console.expect(r"I attached", timeout=10)
        assert time.monotonic() - started < 2


def test_console_timeout_says_what_came(pty: Pty) -> None:
    with console_rig(pty.path) as rig:
        pty.say("5 I boot version=0.1.0\r\n")
        with pytest.raises(ConsoleTimeoutError, match=r"I attached.*within 0.3 s.*5 I boot"):
            rig.get(Console).expect(r"I attached", timeout=0.3)  # type: ignore[type-abstract]


def test_console_port_that_dies_ends_the_wait(pty: Pty) -> None:
    with console_rig(pty.path) as rig:
        console = rig.get(Console)  # type: ignore[type-abstract]
        threading.Timer(0.2, pty.unplug).start()
        started = time.monotonic()
        with pytest.raises(ConsoleDeadError, match="closed"):
            console.expect(r"I attached", timeout=10)
        assert time.monotonic() - started < 3


def test_console_over_socket_url() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with console_rig(f"socket://127.0.0.1:{port}") as rig:
            peer, _ = server.accept()
            with peer:
                peer.sendall(b"0 I boot version=9.9.9 board=remote\n")
                match = rig.get(Console).expect(r"version=(\S+)", timeout=2)  # type: ignore[type-abstract]
                assert match.group(1) == "9.9.9"


@pytest.fixture
def simulated_modem() -> Iterator[ModemSimulator]:
    with ModemSimulator("bg96", time_scale=0.01) as simulator:
        yield simulator


def test_modem_over_socket_url_with_its_dialect(simulated_modem: ModemSimulator) -> None:
    url = simulated_modem.start_tcp()
    with open_rig(RigSpec(name="bench-2", modem_port=url, dialect="bg96")) as rig:
        modem = rig.get(Modem)
        assert modem.name == "bg96"
        info = modem.info()
        assert info.iccid[:19] == simulated_modem.identity["iccid"][:19]
        registration = modem.attach(timeout=5)
        assert registration.stat in (1, 5)


def test_modem_on_a_pty_detects_its_dialect(simulated_modem: ModemSimulator) -> None:
    path = simulated_modem.start_pty()
    with open_rig(RigSpec(name="bench-3", modem_port=path)) as rig:
        assert rig.get(Modem).name == "bg96"  # auto-detected (AT+CGMM)


def test_modem_that_does_not_answer_is_a_clear_error(pty: Pty) -> None:
    started = time.monotonic()
    with pytest.raises(
        PortWaitError, match=rf"rig bench-4: modem {pty.path}: still failing after 1 s: .*no answer to AT"
    ):
        open_rig(RigSpec(name="bench-4", modem_port=pty.path), connect_timeout=1)
    assert time.monotonic() - started < 5


def test_missing_port_waits_then_says_which(tmp_path: Path) -> None:
    link = tmp_path / "ttyACM7"
    with pytest.raises(PortWaitError, match=rf"serial port {link} did not appear within 0.2 s"):
        open_rig(RigSpec(name="bench-5", console=str(link)), connect_timeout=0.2)


def test_port_that_appears_later_is_waited_for(pty: Pty, tmp_path: Path) -> None:
    link = tmp_path / "usb-SEGGER_J-Link-if00"
    threading.Timer(0.3, lambda: link.symlink_to(pty.path)).start()
    started = time.monotonic()
    wait_for_port(str(link), 5)
    assert 0.25 <= time.monotonic() - started < 3
    with console_rig(str(link)) as rig:
        pty.say("1 I boot version=1\n")
        assert rig.get(Console).expect("I boot", timeout=2)  # type: ignore[type-abstract]


def test_power_capability_from_the_rig_file() -> None:
    with PowerStub() as stub, socket.create_server(("127.0.0.1", 0)) as server:
        spec = RigSpec(
            name="bench-6",
            console=f"socket://127.0.0.1:{server.getsockname()[1]}",
            power=PowerSpec("tasmota", stub.url, index=1, delay=0.01),
        )
        with open_rig(spec) as rig:
            power = rig.get(Power)  # type: ignore[type-abstract]
            assert isinstance(power, Tasmota)
            assert power.name == "bench-6 power (tasmota)"
            power.cycle()
        assert [on for _, on, _ in stub.switches()] == [False, True]


def test_missing_capabilities_say_why(pty: Pty) -> None:
    with console_rig(pty.path) as rig:
        assert rig.has(Console) and not rig.has(Modem) and not rig.has(Cloud)
        with pytest.raises(
            MissingCapabilityError, match=r"rig 'bench-1' has no Power.*no power switch \(power:\)"
        ):
            rig.get(Power, needed_by="power cycle")  # type: ignore[type-abstract]
        with pytest.raises(MissingCapabilityError, match=r"no Cloud.*no 1NCE API credentials"):
            rig.get(Cloud)
        with pytest.raises(MissingCapabilityError, match=r"no Modem.*no modem port \(modem_port:\)"):
            rig.get(Modem)
        with pytest.raises(MissingCapabilityError, match=r"no Flasher"):
            rig.get(Flasher)  # type: ignore[type-abstract]


def test_disconnect_and_connect_again(pty: Pty) -> None:
    with console_rig(pty.path) as rig:
        first = rig.get(Console)  # type: ignore[type-abstract]
        rig.disconnect("powered off")
        with pytest.raises(MissingCapabilityError, match="is powered off"):
            rig.get(Console)  # type: ignore[type-abstract]
        with pytest.raises(ConsoleDeadError):
            first.read_line(0.1)
        rig.connect(2)
        pty.say("7 I boot version=2\n")
        assert rig.get(Console).expect("version=2", timeout=2)  # type: ignore[type-abstract]


def test_opened_powered_off_connects_later(pty: Pty) -> None:
    with console_rig(pty.path, connect=False) as rig:
        with pytest.raises(MissingCapabilityError, match="not connected yet"):
            rig.get(Console)  # type: ignore[type-abstract]
        rig.connect(2)
        assert rig.has(Console)


def test_flasher_factory_is_used() -> None:
    class Recorder:
        name = "recorder"
        capabilities = FlasherCapabilities(reset=True)

        def flash(self, image: Path, *, progress: object = None) -> None: ...
        def erase(self) -> None: ...
        def reset(self) -> None: ...
        def read_back(self, address: int, length: int) -> bytes:
            return b""

    def broken(spec: RigSpec) -> Flasher:
        raise RuntimeError("no probe with id 0240 is connected")

    with socket.create_server(("127.0.0.1", 0)) as server:
        url = f"socket://127.0.0.1:{server.getsockname()[1]}"
        spec = RigSpec(name="bench-7", console=url, flasher="pyocd", probe="0240")
        with open_rig(spec, flasher_factory=lambda s: Recorder()) as rig:
            assert rig.get(Flasher).name == "recorder"  # type: ignore[type-abstract]
        with open_rig(spec, flasher_factory=broken) as rig:
            with pytest.raises(MissingCapabilityError, match="no probe with id 0240 is connected"):
                rig.get(Flasher)  # type: ignore[type-abstract]


def test_cloud_from_the_users_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pty: Pty) -> None:
    with ThreadedEmulator(parse_yaml_inventory(INVENTORY), EmulatorConfig()) as emulator:
        config = tmp_path / "cloud.yaml"
        config.write_text(
            f"api_url: {emulator.endpoints['api']}\nclient_id: 7400002_api\nclient_secret: {SECRET}\n"
        )
        monkeypatch.setenv("NCE_CONFIG", str(config))
        with console_rig(pty.path) as rig:
            cloud = rig.get(Cloud)
            assert not cloud.virtual
            assert cloud.client.sim(ICCID).status == "Enabled"
            assert SECRET not in repr(rig.get(Cloud).client)


def test_local_backend_refuses_other_backends() -> None:
    with pytest.raises(ValueError, match="got a 'virtual' rig"):
        open_rig(RigSpec(name="v", backend="virtual"))


def test_serial_console_open_error_names_the_port(tmp_path: Path) -> None:
    from at_commands.errors import PortError

    with pytest.raises(PortError, match="cannot open console port"):
        SerialConsole.open(str(tmp_path / "nope"))
