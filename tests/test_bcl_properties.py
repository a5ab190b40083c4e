"""Property tests: for random templates and values, the C encoder (through cffi) and the Python
encoder write the same bytes, and decoding gives the values back."""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdk_bindings import bcl
from sdk_bindings.bcl.floats import shortest_float32

# NCE_BCL_EXAMPLES=5000 for a long run; the default keeps the suite fast.
EXAMPLES = int(os.environ.get("NCE_BCL_EXAMPLES", "150"))
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

NUMBER_TYPES = [
    ("int", 1),
    ("int", 2),
    ("int", 4),
    ("int", 8),
    ("uint", 1),
    ("uint", 2),
    ("uint", 4),
    ("uint", 8),
]
FIELD_KINDS = [*NUMBER_TYPES, ("float", 4), ("float", 8), ("boolean", 1), ("string", 0), ("hex", 0)]
SWITCH_KINDS = [("int", 1), ("uint", 2), ("int", 2), ("boolean", 1), ("string", 2), ("hex", 1), ("float", 4)]
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6)


def _float32(value: float) -> float:
    return shortest_float32(struct.unpack("<f", struct.pack("<f", value))[0])


def _value_strategy(kind: str, length: int | None) -> st.SearchStrategy[Any]:
    if kind in ("int", "uint"):
        bits = 8 * (length or 1)
        low, high = (0, (1 << bits) - 1) if kind == "uint" else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
        return st.integers(low, high)
    if kind == "float":
        if length == 4:
            return st.floats(width=32, allow_nan=False, allow_infinity=False).map(_float32)
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "hex":
        return st.binary(min_size=length or 0, max_size=length or 5).map(bytes.hex)
    text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=length or 5)
    return text.filter(lambda s: length is None or len(s.encode()) <= length)


@dataclass
class _Builder:
    """Draws a template whose fields never overlap on any execution path, and values for it."""

    draw: Any
    names: int = 0
    values: dict[str, Any] = field(default_factory=dict)

    def name(self) -> str:
        self.names += 1
        return f"g{self.names % 3}.n{self.names}" if self.draw(st.booleans()) else f"n{self.names}"

    def field(self, cursor: int) -> tuple[dict[str, Any], int]:
        kind, size = self.draw(st.sampled_from(FIELD_KINDS))
        length = size or self.draw(st.integers(1, 6))
        selector = {"byte": cursor, "bytelength": length, "type": kind}
        if self.draw(st.booleans()):
            selector["byteorder"] = self.draw(st.sampled_from(["big", "little"]))
        return selector, cursor + length

    def block(self, cursor: int, depth: int, run: bool) -> tuple[list[dict[str, Any]], int]:
        """Statements from cursor; run says whether this block is on the chosen path."""
        statements: list[dict[str, Any]] = []
        for _ in range(self.draw(st.integers(0, 4))):
            choice = self.draw(st.integers(0, 5 if depth < 2 else 4))
            if choice == 0:
                asset, text = self.name(), self.draw(TEXT)
                statements.append({"asset": asset, "value": text})
                if run:
                    self.values[asset] = text
            elif choice == 5:
                switch, cursor = self.switch(cursor, depth, run)
                statements.append(switch)
            else:
                selector, end = self.field(cursor)
                asset = self.name()
                statements.append({"asset": asset, "value": selector})
                if run:
                    self.values[asset] = self.draw(_value_strategy(selector["type"], selector["bytelength"]))
                cursor = end
        return statements, cursor

    def switch(self, cursor: int, depth: int, run: bool) -> tuple[dict[str, Any], int]:
        kind, length = self.draw(st.sampled_from(SWITCH_KINDS))
        selector = {"byte": cursor, "bytelength": length, "type": kind}
        case_values = self.draw(st.lists(_value_strategy(kind, length), min_size=0, max_size=3, unique=True))
        has_default = self.draw(st.booleans()) and not (kind == "boolean" and len(case_values) == 2)
        options = len(case_values) + 1  # the last option: default (or no case at all)
        exhausted = kind == "boolean" and len(case_values) == 2 and not has_default  # no value left
        chosen = self.draw(st.integers(0, options - 1 - exhausted)) if run else -1
        on, end = [], cursor + length
        for index, value in enumerate(case_values):
            body, body_end = self.block(cursor + length, depth + 1, run and index == chosen)
            on.append({"case": value, "do": body})
            end = max(end, body_end)
        if has_default:
            body, body_end = self.block(cursor + length, depth + 1, run and chosen == options - 1)
            on.insert(self.draw(st.integers(0, len(on))), {"default": True, "do": body})
            end = max(end, body_end)
        return {"switch": selector, "on": on}, end

    def tail(self, template: list[dict[str, Any]], end: int) -> None:
        """Optionally an endbyte field and a byte..endbyte range after everything else."""
        back = 0
        if self.draw(st.booleans()):
            kind, size = self.draw(st.sampled_from(NUMBER_TYPES))
            back = size
            asset = self.name()
            template.append({"asset": asset, "value": {"endbyte": -size, "bytelength": size, "type": kind}})
            self.values[asset] = self.draw(_value_strategy(kind, size))
        if self.draw(st.booleans()):
            kind = self.draw(st.sampled_from(["string", "hex"]))
            asset = self.name()
            template.append({"asset": asset, "value": {"byte": end, "endbyte": -back, "type": kind}})
            self.values[asset] = self.draw(_value_strategy(kind, None))


