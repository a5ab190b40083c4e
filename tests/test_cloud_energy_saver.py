"""Energy Saver on the emulator: templates through the API, the template tester, and BCL decoding
of real UDP/CoAP uplinks into Device Inspector and a webhook (sdk_bindings.bcl does the decoding)."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hil.virtual.cloud.config import EmulatorConfig
from hil.virtual.cloud.contract import ContractValidator
from hil.virtual.cloud.server import ThreadedEmulator
from hil.virtual.cloud.testing import ContractRecorder, find_specs_dir
from hil.virtual.network.inventory import parse_yaml_inventory
from hil.virtual.network.netlink_client import NetlinkClient
from tests.support.cloud_api import sign_in

from .test_cloud_os import Receiver

INVENTORY = """
organisation: {id: "7200001", name: "Energy Saver org", ip_range: "10.63.4.0/24"}
api_users: [{client_id: "7200001_api", client_secret: "saver-secret"}]
sims:
  - {iccid: "8988280666000000301", imsi: "901405100000301"}
  - {iccid: "8988280666000000302", imsi: "901405100000302"}
"""
SIM, OTHER = "8988280666000000301", "8988280666000000302"
# The C SDK / blueprint demo template (reference §3.3 example 7).
DEMO_TEMPLATE = {
    "sense": [
        {
            "switch": {"byte": 0, "bytelength": 1, "type": "uint"},
            "on": [
                {
                    "case": 1,
                    "do": [
                        {"asset": "data_type", "value": "Energy_Saver"},
                        {
                            "asset": "battery_level",
                            "value": {"byte": 1, "bytelength": 1, "type": "uint", "byteorder": "little"},
                        },
                        {
                            "asset": "signal_strength",
                            "value": {"byte": 2, "bytelength": 1, "type": "uint", "byteorder": "little"},
                        },
                        {
                            "asset": "software_version",
                            "value": {"byte": 3, "bytelength": 5, "type": "string"},
                        },
                    ],
                }
            ],
        }
    ]
}
DEMO_PAYLOAD = bytes.fromhex("016354322e322e31")
DEMO_JSON = {
    "data_type": "Energy_Saver",
    "battery_level": 99,
    "signal_strength": 84,
    "software_version": "2.2.1",
}

SPECS = find_specs_dir()
pytestmark = pytest.mark.skipif(SPECS is None, reason="1NCE specs not found (set NCE_SPECS_DIR)")


@pytest.fixture(scope="module")
def lab() -> Iterator[ThreadedEmulator]:
    config = EmulatorConfig(sims_rate_limit=0, time_scale=0.001, webhook_timeout=2000)
    with ThreadedEmulator(parse_yaml_inventory(INVENTORY), config) as emulator:
        modems = []  # kept open: a closed netlink connection takes the SIM offline
        for iccid, imsi in ((SIM, "901405100000301"), (OTHER, "901405100000302")):
            modem = emulator.call_async(NetlinkClient.connect(emulator.endpoints["netlink"]))
            emulator.call_async(modem.bring_online(iccid, imsi))
            modems.append(modem)
        yield emulator


@pytest.fixture(scope="module")
def api(lab: ThreadedEmulator) -> Iterator[httpx.Client]:
    assert SPECS is not None
    recorder = ContractRecorder(ContractValidator(SPECS))
    with httpx.Client(base_url=lab.endpoints["api"], event_hooks={"response": [recorder.hook]}) as client:
        sign_in(client, "7200001_api", "saver-secret")
        yield client


def send_udp(lab: ThreadedEmulator, source: str, payload: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.sendto(payload, ("127.0.0.1", int(lab.endpoints["udp"].rsplit(":", 1)[1])))


def history(api: httpx.Client, lab: ThreadedEmulator, iccid: str) -> list[dict[str, Any]]:
    time.sleep(0.05)
    assert lab.services.history.flush(10)
    items: list[dict[str, Any]] = api.get(f"/v1/inspect/devices/{iccid}/history").json()["items"]
    return items


def test_template_tester(api: httpx.Client) -> None:
    body = {"template": json.dumps(DEMO_TEMPLATE), "payload": base64.b64encode(DEMO_PAYLOAD).decode()}
    result = api.post("/v1/optimize/messages/test", json=body).json()
    assert json.loads(result["translatedPayload"]) == DEMO_JSON
    assert result["reducedBytes"] == len(result["translatedPayload"]) - len(DEMO_PAYLOAD)
    assert 0 < result["energyUsageReduction"] < 100
    short = api.post(
        "/v1/optimize/messages/test", json={**body, "payload": base64.b64encode(b"\x01\x02").decode()}
    )
    assert short.status_code == 400
    assert (
        "Asset path:signal_strength, Error: can't extract [2:3] from 2 bytes"
        in short.json()["errors"][0]["message"]
    )
    assert api.post("/v1/optimize/messages/test", json={**body, "payload": "%%%"}).status_code == 400
    assert (
        api.post("/v1/optimize/messages/test", json={"template": "{", "payload": "AQ=="}).status_code == 400
    )


def test_broken_templates_are_refused_and_nothing_is_stored(api: httpx.Client) -> None:
    before = api.get("/v1/optimize/templates").json()
    bad_type = {"sense": [{"asset": "x", "value": {"byte": 0, "type": "bogus"}}]}
    refused = api.post(
        "/v1/optimize/templates",
        json={"name": "bad", "template": json.dumps(bad_type), "protocolFilter": ["UDP"]},
    )
    # 1NCE documents 422 for a template that is no valid BCL; a body against the schema stays 400
    assert refused.status_code == 422 and "sense[0].value.type" in refused.json()["errors"][0]["message"]
    for template in ("not json", "[]", json.dumps({"comment": "no sense"})):
        response = api.post(
            "/v1/optimize/templates", json={"name": "bad", "template": template, "protocolFilter": ["UDP"]}
        )
        assert response.status_code == 422, template
    extra = api.post(
        "/v1/optimize/templates", json={"name": "x", "template": "{}", "protocolFilter": ["UDP"], "colour": 1}
    )
    assert extra.status_code == 400
    assert (
        api.post(
            "/v1/optimize/templates", json={"name": "x", "template": "{}", "protocolFilter": ["LWM2M"]}
        ).status_code
        == 400
    )
    assert api.get("/v1/optimize/templates").json() == before


def test_uplinks_are_decoded_into_history_and_webhooks(lab: ThreadedEmulator, api: httpx.Client) -> None:
    receiver = Receiver()
    try:
        created = api.post(
            "/v1/optimize/templates",
            json={
                "name": "demo",
                "template": json.dumps(DEMO_TEMPLATE),
                "protocolFilter": ["UDP", "COAP"],
                "status": "ACTIVE",
            },
        )
        assert created.status_code == 201
        template_id = created.json()["id"]
        second = api.post(
            "/v1/optimize/templates",
            json={
                "name": "clash",
                "template": json.dumps(DEMO_TEMPLATE),
                "protocolFilter": ["UDP"],
                "status": "ACTIVE",
            },
        )
        assert second.status_code == 409
        api.post(
            "/v1/integrate/clouds/webhooks",
            json={
                "name": "saver",
                "url": receiver.url + "/t",
                "headers": {},
                "eventTypes": [{"type": "TELEMETRY_DATA"}],
            },
        )
        send_udp(lab, "127.63.4.1", DEMO_PAYLOAD)
        [item] = history(api, lab, SIM)
        assert json.loads(item["payload"]) == DEMO_JSON
        telemetry = receiver.wait_for(lambda r: len(r) >= 1)[0][3]
        assert telemetry["payload"] == {"type": "JSON", "value": DEMO_JSON}
        state = api.get(f"/v1/inspect/devices/{SIM}/telemetry", params={"protocol": "UDP"}).json()["state"]
        assert state["UDP"]["message"] == DEMO_JSON and state["UDP"]["encoding"] == "JSON"

        send_udp(lab, "127.63.4.2", b"\x01\x02")  # does not fit the template: dropped, logged
        assert history(api, lab, OTHER) == []
        time.sleep(0.1)
        logs = api.get("/v1/administrationLogs", params={"q": f"iccid:{OTHER}"}).json()["items"]
        assert logs[0]["message"] == "Translator[UserPayloadError]" and logs[0]["category"] == "error"
        assert "Asset path:signal_strength, Error: can't extract [2:3] from 2 bytes" in logs[0]["description"]
        assert len(receiver.requests) == 1  # nothing forwarded for the dropped message

        patched = api.patch(f"/v1/optimize/templates/{template_id}", json={"status": "INACTIVE"})
        assert patched.status_code == 200 and patched.json()["status"] == "INACTIVE"
        send_udp(lab, "127.63.4.2", b"\x01\x02")
        [raw] = history(api, lab, OTHER)
        assert base64.b64decode(raw["payload"]) == b"\x01\x02"
        assert api.patch(f"/v1/optimize/templates/{template_id}", json={"template": "{"}).status_code == 422
        assert api.delete(f"/v1/optimize/templates/{template_id}").status_code == 204
        assert api.delete(f"/v1/optimize/templates/{template_id}").status_code == 404
    finally:
        receiver.close()
