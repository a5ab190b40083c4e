"""The emulated core network through its real boundary: netlink JSON lines over TCP on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from at_commands.sms.address import Address
from at_commands.sms.dcs import DataCoding, Encoding
from at_commands.sms.messages import SmsDeliver, SmsSubmit
from at_commands.sms.tpdu import decode_pdu_octets, encode_tpdu
from hil.virtual.network.clock import Clock
from hil.virtual.network.core import BLOCKED_TEXT, CoreNetwork
from hil.virtual.network.database import Database
from hil.virtual.network.events import EventLog
from hil.virtual.network.inventory import parse_yaml_inventory
from hil.virtual.network.netlink_client import NetlinkClient
from hil.virtual.network.netlink_server import NetlinkServer
from hil.virtual.network.sms import SmsPolicy
from hil.virtual.network.store import NetworkStore

INVENTORY = """
organisation: {id: "4242", name: "Test org", ip_range: "10.44.1.0/24"}
sims:
  - {iccid: "8988280666000000101", imsi: "901405100000101", msisdn: "882285100000101"}
  - {iccid: "8988280666000000102", imsi: "901405100000102", status: Disabled}
  - {iccid: "8988280666000000103", imsi: "901405100000103", imei: "350000000000103", imei_lock: true}
  - {iccid: "8988280666000000104", imsi: "901405100000104", data_quota_mb: 0.001}
