"""27.005 SMS commands: CMGF, CSCA, CPMS, CSMP, CSCS, CNMI, CMGS (PDU and text), CMGR, CMGL, CMGD,
CNMA, CSMS, CSDH, CMMS."""

from __future__ import annotations

from datetime import timedelta

from at_commands.sms import PduError, SmsDeliver, encode_submit
from at_commands.sms.validity import relative_duration
from hil.virtual.modem_sim.dialects.base import command
from hil.virtual.modem_sim.dialects.packet import PacketCommands
from hil.virtual.modem_sim.errors import CmeError, CmsError, PlainError
from hil.virtual.modem_sim.messaging import render_text, scts_text
from hil.virtual.modem_sim.parser import Command, Kind, ParamError
from hil.virtual.modem_sim.replies import CtrlZ, Line, Prompt, Reply, Result, info, ok
from hil.virtual.modem_sim.state import SMS_STATUS_TEXT, StoredSms

SMS_PROMPT = b"\r\n> "
CHARSETS = ("GSM", "IRA", "UCS2", "HEX", "8859-1")
_TEXT_STATUS = {text: code for code, text in SMS_STATUS_TEXT.items()}


class SmsCommands(PacketCommands):
    def require_sms_sim(self) -> None:
        """SMS commands report SIM trouble as +CMS ERROR (27.005 §3.2.5)."""
        try:
            self.require_sim()
        except CmeError as exc:
            raise CmsError({10: 310, 11: 311, 12: 316, 13: 313, 14: 314}.get(exc.code, 500)) from None

    def text_mode_supported(self) -> bool:
        return self.profile.text_mode_sms

    @command("+CMGF")
    def cmgf(self, cmd: Command) -> Result:
        sms = self.modem.sms
        if cmd.kind is Kind.READ:
            return info(f"+CMGF: {int(sms.settings.text_mode)}")
        if cmd.kind is Kind.TEST:
            return info("+CMGF: (0,1)" if self.text_mode_supported() else "+CMGF: (0)")
        mode = cmd.arg_int(0, 0, lo=0, hi=1)
        if mode == 1 and not self.text_mode_supported():
            raise PlainError()
        sms.settings.text_mode = mode == 1
        return ok()

    @command("+CSCA")
    def csca(self, cmd: Command) -> Result:
        settings = self.modem.sms.settings
        if cmd.kind is Kind.TEST:
            return ok()
        if cmd.kind is Kind.READ:
            self.require_sms_sim()
            return info(f'+CSCA: "{settings.smsc}",{settings.smsc_type}')
        number = cmd.arg_str(0)
        settings.smsc = number
        settings.smsc_type = cmd.arg_int(1, 145 if number.startswith("+") else 129)
        return ok()

    def storage_counts(self, memory: str) -> tuple[int, int]:
        sms = self.modem.sms
        return len(sms.store), sms.capacity

    @command("+CPMS")
    def cpms(self, cmd: Command) -> Result:
        settings = self.modem.sms.settings
        if cmd.kind is Kind.TEST:
            names = ",".join(f'"{m}"' for m in self.sms_memories)
            return info(f"+CPMS: ({names}),({names}),({names})")
        if cmd.kind is Kind.READ:
            fields = []
            for memory in settings.storage:
                used, total = self.storage_counts(memory)
                fields.append(f'"{memory}",{used},{total}')
            return info("+CPMS: " + ",".join(fields))
        wanted = [cmd.arg_str(i).upper() for i in range(min(len(cmd), 3))]
        if not wanted or any(m not in self.sms_memories for m in wanted):
            raise CmsError(302)
        full = (wanted + list(settings.storage[len(wanted) :]))[:3]
        settings.storage = (full[0], full[1], full[2])
        counts = [self.storage_counts(m) for m in wanted]
        return info("+CPMS: " + ",".join(f"{used},{total}" for used, total in counts))

    @command("+CSMP")
    def csmp(self, cmd: Command) -> Result:
        settings = self.modem.sms.settings
        if cmd.kind is Kind.READ:
            return info("+CSMP: " + ",".join(str(v) for v in settings.csmp))
        if cmd.kind is Kind.TEST:
            return ok()
        current = settings.csmp
        values = [cmd.arg_int(i, current[i], lo=0, hi=255) for i in range(4)]
        settings.csmp = (values[0], values[1], values[2], values[3])
        return ok()

    @command("+CSCS")
    def cscs(self, cmd: Command) -> Result:
        settings = self.modem.sms.settings
        if cmd.kind is Kind.READ:
            return info(f'+CSCS: "{settings.charset}"')
        if cmd.kind is Kind.TEST:
            return info("+CSCS: (" + ",".join(f'"{c}"' for c in CHARSETS) + ")")
        charset = cmd.arg_str(0).upper()
        if charset not in CHARSETS:
            raise CmeError(50)
        settings.charset = charset
        return ok()

    @command("+CSDH")
    def csdh(self, cmd: Command) -> Result:
        settings = self.modem.sms.settings
        if cmd.kind is Kind.READ:
            return info(f"+CSDH: {int(settings.show_text_params)}")
        settings.show_text_params = cmd.arg_int(0, 0, lo=0, hi=1) == 1
        return ok()

    @command("+CSMS")
    def csms(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info("+CSMS: 0,1,1,1")
        if cmd.kind is Kind.TEST:
            return info("+CSMS: (0,1)")
        cmd.arg_int(0, 0, lo=0, hi=1)
        return info("+CSMS: 1,1,1")

    @command("+CMMS")
    def cmms(self, cmd: Command) -> Result:
        if cmd.kind is Kind.READ:
            return info("+CMMS: 0")
        return ok()

    @command("+CNMI")
    def cnmi(self, cmd: Command) -> Result:
        settings = self.modem.sms.settings
        if cmd.kind is Kind.READ:
            return info("+CNMI: " + ",".join(str(v) for v in settings.cnmi))
        if cmd.kind is Kind.TEST:
            return info("+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)")
        limits = (3, 3, 3, 2, 1)
        try:
            values = [cmd.arg_int(i, 0, lo=0, hi=limits[i]) for i in range(5)]
        except ParamError:
            raise CmsError(302) from None
        settings.cnmi = (values[0], values[1], values[2], values[3], values[4])
        return ok()

    @command("+CNMA")
    def cnma(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return info("+CNMA: (0-2)")
        reply = cmd.arg_int(0, 1, lo=0, hi=2) if cmd.kind is Kind.SET else 1
        self.modem.sms.acknowledge(positive=reply != 2)
        return ok()

    # -------------------------------------------------------------- send
    def check_can_send(self) -> None:
        """Vendor hook: e.g. nRF needs a registered SMS client (+CMS ERROR: 524)."""

    @command("+CMGS")
    def cmgs(self, cmd: Command) -> Result:
        if cmd.kind is Kind.TEST:
            return ok()
        self.require_sms_sim()
        self.check_can_send()
        sms = self.modem.sms
        if sms.settings.text_mode:
            destination = cmd.arg_str(0)
            if not destination:
                raise CmsError(305)
            return Prompt(
                SMS_PROMPT,
                CtrlZ(max_size=1024, reprompt_on_cr=True),
                lambda text: self._send_text(destination, text),
            )
        try:
            length = cmd.arg_int(0, lo=7, hi=232)
        except ParamError:
            raise CmsError(304) from None
        return Prompt(SMS_PROMPT, CtrlZ(max_size=1024), lambda payload: self._send_pdu(length, payload))

    def _send_pdu(self, length: int, payload: bytes) -> Result:
        text = payload.decode("latin-1").strip().replace(" ", "")
        try:
            data = bytes.fromhex(text)
        except ValueError:
            raise CmsError(304) from None
        if not data or data[0] + 1 > len(data):
            raise CmsError(304)
        tpdu = data[data[0] + 1 :]
        if len(tpdu) != length:
            raise CmsError(304)
        return self._submit(tpdu)

    def _send_text(self, destination: str, payload: bytes) -> Result:
        settings = self.modem.sms.settings
        fo, vp, _pid, dcs = settings.csmp
        content: str | bytes = payload.decode("latin-1").replace("\n", "\r")
        try:
            if settings.charset == "UCS2":
                content = bytes.fromhex(str(content)).decode("utf-16-be")
            elif settings.charset == "HEX":
                content = bytes.fromhex(str(content))
        except ValueError:
            raise CmsError(305) from None
        alphabet = (dcs >> 2) & 0x03
        encoding = {0: "auto", 1: "8bit", 2: "ucs2"}.get(alphabet, "auto")
        if encoding == "8bit" and isinstance(content, str):
            content = content.encode("latin-1", "replace")
        validity: timedelta | None = relative_duration(vp) if fo & 0x18 == 0x10 else None
        try:
            parts = encode_submit(
                destination,
                content,
                encoding=encoding,  # type: ignore[arg-type]
                validity=validity,
                request_status_report=bool(fo & 0x20),
            )
        except PduError:
            raise CmsError(305) from None
        if len(parts) != 1:
            raise CmsError(305)  # text mode sends one message at a time
        return self._submit(bytes.fromhex(parts[0].hex)[1:])

    def _submit(self, tpdu: bytes) -> Result:
        async def send() -> Reply:
            mr = await self.modem.sms.submit(tpdu)
            return info(f"+CMGS: {mr}")

        return send()

    # -------------------------------------------------------------- read
    def require_storage(self) -> None:
        if not self.has_sms_storage:
            raise PlainError()
        self.require_sms_sim()

    @command("+CMGR")
    def cmgr(self, cmd: Command) -> Result:
        self.require_storage()
        sms = self.modem.sms
        try:
            index = cmd.arg_int(0)
        except ParamError:
            raise CmsError(321) from None
        message = sms.read(index)
        lines = self.message_lines(message, listing=False)
        sms.mark_read(message)
        return info(*lines)

    @command("+CMGL")
    def cmgl(self, cmd: Command) -> Result:
        self.require_storage()
        sms = self.modem.sms
        if cmd.kind is Kind.TEST:
            return info(
                '+CMGL: ("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")'
                if sms.settings.text_mode
                else "+CMGL: (0-4)"
            )
        if sms.settings.text_mode:
            wanted = cmd.arg_str(0, "REC UNREAD").upper()
            if wanted not in _TEXT_STATUS:
                raise CmsError(305)
            status = _TEXT_STATUS[wanted]
        else:
            try:
                status = cmd.arg_int(0, 0, lo=0, hi=4)
            except ParamError:
                raise CmsError(304) from None
        lines: list[Line] = []
        for index in sorted(sms.store):
            message = sms.store[index]
            if status not in (4, message.status):
                continue
            lines += self.message_lines(message, listing=True)
            sms.mark_read(message)
        return info(*lines)

    def message_lines(self, message: StoredSms, *, listing: bool) -> list[Line]:
        sms = self.modem.sms
        prefix = f"+CMGL: {message.index}," if listing else "+CMGR: "
        if not sms.settings.text_mode:
            return [f"{prefix}{message.status},,{message.tpdu_length}", message.pdu.hex().upper()]
        decoded = sms.decode(message)
        status = f'"{SMS_STATUS_TEXT[message.status]}"'
        if isinstance(decoded, SmsDeliver):
            when = scts_text(decoded.timestamp)
            header = f'{prefix}{status},"{decoded.originator.number}",,"{when}"'
            return [header, render_text(decoded, sms.settings.charset)]
        # status reports and undecodable entries: the PDU as text
        return [f"{prefix}{status},,{message.tpdu_length}", message.pdu.hex().upper()]

    @command("+CMGD")
    def cmgd(self, cmd: Command) -> Result:
        self.require_storage()
        if cmd.kind is Kind.TEST:
            return info(f"+CMGD: ({','.join(str(i) for i in sorted(self.modem.sms.store))}),(0-4)")
        try:
            index = cmd.arg_int(0, 0)
            flag = cmd.arg_int(1, 0, lo=0, hi=4)
        except ParamError:
            raise CmsError(321) from None
        self.modem.sms.delete(index, flag)
        return ok()
