"""The contract check itself: it must reject what the specs forbid (or it proves nothing), and it
must know every route the emulator serves under /management-api."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hil.virtual.cloud.app import API_PREFIX, create_app
from hil.virtual.cloud.contract import OPERATIONS, ContractValidator, find_operation
from hil.virtual.cloud.testing import find_specs_dir

SPECS = find_specs_dir()
pytestmark = pytest.mark.skipif(SPECS is None, reason="1NCE specs not found (set NCE_SPECS_DIR)")

SIM = {
    "iccid": "8988280666000000001",
    "imsi": "901405100000001",
    "status": "Enabled",
    "imei_lock": False,
    "current_quota": 500,
    "quota_status": {"id": 0, "description": "ok"},
}


@pytest.fixture(scope="module")
def validator() -> ContractValidator:
    assert SPECS is not None
    return ContractValidator(SPECS)


def check(
    validator: ContractValidator, method: str, path: str, status: int, body: Any, **headers: str
) -> list[str]:
    raw = b"" if body is None else json.dumps(body).encode()
    return validator.check(method, path, status, headers, raw)[1]


def test_conforming_responses_pass(validator: ContractValidator) -> None:
    paging = {"X-Total-Count": "1", "X-Total-Pages": "1", "X-Current-Page": "1", "X-Count-Per-Page": "10"}
    assert check(validator, "GET", "/v1/sims", 200, [SIM], **paging) == []
    assert check(validator, "GET", "/v1/sims/8988280666000000001", 200, SIM) == []
    assert check(validator, "PUT", "/v1/sims/8988280666000000001", 200, None) == []
    device = {"id": SIM["iccid"], "iccid": SIM["iccid"], "imsi1": SIM["imsi"], "ip": "10.0.0.1"}
    assert check(validator, "GET", f"/v1/inspect/devices/{SIM['iccid']}", 200, device) == []


@pytest.mark.parametrize(
    ("method", "path", "status", "body", "headers", "expected"),
    [
        ("GET", "/v1/sims/1", 200, {**SIM, "status": "Active"}, {}, "'Active' is not one of"),
        ("GET", "/v1/sims/1", 200, {**SIM, "imei_lock": "no"}, {}, "is not of type 'boolean'"),
        ("GET", "/v1/sims", 200, [SIM], {}, "header X-Count-Per-Page missing"),
        (
            "GET",
            "/v1/sims",
            200,
            [SIM],
            {"X-Total-Count": "x", "X-Total-Pages": "1", "X-Current-Page": "1", "X-Count-Per-Page": "1"},
            "not an integer",
        ),
        ("PUT", "/v1/sims/1", 200, {"done": True}, {}, "documents no body"),
        ("GET", "/v1/sims/1", 418, {"x": 1}, {}, "status 418 is not documented"),
        ("GET", "/v1/sims/1", 404, {"message": "no"}, {}, "'statusCode' is a required property"),
        (
            "GET",
            "/v1/inspect/devices/1",
            200,
            {"id": "1", "iccid": "12", "imsi1": "901405100000001", "ip": "10.0.0.1"},
            {},
            "does not match",
        ),
        (
            "GET",
            "/v1/inspect/devices/1",
            200,
            {
                "id": "8988280666000000001",
                "iccid": "8988280666000000001",
                "imsi1": "901405100000001",
                "ip": "ten",
            },
            {},
            "is not a 'ipv4'",
        ),
        (
            "GET",
            "/v1/inspect/devices/1",
            404,
            {"statusCode": 404, "errors": []},
            {},
            "'statusText' is a required property",
        ),
        (
            "POST",
            "/oauth/token",
            200,
            {"status_code": 201, "access_token": "t"},
            {},
            "201 is not one of [200]",
        ),
        (
            "POST",
            "/oauth/token",
            400,
            {"statusCode": 400, "errorCode": "Oops", "message": "m"},
            {},
            "'Oops' is not one of",
        ),
        ("GET", "/v1/nothing", 200, {}, {}, "no 1NCE operation"),
    ],
)
def test_violations_are_caught(
    validator: ContractValidator,
    method: str,
    path: str,
    status: int,
    body: Any,
    headers: dict[str, str],
    expected: str,
) -> None:
    problems = check(validator, method, path, status, body, **headers)
    assert any(expected in problem for problem in problems), problems


def test_every_emulator_route_maps_to_a_documented_operation(validator: ContractValidator) -> None:
    app = create_app(services=None)  # type: ignore[arg-type]  # routes only, never served
    routes = [
        (method.upper(), path.removeprefix(API_PREFIX))
        for path, methods in app.openapi()["paths"].items()
        if path.startswith(API_PREFIX)
        for method in methods
    ]
    assert len(routes) == len(OPERATIONS)
    for method, path in routes:
        probe = path.replace("{", "").replace("}", "")  # a concrete path for the template
        operation = find_operation(method, probe)
        assert operation is not None and operation.template.lower() == _normalise(path).lower(), (
            method,
            path,
        )
        for source in operation.sources:
            assert validator.responses_of(source), source


def _normalise(path: str) -> str:
    renames = {
        "{device_id}": "{deviceId}",
        "{template_id}": "{templateId}",
        "{request_id}": "{requestId}",
        "{integration_id}": "{integrationId}",
        "{sms_id}": "{id}",
    }
    for old, new in renames.items():
        path = path.replace(old, new)
    return path
