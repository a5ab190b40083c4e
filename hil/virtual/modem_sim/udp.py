"""Real UDP sockets on loopback for the simulated modem's sockets.

A SIM whose IP is 10.a.b.c sends from 127.a.b.c (netlink.sim_ip_to_loopback), so servers on
loopback can tell SIMs apart by source address. Datagrams to addresses outside 127.0.0.0/8 cannot
leave the virtual lab: they are counted as sent and dropped, as an unreachable host would drop them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hil.virtual.netlink import IPV4_UDP_OVERHEAD

log = logging.getLogger(__name__)

_LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")
MAX_QUEUED = 64  # datagrams kept per socket before the oldest are dropped (a modem's buffer is small)


@dataclass
class Datagram:
    data: bytes
    address: tuple[str, int]


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, owner: UdpSocket) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.owner.received(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        log.debug("udp socket error: %s", exc)


class UdpSocket:
    """One modem socket: bound to the SIM's loopback address, with a receive queue."""

    def __init__(
        self,
        on_receive: Callable[[UdpSocket], None],
        on_usage: Callable[[int, int], None],
    ) -> None:
        self._on_receive = on_receive
        self._on_usage = on_usage
        self.queue: deque[Datagram] = deque()
        self.transport: asyncio.DatagramTransport | None = None
        self.local_address = ("", 0)
        self.sent_bytes = 0
        self.received_bytes = 0
        self.read_bytes = 0

    async def open(self, source_ip: str, local_port: int = 0) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=(source_ip, local_port)
        )
        self.transport = transport
        host, port = transport.get_extra_info("sockname")[:2]
        self.local_address = (str(host), int(port))

    @property
    def local_port(self) -> int:
        return self.local_address[1]

    @property
    def pending_bytes(self) -> int:
        return sum(len(d.data) for d in self.queue)

    def send(self, data: bytes, address: tuple[str, int]) -> int:
        """Send one datagram; returns the payload size (also when the lab cannot route it)."""
        self.sent_bytes += len(data)
        self._on_usage(len(data) + IPV4_UDP_OVERHEAD, 0)
        if self.transport is None:
            return len(data)
        if ipaddress.IPv4Address(address[0]) in _LOOPBACK:
            self.transport.sendto(data, address)
        else:
            log.debug("datagram to %s dropped: only loopback is reachable in the virtual lab", address)
        return len(data)

    def received(self, data: bytes, address: tuple[str, int]) -> None:
        self.received_bytes += len(data)
        self._on_usage(0, len(data) + IPV4_UDP_OVERHEAD)
        if len(self.queue) >= MAX_QUEUED:
            self.queue.popleft()
        self.queue.append(Datagram(data, address))
        self._on_receive(self)

    def read(self, max_size: int) -> Datagram | None:
        """The next datagram, cut to max_size (the rest of a datagram is lost, as with recvfrom)."""
        if not self.queue:
            return None
        datagram = self.queue.popleft()
        data = datagram.data[:max_size]
        self.read_bytes += len(data)
        return Datagram(data, datagram.address)

    def read_stream(self, max_size: int) -> bytes:
        """Bytes across datagram boundaries (SIMCom CARECV / CIPRXGET, Telit SRECV)."""
        out = bytearray()
        while self.queue and len(out) < max_size:
            head = self.queue[0]
            take = head.data[: max_size - len(out)]
            out += take
            if len(take) == len(head.data):
                self.queue.popleft()
            else:
                self.queue[0] = Datagram(head.data[len(take) :], head.address)
        self.read_bytes += len(out)
        return bytes(out)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None
        self.queue.clear()
