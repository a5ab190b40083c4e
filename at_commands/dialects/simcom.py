"""SIMCom SIM7080 (CA* sockets, CNACT app PDP) and SIM7000 (classic CIP stack) (reference §2.5, §2.6)."""

from __future__ import annotations

from at_commands.channel import UrcWaiter
from at_commands.dialects.base import Dialect
from at_commands.dialects.profiles import Rat
from at_commands.errors import AtCommandError, CmeError, PdpError, SocketError
from at_commands.fields import int_field, split_fields
from at_commands.modem_types import Datagram, PdpContext

_CNMP = {Rat.LTE_M: (38, 1), Rat.NB_IOT: (38, 2), Rat.GSM: (13, None)}
_BAND_RAT_NAME = {Rat.LTE_M: "CAT-M", Rat.NB_IOT: "NB-IOT"}
ACTIVATE_TIMEOUT = 60.0  # +APP PDP after CNACT (TinyGSM SIM7080)


class SimcomCommon(Dialect):
    binds_local_port = False  # AT+CAOPEN / AT+CIPSTART take no local port (reference §2.5, §2.6)

    def configure_rat(self, rat: Rat) -> None:
        if rat not in self.profile.rats:
            raise ValueError(f"{self.name} does not support {rat.value}")
        mode, band_class = _CNMP[rat]
        self.ch.command(f"AT+CNMP={mode}")
        if band_class is not None:
            self.ch.command(f"AT+CMNB={band_class}")

    def read_rat(self) -> Rat | None:
        mode = int_field(split_fields(self.ch.command("AT+CNMP?").value("+CNMP:")), 0)
        if mode == 13:
            return Rat.GSM
        band_class = int_field(split_fields(self.ch.command("AT+CMNB?").value("+CMNB:")), 0)
        return {1: Rat.LTE_M, 2: Rat.NB_IOT}.get(band_class) if band_class is not None else None

    def configure_bands(self, rat: Rat, bands: list[int]) -> None:
        if rat not in _BAND_RAT_NAME:
            raise ValueError(f"band selection is for LTE-M / NB-IoT, not {rat.value}")
        self.ch.command(f'AT+CBANDCFG="{_BAND_RAT_NAME[rat]}",{",".join(map(str, bands))}')


class Sim7080(SimcomCommon):
    def activate_pdp(self, apn: str) -> PdpContext:
        # AT+CNACT=0,1 on an active context is an ERROR, so a second activation (e.g. the next
        # check of a suite) reuses the context that is up instead of failing.
        active = self._active_context(apn)
        if active is not None:
            return active
        self.ch.command(f'AT+CNCFG=0,1,"{apn}"')
        try:
            with self.ch.urcs("+APP PDP:") as status:
                self.ch.command("AT+CNACT=0,1")
                result = split_fields(status.get(ACTIVATE_TIMEOUT).value)
        except CmeError as error:
            raise PdpError(f"CNACT rejected: {error}", lines=error.lines) from error
        if result[-1] != "ACTIVE":
            raise PdpError(f"+APP PDP reported {result}")
        context = self._active_context(apn)
        if context is None:
            raise PdpError("CNACT is ACTIVE but AT+CNACT? lists no address for context 0")
        return context

    def _active_context(self, apn: str) -> PdpContext | None:
        """Context 0 with its address when AT+CNACT? lists it as up."""
        for value in self.ch.command("AT+CNACT?").values("+CNACT:"):
            fields = split_fields(value)
            if int_field(fields, 0) == 0 and int_field(fields, 1) == 1:
                return PdpContext(0, apn, fields[2])
        return None

    def udp_open(self, host: str, port: int, local_port: int | None) -> tuple[int, UrcWaiter | None]:
        socket_id = 0  # one socket is all the Modem API keeps open per session
        waiter = self.ch.urcs("+CADATAIND:", lambda u: int_field(split_fields(u.value), 0) == socket_id)
        try:
            answer = self.ch.command(f'AT+CAOPEN={socket_id},0,"UDP","{host}",{port}')
        except (CmeError, AtCommandError):
            waiter.close()
            raise
        result = int_field(split_fields(answer.value("+CAOPEN:")), 1)
        if result != 0:
            waiter.close()
            raise SocketError(f"AT+CAOPEN: socket {socket_id} failed with result {result}")
        return socket_id, waiter

    def udp_send(self, socket_id: int, host: str, port: int, data: bytes) -> None:
        try:
            self.ch.command(f"AT+CASEND={socket_id},{len(data)}", payload=data)
        except CmeError as error:
            raise SocketError(f"CASEND on socket {socket_id} failed: {error}", lines=error.lines) from error

    def udp_receive(
        self, socket_id: int, host: str, port: int, timeout: float, waiter: UrcWaiter | None
    ) -> Datagram:
        def read() -> Datagram | None:
            data = self.ch.command(f"AT+CARECV={socket_id},1460").data
            return Datagram(data, host, port) if data else None

        return self._receive_on_urc(waiter, timeout, read)

    def udp_close(self, socket_id: int) -> None:
        self.ch.command(f"AT+CACLOSE={socket_id}")


class Sim7000(SimcomCommon):
    def activate_pdp(self, apn: str) -> PdpContext:
        # Once the CIP stack is up, AT+CIPMUX and AT+CSTT answer ERROR: reuse its address.
        try:
            return PdpContext(1, apn, self.ch.command("AT+CIFSR").value())
        except (CmeError, AtCommandError):
            pass  # no wireless connection: bring it up
        # From PDP DEACT (radio off, network loss) or a half-done bring-up, only AT+CIPSHUT
        # returns the stack to IP INITIAL, where AT+CIPMUX is accepted (as TinyGSM does).
        self.ch.command("AT+CIPSHUT", timeout=65)
        self.ch.command("AT+CIPMUX=1")
        self.ch.command("AT+CIPRXGET=1")
        try:
            self.ch.command(f'AT+CSTT="{apn}","",""')
            self.ch.command("AT+CIICR")
        except (CmeError, AtCommandError) as error:
            raise PdpError(
                f"bringing up the wireless connection failed: {error}", lines=error.lines
            ) from error
        # AT+CIFSR answers with the bare IP and no OK (reference §2.6).
        return PdpContext(1, apn, self.ch.command("AT+CIFSR").value())

    def udp_open(self, host: str, port: int, local_port: int | None) -> tuple[int, UrcWaiter | None]:
        link = 0
        waiter = self.ch.urcs("+CIPRXGET:", lambda u: split_fields(u.value)[:2] == ["1", str(link)])
        try:
            with self.ch.urcs(f"{link}, CONNECT OK") as connected:
                self.ch.command(f'AT+CIPSTART={link},"UDP","{host}",{port}')
                connected.get(75)
        except Exception:
            waiter.close()
            raise
        return link, waiter

    def udp_send(self, socket_id: int, host: str, port: int, data: bytes) -> None:
        try:
            self.ch.command(f"AT+CIPSEND={socket_id},{len(data)}", payload=data)
        except AtCommandError as error:
            raise SocketError(f"CIPSEND on link {socket_id} failed: {error}", lines=error.lines) from error

    def udp_receive(
        self, socket_id: int, host: str, port: int, timeout: float, waiter: UrcWaiter | None
    ) -> Datagram:
        def read() -> Datagram | None:
            data = self.ch.command(f"AT+CIPRXGET=2,{socket_id},1460").data
            return Datagram(data, host, port) if data else None

        return self._receive_on_urc(waiter, timeout, read)

    def udp_close(self, socket_id: int) -> None:
        self.ch.command(f"AT+CIPCLOSE={socket_id}")
