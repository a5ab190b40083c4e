"""A client generated from 1NCE's sim.json by openapi-python-client, against the emulator.

The client is generated into a temporary directory by this test (never committed), imported, and
drives the main SIM operations over real HTTP; the parsed models must carry what the emulator's
own state says. Generation needs two accommodations, both made here:

* sim.json documents the limits responses as "*/*", which the generator would drop: a config reads
  it as application/json (what 1NCE and the emulator send);
* openapi-python-client 0.29.1 writes code that does not import (`Unset` used, never imported) for a
  request body offered in two JSON media types with one schema, as sim.json does for
  POST /v1/sims/{iccid}/sms: the copy of sim.json handed to it keeps application/json only.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from hil.virtual.cloud.config import EmulatorConfig
from hil.virtual.cloud.server import ThreadedEmulator
from hil.virtual.cloud.testing import find_specs_dir
from hil.virtual.network.inventory import parse_yaml_inventory
from hil.virtual.network.netlink_client import NetlinkClient

SPECS = find_specs_dir()
pytestmark = pytest.mark.skipif(SPECS is None, reason="1NCE specs not found (set NCE_SPECS_DIR)")

CLIENT_ID = "7000001_api"
CLIENT_SECRET = "generated-client-secret"
SIM_COUNT = 7
INVENTORY = f"""
organisation: {{id: "7000001", name: "generated client org", ip_range: "10.61.5.0/24"}}
api_users: [{{client_id: "{CLIENT_ID}", client_secret: "{CLIENT_SECRET}"}}]
sims:
""" + "".join(
    f'  - {{iccid: "89882806660000{n:05d}", imsi: "9014051000{n:05d}", msisdn: "88228510{n:07d}", '
    f'imei: "35000000000{n:04d}", label: "gen-{n}"}}\n'
    for n in range(1, SIM_COUNT + 1)
)
ONLINE = ("8988280666000000003", "901405100000003")
PACKAGE = "nce_sim_client"
GENERATOR_CONFIG = {"content_type_overrides": {"*/*": "application/json"}, "post_hooks": []}
CHARSET_JSON = "application/json;charset=UTF-8"


def generator_input(document: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """sim.json without the charset twin of a JSON request body (same schema), and where it was."""
    trimmed: list[str] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if CHARSET_JSON in content and content[CHARSET_JSON] == content.get("application/json"):
                del content[CHARSET_JSON]
                trimmed.append(f"{method.upper()} {path}")
    return document, trimmed


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    assert SPECS is not None
    root = tmp_path_factory.mktemp("generated")
    config = root / "config.json"
    config.write_text(json.dumps(GENERATOR_CONFIG))
    document, trimmed = generator_input(json.loads((SPECS / "1nce-openapi" / "sim.json").read_text()))
    assert "POST /v1/sims/{iccid}/sms" in trimmed, f"sim.json changed: charset twins only at {trimmed}"
    spec = root / "sim.json"
    spec.write_text(json.dumps(document))
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(spec),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"openapi-python-client failed:\n{result.stdout}\n{result.stderr}"
    assert "Cannot parse response" not in result.stdout, f"the generator dropped responses:\n{result.stdout}"
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


@pytest.fixture(scope="module")
def lab() -> Iterator[ThreadedEmulator]:
    config = EmulatorConfig(sims_rate_limit=0, time_scale=0.001, token_ttl=600)
    with ThreadedEmulator(parse_yaml_inventory(INVENTORY), config) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def client(generated: ModuleType, lab: ThreadedEmulator) -> Iterator[Any]:
    answer = httpx.post(
        lab.endpoints["oauth"],
        json={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    assert answer.status_code == 200, f"POST /oauth/token: expected 200, got {answer.status_code}"
    authenticated = generated.AuthenticatedClient(
        base_url=lab.endpoints["api"],
        token=answer.json()["access_token"],
        raise_on_unexpected_status=True,
        timeout=httpx.Timeout(10.0),
    )
    with authenticated as opened:
        yield opened


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.content[:200]!r}"
    )
    return response.parsed


def test_list_sims_page_by_page(client: Any, lab: ThreadedEmulator) -> None:
    get_sims = _module("api.general_si_ms.get_sims_using_get")
    seen: list[str] = []
    for page in (1, 2, 3, 4):
        response = get_sims.sync_detailed(client=client, page=page, page_size=2)
        sims = _ok(response)
        assert response.headers["X-Total-Count"] == str(SIM_COUNT)
        assert response.headers["X-Total-Pages"] == "4" and response.headers["X-Current-Page"] == str(page)
        seen += [sim.iccid for sim in sims]
    state = lab.call(lambda: sorted(sim.iccid for sim in lab.services.store.all_sims()))
    assert seen == state and len(seen) == SIM_COUNT


def test_one_sim_and_its_label_update(client: Any, lab: ThreadedEmulator) -> None:
    models = _module("models")
    get_sim = _module("api.general_si_ms.get_sim_using_get")
    update_sim = _module("api.general_si_ms.update_sim_using_put")
    iccid = "8988280666000000002"
    sim = _ok(get_sim.sync_detailed(iccid, client=client))
    record = lab.call(lambda: lab.services.store.sim(iccid))
    assert isinstance(sim, models.SIMCard)
    assert (sim.iccid, sim.imsi, sim.msisdn, sim.label) == (iccid, record.imsi, record.msisdn, "gen-2")
    assert sim.status == models.SIMCardStatus.ENABLED and sim.ip_address == record.ip_address
    body = models.SIMUpdateValues(
        iccid=iccid, status=models.SIMUpdateValuesStatus.ENABLED, label="renamed by the generated client"
    )
    _ok(update_sim.sync_detailed(iccid, client=client, body=body))
    assert lab.call(lambda: lab.services.store.sim(iccid).label) == "renamed by the generated client"
    assert _ok(get_sim.sync_detailed(iccid, client=client)).label == "renamed by the generated client"


def test_status_connectivity_usage_quota_and_events_of_an_attached_sim(
    client: Any, lab: ThreadedEmulator
) -> None:
    models = _module("models")
    iccid, imsi = ONLINE

    def check_while_attached() -> None:
        status = _ok(
            _module("api.general_si_ms.get_status_for_sim_using_get").sync_detailed(iccid, client=client)
        )
        assert isinstance(status, models.Connectivity)
        assert status.status == models.ConnectivityStatus.ONLINE
        assert status.pdp_context.ue_ip_address == lab.call(lambda: lab.services.store.sim(iccid).ip_address)
        info = _ok(
            _module("api.connectivity.get_connectivity_info_for_sim_using_get").sync_detailed(
                iccid, client=client, subscriber=True, ussd=True
            )
        )
        assert isinstance(info, models.ConnectivityInfo) and info.request_timestamp
        usage = _ok(_module("api.sim_usage.get_usage_for_sim_using_get").sync_detailed(iccid, client=client))
        assert [day.data.volume for day in usage.stats] == ["0.001500"]
        assert usage.stats[0].data.volume_tx == "0.001000" and usage.stats[0].data.volume_rx == "0.000500"
        quota = _ok(
            _module("api.sim_usage.get_data_quota_for_sim_using_get").sync_detailed(iccid, client=client)
        )
        assert quota.total_volume == 500 and quota.volume == pytest.approx(500 - 0.0015)
        sms_quota = _ok(
            _module("api.sim_usage.get_sms_quota_for_sim_using_get").sync_detailed(iccid, client=client)
        )
        assert isinstance(sms_quota, models.Quota) and sms_quota.volume == 250
        events = _ok(
            _module("api.sim_events.get_events_for_sim_using_get").sync_detailed(
                iccid, client=client, sort="timestamp"
            )
        )
        assert [e.event_type for e in events.events] == ["Update location", "Create PDP Context"]
        assert events.total_events == 2 and all(e.iccid == iccid for e in events.events)

    async def attach_use_and_check() -> None:
        modem = await NetlinkClient.connect(lab.endpoints["netlink"])
        try:
            await modem.bring_online(iccid, imsi, imei="350000000000003", rat="LTE-M")
            await modem.call("usage", iccid=iccid, tx_bytes=1000, rx_bytes=500)
            await asyncio.to_thread(check_while_attached)
        finally:
            await modem.close()

    asyncio.run(attach_use_and_check())


def test_sms_send_list_get_and_cancel(client: Any, lab: ThreadedEmulator) -> None:
    models = _module("models")
    sms = "api.sms."
    iccid = "8988280666000000005"
    sent = _module(sms + "send_sms_to_sim_using_post").sync_detailed(
        iccid, client=client, body=models.SMSMessageObject(payload="from the generated client")
    )
    _ok(sent, 201)
    sms_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    listed = _ok(_module(sms + "get_sms_for_sim_using_get").sync_detailed(iccid, client=client))
    assert [m.id for m in listed] == [sms_id]
    one = _ok(_module(sms + "get_sms_of_sim_using_get").sync_detailed(iccid, float(sms_id), client=client))
    record = lab.call(lambda: lab.services.store.sms_by_id(sms_id))
    assert record is not None and one.payload == record.payload == "from the generated client"
    assert one.status.description == "BUFFERED"  # the SIM is not attached
    _ok(_module(sms + "cancel_sms_for_sim_using_delete").sync_detailed(iccid, float(sms_id), client=client))
    after = _ok(_module(sms + "get_sms_of_sim_using_get").sync_detailed(iccid, float(sms_id), client=client))
    assert after.status.description == "CANCELED"


def test_limits_read_set_and_choices(client: Any, lab: ThreadedEmulator) -> None:
    models = _module("models")
    limits = "api.volume_limits."
    choices = _ok(
        _module(limits + "get_selectable_limits_using_get").sync_detailed(
            models.GetSelectableLimitsUsingGetService.DATA, client=client
        )
    )
    options = choices.additional_properties["options"]
    chosen = options[1]
    body = models.SetLimitsRequest(data_limit_id=chosen["id"])
    _ok(_module(limits + "set_limits_using_post").sync_detailed(client=client, body=body), 201)
    current = _ok(_module(limits + "get_limits_using_get").sync_detailed(client=client))
    assert isinstance(current, models.SelfSetLimits)
    assert (current.data.id, current.data.limit, current.data.unit) == (
        chosen["id"],
        chosen["limit"],
        chosen["unit"],
    )


def test_top_up_places_an_order(client: Any, lab: ThreadedEmulator) -> None:
    iccid = "8988280666000000006"
    top_up = _module("api.volume_top_up.top_up_using_post").sync_detailed(iccid, client=client)
    _ok(top_up, 201)
    location = top_up.headers["Location"]
    assert "/v1/orders/" in location, f"top-up answered Location {location!r}, expected an order"
    # orders are order.json's, not sim.json's: read this one with the generated client's httpx client
    order = client.get_httpx_client().get(location.split("/management-api", 1)[1])
    assert order.status_code == 200, order.text
    assert iccid in json.dumps(order.json())
