"""Quectel BG96 / BG95 / BG77 (reference §2.1-2.2): QCFG RAT and bands, QICSGP/QIACT contexts,
the QIOPEN/QISEND/QIRD UDP service, QCCID/QGMR/QNWINFO/QCSQ, QPOWD, CFUN=1,1."""

from __future__ import annotations

from typing import Any, ClassVar

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
MAX_READ = 1500
# Quectel TCP/IP error codes (reference §1.9).
QI_ERRORS = {
    0: "operation successful",
    552: "invalid parameters",
    555: "operation not supported",
    556: "socket bind failed",
    561: "open PDP context failed",
    563: "socket identity has been used",
    565: "DNS parse failed",
    567: "socket closed",
    572: "operation not allowed",
}
# "nwscanseq" codes -> RAT.
SCAN_CODES = {"01": Rat.GSM, "02": Rat.LTE_M, "03": Rat.NB_IOT}
QCFG_DEFAULTS = {
    "nwscanmode": "0",
    "iotopmode": "2",
    "nwscanseq": "020301",
    "band": "0xf,0x80084,0x80084",
    "roamservice": "2",
    "psm/urc": "0",
    "servicedomain": "1",
    "urc/ri/ring": '"pulse",120,1000,5000,"off",1',
}
QCFG_TEST = (
    '+QCFG: "nwscanseq",(00-010203),(0,1)',
    '+QCFG: "nwscanmode",(0,1,3),(0,1)',
    '+QCFG: "iotopmode",(0-2),(0,1)',
    '+QCFG: "roamservice",(1,2,255),(0,1)',
    '+QCFG: "band",(0-F),(0-400A0E189F),(0-A0E189F),(0,1)',
)


