"""Template validation: every mistake is a TemplateError whose message names the statement path."""

from __future__ import annotations

import copy

import pytest

from sdk_bindings import bcl


def _nested() -> dict[str, object]:
    return {
        "sense": [
            {"asset": "a", "value": {"byte": 0, "type": "uint"}},
            {"comment": "a comment statement"},
            {
                "switch": {"byte": 0, "type": "uint"},
                "on": [
                    {
                        "case": 1,
                        "do": [
                            {"asset": "b", "value": "constant"},
                            {"asset": "c", "value": {"byte": 1, "bytelength": 2, "type": "int"}},
                        ],
                    }
                ],
            },
        ]
    }


def _with(path: list[object], value: object, *, delete: bool = False) -> dict[str, object]:
    template = _nested()
    target: object = template
    for key in path[:-1]:
        target = target[key]  # type: ignore[index]
    if delete:
        del target[path[-1]]  # type: ignore[attr-defined]
    else:
        target[path[-1]] = value  # type: ignore[index]
    return template


C_VALUE = ["sense", 2, "on", 0, "do", 1, "value"]

ERRORS = [
    (
        _with([*C_VALUE, "bytelength"], 3),
        "sense[2].on[0].do[1].value.bytelength: int needs bytelength 1, 2, 4, 8, not 3",
    ),
    (
        _with([*C_VALUE, "bytelength"], 0),
        "sense[2].on[0].do[1].value.bytelength: must be an integer from 1 to 65535",
    ),
    (_with([*C_VALUE, "type"], "integer"), 'sense[2].on[0].do[1].value.type: "integer" is not a type'),
    (_with([*C_VALUE, "type"], None, delete=True), "sense[2].on[0].do[1].value.type: missing"),
    (
        _with([*C_VALUE, "byteorder"], "middle"),
        "sense[2].on[0].do[1].value.byteorder: must be 'big' or 'little'",
    ),
    (
        _with([*C_VALUE, "bytelenght"], 2),
        "sense[2].on[0].do[1].value.bytelenght: unknown field (did you mean 'bytelength'?)",
    ),
    (_with([*C_VALUE, "byte"], -1), "sense[2].on[0].do[1].value.byte: must be an integer from 0 to 65535"),
    (_with([*C_VALUE, "byte"], True), "sense[2].on[0].do[1].value.byte: must be an integer from 0"),
    (_with([*C_VALUE, "byte"], 65536), "sense[2].on[0].do[1].value.byte: must be an integer from 0"),
    (
        _with([*C_VALUE, "endbyte"], 1),
        "sense[2].on[0].do[1].value.endbyte: must be an integer from -65535 to 0",
    ),
    (_with([*C_VALUE, "endbyte"], 0), "sense[2].on[0].do[1].value.bytelength: not allowed with both"),
    (_with(["sense", 2, "on", 0, "case"], "x"), 'sense[2].on[0].case: "x" can never match a uint switch'),
    (
        _with(["sense", 2, "on", 0, "case"], 256),
        "sense[2].on[0].case: 256 can never match a uint switch of bytelength 1",
    ),
    (_with(["sense", 2, "on", 0, "do"], None, delete=True), "sense[2].on[0].do: missing"),
    (_with(["sense", 2, "on"], "x"), "sense[2].on: missing or not a list of cases"),
    (_with(["sense", 2, "switch"], "x"), "sense[2].switch: must be a payload selector object"),
    (
        _with(["sense", 0, "value"], 5),
        "sense[0].value: must be a constant string or a payload selector object",
    ),
    (_with(["sense", 0, "asset"], "a..b"), "sense[0].asset: 'a..b' has an empty part between dots"),
    (_with(["sense", 0, "asset"], ""), "sense[0].asset: missing or not a non-empty string"),
    (_with(["sense", 1], 7), "sense[1]: a statement must be a JSON object, not a number"),
    (_with(["sense", 1], {"foo": 1}), "sense[1]: not a statement"),
    (
        _with(["sense", 1], {}),
        "sense[1]: not a statement: a mapping needs 'asset' and 'value', a switch needs",
    ),
    (_with(["sense"], {}), "sense: must be a list of statements"),
    (
        _with(["sense", 0, "asset"], "c.x"),
        "sense[0].asset: 'c.x' needs 'c' to be an object, but sense[2].on[0].do[1] gives it a value",
    ),
    ({"sense": [], "extra": 1}, "template.extra: unknown field"),
    ({}, "sense: missing"),
    ("[1, 2]", "template: must be a JSON object"),
    ("{not json", "template: not valid JSON: line 1 column 2"),
    ('{"sense": [NaN]}', "template: not valid JSON: NaN is not valid JSON"),
]


