"""The control channel: JSON lines over TCP on loopback, to poke a running simulator.

Request ``{"cmd": <name>, ...}``, answer ``{"ok": true, ...}`` or ``{"ok": false, "error": <text>}``.
Commands: status, identity, sms (from + text | pdu), fault (fault: {...scenario fault...}),
clear_fault (id: id or type), signal (rssi_dbm / rsrp_dbm / rsrq_db / sinr_db / ber), reboot,
power (on: bool), detach, pdp_deactivate, wake. A bad request is answered, never fatal.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hil.virtual.modem_sim.scenario import ScenarioError
from hil.virtual.modem_sim.transports import check_loopback

if TYPE_CHECKING:
    from hil.virtual.modem_sim.modem import SimulatedModem

log = logging.getLogger(__name__)
MAX_REQUEST = 256 * 1024


class ControlError(ValueError):
    pass


def _text(request: dict[str, Any], key: str) -> str:
    value = request.get(key)
    if not isinstance(value, str) or not value:
        raise ControlError(f"{request.get('cmd')}: {key!r} must be a non-empty string")
    return value


class ControlServer:
    def __init__(self, modem: SimulatedModem) -> None:
        self.modem = modem
        self._server: asyncio.Server | None = None
        self.endpoint = ""
        self._commands: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "status": lambda r: {"status": modem.status()},
            "identity": lambda r: {"identity": modem.identity()},
            "sms": self._sms,
            "fault": self._fault,
            "clear_fault": lambda r: {"cleared": modem.clear_fault(_text(r, "id"))},
            "signal": self._signal,
            "reboot": lambda r: _done(modem.reboot, "control channel"),
            "power": self._power,
            "detach": lambda r: _done(modem.network_detach, "control channel"),
            "pdp_deactivate": lambda r: _done(modem.network_pdp_deactivate, "control channel"),
            "wake": lambda r: _done(modem.psm.wake),
        }

    async def open(self, host: str = "127.0.0.1", port: int = 0) -> str:
        host = check_loopback(host)
        self._server = await asyncio.start_server(self._serve, host, port, limit=MAX_REQUEST)
        bound_host, bound_port = self._server.sockets[0].getsockname()[:2]
        self.endpoint = f"{bound_host}:{bound_port}"
        return self.endpoint

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    line = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    writer.write(_encode({"ok": False, "error": f"request longer than {MAX_REQUEST} bytes"}))
                    break
                if not line:
                    break
                if line.strip():
                    writer.write(_encode(self.handle(line)))
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def handle(self, line: bytes | str) -> dict[str, Any]:
        try:
            request = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return {"ok": False, "error": f"not JSON: {exc}"}
        if not isinstance(request, dict):
            return {"ok": False, "error": "a request is a JSON object"}
        name = request.get("cmd")
        command = self._commands.get(name) if isinstance(name, str) else None
        if command is None:
            return {"ok": False, "error": f"unknown cmd {name!r}; known: {', '.join(sorted(self._commands))}"}
        try:
            return {"ok": True, **command(request)}
        except (ControlError, ScenarioError, ValueError, KeyError, TypeError) as exc:
            return {"ok": False, "error": str(exc)}
        except Exception as exc:  # the simulator must survive whatever a control client sends
            log.exception("control command %r failed", name)
            return {"ok": False, "error": f"internal error: {exc}"}

    def _sms(self, request: dict[str, Any]) -> dict[str, Any]:
        sender = _text(request, "from")
        text, pdu = request.get("text"), request.get("pdu")
        if (text is None) == (pdu is None):
            raise ControlError("sms: give exactly one of 'text' or 'pdu'")
        if not isinstance(text or pdu, str):
            raise ControlError("sms: 'text' / 'pdu' must be a string")
        ids = self.modem.inject_sms(sender, text=text, pdu=pdu)
        return {"sms_ids": ids}

    def _fault(self, request: dict[str, Any]) -> dict[str, Any]:
        fault = request.get("fault")
        if not isinstance(fault, dict):
            raise ControlError('fault: \'fault\' must be an object like {"type": "sim_busy", "count": 3}')
        return {"id": self.modem.set_fault(fault)}

    def _signal(self, request: dict[str, Any]) -> dict[str, Any]:
        values = {k: v for k, v in request.items() if k != "cmd"}
        if not values or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values.values()
        ):
            raise ControlError('signal: give numbers, e.g. {"cmd": "signal", "rssi_dbm": -90}')
        self.modem.set_signal(**values)
        return {"signal": vars(self.modem.radio.signal)}

    def _power(self, request: dict[str, Any]) -> dict[str, Any]:
        on = request.get("on")
        if not isinstance(on, bool):
            raise ControlError("power: 'on' must be true or false")
        if on:
            self.modem.power_on()
        else:
            self.modem.power_off()
        return {}


def _done(action: Callable[..., None], *args: Any) -> dict[str, Any]:
    action(*args)
    return {}


def _encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), default=str).encode() + b"\n"


def parse_endpoint(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, got {endpoint!r}")
    return host, int(port)


def request(endpoint: str, message: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    """One request to a running simulator's control channel (synchronous; for the CLI and tests)."""
    host, port = parse_endpoint(endpoint)
    with socket.create_connection((host, port), timeout=timeout) as connection:
        connection.sendall(_encode(message))
        buffer = b""
        while not buffer.endswith(b"\n"):
            chunk = connection.recv(65536)
            if not chunk:
                raise ConnectionError("control channel closed without an answer")
            buffer += chunk
    answer: dict[str, Any] = json.loads(buffer)
    return answer
