"""labgrid-client as subprocesses: reserve places by tags, acquire, read their resources, release.

Why the CLI and not labgrid's Python API: labgrid pulls pyserial-labgrid, which replaces the
`serial` package, so labgrid lives in a venv of its own (.venv-labgrid, bin/setup-labgrid) and the
harness's venv never imports it (docs/labgrid.md). Every command here is one labgrid-client run
with `-x COORDINATOR`, a timeout, and an error that names the command and what it printed.

A reservation's place is addressed as `+TOKEN` (labgrid-client's own place pattern for the place
allocated to a reservation), so nothing here guesses which place the coordinator chose.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_COORDINATOR = "127.0.0.1:20408"  # labgrid's own default
DEFAULT_TIMEOUT_S = 30.0
VENV_CLIENT = Path(__file__).resolve().parents[3] / ".venv-labgrid" / "bin" / "labgrid-client"
_TOKEN = re.compile(r"^export LG_TOKEN=(\S+)\s*$", re.MULTILINE)
_STATE = re.compile(r"^\s*state: (\w+)\s*$", re.MULTILINE)


class LabgridError(RuntimeError):
    """labgrid could not give us the place or its resources; says what was expected and what came."""


class LabgridUnavailableError(LabgridError):
    """No labgrid-client to run (labgrid is an optional extra: bin/setup-labgrid)."""


class LabgridCommandError(LabgridError):
    """A labgrid-client command failed or timed out."""

    def __init__(self, command: Sequence[str], message: str, output: str = "") -> None:
        self.command = list(command)
        self.output = output
        tail = _tail(output)
        super().__init__(f"`{' '.join(command)}` {message}" + (f": {tail}" if tail else ""))


def find_client() -> str:
    """$HIL_LABGRID_CLIENT, else .venv-labgrid/bin/labgrid-client of this checkout, else the
    labgrid-client on PATH."""
    configured = os.environ.get("HIL_LABGRID_CLIENT")
    if configured:
        if not os.access(configured, os.X_OK):
            raise LabgridUnavailableError(f"HIL_LABGRID_CLIENT={configured} is not an executable")
        return configured
    if os.access(VENV_CLIENT, os.X_OK):
        return str(VENV_CLIENT)
    found = shutil.which("labgrid-client")
    if found is None:
        raise LabgridUnavailableError(
            f"no labgrid-client: expected {VENV_CLIENT} (run bin/setup-labgrid), $HIL_LABGRID_CLIENT "
            "or labgrid-client on PATH"
        )
    return found


@dataclass(frozen=True)
class NetworkSerial:
    """A NetworkSerialPort of a place: ser2net (or anything) serving a serial port over TCP."""

    name: str  # the match's name (rename) or the resource class when unnamed
    host: str
    port: int
    protocol: str = "rfc2217"  # rfc2217 | raw
    speed: int = 115200

    @property
    def url(self) -> str:
        """The pyserial URL for it: rfc2217://host:port or socket://host:port (raw TCP)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.protocol == "rfc2217":
            return f"rfc2217://{host}:{self.port}"
        if self.protocol == "raw":
            return f"socket://{host}:{self.port}"
        raise LabgridError(
            f"NetworkSerialPort {self.name!r} on {self.host}:{self.port}: expected protocol rfc2217 or raw, "
            f"got {self.protocol!r}"
        )


@dataclass(frozen=True)
class NetworkPower:
    """A NetworkPowerPort of a place: labgrid's model name, its host (a URL) and outlet index."""

    name: str
    model: str
    host: str
    index: int | None = None


@dataclass(frozen=True)
class PlaceResources:
    """What `labgrid-client env` says an acquired place has."""

    place: str
    serial_ports: tuple[NetworkSerial, ...] = ()
    power_ports: tuple[NetworkPower, ...] = ()
    other: tuple[tuple[str, Mapping[str, Any]], ...] = field(default_factory=tuple)  # (class, args)

    def classes(self) -> list[str]:
        return sorted(
            {"NetworkSerialPort" for _ in self.serial_ports}
            | {"NetworkPowerPort" for _ in self.power_ports}
            | {cls for cls, _ in self.other}
        )

    def hosts(self) -> list[str]:
        """Hosts the place's resources live on (the exporter's side), in order, without repeats."""
        found = [port.host for port in self.serial_ports]
        found += [str(args["host"]) for _, args in self.other if isinstance(args.get("host"), str)]
        return list(dict.fromkeys(found))


