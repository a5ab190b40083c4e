"""1NCE OS on loopback through its real boundaries: UDP datagrams from the SIMs' 127.a.b.c
addresses, CoAP from coap-client (libcoap) and raw datagrams, webhooks into an HTTP receiver this
test runs, downlinks into sockets the test listens on. Every API response is contract-checked."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from hil.virtual.cloud.config import EmulatorConfig
from hil.virtual.cloud.contract import ContractValidator
from hil.virtual.cloud.server import ThreadedEmulator
from hil.virtual.cloud.testing import ContractRecorder, find_specs_dir
from hil.virtual.netlink import sim_ip_to_loopback
from hil.virtual.network.inventory import parse_yaml_inventory
from hil.virtual.network.netlink_client import NetlinkClient
from tests.support.cloud_api import sign_in
from tests.support.pty_peer import wait_until

N = 12
INVENTORY = """
organisation: {id: "7100001", name: "OS test org", ip_range: "10.62.3.0/24"}
api_users: [{client_id: "7100001_api", client_secret: "os-test-secret"}]
sims:
""" + "".join(f'  - {{iccid: "89882806660000{n:05d}", imsi: "9014051000{n:05d}"}}\n' for n in range(1, N + 1))


def iccid(n: int) -> str:
    return f"89882806660000{n:05d}"


def source(n: int) -> str:
    return sim_ip_to_loopback(f"10.62.3.{n}")


SPECS = find_specs_dir()
pytestmark = pytest.mark.skipif(SPECS is None, reason="1NCE specs not found (set NCE_SPECS_DIR)")
COAP_CLIENT = shutil.which("coap-client-notls") or shutil.which("coap-client")


class Receiver:
    """An HTTP server on loopback that records what it is sent and answers `status`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.requests.append(
                    (self.command, self.path, dict(self.headers), json.loads(body or b"null"))
                )
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            do_POST = do_PATCH = _record  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, predicate: Callable[[list[Any]], bool], timeout: float = 10.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.requests):
                return self.requests
            time.sleep(0.02)
        raise AssertionError(f"receiver never saw what was expected; got {self.requests!r}"[:2000])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def recorder() -> ContractRecorder:
    assert SPECS is not None
    return ContractRecorder(ContractValidator(SPECS))


@pytest.fixture(scope="module")
def lab() -> Iterator[ThreadedEmulator]:
    config = EmulatorConfig(
        sims_rate_limit=0,
        time_scale=0.001,
        webhook_timeout=2000,
        coap_downlink_timeout=3000,
        psk_rotation_seconds=300,
    )
    with ThreadedEmulator(parse_yaml_inventory(INVENTORY), config) as emulator:
        modems = []
        for n in range(1, N):  # the last SIM stays offline
            modem = emulator.call_async(NetlinkClient.connect(emulator.endpoints["netlink"]))
            emulator.call_async(modem.bring_online(iccid(n), f"9014051000{n:05d}"))
            modems.append(modem)
        yield emulator


@pytest.fixture(scope="module")
def api(lab: ThreadedEmulator, recorder: ContractRecorder) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=lab.endpoints["api"], event_hooks={"response": [recorder.hook]}) as client:
        sign_in(client, "7100001_api", "os-test-secret")
        yield client


def udp_port(lab: ThreadedEmulator) -> int:
    return int(lab.endpoints["udp"].rsplit(":", 1)[1])


def send_udp(lab: ThreadedEmulator, n: int, payload: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source(n), 0))
        sock.sendto(payload, ("127.0.0.1", udp_port(lab)))


