"""The emulated Management API over real HTTP: OAuth, SIMs, SMS, limits, errors, rate limit.
Every response is checked against the 1NCE specs by the contract hook as it arrives."""

from __future__ import annotations

import asyncio
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

INVENTORY = """
organisation: {id: "7000001", name: "API test org", ip_range: "10.61.2.0/24"}
api_users: [{client_id: "7000001_api", client_secret: "s3cret-for-tests"}]
sims:
""" + "".join(
    f'  - {{iccid: "89882806660000{n:05d}", imsi: "9014051000{n:05d}", msisdn: "88228510{n:07d}", '
    f'imei: "35000000000{n:04d}", label: "rig-{n}"}}\n'
    for n in range(1, 24)
)
FIRST = "8988280666000000001"
SECOND = "8988280666000000002"

SPECS = find_specs_dir()
pytestmark = pytest.mark.skipif(SPECS is None, reason="1NCE specs not found (set NCE_SPECS_DIR)")


@pytest.fixture(scope="module")
def recorder() -> ContractRecorder:
    assert SPECS is not None
    return ContractRecorder(ContractValidator(SPECS))


@pytest.fixture(scope="module")
def lab() -> Iterator[ThreadedEmulator]:
    config = EmulatorConfig(sims_rate_limit=0, time_scale=0.001, token_ttl=600)
    with ThreadedEmulator(parse_yaml_inventory(INVENTORY), config) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def api(lab: ThreadedEmulator, recorder: ContractRecorder) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=lab.endpoints["api"], event_hooks={"response": [recorder.hook]}) as client:
        sign_in(client, "7000001_api", "s3cret-for-tests")
        yield client


def test_oauth_token_and_its_errors(lab: ThreadedEmulator, recorder: ContractRecorder) -> None:
    with httpx.Client(base_url=lab.endpoints["api"], event_hooks={"response": [recorder.hook]}) as client:
        ok = client.post(
            "/oauth/token",
            json={"grant_type": "client_credentials"},
            auth=("7000001_api", "s3cret-for-tests"),
        )
        assert ok.status_code == 200
        body = ok.json()
        assert body["token_type"] == "bearer" and body["expires_in"] == 600 and body["status_code"] == 200
        cases: list[tuple[dict[str, Any], str, str]] = [
            (
                {"json": {"grant_type": "client_credentials"}},
                "AuthValidationError",
                "Missing attributes 'username'",
            ),
            (
                {"json": {"grant_type": "client_credentials"}, "auth": ("7000001_api", "")},
                "AuthValidationError",
                "Missing attributes 'password'",
            ),
            (
                {"json": {}, "auth": ("7000001_api", "x")},
                "BodyValidationError",
                "Missing attributes 'grant_type'",
            ),
            (
                {"content": b"{oops", "headers": {"content-type": "application/json"}, "auth": ("a", "b")},
                "BodyValidationError",
                "not valid JSON",
            ),
            (
                {"content": b"grant", "headers": {"content-type": "text/plain"}, "auth": ("a", "b")},
                "UnsupportedContentTypeError",
                "Content-Type not supported",
            ),
            (
                {"json": {"grant_type": "client_credentials"}, "auth": ("nobody", "x")},
                "BadCredentials",
                "User does not exist.",
            ),
            (
                {"json": {"grant_type": "client_credentials"}, "auth": ("7000001_api", "wrong-secret")},
                "BadCredentials",
                "Incorrect username or password.",
            ),
        ]
        for kwargs, code, text in cases:
            response = client.post("/oauth/token", **kwargs)
            assert response.status_code == 400, kwargs
            assert response.json()["errorCode"] == code and text in response.json()["message"]
            assert "s3cret" not in response.text


