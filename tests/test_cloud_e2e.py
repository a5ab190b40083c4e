"""End to end on loopback: a simulated BG95 (hil.virtual.modem_sim) on the emulated network, driven
over AT by at_commands.Modem; the harness checks through the 1NCE API client and a webhook
receiver. UDP and CoAP uplinks go through the modem's own UDP socket (sent from 127.a.b.c)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import aiocoap
import pytest
from aiocoap.numbers import codes

from at_commands.modem import Modem
from hil.cloud import CloudApiError, CloudClient, CloudSettings
from hil.virtual.cloud.config import EmulatorConfig
from hil.virtual.cloud.contract import ContractValidator
from hil.virtual.cloud.server import ThreadedEmulator
from hil.virtual.cloud.testing import ContractRecorder, find_specs_dir
from hil.virtual.modem_sim import ModemSimulator
from hil.virtual.network.inventory import parse_yaml_inventory

from .test_cloud_energy_saver import DEMO_JSON, DEMO_PAYLOAD, DEMO_TEMPLATE
from .test_cloud_os import Receiver

ICCID, IMSI, IMEI = "8988280666000000501", "901405100000501", "352656100885180"
TINY_ICCID, TINY_IMSI = "8988280666000000502", "901405100000502"
INVENTORY = f"""
organisation: {{id: "7300001", name: "E2E org", ip_range: "10.65.0.0/24"}}
api_users: [{{client_id: "7300001_api", client_secret: "e2e-secret-1"}}]
sims:
  - {{iccid: "{ICCID}", imsi: "{IMSI}", msisdn: "882285100000501", ip_address: "10.65.0.2"}}
  - {{iccid: "{TINY_ICCID}", imsi: "{TINY_IMSI}", ip_address: "10.65.0.3", data_quota_mb: 0.0005}}
"""
SPECS = find_specs_dir()
pytestmark = pytest.mark.skipif(SPECS is None, reason="1NCE specs not found (set NCE_SPECS_DIR)")


def scenario(iccid: str, imsi: str, ip: str) -> dict[str, Any]:
    return {
        "sim": {"iccid": iccid, "imsi": imsi, "imei": IMEI},
        "network": {"ip": ip, "registration_delay_s": 1.0, "pdp_delay_s": 0.1, "sms_delay_s": 0.1},
        "modem": {"boot_s": 1.0},
    }


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def forwarder() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def lab(forwarder: Receiver) -> Iterator[ThreadedEmulator]:
    config = EmulatorConfig(time_scale=0.001, webhook_timeout=2000, sms_forwarder_url=forwarder.url + "/sms")
    with ThreadedEmulator(parse_yaml_inventory(INVENTORY), config) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def cloud(lab: ThreadedEmulator) -> Iterator[CloudClient]:
    assert SPECS is not None
    recorder = ContractRecorder(ContractValidator(SPECS))
    settings = CloudSettings(
        api_url=lab.endpoints["api"], client_id="7300001_api", client_secret="e2e-secret-1"
    )  # type: ignore[arg-type]
    with CloudClient(settings, event_hooks={"response": [recorder.hook]}) as client:
        yield client


@pytest.fixture(scope="module")
def modem(lab: ThreadedEmulator) -> Iterator[Modem]:
    with (
        ModemSimulator(
            "bg95", scenario(ICCID, IMSI, "10.65.0.2"), time_scale=0.01, network=lab.endpoints["netlink"]
        ) as sim,
        Modem.open(sim.start_pty(), "bg95") as device,
    ):
        device.initialize()
        yield device


def coap_message(code: aiocoap.numbers.codes.Code, mid: int, **options: Any) -> aiocoap.Message:
    """A confirmable request with a fixed message ID, as firmware builds them."""
    message = aiocoap.Message(code=code, **options)
    message.mtype, message.mid, message.token = aiocoap.CON, mid, mid.to_bytes(2, "big")
    return message


def coap_exchange(device: Modem, lab: ThreadedEmulator, request: aiocoap.Message) -> aiocoap.Message:
    """Send one CoAP message (encoded by aiocoap) through the modem's UDP socket; decode the answer."""
    port = int(lab.endpoints["coap"].rsplit(":", 1)[1])
    with device.open_udp("127.0.0.1", port) as sock:
        sock.send(request.encode())
        return aiocoap.Message.decode(sock.receive(10).data)


def test_modem_attaches_and_the_api_sees_it_online(modem: Modem, cloud: CloudClient) -> None:
    registration = modem.attach()
    assert registration.stat == 5
    context = modem.activate_pdp()
    assert context.ip == "10.65.0.2"
    status = cloud.status(ICCID)
    assert status.status == "ONLINE" and status.pdp_context is not None
    assert status.pdp_context["ue_ip_address"] == "10.65.0.2"
    assert cloud.sim(ICCID).imei == IMEI


