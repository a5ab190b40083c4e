"""The labgrid backend: rigs on many hosts, shared through a labgrid coordinator.

`open_rig(spec)` reserves a place with the rig's tags (and `name=PLACE` when the rig file gives a
`place`), waits for the coordinator to allocate one (another session holding the only matching
place is waited for), acquires it, and turns its resources into our capabilities:

- NetworkSerialPort (ser2net, RFC 2217 or raw TCP) -> Console and Modem over pyserial URLs
  (rfc2217://host:port, socket://host:port). A match named `console` is the Console, one named
  `modem` the Modem; a place with a single unnamed serial port gives it to the Modem.
- NetworkPowerPort -> Power: models simplerest and shelly_gen1 through hil.rig.power (the same
  HTTP clients as local rigs); any other model, or other power resources, through
  `labgrid-client power on|off` on the place (labgrid's own drivers).
- Flasher: pyOCD on the exporter host over ssh (LabgridPyocdFlasher), for rigs with a `probe`.
- Cloud: as on local rigs (the user's 1NCE credentials), or what the caller passes.

The place is released and the reservation cancelled when the rig closes, when opening fails, on
Ctrl-C (KeyboardInterrupt unwinds through rig.close()), on SIGTERM (turned into SystemExit while a
place is held) and at interpreter exit for sessions nobody closed.
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import FrameType
from typing import TypeVar

from at_commands.modem import Modem
from at_commands.transcript import Transcript
from hil.cloud.config import CloudSettings
from hil.flash.base import Flasher
from hil.rig.backends.labgrid_client import (
    LabgridClient,
    LabgridError,
    NetworkPower,
    NetworkSerial,
    PlaceResources,
)
from hil.rig.backends.labgrid_flash import LabgridPyocdFlasher, pyocd_target
from hil.rig.backends.local import (
    DEFAULT_BAUD,
    LOCAL_DEATH_PATTERNS,
    SerialConsole,
    board_settings,
    retry_until,
    user_cloud,
)
from hil.rig.capabilities import Cloud, Console, Power, PowerError
from hil.rig.power import open_power
from hil.rig.rig import Rig
from hil.rig.rigfile import PowerSpec, RigSpec

T = TypeVar("T")

DEFAULT_WAIT_S = 600.0  # how long to wait for a matching place to come free
CONNECT_TIMEOUT_S = 10.0
# NetworkPowerPort models our HTTP power clients speak, to our power kinds.
POWER_MODELS = {"simplerest": "simplerest", "shelly_gen1": "shelly"}


class LabgridPower:
    """Power through `labgrid-client power` on the acquired place (any labgrid power driver)."""

    def __init__(self, client: LabgridClient, token: str, place: str, *, resource: str | None = None) -> None:
        self._client = client
        self._token = token
        self._resource = resource
        self.name = f"labgrid place {place} power" + (f" ({resource})" if resource else "")

    def _do(self, action: str) -> str:
        try:
            return self._client.power(self._token, action, name=self._resource)
        except LabgridError as exc:
            raise PowerError(f"{self.name}: {action}: {exc}") from exc

    def on(self) -> None:
        self._do("on")

    def off(self) -> None:
        self._do("off")

    def cycle(self, off_time_s: float = 1.0) -> None:
        self.off()
        time.sleep(off_time_s)
        self.on()


@dataclass(eq=False)
class Reservation:
    """One reservation and, once acquired, its place. close() gives both back (idempotent)."""

    client: LabgridClient
    token: str
    place: str | None = None
    acquired: bool = False
    closed: bool = False

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        _open_reservations.discard(self)
        errors: list[str] = []
        if self.acquired:
            try:
                self.client.release(self.token)
                self.acquired = False
            except LabgridError as exc:
                errors.append(str(exc))
        try:
            self.client.cancel(self.token)
        except LabgridError as exc:
            errors.append(str(exc))
        if errors:
            raise LabgridError(f"releasing place {self.place or '?'} (reservation {self.token}): {errors[0]}")


_open_reservations: weakref.WeakSet[Reservation] = weakref.WeakSet()
_signal_lock = threading.Lock()
_sigterm_installed = False


def _release_all() -> None:
    """atexit: give back every place a session forgot to close."""
    for reservation in list(_open_reservations):
        with contextlib.suppress(Exception):
            reservation.close()


atexit.register(_release_all)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through try/finally: rig.close() releases the place


def _install_sigterm_handler() -> None:
    """SIGTERM's default kills without unwinding; while we hold places it exits through finally
    blocks instead. Only from the main thread, and only over the default handler."""
    global _sigterm_installed
    with _signal_lock:
        if _sigterm_installed or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _on_sigterm)
        _sigterm_installed = True


def reserve_place(
    client: LabgridClient,
    tags: Mapping[str, str],
    *,
    wait_s: float = DEFAULT_WAIT_S,
    on_waiting: Callable[[str], None] | None = None,
) -> Reservation:
    """Reserve a place with `tags`, wait for it, acquire it. On any failure (Ctrl-C included)
    the reservation is cancelled before the exception goes on."""
    _install_sigterm_handler()
    token = client.reserve(tags)
    reservation = Reservation(client, token)
    _open_reservations.add(reservation)
    try:
        if on_waiting is not None:
            on_waiting(token)
        client.wait(token, wait_s)
        client.acquire(token)
        reservation.acquired = True
    except BaseException:
        with contextlib.suppress(Exception):
            reservation.close()
        raise
    return reservation


class LabgridRig(Rig):
    """A rig on an acquired labgrid place; `reservation` and `resources` say which and what."""

    def __init__(self, spec: RigSpec, reservation: Reservation) -> None:
        super().__init__(spec)
        self.spec: RigSpec = spec
        self.reservation = reservation
        self.resources: PlaceResources | None = None

    @property
    def place(self) -> str | None:
        return self.reservation.place


def reservation_tags(spec: RigSpec) -> dict[str, str]:
    """What the rig asks the coordinator for: its tags, plus name=PLACE when it names a place."""
    tags = dict(spec.tags)
    if spec.place is not None:
        tags["name"] = spec.place
    return tags


def open_rig(
    spec: RigSpec,
    *,
    client: LabgridClient | None = None,
    wait_s: float = DEFAULT_WAIT_S,
    cloud: Cloud | CloudSettings | None = None,
    use_user_credentials: bool = True,
    connect_timeout: float = CONNECT_TIMEOUT_S,
    on_waiting: Callable[[str], None] | None = None,
) -> LabgridRig:
    """Reserve, acquire and open a labgrid rig. `cloud` may be a ready Cloud (kept open by the
    caller) or API settings; else the user's credentials (hil/cloud/config.py)."""
    if spec.backend != "labgrid":
        raise ValueError(f"rig {spec.name}: the labgrid backend got a {spec.backend!r} rig ({spec.source})")
    client = client or LabgridClient(spec.coordinator)
    reservation = reserve_place(client, reservation_tags(spec), wait_s=wait_s, on_waiting=on_waiting)
    rig = LabgridRig(spec, reservation)
    rig.on_close(reservation.close)  # first in, last out: ports close before the place goes back
    try:
        resources = client.resources(reservation.token)
        reservation.place = resources.place
        rig.resources = resources
        _add_ports(rig, resources, connect_timeout)
        _add_power(rig, client, reservation, resources)
        _add_cloud(rig, cloud, use_user_credentials)
        _add_flasher(rig, resources)
    except BaseException:
        rig.close()
        raise
    return rig


