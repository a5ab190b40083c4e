"""The modem's view of the core network: attach, PDP, usage, SMS, and what the network pushes.

Two implementations behind one interface (``Network``):

* ``NetlinkNetwork`` talks the JSON-lines protocol of hil/virtual/netlink.py to the emulated core
  network (``hil modem-sim --network tcp://HOST:PORT``); it reconnects on its own.
* ``StandaloneNetwork`` is built in: it accepts the SIM, assigns the scenario's IP, accepts MO SMS
  with an incrementing message reference, and lets tests/the control channel push MT SMS, detaches
  and PDP teardowns.

The modem receives pushes through ``NetworkEvents`` (implemented by SimulatedModem).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from at_commands.dialects.profiles import Rat
from hil.virtual import netlink
from hil.virtual.modem_sim.scenario import NetworkConfig

log = logging.getLogger(__name__)

RAT_NAMES = {Rat.LTE_M: "LTE-M", Rat.NB_IOT: "NB-IoT", Rat.GSM: "GSM"}
EMM_NETWORK_FAILURE = 17
ESM_NETWORK_FAILURE = 38  # "network failure": the link to the core is down
LINK_WAIT_S = 1.0  # how long an attach waits for the netlink connection before it searches on


@dataclass
class Identity:
    iccid: str
    imsi: str
    imei: str
    msisdn: str


@dataclass
class ClaimedSim:
    """A SIM of the network's inventory, claimed for one simulated modem (ICCID without Luhn digit;
    imei is the inventory's, "" when it names none)."""

    iccid: str
    imsi: str
    msisdn: str
    imei: str


