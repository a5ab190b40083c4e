"""Checks an HTTP response of the 1NCE API (real or emulated) against the published contracts:
the OpenAPI documents (auth.json, sim.json, order.json, product.json) and the Developer Hub's
per-operation StatusCodes files.

For every operation the table below names its spec sources. A response must

* have a status a source documents (sim.json and the Developer Hub list different statuses for some
  operations; one is enough) - or one of the few every 1NCE API answers although the per-operation
  files leave it out (400 bad input, 401, 404, 413 body over 64 KB, 429 rate limit); those must
  carry the error body of their API family;
* have a body valid against the schema documented for that status in every source documenting it (OpenAPI 3.0
  schemas, formats checked), and no body where a 2xx response documents none; error bodies must
  also have their API family's full shape (the documented error schemas require no field);
* carry the headers the source documents (X-Total-Count and friends), as integers.

Where the sources disagree, the emulator follows one of them; `DISAGREEMENTS` says which.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30Validator, oas30_format_checker

MGMT_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["statusCode", "errorCode", "message"],
    "properties": {
        "statusCode": {"type": "integer"},
        "errorCode": {"type": "string", "minLength": 1},
        "message": {"type": "string", "minLength": 1},
    },
}
OS_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["statusText", "errors"],
    "properties": {
        "statusCode": {"type": "integer"},
        "statusText": {"type": "string", "minLength": 1},
        "errors": {"type": "array", "items": {"type": "object"}, "minItems": 1},
    },
}
UNDOCUMENTED_BUT_GENERAL = {400, 401, 404, 413, 429}

DISAGREEMENTS = [
    "POST /oauth/token 400 for unknown user/wrong secret: auth.json names the errorCode "
    "'CognitoAuthenticationError', the Developer Hub 'BadCredentials'; the emulator sends BadCredentials "
    "(Developer Hub, the live documentation); auth.json's enum is widened by that one value.",
    "POST /oauth/token 200: both examples show 'user_id'/'score', both schemas 'userId'/'scope'; "
    "the emulator follows the schemas.",
    "GET /v1/sims/{service}/limits: sim.json says it lists the selectable limits of one service, but "
    "documents the single-choice Values_for_Limits object; the emulator answers that object (the "
    "service's key holds its first choice) plus 'options', every choice (additional properties are "
    "allowed).",
    "GET /v1/sims/{service}/limits for an unknown service: the schema's enum would make it a 400, the "
    "path names no such resource; the emulator answers 404.",
    "POST /v1/sims/extension 422: sim.json documents it, the Developer Hub does not; the emulator "
    "answers 422 for a productId that is not a SIM product (sim.json, the more specific source).",
    "SIM management 4xx: sim.json and the Developer Hub document no error body; the emulator sends "
    "{statusCode, errorCode, message} like the OAuth API.",
]


@dataclass(frozen=True)
class Source:
    kind: str  # "openapi" | "devhub"
    name: str  # openapi file name or devhub "<folder>/<operation>"
    path: str = ""  # openapi path template
    method: str = ""


@dataclass(frozen=True)
class Operation:
    method: str
    template: str  # path below /management-api
    family: str  # "oauth" | "sims" | "os"
    sources: tuple[Source, ...]
    pattern: re.Pattern[str] = field(compare=False, hash=False, repr=False, default=re.compile(""))


def _op(method: str, template: str, family: str, *sources: Source) -> Operation:
    regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
    return Operation(method, template, family, sources, re.compile(regex))


def _sim(method: str, template: str, devhub: str) -> Operation:
    return _op(
        method,
        template,
        "sims",
        Source("openapi", "sim.json", template, method.lower()),
        Source("devhub", f"sim-management/{devhub}"),
    )


def _os(method: str, template: str, devhub: str) -> Operation:
    return _op(method, template, "os", Source("devhub", f"1nce-os/{devhub}"))


OPERATIONS: tuple[Operation, ...] = (
    _op(
        "POST",
        "/oauth/token",
        "oauth",
        Source("openapi", "auth.json", "/oauth/token", "post"),
        Source("devhub", "authorization/post-access-token-post"),
    ),
    _sim("GET", "/v1/sims", "get-sims-using-get"),
    _sim("POST", "/v1/sims", "update-sims-using-post"),
    _sim("GET", "/v1/sims/limits", "get-limits-using-get"),
    _sim("POST", "/v1/sims/limits", "set-limits-using-post"),
    _sim("GET", "/v1/sims/{iccid}", "get-sim-using-get"),
    _sim("PUT", "/v1/sims/{iccid}", "update-sim-using-put"),
    _sim("GET", "/v1/sims/{iccid}/status", "get-status-for-sim-using-get"),
    _sim("GET", "/v1/sims/{iccid}/connectivity_info", "get-connectivity-info-for-sim-using-get"),
    _sim("POST", "/v1/sims/{iccid}/reset", "reset-connectivity-using-post"),
    _sim("GET", "/v1/sims/{iccid}/events", "get-events-for-sim-using-get"),
    _sim("GET", "/v1/sims/{iccid}/usage", "get-usage-for-sim-using-get"),
    _sim("GET", "/v1/sims/{iccid}/quota/data", "get-data-quota-for-sim-using-get"),
    _sim("GET", "/v1/sims/{iccid}/quota/sms", "get-sms-quota-for-sim-using-get"),
    _sim("GET", "/v1/sims/{iccid}/sms", "get-sms-for-sim-using-get"),
    _sim("POST", "/v1/sims/{iccid}/sms", "send-sms-to-sim-using-post"),
    _sim("GET", "/v1/sims/{iccid}/sms/{id}", "get-sms-of-sim-using-get"),
    _sim("DELETE", "/v1/sims/{iccid}/sms/{id}", "cancel-sms-for-sim-using-delete"),
    _sim("POST", "/v1/sims/{iccid}/topup", "top-up-using-post"),
    _sim("POST", "/v1/sims/topup", "top-up-multiple-using-post"),
    _sim("POST", "/v1/sims/autoTopup", "auto-topup-using-post"),
    _sim("POST", "/v1/sims/extension", "extend-sims-using-post"),
    _sim("POST", "/v1/sims/simTransfer", "sim-transfer-using-post"),
    _sim("GET", "/v1/sims/{service}/limits", "get-selectable-limits-using-get"),
    _op("GET", "/v1/orders", "sims", Source("openapi", "order.json", "/v1/orders", "get")),
    _op(
        "GET",
        "/v1/orders/{order_number}",
        "sims",
        Source("openapi", "order.json", "/v1/orders/{order_number}", "get"),
    ),
    _op("GET", "/v1/products", "sims", Source("openapi", "product.json", "/v1/products", "get")),
    _os("GET", "/v1/inspect/devices", "get-all-devices"),
    _os("GET", "/v1/inspect/devices/history", "get-historian-messages"),
    _os("GET", "/v1/inspect/devices/{deviceId}", "get-single-device"),
    _os("GET", "/v1/inspect/devices/{deviceId}/telemetry", "get-device-telemetry"),
    _os("GET", "/v1/inspect/devices/{deviceId}/history", "get-device-historian-messages"),
    _os("GET", "/v1/optimize/templates", "get-optimizer-templates"),
    _os("POST", "/v1/optimize/templates", "create-optimizer-template"),
    _os("PATCH", "/v1/optimize/templates/{templateId}", "update-optimizer-template"),
    _os("DELETE", "/v1/optimize/templates/{templateId}", "delete-optimizer-template"),
    _os("POST", "/v1/optimize/messages/test", "test-template"),
    _os("POST", "/v1/integrate/devices/{deviceId}/presharedkey", "create-pre-shared-device-key"),
    _os("GET", "/v1/integrate/devices/{deviceId}/psk/{protocol}", "get-pre-shared-device-key"),
    _os(
        "POST", "/v1/integrate/devices/{deviceId}/actions/UDP", "create-action-request-on-specific-udp-device"
    ),
    _os(
        "POST",
        "/v1/integrate/devices/{deviceId}/actions/COAP",
        "create-action-request-on-specific-co-ap-device",
    ),
    _os("GET", "/v1/integrate/devices/actions/requests", "get-device-action-requests"),
    _os("GET", "/v1/integrate/devices/actions/requests/active", "get-active-device-action-requests"),
    _os("GET", "/v1/integrate/devices/actions/requests/archived", "get-archived-device-action-requests"),
    _os("GET", "/v1/integrate/devices/actions/requests/{requestId}", "get-single-device-action-request"),
    _os(
        "DELETE", "/v1/integrate/devices/actions/requests/{requestId}", "cancel-single-device-action-request"
    ),
    _os("DELETE", "/v1/integrate/devices/{deviceId}/actions/requests", "cancel-all-device-action-requests"),
    _os("GET", "/v1/integrate/devices/endpoints", "get-device-endpoints"),
    _os("GET", "/v1/integrate/devices/endpoints/{protocol}", "get-single-device-endpoint"),
    _os("GET", "/v1/integrate/clouds", "get-all-customer-integrations"),
    _os("GET", "/v1/integrate/clouds/eventTypes", "get-integration-event-types"),
    _os("POST", "/v1/integrate/clouds/webhooks", "create-webhook-integration"),
    _os("PATCH", "/v1/integrate/clouds/webhooks/{integrationId}", "patch-customer-webhook-integration"),
    _os("POST", "/v1/integrate/clouds/webhooks/{integrationId}/restart", "restart-webhook-integration"),
    _os("POST", "/v1/integrate/clouds/webhooks/{integrationId}/test", "test-webhook-integration"),
    _os("GET", "/v1/integrate/clouds/{integrationId}", "get-customer-integration"),
    _os("DELETE", "/v1/integrate/clouds/{integrationId}", "delete-integration"),
    _os("GET", "/v1/administrationLogs", "get-administration-logs"),
    _os("POST", "/v1/agreements/1nceos", "accept-1-nce-os-agreements"),
)


class ContractViolationError(AssertionError):
    pass


def find_operation(method: str, path: str) -> Operation | None:
    """The operation for a request path below the API base (literal paths win over templates)."""
    candidates = [op for op in OPERATIONS if op.method == method.upper() and op.pattern.match(path)]
    candidates.sort(key=lambda op: op.template.count("{"))
    return candidates[0] if candidates else None


class ContractValidator:
    def __init__(self, specs_dir: Path) -> None:
        self.specs_dir = specs_dir
        if not (specs_dir / "1nce-openapi" / "sim.json").is_file():
            raise FileNotFoundError(
                f"{specs_dir} does not hold the 1NCE specs (1nce-openapi/sim.json missing)"
            )

    @cache  # noqa: B019 - a validator lives as long as the test session
    def _openapi(self, name: str) -> dict[str, Any]:
        document: dict[str, Any] = json.loads((self.specs_dir / "1nce-openapi" / name).read_text())
        return document

    @cache  # noqa: B019
    def _devhub(self, name: str) -> dict[str, Any]:
        responses: dict[str, Any] = json.loads(
            (self.specs_dir / "1nce-devhub-api" / f"{name}.StatusCodes.json").read_text()
        )["responses"]
        return responses

    def responses_of(self, source: Source) -> dict[str, Any]:
        if source.kind == "openapi":
            document = self._openapi(source.name)
            responses: dict[str, Any] = _resolve(
                document["paths"][source.path][source.method]["responses"], document
            )
            return responses
        return self._devhub(source.name)

    def check(
        self, method: str, path: str, status: int, headers: dict[str, str], body: bytes
    ) -> tuple[Operation | None, list[str]]:
        """(operation, problems) for one response; path is below the API base."""
        operation = find_operation(method, path)
        if operation is None:
            return None, [f"{method} {path}: no 1NCE operation with this method and path"]
        problems: list[str] = []
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                problems.append(f"{operation.template} {status}: body is not JSON: {body[:80]!r}")
                return operation, problems
        documenting = [s for s in operation.sources if str(status) in self.responses_of(s)]
        for source in documenting or operation.sources:
            problems.extend(self._check_source(operation, source, status, headers, body, parsed))
        return operation, problems

    def _check_source(
        self,
        operation: Operation,
        source: Source,
        status: int,
        headers: dict[str, str],
        body: bytes,
        parsed: Any,
    ) -> list[str]:
        where = f"{operation.method} {operation.template} {status} [{source.kind}:{source.name}]"
        responses = self.responses_of(source)
        documented = responses.get(str(status))
        if documented is None:
            if status not in UNDOCUMENTED_BUT_GENERAL:
                return [f"{where}: status {status} is not documented (documented: {sorted(responses)})"]
            return self._errors(where, operation.family, parsed)
        problems = []
        for name, spec in (documented.get("headers") or {}).items():
            value = {k.lower(): v for k, v in headers.items()}.get(name.lower())
            if value is None:
                problems.append(f"{where}: header {name} missing")
            elif (spec.get("schema") or {}).get("type") == "integer" and not value.isdigit():
                problems.append(f"{where}: header {name}={value!r} is not an integer")
        content = documented.get("content") or {}
        schema = _schema_of(content)
        if schema is None:
            if 200 <= status < 300 and body:
                problems.append(f"{where}: documents no body, got {body[:80]!r}")
            elif status >= 400 and body:
                problems.extend(self._errors(where, operation.family, parsed))
            return problems
        if not body:
            return [*problems, f"{where}: documents a body, got none"]
        if source.name == "auth.json" and status == 400:
            schema = copy.deepcopy(schema)
            schema["properties"]["errorCode"]["enum"].append("BadCredentials")  # see DISAGREEMENTS
        problems.extend(_validate(where, schema, parsed))
        if status >= 400:  # the documented error schemas require nothing; hold errors to their family's shape
            problems.extend(self._errors(where, operation.family, parsed))
        return problems

    @staticmethod
    def _errors(where: str, family: str, parsed: Any) -> list[str]:
        schema = OS_ERROR_SCHEMA if family == "os" else MGMT_ERROR_SCHEMA
        return _validate(f"{where} (general error body of the {family} API)", schema, parsed)


def _schema_of(content: dict[str, Any]) -> dict[str, Any] | None:
    for media in ("application/json", "*/*", "application/json;charset=UTF-8"):
        entry = content.get(media)
        if entry and entry.get("schema"):
            schema: dict[str, Any] = entry["schema"]
            return schema
    return None


def _validate(where: str, schema: dict[str, Any], instance: Any) -> list[str]:
    validator = OAS30Validator(schema, format_checker=oas30_format_checker)
    errors: list[ValidationError] = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    return [f"{where}: {'/'.join(str(p) for p in e.path) or '<body>'}: {e.message[:200]}" for e in errors[:5]]


def _resolve(node: Any, document: dict[str, Any]) -> Any:
    """Inline every local $ref (the 1NCE documents have no recursive schemas)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _resolve(target, document)
        return {key: _resolve(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, document) for item in node]
    return node
