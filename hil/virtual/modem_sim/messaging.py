"""SMS inside the modem: the message store, MO submission, MT delivery per AT+CNMI, +CNMA.

PDUs are built and read with at_commands.sms (the same code the host side uses). The store holds
SMSC field + TPDU as 27.005 shows them in PDU mode; text mode renders them on the way out.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from at_commands.sms import (
    Address,
    PduError,
    SmsDeliver,
    SmsStatusReport,
    decode_pdu,
    encode_deliver,
    encode_status_report,
)
from at_commands.sms.address import encode_smsc
from hil.virtual.modem_sim.errors import CmsError
from hil.virtual.modem_sim.replies import Line
from hil.virtual.modem_sim.state import SMS_STATUS_TEXT, Power, SmsSettings, StoredSms

if TYPE_CHECKING:
    from hil.virtual.modem_sim.modem import SimulatedModem

log = logging.getLogger(__name__)

STORE_CAPACITY = 30


@dataclass(eq=False)
class _PendingAck:
    sms_id: int | None
    handle: asyncio.TimerHandle | None = None


def scts_text(moment: datetime) -> str:
    """27.005 text-mode time stamp: "yy/MM/dd,hh:mm:ss±zz" (zone in quarter hours)."""
    offset = moment.utcoffset()
    quarters = int(offset.total_seconds() // 900) if offset is not None else 0
    sign = "+" if quarters >= 0 else "-"
    return moment.strftime("%y/%m/%d,%H:%M:%S") + f"{sign}{abs(quarters):02d}"


def render_text(message: SmsDeliver, charset: str) -> str:
    """User data for text mode: the text itself, or hex for 8-bit data / UCS2 under CSCS="UCS2"."""
    if message.text is None:
        return (message.data or b"").hex().upper()
    if charset == "UCS2":
        return message.text.encode("utf-16-be").hex().upper()
    return message.text


class SmsService:
    def __init__(self, modem: SimulatedModem) -> None:
        self.modem = modem
        self.store: dict[int, StoredSms] = {}
        self.capacity = STORE_CAPACITY if modem.dialect.has_sms_storage else 0
        self.settings = SmsSettings()
        self._mr = 0
        self._mo_destinations: dict[int, Address] = {}  # mr -> destination, for status reports
        self._awaiting_ack: deque[_PendingAck] = deque()

    def power_on(self) -> None:
        smsc = self.modem.sim.identity.smsc
        memory = self.modem.dialect.sms_memories[0]
        self.settings = SmsSettings(
            smsc=smsc, cnmi=self.modem.dialect.boot_cnmi, storage=(memory, memory, memory)
        )
        for pending in self._awaiting_ack:
            if pending.handle is not None:
                pending.handle.cancel()
        self._awaiting_ack.clear()

    @property
    def smsc_field(self) -> bytes:
        smsc = self.settings.smsc
        return encode_smsc(Address.parse(smsc)) if smsc else b"\x00"

    # ----------------------------------------------------------------- MO
    async def submit(self, tpdu: bytes) -> int:
        """Send an SMS-SUBMIT TPDU; returns the <mr> for +CMGS. Raises CmsError."""
        modem = self.modem
        if not modem.sim.ready:
            raise CmsError(310 if modem.sim.status.value == "absent" else 313)
        if not modem.radio.reg.registered:
            raise CmsError(331)
        if not self.settings.smsc:
            raise CmsError(330)
        if len(tpdu) < 2 or tpdu[0] & 0x03 != 0x01:
            raise CmsError(304)
        mr = self._mr
        self._mr = (self._mr + 1) % 256
        tpdu = tpdu[:1] + bytes([mr]) + tpdu[2:]  # the ME assigns TP-MR (23.040 §9.2.3.6)
        try:
            submit = decode_pdu(tpdu.hex(), has_smsc=False, direction="mo")
            destination = getattr(submit, "destination", None)
            if isinstance(destination, Address):
                self._mo_destinations[mr] = destination
        except PduError as exc:
            raise CmsError(304, str(exc)) from None
        await modem.sleep(modem.scenario.network.sms_delay_s)
        result = await modem.network.sms_mo(tpdu.hex().upper())
        modem.psm.activity()
        if not result.ok:
            raise CmsError(result.cms_error or 500)
        return result.mr

    # ----------------------------------------------------------------- MT
    def deliver(self, tpdu: bytes, sms_id: int | None) -> None:
        """An SMS-DELIVER from the network; reports the outcome back when it has an sms_id."""
        modem = self.modem
        reachable = modem.power is Power.READY and modem.radio.cfun == 1 and modem.radio.reg.registered
        if not reachable:
            self._result(sms_id, False)
            return
        mode, mt, _, _, _ = self.settings.cnmi
        if mt == 2 or (mt == 3 and (tpdu[0:1] and _message_class(tpdu) == 3)):
            self._route(tpdu, sms_id)
            return
        if modem.profile.needs_cnma:  # nRF: no SMS client registered, nowhere to put it
            self._result(sms_id, False)
            return
        index = self._store(self.smsc_field + tpdu, len(tpdu))
        if index is None:
            self._result(sms_id, False)
            return
        if mt in (1, 3) and mode != 0:
            modem.urc((f'+CMTI: "{self.settings.storage[2]}",{index}',))
        self._result(sms_id, True)

    def _route(self, tpdu: bytes, sms_id: int | None) -> None:
        modem = self.modem
        pdu = self.smsc_field + tpdu
        if self.settings.text_mode:
            message = decode_pdu(tpdu.hex(), has_smsc=False, direction="mt")
            assert isinstance(message, SmsDeliver)
            header = f'+CMT: "{message.originator.number}",,"{scts_text(message.timestamp)}"'
            lines: tuple[Line, ...] = (header, render_text(message, self.settings.charset))
        else:
            alpha = modem.dialect.cmt_alpha(tpdu)
            lines = (f"+CMT: {alpha},{len(tpdu)}", pdu.hex().upper())
        modem.urc(lines)
        if modem.profile.needs_cnma:
            pending = _PendingAck(sms_id)
            timeout = modem.scaled(modem.scenario.modem.cnma_timeout_s)
            pending.handle = asyncio.get_running_loop().call_later(timeout, self._ack_timeout, pending)
            self._awaiting_ack.append(pending)
        else:
            self._result(sms_id, True)

    def _ack_timeout(self, pending: _PendingAck) -> None:
        if pending in self._awaiting_ack:
            self._awaiting_ack.remove(pending)
            self._result(pending.sms_id, False)

    def acknowledge(self, positive: bool = True) -> None:
        """AT+CNMA: the host took the oldest routed +CMT. Raises +CMS ERROR: 340 if none is due."""
        if not self._awaiting_ack:
            raise CmsError(340)
        pending = self._awaiting_ack.popleft()
        if pending.handle is not None:
            pending.handle.cancel()
        self._result(pending.sms_id, positive)

    def _result(self, sms_id: int | None, delivered: bool) -> None:
        if sms_id is not None:
            self.modem.network.sms_mt_result(sms_id, delivered)

    def status_report(self, mr: int, status: int, tpdu_hex: str | None) -> None:
        """An SMS-STATUS-REPORT for an earlier MO SMS: +CDS (ds=1) or stored with +CDSI (ds=2)."""
        ds = self.settings.cnmi[3]
        if ds not in (1, 2) or self.modem.power is not Power.READY:
            return
        if tpdu_hex:
            tpdu = bytes.fromhex(tpdu_hex)
        else:
            now = datetime.now(UTC)
            recipient = self._mo_destinations.get(mr, Address.parse("+0"))
            full = encode_status_report(mr, recipient, now, now, status)
            tpdu = bytes.fromhex(full)[1:]  # drop the empty SMSC field
        if ds == 1:
            self.modem.urc((f"+CDS: {len(tpdu)}", (self.smsc_field + tpdu).hex().upper()))
            return
        index = self._store(self.smsc_field + tpdu, len(tpdu))
        if index is not None:
            self.modem.urc((f'+CDSI: "{self.settings.storage[2]}",{index}',))

    # -------------------------------------------------------------- store
    def _store(self, pdu: bytes, tpdu_length: int) -> int | None:
        for index in range(1, self.capacity + 1):
            if index not in self.store:
                self.store[index] = StoredSms(index, 0, pdu, tpdu_length, self.settings.storage[2])
                return index
        return None

    def read(self, index: int) -> StoredSms:
        message = self.store.get(index)
        if message is None:
            raise CmsError(321)
        return message

    def mark_read(self, message: StoredSms) -> None:
        if message.status == 0:
            message.status = 1

    def delete(self, index: int, flag: int = 0) -> None:
        if flag == 0:
            if index not in self.store and not 1 <= index <= self.capacity:
                raise CmsError(321)
            self.store.pop(index, None)
            return
        doomed = {1: (1,), 2: (1, 3), 3: (1, 2, 3), 4: (0, 1, 2, 3)}[flag]
        for key in [k for k, m in self.store.items() if m.status in doomed]:
            del self.store[key]

    def decode(self, message: StoredSms) -> SmsDeliver | SmsStatusReport | None:
        try:
            decoded = decode_pdu(message.pdu.hex(), has_smsc=True, direction="mt")
        except PduError:
            return None
        return decoded if isinstance(decoded, SmsDeliver | SmsStatusReport) else None

    def status_text(self, status: int) -> str:
        return SMS_STATUS_TEXT[status]

    def inject(self, sender: str, text: str | None = None, pdu_hex: str | None = None) -> list[str]:
        """SMS-DELIVER TPDU(s) for a control-channel / scenario injection (long texts: several)."""
        if pdu_hex is not None:
            decode_pdu(pdu_hex, has_smsc=False, direction="mt")  # reject garbage early
            return [pdu_hex.upper()]
        assert text is not None
        parts = encode_deliver(sender, text, datetime.now(UTC).astimezone())
        return [part.hex[2:] for part in parts]  # drop the empty SMSC field (00)


def _message_class(tpdu: bytes) -> int | None:
    try:
        message = decode_pdu(tpdu.hex(), has_smsc=False, direction="mt")
    except PduError:
        return None
    return message.message_class if isinstance(message, SmsDeliver) else None
