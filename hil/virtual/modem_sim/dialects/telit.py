"""Telit ME910C1 (reference §2.7): +ICCID/#CCID, #WS46/#BND, #SERVINFO, #QSS/#PSNT, #REBOOT/#SHDN,
#SGACT contexts and the #SCFG/#SD/#SSENDEXT/SRING/#SRECV/#SH socket family (command mode)."""

from __future__ import annotations

from typing import Any

from at_commands.dialects.profiles import Rat
from hil.virtual.modem_sim.dialects.base import command
from hil.virtual.modem_sim.dialects.sms import SmsCommands
from hil.virtual.modem_sim.dialects.sockets import SocketSlot, SocketTable
from hil.virtual.modem_sim.errors import CmeError
from hil.virtual.modem_sim.parser import Command, Kind
from hil.virtual.modem_sim.replies import CtrlZ, FixedLength, Prompt, Reply, Result, info, ok
from hil.virtual.modem_sim.state import SimStatus

SEND_PROMPT = b"\r\n> "
MAX_SEND = 1500
WS46_RATS = {0: [Rat.LTE_M], 1: [Rat.NB_IOT], 2: [Rat.LTE_M, Rat.NB_IOT], 3: [Rat.NB_IOT, Rat.LTE_M]}
CONNECTIONS = range(1, 7)


