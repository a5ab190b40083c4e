"""Telit ME910C1 (reference §2.7)."""

from __future__ import annotations

from at_commands.channel import UrcWaiter
from at_commands.dialects.base import Dialect
from at_commands.dialects.profiles import Rat
from at_commands.errors import CmeError, PdpError, SocketError
from at_commands.fields import int_field, split_fields
from at_commands.modem_types import Datagram, PdpContext

_WS46 = {Rat.LTE_M: 0, Rat.NB_IOT: 1}
_WS46_TO_RAT = {value: rat for rat, value in _WS46.items()}
CONNECTION = 1  # socket connection id 1..6
WS46_GERAN, WS46_EUTRAN = 12, 28  # 27.007 +WS46 values (ModemManager's Telit table)


class Telit(Dialect):
    def firmware(self) -> str:
        return self._identity("AT#SWPKGV")

    def configure_rat(self, rat: Rat) -> None:
        if rat is Rat.GSM:
            self.ch.command(f"AT+WS46={WS46_GERAN}")  # 2G fallback on -WW/-E2 variants
            return
        self.ch.command(f"AT+WS46={WS46_EUTRAN}", check=False)
        self.ch.command(f"AT#WS46={_WS46[rat]}")

    def read_rat(self) -> Rat | None:
        technology = self.ch.command("AT+WS46?", check=False)
        if technology.ok and technology.values("+WS46:")[:1] == [str(WS46_GERAN)]:
            return Rat.GSM
        mode = int_field(split_fields(self.ch.command("AT#WS46?").value("#WS46:")), 0)
        return _WS46_TO_RAT.get(mode) if mode is not None else None

    def configure_bands(self, rat: Rat, bands: list[int]) -> None:
        mask = sum(1 << (band - 1) for band in bands)
        self.ch.command(f"AT#BND=5,0,{mask}")

    def activate_pdp(self, apn: str) -> PdpContext:
        try:
            ip = self.ch.command(f"AT#SGACT={self.cid},1").value("#SGACT:")
        except CmeError as error:
            raise PdpError(f"#SGACT rejected: {error}", lines=error.lines) from error
        return PdpContext(self.cid, apn, ip.strip('"'))

    def udp_open(self, host: str, port: int, local_port: int | None) -> tuple[int, UrcWaiter | None]:
        self.ch.command(f"AT#SCFGEXT={CONNECTION},1,0,0")  # SRING carries the received length
        waiter = self.ch.urcs("SRING:", lambda u: int_field(split_fields(u.value), 0) == CONNECTION)
        try:
            self.ch.command(f'AT#SD={CONNECTION},1,{port},"{host}",0,{local_port or 0},1')
        except CmeError as error:
            waiter.close()
            raise SocketError(f"#SD failed: {error}", lines=error.lines) from error
        return CONNECTION, waiter

    def udp_send(self, socket_id: int, host: str, port: int, data: bytes) -> None:
        try:
            self.ch.command(f"AT#SSENDEXT={socket_id},{len(data)}", payload=data)
        except CmeError as error:
            raise SocketError(f"#SSENDEXT on {socket_id} failed: {error}", lines=error.lines) from error

    def udp_receive(
        self, socket_id: int, host: str, port: int, timeout: float, waiter: UrcWaiter | None
    ) -> Datagram:
        def read() -> Datagram | None:
            data = self.ch.command(f"AT#SRECV={socket_id},1500").data
            return Datagram(data, host, port) if data else None

        return self._receive_on_urc(waiter, timeout, read)

    def udp_close(self, socket_id: int) -> None:
        self.ch.command(f"AT#SH={socket_id}")