def parse_env(text: str) -> PlaceResources:
    """Parse `labgrid-client env` output (targets: {PLACE: {resources: [{CLS: {args}}]}})."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LabgridError(f"labgrid-client env: expected YAML, got {_tail(text)!r} ({exc})") from None
    targets = data.get("targets") if isinstance(data, dict) else None
    if not isinstance(targets, dict) or len(targets) != 1:
        raise LabgridError(f"labgrid-client env: expected one target under 'targets', got {_tail(text)!r}")
    (place, target), *_ = targets.items()
    entries = target.get("resources") if isinstance(target, dict) else None
    if not isinstance(entries, list):
        raise LabgridError(f"labgrid-client env: place {place} has no resource list: {_tail(text)!r}")
    serial: list[NetworkSerial] = []
    power: list[NetworkPower] = []
    other: list[tuple[str, Mapping[str, Any]]] = []
    for entry in entries:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise LabgridError(f"labgrid-client env: expected {{CLASS: {{args}}}}, got {entry!r}")
        (cls, raw), *_ = entry.items()
        args: dict[str, Any] = dict(raw or {})
        name = str(args.pop("name", cls))
        try:
            if cls == "NetworkSerialPort":
                serial.append(
                    NetworkSerial(
                        name,
                        str(args["host"]),
                        int(args["port"]),
                        str(args.get("protocol", "rfc2217")),
                        int(args.get("speed", 115200)),
                    )
                )
            elif cls == "NetworkPowerPort":
                index = args.get("index")
                power.append(
                    NetworkPower(
                        name, str(args["model"]), str(args["host"]), None if index is None else int(index)
                    )
                )
            else:
                other.append((str(cls), args))
        except (KeyError, TypeError, ValueError) as exc:
            raise LabgridError(
                f"place {place}: resource {cls} {name!r} has unusable args {args!r} ({exc})"
            ) from None
    return PlaceResources(str(place), tuple(serial), tuple(power), tuple(other))


class LabgridClient:
    """labgrid-client against one coordinator."""

    def __init__(
        self,
        coordinator: str | None = None,
        *,
        executable: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.coordinator = coordinator or os.environ.get("LG_COORDINATOR") or DEFAULT_COORDINATOR
        self.executable = executable or find_client()
        self.timeout = timeout
        self._env = dict(os.environ if env is None else env)
        # Our own options win over the caller's labgrid environment.
        for name in ("LG_ENV", "LG_PLACE", "LG_STATE", "LG_TOKEN"):
            self._env.pop(name, None)

    def command(self, *args: str, place: str | None = None) -> list[str]:
        prefix = [self.executable, "-x", self.coordinator]
        if place is not None:
            prefix += ["-p", place]
        return [*prefix, *args]

    def run(self, *args: str, place: str | None = None, timeout: float | None = None) -> str:
        """Run one command; its stdout, or LabgridCommandError with what it printed.

        Each command runs in a session of its own: a Ctrl-C meant for the harness does not kill the
        labgrid-client that releases a place while the harness unwinds."""
        command = self.command(*args, place=place)
        limit = self.timeout if timeout is None else timeout
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=limit,
                env=self._env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            output = _text(exc.stdout) + _text(exc.stderr)
            raise LabgridCommandError(command, f"did not finish within {limit:g} s", output) from None
        except OSError as exc:
            raise LabgridCommandError(command, f"could not start ({exc})") from None
        if done.returncode != 0:
            raise LabgridCommandError(
                command,
                f"exited with {done.returncode} (coordinator {self.coordinator})",
                done.stderr + done.stdout,
            )
        return done.stdout

    # --- reservations and places --------------------------------------------------------------
    def reserve(self, tags: Mapping[str, str]) -> str:
        """Create a reservation for a place with these tags (name=PLACE picks one place); its token."""
        if not tags:
            raise LabgridError("a reservation needs at least one tag (or name=PLACE)")
        out = self.run("reserve", "--shell", *(f"{k}={v}" for k, v in tags.items()))
        match = _TOKEN.search(out)
        if match is None:
            raise LabgridError(f"labgrid-client reserve: expected 'export LG_TOKEN=...', got {_tail(out)!r}")
        return match.group(1)

    def wait(self, token: str, timeout: float) -> None:
        """Wait until the coordinator allocates a place to the reservation (another session may
        hold the only matching place: we wait for its release)."""
        out = self.run("wait", token, timeout=timeout)
        states = _STATE.findall(out)
        if states and states[-1] not in ("allocated", "acquired"):
            raise LabgridError(f"reservation {token} ended {states[-1]}, expected allocated")

    def cancel(self, token: str) -> None:
        self.run("cancel-reservation", token)

    def acquire(self, token: str) -> None:
        self.run("acquire", place=f"+{token}")

    def release(self, token: str) -> None:
        self.run("release", place=f"+{token}")

    def resources(self, token: str) -> PlaceResources:
        """The acquired place's resources (with match names)."""
        return parse_env(self.run("env", place=f"+{token}"))

    def power(self, token: str, action: str, *, name: str | None = None) -> str:
        """`labgrid-client power on|off|cycle|get` on the place (labgrid's own power drivers)."""
        extra = ["--name", name] if name else []
        return self.run("power", action, *extra, place=f"+{token}").strip()


def _text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def _tail(text: str, lines: int = 4) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:])