def history(api: httpx.Client, n: int, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(f"/v1/inspect/devices/{iccid(n)}/history", params=params).json()[
        "items"
    ]
    return items


def settle(lab: ThreadedEmulator) -> None:
    time.sleep(0.05)
    assert lab.services.history.flush(10)


def coap(lab: ThreadedEmulator, n: int, *args: str) -> subprocess.CompletedProcess[str]:
    assert COAP_CLIENT is not None
    return subprocess.run(
        [COAP_CLIENT, "-a", source(n), "-B", "5", *args],
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
    )


def test_udp_uplinks_land_in_device_inspector(lab: ThreadedEmulator, api: httpx.Client) -> None:
    for index in range(3):
        send_udp(lab, 1, f"reading {index}".encode())
    settle(lab)
    items = history(api, 1)
    assert [base64.b64decode(item["payload"]) for item in items] == [b"reading 2", b"reading 1", b"reading 0"]
    assert {item["protocol"] for item in items} == {"UDP"} and items[0]["deviceId"] == iccid(1)
    state = api.get(f"/v1/inspect/devices/{iccid(1)}/telemetry").json()
    assert state["state"]["UDP"]["message"] == base64.b64encode(b"reading 2").decode()
    page = api.get(f"/v1/inspect/devices/{iccid(1)}/history", params={"pageSize": 2}).json()
    assert len(page["items"]) == 2 and page["nextToken"]
    rest = api.get(
        f"/v1/inspect/devices/{iccid(1)}/history", params={"pageSize": 2, "nextToken": page["nextToken"]}
    )
    assert [base64.b64decode(i["payload"]) for i in rest.json()["items"]] == [b"reading 0"]
    assert "nextToken" not in rest.json()
    assert (
        api.get(f"/v1/inspect/devices/{iccid(1)}/history", params={"nextToken": "garbage!"}).status_code
        == 400
    )
    assert api.get("/v1/inspect/devices/8988280666099999999/history").status_code == 404
    devices = api.get("/v1/inspect/devices", params={"pageSize": 5}).json()
    assert devices["pageAmount"] == 3 and devices["items"][0]["iccid"] == iccid(1)


def test_udp_from_unknown_offline_or_oversize_is_dropped(lab: ThreadedEmulator, api: httpx.Client) -> None:
    stats_before = dict(lab.services.pipeline.stats)
    send_udp(lab, N, b"offline sim")  # enabled SIM without a PDP context
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.62.3.200", 0))  # no SIM has 10.62.3.200
        sock.sendto(b"stranger", ("127.0.0.1", udp_port(lab)))
    send_udp(lab, 2, b"x" * 509)
    send_udp(lab, 2, b"y" * 508)
    settle(lab)
    stats = lab.services.pipeline.stats
    assert stats["udp_unknown_source"] - stats_before.get("udp_unknown_source", 0) == 2
    assert stats["udp_oversize"] - stats_before.get("udp_oversize", 0) == 1
    assert history(api, N) == []
    assert [len(base64.b64decode(i["payload"])) for i in history(api, 2)] == [508]
    logs = api.get("/v1/administrationLogs", params={"q": f"iccid:{iccid(2)},category:error"}).json()["items"]
    assert logs and logs[0]["message"] == "DeviceIntegrator[UDPPayloadTooLarge]"


@pytest.mark.skipif(COAP_CLIENT is None, reason="coap-client (libcoap3-bin) not installed")
def test_coap_uplinks_and_their_errors(lab: ThreadedEmulator, api: httpx.Client) -> None:
    ok = coap(lab, 3, "-m", "post", "-e", "temp=21", f"{lab.endpoints['coap']}/?t=sensors/room_1")
    assert ok.returncode == 0 and "4." not in ok.stdout + ok.stderr
    settle(lab)
    [item] = history(api, 3)
    assert item["protocol"] == "COAP" and item["topic"] == "sensors/room_1"
    assert base64.b64decode(item["payload"]) == b"temp=21"
    bad_topic = coap(lab, 3, "-m", "post", "-e", "x", f"{lab.endpoints['coap']}/?t=a//b")
    assert "4.00" in bad_topic.stdout + bad_topic.stderr
    unknown = coap(lab, N, "-m", "post", "-e", "x", f"{lab.endpoints['coap']}/")
    assert "4.01" in unknown.stdout + unknown.stderr
    big = coap(lab, 3, "-m", "post", "-e", "z" * 1025, f"{lab.endpoints['coap']}/")
    assert "4.13" in big.stdout + big.stderr
    settle(lab)
    assert len(history(api, 3)) == 1


def test_duplicate_confirmable_coap_is_not_processed_twice(lab: ThreadedEmulator, api: httpx.Client) -> None:
    port = int(lab.endpoints["coap"].rsplit(":", 1)[1])
    query = b"t=dup"
    message = bytes([0x40, 0x02, 0x2B, 0x67, 0xD0 | len(query), 15 - 13]) + query + b"\xffonce"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source(4), 0))
        sock.settimeout(3)
        answers = []
        for _ in range(2):
            sock.sendto(message, ("127.0.0.1", port))
            answers.append(sock.recv(64))
    assert answers[0] == answers[1] == bytes([0x60, 0x44, 0x2B, 0x67])  # ACK 2.04, same MID
    settle(lab)
    assert [base64.b64decode(i["payload"]) for i in history(api, 4)] == [b"once"]