def test_expired_and_missing_tokens_are_401(lab: ThreadedEmulator, recorder: ContractRecorder) -> None:
    with httpx.Client(base_url=lab.endpoints["api"], event_hooks={"response": [recorder.hook]}) as client:
        assert client.get(f"/v1/sims/{FIRST}").status_code == 401
        assert client.get("/v1/inspect/devices").json()["statusText"] == "Unauthorized"
        token = client.post(
            "/oauth/token",
            json={"grant_type": "client_credentials"},
            auth=("7000001_api", "s3cret-for-tests"),
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get(f"/v1/sims/{FIRST}", headers=headers).status_code == 200
        lab.call(lambda: lab.services.clock.advance(601))
        expired = client.get(f"/v1/sims/{FIRST}", headers=headers)
        assert expired.status_code == 401 and expired.json()["message"] == "The incoming token has expired"
        assert (
            client.get("/v1/inspect/devices", headers={"Authorization": "Bearer forged"}).status_code == 401
        )


def test_sim_list_paging_filter_and_sort(api: httpx.Client) -> None:
    first = api.get("/v1/sims", params={"page": 1, "pageSize": 10})
    assert first.headers["X-Total-Count"] == "23" and first.headers["X-Total-Pages"] == "3"
    assert first.headers["X-Current-Page"] == "1" and first.headers["X-Count-Per-Page"] == "10"
    seen = [sim["iccid"] for page in (1, 2, 3) for sim in api.get("/v1/sims", params={"page": page}).json()]
    assert len(seen) == 23 == len(set(seen))
    last = api.get("/v1/sims", params={"page": 3}).json()
    assert len(last) == 3
    by_ip_desc = api.get("/v1/sims", params={"sort": "-ip_address", "pageSize": 3}).json()
    assert [sim["ip_address"] for sim in by_ip_desc] == ["10.61.2.23", "10.61.2.22", "10.61.2.21"]
    filtered = api.get("/v1/sims", params={"q": "ip_address:10.61.2.7"}).json()
    assert [sim["iccid"] for sim in filtered] == ["8988280666000000007"]
    assert api.get("/v1/sims", params={"q": "imei:350000000000005"}).json()[0]["label"] == "rig-5"
    sim = api.get(f"/v1/sims/{FIRST}").json()
    assert sim["iccid_with_luhn"].startswith(FIRST) and len(sim["iccid_with_luhn"]) == 20
    assert sim["current_quota"] == 500 and sim["current_quota_SMS"] == 250 and sim["quota_status"]["id"] == 0
    for bad in (
        {"pageSize": 101},
        {"page": 0},
        {"sort": "label"},
        {"q": "msisdn:1"},
        {"q": "ip_address:nope"},
    ):
        response = api.get("/v1/sims", params=bad)
        assert response.status_code == 400, bad
        assert response.json()["statusCode"] == 400


def test_unknown_iccid_and_bad_bodies_change_nothing(api: httpx.Client, lab: ThreadedEmulator) -> None:
    for path in ("", "/status", "/usage", "/quota/data", "/sms", "/events", "/connectivity_info"):
        missing = api.get(f"/v1/sims/8988280666099999999{path}")
        assert missing.status_code == 404 and missing.json()["errorCode"] == "SimNotFound"
    before = api.get(f"/v1/sims/{SECOND}").json()
    batch = [{"iccid": SECOND, "status": "Disabled"}, {"iccid": "8988280666099999999", "status": "Disabled"}]
    assert api.post("/v1/sims", json=batch).status_code == 404
    assert api.get(f"/v1/sims/{SECOND}").json() == before  # nothing applied half-way
    malformed = api.put(
        f"/v1/sims/{SECOND}", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400 and malformed.json()["errorCode"] == "BodyValidationError"
    assert api.put(f"/v1/sims/{SECOND}", json={"iccid": SECOND}).status_code == 400  # status missing
    assert api.put(f"/v1/sims/{SECOND}", json={"iccid": FIRST, "status": "Enabled"}).status_code == 400
    huge = api.post(f"/v1/sims/{SECOND}/sms", json={"payload": "x" * 70_000})
    assert huge.status_code == 413
    assert api.get(f"/v1/sims/{SECOND}/sms").json() == []
    assert api.get(f"/v1/sims/{SECOND}").json() == before


def test_put_disables_and_labels_and_emits_events(api: httpx.Client) -> None:
    iccid = "8988280666000000003"
    assert (
        api.put(
            f"/v1/sims/{iccid}", json={"iccid": iccid, "status": "Disabled", "label": "parked"}
        ).status_code
        == 200
    )
    sim = api.get(f"/v1/sims/{iccid}").json()
    assert sim["status"] == "Disabled" and sim["label"] == "parked"
    assert (
        api.put(
            f"/v1/sims/{iccid}", json={"iccid": iccid, "status": "Enabled", "imei_lock": True}
        ).status_code
        == 200
    )
    events = api.get(f"/v1/sims/{iccid}/events", params={"sort": "timestamp"})
    assert [e["event_type"] for e in events.json()["events"]] == ["SIM suspension", "SIM activation"]
    assert events.headers["X-Total-Count"] == "2"
    assert api.get(f"/v1/sims/{iccid}").json()["imei_lock"] is True


def test_session_status_usage_quota_and_reset_follow_the_network(
    api: httpx.Client, lab: ThreadedEmulator
) -> None:
    iccid, imsi = "8988280666000000004", "901405100000004"

    async def modem_session() -> list[dict[str, Any]]:
        modem = await NetlinkClient.connect(lab.endpoints["netlink"])
        await modem.bring_online(iccid, imsi, imei="350000000000004", rat="NB-IoT")
        await modem.call("usage", iccid=iccid, tx_bytes=128, rx_bytes=78)
        online = await asyncio.to_thread(lambda: api.get(f"/v1/sims/{iccid}/status").json())
        reset = await asyncio.to_thread(lambda: api.post(f"/v1/sims/{iccid}/reset"))
        assert reset.status_code == 201
        push = await modem.next_push()
        await modem.close()
        return [online, push]

    online, push = asyncio.run(modem_session())
    assert online["status"] == "ONLINE" and online["pdp_context"]["ue_ip_address"] == "10.61.2.4"
    assert online["pdp_context"]["rat_type"]["description"] == "NB-IoT" and online["services"] == ["GPRS"]
    assert push == {"push": "detach", "reason": "connectivity reset"}
    assert api.get(f"/v1/sims/{iccid}/status").json()["status"] == "OFFLINE"
    usage = api.get(f"/v1/sims/{iccid}/usage").json()["stats"]
    assert len(usage) == 1
    assert usage[0]["data"]["volume"] == "0.000206" and usage[0]["data"]["volume_tx"] == "0.000128"
    quota = api.get(f"/v1/sims/{iccid}/quota/data").json()
    assert quota["volume"] == pytest.approx(500 - 0.000206) and quota["total_volume"] == 500
    assert api.get(f"/v1/sims/{iccid}/quota/sms").json()["volume"] == 250
    names = [
        e["event_type"]
        for e in api.get(f"/v1/sims/{iccid}/events", params={"sort": "timestamp"}).json()["events"]
    ]
    assert names == ["Update location", "Create PDP Context", "Delete PDP Context", "Purge location"]
    assert api.get(f"/v1/sims/{iccid}/usage", params={"start_dt": "2020-01-01"}).status_code == 400
    assert api.get(f"/v1/sims/{iccid}/usage", params={"start_dt": "yesterday"}).status_code == 400
    info = api.get(f"/v1/sims/{iccid}/connectivity_info", params={"ussd": "true"}).json()
    assert (
        info["subscriber_info"]["current_location_retrieved"] is False
        and info["ussd_info"]["success"] is False
    )


def test_sms_submit_list_detail_and_cancel(api: httpx.Client) -> None:
    iccid = "8988280666000000005"
    created = api.post(
        f"/v1/sims/{iccid}/sms",
        json={"payload": "reboot", "source_address": "+4930123", "source_address_type": {"id": 145}},
    )
    assert created.status_code == 201
    sms_id = int(created.headers["Location"].rsplit("/", 1)[1])
    detail = api.get(f"/v1/sims/{iccid}/sms/{sms_id}").json()
    assert detail["status"]["description"] == "BUFFERED"  # the SIM is not attached
    assert detail["sms_type"]["description"] == "MT" and detail["payload"] == "reboot"
    assert [s["id"] for s in api.get(f"/v1/sims/{iccid}/sms").json()] == [sms_id]
    assert api.delete(f"/v1/sims/{iccid}/sms/{sms_id}").status_code == 200
    assert api.get(f"/v1/sims/{iccid}/sms/{sms_id}").json()["status"]["description"] == "CANCELED"
    assert api.delete(f"/v1/sims/{iccid}/sms/{sms_id}").status_code == 400
    assert api.get(f"/v1/sims/{iccid}/sms/99999").status_code == 404
    assert api.post(f"/v1/sims/{iccid}/sms", json={"payload": "x", "dcs": 3}).status_code == 400
    assert api.post(f"/v1/sims/{iccid}/sms", json={"payload": "zz", "dcs": 4}).status_code == 400
    assert api.post(f"/v1/sims/{iccid}/sms", json={"source_address": "1"}).status_code == 400
    assert len(api.get(f"/v1/sims/{iccid}/sms").json()) == 1


def test_monthly_limits(api: httpx.Client) -> None:
    assert api.get("/v1/sims/limits").json() == {}
    assert api.post("/v1/sims/limits", json={"dataLimitId": 2, "smsMtLimitId": 1}).status_code == 201
    limits = api.get("/v1/sims/limits").json()
    assert limits["data"] == {"id": 2, "limit": "5", "unit": "MB"} and limits["smsMt"]["limit"] == "1"
    assert api.post("/v1/sims/limits", json={"dataLimitId": 99}).status_code == 400
    iccid = "8988280666000000006"
    assert api.post(f"/v1/sims/{iccid}/sms", json={"payload": "one"}).status_code == 201
    assert api.post("/v1/sims/limits", json={"smsMtLimitId": 7}).status_code == 201


def test_rate_limit_answers_429_with_retry_after(recorder: ContractRecorder) -> None:
    config = EmulatorConfig(sims_rate_limit=10)
    with (
        ThreadedEmulator(parse_yaml_inventory(INVENTORY), config) as emulator,
        httpx.Client(base_url=emulator.endpoints["api"], event_hooks={"response": [recorder.hook]}) as client,
    ):
        sign_in(client, "7000001_api", "s3cret-for-tests")
        statuses = [client.get(f"/v1/sims/{FIRST}").status_code for _ in range(25)]
        assert statuses[:10] == [200] * 10 and 429 in statuses
        limited = next(r for r in (client.get("/v1/sims") for _ in range(5)) if r.status_code == 429)
        assert int(limited.headers["Retry-After"]) >= 1 and limited.json()["errorCode"] == "TooManyRequests"
        assert client.get("/v1/inspect/devices").status_code == 200  # the limit is on /sims only


def test_every_response_was_checked(recorder: ContractRecorder) -> None:
    statuses = {(method, template, status) for method, template, status in recorder.checked}
    assert ("GET", "/v1/sims/{iccid}", 200) in statuses and ("POST", "/oauth/token", 400) in statuses
    assert len(recorder.checked) > 100
