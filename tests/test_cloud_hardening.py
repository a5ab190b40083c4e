"""Regression tests for what third-party tools (schemathesis, a generated client) found in the
emulated API: unbounded pages, the bulk SIM operations, selectable limits, orders and products,
authentication before routing, Allow and WWW-Authenticate, JSON null in optional fields.
Every response is checked against the 1NCE specs by the contract hook as it arrives."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from hil.virtual.cloud.config import EmulatorConfig
from hil.virtual.cloud.contract import ContractValidator, find_operation
from hil.virtual.cloud.server import ThreadedEmulator
from hil.virtual.cloud.testing import ContractRecorder, find_specs_dir
from hil.virtual.network.inventory import parse_yaml_inventory
from hil.virtual.network.limits import MonthlyLimits, save_limits
from tests.support.cloud_api import sign_in

INVENTORY = """
organisation: {id: "7000002", name: "Hardening org", ip_range: "10.61.3.0/24"}
api_users: [{client_id: "7000002_api", client_secret: "s3cret-for-hardening"}]
sims:
""" + "".join(
    f'  - {{iccid: "89882806660000{n:05d}", imsi: "9014051000{n:05d}", msisdn: "88228510{n:07d}"}}\n'
    for n in range(1, 9)
)
SIM = [f"89882806660000{n:05d}" for n in range(1, 9)]
HUGE_PAGES = ("922337203685477582", str(2**63), str(10**30))

SPECS = find_specs_dir()
pytestmark = pytest.mark.skipif(SPECS is None, reason="1NCE specs not found (set NCE_SPECS_DIR)")


@pytest.fixture(scope="module")
def recorder() -> ContractRecorder:
    assert SPECS is not None
    return ContractRecorder(ContractValidator(SPECS))


@pytest.fixture(scope="module")
def lab() -> Iterator[ThreadedEmulator]:
    config = EmulatorConfig(sims_rate_limit=0, time_scale=0.001)
    with ThreadedEmulator(parse_yaml_inventory(INVENTORY), config) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def anonymous(lab: ThreadedEmulator, recorder: ContractRecorder) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=lab.endpoints["api"], event_hooks={"response": [recorder.hook]}) as client:
        yield client


@pytest.fixture(scope="module")
def api(lab: ThreadedEmulator, recorder: ContractRecorder) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=lab.endpoints["api"], event_hooks={"response": [recorder.hook]}) as client:
        sign_in(client, "7000002_api", "s3cret-for-hardening")
        yield client


@pytest.mark.parametrize("page", HUGE_PAGES)
def test_pages_past_the_end_are_empty_however_large(api: httpx.Client, page: str) -> None:
    api.post(f"/v1/sims/{SIM[0]}/sms", json={"payload": "one message, so the list is not empty"})
    for path in ("/v1/sims", f"/v1/sims/{SIM[0]}/sms"):
        response = api.get(path, params={"page": page})
        assert response.status_code == 200, (path, response.text)
        assert response.json() == [] and response.headers["X-Current-Page"] == page
        assert int(response.headers["X-Total-Count"]) >= 1
    events = api.get(f"/v1/sims/{SIM[0]}/events", params={"page": page})
    assert events.status_code == 200 and events.json()["events"] == []
    orders = api.get("/v1/orders", params={"page": page})
    assert orders.status_code == 200 and orders.json() == []
    assert api.get(f"/v1/sims/{SIM[0]}/sms/{2**64}").status_code == 404


def test_protected_paths_answer_401_with_a_challenge_before_any_routing(
    lab: ThreadedEmulator, anonymous: httpx.Client
) -> None:
    # no 1NCE operation is at these two, so the contract hook could not judge them: a raw client
    with httpx.Client(base_url=lab.endpoints["api"]) as raw:
        wrong_method = raw.delete("/v1/sims/1")  # with a token: 405
        no_route = raw.get("/v1/no-such-thing")  # with a token: 404
    probes = [wrong_method, no_route]
    probes += [anonymous.post("/v1/sims/topup", json=[SIM[0]]), anonymous.get("/v1/orders")]
    probes += [anonymous.get("/v1/inspect/devices")]
    for response in probes:
        assert response.status_code == 401, (response.request.url, response.status_code)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="1NCE API"', response.request.url
    bad = anonymous.get("/v1/sims", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["WWW-Authenticate"]
    # the token endpoint itself stays public
    assert anonymous.post("/oauth/token", json={"grant_type": "client_credentials"}).status_code == 400


def test_405_names_every_method_of_the_path(lab: ThreadedEmulator, api: httpx.Client) -> None:
    # raw client: a 405 is no 1NCE operation, so the contract hook has nothing to check it against
    with httpx.Client(base_url=lab.endpoints["api"], headers=api.headers) as raw:
        sim = raw.delete(f"/v1/sims/{SIM[0]}")
        assert sim.status_code == 405 and sim.headers["Allow"] == "GET, PUT"
        assert sim.json()["errorCode"] == "MethodNotAllowed"
        templates = raw.put("/v1/optimize/templates/abc")
        assert templates.status_code == 405 and templates.headers["Allow"] == "DELETE, PATCH"
        assert raw.post("/v1/orders", json={}).headers["Allow"] == "GET"
        assert raw.get("/v1/no-such-thing").status_code == 404


def test_selectable_limits_per_service(lab: ThreadedEmulator, api: httpx.Client) -> None:
    data = api.get("/v1/sims/data/limits").json()
    assert data["data"] == {"id": 1, "limit": "1", "unit": "MB"}
    assert [o["limit"] for o in data["options"]] == ["1", "5", "10", "16", "50", "100", "250", "500"]
    for service, key in (("smsMT", "smsMt"), ("smsMO", "smsMo")):
        body = api.get(f"/v1/sims/{service}/limits").json()
        assert body[key]["unit"] == "SMS" and len(body["options"]) == 7
    assert api.post("/v1/sims/limits", json={"dataLimitId": data["options"][2]["id"]}).status_code == 201
    assert api.get("/v1/sims/limits").json()["data"]["limit"] == "10"
    lab.call(lambda: save_limits(lab.services.store, MonthlyLimits()))  # the API cannot unset one
    assert api.get("/v1/sims/voice/limits").status_code == 404


def _quota(api: httpx.Client, iccid: str) -> float:
    total: float = api.get(f"/v1/sims/{iccid}/quota/data").json()["total_volume"]
    return total


def test_single_and_bulk_top_ups_make_orders_that_can_be_read(api: httpx.Client) -> None:
    before = [_quota(api, iccid) for iccid in SIM[:3]]
    single = api.post(f"/v1/sims/{SIM[0]}/topup")
    bulk = api.post("/v1/sims/topup", params={"payment_method": "creditcard"}, json=[SIM[1], SIM[2]])
    assert single.status_code == bulk.status_code == 201
    assert [_quota(api, iccid) for iccid in SIM[:3]] == [q + 500 for q in before]
    order = api.get(bulk.headers["Location"]).json()
    assert order["order_type"] == "BULK_TOPUP" and order["order_status"] == "COMPLETED"
    assert [s["iccid"] for s in order["sims"]] == [SIM[1], SIM[2]]
    assert order["products"] == [{"product_id": 1002, "quantity": 2}]
    assert api.get(order["sims"][0]["_links"][0]["href"]).json()["iccid"] == SIM[1]
    single_order = api.get(single.headers["Location"]).json()
    assert single_order["order_type"] == "TOPUP" and single_order["order_number"] < order["order_number"]
    listed = api.get("/v1/orders", params={"sort": "-order_number"})
    numbers = [o["order_number"] for o in listed.json()]
    assert numbers == sorted(numbers, reverse=True) and order["order_number"] in numbers
    assert api.get("/v1/orders/1").status_code == 404
    products = api.get("/v1/products").json()
    assert {p["id"] for p in products} == {1001, 1002}
    # nothing changes when one ICCID is unknown, or the list is empty, or the payment method is bad
    quotas = [_quota(api, iccid) for iccid in SIM[:3]]
    assert api.post("/v1/sims/topup", json=[SIM[0], "8988280666099999999"]).status_code == 404
    assert api.post("/v1/sims/topup", json=[]).status_code == 400
    assert api.post("/v1/sims/topup", params={"payment_method": "gold"}, json=[SIM[0]]).status_code == 400
    assert [_quota(api, iccid) for iccid in SIM[:3]] == quotas


def test_auto_top_up_refills_a_used_up_quota(lab: ThreadedEmulator, api: httpx.Client) -> None:
    iccid = SIM[3]
    assert api.post("/v1/sims/autoTopup", json={"enabled": True, "iccids": [iccid]}).status_code == 201
    orders_before = int(api.get("/v1/orders").headers["X-Total-Count"])
    quota = _quota(api, iccid)
    blocked = lab.call(lambda: lab.services.core.usage(iccid, int(quota * 1_000_000), 0))
    assert blocked is False
    assert _quota(api, iccid) == quota + 500
    assert int(api.get("/v1/orders").headers["X-Total-Count"]) == orders_before + 1
    assert api.post("/v1/sims/autoTopup", json={"enabled": False, "iccids": [iccid]}).status_code == 201
    assert lab.call(lambda: lab.services.core.usage(iccid, 600_000_000, 0)) is True
    assert api.post("/v1/sims/autoTopup", json={"iccids": [iccid]}).status_code == 400


def test_extension_renews_the_quota(lab: ThreadedEmulator, api: httpx.Client) -> None:
    iccid = SIM[4]
    lab.call(lambda: lab.services.core.usage(iccid, 400_000_000, 0))
    assert api.get(f"/v1/sims/{iccid}/quota/data").json()["volume"] == pytest.approx(100)
    assert api.post("/v1/sims/extension", json={"iccids": [iccid], "productId": 1002}).status_code == 422
    assert api.post("/v1/sims/extension", json={"iccids": [iccid], "productId": 1001}).status_code == 201
    quota = api.get(f"/v1/sims/{iccid}/quota/data").json()
    assert quota["volume"] == pytest.approx(500) and quota["last_volume_added"] == 500


def test_transferred_sims_leave_the_organisation(api: httpx.Client) -> None:
    total = int(api.get("/v1/sims").headers["X-Total-Count"])
    own = api.post("/v1/sims/simTransfer", json={"target_organisation": 7000002, "iccids": [SIM[7]]})
    assert own.status_code == 400  # not to this organisation itself
    unknown = {"target_organisation": 2000000001, "iccids": [SIM[7], "8988280666099999999"]}
    assert api.post("/v1/sims/simTransfer", json=unknown).status_code == 404
    assert int(api.get("/v1/sims").headers["X-Total-Count"]) == total
    moved = api.post(
        "/v1/sims/simTransfer",
        json={"target_organisation": 2000000001, "iccid_ranges": [{"from": SIM[6], "to": SIM[7]}]},
    )
    assert moved.status_code == 201
    assert [api.get(f"/v1/sims/{iccid}").status_code for iccid in SIM[6:8]] == [404, 404]
    assert int(api.get("/v1/sims").headers["X-Total-Count"]) == total - 2


def test_null_is_refused_for_optional_fields_and_item_schemas_are_not_overtightened(
    api: httpx.Client,
) -> None:
    for body in ({"dataLimitId": None}, {"smsMtLimitId": None}):
        refused = api.post("/v1/sims/limits", json=body)
        assert refused.status_code == 400 and "must not be null" in refused.json()["message"], body
    sms = f"/v1/sims/{SIM[5]}/sms"
    for extra in ({"expiry_date": None}, {"source_address_type": None}, {"udh": None}):
        assert api.post(sms, json={"payload": "x", **extra}).status_code == 400, extra
    assert api.post(sms, json={"payload": "x", "dcs": "0"}).status_code == 400  # a string is no integer
    # Source_Address_Type: `id` is an optional number
    assert api.post(sms, json={"payload": "x", "source_address_type": {}}).status_code == 201
    assert api.post(sms, json={"payload": "x", "source_address_type": {"id": 145.0}}).status_code == 201
    assert api.post(sms, json={"payload": "x", "source_address_type": {"id": 146}}).status_code == 400
    coap = {"port": 5683, "path": "/x", "requestType": "GET", "payload": None}
    assert api.post(f"/v1/integrate/devices/{SIM[5]}/actions/COAP", json=coap).status_code == 400
    webhook = {
        "name": "hook",
        "url": "https://example.com/hook",
        "headers": {},
        "eventTypes": [{"type": "LIFECYCLE", "note": "the item schema allows more properties"}],
    }
    created = api.post("/v1/integrate/clouds/webhooks", json=webhook)
    assert created.status_code == 201, created.text
    assert api.post("/v1/integrate/clouds/webhooks", json={**webhook, "name": None}).status_code == 400


def test_template_patch_is_checked_against_its_own_status_codes(api: httpx.Client) -> None:
    operation = find_operation("PATCH", "/v1/optimize/templates/abc")
    assert operation is not None
    assert [s.name for s in operation.sources] == ["1nce-os/update-optimizer-template"]
    template = json.dumps({"sense": [{"asset": "t", "value": {"byte": 0, "bytelength": 1, "type": "uint"}}]})
    created = api.post(
        "/v1/optimize/templates",
        json={"name": "t", "template": template, "protocolFilter": ["COAP"], "status": "INACTIVE"},
    ).json()
    patched = api.patch(f"/v1/optimize/templates/{created['id']}", json={"name": "renamed"})
    assert patched.status_code == 200 and patched.json()["name"] == "renamed"
    assert api.patch(f"/v1/optimize/templates/{created['id']}", json={"template": "[]"}).status_code == 422


def test_every_response_was_checked(recorder: ContractRecorder) -> None:
    statuses = {(method, template, status) for method, template, status in recorder.checked}
    for expected in [
        ("POST", "/v1/sims/topup", 201),
        ("POST", "/v1/sims/autoTopup", 201),
        ("POST", "/v1/sims/extension", 422),
        ("POST", "/v1/sims/simTransfer", 201),
        ("GET", "/v1/sims/{service}/limits", 200),
        ("GET", "/v1/orders/{order_number}", 200),
        ("GET", "/v1/products", 200),
        ("PATCH", "/v1/optimize/templates/{templateId}", 422),
    ]:
        assert expected in statuses, expected
