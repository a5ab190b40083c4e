"""The emulated 1NCE core network: it decides registrations and PDP contexts, meters traffic, and
pushes network-initiated actions (detach, PDP teardown, MT SMS) to the simulated modems.

Decisions, as 1NCE makes them:

* a disabled SIM is denied registration (EMM cause #7 "EPS services not allowed");
* a SIM with IMEI lock attached from another IMEI is denied (EMM cause #6 "Illegal ME");
* an unknown IMSI is denied (EMM cause #2 "IMSI unknown in HSS");
* a PDP context needs APN iot.1nce.net (ESM #27 otherwise) and IPv4 (ESM #50 for IPv6-only);
* a SIM with auto top-up enabled gets a top-up (+500 MB, +250 SMS) the moment its data quota is
  used up, and stays connected;
* a SIM whose data quota or monthly data limit is used up gets its PDP context torn down and new
  ones rejected (ESM #8 "operator determined barring") with 1NCE's text "PDP Context Request
  rejected, because endpoint is currently blocked due to exceeded traffic limit".

All methods run on the event loop that owns the netlink server and the HTTP API.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

from at_commands.sim import luhn_check_digit

from .clock import Clock, iso_z
from .events import EventLog, EventType, VisitedNetwork
from .limits import MonthlyLimits, load_limits
from .metering import QuotaLevel, data_quota, mb
from .sessions import SessionState, SessionTable, normalize_rat
from .sms import SmsPolicy, SmsRouter
from .store import QUOTA_VALIDITY, NetworkStore, SimRecord

log = logging.getLogger(__name__)

APN = "iot.1nce.net"
DNS_SERVERS = ["8.8.8.8", "8.8.4.4"]
BLOCKED_TEXT = (
    "PDP Context Request rejected, because endpoint is currently blocked due to exceeded traffic limit"
)

EMM_IMSI_UNKNOWN = 2
EMM_ILLEGAL_ME = 6
EMM_EPS_NOT_ALLOWED = 7
ESM_OPERATOR_BARRING = 8
ESM_UNKNOWN_APN = 27
ESM_IPV4_ONLY = 50
ESM_REQUEST_REJECTED = 31


class ModemLink(Protocol):
    """The network's handle on one connected modem (a netlink connection)."""

    def push(self, message: dict[str, Any]) -> None: ...


class NetworkRejectError(Exception):
    """A request the network refuses: `text` for people, `fields` for the modem (causes)."""

    def __init__(self, text: str, **fields: Any) -> None:
        super().__init__(text)
        self.text = text
        self.fields = fields