@pytest.mark.skipif(COAP_CLIENT is None, reason="coap-client (libcoap3-bin) not installed")
def test_bootstrap_identity_psk_rotation_and_api_keys(lab: ThreadedEmulator, api: httpx.Client) -> None:
    first = coap(lab, 5, "-m", "get", f"{lab.endpoints['bootstrap']}")
    identity, psk, url = first.stdout.strip().split(",")
    assert identity == iccid(5) and len(psk) == 32 and url.startswith("coaps://")
    again = coap(lab, 5, "-m", "get", f"{lab.endpoints['bootstrap']}")
    assert again.stdout.strip().split(",")[1] == psk  # within 5 minutes: same key
    lab.call(lambda: lab.services.clock.advance(301))
    rotated = coap(lab, 5, "-m", "get", f"{lab.endpoints['bootstrap']}").stdout.strip().split(",")[1]
    assert rotated != psk
    stored = api.get(f"/v1/integrate/devices/{iccid(5)}/psk/COAP").json()
    assert stored["secretKey"] == rotated and stored["identity"] == iccid(5)
    assert (
        api.post(
            f"/v1/integrate/devices/{iccid(5)}/presharedkey",
            json={"secretKey": "KeyPass123", "protocol": "COAP"},
        ).status_code
        == 200
    )
    lab.call(lambda: lab.services.clock.advance(301))
    pinned = coap(lab, 5, "-m", "get", f"{lab.endpoints['bootstrap']}").stdout.strip().split(",")[1]
    assert pinned == "KeyPass123"  # set through the API: never rotated
    assert (
        api.post(
            f"/v1/integrate/devices/{iccid(5)}/presharedkey", json={"secretKey": "short", "protocol": "COAP"}
        ).status_code
        == 400
    )
    assert (
        api.post(
            f"/v1/integrate/devices/{iccid(5)}/presharedkey",
            json={"secretKey": "nothexnothex", "protocol": "COAP", "format": "HEX"},
        ).status_code
        == 400
    )
    assert api.get(f"/v1/integrate/devices/{iccid(6)}/psk/COAP").status_code == 404
    denied = coap(lab, N, "-m", "get", f"{lab.endpoints['bootstrap']}")
    assert "4.01" in denied.stdout + denied.stderr


def test_webhook_receives_lifecycle_and_telemetry_envelopes(lab: ThreadedEmulator, api: httpx.Client) -> None:
    receiver = Receiver()
    try:
        created = api.post(
            "/v1/integrate/clouds/webhooks",
            json={
                "name": "lab receiver",
                "url": receiver.url + "/hook/:iccid:",
                "headers": {"X-Device": ":imsi:"},
                "eventTypes": [{"type": "TELEMETRY_DATA"}, {"type": "LIFECYCLE"}],
            },
        )
        assert created.status_code == 201 and created.json()["state"] == "ROLLOUT_DONE"
        assert (
            api.post(
                "/v1/integrate/clouds/webhooks",
                json={
                    "name": "dup",
                    "url": receiver.url + "/hook/:iccid:",
                    "headers": {},
                    "eventTypes": [{"type": "LIFECYCLE"}],
                },
            ).status_code
            == 409
        )
        assert (
            api.post(
                "/v1/integrate/clouds/webhooks",
                json={
                    "name": "plain",
                    "url": "http://example.com/x",
                    "headers": {},
                    "eventTypes": [{"type": "LIFECYCLE"}],
                },
            ).status_code
            == 400
        )
        send_udp(lab, 7, b"\x01\x02")
        seen = receiver.wait_for(lambda r: len(r) >= 2)
        by_type = {body["type"]: (path, headers, body) for _method, path, headers, body in seen}
        path, headers, telemetry = by_type["TELEMETRY_DATA"]
        assert path == f"/hook/{iccid(7)}" and headers["X-Device"] == "901405100000007"
        assert telemetry["version"] == "1.0.0" and telemetry["source"] == "UDP"
        assert telemetry["device"] == {"iccid": iccid(7), "imsi": "901405100000007", "ip": "10.62.3.7"}
        assert telemetry["payload"] == {"type": "STRING", "value": "AQI=", "encoding": "base64"}
        assert telemetry["received"].isdigit() and telemetry["id"].startswith("1-")
        assert by_type["LIFECYCLE"][2]["lifecycle"]["type"] == "DEVICE_FIRST_TIME_REGISTERED"
        integration_id = created.json()["id"]
        deadline = time.monotonic() + 5
        while api.get(f"/v1/integrate/clouds/{integration_id}").json()["state"] != "INTEGRATION_ACTIVE":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert (
            api.post(f"/v1/integrate/clouds/webhooks/{integration_id}/test").json()["testStatus"] == "SUCCESS"
        )
        assert any(body["type"] == "TEST_MESSAGE" for *_, body in receiver.requests)
        assert api.delete(f"/v1/integrate/clouds/{integration_id}").status_code == 204
    finally:
        receiver.close()


