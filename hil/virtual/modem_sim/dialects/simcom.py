"""SIMCom SIM7080G (CNACT app PDP + CA* sockets) and SIM7000 (classic CSTT/CIICR/CIFSR + CIP*
sockets) (reference §2.5-2.6): CNMP/CMNB/CBANDCFG, CPSI, CREBOOT, CPOWD, bare-number CCID."""

from __future__ import annotations

from typing import Any

from at_commands.dialects.profiles import Rat
from hil.virtual.modem_sim.dialects.base import command
from hil.virtual.modem_sim.dialects.sms import SmsCommands
from hil.virtual.modem_sim.dialects.sockets import SocketSlot, SocketTable
from hil.virtual.modem_sim.errors import CmeError, PlainError
from hil.virtual.modem_sim.parser import Command, Kind
from hil.virtual.modem_sim.radio import PdpError
from hil.virtual.modem_sim.replies import CtrlZ, FixedLength, Prompt, Reply, Result, info, ok
from hil.virtual.modem_sim.state import SimStatus

SEND_PROMPT = b"\r\n> "
MAX_SEND = 1460
CNSMOD = {Rat.GSM: 1, Rat.LTE_M: 7, Rat.NB_IOT: 9}
CPSI_SYSTEM = {Rat.GSM: "GSM", Rat.LTE_M: "LTE CAT-M1", Rat.NB_IOT: "LTE NB-IOT"}