class SimClaimError(ValueError):
    """The network gave no SIM: `reason` is "unknown", "taken", "disabled", "none_free" or "link"."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(text)
        self.reason = reason


@runtime_checkable
class SimInventory(Protocol):
    """A network that can hand a modem without its own SIM identity a free SIM."""

    async def claim_sim(self, iccid: str | None = None) -> ClaimedSim: ...


@dataclass
class AttachResult:
    ok: bool
    stat: int = 5
    plmn: str = ""
    tac: str = ""
    ci: str = ""
    reject_cause: int | None = None


@dataclass
class PdpResult:
    ok: bool
    ip: str = ""
    dns: list[str] = field(default_factory=list)
    esm_cause: int | None = None
    error: str = ""


@dataclass
class SmsResult:
    ok: bool
    mr: int = 0
    cms_error: int | None = None


class NetworkEvents(Protocol):
    """What the network can do to the modem."""

    def network_sms_mt(self, sms_id: int | None, tpdu_hex: str) -> None: ...

    def network_sms_status(self, mr: int, status: int, tpdu_hex: str | None) -> None: ...

    def network_detach(self, reason: str) -> None: ...

    def network_pdp_deactivate(self, reason: str) -> None: ...


class Network(Protocol):
    async def connect(self, events: NetworkEvents, identity: Identity) -> None: ...

    async def attach(self, rat: Rat) -> AttachResult: ...

    async def detach(self) -> None: ...

    async def pdp_activate(self, apn: str, pdp_type: str) -> PdpResult: ...

    async def pdp_deactivate(self) -> None: ...

    def usage(self, tx_bytes: int, rx_bytes: int) -> None: ...

    async def sms_mo(self, tpdu_hex: str) -> SmsResult: ...

    def sms_mt_result(self, sms_id: int, delivered: bool) -> None: ...

    async def close(self) -> None: ...

    def describe(self) -> dict[str, Any]: ...


class StandaloneNetwork:
    """A network with one cell and one subscriber, configured by the scenario."""

    def __init__(self, config: NetworkConfig) -> None:
        self.config = config
        self.events: NetworkEvents | None = None
        self.identity: Identity | None = None
        self._mr = itertools.count(config.first_mr)
        self._sms_ids = itertools.count(1)
        self.mo_sms: list[str] = []  # TPDUs the modem sent
        self.mt_results: dict[int, bool] = {}  # sms_id -> delivered
        self.tx_bytes = 0
        self.rx_bytes = 0
        self.attached = False
        self.pdp_up = False

    async def connect(self, events: NetworkEvents, identity: Identity) -> None:
        self.events, self.identity = events, identity

    async def attach(self, rat: Rat) -> AttachResult:
        if rat not in self.config.rats:
            return AttachResult(False, stat=3, reject_cause=15)  # no suitable cells in tracking area
        self.attached = True
        config = self.config
        return AttachResult(True, stat=config.stat, plmn=config.plmn, tac=config.tac, ci=config.ci)

    async def detach(self) -> None:
        self.attached = self.pdp_up = False

    async def pdp_activate(self, apn: str, pdp_type: str) -> PdpResult:
        wanted = self.config.apn
        if wanted is not None and apn and apn.lower() != wanted.lower():
            return PdpResult(False, esm_cause=27, error=f"unknown APN {apn!r}")
        if pdp_type.upper() not in ("IP", "IPV4V6"):
            return PdpResult(False, esm_cause=50, error="PDP type IPv4 only allowed")
        self.pdp_up = True
        return PdpResult(True, ip=self.config.ip, dns=list(self.config.dns))

    async def pdp_deactivate(self) -> None:
        self.pdp_up = False

    def usage(self, tx_bytes: int, rx_bytes: int) -> None:
        self.tx_bytes += tx_bytes
        self.rx_bytes += rx_bytes

    async def sms_mo(self, tpdu_hex: str) -> SmsResult:
        self.mo_sms.append(tpdu_hex)
        return SmsResult(True, mr=next(self._mr) % 256)

    def sms_mt_result(self, sms_id: int, delivered: bool) -> None:
        self.mt_results[sms_id] = delivered

    def push_sms(self, tpdu_hex: str) -> int:
        sms_id = next(self._sms_ids)
        if self.events is not None:
            self.events.network_sms_mt(sms_id, tpdu_hex)
        return sms_id

    async def close(self) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "standalone",
            "attached": self.attached,
            "pdp": self.pdp_up,
            "tx_bytes": self.tx_bytes,
            "rx_bytes": self.rx_bytes,
            "mo_sms": len(self.mo_sms),
            "mt_results": {str(k): v for k, v in self.mt_results.items()},
        }


class NetlinkNetwork:
    """The emulated core network over netlink (JSON lines over TCP on loopback)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        host, _, port = url.removeprefix("tcp://").rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"network URL must look like tcp://127.0.0.1:PORT, got {url!r}")
        self.url = url
        self.host, self.port = host, int(port)
        self.timeout = timeout
        self.events: NetworkEvents | None = None
        self.identity: Identity | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._pump: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._closing = False
        self._background: set[asyncio.Task[Any]] = set()
        self._claimed: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.last_error = ""

    async def claim_sim(self, iccid: str | None = None) -> ClaimedSim:
        """Claim a free SIM of the network's inventory (`iccid`, or the first free one).

        The claiming connection stays bound to the SIM and becomes the link connect() uses, so no
        other modem can claim it meanwhile; it is released when the link closes."""
        if self._claimed is not None or self._pump is not None:
            raise RuntimeError("claim_sim() must be called once, before connect()")
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.timeout
            )
        except (OSError, TimeoutError) as exc:
            raise SimClaimError(
                f"cannot reach the network at {self.url} to claim a SIM: {_why(exc)} "
                "(is `hil cloud serve` running there?)",
                "link",
            ) from exc
        request: dict[str, Any] = {"id": next(self._ids), "op": "claim"}
        if iccid is not None:
            request["iccid"] = iccid
        try:
            writer.write(netlink.encode(request))
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), self.timeout)
            answer = netlink.decode(line) if line else {"ok": False, "error": "connection closed"}
        except (OSError, TimeoutError, netlink.NetlinkError) as exc:
            writer.close()
            raise SimClaimError(f"claiming a SIM from {self.url} failed: {_why(exc)}", "link") from exc
        if not answer.get("ok"):
            writer.close()
            reason = str(answer.get("claim_error") or "link")
            raise SimClaimError(f"the network at {self.url} gave no SIM: {answer.get('error')}", reason)
        self._claimed = (reader, writer)
        return ClaimedSim(
            iccid=str(answer["iccid"]),
            imsi=str(answer["imsi"]),
            msisdn=str(answer.get("msisdn") or ""),
            imei=str(answer.get("imei") or ""),
        )

    async def connect(self, events: NetworkEvents, identity: Identity) -> None:
        self.events, self.identity = events, identity
        self._pump = asyncio.create_task(self._run())
        with contextlib.suppress(TimeoutError):  # a network that is not up yet: keep searching
            await asyncio.wait_for(self._connected.wait(), LINK_WAIT_S)

    async def _run(self) -> None:
        delay = 0.05
        while not self._closing:
            try:
                if self._claimed is not None:  # the connection claim_sim() bound to the SIM
                    (reader, writer), self._claimed = self._claimed, None
                else:
                    reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError as exc:
                self.last_error = f"cannot connect to {self.url}: {exc.strerror or exc}"
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            delay = 0.05
            self._writer = writer
            hello = asyncio.create_task(self._hello())
            try:
                await self._read(reader)
            finally:
                hello.cancel()
                self._connected.clear()
                self._writer = None
                writer.close()
                for future in self._waiting.values():
                    if not future.done():
                        future.set_exception(ConnectionError("netlink connection lost"))
                self._waiting.clear()
            if not self._closing and self.events is not None:
                # The network takes a SIM offline when its connection closes: search and attach again.
                self.last_error = "netlink connection lost"
                self.events.network_detach("network link lost")

    async def _hello(self) -> None:
        assert self.identity is not None
        identity = self.identity
        answer = await self._request(
            "hello", iccid=identity.iccid, imsi=identity.imsi, imei=identity.imei, msisdn=identity.msisdn
        )
        if not answer.get("ok"):
            self.last_error = f"network refused hello: {answer.get('error')}"
            log.warning("%s", self.last_error)
        self._connected.set()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while True:
            line = await reader.readline()
            if not line:
                return
            try:
                message = netlink.decode(line)
            except netlink.NetlinkError as exc:
                log.warning("%s", exc)
                continue
            if "push" in message:
                self._push(message)
                continue
            future = self._waiting.pop(message.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(message)

    def _push(self, message: dict[str, Any]) -> None:
        events = self.events
        if events is None:
            return
        kind = message["push"]
        try:
            if kind == "sms_mt":
                events.network_sms_mt(int(message["sms_id"]), str(message["tpdu"]))
            elif kind == "sms_status":
                tpdu = message.get("tpdu")
                events.network_sms_status(int(message["mr"]), int(message["status"]), tpdu)
            elif kind == "detach":
                events.network_detach(str(message.get("reason", "")))
            elif kind == "pdp_deactivate":
                events.network_pdp_deactivate(str(message.get("reason", "")))
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("netlink push %r not understood: %s", message, exc)

    async def _request(self, op: str, **fields: Any) -> dict[str, Any]:
        writer = self._writer
        if writer is None:
            return {"ok": False, "error": self.last_error or "network link down"}
        request_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            writer.write(netlink.encode({"id": request_id, "op": op, **fields}))
            await writer.drain()
            return await asyncio.wait_for(future, self.timeout)
        except (ConnectionError, TimeoutError) as exc:
            return {"ok": False, "error": f"network link: {exc or 'timeout'}"}
        finally:
            self._waiting.pop(request_id, None)

    async def _ready(self) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), LINK_WAIT_S)
        return self._connected.is_set()

    def _iccid(self) -> str:
        assert self.identity is not None
        return self.identity.iccid

    async def attach(self, rat: Rat) -> AttachResult:
        if not await self._ready():
            return AttachResult(False, stat=2)
        identity = self.identity
        assert identity is not None
        answer = await self._request(
            "attach", iccid=identity.iccid, imsi=identity.imsi, imei=identity.imei, rat=RAT_NAMES[rat]
        )
        if answer.get("ok"):
            return AttachResult(
                True,
                stat=int(answer.get("stat", 5)),
                plmn=str(answer.get("plmn", "")),
                tac=str(answer.get("tac", "")),
                ci=str(answer.get("ci", "")),
            )
        if "stat" not in answer:  # link trouble, not a decision: keep searching
            return AttachResult(False, stat=2, reject_cause=EMM_NETWORK_FAILURE)
        return AttachResult(False, stat=int(answer["stat"]), reject_cause=answer.get("reject_cause"))

    async def detach(self) -> None:
        await self._request("detach", iccid=self._iccid())

    async def pdp_activate(self, apn: str, pdp_type: str) -> PdpResult:
        answer = await self._request("pdp_activate", iccid=self._iccid(), apn=apn, pdp_type=pdp_type)
        if answer.get("ok"):
            return PdpResult(True, ip=str(answer["ip"]), dns=[str(d) for d in answer.get("dns", [])])
        return PdpResult(
            False,
            esm_cause=int(answer.get("esm_cause") or ESM_NETWORK_FAILURE),
            error=str(answer.get("error")),
        )

    async def pdp_deactivate(self) -> None:
        await self._request("pdp_deactivate", iccid=self._iccid())

    def _fire(self, op: str, **fields: Any) -> None:
        task = asyncio.get_running_loop().create_task(self._request(op, **fields))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def usage(self, tx_bytes: int, rx_bytes: int) -> None:
        self._fire("usage", iccid=self._iccid(), tx_bytes=tx_bytes, rx_bytes=rx_bytes)

    async def sms_mo(self, tpdu_hex: str) -> SmsResult:
        answer = await self._request("sms_mo", iccid=self._iccid(), tpdu=tpdu_hex)
        if answer.get("ok"):
            return SmsResult(True, mr=int(answer.get("mr", 0)))
        return SmsResult(False, cms_error=int(answer.get("cms_error") or 332))

    def sms_mt_result(self, sms_id: int, delivered: bool) -> None:
        self._fire("sms_mt_result", sms_id=sms_id, delivered=delivered)

    async def close(self) -> None:
        self._closing = True
        if self._claimed is not None:  # claimed, never connected
            self._claimed[1].close()
            self._claimed = None
        if self._background:
            await asyncio.wait(self._background, timeout=1.0)
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        if self._writer is not None:
            self._writer.close()

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "netlink",
            "url": self.url,
            "connected": self._connected.is_set(),
            "error": self.last_error,
        }


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)
