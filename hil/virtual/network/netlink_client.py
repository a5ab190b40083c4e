"""A minimal modem side of netlink, for tests and benchmarks that need a SIM attached without a
full simulated modem (the real one is hil.virtual.modem_sim)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any

from hil.virtual import netlink


class NetlinkRequestError(RuntimeError):
    def __init__(self, op: str, answer: dict[str, Any]) -> None:
        super().__init__(f"netlink {op} refused: {answer.get('error')}")
        self.answer = answer


class NetlinkClient:
    """One connection, bound to one SIM after hello(); pushes land in `pushes`."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float) -> None:
        self._reader = reader
        self._writer = writer
        self._timeout = timeout
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.pushes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._pump = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, url: str, timeout: float = 5.0) -> NetlinkClient:
        host, _, port = url.removeprefix("tcp://").rpartition(":")
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), timeout)
        return cls(reader, writer, timeout)

    async def _read(self) -> None:
        while True:
            line = await self._reader.readline()
            if not line:
                break
            message = netlink.decode(line)
            if "push" in message:
                await self.pushes.put(message)
                continue
            future = self._waiting.pop(message["id"], None)
            if future is not None and not future.done():
                future.set_result(message)
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(ConnectionError("netlink connection closed"))

    async def request(self, op: str, **fields: Any) -> dict[str, Any]:
        """Send one request and return the answer (ok or not)."""
        request_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        self._writer.write(netlink.encode({"id": request_id, "op": op, **fields}))
        await self._writer.drain()
        return await asyncio.wait_for(future, self._timeout)

    async def call(self, op: str, **fields: Any) -> dict[str, Any]:
        """Like request(), but raise NetlinkRequestError when the network says no."""
        answer = await self.request(op, **fields)
        if not answer.get("ok"):
            raise NetlinkRequestError(op, answer)
        return answer

    async def next_push(self, timeout: float | None = None) -> dict[str, Any]:
        return await asyncio.wait_for(self.pushes.get(), timeout or self._timeout)

    async def bring_online(
        self, iccid: str, imsi: str, imei: str = "350000000000000", rat: str = "LTE-M"
    ) -> dict[str, Any]:
        """hello + attach + pdp_activate; returns the pdp_activate answer (ip, dns)."""
        await self.call("hello", iccid=iccid, imsi=imsi, imei=imei, msisdn="")
        await self.call("attach", iccid=iccid, imsi=imsi, imei=imei, rat=rat)
        return await self.call("pdp_activate", iccid=iccid, apn="iot.1nce.net", pdp_type="IP")

    async def close(self) -> None:
        self._pump.cancel()
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()
