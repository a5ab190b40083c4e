"""u-blox SARA-R410M (R4) and SARA-R5 (reference §2.4): URAT/UBANDMASK/UMNOPROF, UCGED, CFUN=15/16,
CPWROFF, the R5 internal PDP profile (UPSD/UPSDA/UPSND), and the USOCR/USOST/USORF UDP sockets with
string, hex (UDCONF=1,1) and binary (``@`` prompt) payloads."""

from __future__ import annotations

from typing import Any

from at_commands.dialects.profiles import Rat
from hil.virtual.modem_sim.dialects.base import command
from hil.virtual.modem_sim.dialects.sms import SmsCommands
from hil.virtual.modem_sim.dialects.sockets import SocketSlot, SocketTable
from hil.virtual.modem_sim.errors import CmeError
from hil.virtual.modem_sim.parser import Command, Kind
from hil.virtual.modem_sim.replies import FixedLength, Prompt, Reply, Result, info, ok

BINARY_PROMPT = b"\r\n@"
MAX_BINARY = 512
MAX_HEX_CHARS = 1024
URAT_RATS = {7: Rat.LTE_M, 8: Rat.NB_IOT, 9: Rat.GSM}
DEFAULT_BANDMASK = 185473183  # B1,2,3,4,5,8,12,13,17,18,19,20,25,26,28 (LSB = band 1)