class SimClaimError(NetworkRejectError):
    """No SIM can be claimed: `reason` is "unknown", "taken", "disabled" or "none_free"."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(text, claim_error=reason)
        self.reason = reason


class CoreNetwork:
    def __init__(
        self,
        store: NetworkStore,
        events: EventLog,
        clock: Clock,
        *,
        visited: VisitedNetwork | None = None,
        sms_policy: SmsPolicy | None = None,
    ) -> None:
        self.store = store
        self.events = events
        self.clock = clock
        self.visited = visited or VisitedNetwork()
        self.sessions = SessionTable()
        self.sms = SmsRouter(self, sms_policy or SmsPolicy())
        self.msc_number = "491600190000"
        self.sgsn_ip = "10.255.0.1"  # never a traffic target: only shown in status records
        self._links: dict[str, ModemLink] = {}
        self.on_auto_top_up: list[Callable[[str], None]] = []  # called with the ICCID after one

    # --- links ------------------------------------------------------------------------------
    def bind(self, iccid: str, link: ModemLink) -> None:
        self._links[iccid] = link

    def unbind(self, iccid: str, link: ModemLink) -> None:
        """The modem's connection closed: it is gone from the network."""
        if self._links.get(iccid) is link:
            del self._links[iccid]
            if self.sessions.get(iccid).state != SessionState.OFFLINE:
                self._drop_session(iccid, "connection to the modem closed")

    def has_link(self, iccid: str) -> bool:
        return iccid in self._links

    def push(self, iccid: str, message: dict[str, Any]) -> bool:
        link = self._links.get(iccid)
        if link is None:
            return False
        link.push(message)
        return True

    def normalize_iccid(self, iccid: str) -> str:
        """Modems read the ICCID with its Luhn digit (20 digits); 1NCE's inventory keys are 19."""
        body = iccid[:19]
        if len(iccid) == 20 and self.store.find_sim(body) is not None and luhn_check_digit(body) == iccid[19]:
            return body
        return iccid

    def limits(self) -> MonthlyLimits:
        return load_limits(self.store)

    # --- modem requests ---------------------------------------------------------------------
    def hello(self, iccid: str, imsi: str) -> SimRecord:
        sim = self.store.find_sim(iccid)
        if sim is None:
            raise NetworkRejectError(f"SIM {iccid} is not in this network's inventory")
        if imsi and imsi != sim.imsi:
            raise NetworkRejectError(f"IMSI {imsi} does not belong to SIM {iccid} (expected {sim.imsi})")
        return sim

    def free_sim(self, iccid: str | None = None) -> SimRecord:
        """The SIM a modem without its own identity may take: `iccid` if it is free, else the first
        free one by ICCID. Free = in the inventory, Enabled, and no modem connected with it.
        The caller binds its link right away (same loop turn), so no SIM is handed out twice."""
        if iccid is not None:
            iccid = self.normalize_iccid(iccid)
            sim = self.store.find_sim(iccid)
            if sim is None:
                free = [s.iccid for s in self._free_sims()]
                raise SimClaimError(
                    f"SIM {iccid} is not in this network's inventory; free SIMs: {_listing(free)}", "unknown"
                )
            if self.has_link(iccid):
                raise SimClaimError(f"SIM {iccid} is taken: another modem is connected with it", "taken")
            if sim.status != "Enabled":
                raise SimClaimError(
                    f"SIM {iccid} is {sim.status}; enable it first (PATCH /v1/sims)", "disabled"
                )
            return sim
        free_sims = self._free_sims()
        if not free_sims:
            sims = self.store.all_sims()
            enabled = sum(1 for s in sims if s.status == "Enabled")
            raise SimClaimError(
                f"no free SIM: the inventory has {len(sims)} SIM(s), {enabled} Enabled, "
                f"and a modem is connected with each Enabled one",
                "none_free",
            )
        return free_sims[0]

    def _free_sims(self) -> list[SimRecord]:
        sims = sorted(self.store.all_sims(), key=lambda sim: sim.iccid)
        return [sim for sim in sims if sim.status == "Enabled" and not self.has_link(sim.iccid)]

    def attach(self, iccid: str, imsi: str, imei: str, rat: object) -> dict[str, Any]:
        sim = self.store.find_sim(iccid)
        if sim is None or (imsi and imsi != sim.imsi):
            raise NetworkRejectError("IMSI unknown in HSS", stat=3, reject_cause=EMM_IMSI_UNKNOWN)
        try:
            radio = normalize_rat(rat)
        except ValueError as exc:
            raise NetworkRejectError(str(exc), stat=3, reject_cause=EMM_EPS_NOT_ALLOWED) from exc
        if sim.status != "Enabled":
            self.events.emit(
                sim, EventType.USER_AUTHENTICATION_FAILED, "Registration denied: SIM is disabled", severity=1
            )
            raise NetworkRejectError("SIM is disabled", stat=3, reject_cause=EMM_EPS_NOT_ALLOWED)
        if sim.imei_lock and sim.imei and imei != sim.imei:
            self.events.emit(
                sim,
                EventType.USER_AUTHENTICATION_FAILED,
                f"Registration denied: IMEI lock to {sim.imei}, device IMEI {imei}",
                severity=1,
            )
            raise NetworkRejectError(
                f"IMEI lock: SIM is locked to IMEI {sim.imei}", stat=3, reject_cause=EMM_ILLEGAL_ME
            )
        if imei and imei != sim.imei:
            sim = self.store.update_sim(iccid, imei=imei)
        if self.sessions.get(iccid).pdp is not None:
            self._close_pdp(sim, "re-attach")
        tac, ci = _cell_for(iccid)
        self.sessions.attach(iccid, imei=imei, rat=radio, tac=tac, ci=ci, now=self.clock.now())
        self.events.emit(sim, EventType.UPDATE_LOCATION, "Update location", network=self.visited)
        self.sms.flush(iccid)
        # tac and ci as the hex strings +CEREG shows (4 and 8 digits)
        return {
            "stat": 5,
            "plmn": self.visited.mcc + self.visited.mnc,
            "tac": f"{tac:04X}",
            "ci": f"{ci:08X}",
        }

    def detach(self, iccid: str) -> None:
        self.store.sim(iccid)
        if self.sessions.get(iccid).state != SessionState.OFFLINE:
            self._drop_session(iccid, "detach by the device")

    def pdp_activate(self, iccid: str, apn: str, pdp_type: str) -> dict[str, Any]:
        sim = self.store.sim(iccid)
        session = self.sessions.get(iccid)
        if session.state == SessionState.OFFLINE:
            raise NetworkRejectError("not attached", esm_cause=ESM_REQUEST_REJECTED)
        if (apn or "").strip().lower() != APN:
            raise NetworkRejectError(f"unknown APN {apn!r}; 1NCE needs {APN}", esm_cause=ESM_UNKNOWN_APN)
        if (pdp_type or "IP").upper() not in {"IP", "IPV4", "IPV4V6"}:
            raise NetworkRejectError(f"PDP type {pdp_type} not supported: IPv4 only", esm_cause=ESM_IPV4_ONLY)
        if self.data_blocked(sim):
            self.events.emit(sim, EventType.ENDPOINT_BLOCKED, BLOCKED_TEXT, severity=1, source=1)
            raise NetworkRejectError(BLOCKED_TEXT, esm_cause=ESM_OPERATOR_BARRING)
        if session.pdp is not None:
            return {"ip": session.pdp.ip_address, "dns": list(DNS_SERVERS)}
        pdp = self.sessions.open_pdp(iccid, apn=APN, ip_address=sim.ip_address, now=self.clock.now())
        self.events.emit(
            sim,
            EventType.CREATE_PDP_CONTEXT,
            "Create PDP Context",
            network=self.visited,
            pdp_context=self.pdp_record(iccid),
        )
        return {"ip": pdp.ip_address, "dns": list(DNS_SERVERS)}

    def pdp_deactivate(self, iccid: str) -> None:
        sim = self.store.sim(iccid)
        if self.sessions.get(iccid).pdp is not None:
            self._close_pdp(sim, "deactivated by the device")

    def usage(self, iccid: str, tx_bytes: int, rx_bytes: int) -> bool:
        """Count traffic (bytes on the air, headers included); True when the SIM is now blocked."""
        if tx_bytes < 0 or rx_bytes < 0:
            raise NetworkRejectError("tx_bytes and rx_bytes must not be negative")
        sim = self.store.sim(iccid)
        before = data_quota(sim.data_quota_mb, sim.data_used_bytes).level
        was_blocked = self.data_blocked(sim)
        sim = self.store.update_sim(iccid, data_used_bytes=sim.data_used_bytes + tx_bytes + rx_bytes)
        self.store.add_usage(iccid, data_tx=tx_bytes, data_rx=rx_bytes)
        after = data_quota(sim.data_quota_mb, sim.data_used_bytes).level
        now = iso_z(self.clock.now())
        if before < QuotaLevel.BELOW_THRESHOLD <= after:
            sim = self.store.update_sim(iccid, data_threshold_date=now)
            self.events.emit(
                sim, EventType.DATA_QUOTA_THRESHOLD, "Under 20% of the data quota left", severity=1, source=1
            )
        if before < QuotaLevel.EXHAUSTED <= after:
            sim = self.store.update_sim(iccid, data_exceeded_date=now)
            self.events.emit(
                sim, EventType.DATA_QUOTA_USED_UP, "Data quota used up", severity=2, source=1, alert=True
            )
            if sim.extra.get("auto_top_up"):
                sim = self.top_up(iccid)
                for listener in self.on_auto_top_up:
                    listener(iccid)
        blocked = self.data_blocked(sim)
        if blocked and not was_blocked:
            self.events.emit(sim, EventType.ENDPOINT_BLOCKED, BLOCKED_TEXT, severity=2, source=1, alert=True)
            if self.sessions.get(iccid).pdp is not None:
                self._close_pdp(sim, "blocked due to exceeded traffic limit")
                self.push(iccid, {"push": "pdp_deactivate", "reason": BLOCKED_TEXT})
        return blocked

    def data_blocked(self, sim: SimRecord) -> bool:
        if data_quota(sim.data_quota_mb, sim.data_used_bytes).level == QuotaLevel.EXHAUSTED:
            return True
        limit = self.limits().data_bytes
        return limit is not None and self.store.month_usage(sim.iccid)["data"] >= limit

    # --- API-initiated ----------------------------------------------------------------------
    def reset_connectivity(self, iccid: str) -> None:
        """1NCE's "reset connectivity": the network detaches the device, which then re-attaches."""
        self.store.sim(iccid)
        if self.sessions.get(iccid).state != SessionState.OFFLINE:
            self._drop_session(iccid, "connectivity reset")
        self.push(iccid, {"push": "detach", "reason": "connectivity reset"})

    def set_status(self, iccid: str, status: str) -> SimRecord:
        sim = self.store.sim(iccid)
        if status == sim.status:
            return sim
        sim = self.store.update_sim(iccid, status=status)
        if status == "Disabled":
            self.events.emit(sim, EventType.SIM_SUSPENSION, "SIM suspended", source=2)
            if self.sessions.get(iccid).state != SessionState.OFFLINE:
                self._drop_session(iccid, "SIM disabled")
                self.push(iccid, {"push": "detach", "reason": "SIM disabled"})
        else:
            self.events.emit(sim, EventType.SIM_ACTIVATION, "SIM activated", source=2)
        return sim

    def set_auto_top_up(self, iccid: str, enabled: bool) -> SimRecord:
        sim = self.store.sim(iccid)
        return self.store.update_sim(iccid, extra={**sim.extra, "auto_top_up": enabled})

    def extend(self, iccid: str, data_mb: float = 500.0, sms: int = 250) -> SimRecord:
        """1NCE's SIM extension: a new activation period and a renewed quota (500 MB, 250 SMS left)."""
        sim = self.store.sim(iccid)
        now = self.clock.now()
        return self.store.update_sim(
            iccid,
            data_quota_mb=sim.data_used_bytes / 1_000_000 + data_mb,
            sms_quota=sim.sms_used + sms,
            last_volume_added_mb=data_mb,
            last_sms_added=sms,
            quota_change_date=now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            quota_expiry=(now + QUOTA_VALIDITY).strftime("%Y-%m-%dT00:00:00.000Z"),
            data_threshold_date=None,
            data_exceeded_date=None,
            sms_threshold_date=None,
            sms_exceeded_date=None,
        )

    def transfer_out(self, iccid: str) -> None:
        """The SIM moves to another customer: offline, and gone from this organisation."""
        if self.sessions.get(iccid).state != SessionState.OFFLINE:
            self._drop_session(iccid, "SIM transferred")
            self.push(iccid, {"push": "detach", "reason": "SIM transferred to another customer"})
        self.store.remove_sim(iccid)

    def top_up(self, iccid: str, data_mb: float = 500.0, sms: int = 250) -> SimRecord:
        """+500 MB +250 SMS, as 1NCE's top-up; clears the exhausted state."""
        sim = self.store.sim(iccid)
        now = self.clock.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return self.store.update_sim(
            iccid,
            data_quota_mb=sim.data_quota_mb + data_mb,
            sms_quota=sim.sms_quota + sms,
            last_volume_added_mb=data_mb,
            last_sms_added=sms,
            quota_change_date=now,
            data_threshold_date=None,
            data_exceeded_date=None,
            sms_threshold_date=None,
            sms_exceeded_date=None,
        )

    # --- views ------------------------------------------------------------------------------
    def pdp_record(self, iccid: str) -> dict[str, Any] | None:
        """The SIM API's PdpContext object for the live context, or None."""
        session = self.sessions.get(iccid)
        pdp = session.pdp
        if pdp is None or session.rat is None:
            return None
        sim = self.store.sim(iccid)
        seconds = int(max(self.clock.time() - pdp.created.timestamp(), 0))
        return {
            "pdp_context_id": str(pdp.pdp_context_id),
            "imsi": sim.imsi,
            "teid_data_plane": str(pdp.teid),
            "teid_control_plane": str(pdp.teid + 1),
            "gtp_version": "2",
            "nsapi": "5",
            "sgsn_control_plane_ip_address": self.sgsn_ip,
            "sgsn_data_plane_ip_address": self.sgsn_ip,
            "ggsn_control_plane_ip_address": "10.255.0.2",
            "ggsn_data_plane_ip_address": "10.255.0.2",
            "created": iso_z(pdp.created),
            "mcc": self.visited.mcc,
            "mnc": self.visited.mnc,
            "operator_id": str(self.visited.operator_id),
            "lac": str(session.tac),
            "ci": str(session.ci),
            "ue_ip_address": pdp.ip_address,
            "imeisv": (session.imei + "00")[:16] if session.imei else "",
            "duration": f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}",
            "rat_type": {"rat_type_id": str(session.rat.streamer_id), "description": session.rat.description},
        }

    # --- internals --------------------------------------------------------------------------
    def _close_pdp(self, sim: SimRecord, reason: str) -> None:
        record = self.pdp_record(sim.iccid)
        if self.sessions.close_pdp(sim.iccid) is None:
            return
        usage = self.store.month_usage(sim.iccid)
        self.events.emit(
            sim,
            EventType.DELETE_PDP_CONTEXT,
            f"Delete PDP Context ({reason})",
            network=self.visited,
            pdp_context=record,
            volume={"total": mb(usage["data"])},
        )

    def _drop_session(self, iccid: str, reason: str) -> None:
        sim = self.store.sim(iccid)
        self._close_pdp(sim, reason)
        self.sessions.detach(iccid)
        self.events.emit(sim, EventType.PURGE_LOCATION, f"Purge location ({reason})", network=self.visited)


def _listing(iccids: list[str], most: int = 5) -> str:
    if not iccids:
        return "none"
    more = f" and {len(iccids) - most} more" if len(iccids) > most else ""
    return ", ".join(iccids[:most]) + more


def _cell_for(iccid: str) -> tuple[int, int]:
    """A stable tracking area and cell per SIM, so status records look like a real network's."""
    digest = hashlib.sha256(iccid.encode()).digest()
    return 0x1000 + digest[0], int.from_bytes(digest[1:4], "big") & 0x0FFFFFFF
