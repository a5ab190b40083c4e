"""The public SDK's Energy Saver call (os_energy_save) from Python, through the C SDK.

    >>> from sdk_bindings.energy_saver import Element, energy_save
    >>> energy_save(1, Element.integer(99), Element.integer(84), Element.string("2.2.1", 5)).hex()
    '016354322e322e31'

A selector byte, then each element back to back in the chosen byte order (little by default,
like the public SDK and its blueprint templates). For full control of the layout use a
template and ``sdk_bindings.bcl.encode_native``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from sdk_bindings._native import ffi, lib

_E_TYPES: Final = {"char": 0, "float": 1, "integer": 2, "string": 3}
_MAX_STRING: Final = 50  # NCE_SDK_MAX_STRING_SIZE
_INT_RANGE: Final = (-(1 << 31), (1 << 31) - 1)


class EnergySaverError(ValueError):
    """An element the SDK refuses (NCE_SDK_BINARY_PAYLOAD_ERROR); ``index`` is its position."""

    def __init__(self, index: int | None, message: str) -> None:
        super().__init__(message if index is None else f"element {index}: {message}")
        self.index = index


@dataclass(frozen=True, slots=True)
class Element:
    """One Element2byte_gen_t: its E_Type, value and template_length (bytes in the payload)."""

    kind: Literal["char", "float", "integer", "string"]
    value: int | float | str
    length: int

    @classmethod
    def integer(cls, value: int, length: int = 1) -> Element:
        """E_INTEGER; length 1, 2, 4 or 8 (a C int, sign-extended)."""
        return cls("integer", value, length)

    @classmethod
    def float32(cls, value: float) -> Element:
        return cls("float", value, 4)

    @classmethod
    def float64(cls, value: float) -> Element:
        """E_FLOAT with template_length 8: the C float widened to a double."""
        return cls("float", value, 8)

    @classmethod
    def char(cls, value: int | str) -> Element:
        return cls("char", value, 1)

    @classmethod
    def string(cls, value: str, length: int) -> Element:
        """E_STRING, NUL-padded to length bytes."""
        return cls("string", value, length)


def energy_save(selector: int, *elements: Element, byteorder: Literal["little", "big"] = "little") -> bytes:
    """The payload nce_energy_save() writes; raises EnergySaverError naming the bad element."""
    array = ffi.new("Element2byte_gen_t[]", max(1, len(elements)))
    for index, element in enumerate(elements):
        _fill(array[index], element, index)
    capacity = 1 + sum(max(0, e.length) for e in elements)
    out = ffi.new("uint8_t[]", capacity)
    order = 0 if byteorder == "little" else 1
    if not -128 <= selector <= 255:
        raise EnergySaverError(None, f"selector {selector} does not fit one byte (-128..255)")
    length = int(lib.nce_energy_save(out, capacity, order, selector, array, len(elements)))
    if length < 0:
        raise EnergySaverError(
            _first_bad(array, len(elements), order, selector), _why(elements, array, order)
        )
    return bytes(ffi.buffer(out, length))


def _fill(target: Any, element: Element, index: int) -> None:
    if element.kind not in _E_TYPES:
        raise EnergySaverError(index, f"unknown kind {element.kind!r}")
    target.type = _E_TYPES[element.kind]
    target.template_length = element.length
    value = element.value
    if element.kind == "string":
        raw = str(value).encode("utf-8")
        if len(raw) > _MAX_STRING:
            raise EnergySaverError(index, f"string of {len(raw)} bytes exceeds NCE_SDK_MAX_STRING_SIZE (50)")
        ffi.memmove(target.value.s, raw, len(raw))
    elif element.kind == "char":
        code = ord(value) if isinstance(value, str) and len(value) == 1 else value
        if not isinstance(code, int) or not 0 <= code <= 255:
            raise EnergySaverError(index, f"a char is one byte, not {value!r}")
        target.value.c = code.to_bytes(1, "little")
    elif element.kind == "float":
        target.value.f = float(value)
    else:
        if not isinstance(value, int) or not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
            raise EnergySaverError(index, f"{value!r} is not a C int")
        target.value.i = value


def _first_bad(array: Any, count: int, order: int, selector: int) -> int | None:
    """Re-runs on growing prefixes: the first prefix that fails ends with the bad element."""
    scratch = ffi.new("uint8_t[]", 1 << 16)
    for end in range(1, count + 1):
        if lib.nce_energy_save(scratch, len(scratch), order, selector, array, end) < 0:
            return end - 1
    return None


def _why(elements: tuple[Element, ...], array: Any, order: int) -> str:
    bad = _first_bad(array, len(elements), order, 0)
    if bad is None:
        return "NCE_SDK_BINARY_PAYLOAD_ERROR"
    element = elements[bad]
    hints = {
        "integer": "needs length 1, 2, 4 or 8 and a value that fits it",
        "float": "needs length 4 or 8",
        "char": "needs length 1",
        "string": "does not fit its length",
    }
    return f"{element.kind} {element.value!r} with length {element.length} {hints[element.kind]}"