@pytest.mark.parametrize(("template", "message"), ERRORS)
def test_invalid_template_names_the_statement_path(template: object, message: str) -> None:
    with pytest.raises(bcl.TemplateError) as caught:
        bcl.compile_template(template)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(message), str(caught.value)
    assert str(caught.value).startswith(caught.value.path + ": ")


def test_the_nested_template_is_valid() -> None:
    template = bcl.compile_template(copy.deepcopy(_nested()))
    assert template.assets == ("a", "b", "c")
    assert bcl.decode(template, bytes.fromhex("01fffe")) == {"a": 1, "b": "constant", "c": -2}


def test_nested_statement_blocks_and_comments_are_accepted() -> None:
    template = {"comment": "c", "name": "n", "version": "1", "sense": [[{"asset": "x", "value": "y"}], []]}
    assert bcl.decode(template, b"") == {"x": "y"}


def test_assets_in_different_cases_may_share_a_prefix() -> None:
    template = {
        "sense": [
            {
                "switch": {"byte": 0, "type": "uint"},
                "on": [
                    {"case": 0, "do": [{"asset": "v", "value": {"byte": 1, "type": "uint"}}]},
                    {"case": 1, "do": [{"asset": "v.x", "value": {"byte": 1, "type": "uint"}}]},
                ],
            }
        ]
    }
    assert bcl.decode(template, b"\x01\x05") == {"v": {"x": 5}}


@pytest.mark.parametrize(
    ("case", "selector", "message"),
    [
        (0.1, {"byte": 0, "bytelength": 4, "type": "float"}, None),
        (0.1000000001, {"byte": 0, "bytelength": 4, "type": "float"}, "decodes as 0.1"),
        ("abcd", {"byte": 0, "bytelength": 1, "type": "hex"}, "bytelength 1"),
        ("AB", {"byte": 0, "bytelength": 1, "type": "hex"}, "lowercase"),
        ("abcd", {"byte": 0, "bytelength": 3, "type": "string"}, "bytelength 3"),
        (1, {"byte": 0, "type": "boolean"}, "use true or false"),
        (True, {"byte": 0, "type": "int"}, "use an integer"),
        (-129, {"byte": 0, "type": "int"}, "of bytelength 1"),
    ],
)
def test_case_values_that_can_never_match_are_rejected(
    case: object, selector: dict[str, object], message: str | None
) -> None:
    template = {"sense": [{"switch": selector, "on": [{"case": case, "do": []}]}]}
    if message is None:
        bcl.compile_template(template)
        return
    with pytest.raises(bcl.TemplateError, match=message) as caught:
        bcl.compile_template(template)
    assert caught.value.path == "sense[0].on[0].case"


def test_duplicate_cases_and_two_defaults_are_rejected() -> None:
    switch = {"byte": 0, "type": "int"}
    with pytest.raises(bcl.TemplateError, match=r"duplicate of sense\[0\].on\[0\]"):
        bcl.compile_template(
            {"sense": [{"switch": switch, "on": [{"case": 1, "do": []}, {"case": 1, "do": []}]}]}
        )
    with pytest.raises(bcl.TemplateError, match="a second default"):
        bcl.compile_template(
            {"sense": [{"switch": switch, "on": [{"default": True, "do": []}, {"default": True, "do": []}]}]}
        )


def test_unreachable_boolean_default_is_rejected() -> None:
    cases = [{"case": True, "do": []}, {"default": True, "do": []}, {"case": False, "do": []}]
    with pytest.raises(bcl.TemplateError, match=r"sense\[0\].on\[1\].default: can never run"):
        bcl.compile_template({"sense": [{"switch": {"byte": 0, "type": "boolean"}, "on": cases}]})


def test_custom_type_needs_an_eight_byte_float() -> None:
    statement = {
        "asset": "lat",
        "value": {"byte": 0, "bytelength": 4, "type": "float"},
        "custom_type": "location_lat",
    }
    with pytest.raises(
        bcl.TemplateError, match=r"sense\[0\].custom_type: location_lat needs an 8-byte float"
    ):
        bcl.compile_template({"sense": [statement]})


def test_endbyte_past_the_end_is_rejected() -> None:
    with pytest.raises(bcl.TemplateError, match=r"sense\[0\].value.endbyte: endbyte -1 with bytelength 2"):
        bcl.compile_template(
            {"sense": [{"asset": "x", "value": {"endbyte": -1, "bytelength": 2, "type": "int"}}]}
        )


def test_deep_nesting_is_a_template_error_not_a_crash() -> None:
    deep = "[" * 5000 + "]" * 5000
    with pytest.raises(bcl.TemplateError):
        bcl.compile_template('{"sense": ' + deep + "}")
    block: list[object] = []
    template = {"sense": block}
    for _ in range(200):
        inner: list[object] = []
        block.append(inner)
        block = inner
    with pytest.raises(bcl.TemplateError, match="nested more than 64 levels"):
        bcl.compile_template(template)
