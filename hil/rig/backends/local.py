"""The local backend: a rig wired to this machine (USB serial ports or pyserial URLs, a debug
probe, an HTTP power switch, the user's 1NCE credentials).

`open_rig(spec)` gives a LocalRig with the capabilities its RigSpec makes possible:
Console (pyserial, line by line, death strings fail an expect at once), Modem (at_commands over
modem_port), Power (hil.rig.power), Flasher (when a flasher factory is available), Cloud (the
hil.cloud client with the user's credentials). A capability that cannot be made is left out and
the reason is kept, so a check that needs it fails with a message that says why.

Ports come and go on real rigs (USB re-enumerates after a power cycle or a flash), so the rig can
`disconnect()` and `connect(timeout)` again: connect waits for each device path to exist and to
open, up to the timeout.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import serial

from at_commands.errors import AtError, PortError
from at_commands.modem import Modem
from at_commands.transcript import Transcript
from hil.cloud.client import CloudClient
from hil.cloud.config import CloudSettings, ConfigError, load_settings, read_endpoints_file
from hil.flash.base import Flasher
from hil.rig.capabilities import DEATH_PATTERNS, Cloud, Console, LineConsole, Power
from hil.rig.power import open_power
from hil.rig.rig import Rig
from hil.rig.rigfile import RigSpec

T = TypeVar("T")

DEFAULT_BAUD = 115200
DEFAULT_CONNECT_TIMEOUT_S = 10.0
# Besides the harness's death strings: C library assert messages ("assertion "x" failed: file
# ...", Zephyr's "ASSERTION FAIL"), case-insensitive.
LOCAL_DEATH_PATTERNS: tuple[str, ...] = (*DEATH_PATTERNS, r"(?i:\bassert(?:ion)?\b.*\bfail(?:ed)?\b)")

FlasherFactory = Callable[[RigSpec], Flasher]


class PortWaitError(TimeoutError):
    """A serial port did not come (back) within the timeout; says which and the last error."""


def is_device_path(url: str) -> bool:
    return "://" not in url


def wait_for_port(url: str, timeout: float, *, poll: float = 0.05) -> None:
    """Wait until a device path exists (a USB port re-enumerating after a power cycle or flash);
    pyserial URLs (socket://, rfc2217://) have no path and return at once."""
    if not is_device_path(url):
        return
    deadline = time.monotonic() + timeout
    while not os.path.exists(url):  # follows symlinks: /dev/serial/by-id/... -> ../../ttyACM0
        if time.monotonic() >= deadline:
            raise PortWaitError(f"serial port {url} did not appear within {timeout:.2g} s")
        time.sleep(poll)


def retry_until(what: str, timeout: float, attempt: Callable[[], T], *, poll: float = 0.1) -> T:
    """Call `attempt` until it stops raising AtError/SerialException/OSError or time is up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return attempt()
        except (AtError, serial.SerialException, OSError) as exc:
            if time.monotonic() + poll >= deadline:
                raise PortWaitError(f"{what}: still failing after {timeout:.2g} s: {exc}") from None
        time.sleep(poll)


class SerialConsole(LineConsole):
    """A console UART through pyserial: a reader thread splits lines and feeds the LineConsole;
    when the port dies (unplugged, power cut) the console closes, so a waiting expect fails at
    once instead of at its timeout."""

    def __init__(
        self,
        port: serial.SerialBase,
        name: str,
        *,
        death_patterns: Sequence[str] = LOCAL_DEATH_PATTERNS,
    ) -> None:
        super().__init__(name, writer=self._write, death_patterns=death_patterns)
        self._port = port
        self._stop = threading.Event()
        self.error: str | None = None  # why the reader stopped, when the port failed
        self._reader = threading.Thread(target=self._read_loop, name=f"console:{name}", daemon=True)
        self._reader.start()

    @classmethod
    def open(
        cls, url: str, *, baudrate: int = DEFAULT_BAUD, death_patterns: Sequence[str] = LOCAL_DEATH_PATTERNS
    ) -> SerialConsole:
        try:
            port = serial.serial_for_url(url, baudrate=baudrate, timeout=0.05, write_timeout=5.0)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise PortError(f"cannot open console port {url!r}: {exc}") from exc
        return cls(port, url, death_patterns=death_patterns)

    def _write(self, data: bytes) -> None:
        try:
            self._port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise PortError(f"console {self.name}: write failed: {exc}") from exc

    def _read_loop(self) -> None:
        pending = b""
        while not self._stop.is_set():
            try:
                chunk = self._port.read(4096)
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                # TypeError/AttributeError: pyserial's socket handler after a concurrent close.
                if not self._stop.is_set():
                    self.error = str(exc) or type(exc).__name__
                break
            if not chunk:
                continue
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for raw in complete:
                self.feed(raw.decode("utf-8", "replace"))
        if pending.strip():
            self.feed(pending.decode("utf-8", "replace"))
        super().close()

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(Exception):
            self._port.close()
        if self._reader is not threading.current_thread():
            self._reader.join(timeout=2)
        super().close()


class LocalRig(Rig):
    """A rig on this machine; console and modem can be dropped and re-opened around power cycles."""

    def __init__(
        self,
        spec: RigSpec,
        *,
        console_baud: int = DEFAULT_BAUD,
        modem_baud: int = DEFAULT_BAUD,
        death_patterns: Sequence[str] = LOCAL_DEATH_PATTERNS,
        secrets: Sequence[str] = (),
    ) -> None:
        super().__init__(spec)
        self.spec: RigSpec = spec
        self.console_baud = console_baud
        self.modem_baud = modem_baud
        self.death_patterns = tuple(death_patterns)
        self.secrets = tuple(secrets)
        self._console: SerialConsole | None = None
        self._modem: Modem | None = None

    @property
    def connected(self) -> bool:
        return (self.spec.console is None or self._console is not None) and (
            self.spec.modem_port is None or self._modem is not None
        )

    def connect(self, timeout: float = DEFAULT_CONNECT_TIMEOUT_S, *, modem: bool = True) -> None:
        """Open the console and (unless modem=False) the modem, waiting up to `timeout` for each
        port to appear and answer."""
        deadline = time.monotonic() + timeout
        spec = self.spec
        if spec.console is not None and self._console is None:
            url = spec.console
            wait_for_port(url, max(0.0, deadline - time.monotonic()))
            console = retry_until(
                f"rig {self.name}: console {url}",
                max(0.1, deadline - time.monotonic()),
                lambda: SerialConsole.open(
                    url, baudrate=self.console_baud, death_patterns=self.death_patterns
                ),
            )
            self._console = console
            self.add(Console, console)  # type: ignore[type-abstract]  # looked up by the protocol
            self.unavailable.pop("Console", None)
        if modem and spec.modem_port is not None and self._modem is None:
            url = spec.modem_port
            wait_for_port(url, max(0.0, deadline - time.monotonic()))
            self._modem = retry_until(
                f"rig {self.name}: modem {url}",
                max(0.1, deadline - time.monotonic()),
                lambda: self._open_modem(url),
            )
            self.add(Modem, self._modem)
            self.unavailable.pop("Modem", None)

    def _open_modem(self, url: str) -> Modem:
        transcript = Transcript()
        for secret in self.secrets:
            transcript.add_secret(secret)
        return Modem.open(url, self.spec.dialect or "auto", baudrate=self.modem_baud, transcript=transcript)

    def disconnect(self, reason: str = "disconnected") -> None:
        """Close console and modem (before a power cycle or flash takes their ports away)."""
        console, self._console = self._console, None
        modem, self._modem = self._modem, None
        if console is not None:
            self._capabilities.pop(Console, None)
            self.unavailable["Console"] = f"console {self.spec.console} is {reason}"
            console.close()
        if modem is not None:
            self._capabilities.pop(Modem, None)
            self.unavailable["Modem"] = f"modem {self.spec.modem_port} is {reason}"
            with contextlib.suppress(Exception):
                modem.close()

    def close(self) -> None:
        self.disconnect("closed")
        super().close()


def open_rig(
    spec: RigSpec,
    *,
    connect: bool = True,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
    cloud: CloudSettings | None = None,
    use_user_credentials: bool = True,
    flasher_factory: FlasherFactory | None = None,
    power_timeout: float = 5.0,
    console_baud: int | None = None,
    modem_baud: int | None = None,
) -> LocalRig:
    """A LocalRig for `spec`. connect=False leaves the ports closed (a rig that is powered off, to
    be brought up by hil.rig.strategy). `cloud` wins over the user's credentials (hil/cloud/config.py)."""
    if spec.backend != "local":
        raise ValueError(
            f"rig {spec.name}: open_rig of the local backend got a {spec.backend!r} rig ({spec.source})"
        )
    rig_cloud, cloud_reason = user_cloud(cloud, use_user_credentials)
    secrets = [rig_cloud.client.settings.client_secret.get_secret_value()] if rig_cloud is not None else []
    board = board_settings(spec.board)
    rig = LocalRig(
        spec,
        console_baud=console_baud or board.get("console_baud", DEFAULT_BAUD),
        modem_baud=modem_baud or board.get("modem_baud", DEFAULT_BAUD),
        secrets=secrets,
    )
    try:
        if spec.power is not None:
            power = open_power(
                spec.power, name=f"{spec.name} power ({spec.power.kind})", timeout=power_timeout
            )
            rig.add(Power, power, power.close)  # type: ignore[type-abstract]
        else:
            rig.unavailable["Power"] = "the rig file gives it no power switch (power:)"
        if rig_cloud is not None:
            rig.add(Cloud, rig_cloud, rig_cloud.client.close)
        else:
            rig.unavailable["Cloud"] = cloud_reason
        flasher = _flasher(spec, flasher_factory, rig)
        if flasher is not None:
            rig.add(Flasher, flasher)  # type: ignore[type-abstract]  # looked up by the protocol
        if spec.console is None:
            rig.unavailable["Console"] = "the rig file gives it no console port (console:)"
        if spec.modem_port is None:
            rig.unavailable["Modem"] = "the rig file gives it no modem port (modem_port:)"
        if connect:
            rig.connect(connect_timeout)
        else:
            for capability, port in (("Console", spec.console), ("Modem", spec.modem_port)):
                if port is not None:
                    rig.unavailable[capability] = (
                        f"{port} is not connected yet (the rig was opened powered off)"
                    )
    except BaseException:
        rig.close()
        raise
    return rig


# A rig of a rig file can work against an emulated 1NCE (`hil cloud serve --endpoints-file F`):
# then the API, the credentials and the device endpoints (UDP, CoAP, bootstrap) all come from F.
EMULATOR_ENDPOINTS_ENV = "NCE_EMULATOR_ENDPOINTS"


def user_cloud(cloud: CloudSettings | None, use_user_credentials: bool) -> tuple[Cloud | None, str]:
    """The Cloud capability of a rig of a rig file: `cloud` if given, else $NCE_EMULATOR_ENDPOINTS,
    else the user's credentials (hil/cloud/config.py) with 1NCE's production device endpoints.
    None and the reason when there is none."""
    endpoints: dict[str, Any] = {}
    if cloud is None and use_user_credentials and os.environ.get(EMULATOR_ENDPOINTS_ENV):
        path = Path(os.environ[EMULATOR_ENDPOINTS_ENV])
        try:
            endpoints = read_endpoints_file(path)
            cloud = load_settings(emulator_file=path)
        except ConfigError as exc:
            return None, f"{EMULATOR_ENDPOINTS_ENV}: {exc}"
    settings, reason = _cloud_settings(cloud, use_user_credentials)
    if settings is None:
        return None, reason
    return Cloud(CloudClient(settings), endpoints=endpoints), ""


def _cloud_settings(
    cloud: CloudSettings | None, use_user_credentials: bool
) -> tuple[CloudSettings | None, str]:
    if cloud is not None:
        return cloud, ""
    if not use_user_credentials:
        return None, "no 1NCE API settings were given to this rig"
    try:
        return load_settings(), ""
    except ConfigError as exc:
        return None, f"no 1NCE API credentials ({exc})"


def _flasher(spec: RigSpec, factory: FlasherFactory | None, rig: LocalRig) -> Flasher | None:
    if factory is None:
        factory = default_flasher_factory()
    if factory is None:
        rig.unavailable["Flasher"] = "no flasher support is installed (hil.flash has no factory)"
        return None
    if spec.flasher is None and spec.board is None and spec.probe is None:
        rig.unavailable["Flasher"] = "the rig file names no flasher, board or probe"
        return None
    try:
        return factory(spec)
    except Exception as exc:  # a flasher that cannot be made must not keep the rest from working
        rig.unavailable["Flasher"] = f"cannot set up the flasher: {exc}"
        return None


def default_flasher_factory() -> FlasherFactory | None:
    """hil.flash's rig factory (flash-images), when that module provides one."""
    try:
        module = importlib.import_module("hil.flash.factory")
    except ImportError:
        return None
    found: Any = getattr(module, "flasher_for_rig", None)
    return found if callable(found) else None


def board_settings(board: str | None) -> dict[str, int]:
    """Console and modem baud rates from the board file (boards/<board>.yaml), when it has them."""
    if board is None:
        return {}
    try:
        boards = importlib.import_module("hil.firmware.boards")
    except ImportError:
        return {}
    load_board: Any = getattr(boards, "load_board", None)  # flash-images' loader, once it is there
    if not callable(load_board):
        return {}
    try:
        loaded: Any = load_board(Path(board) if board.endswith((".yaml", ".yml")) else board)
    except Exception:  # the board file's own errors show where the board is used (flash, run)
        return {}
    found: dict[str, int] = {}
    for part, key in (("console", "console_baud"), ("modem", "modem_baud")):
        baud = getattr(getattr(loaded, part, None), "baud", None)
        if isinstance(baud, int) and baud > 0:
            found[key] = baud
    return found