@st.composite
def templates_and_values(draw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    builder = _Builder(draw)
    statements, end = builder.block(0, 0, True)
    builder.tail(statements, end + 8)  # beyond the widest path
    return {"sense": statements}, builder.values


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        *parents, last = path.split(".")
        target = nested
        for key in parents:
            target = target.setdefault(key, {})
        target[last] = value
    return nested


@PROPERTY_SETTINGS
@given(templates_and_values())
def test_c_and_python_encoders_agree_and_decoding_inverts_them(
    case: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    template, flat = case
    compiled = bcl.compile_template(template)
    values = _nest(flat)
    python_bytes = bcl.encode(compiled, values)
    assert bcl.encode_native(compiled, values) == python_bytes
    assert bcl.decode(compiled, python_bytes) == values


@PROPERTY_SETTINGS
@given(templates_and_values())
def test_constants_may_be_left_out(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    template, flat = case
    compiled = bcl.compile_template(template)
    constants = {s.asset for s in compiled.walk() if isinstance(s, bcl.template.ConstantMapping)}
    given_values = {k: v for k, v in flat.items() if k not in constants}
    payload = bcl.encode(compiled, _nest(given_values))
    assert bcl.encode_native(compiled, _nest(given_values)) == payload
    decoded = bcl.decode(compiled, payload)
    flat_decoded = _flatten(decoded)
    assert {k: flat_decoded[k] for k in given_values} == given_values
    assert set(flat_decoded) - set(given_values) <= constants


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[prefix + key] = value
    return flat


@PROPERTY_SETTINGS
@given(templates_and_values(), st.binary(max_size=64))
def test_decoding_any_payload_gives_a_value_or_a_decode_error(
    case: tuple[dict[str, Any], dict[str, Any]], payload: bytes
) -> None:
    template, _ = case
    try:
        decoded = bcl.decode(template, payload)
    except bcl.BclDecodeError as exc:
        assert str(exc).startswith("Asset path:")
        return
    if None in _flatten(decoded).values():
        return  # a NaN or infinite float decodes as null, which has no bytes to encode
    # whatever decodes re-encodes to a payload that decodes the same (gaps and padding aside)
    assert bcl.decode(template, bcl.encode(template, decoded)) == decoded


# ---- float32: the shortest decimal that round-trips, checked against an exact oracle ---------


def _interval(bits: int) -> tuple[Fraction, Fraction, bool]:
    """Exact bounds of the decimals that round to the positive float32 with these bits."""
    value = Fraction(struct.unpack("<f", struct.pack("<I", bits))[0])
    below = Fraction(struct.unpack("<f", struct.pack("<I", bits - 1))[0]) if bits > 0 else -value
    if bits + 1 == 0x7F800000:  # the largest finite float32: above it is the overflow threshold
        above = value + (value - below)
    else:
        above = Fraction(struct.unpack("<f", struct.pack("<I", bits + 1))[0])
    return (value + below) / 2, (value + above) / 2, bits % 2 == 0


def _shortest_digits(bits: int) -> tuple[int, list[Fraction]]:
    low, high, inclusive = _interval(bits)
    for exponent in range(40, -60, -1):
        scale = Fraction(10) ** exponent
        first = math.ceil(low / scale)
        last = math.floor(high / scale)
        hits = [k * scale for k in range(first, last + 1) if inclusive or low < k * scale < high]
        hits = [h for h in hits if h != 0]
        if hits:
            digits = len(str(abs(hits[0] / scale).numerator))
            return digits, hits
    raise AssertionError("no decimal found")


@settings(max_examples=400, deadline=None)
@given(st.integers(1, 0x7F7FFFFF))
def test_shortest_float32_matches_exact_oracle(bits: int) -> None:
    value = struct.unpack("<f", struct.pack("<I", bits))[0]
    result = shortest_float32(value)
    assert struct.unpack("<f", struct.pack("<f", result))[0] == value
    digits, hits = _shortest_digits(bits)
    printed = Decimal(repr(result)).normalize()
    assert len(printed.as_tuple().digits) == digits, (value, result, hits)
    assert Fraction(printed) in hits
    closest = min(abs(hit - Fraction(value)) for hit in hits)
    assert abs(Fraction(printed) - Fraction(value)) == closest


def test_shortest_float32_at_powers_of_two_and_extremes() -> None:
    for bits in [
        0x00000001,
        0x00800000,
        0x3F800000,
        0x4B800000,
        0x7F000000,
        0x7F7FFFFF,
        0x0B800000,
        0x33800000,
    ]:
        test_shortest_float32_matches_exact_oracle.hypothesis.inner_test(bits)  # type: ignore[attr-defined]
