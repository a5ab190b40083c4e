"""Modem: what checks and tools use to drive any supported module without knowing its vendor.

with Modem.open("/dev/ttyUSB2") as modem:            # dialect detected from AT+CGMM
    modem.initialize()
    print(modem.info())
    modem.attach(rat=Rat.LTE_M)                        # APN iot.1nce.net, waits for stat 1/5
    ip = modem.activate_pdp().ip
    with modem.open_udp("10.60.2.219", 4445) as udp:
        udp.send(b"hello")
"""

from __future__ import annotations

import time
from types import TracebackType

from at_commands.channel import AtChannel, UrcWaiter
from at_commands.dialects.base import APN_1NCE, Dialect
from at_commands.dialects.profiles import Rat
from at_commands.dialects.registry import make_dialect
from at_commands.errors import (
    AttachTimeoutError,
    AtTimeoutError,
    NoCoverageError,
    PortError,
    RegistrationDeniedError,
    SimError,
    SmsError,
    SocketError,
)
from at_commands.modem_types import (
    Datagram,
    ModemInfo,
    PdpContext,
    PowerSaving,
    Registration,
    Signal,
    SmsMessage,
)
from at_commands.sim import normalize_iccid
from at_commands.sim_access import SimFiles, clear_forbidden_plmns, read_sim_files
from at_commands.sms import encode_submit
from at_commands.transcript import Transcript

DEFAULT_ATTACH_TIMEOUT = 180.0  # Zephyr's SARA-R4 driver; NB-IoT cold scans can take longer
REGISTRATION_POLL = 0.5  # poll +CEREG? as well: URCs get lost (reference §3.1 step 6)


