"""Quectel BG95 / BG96 / BG77 (reference §2.1, §2.2)."""

from __future__ import annotations

from at_commands.channel import UrcWaiter
from at_commands.dialects.base import Dialect
from at_commands.dialects.profiles import Rat
from at_commands.errors import CmeError, PdpError, SocketError
from at_commands.fields import int_field, split_fields
from at_commands.modem_types import Datagram, PdpContext, Signal
from at_commands.session import Urc

# Mbed's BG96 triples: (nwscanseq, nwscanmode, iotopmode or None).
_RAT_CONFIG = {
    Rat.LTE_M: ("020301", 3, 0),
    Rat.NB_IOT: ("030201", 3, 1),
    Rat.GSM: ("010203", 1, None),
}
OPEN_TIMEOUT = 150.0  # +QIOPEN URC (Quectel TCP/IP application note)


class Quectel(Dialect):
    def firmware(self) -> str:
        return self._identity("AT+QGMR")

    def configure_rat(self, rat: Rat) -> None:
        sequence, scan_mode, iot_mode = _RAT_CONFIG[rat]
        self.ch.command(f'AT+QCFG="nwscanseq",{sequence},1')
        self.ch.command(f'AT+QCFG="nwscanmode",{scan_mode},1')
        if iot_mode is not None:
            self.ch.command(f'AT+QCFG="iotopmode",{iot_mode},1')

    def read_rat(self) -> Rat | None:
        scan_mode = int_field(split_fields(self.ch.command('AT+QCFG="nwscanmode"').value("+QCFG:")), 1)
        if scan_mode == 1:
            return Rat.GSM
        iot_mode = int_field(split_fields(self.ch.command('AT+QCFG="iotopmode"').value("+QCFG:")), 1)
        return {0: Rat.LTE_M, 1: Rat.NB_IOT}.get(iot_mode) if iot_mode is not None else None

    def configure_bands(self, rat: Rat, bands: list[int]) -> None:
        mask = sum(1 << (band - 1) for band in bands)
        gsm, catm, nb = ("f", "0", "0")
        if rat is Rat.LTE_M:
            gsm, catm, nb = ("0", f"{mask:x}", "0")
        elif rat is Rat.NB_IOT:
            gsm, catm, nb = ("0", "0", f"{mask:x}")
        self.ch.command(f'AT+QCFG="band",{gsm},{catm},{nb},1')

    def signal(self) -> Signal:
        generic = super().signal()
        response = self.ch.command("AT+QCSQ", check=False)
        if not response.ok or not response.values("+QCSQ:"):
            return generic
        fields = split_fields(response.value("+QCSQ:"))
        rsrp, rsrq = int_field(fields, 2), int_field(fields, 4)
        if fields[0] in ("CAT-M1", "CAT-NB1", "eMTC", "NBIoT") and rsrp is not None:
            return Signal(
                generic.rssi_dbm,
                generic.ber,
                float(rsrp),
                float(rsrq) if rsrq is not None else None,
                generic.csq,
            )
        return generic

    def activate_pdp(self, apn: str) -> PdpContext:
        self.ch.command(f'AT+QICSGP=1,1,"{apn}","","",0')
        try:
            self.ch.command("AT+QIACT=1")
        except CmeError as error:
            raise PdpError(f"QIACT rejected: {error}", lines=error.lines) from error
        for value in self.ch.command("AT+QIACT?").values("+QIACT:"):
            fields = split_fields(value)
            if int_field(fields, 0) == 1 and int_field(fields, 1) == 1:
                return PdpContext(1, apn, fields[3])
        raise PdpError("QIACT succeeded but AT+QIACT? lists no active context 1")

    # Sockets: buffer access mode, "+QIURC: "recv",<id>" then AT+QIRD.

    def udp_open(self, host: str, port: int, local_port: int | None) -> tuple[int, UrcWaiter | None]:
        socket_id = self._free_socket_id()
        received = self.ch.urcs("+QIURC:", lambda u: _qiurc(u) == ("recv", socket_id))
        try:
            with self.ch.urcs(
                "+QIOPEN:", lambda u: int_field(split_fields(u.value), 0) == socket_id
            ) as opened:
                self.ch.command(f'AT+QIOPEN=1,{socket_id},"UDP","{host}",{port},{local_port or 0},0')
                result = int_field(split_fields(opened.get(OPEN_TIMEOUT).value), 1)
        except Exception:
            received.close()
            raise
        if result != 0:
            received.close()
            raise SocketError(f"AT+QIOPEN: socket {socket_id} failed with error {result} (see +QIGETERROR)")
        return socket_id, received

    def _free_socket_id(self) -> int:
        used = {
            int_field(split_fields(v), 0)
            for v in self.ch.command("AT+QISTATE?", check=False).values("+QISTATE:")
        }
        return next(i for i in range(self.profile.max_sockets) if i not in used)

    def udp_send(self, socket_id: int, host: str, port: int, data: bytes) -> None:
        try:
            self.ch.command(f"AT+QISEND={socket_id},{len(data)}", payload=data)
        except CmeError as error:
            raise SocketError(f"QISEND on socket {socket_id} failed: {error}", lines=error.lines) from error

    def udp_receive(
        self, socket_id: int, host: str, port: int, timeout: float, waiter: UrcWaiter | None
    ) -> Datagram:
        def read() -> Datagram | None:
            data = self.ch.command(f"AT+QIRD={socket_id},1500").data
            return Datagram(data, host, port) if data else None

        # Reading an empty buffer is harmless here ("+QIRD: 0"), so try before waiting.
        return read() or self._receive_on_urc(waiter, timeout, read)

    def udp_close(self, socket_id: int) -> None:
        self.ch.command(f"AT+QICLOSE={socket_id}")


def _qiurc(urc: Urc) -> tuple[str, int | None]:
    fields = split_fields(urc.value)
    return fields[0], int_field(fields, 1)
