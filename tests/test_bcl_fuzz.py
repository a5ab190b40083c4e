"""Fuzzing (hypothesis) of the template validator, the decoder, both encoders and gen-c: random and
mutated templates, payloads and values never crash or hang; every bad input is a typed error."""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdk_bindings import bcl
from tests.test_bcl_properties import EXAMPLES, templates_and_values

FUZZ = settings(max_examples=2 * EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEYS = st.sampled_from(
    ["sense", "asset", "value", "switch", "on", "case", "default", "do", "byte", "endbyte", "bytelength",
     "byteorder", "type", "comment", "custom_type", "signed", "name", "version", "x"]
)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-10, 20)
    | st.integers()
    | st.floats()
    | st.sampled_from(
        ["int", "uint", "float", "boolean", "string", "hex", "big", "little", "location_lat", "a.b", "", "."]
    )
    | st.text(max_size=4)
)
JSON_LIKE = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=40,
)


def _exercise(template: Any, payloads: list[bytes], values: Any) -> None:
    """Everything a template can go through; only the codec's typed errors may come out."""
    try:
        compiled = bcl.compile_template(template)
    except bcl.TemplateError as exc:
        assert exc.path and str(exc).startswith(exc.path + ": ")
        return
    for payload in payloads:
        try:
            bcl.decode(compiled, payload)
        except bcl.BclDecodeError as exc:
            assert str(exc).startswith("Asset path:")
    try:
        python_bytes = bcl.encode(compiled, values)
    except bcl.BclEncodeError:
        python_bytes = None
    try:
        header = bcl.generate_header(compiled)
        native_bytes = bcl.encode_native(compiled, values)
    except bcl.TemplateError:  # what the C tables cannot express (e.g. a numeric byte..endbyte range)
        return
    except bcl.BclEncodeError:
        native_bytes = None
    assert "nce_bcl_template_t" in header
    assert native_bytes == python_bytes


@FUZZ
@given(st.dictionaries(KEYS, JSON_LIKE, max_size=4), st.lists(st.binary(max_size=24), max_size=3), JSON_LIKE)
def test_random_json_templates(template: dict[str, Any], payloads: list[bytes], values: Any) -> None:
    _exercise(template, payloads, values if isinstance(values, dict) else {"v": values})


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*prefix, index))
    return found


@FUZZ
@given(templates_and_values(), st.data())
def test_mutated_valid_templates(case: tuple[dict[str, Any], dict[str, Any]], data: st.DataObject) -> None:
    template, values = copy.deepcopy(case)
    paths = [p for p in _paths(template) if p]
    if paths:
        path = data.draw(st.sampled_from(paths))
        parent: Any = template
        for key in path[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(JSON_LIKE)
    payloads = data.draw(st.lists(st.binary(max_size=40), max_size=3))
    _exercise(template, payloads, values)


@FUZZ
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_random_json_text(text: str | bytes) -> None:
    with contextlib.suppress(bcl.TemplateError):
        bcl.compile_template(text)


@FUZZ
@given(
    st.recursive(
        SCALARS, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3)
    )
)
def test_random_values_for_a_fixed_template(values: Any) -> None:
    template = bcl.compile_template(
        json.loads(
            '{"sense": [{"asset": "a.b", "value": {"byte": 0, "bytelength": 2, "type": "int"}},'
            '{"switch": {"byte": 2, "type": "uint"}, "on": [{"case": 1, "do": [{"asset": "s", "value": '
            '{"byte": 3, "bytelength": 3, "type": "string"}}]}, {"default": true, "do": []}]}]}'
        )
    )
    try:
        python_bytes = bcl.encode(template, values)
    except bcl.BclEncodeError:
        python_bytes = None
    try:
        native_bytes = bcl.encode_native(template, values)
    except bcl.BclEncodeError:
        native_bytes = None
    assert native_bytes == python_bytes
