"""Nordic nRF9160 / nRF91x1 with the Serial LTE Modem application, NCS <= 3.1 (reference §2.3):
%X commands, CFUN 0 at boot, PDU-only SMS with +CNMA, and the #XSOCKET socket family with data mode.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from at_commands.dialects.profiles import Rat
from hil.virtual.modem_sim.dialects.base import command
from hil.virtual.modem_sim.dialects.sms import SmsCommands
from hil.virtual.modem_sim.dialects.sockets import SocketSlot, SocketTable
from hil.virtual.modem_sim.errors import CmeError, CmsError, PlainError
from hil.virtual.modem_sim.parser import Command, Kind
from hil.virtual.modem_sim.replies import DataMode, Prompt, Reply, Result, info, ok
from hil.virtual.modem_sim.state import SimStatus, Stat

MAX_DATA = 1024
NORDIC_SETTINGS = {
    "%MDMEV": "0",
    "%REL14FEAT": "0,0,0,0,0",
    "%RAI": "0",
    "%XDATAPRFL": "2",
    "%XMODEMSLEEP": "0",
    "%XT3412": "0",
    "%XPTW": '4,"0011"',
    "%XEPCO": "1",
    "%XPOFWARN": "0",
    "%XNETTIME": "0",
    "%XTIME": "0",
    "%XCONNSTAT": "0",
    "%CONEVAL": "",
}


class NordicDialect(SmsCommands):
    boot_cfun = 0  # the nRF91 modem starts in CFUN=0
    default_cmee = 0
    sim_off_in_cfun0 = True  # the UICC is off in CFUN=0: +CME ERROR: 13 for SIM commands
    stat_without_sim = Stat.UICC_FAILURE  # +CEREG: 90
    has_sms_storage = False  # no SMS store; +CMT must be acknowledged with AT+CNMA=1
    boot_cnmi = (0, 0, 0, 0, 0)
    sms_memories = ("TA",)
    quote_cpin_codes = True
    cfun_values = frozenset({0, 1, 4, 20, 21, 30, 31, 40, 41, 44})
    cfun_test = "+CFUN: (0,1,4,20,21,30,31,40,41,44)"
    cmee_values = "(0,1)"
    cgdcont_cids = "(0-10)"

    def __init__(self, modem: Any) -> None:
        super().__init__(modem)
        self.system_mode = (1, 1, 0, 0)  # LTE-M, NB-IoT, GNSS, preference (non-volatile)
        self.bandlock: tuple[str, str] = ("", "")
        self.credentials: dict[tuple[int, int], bytes] = {}  # (sec_tag, type) -> content
        self.xsim = 0
        self.cscon = 0
        self.sockets = SocketTable(modem, range(8), self.on_datagram)
        self.selected: int | None = None
        self._data = asyncio.Event()

    # ------------------------------------------------------------ hooks
    def power_on(self) -> None:
        self.xsim = 0
        self.cscon = 0
        self.selected = None

    def power_off(self) -> None:
        self.sockets.close_all()
        self.selected = None

    def selected_rats(self) -> list[Rat]:
        lte_m, nb, _gnss, preference = self.system_mode
        rats = ([Rat.LTE_M] if lte_m else []) + ([Rat.NB_IOT] if nb else [])
        if preference in (2, 4):
            rats.reverse()
        return rats

    def on_cfun(self, old: int, new: int) -> None:
        if self.xsim and new in (1, 4) and old == 0:  # the UICC powers up: after the OK
            self.modem.urc_later(0, f"%XSIM: {int(self.modem.sim.status is SimStatus.READY)}")

    def on_sim_status(self) -> None:
        if self.xsim:
            self._xsim_urc()

    def _xsim_urc(self) -> None:
        self.modem.urc(f"%XSIM: {int(self.modem.sim.status is SimStatus.READY)}")

    def on_rrc(self, connected: bool) -> None:
        if self.cscon:
            self.modem.urc(f"+CSCON: {int(connected)}")

    def close_sockets(self, cid: int | None, *, by_network: bool) -> None:
        self.sockets.close_all(cid)

    def describe_sockets(self) -> list[dict[str, Any]]:
        return self.sockets.describe()

    def cmt_alpha(self, tpdu: bytes) -> str:
        from at_commands.sms import SmsDeliver, decode_pdu

        try:
            message = decode_pdu(tpdu.hex(), has_smsc=False, direction="mt")
        except ValueError:
            return '""'
        return f'"{message.originator.number}"' if isinstance(message, SmsDeliver) else '""'

    def check_can_send(self) -> None:
        if self.modem.sms.settings.cnmi[1] != 2:
            raise CmsError(524)  # no SMS client registered (AT+CNMI=3,2,0,1)

    def storage_counts(self, memory: str) -> tuple[int, int]:
        return 0, 3

    # ------------------------------------------------------------ CFUN
    def cfun_effect(self, fun: int) -> int | None:
        sim = self.modem.sim
        if fun in (40, 41):
            sim.powered = fun == 41
            if self.xsim:
                self.modem.urc_later(0, f"%XSIM: {int(sim.ready)}")
            return None
        return {20: 4, 21: 1, 44: 4, 30: None, 31: None}.get(fun, fun)

    def require_offline(self) -> None:
        if self.modem.radio.cfun == 1:
            raise CmeError(518)  # not allowed in active state

    # ---------------------------------------------------------- identity
    @command("%XICCID")
    def xiccid(self, cmd: Command) -> Result:
        self.require_sim()
        return info(f"%XICCID: {self.iccid_text()}")

    @command("#XSLMVER")
    def xslmver(self, cmd: Command) -> Result:
        return info('#XSLMVER: "2.9.0","2.9.0"')

    @command("#XRESET")
    def xreset(self, cmd: Command) -> Result:
        self.modem.reboot_after_reply("AT#XRESET")
        return ok()

    @command("%XVBAT")
    def xvbat(self, cmd: Command) -> Result:
        return info("%XVBAT: 4464")

    @command("%XTEMP")
    def xtemp(self, cmd: Command) -> Result:
        return info("%XTEMP: 24")

    @command(*NORDIC_SETTINGS)
    def nordic_setting(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"{cmd.name}: {self.generic.get(cmd.name, NORDIC_SETTINGS[cmd.name])}")
        if cmd.kind is Kind.SET:
            self.generic[cmd.name] = cmd.raw
        return ok()

    # --------------------------------------------------------------- SIM
    @command("%XSIM")
    def xsim_command(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"%XSIM: {int(self.modem.sim.ready)}")
        self.xsim = cmd.arg_int(0, 0, lo=0, hi=1)
        return ok()

    @command("+CSCON")
    def cscon_command(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"+CSCON: {self.cscon},{int(self.modem.radio.connected)}")
        if cmd.kind is Kind.TEST:
            return info("+CSCON: (0,1)")
        self.cscon = cmd.arg_int(0, 0, lo=0, hi=3)
        return ok()

    # --------------------------------------------------------------- RAT
    @command("%XSYSTEMMODE")
    def xsystemmode(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info("%XSYSTEMMODE: " + ",".join(str(v) for v in self.system_mode))
        if cmd.kind is Kind.TEST:
            return info("%XSYSTEMMODE: (0,1),(0,1),(0,1),(0-4)")
        self.require_offline()
        values = [cmd.arg_int(i, lo=0, hi=1) for i in range(3)] + [cmd.arg_int(3, 0, lo=0, hi=4)]
        if not values[0] and not values[1] and not values[2]:
            raise CmeError(50)
        self.system_mode = (values[0], values[1], values[2], values[3])
        return ok()

    @command("%XBANDLOCK")
    def xbandlock(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f'%XBANDLOCK: "{self.bandlock[0]}","{self.bandlock[1]}"')
        operation = cmd.arg_int(0, lo=0, hi=2)
        mask = cmd.arg_str(1, "")
        if mask and set(mask) - {"0", "1"}:
            raise CmeError(50)
        if operation == 0:
            self.bandlock = ("", "")
        elif operation == 1:
            self.bandlock = (mask, self.bandlock[1])
        else:
            self.bandlock = (self.bandlock[0], mask)
        return ok()

    @command("%XCBAND")
    def xcband(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return info("%XCBAND: (1,2,3,4,5,8,12,13,17,19,20,25,26,28,66)")
        registered = self.modem.radio.reg.registered
        return info(f"%XCBAND: {self.modem.scenario.network.band if registered else 0}")

    @command("%XMONITOR")
    def xmonitor(self, cmd: Command) -> Result:
        reg, network, signal = self.modem.radio.reg, self.modem.scenario.network, self.modem.radio.signal
        if not reg.registered:
            return info(f"%XMONITOR: {int(reg.stat)}")
        psm = self.modem.psm.granted() or ("11100000", "11100000")
        edrx = self.modem.psm.settings.edrx.get(4 if reg.rat is Rat.LTE_M else 5)
        name = self.operator_name(0)
        return info(
            f'%XMONITOR: {int(reg.stat)},"{name}","{self.operator_name(1)}","{reg.plmn}","{reg.tac}",'
            f'{self.act()},{network.band},"{reg.ci}",{network.pci},{network.earfcn},'
            f'{signal.rsrp_index},{round(signal.sinr_db) + 24},"{edrx[1] if edrx and edrx[0] else ""}",'
            f'"{psm[0]}","{psm[1]}"'
        )

    # ------------------------------------------------------- credentials
    @command("%CMNG")
    def cmng(self, cmd: Command) -> Result:
        operation = cmd.arg_int(0, lo=0, hi=3)
        if operation == 1:
            tag = cmd.opt_int(1)
            lines = [
                f'%CMNG: {t},{k},"{hashlib.sha256(v).hexdigest().upper()}"'
                for (t, k), v in sorted(self.credentials.items())
                if tag is None or t == tag
            ]
            return info(*lines)
        tag, kind = cmd.arg_int(1, lo=0), cmd.arg_int(2, lo=0, hi=6)
        if operation == 0:
            self.require_offline()
            self.credentials[(tag, kind)] = cmd.arg_str(3).encode()
            return ok()
        if operation == 2:
            if kind in (2, 3):  # private keys and PSKs cannot be read back
                raise CmeError(514)
            content = self.credentials.get((tag, kind))
            if content is None:
                raise CmeError(513)
            digest = hashlib.sha256(content).hexdigest().upper()
            return info(f'%CMNG: {tag},{kind},"{digest}","{content.decode()}"')
        self.require_offline()
        if self.credentials.pop((tag, kind), None) is None:
            raise CmeError(513)
        return ok()

    # ----------------------------------------------------------- sockets
    def _active(self) -> SocketSlot:
        slot = self.sockets.get(self.selected) if self.selected is not None else None
        if slot is None:
            raise PlainError()
        return slot

    async def _bound(self, slot: SocketSlot, port: int = 0) -> SocketSlot:
        try:
            await self.sockets.bind(slot, port)
        except (OSError, LookupError, ValueError):
            raise PlainError() from None
        return slot

    @command("#XSOCKET")
    def xsocket(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            slot = self._active()
            return info(f"#XSOCKET: {slot.id},1,0,2,{slot.cid}")
        if cmd.kind is Kind.TEST:
            return info("#XSOCKET: (0,1,2),(1,2,3),(0,1),<cid>")
        operation = cmd.arg_int(0, lo=0, hi=2)
        if operation == 0:
            slot = self._active()
            self.sockets.close(slot.id)
            remaining = sorted(self.sockets.slots)
            self.selected = remaining[-1] if remaining else None
            return info('#XSOCKET: 0,"closed"')
        kind, role = cmd.arg_int(1, lo=1, hi=3), cmd.arg_int(2, lo=0, hi=1)
        cid = cmd.arg_int(3, self.profile.default_cid, lo=0, hi=10)
        if operation != 1 or kind != 2:
            raise CmeError(4)  # IPv4 datagram sockets are what the lab simulates
        handle = self.sockets.free_id()
        if handle is None:
            raise PlainError()
        slot = self.sockets.reserve(handle, cid)
        slot.extra["role"] = role
        self.selected = handle
        return info(f"#XSOCKET: {handle},2,17")

    @command("#XSOCKETSELECT")
    def xsocketselect(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            lines = [
                f"#XSOCKETSELECT: {s.id},1,{s.extra.get('role', 0)},2,-1,{rank},{s.cid}"
                for rank, s in enumerate(sorted(self.sockets.slots.values(), key=lambda s: s.id), 1)
            ]
            if self.selected is not None:
                lines.append(f"#XSOCKETSELECT: {self.selected}")
            return info(*lines)
        handle = cmd.arg_int(0, lo=0)
        if handle not in self.sockets:
            raise PlainError()
        self.selected = handle
        return info(f"#XSOCKETSELECT: {handle}")

    @command("#XSOCKETOPT")
    def xsocketopt(self, cmd: Command) -> Result:
        slot = self._active()
        operation, name = cmd.arg_int(0, lo=0, hi=1), cmd.arg_int(1)
        options: dict[int, str] = slot.extra.setdefault("options", {})
        if operation == 1:
            options[name] = cmd.arg_str(2, "")
            return ok()
        return info(f"#XSOCKETOPT: {options.get(name, '0')}")

    @command("#XBIND")
    def xbind(self, cmd: Command) -> Result:
        slot = self._active()
        port = cmd.arg_int(0, lo=0, hi=65535)
        if slot.udp is not None:
            raise PlainError()

        async def bind() -> Reply:
            await self._bound(slot, port)
            return ok()

        return bind()

    def _target(self, host: str, port: int) -> tuple[str, int]:
        address = self.modem.resolve(host)
        if address is None:
            raise PlainError()
        return address, port

    @command("#XCONNECT")
    def xconnect(self, cmd: Command) -> Result:
        slot = self._active()
        slot.remote = self._target(cmd.arg_str(0), cmd.arg_int(1, lo=0, hi=65535))

        async def connect() -> Reply:
            await self._bound(slot)
            return info("#XCONNECT: 1")

        return connect()

    @command("#XSEND")
    def xsend(self, cmd: Command) -> Result:
        slot = self._active()
        if slot.remote is None:
            raise PlainError()
        return self._send(slot, slot.remote, cmd.opt_str(0) if cmd.kind is Kind.SET else None, "#XSEND")

    @command("#XSENDTO")
    def xsendto(self, cmd: Command) -> Result:
        slot = self._active()
        target = self._target(cmd.arg_str(0), cmd.arg_int(1, lo=0, hi=65535))
        return self._send(slot, target, cmd.opt_str(2), "#XSENDTO")

    def _send(self, slot: SocketSlot, target: tuple[str, int], data: str | None, name: str) -> Result:
        if data is not None:
            payload = data.encode("latin-1")
            if len(payload) > MAX_DATA:
                raise CmeError(50)

            async def send() -> Reply:
                await self._bound(slot)
                assert slot.udp is not None
                return info(f"{name}: {slot.udp.send(payload, target)}")

            return send()

        def chunk(payload: bytes) -> Reply:
            if payload and slot.udp is not None:
                slot.udp.send(payload, target)
            return ok()

        async def enter() -> Prompt:
            await self._bound(slot)
            return Prompt(b"", DataMode(), chunk)  # data mode: no OK until "+++"

        return enter()

    def on_datagram(self, slot: SocketSlot) -> None:
        self._data.set()  # SLM <= 3.1 has no receive URC for #XSOCKET: hosts poll or block

    async def _wait(self, slots: list[SocketSlot], timeout_s: float | None) -> list[SocketSlot]:
        """Slots with data, waiting up to timeout_s real seconds (None: forever, 0: no wait)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout_s is None else loop.time() + timeout_s
        while True:
            ready = [s for s in slots if s.udp is not None and s.udp.queue]
            if ready or timeout_s == 0:
                return ready
            self._data.clear()
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return []
            try:
                await asyncio.wait_for(self._data.wait(), remaining)
            except TimeoutError:
                return []

    def _recv(self, cmd: Command, with_address: bool) -> Result:
        slot = self._active()
        timeout = cmd.arg_int(0, 0, lo=0)
        flags = cmd.arg_int(1, 0, lo=0)
        wait_s: float | None = 0.0 if flags & 64 else (None if timeout == 0 else float(timeout))
        name = "#XRECVFROM" if with_address else "#XRECV"

        async def receive() -> Reply:
            ready = await self._wait([slot], wait_s)
            if not ready or slot.udp is None:
                raise PlainError()
            peek = bool(flags & 2)
            datagram = slot.udp.queue[0] if peek else slot.udp.read(MAX_DATA)
            assert datagram is not None
            if with_address:
                ip, port = datagram.address
                header = f'{name}: {len(datagram.data)},"{self.modem.display_address(ip)}",{port}'
            else:
                header = f"{name}: {len(datagram.data)}"
            return info(header, datagram.data)

        return receive()

    @command("#XRECV")
    def xrecv(self, cmd: Command) -> Result:
        return self._recv(cmd, with_address=False)

    @command("#XRECVFROM")
    def xrecvfrom(self, cmd: Command) -> Result:
        return self._recv(cmd, with_address=True)

    @command("#XPOLL")
    def xpoll(self, cmd: Command) -> Result:
        timeout_ms = cmd.arg_int(0, lo=-1)
        handles = [cmd.arg_int(i, lo=0) for i in range(1, len(cmd))]
        slots = (
            [self.sockets.slots[h] for h in handles if h in self.sockets]
            if handles
            else list(self.sockets.slots.values())
        )
        wait_s = None if timeout_ms < 0 else timeout_ms / 1000

        async def poll() -> Reply:
            ready = await self._wait(slots, wait_s)
            return info(*(f'#XPOLL: {s.id},"0x0001"' for s in ready))

        return poll()

    @command("#XGETADDRINFO")
    def xgetaddrinfo(self, cmd: Command) -> Result:
        address = self.modem.resolve(cmd.arg_str(0))
        if address is None:
            raise PlainError()
        return info(f'#XGETADDRINFO: "{address}"')