class SimcomDialect(SmsCommands):
    sim_off_in_cfun0 = True
    sim_off_cpin = "NOT READY"  # SIMCom answers instead of erroring (reference §1.1)

    def __init__(self, modem: Any) -> None:
        super().__init__(modem)
        self.cnmp = 2  # non-volatile RAT settings
        self.cmnb = 1
        self.bands = {
            "CAT-M": "1,2,3,4,5,8,12,13,18,19,20,25,26,28",
            "NB-IOT": "1,2,3,4,5,8,12,13,18,19,20,25,26,28",
        }
        self.sockets = SocketTable(modem, range(13), self.on_datagram)

    # ------------------------------------------------------------ hooks
    def boot_urcs(self) -> list[str]:
        sim = self.modem.sim
        urcs = ["RDY", "+CFUN: 1"]
        if sim.status is SimStatus.READY:
            return [*urcs, "+CPIN: READY", "SMS Ready"]
        if sim.status is SimStatus.ABSENT:
            return [*urcs, "+CPIN: NOT INSERTED"]
        return [*urcs, "+CPIN: SIM PIN" if sim.status is SimStatus.PIN else "+CPIN: SIM PUK"]

    def on_sim_status(self) -> None:
        status = self.modem.sim.status
        if status is SimStatus.READY:
            self.modem.urc("+CPIN: READY")
            self.modem.urc("SMS Ready")
        else:
            self.modem.urc("+CPIN: NOT READY")

    def selected_rats(self) -> list[Rat]:
        lte = {1: [Rat.LTE_M], 2: [Rat.NB_IOT], 3: [Rat.LTE_M, Rat.NB_IOT]}.get(self.cmnb, [Rat.LTE_M])
        if self.cnmp == 13:
            return [Rat.GSM]
        if self.cnmp == 38:
            return lte
        return [*lte, Rat.GSM]

    def power_off(self) -> None:
        self.sockets.close_all()

    def close_sockets(self, cid: int | None, *, by_network: bool) -> None:
        self.sockets.close_all(cid)

    def describe_sockets(self) -> list[dict[str, Any]]:
        return self.sockets.describe()

    # ---------------------------------------------------------- identity
    @command("+CCID")
    def ccid(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return ok()
        self.require_sim()
        return info(self.iccid_text())  # SIMCom prints the bare number

    @command("+CICCID")
    def ciccid(self, cmd: Command) -> Result:
        self.require_sim()
        return info(f"+ICCID: {self.iccid_text()}")

    @command("+CREBOOT")
    def creboot(self, cmd: Command) -> Result:
        self.modem.reboot_after_reply("AT+CREBOOT")
        return ok()

    @command("+CPOWD")
    def cpowd(self, cmd: Command) -> Result:
        self.modem.power_off()
        return Reply(final="NORMAL POWER DOWN")

    @command("+CSCLK", "+CLTS", "+CIPHEAD", "+CIPSRIP", "+CSSLCFG", "+CASSLCFG", "+SMCONF", "+CIPSPRT")
    def simcom_setting(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"{cmd.name}: {self.generic.get(cmd.name, '0')}")
        if cmd.kind is Kind.SET:
            self.generic[cmd.name] = cmd.raw
        return ok()

    # --------------------------------------------------------------- RAT
    @command("+CNMP")
    def cnmp_command(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"+CNMP: {self.cnmp}")
        if cmd.kind is Kind.TEST:
            return info("+CNMP: (2,13,38,51)")
        value = cmd.arg_int(0)
        if value not in (2, 13, 38, 51) or (value in (13, 51) and Rat.GSM not in self.profile.rats):
            raise CmeError(50)
        self.cnmp = value
        return ok()

    @command("+CMNB")
    def cmnb_command(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"+CMNB: {self.cmnb}")
        if cmd.kind is Kind.TEST:
            return info("+CMNB: (1-3)")
        self.cmnb = cmd.arg_int(0, lo=1, hi=3)
        return ok()

    @command("+CBANDCFG")
    def cbandcfg(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(*(f'+CBANDCFG: "{mode}",{bands}' for mode, bands in self.bands.items()))
        if cmd.kind is Kind.TEST:
            return info('+CBANDCFG: "CAT-M","NB-IOT"')
        mode = cmd.arg_str(0).upper()
        bands = [cmd.arg_int(i, lo=1, hi=85) for i in range(1, len(cmd))]
        if mode not in self.bands or not bands:
            raise CmeError(50)
        self.bands[mode] = ",".join(str(b) for b in bands)
        return ok()

    @command("+CNSMOD")
    def cnsmod(self, cmd: Command) -> Result:
        reg = self.modem.radio.reg
        return info(f"+CNSMOD: 0,{CNSMOD[reg.rat] if reg.registered else 0}")

    @command("+CPSI")
    def cpsi(self, cmd: Command) -> Result:
        reg, network, signal = self.modem.radio.reg, self.modem.scenario.network, self.modem.radio.signal
        if not reg.registered:
            return info("+CPSI: NO SERVICE,Online")
        return info(
            f"+CPSI: {CPSI_SYSTEM[reg.rat]},Online,{reg.plmn[:3]}-{reg.plmn[3:]},0x{reg.tac},"
            f"{int(reg.ci, 16)},{network.pci},EUTRAN-BAND{network.band},{network.earfcn},5,5,"
            f"{round(signal.rsrq_db)},{signal.rsrp_dbm},{signal.rssi_dbm},{round(signal.sinr_db)}"
        )

    @command("+CGNAPN")
    def cgnapn(self, cmd: Command) -> Result:
        context = self.modem.radio.contexts.get(self.profile.default_cid)
        registered = self.modem.radio.reg.registered
        return info(f'+CGNAPN: {int(registered)},"{context.apn if context else ""}"')

    def on_datagram(self, slot: SocketSlot) -> None:
        raise NotImplementedError


class Sim7080Dialect(SimcomDialect):
    """The app-layer PDP (CNCFG/CNACT) and the CA* socket commands."""

    def __init__(self, modem: Any) -> None:
        super().__init__(modem)
        self.app_active: set[int] = set()  # pdpidx with +APP PDP: n,ACTIVE

    def power_on(self) -> None:
        self.app_active.clear()

    def _cid(self, pdpidx: int) -> int:
        return self.profile.default_cid + pdpidx

    def on_pdp_lost(self, cid: int) -> None:
        self._end_dropped_app_contexts()

    def on_cfun(self, old: int, new: int) -> None:
        if new != 1:
            self._end_dropped_app_contexts()

    def _end_dropped_app_contexts(self) -> None:
        """An app context whose PDP context the radio dropped (the network, CFUN=0/4, CGACT=0)
        is down too, as on the module: +APP PDP: n,DEACTIVE, and AT+CNACT=n,1 may follow."""
        radio = self.modem.radio
        for pdpidx in sorted(self.app_active):
            context = radio.contexts.get(self._cid(pdpidx))
            if context is None or not context.active:
                self.app_active.discard(pdpidx)
                self.modem.urc_later(0, f"+APP PDP: {pdpidx},DEACTIVE")

    @command("+CNCFG")
    def cncfg(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            lines = []
            for pdpidx in range(4):
                context = self.modem.radio.contexts.get(self._cid(pdpidx))
                lines.append(f'+CNCFG: {pdpidx},1,"{context.apn if context else ""}","","",0')
            return info(*lines)
        pdpidx = cmd.arg_int(0, lo=0, hi=3)
        context = self.modem.radio.context(self._cid(pdpidx))
        cmd.arg_int(1, 1, lo=0, hi=3)
        context.apn = cmd.arg_str(2, "")
        context.username = cmd.arg_str(3, "")
        context.password = cmd.arg_str(4, "")
        context.auth = cmd.arg_int(5, 0, lo=0, hi=3)
        return ok()

    @command("+CNACT")
    def cnact(self, cmd: Command) -> Result:
        radio = self.modem.radio
        if cmd.kind is Kind.READ:
            lines = []
            for pdpidx in range(4):
                context = radio.contexts.get(self._cid(pdpidx))
                up = pdpidx in self.app_active and context is not None and context.active
                lines.append(f'+CNACT: {pdpidx},{int(up)},"{context.ip if up and context else "0.0.0.0"}"')
            return info(*lines)
        if cmd.kind is Kind.TEST:
            return info("+CNACT: (0-3),(0-2)")
        pdpidx, action = cmd.arg_int(0, lo=0, hi=3), cmd.arg_int(1, lo=0, hi=2)
        if action == 0:
            if pdpidx in self.app_active:
                self.app_active.discard(pdpidx)
                self.close_sockets(self._cid(pdpidx), by_network=False)
                self.modem.urc_later(0, f"+APP PDP: {pdpidx},DEACTIVE")
            return ok()
        self._end_dropped_app_contexts()
        if pdpidx in self.app_active:
            raise PlainError()  # already active
        self.modem.spawn(self._activate(pdpidx))
        return ok()

    async def _activate(self, pdpidx: int) -> None:
        try:
            await self.modem.radio.activate(self._cid(pdpidx))
        except PdpError:
            self.modem.urc(f"+APP PDP: {pdpidx},DEACTIVE")
            return
        self.app_active.add(pdpidx)
        self.modem.urc(f"+APP PDP: {pdpidx},ACTIVE")

    @command("+CACID")
    def cacid(self, cmd: Command) -> Result:
        cmd.arg_int(0, lo=0, hi=12)
        return ok()

    @command("+CAOPEN")
    def caopen(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(
                *(
                    f'+CAOPEN: {s.id},{s.cid},"UDP","{s.remote_name}",{s.remote[1] if s.remote else 0}'
                    for s in self.sockets.slots.values()
                )
            )
        socket_id = cmd.arg_int(0, lo=0, hi=12)
        pdpidx = cmd.arg_int(1, lo=0, hi=3)
        protocol = cmd.arg_str(2).upper()
        host = cmd.arg_str(3)
        port = cmd.arg_int(4, lo=0, hi=65535)

        async def open_socket() -> Reply:
            await self.modem.sleep(self.modem.scenario.modem.socket_open_s)
            result = await self._open(socket_id, pdpidx, protocol, host, port)
            return info(f"+CAOPEN: {socket_id},{result}")

        return open_socket()

    async def _open(self, socket_id: int, pdpidx: int, protocol: str, host: str, port: int) -> int:
        if socket_id in self.sockets:
            return 1
        if protocol != "UDP":
            return 7  # not supported: only UDP is simulated
        context = self.modem.radio.contexts.get(self._cid(pdpidx))
        if pdpidx not in self.app_active or context is None or not context.active:
            return 21  # network not active
        address = self.modem.resolve(host)
        if address is None:
            return 20
        slot = self.sockets.reserve(socket_id, context.cid)
        slot.remote, slot.remote_name = (address, port), host
        if not await self.sockets.bind_or_release(slot):
            return 12
        return 0

    @command("+CASEND")
    def casend(self, cmd: Command) -> Result:
        slot = self.sockets.require(cmd.arg_int(0, lo=0, hi=12), PlainError())
        length = cmd.arg_int(1, lo=1, hi=MAX_SEND)
        udp, target = slot.udp, slot.remote
        assert udp is not None and target is not None

        def send(payload: bytes) -> Reply:
            udp.send(payload, target)
            return ok()

        return Prompt(SEND_PROMPT, FixedLength(length), send)

    def on_datagram(self, slot: SocketSlot) -> None:
        if not slot.notified:
            slot.notified = True
            self.modem.urc(f"+CADATAIND: {slot.id}")

    @command("+CARECV")
    def carecv(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(*(f"+CARECV: {s.id},{s.pending}" for s in self.sockets.slots.values()))
        slot = self.sockets.require(cmd.arg_int(0, lo=0, hi=12), PlainError())
        udp = slot.udp
        assert udp is not None
        data = udp.read_stream(cmd.arg_int(1, lo=1, hi=MAX_SEND))
        if not udp.queue:
            slot.notified = False
        if not data:
            return info("+CARECV: 0")
        return info(f"+CARECV: {len(data)},".encode() + data)

    @command("+CACLOSE")
    def caclose(self, cmd: Command) -> Result:
        if self.sockets.close(cmd.arg_int(0, lo=0, hi=12)) is None:
            raise PlainError()
        return ok()

    @command("+CASTATE")
    def castate(self, cmd: Command) -> Result:
        return info(*(f"+CASTATE: {s.id},1" for s in sorted(self.sockets.slots.values(), key=lambda s: s.id)))


CIP_STATES = ("IP INITIAL", "IP START", "IP CONFIG", "IP GPRSACT", "IP STATUS", "IP PROCESSING", "PDP DEACT")


class Sim7000Dialect(SimcomDialect):
    """The classic TCP/IP stack: CSTT -> CIICR -> CIFSR, CIPSTART/CIPSEND/CIPRXGET, CIPSHUT."""

    def __init__(self, modem: Any) -> None:
        super().__init__(modem)
        self.ip_state = "IP INITIAL"
        self.mux = False
        self.quick_send = False
        self.manual_receive = False
        self.app_pdp = False  # AT+CNACT=1,"apn" on newer firmware

    def power_on(self) -> None:
        self.ip_state = "IP INITIAL"
        self.mux = self.quick_send = self.manual_receive = self.app_pdp = False

    def on_pdp_lost(self, cid: int) -> None:
        if self.ip_state != "IP INITIAL":
            self.ip_state = "PDP DEACT"
            self.modem.urc("+PDP: DEACT")
        if self.app_pdp:
            self.app_pdp = False
            self.modem.urc("+APP PDP: DEACTIVE")

    def on_cfun(self, old: int, new: int) -> None:
        # Radio off ends the CIP stack's context as the network would: PDP DEACT until
        # AT+CIPSHUT, also after a new attach (the stack never comes back by itself).
        if new != 1:
            self.on_pdp_lost(self.profile.default_cid)

    def _link(self, socket_id: int) -> str:
        return f"{socket_id}, " if self.mux else ""

    @command("+CSTT")
    def cstt(self, cmd: Command) -> Result:
        context = self.modem.radio.context(self.profile.default_cid)
        if cmd.kind is Kind.READ:
            return info(f'+CSTT: "{context.apn}","{context.username}",""')
        if cmd.kind is Kind.TEST:
            return info('+CSTT: "APN","USER","PWD"')
        if self.ip_state != "IP INITIAL":
            raise PlainError()
        if cmd.kind is Kind.SET:
            context.apn = cmd.arg_str(0, "")
            context.username = cmd.arg_str(1, "")
            context.password = cmd.arg_str(2, "")
        self.ip_state = "IP START"
        return ok()

    @command("+CIICR")
    def ciicr(self, cmd: Command) -> Result:
        if self.ip_state != "IP START":
            raise PlainError()
        self.ip_state = "IP CONFIG"

        async def activate() -> Reply:
            try:
                await self.modem.radio.activate(self.profile.default_cid)
            except PdpError:
                self.ip_state = "PDP DEACT"
                raise PlainError() from None
            self.ip_state = "IP GPRSACT"
            return ok()

        return activate()

    @command("+CIFSR")
    def cifsr(self, cmd: Command) -> Result:
        context = self.modem.radio.contexts.get(self.profile.default_cid)
        if (
            self.ip_state not in ("IP GPRSACT", "IP STATUS", "IP PROCESSING")
            or context is None
            or not context.ip
        ):
            raise PlainError()
        if self.ip_state == "IP GPRSACT":
            self.ip_state = "IP STATUS"
        return Reply((context.ip,), final=None)  # the bare address, no OK (reference §2.6)

    @command("+CIPMUX")
    def cipmux(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"+CIPMUX: {int(self.mux)}")
        if cmd.kind is Kind.TEST:
            return info("+CIPMUX: (0,1)")
        if self.ip_state != "IP INITIAL":
            raise PlainError()
        self.mux = cmd.arg_int(0, lo=0, hi=1) == 1
        return ok()

    @command("+CIPQSEND")
    def cipqsend(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"+CIPQSEND: {int(self.quick_send)}")
        self.quick_send = cmd.arg_int(0, lo=0, hi=1) == 1
        return ok()

    @command("+CIPSTART")
    def cipstart(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return ok()
        offset = 1 if self.mux else 0
        socket_id = cmd.arg_int(0, lo=0, hi=7) if self.mux else 0
        protocol = cmd.arg_str(offset).upper()
        host = cmd.arg_str(offset + 1)
        port = cmd.arg_int(offset + 2, lo=0, hi=65535)  # quoted or not, as SIMCom accepts both
        if self.ip_state not in ("IP GPRSACT", "IP STATUS", "IP PROCESSING") or socket_id in self.sockets:
            raise PlainError()
        self.modem.spawn(self._connect(socket_id, protocol, host, port))
        return ok()

    async def _connect(self, socket_id: int, protocol: str, host: str, port: int) -> None:
        modem = self.modem
        await modem.sleep(modem.scenario.modem.socket_open_s)
        address = modem.resolve(host)
        if protocol != "UDP" or address is None:
            modem.urc(f"{self._link(socket_id)}CONNECT FAIL")
            return
        slot = self.sockets.reserve(socket_id, self.profile.default_cid)
        slot.remote, slot.remote_name = (address, port), host
        if not await self.sockets.bind_or_release(slot):
            modem.urc(f"{self._link(socket_id)}CONNECT FAIL")
            return
        self.ip_state = "IP PROCESSING" if self.mux else "CONNECT OK"
        modem.urc(f"{self._link(socket_id)}CONNECT OK")

    @command("+CIPSEND")
    def cipsend(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return info("+CIPSEND: (0-7),(1-1460)" if self.mux else "+CIPSEND: (1-1460)")
        socket_id = cmd.arg_int(0, lo=0, hi=7) if self.mux and cmd.kind is Kind.SET else 0
        length_index = 1 if self.mux else 0
        length = cmd.opt_int(length_index, lo=1, hi=MAX_SEND) if cmd.kind is Kind.SET else None
        slot = self.sockets.require(socket_id, PlainError())
        udp, target = slot.udp, slot.remote
        assert udp is not None and target is not None

        def send(payload: bytes) -> Reply:
            udp.send(payload, target)
            if self.quick_send:
                return Reply(
                    final=f"DATA ACCEPT:{socket_id},{len(payload)}"
                    if self.mux
                    else f"DATA ACCEPT:{len(payload)}"
                )
            return Reply(final=f"{self._link(socket_id)}SEND OK")

        entry = (
            FixedLength(length)
            if length is not None
            else CtrlZ(max_size=MAX_SEND, on_abort=Reply(final=None))
        )
        return Prompt(SEND_PROMPT, entry, send)

    def on_datagram(self, slot: SocketSlot) -> None:
        if self.manual_receive:
            if not slot.notified:
                slot.notified = True
                self.modem.urc(f"+CIPRXGET: 1,{slot.id}" if self.mux else "+CIPRXGET: 1")
            return
        assert slot.udp is not None
        datagram = slot.udp.read(MAX_SEND)
        if datagram is None:
            return
        if self.mux:
            self.modem.urc((f"+RECEIVE,{slot.id},{len(datagram.data)}:", datagram.data))
        else:
            self.modem.engine.raw(datagram.data)

    @command("+CIPRXGET")
    def ciprxget(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"+CIPRXGET: {int(self.manual_receive)}")
        mode = cmd.arg_int(0, lo=0, hi=4)
        if mode in (0, 1):
            self.manual_receive = mode == 1
            return ok()
        socket_id = cmd.arg_int(1, lo=0, hi=7) if self.mux else 0
        slot = self.sockets.require(socket_id, PlainError())
        udp = slot.udp
        assert udp is not None
        link = f"{socket_id}," if self.mux else ""
        if mode == 4:
            return info(f"+CIPRXGET: 4,{link}{udp.pending_bytes}")
        wanted = cmd.arg_int(2 if self.mux else 1, 1460, lo=1, hi=1460)
        data = udp.read_stream(wanted if mode == 2 else wanted // 2 or 1)
        if not udp.queue:
            slot.notified = False
        body: bytes = data if mode == 2 else data.hex().upper().encode()
        return info(f"+CIPRXGET: {mode},{link}{len(data)},{udp.pending_bytes}", body)

    @command("+CIPCLOSE")
    def cipclose(self, cmd: Command) -> Result:
        socket_id = cmd.arg_int(0, lo=0, hi=7) if self.mux else 0
        if self.sockets.close(socket_id) is None:
            raise PlainError()
        if not self.sockets.slots and self.ip_state in ("CONNECT OK", "IP PROCESSING"):
            self.ip_state = "IP STATUS" if not self.mux else "IP PROCESSING"
        return Reply(final=f"{self._link(socket_id)}CLOSE OK")

    @command("+CIPSHUT")
    def cipshut(self, cmd: Command) -> Result:
        self.sockets.close_all()
        if self.ip_state not in ("IP INITIAL", "IP START"):
            self.modem.radio.deactivate(self.profile.default_cid)
        self.ip_state = "IP INITIAL"
        return Reply(final="SHUT OK")

    @command("+CIPSTATUS")
    def cipstatus(self, cmd: Command) -> Result:
        after: list[str] = [f"STATE: {self.ip_state}"]
        if self.mux:
            for socket_id in range(8):
                slot = self.sockets.get(socket_id)
                if slot is None or slot.remote is None:
                    after.append(f'C: {socket_id},,"","","","INITIAL"')
                else:
                    after.append(f'C: {socket_id},0,"UDP","{slot.remote[0]}","{slot.remote[1]}","CONNECTED"')
        return Reply(final="OK", after=after)

    @command("+CNACT")
    def cnact_legacy(self, cmd: Command) -> Result:
        radio = self.modem.radio
        context = radio.context(self.profile.default_cid)
        if cmd.kind is Kind.READ:
            up = self.app_pdp and context.active
            return info(f'+CNACT: {int(up)},"{context.ip if up else "0.0.0.0"}"')
        action = cmd.arg_int(0, lo=0, hi=2)
        if action == 0:
            if self.app_pdp:
                self.app_pdp = False
                self.modem.urc_later(0, "+APP PDP: DEACTIVE")
            return ok()
        if cmd.opt_str(1) is not None:
            context.apn = cmd.arg_str(1)

        async def activate() -> None:
            try:
                await radio.activate(context.cid)
            except PdpError:
                self.modem.urc("+APP PDP: DEACTIVE")
                return
            self.app_pdp = True
            self.modem.urc("+APP PDP: ACTIVE")

        self.modem.spawn(activate())
        return ok()
