"""The generic 27.007 / 27.005 modem; vendor families override what they do differently.

A dialect turns Modem API requests into AT commands on one AtChannel and their answers into the
records of modem_types. Everything a family shares with 3GPP lives here once; each vendor module
overrides only the commands its modules spell differently (reference §2).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from at_commands.channel import AtChannel, UrcWaiter
from at_commands.dialects.profiles import DialectProfile, Rat
from at_commands.errors import (
    AtResponseError,
    CmeError,
    CmsError,
    PdpError,
    SimError,
    SmsError,
    SocketError,
)
from at_commands.fields import int_field, split_fields, str_field
from at_commands.modem_types import (
    Datagram,
    PdpContext,
    PowerSaving,
    Registration,
    Signal,
    SmsMessage,
    cesq_rsrp_to_dbm,
    cesq_rsrq_to_db,
    csq_to_dbm,
)
from at_commands.session import Response, Urc
from at_commands.sms import SmsDeliver, decode_pdu

APN_1NCE = "iot.1nce.net"

# Prefixes vendors put in front of identity answers (reference §1.1/§1.2).
_IDENTITY_PREFIXES = ("+CGMI:", "+CGMM:", "+CGMR:", "+CGSN:", "+GSN:", "+QGMR:", "Revision:", "#CGMR:")

_SIM_ERRORS = {
    10: "not inserted",
    11: "PIN required",
    12: "PUK required",
    13: "failure",
    14: "busy",
    15: "wrong",
}


def strip_identity(value: str) -> str:
    for prefix in _IDENTITY_PREFIXES:
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    return value.strip().strip('"')


class Dialect:
    """Generic 3GPP behaviour over one channel, parameterised by a DialectProfile."""

    registration_prefixes: tuple[str, ...] = ("+CEREG:", "+CGREG:", "+CREG:")
    # Whether a UDP socket can listen on a chosen local port (a Device Controller downlink needs
    # one); SIMCom's CA*/CIP sockets always take an ephemeral one.
    binds_local_port = True

    def __init__(self, channel: AtChannel, profile: DialectProfile) -> None:
        self.ch = channel
        self.profile = profile
        self._act_to_rat = {act: rat for rat, act in profile.act.items()}

    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def cid(self) -> int:
        return self.profile.default_cid

    # -- set-up ----------------------------------------------------------------------------------

    def initialize(self) -> None:
        """Echo off, errors as codes, registration URCs on (reference §3.1 steps 1 and 4)."""
        self.ch.command("ATE0")
        self.ch.command("AT+CMEE=2" if self.profile.verbose_cme else "AT+CMEE=1")
        # The richest registration URC the module accepts: 5 and 3 carry the reject cause.
        for level in (5, 3, 2):
            if self.ch.command(f"AT+CEREG={level}", check=False).ok:
                break
        self.ch.command("AT+CGREG=2", check=False)  # GPRS registration with cell and AcT (GSM)
        self.ch.command("AT+CGEREP=1", check=False)

    # -- identity --------------------------------------------------------------------------------

    def _identity(self, command: str) -> str:
        response = self.ch.command(command)
        lines = [line for line in response.info if line]
        if not lines:
            raise AtResponseError(
                f"{command}: expected an identity line", command=command, lines=response.lines
            )
        return strip_identity(lines[0])

    def manufacturer(self) -> str:
        return self._identity("AT+CGMI")

    def model(self) -> str:
        return self._identity("AT+CGMM")

    def firmware(self) -> str:
        return self._identity("AT+CGMR")

    def imei(self) -> str:
        return self._identity("AT+CGSN")

    def imsi(self) -> str:
        return self._sim_command("AT+CIMI").value()

    def iccid_raw(self) -> str:
        response = self._sim_command(self.profile.iccid_command)
        value = response.value(self.profile.iccid_prefix)
        return value.strip().strip('"')

    # -- SIM -------------------------------------------------------------------------------------

    def _sim_command(self, command: str, retries: int = 5, pause: float = 0.2) -> Response:
        """A command that needs the SIM: busy (CME 14) is retried, the rest become SimError."""
        powered_up = False
        for attempt in range(retries + 1):
            try:
                return self.ch.command(command)
            except CmeError as error:
                reason = _SIM_ERRORS.get(error.code or -1)
                if reason == "busy" and attempt < retries:
                    time.sleep(pause)
                    continue
                if reason == "failure" and not powered_up and self._radio_off():
                    # In CFUN=0 many modules power the SIM down (nRF91, BG96): flight mode keeps
                    # the radio off with the SIM on.
                    self.ch.command("AT+CFUN=4")
                    powered_up = True
                    continue
                if reason is None:
                    raise
                raise SimError(
                    f"{command}: SIM {reason} ({error.final})",
                    reason=reason,
                    command=command,
                    lines=error.lines,
                ) from error
        raise AssertionError("unreachable")

    def _radio_off(self) -> bool:
        response = self.ch.command("AT+CFUN?", check=False)
        return response.ok and response.values("+CFUN:")[:1] == ["0"]

    def sim_status(self) -> str:
        """READY, SIM PIN, SIM PUK, ... (SimError when there is no SIM at all)."""
        return self._sim_command("AT+CPIN?").value("+CPIN:").strip('"')

    def enter_pin(self, pin: str) -> None:
        self.ch.transcript.add_secret(pin)
        self.ch.command(f'AT+CPIN="{pin}"')

    def read_sim_file(self, command: str) -> str:
        """Run an AT+CRSM command and return its +CRSM line value."""
        return self._sim_command(command, retries=2).value("+CRSM:")

    # -- radio and RAT ---------------------------------------------------------------------------

    def set_radio(self, on: bool) -> None:
        self.ch.command("AT+CFUN=1" if on else "AT+CFUN=0")

    def configure_rat(self, rat: Rat) -> None:
        raise NotImplementedError(f"{self.name}: RAT selection is dialect-specific")

    def read_rat(self) -> Rat | None:
        raise NotImplementedError(f"{self.name}: RAT read-back is dialect-specific")

    def configure_bands(self, rat: Rat, bands: list[int]) -> None:
        raise NotImplementedError(f"{self.name}: band selection is dialect-specific")

    def rat_for_act(self, act: int | None) -> Rat | None:
        return self._act_to_rat.get(act) if act is not None else None

    # -- registration ----------------------------------------------------------------------------

    def start_registration(self) -> None:
        self.ch.command("AT+COPS=0")

    @staticmethod
    def registration_prefix(rat: Rat | None) -> str:
        """LTE-M and NB-IoT register in EPS (+CEREG); GSM in GPRS (+CGREG)."""
        return "+CGREG:" if rat is Rat.GSM else "+CEREG:"

    def read_registration(self, rat: Rat | None = None) -> Registration:
        prefix = self.registration_prefix(rat)
        response = self.ch.command(f"AT{prefix[:-1]}?")
        return self.parse_registration(response.value(prefix), read_form=True)

    def parse_registration(self, value: str, *, read_form: bool) -> Registration:
        """+CEREG/+CGREG fields (read form has <n> first) -> Registration (reference §1.4). Both
        put stat, area code, cell id and AcT first; the reject cause is read from the +CEREG
        position (n = 3 or 5)."""
        fields = split_fields(value)
        if read_form:
            fields = fields[1:]
        stat = int_field(fields, 0)
        if stat is None:
            raise AtResponseError(f"registration line without a stat: {value!r}", lines=[value])
        act = int_field(fields, 3)
        return Registration(
            stat=stat,
            tac=str_field(fields, 1),
            cell_id=str_field(fields, 2),
            act=act,
            rat=self.rat_for_act(act),
            reject_cause=int_field(fields, 5),
            active_time=str_field(fields, 6),
            periodic_tau=str_field(fields, 7),
        )

    def parse_registration_urc(self, urc: Urc, rat: Rat | None = None) -> Registration | None:
        if urc.prefix != self.registration_prefix(rat):
            return None  # another domain's registration; the poll reads the one that matters
        return self.parse_registration(urc.value, read_form=False)

    # -- signal ----------------------------------------------------------------------------------

    def signal(self) -> Signal:
        csq = split_fields(self.ch.command("AT+CSQ").value("+CSQ:"))
        rssi = int_field(csq, 0)
        rsrp = rsrq = None
        cesq = self.ch.command("AT+CESQ", check=False)
        if cesq.ok and cesq.values("+CESQ:"):
            fields = split_fields(cesq.value("+CESQ:"))
            rsrq_index, rsrp_index = int_field(fields, 4), int_field(fields, 5)
            rsrq = cesq_rsrq_to_db(rsrq_index) if rsrq_index is not None else None
            rsrp = cesq_rsrp_to_dbm(rsrp_index) if rsrp_index is not None else None
        return Signal(
            rssi_dbm=csq_to_dbm(rssi) if rssi is not None else None,
            ber=int_field(csq, 1),
            rsrp_dbm=rsrp,
            rsrq_db=rsrq,
            csq=rssi,
        )

    # -- APN and PDP -----------------------------------------------------------------------------

    def set_apn(self, apn: str) -> None:
        self.ch.command(f'AT+CGDCONT={self.cid},"IP","{apn}"')

    def read_apn(self) -> str | None:
        for value in self.ch.command("AT+CGDCONT?").values("+CGDCONT:"):
            fields = split_fields(value)
            if int_field(fields, 0) == self.cid:
                return fields[2] if len(fields) > 2 else None
        return None

    def activate_pdp(self, apn: str) -> PdpContext:
        try:
            self.ch.command(f"AT+CGACT=1,{self.cid}")
        except CmeError as error:
            raise PdpError(f"PDP context {self.cid} rejected: {error}", lines=error.lines) from error
        return PdpContext(self.cid, apn, self.read_ip())

    def read_ip(self) -> str:
        value = self.ch.command(f"AT+CGPADDR={self.cid}").value("+CGPADDR:")
        fields = split_fields(value)
        ip = str_field(fields, 1)
        if not ip or ip.startswith("0.0.0.0"):
            raise PdpError(f"no IP address for PDP context {self.cid}: {value!r}", lines=[value])
        return ip

    # -- UDP -------------------------------------------------------------------------------------

    def udp_open(self, host: str, port: int, local_port: int | None) -> tuple[int, UrcWaiter | None]:
        """Open a UDP socket; returns its id and a waiter for its data-arrival URCs (if any)."""
        raise NotImplementedError(f"{self.name}: sockets are dialect-specific")

    def udp_send(self, socket_id: int, host: str, port: int, data: bytes) -> None:
        raise NotImplementedError

    def udp_receive(
        self, socket_id: int, host: str, port: int, timeout: float, waiter: UrcWaiter | None
    ) -> Datagram:
        raise NotImplementedError

    def udp_close(self, socket_id: int) -> None:
        raise NotImplementedError

    def _receive_on_urc(
        self, waiter: UrcWaiter | None, timeout: float, read: Callable[[], Datagram | None]
    ) -> Datagram:
        """Wait for the socket's data-arrival URC, then read; a URC whose data was already read
        (or a read that comes back empty) just means waiting for the next one."""
        if waiter is None:
            raise SocketError(f"{self.name}: this socket has no data-arrival URC to wait for")
        deadline = time.monotonic() + timeout
        while True:
            waiter.get(max(0.0, deadline - time.monotonic()))
            datagram = read()
            if datagram is not None and datagram.data:
                return datagram

    # -- SMS -------------------------------------------------------------------------------------

    def sms_setup(self) -> None:
        """PDU mode and new-message indications (+CMTI into SIM storage by default)."""
        self.ch.command("AT+CMGF=0")
        self.ch.command('AT+CPMS="SM","SM","SM"', check=False)
        self.ch.command(f"AT+CNMI={self.profile.cnmi}")

    def sms_send_pdu(self, pdu_hex: str, tpdu_length: int) -> int:
        self.ch.command("AT+CMGF=0")
        try:
            response = self.ch.command(
                f"AT+CMGS={tpdu_length}", payload=pdu_hex.encode(), payload_end=b"\x1a"
            )
        except CmsError as error:
            raise SmsError(f"SMS not sent: {error}", lines=error.lines) from error
        return int(response.value("+CMGS:").split(",")[0])

    def sms_send_text(self, number: str, text: str) -> int:
        if not self.profile.text_mode_sms:
            raise SmsError(f"{self.name} supports PDU mode only; send with mode='pdu'")
        if any(c in text for c in "\x1a\x1b"):
            raise SmsError("text-mode SMS cannot contain Ctrl-Z or ESC; use PDU mode")
        self.ch.command("AT+CMGF=1")
        self.ch.command('AT+CSCS="GSM"', check=False)
        try:
            response = self.ch.command(f'AT+CMGS="{number}"', payload=text.encode(), payload_end=b"\x1a")
        except CmsError as error:
            raise SmsError(f"SMS not sent: {error}", lines=error.lines) from error
        finally:
            self.ch.command("AT+CMGF=0", check=False)
        return int(response.value("+CMGS:").split(",")[0])

    def sms_from_urc(self, urc: Urc) -> SmsMessage:
        """+CMTI: read the stored message; +CMT: decode the PDU it carries (and ack if needed)."""
        if urc.prefix == "+CMTI:":
            index = int_field(split_fields(urc.value), 1)
            if index is None:
                raise SmsError(f"+CMTI without an index: {urc.line!r}", lines=[urc.line])
            return self.sms_read(index)
        if urc.prefix == "+CMT:" and urc.body is not None:
            length = int_field(split_fields(urc.value), 1)
            if self.profile.needs_cnma:
                self.ch.command("AT+CNMA=1")
            return _sms_from_pdu(urc.body, length, None)
        raise SmsError(f"not an SMS indication: {urc.line!r}", lines=[urc.line])

    def sms_read(self, index: int) -> SmsMessage:
        self.ch.command("AT+CMGF=0")
        response = self.ch.command(f"AT+CMGR={index}")
        header = split_fields(response.value("+CMGR:"))
        body_index = next(i for i, line in enumerate(response.info) if line.startswith("+CMGR:")) + 1
        if body_index >= len(response.info):
            raise SmsError(f"AT+CMGR={index}: no PDU line", lines=response.lines)
        return _sms_from_pdu(response.info[body_index], int_field(header, 2), index)

    def sms_delete(self, index: int) -> None:
        self.ch.command(f"AT+CMGD={index}")

    # -- power saving ----------------------------------------------------------------------------

    def set_psm(self, enabled: bool, tau: str | None, active_time: str | None) -> None:
        if not enabled:
            self.ch.command("AT+CPSMS=0")
            return
        self.ch.command(f'AT+CPSMS=1,,,"{tau or ""}","{active_time or ""}"')

    def set_edrx(self, enabled: bool, rat: Rat, value: str | None) -> None:
        act_type = 5 if rat is Rat.NB_IOT else 4
        if not enabled:
            self.ch.command(f"AT+CEDRXS=0,{act_type}")
            return
        self.ch.command(f'AT+CEDRXS=2,{act_type},"{value or "0101"}"')

    def power_saving(self) -> PowerSaving:
        psm = split_fields(self.ch.command("AT+CPSMS?").value("+CPSMS:"))
        edrx_lines = self.ch.command("AT+CEDRXS?").values("+CEDRXS:")
        edrx = split_fields(edrx_lines[0]) if edrx_lines else []
        return PowerSaving(
            psm_enabled=int_field(psm, 0) == 1,
            requested_tau=str_field(psm, 3),
            requested_active_time=str_field(psm, 4),
            edrx_enabled=bool(edrx),
            edrx_value=str_field(edrx, 1),
        )


def _sms_from_pdu(pdu: str, tpdu_length: int | None, index: int | None) -> SmsMessage:
    message = decode_pdu(pdu, has_smsc=None, direction="mt", tpdu_length=tpdu_length)
    if not isinstance(message, SmsDeliver):
        raise SmsError(f"expected an SMS-DELIVER, got {type(message).__name__}", lines=[pdu])
    text = message.text if message.text is not None else (message.data or b"").hex()
    return SmsMessage(str(message.originator), text, message.timestamp, index, pdu)
