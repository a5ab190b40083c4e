"""The network side of netlink (see hil.virtual.netlink): a TCP server of JSON lines on loopback.

One connection per simulated modem. ``hello`` binds the connection to a SIM; every later request
must name the same ICCID. A line that is not a valid message is answered with
``{"id": -1, "ok": false, "error": ...}`` (or the request's id when it has one) and the connection
stays up, so one bad line loses nothing else.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from hil.virtual import netlink

from .core import CoreNetwork, NetworkRejectError
from .sms import SmsRefusedError
from .store import SimNotFoundError

log = logging.getLogger(__name__)

MAX_LINE = 64 * 1024


class _Connection:
    """One modem's TCP connection; implements ModemLink for pushes."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.iccid: str | None = None

    def push(self, message: dict[str, Any]) -> None:
        if not self.writer.is_closing():
            self.writer.write(netlink.encode(message))

    def send(self, message: dict[str, Any]) -> None:
        self.push(message)


class NetlinkServer:
    def __init__(self, core: CoreNetwork, host: str = "127.0.0.1", port: int = 0) -> None:
        self.core = core
        self.host = host
        self.requested_port = port
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("netlink server not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.requested_port, limit=MAX_LINE)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        connection = _Connection(writer)
        try:
            while True:
                try:
                    line = await reader.readline()
                except ValueError:  # longer than MAX_LINE: answer and drop the rest of the line
                    connection.send({"id": -1, "ok": False, "error": f"line longer than {MAX_LINE} bytes"})
                    await reader.readuntil(b"\n")
                    continue
                if not line:
                    break
                if line.strip():
                    connection.send(self._answer(connection, line))
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._tasks.discard(task)
            if connection.iccid is not None:
                self.core.unbind(connection.iccid, connection)
            writer.close()

    def _answer(self, connection: _Connection, line: bytes) -> dict[str, Any]:
        try:
            message = netlink.decode(line)
        except netlink.NetlinkError as exc:
            return {"id": -1, "ok": False, "error": str(exc)}
        request_id = message.get("id", -1)
        if "op" not in message:
            return {"id": request_id, "ok": False, "error": "the network accepts requests only"}
        try:
            fields = self._dispatch(connection, message)
        except NetworkRejectError as reject:
            return {"id": request_id, "ok": False, "error": reject.text, **reject.fields}
        except SmsRefusedError as refused:
            return {"id": request_id, "ok": False, "error": str(refused), "cms_error": refused.cms_error}
        except (SimNotFoundError, LookupError, ValueError, TypeError) as exc:
            return {"id": request_id, "ok": False, "error": str(exc)}
        return {"id": request_id, "ok": True, **fields}

    def _dispatch(self, connection: _Connection, message: dict[str, Any]) -> dict[str, Any]:
        op = message["op"]
        core = self.core
        if op == "hello":
            iccid = core.normalize_iccid(_text(message, "iccid"))
            sim = core.hello(iccid, str(message.get("imsi") or ""))
            if connection.iccid is not None and connection.iccid != iccid:
                core.unbind(connection.iccid, connection)
            connection.iccid = iccid
            core.bind(iccid, connection)
            return {"protocol_version": netlink.PROTOCOL_VERSION, "msisdn": sim.msisdn}
        if op == "claim":
            wanted = message.get("iccid")
            if wanted is not None and (not isinstance(wanted, str) or not wanted):
                raise ValueError("claim: field 'iccid' must be a non-empty string when given")
            if connection.iccid is not None:
                raise NetworkRejectError(f"this connection already holds SIM {connection.iccid}")
            sim = core.free_sim(wanted)
            connection.iccid = sim.iccid
            core.bind(sim.iccid, connection)
            return {
                "protocol_version": netlink.PROTOCOL_VERSION,
                "iccid": sim.iccid,
                "imsi": sim.imsi,
                "msisdn": sim.msisdn,
                "imei": sim.imei,
            }
        if op == "sms_mt_result":
            core.sms.delivery_result(_integer(message, "sms_id"), _boolean(message, "delivered"))
            return {}
        iccid = core.normalize_iccid(_text(message, "iccid"))
        if connection.iccid is None:
            raise NetworkRejectError("send hello first: the connection is not bound to a SIM")
        if iccid != connection.iccid:
            raise NetworkRejectError(f"this connection belongs to SIM {connection.iccid}, not {iccid}")
        if op == "attach":
            imsi, imei = str(message.get("imsi") or ""), str(message.get("imei") or "")
            return core.attach(iccid, imsi, imei, message.get("rat"))
        if op == "detach":
            core.detach(iccid)
            return {}
        if op == "pdp_activate":
            apn, pdp_type = str(message.get("apn") or ""), str(message.get("pdp_type") or "IP")
            return core.pdp_activate(iccid, apn, pdp_type)
        if op == "pdp_deactivate":
            core.pdp_deactivate(iccid)
            return {}
        if op == "usage":
            blocked = core.usage(iccid, _integer(message, "tx_bytes"), _integer(message, "rx_bytes"))
            return {"blocked": blocked}
        if op == "sms_mo":
            return {"mr": core.sms.submit_mo(iccid, _text(message, "tpdu"))}
        raise NetworkRejectError(f"op {op!r} is not handled by this network")


def _text(message: dict[str, Any], key: str) -> str:
    value = message.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{message['op']}: field {key!r} must be a non-empty string")
    return value


def _integer(message: dict[str, Any], key: str) -> int:
    value = message.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{message['op']}: field {key!r} must be an integer")
    return value


def _boolean(message: dict[str, Any], key: str) -> bool:
    value = message.get(key)
    if not isinstance(value, bool):
        raise ValueError(f"{message['op']}: field {key!r} must be true or false")
    return value
