"""A vendor-neutral socket table: slots with ids, a real UdpSocket each, a default peer.

Dialects keep their own syntax and URCs; this holds what every socket family shares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hil.virtual.modem_sim.udp import UdpSocket

if TYPE_CHECKING:
    from hil.virtual.modem_sim.modem import SimulatedModem


@dataclass
class SocketSlot:
    id: int
    cid: int | None = None
    udp: UdpSocket | None = None
    remote: tuple[str, int] | None = None  # the default peer (a "connected" UDP socket)
    remote_name: str = ""  # the host as the host wrote it
    service: str = "UDP"
    local_port: int = 0
    access_mode: int = 0
    notified: bool = False  # a "data waiting" URC is out and has not been answered by a read
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        return self.udp.pending_bytes if self.udp is not None else 0

    def describe(self) -> dict[str, Any]:
        udp = self.udp
        return {
            "id": self.id,
            "cid": self.cid,
            "local": f"{udp.local_address[0]}:{udp.local_address[1]}" if udp else None,
            "remote": f"{self.remote[0]}:{self.remote[1]}" if self.remote else None,
            "pending": self.pending,
            "sent": udp.sent_bytes if udp else 0,
            "received": udp.received_bytes if udp else 0,
        }


class SocketTable:
    def __init__(self, modem: SimulatedModem, ids: range, on_datagram: Callable[[SocketSlot], None]) -> None:
        self.modem = modem
        self.ids = ids
        self.on_datagram = on_datagram
        self.slots: dict[int, SocketSlot] = {}

    def __contains__(self, slot_id: int) -> bool:
        return slot_id in self.slots

    def get(self, slot_id: int) -> SocketSlot | None:
        return self.slots.get(slot_id)

    def free_id(self) -> int | None:
        return next((i for i in self.ids if i not in self.slots), None)

    def reserve(self, slot_id: int, cid: int | None) -> SocketSlot:
        slot = SocketSlot(slot_id, cid)
        self.slots[slot_id] = slot
        return slot

    async def bind(self, slot: SocketSlot, local_port: int = 0) -> None:
        """Give the slot its real UDP socket (bound to the SIM's loopback address)."""
        if slot.udp is not None:
            return
        slot.udp = await self.modem.open_udp(
            slot.cid, local_port, on_receive=lambda _s: self.on_datagram(slot)
        )
        slot.local_port = slot.udp.local_port

    async def bind_or_release(self, slot: SocketSlot, local_port: int = 0) -> bool:
        """Bind the slot's socket; if the address cannot be had, forget the slot and say so."""
        try:
            await self.bind(slot, local_port)
        except (OSError, LookupError, ValueError):
            self.close(slot.id)
            return False
        return True

    def require(self, slot_id: int, error: Exception) -> SocketSlot:
        """The slot if its socket is open; otherwise raise the dialect's own error for that."""
        slot = self.slots.get(slot_id)
        if slot is None or slot.udp is None:
            raise error
        return slot

    def close(self, slot_id: int) -> SocketSlot | None:
        slot = self.slots.pop(slot_id, None)
        if slot is not None and slot.udp is not None:
            slot.udp.close()
        return slot

    def close_all(self, cid: int | None = None) -> list[SocketSlot]:
        doomed = [s for s in self.slots.values() if cid is None or s.cid is None or s.cid == cid]
        for slot in doomed:
            self.close(slot.id)
        return doomed

    def describe(self) -> list[dict[str, Any]]:
        return [slot.describe() for slot in self.slots.values()]