class UbloxDialect(SmsCommands):
    default_cmee = 0

    def __init__(self, modem: Any) -> None:
        super().__init__(modem)
        self.is_r5 = self.profile.name == "sara-r5"
        self.urat: tuple[int, ...] = (7,) if self.is_r5 else (7, 8)  # non-volatile
        self.bandmask = {0: DEFAULT_BANDMASK, 1: DEFAULT_BANDMASK}
        self.mno_profile = 90
        self.ucged_mode = 2
        self.hex_mode = False
        self.psd: dict[int, str] = {0: "0", 100: str(self.profile.default_cid)}  # UPSD profile 0
        self.psd_active = False
        self.sockets = SocketTable(modem, range(7), self.on_datagram)
        self.last_socket_error = 0

    # ------------------------------------------------------------ hooks
    def power_on(self) -> None:
        self.hex_mode = False
        self.psd_active = False

    def power_off(self) -> None:
        self.sockets.close_all()
        self.psd_active = False

    def selected_rats(self) -> list[Rat]:
        return [URAT_RATS[v] for v in self.urat if v in URAT_RATS]

    def close_sockets(self, cid: int | None, *, by_network: bool) -> None:
        for slot in self.sockets.close_all(cid):
            if by_network:
                self.modem.urc(f"+UUSOCL: {slot.id}")

    def on_pdp_lost(self, cid: int) -> None:
        if self.is_r5 and self.psd_active and str(cid) == self.psd.get(100):
            self.psd_active = False
            self.modem.urc("+UUPSDD: 0")

    def describe_sockets(self) -> list[dict[str, Any]]:
        return self.sockets.describe()

    def special_cfun(self, fun: int, reset: int) -> Result | None:
        if fun in (15, 16):  # 15: reset with the SIM, 16: reset without it
            self.modem.reboot_after_reply(f"AT+CFUN={fun}")
            return ok()
        return None

    # ---------------------------------------------------------- identity
    @command("+CCID")
    def ccid(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return ok()
        self.require_sim()
        return info(f"+CCID: {self.iccid_text()}")

    @command("+CPWROFF")
    def cpwroff(self, cmd: Command) -> Result:
        self.modem.power_off()
        return ok()

    @command("+UPSV", "+UCIND", "+UGPIOC", "+USIMSTAT")
    def ublox_setting(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"{cmd.name}: {self.generic.get(cmd.name, '0')}")
        if cmd.kind is Kind.SET:
            self.generic[cmd.name] = cmd.raw
        return ok()

    # --------------------------------------------------------------- RAT
    @command("+URAT")
    def urat_command(self, cmd: Command) -> Result:
        allowed = (7,) if self.is_r5 else (7, 8)
        if cmd.kind is Kind.READ:
            return info("+URAT: " + ",".join(str(v) for v in self.urat))
        if cmd.kind is Kind.TEST:
            values = ",".join(str(v) for v in allowed)
            return info(f"+URAT: ({values}),({values})")
        chosen = tuple(cmd.arg_int(i) for i in range(min(len(cmd), 3)) if cmd.args[i] is not None)
        if not chosen or any(v not in allowed for v in chosen):
            raise CmeError(50)
        self.urat = chosen
        return ok()

    @command("+UBANDMASK")
    def ubandmask(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"+UBANDMASK: 0,{self.bandmask[0]},1,{self.bandmask[1]}")
        if cmd.kind is Kind.TEST:
            return info("+UBANDMASK: (0-1),(0-18446744073709551615)")
        rat = cmd.arg_int(0, lo=0, hi=1)
        self.bandmask[rat] = cmd.arg_int(1, lo=0)
        return ok()

    @command("+UMNOPROF")
    def umnoprof(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"+UMNOPROF: {self.mno_profile}")
        if cmd.kind is Kind.TEST:
            return info("+UMNOPROF: (0-201)")
        if self.modem.radio.cfun != 0:
            raise CmeError(3)  # only in CFUN=0
        self.mno_profile = cmd.arg_int(0, lo=0, hi=201)
        return ok()

    @command("+UCGED")
    def ucged(self, cmd: Command) -> Result:
        if cmd.kind is Kind.SET:
            self.ucged_mode = cmd.arg_int(0, lo=0, hi=5)
            return ok()
        if cmd.kind is Kind.TEST:
            return info("+UCGED: (0,2,5)")
        reg, network, signal = self.modem.radio.reg, self.modem.scenario.network, self.modem.radio.signal
        if not reg.registered:
            return info(f"+UCGED: {self.ucged_mode}", "6,4,fff,fff")
        mcc, mnc = reg.plmn[:3], reg.plmn[3:]
        rsrq = round(signal.rsrq_db)
        return info(
            f"+UCGED: {self.ucged_mode}",
            f"6,0,{mcc},{mnc}",
            f"{network.earfcn},{network.band},6,6,{reg.tac.lower()},{reg.ci.lower()},{network.pci},"
            f"ffffffff,ff,ff,{signal.rsrp_index},{rsrq + 20},{round(signal.sinr_db)},1,0,9,{signal.rsrp_dbm},"
            "0,0,255,0,0,0,0",
        )

    # ------------------------------------------------------- R5 profile
    @command("+UPSD")
    def upsd(self, cmd: Command) -> Result:
        profile_id = cmd.arg_int(0, lo=0, hi=6)
        if profile_id != 0:
            raise CmeError(50)
        if len(cmd) == 1:
            return info(*(f"+UPSD: 0,{p},{self._psd_value(p)}" for p in sorted(self.psd) if p != 3))
        parameter = cmd.arg_int(1, lo=0, hi=100)
        if len(cmd) == 2:
            return info(f"+UPSD: 0,{parameter},{self._psd_value(parameter)}")
        value = cmd.arg_str(2, "")
        if parameter == 100 and not (value.isdigit() and 0 <= int(value) <= 11):
            raise CmeError(50)  # the profile maps to a context id
        self.psd[parameter] = value
        if parameter == 1:  # APN of the profile
            self.modem.radio.context(self._psd_cid()).apn = value
        return ok()

    def _psd_value(self, parameter: int) -> str:
        value = self.psd.get(parameter, "")
        return f'"{value}"' if parameter in (1, 2, 3) else value

    def _psd_cid(self) -> int:
        return int(self.psd.get(100, str(self.profile.default_cid)) or self.profile.default_cid)

    @command("+UPSDA")
    def upsda(self, cmd: Command) -> Result:
        profile_id, action = cmd.arg_int(0, lo=0, hi=6), cmd.arg_int(1, lo=0, hi=6)
        if profile_id != 0:
            raise CmeError(50)
        if action in (0, 1, 2):  # reset / store / load: nothing to do in the simulator
            return ok()
        if action == 4:
            self.psd_active = False
            self.close_sockets(self._psd_cid(), by_network=False)
            return ok()
        if action != 3:
            raise CmeError(50)
        modem = self.modem

        async def activate() -> Reply:
            context = await modem.radio.activate(self._psd_cid())
            self.psd_active = True
            modem.urc_later(0, f'+UUPSDA: 0,"{context.ip}"')
            return ok()

        return activate()

    @command("+UPSND")
    def upsnd(self, cmd: Command) -> Result:
        profile_id, parameter = cmd.arg_int(0, lo=0, hi=6), cmd.arg_int(1, lo=0, hi=8)
        context = self.modem.radio.contexts.get(self._psd_cid())
        active = self.psd_active and context is not None and context.active
        if parameter == 0:
            return info(f'+UPSND: {profile_id},0,"{context.ip if active and context else ""}"')
        if parameter == 8:
            return info(f"+UPSND: {profile_id},8,{int(active)}")
        return info(f"+UPSND: {profile_id},{parameter},0")

    # ----------------------------------------------------------- sockets
    @command("+UDCONF")
    def udconf(self, cmd: Command) -> Result:
        option = cmd.arg_int(0)
        if option != 1:
            return ok()
        if len(cmd) == 1:
            return info(f"+UDCONF: 1,{int(self.hex_mode)}")
        self.hex_mode = cmd.arg_int(1, lo=0, hi=1) == 1
        return ok()

    def _data_cid(self) -> int:
        """The context sockets use; R5 needs its PSD profile up, R4 the default bearer."""
        radio = self.modem.radio
        if self.is_r5:
            cid = self._psd_cid()
            context = radio.contexts.get(cid)
            if not self.psd_active or context is None or not context.active:
                raise CmeError(3)
            return cid
        context = radio.active_context()
        if context is None:
            raise CmeError(3)
        return context.cid

    @command("+USOCR")
    def usocr(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return info("+USOCR: (6,17),(1-65535)")
        protocol = cmd.arg_int(0)
        local_port = cmd.arg_int(1, 0, lo=0, hi=65535)
        if protocol != 17:
            raise CmeError(4)  # TCP is not simulated
        cid = self._data_cid()
        socket_id = self.sockets.free_id()
        if socket_id is None:
            raise CmeError(3)
        slot = self.sockets.reserve(socket_id, cid)

        async def create() -> Reply:
            if not await self.sockets.bind_or_release(slot, local_port):
                raise CmeError(3)
            return info(f"+USOCR: {socket_id}")

        return create()

    def _payload(self, text: str, length: int) -> bytes:
        if self.hex_mode:
            if len(text) != 2 * length or len(text) > MAX_HEX_CHARS:
                raise CmeError(50)
            try:
                return bytes.fromhex(text)
            except ValueError:
                raise CmeError(50) from None
        payload = text.encode("latin-1")
        if len(payload) != length:
            raise CmeError(50)
        return payload

    def _target(self, host: str, port: int) -> tuple[str, int]:
        address = self.modem.resolve(host)
        if address is None:
            raise CmeError(3)
        return address, port

    @command("+USOST")
    def usost(self, cmd: Command) -> Result:
        slot = self.sockets.require(cmd.arg_int(0, lo=0, hi=6), CmeError(3))
        target = self._target(cmd.arg_str(1), cmd.arg_int(2, lo=0, hi=65535))
        length = cmd.arg_int(3, lo=0, hi=MAX_BINARY if cmd.opt_str(4) is None else MAX_HEX_CHARS)
        return self._write(slot, target, length, cmd.opt_str(4), "+USOST")

    @command("+USOCO")
    def usoco(self, cmd: Command) -> Result:
        slot = self.sockets.require(cmd.arg_int(0, lo=0, hi=6), CmeError(3))
        slot.remote = self._target(cmd.arg_str(1), cmd.arg_int(2, lo=0, hi=65535))
        if cmd.arg_int(3, 0) == 1:
            self.modem.urc_later(0, f"+UUSOCO: {slot.id},0")
        return ok()

    @command("+USOWR")
    def usowr(self, cmd: Command) -> Result:
        slot = self.sockets.require(cmd.arg_int(0, lo=0, hi=6), CmeError(3))
        if slot.remote is None:
            raise CmeError(3)
        length = cmd.arg_int(1, lo=0, hi=MAX_HEX_CHARS)
        return self._write(slot, slot.remote, length, cmd.opt_str(2), "+USOWR")

    def _write(
        self, slot: SocketSlot, target: tuple[str, int], length: int, data: str | None, name: str
    ) -> Result:
        udp = slot.udp
        assert udp is not None
        if data is not None:
            sent = udp.send(self._payload(data, length), target)
            return info(f"{name}: {slot.id},{sent}")
        if length > MAX_BINARY:
            raise CmeError(50)

        def binary(payload: bytes) -> Reply:
            return info(f"{name}: {slot.id},{udp.send(payload, target)}")

        return Prompt(BINARY_PROMPT, FixedLength(length), binary)

    def on_datagram(self, slot: SocketSlot) -> None:
        assert slot.udp is not None
        size = len(slot.udp.queue[-1].data) if slot.udp.queue else 0
        self.modem.urc(f"+UUSORF: {slot.id},{size}")

    def _encode(self, data: bytes) -> str:
        return data.hex().upper() if self.hex_mode else data.decode("latin-1")

    @command("+USORF")
    def usorf(self, cmd: Command) -> Result:
        slot = self.sockets.require(cmd.arg_int(0, lo=0, hi=6), CmeError(3))
        udp = slot.udp
        assert udp is not None
        length = cmd.arg_int(1, lo=0, hi=1024)
        if length == 0:
            return info(f"+USORF: {slot.id},{udp.pending_bytes}")
        datagram = udp.read(length)
        if datagram is None:
            return info(f'+USORF: {slot.id},"",0,0,""')
        ip, port = datagram.address
        body = self._encode(datagram.data)
        return info(
            f'+USORF: {slot.id},"{self.modem.display_address(ip)}",{port},{len(datagram.data)},"{body}"'
        )

    @command("+USORD")
    def usord(self, cmd: Command) -> Result:
        slot = self.sockets.require(cmd.arg_int(0, lo=0, hi=6), CmeError(3))
        udp = slot.udp
        assert udp is not None
        length = cmd.arg_int(1, lo=0, hi=1024)
        if length == 0:
            return info(f"+USORD: {slot.id},{udp.pending_bytes}")
        data = udp.read_stream(length)
        return info(f'+USORD: {slot.id},{len(data)},"{self._encode(data)}"')

    @command("+USOCL")
    def usocl(self, cmd: Command) -> Result:
        socket_id = cmd.arg_int(0, lo=0, hi=6)
        if self.sockets.close(socket_id) is None:
            raise CmeError(3)
        self.modem.urc_later(0, f"+UUSOCL: {socket_id}")
        return ok()

    @command("+USOER")
    def usoer(self, cmd: Command) -> Result:
        return info(f"+USOER: {self.last_socket_error}")

    @command("+USOCTL")
    def usoctl(self, cmd: Command) -> Result:
        slot = self.sockets.require(cmd.arg_int(0, lo=0, hi=6), CmeError(3))
        parameter = cmd.arg_int(1, lo=0, hi=10)
        values = {0: "17", 1: "0", 2: str(slot.udp.sent_bytes if slot.udp else 0), 3: str(slot.pending)}
        return info(f"+USOCTL: {slot.id},{parameter},{values.get(parameter, '0')}")

    @command("+USECPRF", "+USECMNG", "+USOSEC")
    def security(self, cmd: Command) -> Result:
        # Accepted and kept out of every log (transcript.redact_line hides the secret fields).
        if cmd.kind is Kind.SET:
            self.generic[cmd.name] = "set"
        return ok()