def serial_roles(ports: tuple[NetworkSerial, ...], place: str) -> dict[str, NetworkSerial]:
    """{'console': port, 'modem': port} from the match names (docs/labgrid.md)."""
    roles: dict[str, NetworkSerial] = {}
    for port in ports:
        if port.name in ("console", "modem"):
            roles[port.name] = port
    unnamed = [port for port in ports if port.name not in ("console", "modem")]
    if unnamed and not roles and len(unnamed) == 1:
        roles["modem"] = unnamed[0]
    elif unnamed and not roles:
        names = ", ".join(f"{p.name} ({p.host}:{p.port})" for p in unnamed)
        raise LabgridError(
            f"place {place} has {len(unnamed)} NetworkSerialPorts and none is named console or modem "
            f"({names}); expected named matches: labgrid-client -p {place} add-named-match "
            "EXPORTER/GROUP/NetworkSerialPort/NAME modem"
        )
    return roles


def _add_ports(rig: LabgridRig, resources: PlaceResources, timeout: float) -> None:
    spec = rig.spec
    roles = serial_roles(resources.serial_ports, resources.place)
    board = board_settings(spec.board)
    console = roles.get("console")
    if console is not None:
        url = console.url
        opened = retry_until(
            f"rig {spec.name}: console {url} (place {resources.place})",
            timeout,
            lambda: SerialConsole.open(
                url, baudrate=board.get("console_baud", console.speed), death_patterns=LOCAL_DEATH_PATTERNS
            ),
        )
        rig.add(Console, opened, opened.close)  # type: ignore[type-abstract]  # looked up by the protocol
    else:
        rig.unavailable["Console"] = f"place {resources.place} has no NetworkSerialPort named console"
    modem_port = roles.get("modem")
    if modem_port is not None:
        url = modem_port.url
        baud = board.get("modem_baud", modem_port.speed or DEFAULT_BAUD)
        modem = retry_until(
            f"rig {spec.name}: modem {url} (place {resources.place})",
            timeout,
            lambda: Modem.open(url, spec.dialect or "auto", baudrate=baud, transcript=Transcript()),
        )
        rig.add(Modem, modem, modem.close)
    else:
        rig.unavailable["Modem"] = f"place {resources.place} has no NetworkSerialPort for the modem"


