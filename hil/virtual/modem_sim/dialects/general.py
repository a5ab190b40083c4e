"""27.007 general commands: identity, CMEE, CFUN, SIM (CPIN, CLCK, CIMI, CRSM), signal."""

from __future__ import annotations

import asyncio
import zlib
from datetime import UTC, datetime
from typing import ClassVar

from at_commands.sim import (
    EF_AD,
    EF_EPSLOCI,
    EF_FPLMN,
    EF_ICCID,
    EF_IMSI,
    EF_LOCI,
    EpsLoci,
    EpsUpdateStatus,
    Guti,
    LocationUpdateStatus,
    Loci,
    encode_ef_ad,
    encode_ef_epsloci,
    encode_ef_iccid,
    encode_ef_imsi,
    encode_ef_loci,
    mnc_length,
)
from hil.virtual.modem_sim.dialects.base import DialectBase, command
from hil.virtual.modem_sim.errors import CmeError, PlainError
from hil.virtual.modem_sim.parser import Command, Kind
from hil.virtual.modem_sim.replies import Reply, Result, info, ok
from hil.virtual.modem_sim.state import SimStatus

# Settings a host may set and read back that change nothing in the simulator: name -> default.
GENERIC_SETTINGS: dict[str, str] = {
    "+CTZR": "0",
    "+CTZU": "0",
    "+CMER": "0,0,0,0,0",
    "+IFC": "0,0",
    "+IPR": "115200",
    "+ICF": "3,3",
    "+CEPPI": "0",
    "+CNEC": "0",
    "+CREDL": "0",
}

_SW_OK = "144,0"
_SW_NOT_FOUND = "106,130"  # 6A82 file not found
_SW_WRONG_LENGTH = "103,0"  # 6700
_SW_DENIED = "105,130"  # 6982 security status not satisfied
_SW_BAD_INSTRUCTION = "109,0"  # 6D00


