"""One simulated module: the composition root that ties engine, dialect, radio, SMS, PSM, faults,
network and ports together, and the operations the control channel offers.

Everything runs on one asyncio loop; several SimulatedModem objects can share it ("many virtual
rigs in one process"). Use runner.ModemSimulator from synchronous code.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

from at_commands.dialects.profiles import DialectProfile, profile
from at_commands.sim import luhn_check_digit
from hil.virtual.modem_sim.dialects import make_dialect
from hil.virtual.modem_sim.engine import AtEngine, LineEffects
from hil.virtual.modem_sim.faults import FaultBook
from hil.virtual.modem_sim.messaging import SmsService
from hil.virtual.modem_sim.network import (
    ClaimedSim,
    Identity,
    NetlinkNetwork,
    Network,
    SimInventory,
    StandaloneNetwork,
)
from hil.virtual.modem_sim.psm import PsmController
from hil.virtual.modem_sim.radio import Radio
from hil.virtual.modem_sim.replies import Line
from hil.virtual.modem_sim.scenario import Scenario, as_scenario, parse_fault
from hil.virtual.modem_sim.state import Power, SimCard, SimStatus
from hil.virtual.modem_sim.transcript import Transcript
from hil.virtual.modem_sim.transports import PtyPort, TcpPort
from hil.virtual.modem_sim.udp import UdpSocket
from hil.virtual.netlink import sim_ip_to_loopback

log = logging.getLogger(__name__)

_LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")
DEFAULT_HOSTS = {
    "localhost": "127.0.0.1",
    "udp.os.1nce.com": "127.0.0.1",
    "coap.os.1nce.com": "127.0.0.1",
    "lwm2m.os.1nce.com": "127.0.0.1",
}


class SimulatedModem:
    def __init__(
        self,
        dialect: str,
        scenario: Scenario | dict[str, Any] | str | Path | None = None,
        *,
        time_scale: float = 1.0,
        network: Network | str | None = None,
        transcript: Transcript | str | Path | None = None,
        name: str = "",
        iccid: str | None = None,
    ) -> None:
        if time_scale <= 0:
            raise ValueError(f"time_scale must be positive, got {time_scale}")
        self.profile: DialectProfile = profile(dialect)
        self.scenario = as_scenario(scenario)
        self.time_scale = time_scale
        self.name = name or self.profile.name
        self.power = Power.OFF
        sim_config = self.scenario.sim
        self.sim = SimCard(
            identity=sim_config,
            status=SimStatus.READY if sim_config.present else SimStatus.ABSENT,
            pin_enabled=sim_config.pin_required,
            pin=sim_config.pin,
        )
        if isinstance(transcript, str | Path):
            transcript = Transcript(transcript, self.name)
        self.transcript = transcript
        self.dialect = make_dialect(self)
        modem_config = self.scenario.modem
        self.engine = AtEngine(
            self._write,
            self.dialect.dispatch,
            vendor=self.profile.vendor,
            max_line=modem_config.max_line_length,
            urc_policy=modem_config.urc_policy,
            transcript=transcript,
            line_hook=self._line_hook,
            on_reboot=lambda: self.reboot("command fault"),
            scale=self.scaled,
        )
        self.engine.default_cmee = (
            modem_config.cmee if modem_config.cmee is not None else self.dialect.default_cmee
        )
        self.engine.silence()
        self.radio = Radio(self)
        self.sms = SmsService(self)
        self.psm = PsmController(self)
        self.faults = FaultBook(self)
        if network is None:
            network = StandaloneNetwork(self.scenario.network)
        elif isinstance(network, str):
            network = NetlinkNetwork(network)
        self.network: Network = network
        self.claim_iccid = iccid
        self.claims_sim = self._claims_sim(iccid)
        self.claimed: ClaimedSim | None = None
        self.hosts = {**DEFAULT_HOSTS, **{k.lower(): v for k, v in self.scenario.network.hosts.items()}}
        self.ports: list[PtyPort | TcpPort] = []
        self._boot_tasks: set[asyncio.Task[Any]] = set()
        self._life_tasks: set[asyncio.Task[Any]] = set()
        self._ready: asyncio.Event | None = None
        self._started = 0.0
        self.boots = 0
        self.closed = False

    # ------------------------------------------------------------ helpers
    def scaled(self, seconds: float) -> float:
        return seconds * self.time_scale

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(self.scaled(seconds))

    def spawn(self, coro: Coroutine[Any, Any, Any], *, lifetime: bool = False) -> asyncio.Task[Any]:
        """A task that dies with the next reboot (or, with lifetime, with the simulator)."""
        task = asyncio.get_running_loop().create_task(self._guarded(coro))
        task.add_done_callback(lambda _t: coro.close())  # cancelled before it ran: no warning
        group = self._life_tasks if lifetime else self._boot_tasks
        group.add(task)
        task.add_done_callback(group.discard)
        return task

    def fire(self, coro: Coroutine[Any, Any, Any]) -> None:
        self.spawn(coro, lifetime=True)

    async def _guarded(self, coro: Coroutine[Any, Any, Any]) -> Any:
        try:
            return await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s: background task failed", self.name)
            return None

    def urc(self, lines: str | Sequence[Line]) -> None:
        self.engine.urc((lines,) if isinstance(lines, str) else lines)

    def urc_later(self, delay_s: float, lines: str | Sequence[Line]) -> None:
        """A URC after the current answer (delay 0) or after some modem time."""

        async def later() -> None:
            await self.sleep(delay_s)
            self.urc(lines)

        if delay_s <= 0:
            asyncio.get_running_loop().call_soon(self.urc, lines)
        else:
            self.spawn(later())

    def _write(self, data: bytes) -> None:
        for port in self.ports:
            port.write(data)
        if self.transcript is not None:
            self.transcript.tx(data)

    def _line_hook(self, line: str) -> LineEffects | None:
        self.psm.activity()
        return self.faults.line_effects(line) if self.faults.active else None

    def _on_input(self, data: bytes) -> None:
        self.engine.feed(data)

    def _on_client(self) -> None:
        self.engine.client_changed()

    def _on_pty_flush(self) -> None:
        # A pty client opened the port (or flushed its input): a half line is stale, a payload
        # after a prompt is not (a host may flush between the prompt and its data).
        self.engine.client_changed(drop_payload=False)

    def _claims_sim(self, iccid: str | None) -> bool:
        """A modem on a network with an inventory and no SIM identity of its own takes a free SIM."""
        own = {"iccid", "imsi"} & self.scenario.sim.model_fields_set
        inventory = isinstance(self.network, SimInventory)
        if iccid is not None:
            if own:
                raise ValueError(
                    "iccid= claims a SIM of the network's inventory, but the scenario sets its own "
                    f"sim.{sorted(own)[0]}; give one or the other"
                )
            if not inventory:
                raise ValueError(
                    "iccid= picks a SIM of a network's inventory: give network= (tcp://HOST:PORT)"
                )
        return inventory and not own and self.scenario.sim.present

    async def claim_sim(self) -> ClaimedSim | None:
        """Take the SIM identity from the network's inventory (once; see docs/virtual-modem.md).

        Raises SimClaimError when the network gives none (unknown, taken or disabled ICCID, no
        free SIM, network unreachable). Returns None when this modem keeps its own identity."""
        if not self.claims_sim or self.claimed is not None:
            return self.claimed
        assert isinstance(self.network, SimInventory)
        claimed = await self.network.claim_sim(self.claim_iccid)
        update = {"iccid": claimed.iccid + luhn_check_digit(claimed.iccid), "imsi": claimed.imsi}
        if claimed.msisdn:
            update["msisdn"] = claimed.msisdn
        if claimed.imei:  # an IMEI-locked SIM attaches only from its IMEI
            update["imei"] = claimed.imei
        self.sim.identity = self.sim.identity.model_copy(update=update)
        self.claimed = claimed
        return claimed

    # ---------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """Connect the network, arm the scenario, boot; returns when the module is ready."""
        await self.claim_sim()
        self._ready = asyncio.Event()
        self._started = time.monotonic()
        sim = self.sim.identity
        await self.network.connect(self, Identity(sim.iccid, sim.imsi, sim.imei, sim.msisdn))
        for fault in self.scenario.faults:
            self.faults.add(fault)
        for seed in self.scenario.sms:
            tpdus = self.sms.inject(seed.sender, seed.text, seed.pdu)
            self.spawn(self._inject_later(seed.at_s, tpdus), lifetime=True)
        self.reboot("power on")
        await self._ready.wait()

    async def _inject_later(self, at_s: float, tpdus: list[str]) -> None:
        await self.sleep(at_s)
        for tpdu in tpdus:
            self._deliver_injected(tpdu)

    async def wait_ready(self, timeout: float | None = None) -> None:
        assert self._ready is not None
        await asyncio.wait_for(self._ready.wait(), timeout)

    def _shutdown(self) -> None:
        """Everything volatile goes: output in flight, timers, sockets, registration."""
        self.engine.silence()
        for task in list(self._boot_tasks):
            task.cancel()
        self._boot_tasks.clear()
        self.psm.reset()
        self.dialect.power_off()
        self.radio.power_off()
        if self._ready is not None:
            self._ready.clear()

    def reboot(self, reason: str = "") -> None:
        """Reset now: silence, then the boot time, then boot URCs with echo back on."""
        if self.closed:
            return
        if self.transcript is not None:
            self.transcript.event(f"reboot ({reason})")
        self._shutdown()
        self.power = Power.BOOTING
        self.spawn(self._boot_sequence(), lifetime=True)

    def reboot_after_reply(self, reason: str) -> None:
        asyncio.get_running_loop().call_soon(self.reboot, reason)

    async def _boot_sequence(self) -> None:
        await self.sleep(self.scenario.modem.boot_s)
        self._power_on()

    def _power_on(self) -> None:
        self.boots += 1
        self.power = Power.READY
        sim = self.sim
        sim.powered = True
        if sim.pin_enabled and sim.status is SimStatus.READY:
            sim.status = SimStatus.PIN
        modem_config = self.scenario.modem
        self.engine.wake(reset_settings=True)
        self.engine.settings.echo = modem_config.echo
        self.engine.settings.echo_payload = modem_config.echo_payload
        self.dialect.power_on()
        self.sms.power_on()
        for line in self.dialect.boot_urcs():
            self.urc(line)
        if self.boots == 1:  # nobody can have been listening to the very first boot
            for port in self.ports:
                if isinstance(port, PtyPort):
                    port.discard_stale_output()
        self.radio.power_on()
        if self._ready is not None:
            self._ready.set()

    def power_off(self, final_urc: str | None = None) -> None:
        """QPOWD / CPOWD / CPWROFF / #SHDN: the answer goes out first, then the module is off."""

        def off() -> None:
            if final_urc:
                self.urc(final_urc)
            self._shutdown()
            self.power = Power.OFF
            if self.transcript is not None:
                self.transcript.event("power off")

        asyncio.get_running_loop().call_soon(off)

    def power_on(self) -> None:
        if self.power is Power.OFF:
            self.reboot("power on")

    def enter_psm(self) -> None:
        self.radio.set_connected(False)
        self.engine.silence()
        self.power = Power.PSM
        if self.transcript is not None:
            self.transcript.event("PSM: asleep")

    def leave_psm(self) -> None:
        self.power = Power.READY
        self.engine.wake(reset_settings=False)
        if self.transcript is not None:
            self.transcript.event("PSM: awake")

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._shutdown()
        self.faults.clear()
        for task in list(self._life_tasks):
            task.cancel()
        for port in self.ports:
            port.close()
        self.ports.clear()
        await self.network.close()
        if self.transcript is not None:
            self.transcript.close()

    # -------------------------------------------------------------- ports
    async def open_pty(self, link: str | Path | None = None) -> str:
        port = PtyPort(self._on_input, self._on_pty_flush)
        url = port.open(link)
        self.ports.append(port)
        return url

    async def open_tcp(self, host: str = "127.0.0.1", port: int = 0) -> str:
        tcp = TcpPort(self._on_input, self._on_client)
        url = await tcp.open(host, port)
        self.ports.append(tcp)
        return url

    # ------------------------------------------------------------ network
    def network_sms_mt(self, sms_id: int | None, tpdu_hex: str) -> None:
        try:
            tpdu = bytes.fromhex(tpdu_hex)
        except ValueError:
            log.warning("MT SMS with a TPDU that is not hex: %r", tpdu_hex[:40])
            if sms_id is not None:
                self.network.sms_mt_result(sms_id, False)
            return
        self.sms.deliver(tpdu, sms_id)

    def network_sms_status(self, mr: int, status: int, tpdu_hex: str | None) -> None:
        self.sms.status_report(mr, status, tpdu_hex)

    def network_detach(self, reason: str) -> None:
        if self.power is Power.READY:
            self.radio.network_detach()

    def network_pdp_deactivate(self, reason: str) -> None:
        if self.power is Power.READY:
            self.radio.network_pdp_deactivate()

    def resolve(self, host: str) -> str | None:
        """The loopback address a host name / address maps to; None when it does not resolve."""
        key = host.strip().lower()
        if key in self.hosts:
            return self.hosts[key]
        try:
            address = ipaddress.IPv4Address(key)
        except ValueError:
            return None
        return str(address)

    def display_address(self, address: str) -> str:
        """How a datagram source looks to the host: the address it sent to, if it was mapped."""
        for name, mapped in self.hosts.items():
            if mapped == address and _is_ipv4(name) and name != address:
                return name
        return address

    def source_address(self, cid: int | None = None) -> str:
        """The loopback address this SIM sends from (its PDP IP 10.a.b.c -> 127.a.b.c)."""
        context = self.radio.contexts.get(cid) if cid is not None else None
        if context is None or not context.active:
            context = self.radio.active_context()
        if context is None or context.ip is None:
            raise LookupError("no active PDP context")
        return sim_ip_to_loopback(context.ip)

    async def open_udp(self, cid: int | None, local_port: int = 0, on_receive: Any = None) -> UdpSocket:
        """A real UDP socket bound to this SIM's loopback address. Raises LookupError / OSError."""
        source = self.source_address(cid)

        def usage(tx: int, rx: int) -> None:
            self.network.usage(tx, rx)
            self.psm.activity()

        sock = UdpSocket(on_receive or (lambda _s: None), usage)
        await sock.open(source, local_port)
        return sock

    # ------------------------------------------------------------- faults
    def fault_applied(self, fault: Any) -> None:
        sim, radio = self.sim, self.radio
        kind = fault.type
        if kind == "no_sim":
            sim.status = SimStatus.ABSENT
            self._sim_lost()
        elif kind == "uicc_failure":
            sim.status = SimStatus.FAILED
            self._sim_lost()
        elif kind == "sim_pin":
            sim.pin_enabled = True
            if sim.status is SimStatus.READY:
                sim.status = SimStatus.PIN
        elif kind == "sim_puk":
            sim.status = SimStatus.PUK
        elif kind == "sim_busy":
            sim.busy_left = fault.count
        elif kind in ("registration_denied", "no_coverage") and (
            self.power is Power.READY and radio.cfun == 1 and (radio.reg.registered or radio.searching)
        ):
            for cid in radio.drop_contexts(by_network=True):
                self.dialect.on_pdp_lost(cid)
            radio.start_registration()

    def _sim_lost(self) -> None:
        if self.power is not Power.READY:
            return
        self.dialect.on_sim_status()
        radio = self.radio
        radio.drop_contexts(by_network=True)
        if radio.cfun == 1:
            radio.start_registration()  # fails at once: no SIM

    def fault_cleared(self, fault: Any) -> None:
        sim, radio = self.sim, self.radio
        kind = fault.type
        if kind in ("no_sim", "uicc_failure", "sim_puk"):
            sim.status = SimStatus.PIN if sim.pin_enabled and kind == "no_sim" else SimStatus.READY
            sim.pin_attempts, sim.puk_attempts = 3, 10
            if self.power is Power.READY:
                self.dialect.on_sim_status()
        elif kind == "sim_pin":
            sim.pin_enabled = self.scenario.sim.pin_required
            if sim.status is SimStatus.PIN and not sim.pin_enabled:
                sim.status = SimStatus.READY
        elif kind == "sim_busy":
            sim.busy_left = 0
        if self.power is Power.READY and radio.cfun == 1 and not radio.reg.registered and sim.ready:
            radio.start_registration()

    def sim_unlocked(self) -> None:
        """The PIN/PUK was entered: the SIM is ready, registration can start."""
        self.dialect.on_sim_status()
        if self.radio.cfun == 1 and not self.radio.reg.registered:
            self.radio.start_registration()

    # ------------------------------------------------------- control ops
    def inject_sms(self, sender: str, text: str | None = None, pdu: str | None = None) -> list[int | None]:
        """An MT SMS as if the network delivered it (through the standalone network when it is used)."""
        return [self._deliver_injected(tpdu) for tpdu in self.sms.inject(sender, text, pdu)]

    def _deliver_injected(self, tpdu: str) -> int | None:
        if isinstance(self.network, StandaloneNetwork):
            return self.network.push_sms(tpdu)
        self.sms.deliver(bytes.fromhex(tpdu), None)
        return None

    def set_fault(self, fault: Any) -> str:
        model = parse_fault(fault) if isinstance(fault, dict) else fault
        return self.faults.add(model)

    def clear_fault(self, key: str) -> list[str]:
        return self.faults.remove(key)

    def set_signal(self, **values: float) -> None:
        signal = self.radio.signal
        for key, value in values.items():
            if not hasattr(signal, key):
                raise ValueError(
                    f"unknown signal value {key!r}; known: rssi_dbm rsrp_dbm rsrq_db sinr_db ber"
                )
            setattr(signal, key, type(getattr(signal, key))(value))

    def status(self) -> dict[str, Any]:
        radio, sim, reg = self.radio, self.sim, self.radio.reg
        settings = self.engine.settings
        return {
            "dialect": self.profile.name,
            "name": self.name,
            "power": self.power.value,
            "boots": self.boots,
            "ports": [port.url for port in self.ports],
            "engine": {
                "mode": self.engine.mode.value,
                "echo": settings.echo,
                "verbose": settings.verbose,
                "cmee": settings.cmee,
                "lines": self.engine.lines_handled,
            },
            "cfun": radio.cfun,
            "sim": {"status": sim.status.value, "iccid": sim.identity.iccid, "imsi": sim.identity.imsi},
            "registration": {
                "stat": int(reg.stat),
                "rat": reg.rat.value,
                "plmn": reg.plmn,
                "tac": reg.tac,
                "ci": reg.ci,
                "reject_cause": reg.reject_cause,
                "attached": reg.attached,
            },
            "pdp": [
                {"cid": c.cid, "apn": c.apn, "type": c.pdp_type, "active": c.active, "ip": c.ip}
                for c in radio.contexts.values()
            ],
            "sockets": self.dialect.describe_sockets(),
            "sms": {"stored": len(self.sms.store), "text_mode": self.sms.settings.text_mode},
            "psm": {"enabled": self.psm.enabled, "entries": self.psm.entries},
            "signal": vars(radio.signal),
            "faults": self.faults.describe(),
            "network": self.network.describe(),
            "uptime_s": round(time.monotonic() - self._started, 3),
        }

    def identity(self) -> dict[str, str]:
        sim = self.sim.identity
        return {"iccid": sim.iccid, "imsi": sim.imsi, "imei": sim.imei, "msisdn": sim.msisdn}


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True
