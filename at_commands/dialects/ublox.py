"""u-blox SARA-R4 (R410M) and SARA-R5 (reference §2.4)."""

from __future__ import annotations

from at_commands.channel import UrcWaiter
from at_commands.dialects.base import Dialect
from at_commands.dialects.profiles import Rat
from at_commands.errors import CmeError, PdpError, SocketError
from at_commands.fields import int_field, split_fields, str_field
from at_commands.modem_types import Datagram, PdpContext

_URAT = {Rat.LTE_M: 7, Rat.NB_IOT: 8, Rat.GSM: 9}
_URAT_TO_RAT = {value: rat for rat, value in _URAT.items()}
ACTIVATE_TIMEOUT = 360.0  # UPSDA=0,3 (TinyGSM SARA-R5)


class Ublox(Dialect):
    def initialize(self) -> None:
        super().initialize()
        # Socket payloads as hex in +USORF, so binary data survives the quoted field.
        self.ch.command("AT+UDCONF=1,1", check=False)

    def configure_rat(self, rat: Rat) -> None:
        if rat not in self.profile.rats:
            raise ValueError(f"{self.name} does not support {rat.value}")
        self.ch.command(f"AT+URAT={_URAT[rat]}")

    def read_rat(self) -> Rat | None:
        selected = int_field(split_fields(self.ch.command("AT+URAT?").value("+URAT:")), 0)
        return _URAT_TO_RAT.get(selected) if selected is not None else None

    def configure_bands(self, rat: Rat, bands: list[int]) -> None:
        mask = sum(1 << (band - 1) for band in bands)
        self.ch.command(f"AT+UBANDMASK={1 if rat is Rat.NB_IOT else 0},{mask}")

    def activate_pdp(self, apn: str) -> PdpContext:
        if self.name != "sara-r5":
            return super().activate_pdp(apn)
        # SARA-R5: internal PDP profile 0 mapped to cid 1, activated with UPSDA (+UUPSDA URC).
        self.ch.command(f"AT+UPSD=0,100,{self.cid}")
        try:
            with self.ch.urcs("+UUPSDA:") as activated:
                self.ch.command("AT+UPSDA=0,3")
                result = split_fields(activated.get(ACTIVATE_TIMEOUT).value)
        except CmeError as error:
            raise PdpError(f"UPSDA rejected: {error}", lines=error.lines) from error
        if int_field(result, 0) != 0:
            raise PdpError(f"+UUPSDA reported failure: {result}")
        ip = str_field(split_fields(self.ch.command("AT+UPSND=0,0").value("+UPSND:")), 2)
        if not ip:
            raise PdpError("AT+UPSND=0,0 returned no IP")
        return PdpContext(self.cid, apn, ip)

    # Sockets: +UUSORF announces data; +USORF reads it as hex (UDCONF=1,1); sends use the '@' prompt.

    def udp_open(self, host: str, port: int, local_port: int | None) -> tuple[int, UrcWaiter | None]:
        command = f"AT+USOCR=17,{local_port}" if local_port else "AT+USOCR=17"
        socket_id = int_field(split_fields(self.ch.command(command).value("+USOCR:")), 0)
        if socket_id is None:
            raise SocketError(f"{command} returned no socket number")
        waiter = self.ch.urcs("+UUSORF:", lambda u: int_field(split_fields(u.value), 0) == socket_id)
        return socket_id, waiter

    def udp_send(self, socket_id: int, host: str, port: int, data: bytes) -> None:
        try:
            answer = self.ch.command(f'AT+USOST={socket_id},"{host}",{port},{len(data)}', payload=data)
        except CmeError as error:
            raise SocketError(f"USOST on socket {socket_id} failed: {error}", lines=error.lines) from error
        if int_field(split_fields(answer.value("+USOST:")), 1) != len(data):
            raise SocketError(f"USOST sent {answer.value('+USOST:')} of {len(data)} bytes")

    def udp_receive(
        self, socket_id: int, host: str, port: int, timeout: float, waiter: UrcWaiter | None
    ) -> Datagram:
        def read() -> Datagram | None:
            fields = split_fields(self.ch.command(f"AT+USORF={socket_id},1024").value("+USORF:"))
            if (int_field(fields, 3) or 0) == 0:
                return None
            return Datagram(bytes.fromhex(fields[4]), fields[1], int_field(fields, 2))

        return self._receive_on_urc(waiter, timeout, read)

    def udp_close(self, socket_id: int) -> None:
        self.ch.command(f"AT+USOCL={socket_id}")