"""
SIM, DISABLED, LOCKED, TINY = (f"898828066600000010{n}" for n in range(1, 5))


class Lab:
    def __init__(self, tmp: Path) -> None:
        inventory = parse_yaml_inventory(INVENTORY)
        self.clock = Clock()
        self.store = NetworkStore(Database(tmp / "net.db"), self.clock)
        self.store.import_inventory(inventory)
        self.events_seen: list[dict[str, Any]] = []
        events = EventLog(self.store, self.clock, "4242", "Test org")
        events.listeners.append(self.events_seen.append)
        self.core = CoreNetwork(
            self.store,
            events,
            self.clock,
            sms_policy=SmsPolicy(delivery_timeout=0.5, retry_delays=(0.1, 0.1)),
        )
        self.server = NetlinkServer(self.core)

    def imsi(self, iccid: str) -> str:
        return self.store.sim(iccid).imsi

    def event_names(self, iccid: str) -> list[str]:
        return [e["event_type"]["description"] for e in self.events_seen if e["sim"]["iccid"] == iccid]


def run_lab(tmp_path: Path, scenario: Callable[[Lab, str], Awaitable[None]]) -> None:
    async def main() -> None:
        lab = Lab(tmp_path)
        await lab.server.start()
        try:
            await asyncio.wait_for(scenario(lab, lab.server.url), timeout=20)
        finally:
            lab.core.sms.close()
            await lab.server.close()

    asyncio.run(main())


def test_attach_pdp_and_session_states(tmp_path: Path) -> None:
    async def scenario(lab: Lab, url: str) -> None:
        modem = await NetlinkClient.connect(url)
        await modem.call("hello", iccid=SIM, imsi=lab.imsi(SIM), imei="350000000000101", msisdn="")
        assert lab.core.sessions.get(SIM).state == "OFFLINE"
        attach = await modem.call(
            "attach", iccid=SIM, imsi=lab.imsi(SIM), imei="350000000000101", rat="LTE-M"
        )
        assert attach["stat"] == 5 and attach["plmn"] == "26201"
        assert lab.core.sessions.get(SIM).state == "ATTACHED"
        wrong_apn = await modem.request("pdp_activate", iccid=SIM, apn="internet", pdp_type="IP")
        assert not wrong_apn["ok"] and wrong_apn["esm_cause"] == 27
        pdp = await modem.call("pdp_activate", iccid=SIM, apn="iot.1nce.net", pdp_type="IP")
        assert pdp["ip"] == "10.44.1.1" and pdp["dns"] == ["8.8.8.8", "8.8.4.4"]
        assert lab.core.sessions.get(SIM).state == "ONLINE"
        assert lab.core.pdp_record(SIM)["rat_type"] == {"rat_type_id": "9", "description": "4G"}
        assert lab.store.sim(SIM).imei == "350000000000101"
        await modem.call("pdp_deactivate", iccid=SIM)
        assert lab.core.sessions.get(SIM).state == "ATTACHED"
        await modem.call("detach", iccid=SIM)
        assert lab.core.sessions.get(SIM).state == "OFFLINE"
        assert lab.event_names(SIM) == [
            "Update location",
            "Create PDP Context",
            "Delete PDP Context",
            "Purge location",
        ]
        await modem.close()

    run_lab(tmp_path, scenario)


def test_disabled_sim_and_imei_lock_are_denied_registration(tmp_path: Path) -> None:
    async def scenario(lab: Lab, url: str) -> None:
        modem = await NetlinkClient.connect(url)
        await modem.call("hello", iccid=DISABLED, imsi=lab.imsi(DISABLED), imei="1", msisdn="")
        denied = await modem.request("attach", iccid=DISABLED, imsi=lab.imsi(DISABLED), imei="1", rat="LTE")
        assert denied == {
            "id": denied["id"],
            "ok": False,
            "error": "SIM is disabled",
            "stat": 3,
            "reject_cause": 7,
        }
        other = await NetlinkClient.connect(url)
        await other.call("hello", iccid=LOCKED, imsi=lab.imsi(LOCKED), imei="359999999999999", msisdn="")
        locked = await other.request(
            "attach", iccid=LOCKED, imsi=lab.imsi(LOCKED), imei="359999999999999", rat=7
        )
        assert not locked["ok"] and locked["reject_cause"] == 6 and "IMEI lock" in locked["error"]
        ok = await other.call("attach", iccid=LOCKED, imsi=lab.imsi(LOCKED), imei="350000000000103", rat=7)
        assert ok["stat"] == 5
        assert lab.core.sessions.get(DISABLED).state == "OFFLINE"
        await modem.close()
        await other.close()

    run_lab(tmp_path, scenario)


def test_bad_lines_are_answered_and_the_connection_survives(tmp_path: Path) -> None:
    async def scenario(lab: Lab, url: str) -> None:
        host, port = url.removeprefix("tcp://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b'not json\n{"id": 5, "op": "teleport"}\n{"id": 6, "op": "attach", "iccid": "x"}\n')
        answers = [await reader.readline() for _ in range(3)]
        assert b'"id":-1' in answers[0] and b"not JSON" in answers[0]
        assert b"unknown op" in answers[1]
        assert b'"id":6' in answers[2] and b"hello first" in answers[2]
        writer.write(b'{"id": 7, "op": "hello", "iccid": "8988280666000009999", "imsi": ""}\n')
        assert b"not in this network" in await reader.readline()
        writer.close()

    run_lab(tmp_path, scenario)


def test_quota_exhaustion_tears_down_and_blocks_the_pdp_context(tmp_path: Path) -> None:
    async def scenario(lab: Lab, url: str) -> None:
        modem = await NetlinkClient.connect(url)
        await modem.bring_online(TINY, lab.imsi(TINY))
        first = await modem.call("usage", iccid=TINY, tx_bytes=128, rx_bytes=78)  # 206 B of 1000 B
        assert first["blocked"] is False
        warned = await modem.call("usage", iccid=TINY, tx_bytes=600, rx_bytes=0)
        assert warned["blocked"] is False and lab.store.sim(TINY).data_threshold_date
        blocked = await modem.call("usage", iccid=TINY, tx_bytes=200, rx_bytes=0)
        assert blocked["blocked"] is True
        push = await modem.next_push()
        assert push == {"push": "pdp_deactivate", "reason": BLOCKED_TEXT}
        assert lab.core.sessions.get(TINY).state == "ATTACHED"
        again = await modem.request("pdp_activate", iccid=TINY, apn="iot.1nce.net", pdp_type="IP")
        assert again["ok"] is False and again["esm_cause"] == 8 and again["error"] == BLOCKED_TEXT
        assert lab.store.sim(TINY).data_used_bytes == 1006
        names = lab.event_names(TINY)
        assert "Data quota threshold reached" in names and "Data quota used up" in names
        lab.core.top_up(TINY)
        assert (await modem.call("pdp_activate", iccid=TINY, apn="iot.1nce.net", pdp_type="IP"))["ip"]
        await modem.close()

    run_lab(tmp_path, scenario)


def test_reset_connectivity_detaches_the_modem(tmp_path: Path) -> None:
    async def scenario(lab: Lab, url: str) -> None:
        modem = await NetlinkClient.connect(url)
        await modem.bring_online(SIM, lab.imsi(SIM))
        lab.core.reset_connectivity(SIM)
        assert await modem.next_push() == {"push": "detach", "reason": "connectivity reset"}
        assert lab.core.sessions.get(SIM).state == "OFFLINE"
        await modem.close()

    run_lab(tmp_path, scenario)


def _submit(text: str, mr: int, status_report: bool = False) -> str:
    message = SmsSubmit(
        destination=Address.parse("+4915112345678"),
        message_reference=mr,
        user_data=text,
        dcs=DataCoding.build(Encoding.GSM7),
        status_report_request=status_report,
    )
    return encode_tpdu(message).hex()


def test_sms_mo_is_stored_and_mt_is_delivered_with_states(tmp_path: Path) -> None:
    async def scenario(lab: Lab, url: str) -> None:
        forwarded: list[str] = []
        finals: list[int] = []
        lab.core.sms.on_mo.append(lambda record, sim: forwarded.append(record.payload))
        lab.core.sms.on_final.append(lambda record, sim: finals.append(record.status_id))
        modem = await NetlinkClient.connect(url)
        await modem.bring_online(SIM, lab.imsi(SIM))
        answer = await modem.call("sms_mo", iccid=SIM, tpdu=_submit("hello 1NCE", 7, status_report=True))
        assert answer["mr"] == 7 and forwarded == ["hello 1NCE"]
        report = await modem.next_push()
        assert report["push"] == "sms_status" and report["mr"] == 7 and report["status"] == 0
        bad = await modem.request("sms_mo", iccid=SIM, tpdu="zz")
        assert bad["ok"] is False and bad["cms_error"] == 304

        record = lab.core.sms.submit_mt(
            SIM,
            payload="ping",
            source_address="+4912345",
            source_address_type=145,
            dcs=0,
            udh="",
            expiry=None,
        )
        push = await modem.next_push()
        assert push["push"] == "sms_mt" and push["sms_id"] == record.id
        deliver = decode_pdu_octets(bytes.fromhex(push["tpdu"]), has_smsc=False, direction="mt")
        assert isinstance(deliver, SmsDeliver) and deliver.user_data == "ping"
        assert deliver.originator.number == "+4912345"
        assert lab.store.sms_by_id(record.id).status_id == 2  # IN PROGRESS
        await modem.call("sms_mt_result", sms_id=record.id, delivered=True)
        delivered = lab.store.sms_by_id(record.id)
        assert delivered.status_id == 4 and delivered.delivery_date and finals == [4]
        assert lab.store.sim(SIM).sms_used == 2
        stale = await modem.request("sms_mt_result", sms_id=record.id, delivered=True)
        assert stale["ok"] is False

        refused = lab.core.sms.submit_mt(
            SIM, payload="again", source_address="1234", source_address_type=None, dcs=0, udh="", expiry=None
        )
        push = await modem.next_push()
        await modem.call("sms_mt_result", sms_id=push["sms_id"], delivered=False)
        assert lab.store.sms_by_id(refused.id).status_id == 3  # BUFFERED, retried
        retry = await modem.next_push()
        assert retry["sms_id"] == refused.id
        await modem.call("sms_mt_result", sms_id=refused.id, delivered=True)
        assert lab.store.sms_by_id(refused.id).retry_count == 1
        await modem.close()

    run_lab(tmp_path, scenario)


def test_mt_sms_waits_in_the_buffer_until_the_sim_attaches(tmp_path: Path) -> None:
    async def scenario(lab: Lab, url: str) -> None:
        record = lab.core.sms.submit_mt(
            SIM, payload="later", source_address="1NCE", source_address_type=208, dcs=0, udh="", expiry=None
        )
        assert lab.store.sms_by_id(record.id).status_id == 3
        cancelled = lab.core.sms.submit_mt(
            SIM, payload="never", source_address="1NCE", source_address_type=208, dcs=0, udh="", expiry=None
        )
        assert lab.core.sms.cancel(cancelled.id).status_id == 7
        with pytest.raises(ValueError, match="only buffered MT"):
            lab.core.sms.cancel(cancelled.id)
        modem = await NetlinkClient.connect(url)
        await modem.bring_online(SIM, lab.imsi(SIM))
        push = await modem.next_push()
        assert push["sms_id"] == record.id
        assert modem.pushes.empty()
        await modem.close()

    run_lab(tmp_path, scenario)
