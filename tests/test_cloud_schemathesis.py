"""The emulated 1NCE API under schemathesis: sim.json, auth.json, the read operations of order.json
and product.json, and 1NCE OS (an OpenAPI document assembled here from the Developer Hub files,
tests/support/openapi_assembly.py). Bounded and repeatable: a few examples per operation, a fixed
seed, deterministic generation, positive and negative data, every schemathesis check plus the
project's own contract check (hil.virtual.cloud.contract) on every response. Every call carries a
real OAuth token from the emulator (Basic credentials for /oauth/token itself).

What is left out, and why, is in EXCLUSIONS; the findings fixed in the emulator have regression
tests at the end of this file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from requests.structures import CaseInsensitiveDict
from schemathesis import Case as SchemathesisCase
from schemathesis.checks import CheckContext
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response

from hil.virtual.cloud.config import EmulatorConfig
from hil.virtual.cloud.contract import ContractValidator
from hil.virtual.cloud.server import ThreadedEmulator
from hil.virtual.cloud.testing import find_specs_dir
from hil.virtual.network.inventory import parse_yaml_inventory
from tests.support.cloud_api import sign_in
from tests.support.openapi_assembly import as_the_contract_reads, os_document

SPECS = find_specs_dir()
if SPECS is None:
    pytest.skip("1NCE specs not found (set NCE_SPECS_DIR)", allow_module_level=True)
SPECS_DIR = SPECS

CLIENT_ID = "7000001_api"
CLIENT_SECRET = "fuzz-secret-for-tests"
# 8988280666000000000 is the example ICCID of sim.json and the Developer Hub: with it in the
# inventory the examples phase reaches a real SIM instead of a 404.
INVENTORY = f"""
organisation: {{id: "7000001", name: "schemathesis org", ip_range: "10.61.4.0/24"}}
api_users: [{{client_id: "{CLIENT_ID}", client_secret: "{CLIENT_SECRET}"}}]
sims:
""" + "".join(
    f'  - {{iccid: "89882806660000{n:05d}", imsi: "9014051000{n:05d}", msisdn: "88228510{n:07d}", '
    f'imei: "35000000000{n:04d}", label: "fuzz-{n}"}}\n'
    for n in range(4)
)


@dataclass(frozen=True)
class Exclusion:
    """A schemathesis check switched off for one operation (or the whole operation), and why."""

    operation: str  # "METHOD /path" as in the document
    check: str | None  # None: the whole operation
    reason: str


PROSE = "the documents state this value rule in prose only, so a 400 for schema-valid data is right: "
EXCLUSIONS: tuple[Exclusion, ...] = (
    Exclusion(
        "GET /v1/sims", "positive_data_acceptance", PROSE + "q is '{filter}:{value}' of imei, ip_address"
    ),
    Exclusion(
        "GET /v1/inspect/devices", "positive_data_acceptance", PROSE + "q is '{filter}:{value}' of iccid"
    ),
    Exclusion(
        "GET /v1/administrationLogs",
        "positive_data_acceptance",
        PROSE + "q is '{filter}:{value}' of geofenceId, category, iccid, type, startDateTime, endDateTime",
    ),
    Exclusion(
        "GET /v1/inspect/devices/history",
        "positive_data_acceptance",
        PROSE + "nextToken is one the API returned; startDateTime/endDateTime are timestamps",
    ),
    Exclusion(
        "GET /v1/inspect/devices/{deviceId}/history",
        "positive_data_acceptance",
        PROSE + "nextToken is one the API returned; startDateTime/endDateTime are timestamps",
    ),
    Exclusion(
        "POST /v1/sims/{iccid}/sms", "positive_data_acceptance", PROSE + "payload is the content of the SMS"
    ),
    Exclusion("POST /v1/sims/topup", "positive_data_acceptance", PROSE + "the ICCIDs of the SIMs to top up"),
    Exclusion(
        "POST /v1/sims/autoTopup",
        "positive_data_acceptance",
        PROSE + "'enabled' switches auto top-up on or off",
    ),
    Exclusion(
        "POST /v1/sims/simTransfer",
        None,
        "its example moves the example SIM (8988280666000000000) to another organisation, after which "
        "every later example of the SIM operations is a 404; tests/test_cloud_hardening.py covers it",
    ),
    Exclusion(
        "POST /v1/sims/limits",
        "positive_data_acceptance",
        PROSE + "a limit ID is one of /v1/sims/{service}/limits (tests/test_cloud_api.py pins the 400)",
    ),
    Exclusion(
        "POST /v1/sims/extension",
        "positive_data_acceptance",
        "a productId that is no SIM product is a 422 (sim.json; contract.DISAGREEMENTS), which the check "
        "counts as a rejection of valid data",
    ),
    Exclusion(
        "POST /v1/optimize/templates",
        "positive_data_acceptance",
        PROSE + "template is a stringified JSON template (422 documented)",
    ),
    Exclusion(
        "PATCH /v1/optimize/templates/{templateId}",
        "positive_data_acceptance",
        PROSE + "template is a stringified JSON template (422 documented)",
    ),
    Exclusion(
        "POST /v1/optimize/messages/test",
        "positive_data_acceptance",
        PROSE + "payload is base64 and template a stringified JSON template",
    ),
    Exclusion(
        "POST /v1/agreements/1nceos",
        "positive_data_acceptance",
        PROSE + "'only true is accepted' for accepted",
    ),
    Exclusion(
        "POST /oauth/token",
        "positive_data_acceptance",
        PROSE + "grant_type is client_credentials, the only grant 1NCE issues",
    ),
    Exclusion(
        "GET /v1/orders",
        "positive_data_acceptance",
        PROSE + "sort is a comma separated list of order_date, order_number, order_status",
    ),
    Exclusion(
        "POST /oauth/token",
        "ignored_auth",
        "auth.json documents 400 AuthValidationError ('Missing attributes username/password') for a "
        "request without Basic credentials, where the check expects 401 or 403",
    ),
    Exclusion(
        "POST /oauth/token",
        "missing_required_header",
        "the same: auth.json's answer to a request without the Authorization header is that 400",
    ),
    Exclusion(
        "POST /v1/orders",
        None,
        "placing an order: the emulator does not serve it (orders come from top-ups and extensions)",
    ),
    Exclusion(
        "GET /v1/orders",
        "allow_header_conformance",
        "order.json also documents POST /v1/orders (place an order); the emulator does not serve it "
        "(orders come from top-ups and extensions), so its 405 allows GET only",
    ),
)

SEED = 20240901
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": 5, "mode": "all", "deterministic": True},
        "checks": {"enabled": True},
        "auth": {"openapi": {"BasicAuthentication": {"username": CLIENT_ID, "password": CLIENT_SECRET}}},
        "operations": [
            {
                "include-name": e.operation,  # one filter: method and path filters would be OR-ed
                **({"checks": {e.check: {"enabled": False}}} if e.check else {"enabled": False}),
            }
            for e in EXCLUSIONS
        ],
    }
)
Case = SchemathesisCase[Any]
VALIDATOR = ContractValidator(SPECS_DIR)


def _load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SPECS_DIR / "1nce-openapi" / name).read_text())
    return document


def _schema(document: dict[str, Any], family: str) -> Any:
    return schemathesis.openapi.from_dict(as_the_contract_reads(document, family), config=CONFIG)


SIM_SCHEMA = _schema(_load("sim.json"), "sims")
AUTH_SCHEMA = _schema(_load("auth.json"), "oauth")
ORDERS_SCHEMA = _schema(_load("order.json"), "sims")
PRODUCTS_SCHEMA = _schema(_load("product.json"), "sims")
OS_SCHEMA = _schema(os_document(SPECS_DIR), "os")


def contract_conformance(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """The project's own contract check (status, body, headers, error bodies) on every response to
    the operation's own method (the probes with other methods are 405s: unsupported_method's)."""
    if case.method.upper() != case.operation.method.upper():
        return None
    operation, problems = VALIDATOR.check(
        case.method,
        case.formatted_path,
        response.status_code,
        {name: ", ".join(values) for name, values in response.headers.items()},
        response.content or b"",
    )
    assert operation is not None, f"{case.method} {case.formatted_path}: no operation in contract.OPERATIONS"
    if problems:
        raise AssertionError("response breaks the 1NCE contract:\n  " + "\n  ".join(problems))
    return None


OAUTH_URL: list[str] = []  # the running emulator's token endpoint, set by the `lab` fixture


class EmulatorToken:
    """A real OAuth token from the emulator for every bearer call; schemathesis caches it and fetches
    a new one on a 401. Registered with schemathesis (not passed as a header) so that its auth checks
    know what to take away when they probe unauthenticated access."""

    def get(self, case: Case, ctx: Any) -> str:
        answer = httpx.post(
            OAUTH_URL[0],
            json={"grant_type": "client_credentials"},
            auth=(CLIENT_ID, CLIENT_SECRET),
            timeout=10,
        )
        assert answer.status_code == 200, f"POST /oauth/token: expected 200, got {answer.status_code}"
        token: str = answer.json()["access_token"]
        return token

    def set(self, case: Case, data: str, ctx: Any) -> None:
        case.headers = case.headers or CaseInsensitiveDict()
        case.headers["Authorization"] = f"Bearer {data}"


for _schema_with_bearer in (SIM_SCHEMA, ORDERS_SCHEMA, PRODUCTS_SCHEMA, OS_SCHEMA):
    _schema_with_bearer.auth()(EmulatorToken)


@pytest.fixture(scope="module")
def lab() -> Iterator[ThreadedEmulator]:
    config = EmulatorConfig(sims_rate_limit=0, time_scale=0.001, token_ttl=3600)
    with ThreadedEmulator(parse_yaml_inventory(INVENTORY), config) as emulator:
        OAUTH_URL[:] = [emulator.endpoints["oauth"]]
        yield emulator


def _call(case: Case, lab: ThreadedEmulator) -> None:
    case.call_and_validate(base_url=lab.endpoints["api"], additional_checks=[contract_conformance])


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's lazy loader reads and rewrites Node._nodeid, which pytest 9 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


# Cases are generated when the tests run, not at collection (the auth provider needs the emulator):
# hence lazy schemas from fixtures. Each operation is a subtest named "[METHOD /path]".
@pytest.fixture(scope="module")
def sim_schema(lab: ThreadedEmulator) -> Any:
    return SIM_SCHEMA


@pytest.fixture(scope="module")
def auth_schema(lab: ThreadedEmulator) -> Any:
    return AUTH_SCHEMA


@pytest.fixture(scope="module")
def orders_schema(lab: ThreadedEmulator) -> Any:
    return ORDERS_SCHEMA


@pytest.fixture(scope="module")
def products_schema(lab: ThreadedEmulator) -> Any:
    return PRODUCTS_SCHEMA


@pytest.fixture(scope="module")
def os_schema(lab: ThreadedEmulator) -> Any:
    return OS_SCHEMA


@schemathesis.pytest.from_fixture("sim_schema").parametrize()
def test_sim_management(case: Case, lab: ThreadedEmulator) -> None:
    _call(case, lab)


@schemathesis.pytest.from_fixture("auth_schema").parametrize()
def test_oauth(case: Case, lab: ThreadedEmulator) -> None:
    _call(case, lab)


@schemathesis.pytest.from_fixture("orders_schema").parametrize()
def test_orders(case: Case, lab: ThreadedEmulator) -> None:
    _call(case, lab)


@schemathesis.pytest.from_fixture("products_schema").parametrize()
def test_products(case: Case, lab: ThreadedEmulator) -> None:
    _call(case, lab)


@schemathesis.pytest.from_fixture("os_schema").parametrize()
def test_1nce_os(case: Case, lab: ThreadedEmulator) -> None:
    _call(case, lab)


# --- regressions for what schemathesis found ------------------------------------------------------
FIRST = "8988280666000000001"  # not the example ICCID the schemathesis run works on


@pytest.fixture
def api(lab: ThreadedEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=lab.endpoints["api"], timeout=10) as client:
        sign_in(client, CLIENT_ID, CLIENT_SECRET)
        yield client


def test_allow_names_the_literal_resource_not_a_template_that_also_matches(api: httpx.Client) -> None:
    # /v1/sims/topup also matches /v1/sims/{iccid} (GET, PUT): the 405 named those too
    for path, allowed in [
        ("/v1/sims/topup", "POST"),
        ("/v1/sims/extension", "POST"),
        ("/v1/sims/limits", "GET, POST"),
        ("/v1/integrate/devices/actions/requests/active", "GET"),
        (f"/v1/sims/{FIRST}", "GET, PUT"),
    ]:
        answer = api.request("OPTIONS", path)
        assert (answer.status_code, answer.headers.get("Allow")) == (405, allowed), (
            f"OPTIONS {path}: expected 405 Allow: {allowed}, got {answer.status_code} "
            f"Allow: {answer.headers.get('Allow')}"
        )


@pytest.mark.parametrize("sms_id", ["-2.3608289750853764e+16", "1.5", "0", "1e300", "nan"])
def test_sms_id_is_a_number_and_one_that_names_no_sms_is_404(api: httpx.Client, sms_id: str) -> None:
    # sim.json types {id} as a number: a number that is no SMS id was a 400 "not a valid integer"
    for method in ("GET", "DELETE"):
        answer = api.request(method, f"/v1/sims/{FIRST}/sms/{sms_id}")
        assert answer.status_code == 404, f"{method} sms/{sms_id}: expected 404, got {answer.text}"
        assert answer.json()["errorCode"] == "SmsNotFound"
    assert api.get(f"/v1/sims/{FIRST}/sms/not-a-number").status_code == 400


def test_sms_ids_written_as_numbers_reach_the_sms(api: httpx.Client) -> None:
    sent = api.post(f"/v1/sims/{FIRST}/sms", json={"payload": "regression"})
    assert sent.status_code == 201, sent.text
    sms_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    for written in (str(sms_id), f"{sms_id}.0", f"{sms_id}e0"):
        answer = api.get(f"/v1/sims/{FIRST}/sms/{written}")
        assert answer.status_code == 200 and answer.json()["id"] == sms_id, f"sms/{written}: {answer.text}"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/integrate/devices/actions/requests",
        "/v1/integrate/devices/actions/requests/active",
        "/v1/integrate/devices/actions/requests/archived",
        "/v1/administrationLogs",
        "/v1/inspect/devices/history",
        f"/v1/inspect/devices/{FIRST}/history",
    ],
)
def test_page_size_is_unbounded_where_the_developer_hub_sets_no_maximum(api: httpx.Client, path: str) -> None:
    # The Developer Hub sets only a minimum; the emulator answered 400 above 100 (or 1000)
    for size in ("101", "1001", str(2**70)):
        answer = api.get(path, params={"pageSize": size})
        assert answer.status_code == 200, f"GET {path}?pageSize={size}: expected 200, got {answer.text}"
    assert api.get(path, params={"pageSize": "0"}).status_code == 400
    # where a maximum is documented it still holds (get-all-devices: 50)
    assert api.get("/v1/inspect/devices", params={"pageSize": "51"}).status_code == 400


def test_exclusions_name_real_operations_and_checks() -> None:
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    known_checks = {check.__name__ for check in CHECKS.get_all()}
    documents = [_load("sim.json"), _load("auth.json"), _load("order.json"), _load("product.json")]
    operations = {
        f"{method.upper()} {path}"
        for document in [*documents, os_document(SPECS_DIR)]
        for path, methods in document["paths"].items()
        for method in methods
    }
    for exclusion in EXCLUSIONS:
        assert exclusion.operation in operations, f"{exclusion.operation}: no such operation in the documents"
        assert exclusion.check is None or exclusion.check in known_checks, f"{exclusion.check}: no such check"
        assert len(exclusion.reason) > 20, f"{exclusion.operation} {exclusion.check}: give a reason"
