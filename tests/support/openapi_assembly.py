"""OpenAPI documents for outside tools (schemathesis), read as the contract validator reads 1NCE's.

* `os_document`: 1NCE OS has no OpenAPI file, only the Developer Hub's per-operation files
  (ParamsDetails, RequestSchema, StatusCodes). This assembles them into one OpenAPI 3.0 document
  for the operations `contract.OPERATIONS` maps to the Developer Hub (the ones the emulator serves).
* `as_the_contract_reads`: every 1NCE API also answers 400, 401, 404, 413 and 429 where an
  operation's own documents leave them out (`contract.UNDOCUMENTED_BUT_GENERAL`), with its API
  family's error body. The documents handed to a checker get those responses added, so the checker
  holds the emulator to the same contract as tests/test_cloud_spec.py, no looser and no stricter.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from hil.virtual.cloud.contract import (
    MGMT_ERROR_SCHEMA,
    OPERATIONS,
    OS_ERROR_SCHEMA,
    UNDOCUMENTED_BUT_GENERAL,
    Operation,
)

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
BEARER = "BearerAuthentication"  # the scheme name sim.json, order.json and product.json use


def os_document(specs_dir: Path) -> dict[str, Any]:
    """One OpenAPI 3.0 document for every 1NCE OS operation the emulator serves."""
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        if operation.family != "os":
            continue
        (source,) = operation.sources
        paths.setdefault(operation.template, {})[operation.method.lower()] = _devhub_operation(
            specs_dir / "1nce-devhub-api", source.name, operation
        )
    return {
        "openapi": "3.0.3",
        "info": {"title": "1NCE OS (assembled from the Developer Hub)", "version": "1"},
        "servers": [{"url": "https://api.1nce.com/management-api"}],
        "paths": paths,
        "components": {"securitySchemes": {BEARER: {"type": "http", "scheme": "bearer"}}},
    }


def _devhub_operation(folder: Path, name: str, operation: Operation) -> dict[str, Any]:
    params_file = folder / f"{name}.ParamsDetails.json"
    parameters: list[dict[str, Any]] = (
        json.loads(params_file.read_text())["parameters"] if params_file.is_file() else []
    )
    declared = {p["name"] for p in parameters if p["in"] == "path"}
    missing = set(re.findall(r"\{([^}]+)\}", operation.template)) - declared
    if missing:
        raise ValueError(f"{name}: path parameters {sorted(missing)} of {operation.template} not declared")
    entry: dict[str, Any] = {
        "operationId": name.rsplit("/", maxsplit=1)[-1],
        "parameters": parameters,
        "responses": json.loads((folder / f"{name}.StatusCodes.json").read_text())["responses"],
        "security": [{BEARER: []}],
    }
    request = json.loads((folder / f"{name}.RequestSchema.json").read_text())
    if "body" in request:
        entry["requestBody"] = {k: v for k, v in request["body"].items() if k != "title"}
    return entry


def as_the_contract_reads(document: dict[str, Any], family: str) -> dict[str, Any]:
    """A copy of `document` whose operations also document the statuses every 1NCE API answers."""
    error_schema = OS_ERROR_SCHEMA if family == "os" else MGMT_ERROR_SCHEMA
    general = {
        "description": "answered by every 1NCE API (contract.UNDOCUMENTED_BUT_GENERAL)",
        "content": {"application/json": {"schema": error_schema}},
    }
    result = copy.deepcopy(document)
    for operations in result["paths"].values():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            for status in sorted(UNDOCUMENTED_BUT_GENERAL):
                operation["responses"].setdefault(str(status), copy.deepcopy(general))
    return result