def test_udp_and_coap_uplinks_are_decoded_stored_and_forwarded(
    modem: Modem, cloud: CloudClient, lab: ThreadedEmulator
) -> None:
    receiver = Receiver()
    try:
        cloud.create_template("demo", json.dumps(DEMO_TEMPLATE), ["UDP", "COAP"])
        cloud.create_webhook("e2e", receiver.url + "/in", ["TELEMETRY_DATA", "LIFECYCLE"])
        udp_port = int(lab.endpoints["udp"].rsplit(":", 1)[1])
        with modem.open_udp("127.0.0.1", udp_port) as sock:
            sock.send(DEMO_PAYLOAD)
        request = coap_message(codes.POST, 4711, payload=DEMO_PAYLOAD, uri_query=["t=e2e"])
        answer = coap_exchange(modem, lab, request)
        assert answer.code == codes.CHANGED and answer.mid == 4711
        messages = eventually(lambda: h if len(h := list(cloud.history(ICCID))) >= 2 else None)
        assert [(m.protocol, json.loads(m.payload)) for m in messages] == [
            ("COAP", DEMO_JSON),
            ("UDP", DEMO_JSON),
        ]
        assert messages[0].topic == "e2e"
        seen = receiver.wait_for(lambda r: sum(b["type"] == "TELEMETRY_DATA" for *_, b in r) >= 2)
        telemetry = [body for *_, body in seen if body["type"] == "TELEMETRY_DATA"]
        assert {t["source"] for t in telemetry} == {"UDP", "COAP"}
        for envelope in telemetry:
            assert envelope["payload"]["value"] == DEMO_JSON and envelope["version"] == "1.0.0"
            assert envelope["device"] == {"iccid": ICCID, "imsi": IMSI, "ip": "10.65.0.2"}
        assert any(body["type"] == "LIFECYCLE" for *_, body in seen)
    finally:
        receiver.close()


def test_bootstrap_through_the_modem_answers_the_iccid(
    modem: Modem, lab: ThreadedEmulator, cloud: CloudClient
) -> None:
    request = coap_message(codes.GET, 4712, uri_path=["bootstrap"])
    answer = coap_exchange(modem, lab, request)
    assert answer.code == codes.CONTENT
    identity, psk, url = answer.payload.decode().split(",")
    assert identity == ICCID and url.startswith("coaps://")
    assert cloud.psk(ICCID)["secretKey"] == psk


def test_mt_sms_reaches_the_modem_and_turns_delivered(modem: Modem, cloud: CloudClient) -> None:
    modem.enable_sms()
    sms_id = cloud.send_sms(ICCID, "reboot now", source_address="+4930123456")
    assert sms_id is not None
    message = modem.wait_sms(10)
    assert message.text == "reboot now"
    assert eventually(lambda: cloud.sms_detail(ICCID, sms_id).status.description == "DELIVERED")


def test_mo_sms_appears_in_the_api_and_at_the_forwarder(
    modem: Modem, cloud: CloudClient, forwarder: Receiver
) -> None:
    references = modem.send_sms("+491701234567", "hello from the device")
    assert len(references) == 1
    mo = eventually(lambda: [s for s in cloud.sms_list(ICCID) if s.sms_type.description == "MO"])
    assert mo[0].payload == "hello from the device" and mo[0].status.description == "DELIVERED"
    posts = forwarder.wait_for(lambda r: any(m == "POST" for m, *_ in r))
    body = next(body for method, _, _, body in posts if method == "POST")
    assert body["payload"] == "hello from the device" and body["endpoint"]["name"] == ICCID
    patches = [body for method, _, _, body in forwarder.requests if method == "PATCH"]
    assert patches and patches[0]["status"]["status"] == "DELIVERED"  # the MT SMS's delivery report


def test_reset_detaches_the_modem_which_attaches_again(
    modem: Modem, cloud: CloudClient, lab: ThreadedEmulator
) -> None:
    before = len(list(cloud.events(ICCID)))
    cloud.reset(ICCID)
    names = eventually(
        lambda: (
            e[: len(e) - before] if len(e := [x.event_type for x in cloud.events(ICCID)]) > before else None
        )
    )
    assert any(name.startswith("Purge location") for name in names)
    eventually(lambda: modem.registration().stat == 5 and cloud.status(ICCID).status != "OFFLINE")


def test_quota_exhaustion_blocks_the_pdp_context(lab: ThreadedEmulator, cloud: CloudClient) -> None:
    with (
        ModemSimulator(
            "bg95",
            scenario(TINY_ICCID, TINY_IMSI, "10.65.0.3"),
            time_scale=0.01,
            network=lab.endpoints["netlink"],
        ) as sim,
        Modem.open(sim.start_pty(), "bg95") as device,
    ):
        device.initialize()
        device.attach()
        device.activate_pdp()
        udp_port = int(lab.endpoints["udp"].rsplit(":", 1)[1])
        with device.open_udp("127.0.0.1", udp_port) as sock:
            for _ in range(3):
                sock.send(b"\x01" * 200)  # 3 x 228 B > 500 B of quota
        eventually(lambda: cloud.sim(TINY_ICCID).quota_status.id == 2)  # type: ignore[union-attr]
        eventually(lambda: cloud.status(TINY_ICCID).status == "ATTACHED")
        with pytest.raises(Exception, match=r"(?i)error|reject|fail"):
            device.activate_pdp()
        names = [event.event_type for event in cloud.events(TINY_ICCID)]
        assert "Data quota used up" in names and "Endpoint blocked" in names
        assert cloud.data_quota(TINY_ICCID).volume == 0


def test_unknown_iccid_is_a_clear_client_error(cloud: CloudClient) -> None:
    with pytest.raises(CloudApiError) as caught:
        cloud.sim("8988280666099999999")
    assert caught.value.status == 404 and "8988280666099999999 not found" in str(caught.value)
