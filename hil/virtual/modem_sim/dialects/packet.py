"""27.007 network and packet-domain commands: COPS, CREG/CGREG/CEREG, CGATT, CGDCONT, CGACT,
CGPADDR, CGEREP, CGAUTH, CGCONTRDP, and power saving (CPSMS, CEDRXS, CEDRXRDP)."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from at_commands.dialects.profiles import Rat
from hil.virtual.modem_sim.dialects.base import command
from hil.virtual.modem_sim.dialects.general import GeneralCommands
from hil.virtual.modem_sim.errors import CmeError
from hil.virtual.modem_sim.parser import Command, Kind, ParamError
from hil.virtual.modem_sim.radio import REG_COMMANDS
from hil.virtual.modem_sim.replies import Reply, Result, info, ok
from hil.virtual.modem_sim.state import Stat

PDP_TYPES = ("IP", "IPV6", "IPV4V6", "NON-IP")
EDRX_ACT_TYPE = {Rat.LTE_M: 4, Rat.NB_IOT: 5, Rat.GSM: 2}
_TIMER_BITS = frozenset("01")


def _timer(value: str | None, current: str) -> str:
    if value is None:
        return current
    if len(value) != 8 or not set(value) <= _TIMER_BITS:
        raise ParamError(f"timer must be 8 bits, got {value!r}")
    return value


class PacketCommands(GeneralCommands):
    cgpaddr_quoted: ClassVar[bool] = True
    cops_test_formats: ClassVar[str] = "(0-4),(0-2)"

    # ------------------------------------------------------ registration
    def registration_line(self, command_name: str, n: int, *, read: bool) -> str:
        radio = self.modem.radio
        reg = radio.reg
        fields = [str(int(reg.stat))]
        located = bool(reg.tac) and reg.stat in (Stat.HOME, Stat.ROAMING, Stat.DENIED)
        if n >= 2 and located:
            fields += [f'"{reg.tac}"', f'"{reg.ci}"', str(self.act())]
            psm = self.modem.psm.granted() if reg.registered else None
            cause = reg.reject_cause
            if n == 3 and cause is not None:
                fields += ["0", str(cause)]
            elif n >= 4 and (psm is not None or (n == 5 and cause is not None)):
                if n == 5 and cause is not None:
                    fields += ["0", str(cause)]
                else:
                    fields += ["", ""]
                if psm is not None:
                    fields += [f'"{psm[0]}"', f'"{psm[1]}"']
        body = ",".join(fields)
        return f"{command_name}: {n},{body}" if read else f"{command_name}: {body}"

    @command(*REG_COMMANDS)
    def creg(self, cmd: Command) -> Result:
        radio = self.modem.radio
        if cmd.kind is Kind.READ:
            return info(self.registration_line(cmd.name, radio.urc_n[cmd.name], read=True))
        if cmd.kind is Kind.TEST:
            return info(f"{cmd.name}: (0-5)")
        radio.urc_n[cmd.name] = cmd.arg_int(0, 0, lo=0, hi=5)
        return ok()

    # -------------------------------------------------------------- COPS
    def operator_name(self, form: int) -> str:
        network = self.modem.scenario.network
        plmn = self.modem.radio.reg.plmn or network.plmn
        if form == 2 or plmn != network.plmn:
            return plmn
        return network.operator if form == 0 else network.operator_short

    @command("+COPS")
    def cops(self, cmd: Command) -> Result:
        radio = self.modem.radio
        if cmd.kind is Kind.READ:
            if radio.reg.registered:
                name = self.operator_name(radio.cops_format)
                return info(f'+COPS: {radio.cops_mode},{radio.cops_format},"{name}",{self.act()}')
            return info(f"+COPS: {radio.cops_mode}")
        if cmd.kind is Kind.TEST:
            return self._cops_scan()
        mode = cmd.arg_int(0, 0, lo=0, hi=4)
        form = cmd.opt_int(1, lo=0, hi=2)
        if form is not None:
            radio.cops_format = form
        if mode == 3:
            return ok()
        if mode == 2:
            radio.cops_mode = 2
            radio.deregister()
            return ok()
        previous = radio.cops_mode
        radio.cops_mode = 0 if mode == 4 else mode
        if mode in (1, 4):
            wanted = cmd.arg_str(2)
            plmn = self._plmn_of(wanted, form if form is not None else radio.cops_format)
            on_air = plmn == self.modem.scenario.network.plmn
            radio.manual_plmn = plmn if mode == 1 else None
            if mode == 1 and not on_air:
                return self._manual_failure()
            if radio.reg.registered and radio.reg.plmn == plmn:
                return ok()
        else:
            radio.manual_plmn = None
            if radio.reg.registered or (radio.searching and previous != 2):
                return ok()
        if radio.cfun != 1:
            return ok()
        radio.start_registration()
        return ok()

    def _plmn_of(self, text: str, form: int) -> str:
        network = self.modem.scenario.network
        if form == 2 or text.isdigit():
            return text
        if text.lower() in (network.operator.lower(), network.operator_short.lower()):
            return network.plmn
        return text

    def _manual_failure(self) -> Result:
        async def search() -> Reply:
            await self.modem.sleep(self.modem.scenario.network.registration_delay_s)
            raise CmeError(30)

        return search()

    def _cops_scan(self) -> Result:
        modem = self.modem

        async def scan() -> Reply:
            if modem.radio.cfun != 1:
                raise CmeError(30)
            await modem.sleep(modem.scenario.network.cops_scan_s)
            network = modem.scenario.network
            entries = []
            if modem.faults.state("no_coverage") is None:
                for rat in network.rats:
                    if rat not in self.profile.rats:
                        continue
                    current = modem.radio.reg.registered and modem.radio.reg.rat is rat
                    entries.append(
                        f'({2 if current else 1},"{network.operator}","{network.operator_short}",'
                        f'"{network.plmn}",{self.act(rat)})'
                    )
            return info(f"+COPS: {','.join(entries)},,{self.cops_test_formats}")

        return scan()

    # ------------------------------------------------------------ attach
    @command("+CGATT")
    def cgatt(self, cmd: Command) -> Result:
        radio = self.modem.radio
        if cmd.kind is Kind.READ:
            return info(f"+CGATT: {int(radio.reg.attached)}")
        if cmd.kind is Kind.TEST:
            return info("+CGATT: (0,1)")
        state = cmd.arg_int(0, lo=0, hi=1)
        if state == 0:
            if radio.reg.attached:
                radio.deregister()
            return ok()
        if radio.reg.attached:
            return ok()
        if radio.cfun != 1:
            raise CmeError(30)
        if not radio.searching:
            radio.start_registration()
        return self._wait_attached()

    def _wait_attached(self) -> Result:
        modem = self.modem

        async def wait() -> Reply:
            step = max(modem.scaled(0.1), 0.001)
            deadline = modem.scaled(modem.scenario.network.registration_delay_s * 3 + 5)
            waited = 0.0
            while waited < deadline:
                if modem.radio.reg.attached:
                    return ok()
                if not modem.radio.searching and not modem.radio.reg.attached:
                    break
                await asyncio.sleep(step)
                waited += step
            raise CmeError(30)

        return wait()

    # ----------------------------------------------------------- context
    @command("+CGDCONT")
    def cgdcont(self, cmd: Command) -> Result:
        radio = self.modem.radio
        if cmd.kind is Kind.TEST:
            return info(f'+CGDCONT: {self.cgdcont_cids},"IP",,,(0-2),(0-4)')
        if cmd.kind is Kind.READ:
            lines = []
            for cid in sorted(radio.contexts):
                context = radio.contexts[cid]
                address = context.ip if context.active and context.ip else "0.0.0.0"
                lines.append(f'+CGDCONT: {cid},"{context.pdp_type}","{context.apn}","{address}",0,0')
            return info(*lines)
        cid = cmd.arg_int(0, lo=0, hi=15)
        if len(cmd) == 1:
            if cid != self.profile.default_cid:
                radio.contexts.pop(cid, None)
            return ok()
        pdp_type = cmd.arg_str(1, "IP").upper()
        if pdp_type not in PDP_TYPES:
            raise CmeError(50)
        context = radio.context(cid)
        context.pdp_type = "IP" if pdp_type == "IP" else cmd.arg_str(1)
        context.apn = cmd.arg_str(2, "")
        return ok()

    @command("+CGAUTH")
    def cgauth(self, cmd: Command) -> Result:
        radio = self.modem.radio
        if cmd.kind is Kind.READ:
            return info(*(f'+CGAUTH: {c.cid},{c.auth},"{c.username}"' for c in radio.contexts.values()))
        if cmd.kind is Kind.TEST:
            return info("+CGAUTH: (0-15),(0-2),,")
        context = radio.context(cmd.arg_int(0, lo=0, hi=15))
        context.auth = cmd.arg_int(1, 0, lo=0, hi=3)
        context.username = cmd.arg_str(2, "")
        context.password = cmd.arg_str(3, "")
        return ok()

    @command("+CGACT")
    def cgact(self, cmd: Command) -> Result:
        radio = self.modem.radio
        if cmd.kind is Kind.READ:
            return info(
                *(f"+CGACT: {cid},{int(radio.contexts[cid].active)}" for cid in sorted(radio.contexts))
            )
        if cmd.kind is Kind.TEST:
            return info("+CGACT: (0,1)")
        state = cmd.arg_int(0, lo=0, hi=1)
        cids = [cmd.arg_int(i, lo=0, hi=15) for i in range(1, len(cmd))] or sorted(radio.contexts)
        if state == 0:
            for cid in cids:
                radio.deactivate(cid)
            return ok()

        async def activate() -> Reply:
            for cid in cids:
                await radio.activate(cid)
            return ok()

        return activate()

    @command("+CGPADDR")
    def cgpaddr(self, cmd: Command) -> Result:
        radio = self.modem.radio
        if cmd.kind is Kind.TEST:
            return info(f"+CGPADDR: ({','.join(str(c) for c in sorted(radio.contexts))})")
        cids = [cmd.arg_int(i, lo=0, hi=15) for i in range(len(cmd))] or sorted(radio.contexts)
        lines = []
        for cid in cids:
            context = radio.contexts.get(cid)
            if context is None:
                continue
            if context.active and context.ip:
                address = f'"{context.ip}"' if self.cgpaddr_quoted else context.ip
                lines.append(f"+CGPADDR: {cid},{address}")
            else:
                lines.append(f"+CGPADDR: {cid}")
        return info(*lines)

    @command("+CGCONTRDP")
    def cgcontrdp(self, cmd: Command) -> Result:
        radio = self.modem.radio
        cids = [cmd.arg_int(0, lo=0, hi=15)] if len(cmd) else sorted(radio.contexts)
        lines = []
        for cid in cids:
            context = radio.contexts.get(cid)
            if context is None or not context.active:
                continue
            dns = [*context.dns, "", ""][:2]
            lines.append(f'+CGCONTRDP: {cid},5,"{context.apn}","{context.ip}","","{dns[0]}","{dns[1]}"')
        return info(*lines)

    @command("+CGEREP")
    def cgerep(self, cmd: Command) -> Result:
        radio = self.modem.radio
        if cmd.kind is Kind.READ:
            return info(f"+CGEREP: {radio.cgerep},0")
        if cmd.kind is Kind.TEST:
            return info("+CGEREP: (0-2),(0,1)")
        radio.cgerep = cmd.arg_int(0, 0, lo=0, hi=2)
        return ok()

    # ------------------------------------------------------ power saving
    @command("+CPSMS")
    def cpsms(self, cmd: Command) -> Result:
        psm = self.modem.psm
        settings = psm.settings
        if cmd.kind is Kind.READ:
            return info(f'+CPSMS: {settings.psm_mode},,,"{settings.tau}","{settings.active_time}"')
        if cmd.kind is Kind.TEST:
            return info('+CPSMS: (0-2),,,("00000000"-"11111111"),("00000000"-"11111111")')
        mode = cmd.arg_int(0, 0, lo=0, hi=2)
        if mode == 2:
            psm.settings.psm_mode = 0
            psm.settings.tau, psm.settings.active_time = "00111000", "00100001"
        else:
            tau = _timer(cmd.opt_str(3), settings.tau)
            active = _timer(cmd.opt_str(4), settings.active_time)
            settings.psm_mode, settings.tau, settings.active_time = mode, tau, active
        psm.activity()
        return ok()

    @command("+CEDRXS")
    def cedrxs(self, cmd: Command) -> Result:
        edrx = self.modem.psm.settings.edrx
        if cmd.kind is Kind.READ:
            return info(*(f'+CEDRXS: {act},"{value}"' for act, (mode, value) in sorted(edrx.items()) if mode))
        if cmd.kind is Kind.TEST:
            return info('+CEDRXS: (0-3),(4,5),("0000"-"1111")')
        mode = cmd.arg_int(0, 0, lo=0, hi=3)
        if mode == 3:
            edrx.clear()
            return ok()
        act_type = cmd.arg_int(1, 4, lo=1, hi=5)
        value = cmd.arg_str(2, edrx.get(act_type, (0, "0101"))[1])
        if len(value) != 4 or not set(value) <= _TIMER_BITS:
            raise CmeError(50)
        edrx[act_type] = (mode, value)
        radio = self.modem.radio
        if mode == 2 and radio.reg.registered and EDRX_ACT_TYPE[radio.reg.rat] == act_type:
            self.modem.urc_later(0, f'+CEDRXP: {act_type},"{value}","{value}","{self.ptw()}"')
        return ok()

    def ptw(self) -> str:
        return "0011"

    @command("+CEDRXRDP")
    def cedrxrdp(self, cmd: Command) -> Result:
        radio = self.modem.radio
        act_type = EDRX_ACT_TYPE[radio.reg.rat]
        mode, value = self.modem.psm.settings.edrx.get(act_type, (0, ""))
        if not radio.reg.registered or not mode:
            return info("+CEDRXRDP: 0")
        return info(f'+CEDRXRDP: {act_type},"{value}","{value}","{self.ptw()}"')