class GeneralCommands(DialectBase):
    revision_command_extra: ClassVar[tuple[str, ...]] = ()

    # ------------------------------------------------------------ identity
    @command("+CGMI", "+GMI")
    def cgmi(self, cmd: Command) -> Result:
        return self._identity(cmd, self.profile.manufacturer)

    @command("+CGMM", "+GMM")
    def cgmm(self, cmd: Command) -> Result:
        return self._identity(cmd, self.profile.model)

    @command("+CGMR", "+GMR")
    def cgmr(self, cmd: Command) -> Result:
        return self._identity(cmd, self.profile.revision)

    def _identity(self, cmd: Command, value: str) -> Result:
        if cmd.kind is Kind.TEST:
            return ok()
        if cmd.kind is not Kind.ACTION:
            raise PlainError()
        return info(value)

    @command("I")
    def ati(self, cmd: Command) -> Result:
        if not self.profile.ati:
            raise PlainError()
        return info(*self.profile.ati)

    @command("+CGSN", "+GSN")
    def cgsn(self, cmd: Command) -> Result:
        imei = self.modem.sim.identity.imei
        if cmd.kind is Kind.TEST:
            return info("+CGSN: (0-3)") if cmd.name == "+CGSN" else ok()
        if cmd.kind is Kind.SET:
            kind = cmd.arg_int(0, lo=0, hi=3)
            if kind == 1:
                return info(f'+CGSN: "{imei}"')
            if kind == 2:
                return info(f'+CGSN: "{imei[:8]}"')  # TAC: the IMEI's type allocation code
            if kind == 3:
                return info(f'+CGSN: "{imei[14:] or "00"}"')
        return info(imei)

    @command("+CIMI")
    def cimi(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return ok()
        self.require_sim()
        return info(self.modem.sim.identity.imsi)

    def iccid_text(self) -> str:
        """The ICCID as modules print it: 19 digits get an F pad on most firmware."""
        iccid = self.modem.sim.identity.iccid
        return iccid + "F" if len(iccid) % 2 else iccid

    # ------------------------------------------------------------- CMEE
    @command("+CMEE")
    def cmee(self, cmd: Command) -> Result:
        settings = self.modem.engine.settings
        if cmd.kind is Kind.READ:
            return info(f"+CMEE: {settings.cmee}")
        if cmd.kind is Kind.TEST:
            return info(f"+CMEE: {self.cmee_values}")
        value = cmd.arg_int(0, 0)
        if value not in (0, 1) and not (value == 2 and self.profile.verbose_cme):
            raise PlainError()
        settings.cmee = value
        return ok()

    # ------------------------------------------------------------- CFUN
    @command("+CFUN")
    def cfun(self, cmd: Command) -> Result:
        radio = self.modem.radio
        if cmd.kind is Kind.READ:
            return info(f"+CFUN: {self.reported_cfun()}")
        if cmd.kind is Kind.TEST:
            return info(self.cfun_test)
        fun = cmd.arg_int(0)
        reset = cmd.arg_int(1, 0, lo=0, hi=1)
        special = self.special_cfun(fun, reset)
        if special is not None:
            return special
        if fun not in self.cfun_values:
            raise CmeError(50)
        target = self.cfun_effect(fun)
        if reset:
            radio.cfun = target if target is not None else radio.cfun
            self.modem.reboot_after_reply(f"AT+CFUN={fun},1")
            return ok()

        async def switch() -> Reply:
            await self.modem.sleep(self.modem.scenario.modem.cfun_s)
            if target is not None:
                radio.set_cfun(target)
            return ok()

        return switch()

    def reported_cfun(self) -> int:
        return self.modem.radio.cfun

    def special_cfun(self, fun: int, reset: int) -> Result | None:
        """Vendor reset values (u-blox 15/16); None for the ordinary ones."""
        return None

    def cfun_effect(self, fun: int) -> int | None:
        """The 0/1/4 state a CFUN value means (nRF 20/21/44 ...); None: no radio change."""
        return fun

    # -------------------------------------------------------------- SIM
    @command("+CPIN")
    def cpin(self, cmd: Command) -> Result:
        sim = self.modem.sim
        if cmd.kind is Kind.TEST:
            return ok()
        if cmd.kind is Kind.READ:
            if sim.status is SimStatus.ABSENT:
                raise CmeError(10)
            if not sim.powered and self.sim_off_cpin is not None:
                return info(f"+CPIN: {self.sim_off_cpin}")
            if sim.status is SimStatus.FAILED or not sim.powered:
                raise CmeError(13)
            if sim.busy_left > 0:
                sim.busy_left -= 1
                raise CmeError(14)
            code = {SimStatus.READY: "READY", SimStatus.PIN: "SIM PIN", SimStatus.PUK: "SIM PUK"}[sim.status]
            if self.quote_cpin_codes and code != "READY":
                code = f'"{code}"'
            return info(f"+CPIN: {code}")
        if sim.status is SimStatus.ABSENT:
            raise CmeError(10)
        if sim.status is SimStatus.FAILED:
            raise CmeError(13)
        if sim.status is SimStatus.PIN:
            if cmd.arg_str(0) != sim.pin:
                sim.pin_attempts -= 1
                if sim.pin_attempts <= 0:
                    sim.status = SimStatus.PUK
                raise CmeError(16)
        elif sim.status is SimStatus.PUK:
            puk, new_pin = cmd.arg_str(0), cmd.arg_str(1)
            if puk != sim.identity.puk:
                sim.puk_attempts -= 1
                raise CmeError(16)
            if not new_pin.isdigit() or not 4 <= len(new_pin) <= 8:
                raise CmeError(50)
            sim.pin = new_pin
        else:
            raise CmeError(3)  # no PIN is wanted
        sim.status = SimStatus.READY
        sim.pin_attempts, sim.puk_attempts = 3, 10
        asyncio.get_running_loop().call_soon(self.modem.sim_unlocked)
        return ok()

    @command("+CLCK")
    def clck(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return info('+CLCK: ("SC","AO","OI","OX","AI","IR","AB","AG","AC")')
        facility = cmd.arg_str(0).upper()
        mode = cmd.arg_int(1, lo=0, hi=2)
        sim = self.modem.sim
        if facility != "SC":
            raise CmeError(4)
        self.require_sim()
        if mode == 2:
            return info(f"+CLCK: {int(sim.pin_enabled)}")
        if cmd.arg_str(2) != sim.pin:
            raise CmeError(16)
        sim.pin_enabled = mode == 1
        return ok()

    @command("+CPINR")
    def cpinr(self, cmd: Command) -> Result:
        sim = self.modem.sim
        return info(f'+CPINR: "SIM PIN",{sim.pin_attempts},3', f'+CPINR: "SIM PUK",{sim.puk_attempts},10')

    @command("+CNUM")
    def cnum(self, cmd: Command) -> Result:
        self.require_sim()
        return info(f'+CNUM: "","{self.modem.sim.identity.msisdn}",129')

    @command("+CRSM")
    def crsm(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return ok()
        self.require_sim()
        instruction = cmd.arg_int(0)
        file_id = cmd.arg_int(1, 0)
        p1, p2, p3 = cmd.arg_int(2, 0), cmd.arg_int(3, 0), cmd.arg_int(4, 0)
        content = self.ef_content(file_id)
        if instruction in (192, 242):  # GET RESPONSE / STATUS: nothing the lab needs
            return info(f'+CRSM: {_SW_OK},""')
        if instruction not in (176, 214):
            return info(f'+CRSM: {_SW_BAD_INSTRUCTION},""')
        if content is None:
            return info(f'+CRSM: {_SW_NOT_FOUND},""')
        offset = (p1 << 8) | p2
        if instruction == 176:
            length = p3 or len(content) - offset
            if offset + length > len(content) or length <= 0:
                return info(f'+CRSM: {_SW_WRONG_LENGTH},""')
            return info(f'+CRSM: {_SW_OK},"{content[offset : offset + length].hex().upper()}"')
        try:
            data = bytes.fromhex(cmd.arg_str(5))
        except ValueError:
            raise CmeError(50) from None
        if file_id in (EF_ICCID, EF_IMSI, EF_AD):
            return info(f'+CRSM: {_SW_DENIED},""')
        if (p3 and p3 != len(data)) or offset + len(data) > len(content):
            return info(f'+CRSM: {_SW_WRONG_LENGTH},""')
        updated = content[:offset] + data + content[offset + len(data) :]
        if file_id == EF_FPLMN:
            self.modem.sim.fplmn = updated
        else:
            self.modem.sim.files[file_id] = updated
        return info(f'+CRSM: {_SW_OK},""')

    def ef_content(self, file_id: int) -> bytes | None:
        """The bytes of an elementary file, consistent with the SIM identity and registration."""
        sim, reg = self.modem.sim, self.modem.radio.reg
        if file_id in sim.files:
            return sim.files[file_id]
        identity = sim.identity
        if file_id == EF_ICCID:
            return encode_ef_iccid(identity.iccid)
        if file_id == EF_IMSI:
            return encode_ef_imsi(identity.imsi)
        if file_id == EF_AD:
            return encode_ef_ad(mnc_length(identity.imsi[:3]))
        if file_id == EF_FPLMN:
            return sim.fplmn
        registered = reg.registered and bool(reg.plmn) and bool(reg.tac)
        if file_id == EF_LOCI:
            if not registered:
                return encode_ef_loci(Loci())
            return encode_ef_loci(
                Loci(plmn=reg.plmn, lac=int(reg.tac, 16), status=LocationUpdateStatus.UPDATED)
            )
        if file_id == EF_EPSLOCI:
            if not registered:
                return encode_ef_epsloci(EpsLoci())
            m_tmsi = zlib.crc32(identity.imsi.encode()) & 0xFFFFFFFF
            guti = Guti(plmn=reg.plmn, mme_group_id=0x8001, mme_code=1, m_tmsi=m_tmsi)
            loci = EpsLoci(guti=guti, tai_plmn=reg.plmn, tac=int(reg.tac, 16), status=EpsUpdateStatus.UPDATED)
            return encode_ef_epsloci(loci)
        return None

    # ----------------------------------------------------------- signal
    @command("+CSQ")
    def csq(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return info("+CSQ: (0-31,99),(0-7,99)")
        signal = self.modem.radio.signal
        if not self.has_cell():
            return info("+CSQ: 99,99")
        return info(f"+CSQ: {signal.csq},{signal.ber}")

    @command("+CESQ")
    def cesq(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return info("+CESQ: (0-63,99),(0-7,99),(0-96,255),(0-49,255),(0-34,255),(0-97,255)")
        signal = self.modem.radio.signal
        if not self.has_cell():
            return info("+CESQ: 99,99,255,255,255,255")
        return info(f"+CESQ: 99,99,255,255,{signal.rsrq_index},{signal.rsrp_index}")

    def has_cell(self) -> bool:
        radio = self.modem.radio
        return (
            radio.cfun == 1
            and radio.reg.stat.value in (1, 5, 2, 3)
            and self.modem.faults.state("no_coverage") is None
        )

    # ------------------------------------------------------------ misc
    @command(*GENERIC_SETTINGS)
    def generic_setting(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info(f"{cmd.name}: {self.generic.get(cmd.name, GENERIC_SETTINGS[cmd.name])}")
        if cmd.kind is Kind.SET:
            self.generic[cmd.name] = cmd.raw
        return ok()

    @command("+CCLK")
    def cclk(self, cmd: Command) -> Result:
        if cmd.kind is Kind.SET:
            return ok()
        now = datetime.now(UTC)
        return info(f'+CCLK: "{now.strftime("%y/%m/%d,%H:%M:%S")}+00"')

    @command("D")
    def dial(self, cmd: Command) -> Result:
        # PPP/CSD are not simulated: a data call does not connect.
        return Reply(final="NO CARRIER")

    @command("+CMUX")
    def cmux(self, cmd: Command) -> Result:
        raise CmeError(4)  # multiplexing is not simulated