class TelitDialect(SmsCommands):
    def __init__(self, modem: Any) -> None:
        super().__init__(modem)
        self.ws46 = 0  # non-volatile, effective at the next attach (Telit wants #REBOOT)
        self.gsm_ws46 = 28
        self.bands = "5,0,524420"
        self.qss = 0
        self.psnt = 0
        self.scfg = {c: [1, 300, 90, 600, 50] for c in CONNECTIONS}  # cid, pktSz, maxTo, connTo, txTo
        self.scfgext = {c: [0, 0, 0, 0] for c in CONNECTIONS}  # srMode, recvDataMode, keepalive, ...
        self.sockets = SocketTable(modem, CONNECTIONS, self.on_datagram)
        self.sgact: set[int] = set()

    # ------------------------------------------------------------ hooks
    def power_on(self) -> None:
        self.qss = self.psnt = 0
        self.sgact.clear()

    def power_off(self) -> None:
        self.sockets.close_all()

    def selected_rats(self) -> list[Rat]:
        lte = WS46_RATS.get(self.ws46, [Rat.LTE_M])
        if self.gsm_ws46 == 12:
            return [Rat.GSM]
        return [*lte, Rat.GSM] if self.gsm_ws46 == 30 else lte

    def on_sim_status(self) -> None:
        if self.qss:
            status = self.modem.sim.status
            self.modem.urc(f"#QSS: {0 if status is SimStatus.ABSENT else 1}")

    def on_registration(self, stat: Any) -> None:
        if self.psnt:
            registered = self.modem.radio.reg.registered
            self.modem.urc(f"#PSNT: {4 if registered else 5}")

    def on_pdp_lost(self, cid: int) -> None:
        self.sgact.discard(cid)

    def close_sockets(self, cid: int | None, *, by_network: bool) -> None:
        self.sockets.close_all(cid)

    def describe_sockets(self) -> list[dict[str, Any]]:
        return self.sockets.describe()

    # ---------------------------------------------------------- identity
    @command("+ICCID", "#CCID")
    def iccid(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return ok()
        self.require_sim()
        return info(f"{cmd.name}: {self.iccid_text()}")

    @command("#CGSN")
    def telit_cgsn(self, cmd: Command) -> Result:
        return info(f"#CGSN: {self.modem.sim.identity.imei}")

    @command("#CIMI")
    def telit_cimi(self, cmd: Command) -> Result:
        self.require_sim()
        return info(f"#CIMI: {self.modem.sim.identity.imsi}")

    @command("#SWPKGV")
    def swpkgv(self, cmd: Command) -> Result:
        revision = self.profile.revision
        return info(f"{revision}-P0F.660002", revision, "P0F.660002", "A0F.660002")

    @command("#REBOOT")
    def reboot(self, cmd: Command) -> Result:
        self.modem.reboot_after_reply("AT#REBOOT")
        return ok()

    @command("#SHDN")
    def shdn(self, cmd: Command) -> Result:
        self.modem.power_off()
        return ok()

    @command("#QSS")
    def qss_command(self, cmd: Command) -> Result:
        sim = self.modem.sim
        if cmd.kind is Kind.READ:
            status = {SimStatus.ABSENT: 0, SimStatus.PIN: 1, SimStatus.PUK: 1}.get(
                sim.status, 3 if sim.ready else 1
            )
            return info(f"#QSS: {self.qss},{status}")
        self.qss = cmd.arg_int(0, 0, lo=0, hi=2)
        return ok()

    @command("#PSNT")
    def psnt_command(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"#PSNT: {self.psnt},{4 if self.modem.radio.reg.registered else 5}")
        self.psnt = cmd.arg_int(0, 0, lo=0, hi=2)
        return ok()

    # --------------------------------------------------------------- RAT
    @command("#WS46")
    def ws46_command(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"#WS46: {self.ws46}")
        if cmd.kind is Kind.TEST:
            return info("#WS46: (0-3)")
        self.ws46 = cmd.arg_int(0, lo=0, hi=3)
        return ok()

    @command("+WS46")
    def gsm_ws46_command(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"+WS46: {self.gsm_ws46}")
        if cmd.kind is Kind.TEST:
            return info("+WS46: (12,28,30)")
        value = cmd.arg_int(0)
        if value not in (12, 28, 30):
            raise CmeError(50)
        self.gsm_ws46 = value
        return ok()

    @command("#BND")
    def bnd(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"#BND: {self.bands}")
        if cmd.kind is Kind.TEST:
            return info("#BND: (0-5),(0),(1-4294967295)")
        values = [str(cmd.arg_int(i, 0, lo=0)) for i in range(max(3, len(cmd)))]
        self.bands = ",".join(values)
        return ok()

    @command("#SERVINFO")
    def servinfo(self, cmd: Command) -> Result:
        reg, network, signal = self.modem.radio.reg, self.modem.scenario.network, self.modem.radio.signal
        if not reg.registered:
            raise CmeError(30)
        return info(
            f'#SERVINFO: {network.earfcn},{signal.rssi_dbm},"{self.operator_name(0)}","{reg.plmn}",'
            f'{network.pci},"{reg.tac}",64,3,{signal.rsrp_dbm}'
        )

    # ---------------------------------------------------------- contexts
    @command("#SGACT")
    def sgact_command(self, cmd: Command) -> Result:
        radio = self.modem.radio
        if cmd.kind is Kind.READ:
            return info(
                *(
                    f"#SGACT: {cid},{int(cid in self.sgact and radio.contexts[cid].active)}"
                    for cid in sorted(radio.contexts)
                )
            )
        if cmd.kind is Kind.TEST:
            return info("#SGACT: (0-15),(0,1)")
        cid, state = cmd.arg_int(0, lo=0, hi=15), cmd.arg_int(1, lo=0, hi=1)
        if state == 0:
            self.sgact.discard(cid)
            self.close_sockets(cid, by_network=False)
            return ok()

        async def activate() -> Reply:
            context = await radio.activate(cid)
            self.sgact.add(cid)
            return info(f"#SGACT: {context.ip}")

        return activate()

    # ----------------------------------------------------------- sockets
    @command("#SCFG")
    def scfg_command(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(*(f"#SCFG: {c},{','.join(str(v) for v in self.scfg[c])}" for c in CONNECTIONS))
        connection = cmd.arg_int(0, lo=1, hi=6)
        self.scfg[connection] = [cmd.arg_int(i, self.scfg[connection][i - 1], lo=0) for i in range(1, 6)]
        return ok()

    @command("#SCFGEXT")
    def scfgext_command(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(*(f"#SCFGEXT: {c},{','.join(str(v) for v in self.scfgext[c])}" for c in CONNECTIONS))
        connection = cmd.arg_int(0, lo=1, hi=6)
        self.scfgext[connection] = [
            cmd.arg_int(i, self.scfgext[connection][i - 1], lo=0) for i in range(1, 5)
        ]
        return ok()

    @command("#SD")
    def sd(self, cmd: Command) -> Result:
        connection = cmd.arg_int(0, lo=1, hi=6)
        protocol = cmd.arg_int(1, lo=0, hi=1)
        remote_port = cmd.arg_int(2, lo=0, hi=65535)
        host = cmd.arg_str(3)
        local_port = cmd.arg_int(5, 0, lo=0, hi=65535)
        command_mode = cmd.arg_int(6, 0, lo=0, hi=1)
        if protocol != 1 or command_mode != 1:
            raise CmeError(4)  # UDP in command mode is what the lab simulates
        if connection in self.sockets:
            raise CmeError(3)
        cid = self.scfg[connection][0]
        context = self.modem.radio.contexts.get(cid)
        if cid not in self.sgact or context is None or not context.active:
            raise CmeError(3)
        address = self.modem.resolve(host)
        if address is None:
            raise CmeError(3)
        slot = self.sockets.reserve(connection, cid)
        slot.remote, slot.remote_name = (address, remote_port), host

        async def dial() -> Reply:
            await self.modem.sleep(self.modem.scenario.modem.socket_open_s)
            try:
                await self.sockets.bind(slot, local_port)
            except (OSError, LookupError, ValueError):
                self.sockets.close(connection)
                raise CmeError(3) from None
            return ok()

        return dial()

    def _send_prompt(self, slot: SocketSlot, target: tuple[str, int], length: int | None) -> Result:
        udp = slot.udp
        assert udp is not None

        def send(payload: bytes) -> Reply:
            udp.send(payload, target)
            return ok()

        entry = FixedLength(length) if length is not None else CtrlZ(max_size=MAX_SEND)
        return Prompt(SEND_PROMPT, entry, send)

    @command("#SSENDEXT")
    def ssendext(self, cmd: Command) -> Result:
        slot = self.sockets.require(cmd.arg_int(0, lo=1, hi=6), CmeError(3))
        assert slot.remote is not None
        return self._send_prompt(slot, slot.remote, cmd.arg_int(1, lo=1, hi=MAX_SEND))

    @command("#SSEND")
    def ssend(self, cmd: Command) -> Result:
        slot = self.sockets.require(cmd.arg_int(0, lo=1, hi=6), CmeError(3))
        assert slot.remote is not None
        return self._send_prompt(slot, slot.remote, None)

    @command("#SSENDUDPEXT")
    def ssendudpext(self, cmd: Command) -> Result:
        slot = self.sockets.require(cmd.arg_int(0, lo=1, hi=6), CmeError(3))
        address = self.modem.resolve(cmd.arg_str(2))
        if address is None:
            raise CmeError(3)
        return self._send_prompt(
            slot, (address, cmd.arg_int(3, lo=0, hi=65535)), cmd.arg_int(1, lo=1, hi=MAX_SEND)
        )

    def on_datagram(self, slot: SocketSlot) -> None:
        assert slot.udp is not None
        size = len(slot.udp.queue[-1].data) if slot.udp.queue else 0
        with_length = self.scfgext[slot.id][0] != 0
        self.modem.urc(f"SRING: {slot.id},{size}" if with_length else f"SRING: {slot.id}")

    @command("#SRECV")
    def srecv(self, cmd: Command) -> Result:
        slot = self.sockets.require(cmd.arg_int(0, lo=1, hi=6), CmeError(3))
        udp = slot.udp
        assert udp is not None
        wanted = cmd.arg_int(1, lo=1, hi=MAX_SEND)
        with_address = cmd.arg_int(2, 0, lo=0, hi=1) == 1
        datagram = udp.read(wanted)
        if datagram is None:
            return info(f"#SRECV: {slot.id},0")
        if with_address:
            ip, port = datagram.address
            source = self.modem.display_address(ip)
            header = f'#SRECV: "{source}",{port},{slot.id},{len(datagram.data)},{udp.pending_bytes}'
        else:
            header = f"#SRECV: {slot.id},{len(datagram.data)}"
        return info(header, datagram.data)

    @command("#SH")
    def sh(self, cmd: Command) -> Result:
        self.sockets.close(cmd.arg_int(0, lo=1, hi=6))
        return ok()

    @command("#SS")
    def ss(self, cmd: Command) -> Result:
        lines = []
        for connection in CONNECTIONS:
            slot = self.sockets.get(connection)
            if slot is None or slot.udp is None or slot.remote is None:
                lines.append(f"#SS: {connection},0")
                continue
            state = 3 if slot.pending else 2
            lines.append(
                f"#SS: {connection},{state},{slot.udp.local_address[0]},{slot.local_port},"
                f"{slot.remote[0]},{slot.remote[1]}"
            )
        return info(*lines)

    @command("#SI")
    def si(self, cmd: Command) -> Result:
        lines = []
        for connection in CONNECTIONS:
            slot = self.sockets.get(connection)
            udp = slot.udp if slot else None
            sent, received = (udp.sent_bytes, udp.received_bytes) if udp else (0, 0)
            pending = udp.pending_bytes if udp else 0
            lines.append(f"#SI: {connection},{sent},{received},{pending},0")
        return info(*lines)