class QuectelDialect(SmsCommands):
    default_cmee = 1  # Quectel ships with AT+CMEE=1
    sim_off_in_cfun0 = True  # +CPIN? then gives +CME ERROR: 13 (reference §1.1)
    qgmr_suffix: ClassVar[str] = "_01.012.01.012"

    def __init__(self, modem: Any) -> None:
        super().__init__(modem)
        self.qcfg: dict[str, str] = dict(QCFG_DEFAULTS)  # non-volatile
        self.sockets = SocketTable(modem, range(12), self.on_datagram)
        self.last_error = 0
        self.act_names = ("CAT-M1", "CAT-NB1") if self.profile.name == "bg96" else ("eMTC", "NBIoT")

    # ------------------------------------------------------------ hooks
    def boot_urcs(self) -> list[str]:
        urcs = list(self.profile.boot_urcs)
        if self.boot_cfun == 1:
            urcs.append("+CFUN: 1")
        sim = self.modem.sim
        if sim.status is SimStatus.READY:
            urcs += ["+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE"]
        elif sim.status is SimStatus.PIN:
            urcs.append("+CPIN: SIM PIN")
        elif sim.status is SimStatus.PUK:
            urcs.append("+CPIN: SIM PUK")
        return urcs

    def on_sim_status(self) -> None:
        status = self.modem.sim.status
        self.modem.urc("+CPIN: READY" if status is SimStatus.READY else "+CPIN: NOT READY")

    def selected_rats(self) -> list[Rat]:
        sequence = self.qcfg["nwscanseq"].strip('"')
        codes = [sequence[i : i + 2] for i in range(0, len(sequence), 2)]
        order = [SCAN_CODES[c] for c in codes if c in SCAN_CODES] or [Rat.LTE_M, Rat.NB_IOT, Rat.GSM]
        order += [r for r in (Rat.LTE_M, Rat.NB_IOT, Rat.GSM) if r not in order]
        mode, iot = self.qcfg["nwscanmode"], self.qcfg["iotopmode"]
        allowed = {
            Rat.GSM: mode in ("0", "1"),
            Rat.LTE_M: mode in ("0", "3") and iot in ("0", "2"),
            Rat.NB_IOT: mode in ("0", "3") and iot in ("1", "2"),
        }
        return [rat for rat in order if allowed[rat]]

    def on_pdp_lost(self, cid: int) -> None:
        self.modem.urc(f'+QIURC: "pdpdeact",{cid}')

    def close_sockets(self, cid: int | None, *, by_network: bool) -> None:
        self.sockets.close_all(cid)

    def power_off(self) -> None:
        self.sockets.close_all()

    def describe_sockets(self) -> list[dict[str, Any]]:
        return self.sockets.describe()

    def storm_urc(self) -> str:
        return '+QIURC: "recv",0' if self.sockets.slots else super().storm_urc()

    # ---------------------------------------------------------- identity
    @command("+QCCID")
    def qccid(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return ok()
        self.require_sim()
        return info(f"+QCCID: {self.iccid_text()}")

    @command("+QGMR")
    def qgmr(self, cmd: Command) -> Result:
        return info(self.profile.revision + self.qgmr_suffix)

    @command("+QPOWD")
    def qpowd(self, cmd: Command) -> Result:
        mode = cmd.arg_int(0, 1, lo=0, hi=1)
        self.modem.power_off("POWERED DOWN")
        return Reply() if mode == 1 else Reply(final=None)

    @command("+QURCCFG", "+QSCLK", "+QINDCFG", "+QSIMSTAT", "+QSIMDET", "+QLTS", "+QPSMS")
    def quectel_setting(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            stored = self.generic.get(cmd.name)
            return info(f"{cmd.name}: {stored}") if stored else ok()
        if cmd.kind is Kind.SET:
            self.generic[cmd.name] = cmd.raw
        return ok()

    # ------------------------------------------------------------- QCFG
    @command("+QCFG")
    def qcfg_command(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return info(*QCFG_TEST)
        item = cmd.arg_str(0).lower()
        if item not in self.qcfg:
            raise CmeError(50)
        values = cmd.args[1:]
        if not values:
            return info(f'+QCFG: "{item}",{self.qcfg[item]}')
        if item == "band":
            if len(values) < 3:
                raise CmeError(50)
            try:
                masks = [int(v or "0", 16) for v in values[:3]]
            except ValueError:
                raise CmeError(50) from None
            self.qcfg[item] = ",".join(f"0x{m:x}" for m in masks)
            return ok()
        value = values[0] or ""
        valid = {
            "nwscanmode": value in ("0", "1", "3"),
            "iotopmode": value in ("0", "1", "2"),
            "nwscanseq": value.isdigit()
            and len(value) % 2 == 0
            and all(value[i : i + 2] in ("00", "01", "02", "03") for i in range(0, len(value), 2)),
            "roamservice": value in ("1", "2", "255"),
        }.get(item, True)
        if not valid:
            raise CmeError(50)
        if item in ("nwscanmode", "iotopmode", "nwscanseq", "roamservice", "psm/urc", "servicedomain"):
            self.qcfg[item] = value
        else:
            self.qcfg[item] = ",".join(v or "" for v in values)
        return ok()

    # ------------------------------------------------------ network info
    def act_name(self) -> str:
        return self.act_names[1] if self.modem.radio.reg.rat is Rat.NB_IOT else self.act_names[0]

    @command("+QNWINFO")
    def qnwinfo(self, cmd: Command) -> Result:
        reg, network = self.modem.radio.reg, self.modem.scenario.network
        if not reg.registered:
            return info("+QNWINFO: No Service")
        name = "GSM" if reg.rat is Rat.GSM else self.act_name()
        band = "GSM 900" if reg.rat is Rat.GSM else f"LTE BAND {network.band}"
        return info(f'+QNWINFO: "{name}","{reg.plmn}","{band}",{network.earfcn}')

    @command("+QCSQ")
    def qcsq(self, cmd: Command) -> Result:
        radio = self.modem.radio
        if not radio.reg.registered:
            return info('+QCSQ: "NOSERVICE"')
        signal = radio.signal
        sinr = max(0, min(250, round((signal.sinr_db + 20) * 5)))
        return info(
            f'+QCSQ: "{self.act_name()}",{signal.rssi_dbm},{signal.rsrp_dbm},{sinr},{round(signal.rsrq_db)}'
        )

    @command("+QSPN")
    def qspn(self, cmd: Command) -> Result:
        network = self.modem.scenario.network
        if not self.modem.radio.reg.registered:
            raise CmeError(30)
        return info(
            f'+QSPN: "{network.operator}","{network.operator_short}","",0,"{self.modem.radio.reg.plmn}"'
        )

    # ---------------------------------------------------------- contexts
    @command("+QICSGP")
    def qicsgp(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return info('+QICSGP: (1-15),(1-3),"APN","USERNAME","PASSWORD",(0-3)')
        cid = cmd.arg_int(0, lo=1, hi=15)
        context = self.modem.radio.context(cid)
        if len(cmd) == 1:
            kind = {"IP": 1, "IPV6": 2, "IPV4V6": 3}.get(context.pdp_type.upper(), 1)
            return info(f'+QICSGP: {kind},"{context.apn}","{context.username}","",{context.auth}')
        kind = cmd.arg_int(1, 1, lo=1, hi=3)
        context.pdp_type = {1: "IP", 2: "IPV6", 3: "IPV4V6"}[kind]
        context.apn = cmd.arg_str(2, "")
        context.username = cmd.arg_str(3, "")
        context.password = cmd.arg_str(4, "")
        context.auth = cmd.arg_int(5, 0, lo=0, hi=3)
        return ok()

    @command("+QIACT")
    def qiact(self, cmd: Command) -> Result:
        radio = self.modem.radio
        if cmd.kind is Kind.TEST:
            return info("+QIACT: (1-15)")
        if cmd.kind is Kind.READ:
            return info(
                *(
                    f'+QIACT: {c.cid},1,1,"{c.ip}"'
                    for c in sorted(radio.contexts.values(), key=lambda c: c.cid)
                    if c.active
                )
            )
        cid = cmd.arg_int(0, lo=1, hi=15)

        async def activate() -> Reply:
            try:
                await radio.activate(cid)
            except PdpError:
                self.last_error = 561
                raise
            self.last_error = 0
            return ok()

        return activate()

    @command("+QIDEACT")
    def qideact(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return info("+QIDEACT: (1-15)")
        self.modem.radio.deactivate(cmd.arg_int(0, lo=1, hi=15))
        return ok()

    # ----------------------------------------------------------- sockets
    @command("+QIOPEN")
    def qiopen(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return info(
                '+QIOPEN: (1-15),(0-11),"TCP/UDP/TCP LISTENER/UDP SERVICE",'
                '"<IP_address>/<domain_name>",<remote_port>,<local_port>,(0-2)'
            )
        cid = cmd.arg_int(0, lo=1, hi=15)
        socket_id = cmd.arg_int(1, lo=0, hi=11)
        service = cmd.arg_str(2).upper()
        host = cmd.arg_str(3)
        remote_port = cmd.arg_int(4, 0, lo=0, hi=65535)
        local_port = cmd.arg_int(5, 0, lo=0, hi=65535)
        access = cmd.arg_int(6, 0, lo=0, hi=2)
        if access == 2:
            raise CmeError(4)  # transparent mode is not simulated
        if service not in ("UDP", "UDP SERVICE", "TCP", "TCP LISTENER"):
            raise CmeError(50)
        self.modem.spawn(self._open(cid, socket_id, service, host, remote_port, local_port, access))
        return ok()

    async def _open(
        self, cid: int, socket_id: int, service: str, host: str, rport: int, lport: int, access: int
    ) -> None:
        modem = self.modem
        await modem.sleep(modem.scenario.modem.socket_open_s)
        result = await self._open_result(cid, socket_id, service, host, rport, lport, access)
        self.last_error = result
        modem.urc(f"+QIOPEN: {socket_id},{result}")

    async def _open_result(
        self, cid: int, socket_id: int, service: str, host: str, rport: int, lport: int, access: int
    ) -> int:
        if socket_id in self.sockets:
            return 563
        if service.startswith("TCP"):
            return 555  # only UDP is simulated
        context = self.modem.radio.contexts.get(cid)
        if context is None or not context.active:
            return 561
        address = self.modem.resolve(host) if service == "UDP" else "127.0.0.1"
        if address is None:
            return 565
        slot = self.sockets.reserve(socket_id, cid)
        slot.service, slot.access_mode, slot.remote_name = service, access, host
        if service == "UDP":
            slot.remote = (address, rport)
        if not await self.sockets.bind_or_release(slot, lport):
            return 556
        return 0

    @command("+QISEND")
    def qisend(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return info("+QISEND: (0-11),(0-1460)")
        slot = self.sockets.require(cmd.arg_int(0, lo=0, hi=11), PlainError())
        udp = slot.udp
        assert udp is not None
        length = cmd.opt_int(1, lo=0, hi=MAX_SEND)
        if length == 0:
            return info(f"+QISEND: {udp.sent_bytes},{udp.sent_bytes},0")
        target = slot.remote
        if slot.service == "UDP SERVICE":
            target_host = cmd.opt_str(2)
            if target_host is None:
                raise PlainError()
            address = self.modem.resolve(target_host)
            if address is None:
                raise PlainError()
            target = (address, cmd.arg_int(3, lo=0, hi=65535))
        if target is None:
            raise PlainError()
        destination = target

        def send(payload: bytes) -> Reply:
            udp.send(payload, destination)
            return Reply(final="SEND OK")

        entry = (
            FixedLength(length)
            if length is not None
            else CtrlZ(max_size=MAX_SEND, on_abort=Reply(final="SEND FAIL"))
        )
        return Prompt(SEND_PROMPT, entry, send)

    @command("+QISENDEX")
    def qisendex(self, cmd: Command) -> Result:
        slot = self.sockets.require(cmd.arg_int(0, lo=0, hi=11), PlainError())
        try:
            data = bytes.fromhex(cmd.arg_str(1))
        except ValueError:
            raise CmeError(50) from None
        if slot.remote is None or slot.udp is None:
            raise PlainError()
        slot.udp.send(data, slot.remote)
        return Reply(final="SEND OK")

    def on_datagram(self, slot: SocketSlot) -> None:
        if slot.access_mode == 1:  # direct push: the data comes with the URC
            assert slot.udp is not None
            datagram = slot.udp.read(MAX_READ)
            if datagram is None:
                return
            header = f'+QIURC: "recv",{slot.id},{len(datagram.data)}'
            if slot.service == "UDP SERVICE":
                ip, port = datagram.address
                header += f',"{self.modem.display_address(ip)}",{port}'
            self.modem.urc((header, datagram.data))
            return
        if not slot.notified:
            slot.notified = True
            self.modem.urc(f'+QIURC: "recv",{slot.id}')

    @command("+QIRD")
    def qird(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return info("+QIRD: (0-11),(0-1500)")
        slot = self.sockets.require(cmd.arg_int(0, lo=0, hi=11), PlainError())
        udp = slot.udp
        assert udp is not None
        if slot.access_mode != 0:
            raise PlainError()
        length = cmd.arg_int(1, MAX_READ, lo=0, hi=MAX_READ)
        if length == 0:
            return info(f"+QIRD: {udp.received_bytes},{udp.read_bytes},{udp.pending_bytes}")
        datagram = udp.read(length)
        if datagram is None:
            slot.notified = False
            return info("+QIRD: 0")
        if not udp.queue:
            slot.notified = False
        header = f"+QIRD: {len(datagram.data)}"
        if slot.service == "UDP SERVICE":
            ip, port = datagram.address
            header += f',"{self.modem.display_address(ip)}",{port}'
        return info(header, datagram.data)

    @command("+QICLOSE")
    def qiclose(self, cmd: Command) -> Result:
        self.sockets.close(cmd.arg_int(0, lo=0, hi=11))
        return ok()

    @command("+QISTATE")
    def qistate(self, cmd: Command) -> Result:
        slots = sorted(self.sockets.slots.values(), key=lambda s: s.id)
        if cmd.kind is Kind.SET:
            query, value = cmd.arg_int(0, lo=0, hi=1), cmd.arg_int(1)
            slots = [s for s in slots if (s.id if query == 1 else s.cid) == value]
        lines = []
        for slot in slots:
            remote_port = slot.remote[1] if slot.remote else 0
            host = slot.remote_name or "127.0.0.1"
            lines.append(
                f'+QISTATE: {slot.id},"{slot.service}","{host}",{remote_port},{slot.local_port},2,'
                f'{slot.cid},0,{slot.access_mode},"uart1"'
            )
        return info(*lines)

    @command("+QIGETERROR")
    def qigeterror(self, cmd: Command) -> Result:
        return info(f"+QIGETERROR: {self.last_error},{QI_ERRORS.get(self.last_error, 'unknown error')}")

    @command("+QIDNSGIP")
    def qidnsgip(self, cmd: Command) -> Result:
        cid = cmd.arg_int(0, lo=1, hi=15)
        host = cmd.arg_str(1)
        context = self.modem.radio.contexts.get(cid)
        if context is None or not context.active:
            raise CmeError(3)
        address = self.modem.resolve(host)

        async def answer() -> None:
            await self.modem.sleep(0.2)
            if address is None:
                self.modem.urc('+QIURC: "dnsgip",565')
                return
            self.modem.urc('+QIURC: "dnsgip",0,1,600')
            self.modem.urc(f'+QIURC: "dnsgip","{address}"')

        self.modem.spawn(answer())
        return ok()
