"""os_energy_save's encoder (nce_energy_save) through cffi, checked by decoding its output with the
BCL templates 1NCE OS would use."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdk_bindings import bcl
from sdk_bindings.energy_saver import Element, EnergySaverError, energy_save


def _template(byteorder: str) -> dict[str, object]:
    fields = [
        ("i1", 1, 1, "int"),
        ("i2", 2, 2, "int"),
        ("i4", 4, 4, "int"),
        ("i8", 8, 8, "int"),
        ("f4", 16, 4, "float"),
        ("f8", 20, 8, "float"),
        ("s", 28, 6, "string"),
    ]
    statements = [
        {"asset": name, "value": {"byte": byte, "bytelength": length, "type": kind, "byteorder": byteorder}}
        for name, byte, length, kind in fields
    ]
    return {"sense": [{"asset": "selector", "value": {"byte": 0, "type": "uint"}}, *statements]}


def test_blueprint_demo_call() -> None:
    payload = energy_save(1, Element.integer(99), Element.integer(84), Element.string("2.2.1", 5))
    assert payload.hex() == "016354322e322e31"
    template = bcl.compile_template((Path(bcl.__file__).parent / "examples" / "c_sdk_demo.json").read_text())
    assert bcl.decode(template, payload)["battery_level"] == 99


@settings(max_examples=200, deadline=None)
@given(
    selector=st.integers(0, 255),
    i1=st.integers(-128, 127),
    i2=st.integers(-32768, 32767),
    i4=st.integers(-(2**31), 2**31 - 1),
    i8=st.integers(-(2**31), 2**31 - 1),
    f=st.floats(width=32, allow_nan=False, allow_infinity=False),
    s=st.text(st.characters(codec="ascii", exclude_characters="\x00"), max_size=6),
    byteorder=st.sampled_from(["little", "big"]),
)
def test_multibyte_fields_decode_with_the_matching_byte_order(
    selector: int, i1: int, i2: int, i4: int, i8: int, f: float, s: str, byteorder: str
) -> None:
    payload = energy_save(
        selector,
        Element.integer(i1, 1),
        Element.integer(i2, 2),
        Element.integer(i4, 4),
        Element.integer(i8, 8),
        Element.float32(f),
        Element.float64(f),
        Element.string(s, 6),
        byteorder=byteorder,  # type: ignore[arg-type]
    )
    decoded = bcl.decode(_template(byteorder), payload)
    assert decoded["selector"] == selector
    assert (decoded["i1"], decoded["i2"], decoded["i4"], decoded["i8"]) == (i1, i2, i4, i8)
    assert decoded["f8"] == f  # a float32 widened exactly
    assert decoded["s"] == s


@pytest.mark.parametrize(
    ("element", "message"),
    [
        (Element.integer(256, 1), "element 1: integer 256 with length 1"),
        (Element.integer(70000, 2), "element 1: integer 70000 with length 2"),
        (Element.integer(1, 3), "element 1: integer 1 with length 3"),
        (Element.string("abcdef", 5), "element 1: string 'abcdef' with length 5 does not fit"),
        (Element("float", 1.0, 2), "element 1: float 1.0 with length 2 needs length 4 or 8"),
        (Element.string("x" * 51, 60), "element 1: string of 51 bytes exceeds NCE_SDK_MAX_STRING_SIZE"),
        (Element.integer(2**40, 8), "is not a C int"),
    ],
)
def test_bad_elements_name_their_position(element: Element, message: str) -> None:
    with pytest.raises(EnergySaverError, match=message):
        energy_save(1, Element.integer(1), element)


def test_selector_out_of_range() -> None:
    with pytest.raises(EnergySaverError, match="selector 256"):
        energy_save(256)
    assert energy_save(-1) == b"\xff"
