"""Nordic nRF91 with the Serial LTE Modem application, NCS <= 3.1 socket syntax (reference §2.3)."""

from __future__ import annotations

from at_commands.channel import UrcWaiter
from at_commands.dialects.base import Dialect
from at_commands.dialects.profiles import Rat
from at_commands.errors import AtTimeoutError, CmeError, PdpError, SocketError
from at_commands.fields import int_field, split_fields
from at_commands.modem_types import Datagram, PdpContext

_SYSTEM_MODE = {Rat.LTE_M: "1,0,0,0", Rat.NB_IOT: "0,1,0,0"}
DATA_MODE_EXIT = b"+++"


class Nordic(Dialect):
    def imei(self) -> str:
        return self._identity("AT+CGSN=1")

    def configure_rat(self, rat: Rat) -> None:
        if rat not in _SYSTEM_MODE:
            raise ValueError(f"nrf91 does not support {rat.value}")
        # %XSYSTEMMODE is accepted only with the radio off (CFUN=0 or 4).
        self.ch.command(f"AT%XSYSTEMMODE={_SYSTEM_MODE[rat]}")

    def read_rat(self) -> Rat | None:
        fields = split_fields(self.ch.command("AT%XSYSTEMMODE?").value("%XSYSTEMMODE:"))
        lte_m, nb_iot = int_field(fields, 0), int_field(fields, 1)
        if lte_m and not nb_iot:
            return Rat.LTE_M
        if nb_iot and not lte_m:
            return Rat.NB_IOT
        return None

    def configure_bands(self, rat: Rat, bands: list[int]) -> None:
        mask = sum(1 << (band - 1) for band in bands)
        self.ch.command(f'AT%XBANDLOCK=2,"{mask:b}"')

    def activate_pdp(self, apn: str) -> PdpContext:
        # The default bearer (cid 0) comes up with the attach; activate only if it did not.
        for value in self.ch.command("AT+CGACT?").values("+CGACT:"):
            fields = split_fields(value)
            if int_field(fields, 0) == self.cid and int_field(fields, 1) == 1:
                return PdpContext(self.cid, apn, self.read_ip())
        try:
            self.ch.command(f"AT+CGACT=1,{self.cid}")
        except CmeError as error:
            raise PdpError(f"PDP context {self.cid} rejected: {error}", lines=error.lines) from error
        return PdpContext(self.cid, apn, self.read_ip())

    # Sockets: one datagram socket; sends as strings (text) or in data mode (binary); receive by
    # polling #XRECVFROM, which waits up to its timeout - NCS <= 3.1 has no data-arrival URC.

    def udp_open(self, host: str, port: int, local_port: int | None) -> tuple[int, UrcWaiter | None]:
        fields = split_fields(self.ch.command("AT#XSOCKET=1,2,0").value("#XSOCKET:"))
        handle = int_field(fields, 0)
        if handle is None or handle < 0:
            raise SocketError(f"#XSOCKET did not return a handle: {fields}")
        if local_port:
            self.ch.command(f"AT#XBIND={local_port}")
        return handle, None

    def udp_send(self, socket_id: int, host: str, port: int, data: bytes) -> None:
        if _is_plain_text(data):
            sent = self.ch.command(f'AT#XSENDTO="{host}",{port},"{data.decode()}"').value("#XSENDTO:")
        else:
            # Binary: #XSENDTO without data enters data mode (no prompt, no OK); the raw bytes
            # follow and "+++" leaves it, answered by OK (slm_data_mode.rst). A payload that
            # itself contains "+++" cannot go this way.
            if DATA_MODE_EXIT in data:
                raise SocketError(f"nrf91 data mode cannot carry a payload containing {DATA_MODE_EXIT!r}")
            self.ch.command(
                f'AT#XSENDTO="{host}",{port}', payload=data, payload_end=DATA_MODE_EXIT, wait_for_prompt=False
            )
            return
        if int_field(split_fields(sent), 0) != len(data):
            raise SocketError(f"#XSENDTO sent {sent} of {len(data)} bytes")

    def udp_receive(
        self, socket_id: int, host: str, port: int, timeout: float, waiter: UrcWaiter | None
    ) -> Datagram:
        seconds = max(1, int(timeout + 0.999))
        try:
            response = self.ch.command(f"AT#XRECVFROM={seconds}", timeout=seconds + 5)
        except CmeError as error:
            raise AtTimeoutError(f"AT#XRECVFROM={seconds}", timeout, "datagram", error.lines) from error
        if response.data is None:
            raise AtTimeoutError(f"AT#XRECVFROM={seconds}", timeout, "datagram", response.lines)
        fields = split_fields(response.value("#XRECVFROM:"))
        return Datagram(response.data, fields[1] if len(fields) > 1 else None, int_field(fields, 2))

    def udp_close(self, socket_id: int) -> None:
        self.ch.command("AT#XSOCKET=0")


def _is_plain_text(data: bytes) -> bool:
    return all(0x20 <= b < 0x7F and b != 0x22 for b in data)