def test_failing_webhook_is_retried_five_times_then_integration_failed(
    lab: ThreadedEmulator, api: httpx.Client
) -> None:
    receiver = Receiver()
    receiver.status = 500
    try:
        created = api.post(
            "/v1/integrate/clouds/webhooks",
            json={
                "name": "broken",
                "url": receiver.url + "/down",
                "headers": {},
                "eventTypes": [{"type": "TELEMETRY_DATA"}],
            },
        ).json()
        started = time.monotonic()
        send_udp(lab, 8, b"lost")
        receiver.wait_for(lambda r: len(r) >= 5)
        deadline = time.monotonic() + 10
        while api.get(f"/v1/integrate/clouds/{created['id']}").json()["state"] != "INTEGRATION_FAILED":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        assert len(receiver.requests) == 5
        assert elapsed >= (150 + 180 + 420 + 1020) * 0.001  # the scaled 1NCE schedule was waited out
        logs = api.get("/v1/administrationLogs", params={"q": "type:INTEGRATION"}).json()["items"]
        assert any(log["message"] == "CloudIntegrator[IntegrationDisabled]" for log in logs)
        send_udp(lab, 8, b"not sent")
        time.sleep(0.3)
        assert len(receiver.requests) == 5  # a failed integration delivers nothing until restarted
        restarted = api.post(f"/v1/integrate/clouds/webhooks/{created['id']}/restart").json()
        assert (
            restarted["restartStatus"] == "SUCCESS"
            and restarted["integration"]["state"] == "INTEGRATION_ACTIVE"
        )
        api.delete(f"/v1/integrate/clouds/{created['id']}")
    finally:
        receiver.close()


def test_udp_and_coap_downlinks_reach_the_device(lab: ThreadedEmulator, api: httpx.Client) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as device:
        device.bind((source(9), 0))
        device.settimeout(5)
        port = device.getsockname()[1]
        accepted = api.post(
            f"/v1/integrate/devices/{iccid(9)}/actions/UDP",
            json={"payload": "enable_sensor", "payloadType": "STRING", "port": port},
        )
        assert accepted.status_code == 202
        assert device.recv(600) == b"enable_sensor"
        request_id = accepted.json()["id"]
        wait_status(api, request_id, "SUCCEEDED")
        later = api.post(
            f"/v1/integrate/devices/{iccid(9)}/actions/UDP",
            json={
                "payload": base64.b64encode(b"\x00\xff").decode(),
                "payloadType": "BASE64",
                "port": port,
                "requestMode": "SEND_WHEN_ACTIVE",
            },
        ).json()["id"]
        active = api.get(
            "/v1/integrate/devices/actions/requests/active", params={"deviceId": iccid(9)}
        ).json()
        assert [item["id"] for item in active["items"]] == [later]
        send_udp(lab, 9, b"i am awake")
        assert device.recv(600) == b"\x00\xff"
        wait_status(api, later, "SUCCEEDED")
        too_big = api.post(
            f"/v1/integrate/devices/{iccid(9)}/actions/UDP",
            json={"payload": "x" * 509, "payloadType": "STRING", "port": port},
        )
        assert too_big.status_code == 400
        offline = api.post(
            f"/v1/integrate/devices/{iccid(N)}/actions/UDP",
            json={"payload": "x", "payloadType": "STRING", "port": port},
        ).json()
        assert (
            wait_status(api, offline["id"], "FAILED")["resultData"]["errorMessage"]
            == "device has no active PDP context"
        )
    coap_result = asyncio.run(_coap_downlink(api))
    assert coap_result["status"] == "SUCCEEDED"
    assert coap_result["resultData"] == {"code": "204", "payload": "done", "payloadType": "TEXT"}