class UdpSocket:
    """A UDP socket on the modem, to one peer."""

    def __init__(self, modem: Modem, socket_id: int, host: str, port: int, waiter: UrcWaiter | None) -> None:
        self.modem = modem
        self.socket_id = socket_id
        self.host = host
        self.port = port
        self._waiter = waiter
        self._closed = False

    def send(self, data: bytes) -> None:
        self.modem.dialect.udp_send(self.socket_id, self.host, self.port, data)

    def receive(self, timeout: float = 10.0) -> Datagram:
        """The next datagram from the peer; AtTimeoutError if none arrives in time."""
        return self.modem.dialect.udp_receive(self.socket_id, self.host, self.port, timeout, self._waiter)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._waiter is not None:
            self._waiter.close()
        self.modem.dialect.udp_close(self.socket_id)

    def __enter__(self) -> UdpSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Modem:
    """A modem of any supported dialect on one AtChannel."""

    def __init__(self, channel: AtChannel, dialect: str | Dialect = "auto") -> None:
        self.channel = channel
        self.dialect = dialect if isinstance(dialect, Dialect) else make_dialect(channel, dialect)
        self._sms_waiter: UrcWaiter | None = None

    @classmethod
    def open(
        cls, url: str, dialect: str = "auto", *, baudrate: int = 115200, transcript: Transcript | None = None
    ) -> Modem:
        channel = AtChannel.open(url, baudrate=baudrate, transcript=transcript)
        try:
            if not channel.sync():
                raise PortError(f"{url}: no answer to AT (is the modem powered and on this port?)")
            return cls(channel, dialect)
        except Exception:
            channel.close()
            raise

    def close(self) -> None:
        if self._sms_waiter is not None:
            self._sms_waiter.close()
        self.channel.close()

    def __enter__(self) -> Modem:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def name(self) -> str:
        return self.dialect.name

    @property
    def transcript(self) -> Transcript:
        return self.channel.transcript

    # -- set-up and identity ---------------------------------------------------------------------

    def initialize(self) -> None:
        self.dialect.initialize()

    def info(self) -> ModemInfo:
        d = self.dialect
        raw_iccid = d.iccid_raw()
        return ModemInfo(
            dialect=d.name,
            manufacturer=d.manufacturer(),
            model=d.model(),
            firmware=d.firmware(),
            imei=d.imei(),
            iccid=normalize_iccid(raw_iccid).api,
            iccid_raw=raw_iccid,
            imsi=d.imsi(),
        )

    def unlock(self, pin: str) -> None:
        self.dialect.enter_pin(pin)

    def ensure_sim_ready(self) -> None:
        status = self.dialect.sim_status()
        if status != "READY":
            reason = {"SIM PIN": "PIN required", "SIM PUK": "PUK required"}.get(status, status)
            raise SimError(f"SIM not ready: +CPIN: {status}", reason=reason, command="AT+CPIN?")

    def sim_files(self) -> SimFiles:
        """EF_ICCID, EF_IMSI, EF_FPLMN, EF_LOCI and EF_EPSLOCI read with AT+CRSM, decoded."""
        return read_sim_files(self.channel)

    def clear_forbidden_plmns(self) -> None:
        clear_forbidden_plmns(self.channel)

    # -- network ---------------------------------------------------------------------------------

    def configure(
        self, *, rat: Rat | None = None, bands: list[int] | None = None, apn: str = APN_1NCE
    ) -> None:
        """Radio off, then RAT, bands and APN (the default bearer's APN must precede attach)."""
        self.dialect.set_radio(False)
        if rat is not None:
            self.dialect.configure_rat(rat)
            if bands:
                self.dialect.configure_bands(rat, bands)
        self.dialect.set_apn(apn)

    def apn(self) -> str | None:
        return self.dialect.read_apn()

    def rat(self) -> Rat | None:
        return self.dialect.read_rat()

    def attach(
        self,
        *,
        rat: Rat | None = None,
        bands: list[int] | None = None,
        apn: str = APN_1NCE,
        timeout: float = DEFAULT_ATTACH_TIMEOUT,
    ) -> Registration:
        """Configure, switch the radio on and wait for stat 1 or 5 (1NCE SIMs always roam: 5).

        Raises SimError (no SIM, PIN, UICC failure), RegistrationDeniedError (stat 3),
        NoCoverageError (stat 4/0 until the timeout) or AttachTimeoutError (still searching).
        """
        self.ensure_sim_ready()
        self.configure(rat=rat, bands=bands, apn=apn)
        d = self.dialect
        with self.channel.urcs(d.registration_prefixes) as updates:
            d.set_radio(True)
            d.start_registration()
            return self.wait_registered(timeout, updates, rat=rat)

    def wait_registered(
        self, timeout: float, updates: UrcWaiter | None = None, *, rat: Rat | None = None
    ) -> Registration:
        deadline = time.monotonic() + timeout
        last: Registration | None = None
        while True:
            last = self.dialect.read_registration(rat)
            self._check_registration(last)
            if last.registered:
                return last
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if updates is None:
                time.sleep(min(REGISTRATION_POLL, remaining))
                continue
            try:
                urc = updates.get(min(REGISTRATION_POLL, remaining))
            except AtTimeoutError:
                continue
            parsed = self.dialect.parse_registration_urc(urc, rat)
            if parsed is not None:
                self._check_registration(parsed)
        evidence = [u.line for u in self.channel.recent_urcs()[-8:]]
        if last.stat in (0, 4):
            raise NoCoverageError(
                f"no network after {timeout:g} s: {last.description} (stat {last.stat})", lines=evidence
            )
        raise AttachTimeoutError(
            f"not registered after {timeout:g} s: {last.description} (stat {last.stat})", lines=evidence
        )

    @staticmethod
    def _check_registration(registration: Registration) -> None:
        if registration.stat == 3:
            cause = registration.reject_cause
            raise RegistrationDeniedError(
                "registration denied (stat 3)" + (f", EMM cause #{cause}" if cause is not None else ""),
                reject_cause=cause,
            )
        if registration.stat == 90:
            raise SimError("not registered: UICC failure (stat 90)", reason="failure")

    def registration(self, rat: Rat | None = None) -> Registration:
        return self.dialect.read_registration(rat)

    def signal(self) -> Signal:
        return self.dialect.signal()

    def activate_pdp(self, apn: str = APN_1NCE) -> PdpContext:
        return self.dialect.activate_pdp(apn)

    def detach(self) -> None:
        self.dialect.set_radio(False)

    # -- UDP -------------------------------------------------------------------------------------

    def open_udp(self, host: str, port: int, *, local_port: int | None = None) -> UdpSocket:
        """A UDP socket to host:port; `local_port` makes it listen there (SocketError on modules
        that cannot bind one, see Dialect.binds_local_port)."""
        if local_port and not self.dialect.binds_local_port:
            raise SocketError(
                f"{self.dialect.name}: UDP sockets cannot listen on a chosen local port ({local_port}); "
                "this module always takes an ephemeral one"
            )
        socket_id, waiter = self.dialect.udp_open(host, port, local_port)
        return UdpSocket(self, socket_id, host, port, waiter)

    # -- SMS -------------------------------------------------------------------------------------

    def enable_sms(self) -> None:
        """PDU mode and new-message indications; call before waiting for MT SMS."""
        if self._sms_waiter is None:
            self._sms_waiter = self.channel.urcs(("+CMTI:", "+CMT:"))
        self.dialect.sms_setup()

    def send_sms(self, number: str, text: str, *, mode: str = "pdu") -> list[int]:
        """Send an SMS (split into concatenated parts as needed in PDU mode); returns the message
        references the network gave (+CMGS)."""
        if self._sms_waiter is None:
            self.enable_sms()  # some modules (nRF91) refuse to send until an SMS client registered
        if mode == "text":
            return [self.dialect.sms_send_text(number, text)]
        if mode != "pdu":
            raise ValueError(f"mode must be 'pdu' or 'text', not {mode!r}")
        return [self.dialect.sms_send_pdu(pdu.hex, pdu.tpdu_length) for pdu in encode_submit(number, text)]

    def wait_sms(self, timeout: float = 60.0) -> SmsMessage:
        """The next MT SMS (+CMTI then AT+CMGR, or +CMT), decoded."""
        if self._sms_waiter is None:
            raise SmsError("call enable_sms() before waiting for messages")
        return self.dialect.sms_from_urc(self._sms_waiter.get(timeout))

    def read_sms(self, index: int) -> SmsMessage:
        return self.dialect.sms_read(index)

    # -- power saving ----------------------------------------------------------------------------

    def set_psm(self, enabled: bool, *, tau: str | None = None, active_time: str | None = None) -> None:
        """Request PSM with 8-bit timer strings (27.007 +CPSMS), e.g. tau="00111000" (24 h)."""
        self.dialect.set_psm(enabled, tau, active_time)

    def set_edrx(self, enabled: bool, *, rat: Rat = Rat.LTE_M, value: str | None = None) -> None:
        self.dialect.set_edrx(enabled, rat, value)

    def power_saving(self) -> PowerSaving:
        return self.dialect.power_saving()