def _add_power(
    rig: LabgridRig, client: LabgridClient, reservation: Reservation, resources: PlaceResources
) -> None:
    other_power = [cls for cls, _ in resources.other if "Power" in cls]
    power: Power | None = None
    closer: Callable[[], None] | None = None
    if resources.power_ports:
        port: NetworkPower = resources.power_ports[0]
        kind = POWER_MODELS.get(port.model)
        if kind is not None:
            switch = open_power(
                PowerSpec(kind, port.host, port.index), name=f"{rig.name} power ({port.model}, labgrid)"
            )
            power, closer = switch, switch.close
        else:
            name = port.name if port.name != "NetworkPowerPort" else None
            power = LabgridPower(client, reservation.token, resources.place, resource=name)
    elif other_power:
        power = LabgridPower(client, reservation.token, resources.place)
    if power is None:
        rig.unavailable["Power"] = f"place {resources.place} has no power resource"
        return
    rig.add(Power, power, closer)  # type: ignore[type-abstract]


def _add_cloud(rig: LabgridRig, cloud: Cloud | CloudSettings | None, use_user_credentials: bool) -> None:
    if isinstance(cloud, Cloud):
        rig.add(Cloud, cloud)
        return
    rig_cloud, reason = user_cloud(cloud, use_user_credentials)
    if rig_cloud is None:
        rig.unavailable["Cloud"] = reason
        return
    rig.add(Cloud, rig_cloud, rig_cloud.client.close)


def _add_flasher(rig: LabgridRig, resources: PlaceResources) -> None:
    spec = rig.spec
    if spec.probe is None:
        rig.unavailable["Flasher"] = "the rig file gives it no probe (pyOCD runs on the exporter host)"
        return
    if spec.flasher not in (None, "pyocd"):
        rig.unavailable["Flasher"] = f"flasher {spec.flasher} is not supported on labgrid places (only pyocd)"
        return
    hosts = resources.hosts()
    if not hosts:
        rig.unavailable["Flasher"] = f"place {resources.place} has no resource that names its exporter host"
        return
    target = pyocd_target(spec.board)
    if target is None:
        rig.unavailable["Flasher"] = "the rig's board file names no pyOCD target (pyocd.target)"
        return
    flasher: Flasher = LabgridPyocdFlasher(hosts[0], spec.probe, target)
    rig.add(Flasher, flasher)  # type: ignore[type-abstract]
