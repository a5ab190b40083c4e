"""BCL decoding: template + payload bytes -> the JSON object 1NCE OS produces.

Each template is compiled once into closures (cached on the CompiledTemplate): a reader per
payload selector with its struct precomputed, a runner per statement. Semantics (§3.2 of the
reference): `byte` counts from the start, `endbyte` (<= 0) from the end; both make the range
[byte, len + endbyte); numbers in big (default) or little byte order; boolean is false only for
all-zero bytes; string is UTF-8 with trailing NULs stripped (what the encoders pad with); hex is
lowercase; float32 is the shortest decimal that round-trips; non-finite floats become null.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeAlias, cast

from sdk_bindings.bcl.errors import BclDecodeError
from sdk_bindings.bcl.floats import shortest_float32
from sdk_bindings.bcl.template import (
    CompiledTemplate,
    ConstantMapping,
    PayloadMapping,
    Selector,
    Statement,
    Switch,
    compile_template,
)

JsonValue: TypeAlias = int | float | bool | str | None
Reader: TypeAlias = Callable[[bytes, int], JsonValue]
Runner: TypeAlias = Callable[[bytes, int, dict[str, object], dict[str, str] | None], None]

_STRUCT_CODES: Final = {
    ("int", 1): "b",
    ("int", 2): "h",
    ("int", 4): "i",
    ("int", 8): "q",
    ("uint", 1): "B",
    ("uint", 2): "H",
    ("uint", 4): "I",
    ("uint", 8): "Q",
    ("float", 4): "f",
    ("float", 8): "d",
}
_CACHE_KEY: Final = "decoder"


class _ReadError(Exception):
    """Raised by readers; runners turn it into a BclDecodeError naming the asset."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """The decoded object and the custom_type of each asset it contains (for the Device Locator)."""

    value: dict[str, object]
    custom_types: dict[str, str]


def decode(template: dict[str, object] | str | bytes | CompiledTemplate, payload: bytes) -> dict[str, object]:
    """Decodes payload with the template; raises TemplateError or BclDecodeError."""
    compiled = compile_template(template)
    data = payload if isinstance(payload, bytes) else bytes(payload)
    n = len(data)
    out: dict[str, object] = {}
    for run in _program(compiled):
        run(data, n, out, None)
    return out


def decode_detailed(
    template: dict[str, object] | str | bytes | CompiledTemplate, payload: bytes
) -> DecodeResult:
    """Like decode(), also telling which emitted assets carry a custom_type."""
    compiled = compile_template(template)
    data = bytes(payload)
    out: dict[str, object] = {}
    custom: dict[str, str] = {}
    for run in _program(compiled):
        run(data, len(data), out, custom)
    return DecodeResult(value=out, custom_types=custom)


def _program(compiled: CompiledTemplate) -> tuple[Runner, ...]:
    program = compiled.cache.get(_CACHE_KEY)
    if program is None:
        program = compiled.cache[_CACHE_KEY] = tuple(_runner(s) for s in compiled.statements)
    return cast(tuple[Runner, ...], program)


def _extract_error(start: int, end: int, n: int) -> _ReadError:
    return _ReadError(f"can't extract [{start}:{end}] from {n} bytes")


def make_reader(selector: Selector) -> Reader:
    """A function (payload, len(payload)) -> value for one payload selector."""
    convert = _converter(selector)
    byte, endbyte, length = selector.byte, selector.endbyte, selector.length
    if length is not None and byte is not None:
        end = byte + length

        def read_fixed(data: bytes, n: int) -> JsonValue:
            if end > n:
                raise _extract_error(byte, end, n)
            return convert(data, byte, end)

        return read_fixed
    if length is not None and endbyte is not None:
        back, tail = endbyte, endbyte + length

        def read_from_end(data: bytes, n: int) -> JsonValue:
            start = n + back
            if start < 0:
                raise _extract_error(start, n + tail, n)
            return convert(data, start, n + tail)

        return read_from_end
    first, last = cast(int, byte), cast(int, endbyte)

    def read_range(data: bytes, n: int) -> JsonValue:
        end = n + last
        if first > end:
            raise _extract_error(first, end, n)
        return convert(data, first, end)

    return read_range


Converter: TypeAlias = Callable[[bytes, int, int], JsonValue]


def _converter(selector: Selector) -> Converter:
    """Bytes [start:end] -> value. Fixed-length numbers use one precomputed struct."""
    kind = selector.type
    order = "<" if selector.little else ">"
    if kind in ("int", "uint", "float"):
        if selector.length is not None:
            return _number_converter(struct.Struct(order + _STRUCT_CODES[kind, selector.length]), kind)
        return _any_length_number(kind, order)
    if kind == "boolean":
        return lambda data, start, end: any(data[start:end])
    if kind == "hex":
        return lambda data, start, end: data[start:end].hex()
    return _string


def _number_converter(packer: struct.Struct, kind: str) -> Converter:
    unpack = packer.unpack_from
    if kind != "float":
        return lambda data, start, end: cast(int, unpack(data, start)[0])
    if packer.size == 8:
        return lambda data, start, end: _finite_or_none(cast(float, unpack(data, start)[0]))
    return lambda data, start, end: _float32_value(cast(float, unpack(data, start)[0]))


def _any_length_number(kind: str, order: str) -> Converter:
    """For byte..endbyte ranges of numbers: the length is only known per payload."""
    packers = {
        size: struct.Struct(order + _STRUCT_CODES[kind, size])
        for size in (1, 2, 4, 8)
        if (kind, size) in _STRUCT_CODES
    }
    converters = {size: _number_converter(packer, kind) for size, packer in packers.items()}

    def convert(data: bytes, start: int, end: int) -> JsonValue:
        chosen = converters.get(end - start)
        if chosen is None:
            sizes = ", ".join(map(str, converters))
            raise _ReadError(f"can't read {kind} from {end - start} bytes [{start}:{end}] (needs {sizes})")
        return chosen(data, start, end)

    return convert


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _float32_value(value: float) -> float | None:
    return shortest_float32(value) if math.isfinite(value) else None


def _string(data: bytes, start: int, end: int) -> str:
    raw = data[start:end].rstrip(b"\x00")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _ReadError(
            f"bytes [{start}:{end}] are not UTF-8 ({exc.reason} at byte {start + exc.start})"
        ) from None


def _runner(statement: Statement) -> Runner:
    if isinstance(statement, ConstantMapping):
        return _constant_runner(statement)
    if isinstance(statement, PayloadMapping):
        return _mapping_runner(statement)
    return _switch_runner(statement)


def _assign(out: dict[str, object], keys: tuple[str, ...], value: object, asset: str) -> None:
    target = out
    for key in keys[:-1]:
        child = target.setdefault(key, {})
        if not isinstance(child, dict):
            raise BclDecodeError(asset, f"'{key}' already holds a value, it cannot also hold '{asset}'")
        target = cast(dict[str, object], child)
    target[keys[-1]] = value


def _constant_runner(statement: ConstantMapping) -> Runner:
    keys, text, asset = statement.keys, statement.text, statement.asset
    if len(keys) == 1:
        key = keys[0]

        def run_flat(data: bytes, n: int, out: dict[str, object], custom: dict[str, str] | None) -> None:
            out[key] = text

        return run_flat

    def run(data: bytes, n: int, out: dict[str, object], custom: dict[str, str] | None) -> None:
        _assign(out, keys, text, asset)

    return run


def _mapping_runner(statement: PayloadMapping) -> Runner:
    read = make_reader(statement.selector)
    keys, asset, custom_type = statement.keys, statement.asset, statement.custom_type
    key = keys[0] if len(keys) == 1 and custom_type is None else None

    if key is not None:

        def run_flat(data: bytes, n: int, out: dict[str, object], custom: dict[str, str] | None) -> None:
            try:
                out[key] = read(data, n)
            except _ReadError as exc:
                raise BclDecodeError(asset, exc.detail) from None

        return run_flat

    def run(data: bytes, n: int, out: dict[str, object], custom: dict[str, str] | None) -> None:
        try:
            value = read(data, n)
        except _ReadError as exc:
            raise BclDecodeError(asset, exc.detail) from None
        _assign(out, keys, value, asset)
        if custom is not None and custom_type is not None:
            custom[asset] = custom_type

    return run


def _switch_runner(statement: Switch) -> Runner:
    read = make_reader(statement.selector)
    label = statement.label
    bodies: dict[JsonValue, tuple[Runner, ...]] = {}
    for case in statement.cases:
        if not case.is_default:
            bodies[case.value] = tuple(_runner(s) for s in case.body)
    default = statement.default
    fallback = tuple(_runner(s) for s in default.body) if default is not None else ()

    def run(data: bytes, n: int, out: dict[str, object], custom: dict[str, str] | None) -> None:
        try:
            value = read(data, n)
        except _ReadError as exc:
            raise BclDecodeError(label, exc.detail) from None
        for step in bodies.get(value, fallback):
            step(data, n, out, custom)

    return run