async def _coap_downlink(api: httpx.Client) -> dict[str, Any]:
    import aiocoap
    from aiocoap import resource

    received: list[tuple[str, bytes]] = []

    class Led(resource.Resource):  # type: ignore[misc]
        async def render_put(self, request: aiocoap.Message) -> aiocoap.Message:
            received.append(("PUT", request.payload))
            return aiocoap.Message(code=aiocoap.CHANGED, payload=b"done")

    site = resource.Site()
    site.add_resource(["led"], Led())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((source(10), 0))
        port = probe.getsockname()[1]
    context = await aiocoap.Context.create_server_context(site, bind=(source(10), port), transports=["udp6"])
    try:
        accepted = await asyncio.to_thread(
            api.post,
            f"/v1/integrate/devices/{iccid(10)}/actions/COAP",
            json={"payload": "on", "port": port, "path": "/led", "requestType": "PUT"},
        )
        assert accepted.status_code == 202
        result = await asyncio.to_thread(wait_status, api, accepted.json()["id"], "SUCCEEDED")
        assert received == [("PUT", b"on")]
        return result
    finally:
        await context.shutdown()


def wait_status(api: httpx.Client, request_id: str, status: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        record: dict[str, Any] = api.get(f"/v1/integrate/devices/actions/requests/{request_id}").json()
        if record["status"] == status:
            return record
        assert time.monotonic() < deadline, record
        time.sleep(0.02)


def test_action_requests_are_listed_and_cancelled(lab: ThreadedEmulator, api: httpx.Client) -> None:
    ids = [
        api.post(
            f"/v1/integrate/devices/{iccid(11)}/actions/UDP",
            json={
                "payload": f"m{i}",
                "payloadType": "STRING",
                "port": 3000,
                "requestMode": "SEND_WHEN_ACTIVE",
            },
        ).json()["id"]
        for i in range(10)
    ]
    eleventh = api.post(
        f"/v1/integrate/devices/{iccid(11)}/actions/UDP",
        json={"payload": "m", "payloadType": "STRING", "port": 3000, "requestMode": "SEND_WHEN_ACTIVE"},
    )
    assert eleventh.status_code == 409
    assert api.delete(f"/v1/integrate/devices/actions/requests/{ids[0]}").json() == {
        "id": ids[0],
        "status": "CANCELLED",
    }
    assert api.delete(f"/v1/integrate/devices/actions/requests/{ids[0]}").status_code == 404
    cancelled = api.delete(f"/v1/integrate/devices/{iccid(11)}/actions/requests").json()
    assert sorted(item["id"] for item in cancelled) == sorted(ids[1:])
    archived = api.get(
        "/v1/integrate/devices/actions/requests/archived", params={"deviceId": iccid(11), "pageSize": 100}
    ).json()
    assert len(archived["items"]) == 10 and {i["status"] for i in archived["items"]} == {"CANCELLED"}
    assert api.get("/v1/integrate/devices/actions/requests", params={"sort": "name"}).status_code == 400
    bad = api.post(
        f"/v1/integrate/devices/{iccid(11)}/actions/COAP",
        json={"port": 1, "path": "/x", "requestType": "YELL"},
    )
    assert bad.status_code == 400 and bad.json()["statusText"] == "Bad Request"


def test_endpoints_event_types_and_agreements(lab: ThreadedEmulator, api: httpx.Client) -> None:
    items = api.get("/v1/integrate/devices/endpoints").json()["items"]
    assert {item["protocol"]: item["port"] for item in items} == {
        "UDP": udp_port(lab),
        "COAP": int(lab.endpoints["coap"].rsplit(":", 1)[1]),
    }
    assert api.get("/v1/integrate/devices/endpoints/COAP").json()["protocol"] == "COAP"
    names = {item["name"] for item in api.get("/v1/integrate/clouds/eventTypes").json()["eventTypes"]}
    assert {"TELEMETRY_DATA", "LIFECYCLE"} <= names
    assert api.post("/v1/agreements/1nceos", json={"accepted": False}).status_code == 400
    assert api.post("/v1/agreements/1nceos", json={"accepted": True}).status_code == 201


def test_data_streamer_posts_event_records_in_bulk(lab: ThreadedEmulator, api: httpx.Client) -> None:
    receiver = Receiver()
    try:
        assert (
            api.put(
                lab.endpoints["emulator"] + "/data-streamer", json={"url": receiver.url + "/events"}
            ).status_code
            == 204
        )
        sim = iccid(N)
        api.put(f"/v1/sims/{sim}", json={"iccid": sim, "status": "Disabled"})
        api.put(f"/v1/sims/{sim}", json={"iccid": sim, "status": "Enabled"})
        batches = receiver.wait_for(lambda r: sum(len(body) for *_, body in r) >= 2)
        records = [record for *_, body in batches for record in body]
        assert all(isinstance(body, list) for *_, body in batches)
        assert [r["event_type"]["description"] for r in records] == ["SIM suspension", "SIM activation"]
        assert records[0]["sim"]["iccid"] == sim and records[0]["event_source"]["description"] == "API"
        assert records[0]["organisation"] == {"id": 7100001, "name": "OS test org"}
        assert (
            api.put(
                lab.endpoints["emulator"] + "/data-streamer", json={"url": "http://example.com"}
            ).status_code
            == 400
        )
    finally:
        api.put(lab.endpoints["emulator"] + "/data-streamer", json={"url": None})
        receiver.close()


@contextlib.contextmanager
def own_emulator(advance_s: float = 0) -> Iterator[tuple[ThreadedEmulator, httpx.Client]]:
    """An emulator of its own with SIM 1 online, its clock `advance_s` on, and an API client
    signed in after that, for tests that move the clock or damage the database (the module's
    `lab` must not see either)."""
    with ThreadedEmulator(parse_yaml_inventory(INVENTORY), EmulatorConfig(time_scale=0.001)) as emulator:
        modem = emulator.call_async(NetlinkClient.connect(emulator.endpoints["netlink"]))
        emulator.call_async(modem.bring_online(iccid(1), "901405100000001"))
        emulator.call(lambda: emulator.services.clock.advance(advance_s))
        with httpx.Client(base_url=emulator.endpoints["api"]) as client:
            sign_in(client, "7100001_api", "os-test-secret")
            yield emulator, client


def test_uplinks_are_stamped_with_the_emulator_clock_that_tests_advance() -> None:
    """Moved 8 days on (past the Inspector's 7-day retention of wall-clock stamps), an uplink is
    still listed, with the emulator's time: history, retention and the sender share one clock."""
    with own_emulator(advance_s=8 * 24 * 3600) as (emulator, client):
        send_udp(emulator, 1, b"after a week")
        settle(emulator)
        items = history(client, 1)
    assert [base64.b64decode(item["payload"]) for item in items] == [b"after a week"]
    stamped = datetime.fromisoformat(items[0]["time"].replace("Z", "+00:00")).timestamp()
    assert abs(stamped - (time.time() + 8 * 24 * 3600)) < 60


def test_udp_integrator_survives_a_failed_lookup() -> None:
    """A datagram whose SIM lookup fails (here: the settings table is gone) is counted as an
    error; the integrator keeps running and takes the next datagram once the store is back."""
    with own_emulator() as (emulator, client):
        store = emulator.services.store
        stats = emulator.services.pipeline.stats
        store.db.execute("ALTER TABLE settings RENAME TO settings_away")
        send_udp(emulator, 1, b"lost")
        assert wait_until(lambda: stats["udp_errors"] == 1, timeout=5)
        store.db.execute("ALTER TABLE settings_away RENAME TO settings")
        send_udp(emulator, 1, b"kept")
        settle(emulator)
        assert wait_until(lambda: [base64.b64decode(i["payload"]) for i in history(client, 1)] == [b"kept"])
