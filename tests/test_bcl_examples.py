"""The reference's worked BCL examples (1nce-reference.md §3.2-3.3) decode to the documented JSON,
and both encoders (Python and the C encoder through cffi) give the documented bytes back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sdk_bindings import bcl
from sdk_bindings.bcl.native import NativeTemplate

EXAMPLES = Path(__file__).resolve().parents[1] / "sdk_bindings" / "bcl" / "examples"


def _example(name: str) -> bcl.CompiledTemplate:
    return bcl.compile_template((EXAMPLES / f"{name}.json").read_text())


ALARM = {
    "name": "alarm",
    "sense": [{"asset": "motion", "value": {"byte": 0, "bytelength": 1, "type": "boolean"}}],
}
LONGITUDE = {
    "sense": [
        {"asset": "longitude", "value": {"byte": 0, "bytelength": 4, "byteorder": "big", "type": "float"}}
    ]
}
NESTED = {
    "sense": [
        {"asset": "simple_key", "value": "value1"},
        {"asset": "level1.level2.level3.level4", "value": "value2"},
    ]
}

CASES = [
    ("features", "001a003700", {"Temperature": 26, "Humidity": 55, "Switch": False}),
    (ALARM, "01", {"motion": True}),
    (LONGITUDE, "424bbcf9", {"longitude": 50.934544}),
    (
        "positional",
        "00424bbcf940de981c0078",
        {"gps": {"lat": 50.934544, "lon": 6.956068}, "speed": 120},
    ),
    ("positional", "01ffffff", {"error": "unknown payload"}),
    (
        "bcl_full_example",
        "01010000058c6f6c6567",
        {
            "message_code": 1,
            "data_type": "Maintenance",
            "on": True,
            "fuel": 1420,
            "driver": "oleg",
            "driver_hex": "6f6c6567",
            "full_payload": "01010000058c6f6c6567",
        },
    ),
    (
        "c_sdk_demo",
        "016354322e322e31",
        {
            "data_type": "Energy_Saver",
            "battery_level": 99,
            "signal_strength": 84,
            "software_version": "2.2.1",
        },
    ),
    (NESTED, "", {"simple_key": "value1", "level1": {"level2": {"level3": {"level4": "value2"}}}}),
]


def _template(source: str | dict[str, object]) -> bcl.CompiledTemplate:
    return _example(source) if isinstance(source, str) else bcl.compile_template(source)


@pytest.mark.parametrize(("source", "payload", "expected"), CASES)
def test_worked_example_decodes_to_documented_json(
    source: str | dict[str, object], payload: str, expected: dict[str, object]
) -> None:
    decoded = bcl.decode(_template(source), bytes.fromhex(payload))
    assert decoded == expected
    # the JSON text matches too: float32 values print as the documented shortest decimals
    assert json.dumps(decoded, sort_keys=True) == json.dumps(expected, sort_keys=True)


@pytest.mark.parametrize(("source", "payload", "expected"), [c for c in CASES if c[1] != "01ffffff"])
def test_worked_example_encodes_back_to_its_bytes(
    source: str | dict[str, object], payload: str, expected: dict[str, object]
) -> None:
    template = _template(source)
    assert bcl.encode(template, expected).hex() == payload
    assert bcl.encode_native(template, expected).hex() == payload


def test_default_case_gets_a_selector_no_case_matches() -> None:
    template = _example("positional")
    payload = bcl.encode(template, {"error": "unknown payload"})
    assert payload[0] != 0  # 0 would pick the positional case
    assert bcl.decode(template, payload) == {"error": "unknown payload"}
    assert bcl.encode_native(template, {"error": "unknown payload"}) == payload


def test_1nce_error_message_for_short_payload() -> None:
    template = {"sense": [{"asset": "Temperature", "value": {"byte": 200, "bytelength": 1, "type": "int"}}]}
    with pytest.raises(bcl.BclDecodeError) as caught:
        bcl.decode(template, b"\x00\x01")
    assert str(caught.value) == "Asset path:Temperature, Error: can't extract [200:201] from 2 bytes"
    assert caught.value.asset == "Temperature"


def test_constants_need_not_be_given_and_must_match_when_given() -> None:
    template = _example("c_sdk_demo")
    values = {"battery_level": 99, "signal_strength": 84, "software_version": "2.2.1"}
    assert bcl.encode(template, values).hex() == "016354322e322e31"
    with pytest.raises(bcl.BclEncodeError, match="data_type"):
        bcl.encode(template, {**values, "data_type": "Other"})


def test_full_example_message_code_must_agree_with_the_case() -> None:
    template = _example("bcl_full_example")
    good = bcl.decode(template, bytes.fromhex("01010000058c6f6c6567"))
    with pytest.raises(bcl.BclEncodeError, match="byte 0"):
        bcl.encode(template, {**good, "message_code": 0})


def test_custom_types_are_kept_for_the_device_locator() -> None:
    template = bcl.compile_template(
        {
            "sense": [
                {
                    "asset": "gps.lat",
                    "value": {"byte": 0, "bytelength": 8, "type": "float"},
                    "custom_type": "location_lat",
                },
                {
                    "asset": "gps.lon",
                    "value": {"byte": 8, "bytelength": 8, "type": "float"},
                    "custom_type": "location_long",
                },
            ]
        }
    )
    payload = bcl.encode(template, {"gps": {"lat": 50.9345436, "lon": 6.956068}})
    result = bcl.decode_detailed(template, payload)
    assert result.value == {"gps": {"lat": 50.9345436, "lon": 6.956068}}
    assert result.custom_types == {"gps.lat": "location_lat", "gps.lon": "location_long"}
    assert template.custom_types == result.custom_types


def test_oversized_payload_is_an_encode_error() -> None:
    template = {"sense": [{"asset": "s", "value": {"byte": 0, "endbyte": 0, "type": "string"}}]}
    with pytest.raises(bcl.BclEncodeError, match="more than 65535"):
        bcl.encode(template, {"s": "x" * 70000})


def test_an_asset_with_two_representations_gets_two_c_slots() -> None:
    """Found by fuzzing: one asset as a float64 and as a uint shared a C value slot."""
    template = bcl.compile_template(
        {
            "sense": [
                {"asset": "v", "value": {"byte": 0, "bytelength": 8, "type": "float"}},
                {"asset": "v", "value": {"byte": 8, "bytelength": 2, "type": "uint"}},
            ]
        }
    )
    assert bcl.encode_native(template, {"v": 2686}) == bcl.encode(template, {"v": 2686})
    assert bcl.decode(template, bcl.encode(template, {"v": 2686})) == {"v": 2686}
    assert "BCL_TEMPLATE_V_F64 = 0" in bcl.generate_header(template)
    assert "BCL_TEMPLATE_V_INT = 1" in bcl.generate_header(template)


def test_encoding_prefers_a_plan_that_decodes_to_exactly_the_values() -> None:
    """Found by fuzzing: the first plan found added a constant nobody asked for."""
    case_on = {"asset": "type", "value": "t"}
    template = {
        "sense": [
            {"switch": {"byte": 1, "type": "int"}, "on": [{"case": 0, "do": [case_on]}]},
            {"switch": {"byte": 0, "type": "int"}, "on": [{"case": 1, "do": [case_on]}]},
            {
                "switch": {"byte": 1, "type": "int"},
                "on": [{"case": 0, "do": [{"asset": "other", "value": "o"}]}],
            },
        ]
    }
    payload = bcl.encode(template, {"type": "t"})
    assert bcl.decode(template, payload) == {"type": "t"}
    assert bcl.encode_native(template, {"type": "t"}) == payload


def test_two_default_selectors_on_one_byte_avoid_both_sets_of_cases() -> None:
    """Found by fuzzing: the first switch's filler (0) picked the second switch's case."""
    template = {
        "sense": [
            {"switch": {"byte": 0, "type": "int"}, "on": [{"case": 1, "do": [{"asset": "a", "value": "x"}]}]},
            {"switch": {"byte": 0, "type": "int"}, "on": [{"case": 0, "do": [{"asset": "b", "value": "y"}]}]},
            {"asset": "n", "value": {"byte": 1, "type": "uint"}},
        ]
    }
    payload = bcl.encode(template, {"n": 5})
    assert payload == b"\x02\x05"
    assert bcl.decode(template, payload) == {"n": 5}
    assert bcl.encode_native(template, {"n": 5}) == payload


def test_thousands_of_switches_are_a_typed_error_not_a_crash() -> None:
    switch = {"switch": {"byte": 0, "type": "uint"}, "on": [{"case": 1, "do": []}]}
    template = bcl.compile_template({"sense": [switch] * 3000})
    assert bcl.decode(template, b"\x01") == {}
    try:
        payload = bcl.encode(template, {})
    except bcl.BclEncodeError as exc:
        assert "switch" in str(exc)
    else:
        assert bcl.decode(template, payload) == {}


@pytest.mark.parametrize("length", [4, 8])
@pytest.mark.parametrize(("selector", "case"), [(0.0, -0.0), (-0.0, 0.0), (-0.0, -0.0), (1.0, -1.0)])
def test_c_float_selectors_pick_cases_like_the_decoder(length: int, selector: float, case: float) -> None:
    """+0 and -0 select the same case (the decoder compares numbers); other values by their bits.
    Found while shrinking the C encoder: a float32 +0 did not pick the case -0."""
    template = bcl.compile_template(
        {
            "sense": [
                {
                    "switch": {"byte": 0, "bytelength": length, "type": "float"},
                    "on": [
                        {"case": case, "do": [{"asset": "a", "value": {"byte": length, "type": "uint"}}]},
                        {"default": True, "do": [{"asset": "b", "value": {"byte": length, "type": "uint"}}]},
                    ],
                }
            ]
        }
    )
    native = NativeTemplate.of(template)  # slots: the selector, a, b
    payload = native.encode_prepared(
        native.prepare([("float", length, selector), ("uint", 1, 7), ("uint", 1, 9)])
    )
    assert bcl.decode(template, payload) == ({"a": 7} if selector == case else {"b": 9})
