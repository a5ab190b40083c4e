"""BCL encoding: template + values (shaped like decode's output) -> payload bytes.

Planning picks, for every switch, the case whose statements the values fit (all its payload
assets given, its constants equal when given, every value used), backtracking when a choice
leads to conflicting bytes. Layout then follows the same rule as the C encoder (nce_bcl.h):
length = end of the last byte-addressed field + the largest -endbyte, unless a byte..endbyte
range (string or hex) fixes it; gaps are zero; overlapping fields must agree byte for byte.
A switch that runs its default case (or no case) gets a selector value no case matches: the
bytes other fields put there, or else the first of 0, 1, 2, ... (or "", "0", ...) that fits.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

from sdk_bindings.bcl.decoder import JsonValue, _ReadError, make_reader
from sdk_bindings.bcl.errors import BclEncodeError
from sdk_bindings.bcl.template import (
    MAX_PAYLOAD,
    Case,
    CaseValue,
    CompiledTemplate,
    ConstantMapping,
    PayloadMapping,
    Selector,
    Statement,
    Switch,
    compile_template,
)

_INT_CODES: Final = {1: "b", 2: "h", 4: "i", 8: "q"}
_UINT_CODES: Final = {1: "B", 2: "H", 4: "I", 8: "Q"}
_HEX_TEXT: Final = re.compile(r"(?:[0-9a-fA-F]{2})*")
_MAX_PLANS: Final = 2000  # switch combinations tried before giving up
_MAX_FILLERS: Final = 512  # selector values tried for a default case


@dataclass(frozen=True, slots=True)
class Write:
    """One field on the chosen path: a mapping's value or a switch's selector value."""

    statement: PayloadMapping | Switch
    value: JsonValue  # None (for now) for a free selector
    excluded: tuple[CaseValue, ...] = ()  # free selector: the values it must not decode to
    free: bool = False

    @property
    def selector(self) -> Selector:
        return self.statement.selector

    @property
    def label(self) -> str:
        return self.statement.asset if isinstance(self.statement, PayloadMapping) else self.statement.label


@dataclass(frozen=True, slots=True)
class Plan:
    """The chosen path: each write with its final value, and the payload."""

    writes: tuple[Write, ...]
    payload: bytes


class _PlanError(Exception):
    def __init__(self, asset: str, detail: str) -> None:
        super().__init__(detail)
        self.asset = asset
        self.detail = detail


def encode(
    template: dict[str, object] | str | bytes | CompiledTemplate, values: Mapping[str, object]
) -> bytes:
    """Encodes values with the template; raises TemplateError or BclEncodeError."""
    return plan_encoding(template, values).payload


def plan_encoding(
    template: dict[str, object] | str | bytes | CompiledTemplate, values: Mapping[str, object]
) -> Plan:
    """Chooses the cases and lays out the payload (used by encode() and by the C binding)."""
    compiled = compile_template(template)
    return _Planner(compiled, flatten_values(values)).run()


def flatten_values(values: Mapping[str, object]) -> dict[str, object]:
    """{"gps": {"lat": 1.5}} -> {"gps.lat": 1.5}; dotted keys are taken as they are."""
    if not isinstance(values, Mapping):
        raise BclEncodeError("values", f"must be a JSON object, not {type(values).__name__}")
    flat: dict[str, object] = {}
    _flatten_into(values, "", flat)
    return flat


def _flatten_into(values: Mapping[str, object], prefix: str, flat: dict[str, object]) -> None:
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            raise BclEncodeError(prefix or "values", f"keys must be non-empty strings, not {key!r}")
        path = prefix + key
        if isinstance(value, Mapping):
            _flatten_into(value, path + ".", flat)
        elif path in flat:
            raise BclEncodeError(path, "given twice (nested and dotted)")
        else:
            flat[path] = value


@dataclass
class _State:
    writes: list[Write] = field(default_factory=list)
    used: set[str] = field(default_factory=set)


class _Planner:
    def __init__(self, compiled: CompiledTemplate, flat: dict[str, object]) -> None:
        self.flat = flat
        self.statements = compiled.statements
        self.tries = 0
        self.first_failure: _PlanError | None = None
        self.exact = True  # first pass: emit no constant the values do not mention

    def run(self) -> Plan:
        """A plan that decodes to exactly the values if there is one, else one that adds constants."""
        try:
            plan = self._explore(self.statements, _State())
            if plan is None:
                self.exact, self.tries, self.first_failure = False, 0, None
                plan = self._explore(self.statements, _State())
        except RecursionError:  # one level per switch on the path
            raise BclEncodeError("values", "too many switches on one path to plan the encoding") from None
        if plan is not None:
            return plan
        failure = self.first_failure or _PlanError("values", "no case of the template fits these values")
        raise BclEncodeError(failure.asset, failure.detail)

    def _fail(self, asset: str, detail: str) -> None:
        if self.first_failure is None:
            self.first_failure = _PlanError(asset, detail)

    def _explore(self, pending: tuple[Statement, ...], state: _State) -> Plan | None:
        self.tries += 1
        if self.tries > _MAX_PLANS:
            raise BclEncodeError("values", f"gave up after {_MAX_PLANS} switch-case combinations")
        for index, statement in enumerate(pending):
            if isinstance(statement, Switch):
                return self._branch(statement, pending[index + 1 :], state)
            try:
                self._take(statement, state)
            except _PlanError as failure:
                self._fail(failure.asset, failure.detail)
                return None
        return self._finish(state)

    def _take(self, statement: PayloadMapping | ConstantMapping, state: _State) -> None:
        given = self.flat.get(statement.asset, _MISSING)
        state.used.add(statement.asset)
        if isinstance(statement, ConstantMapping):
            if given is not _MISSING and given != statement.text:
                raise _PlanError(statement.asset, f"is the constant {statement.text!r}, not {given!r}")
            if given is _MISSING and self.exact:
                raise _PlanError(statement.asset, "a constant the values do not mention")
            return
        if given is _MISSING:
            raise _PlanError(statement.asset, "no value given")
        state.writes.append(Write(statement, check_value(statement.selector, given, statement.asset)))

    def _branch(self, switch: Switch, rest: tuple[Statement, ...], state: _State) -> Plan | None:
        for case in self._ranked_cases(switch):
            if case.is_default or case.value is None:
                excluded = tuple(c.value for c in switch.cases if c.value is not None)
                write = Write(switch, None, excluded=excluded, free=True)
            else:
                write = Write(switch, case.value)
            branch = _State(writes=[*state.writes, write], used=set(state.used))
            plan = self._explore(case.body + rest, branch)
            if plan is not None:
                return plan
        return None

    def _ranked_cases(self, switch: Switch) -> list[Case]:
        """Cases whose assets the values mention most come first; among equals, those that emit
        fewer constants nobody asked for (so decode(encode(x)) == x where possible)."""
        candidates = list(switch.cases)
        if switch.default is None:
            candidates.append(Case(path=switch.path, value=None, body=()))
        return sorted(candidates, key=lambda case: self._fit(case.body), reverse=True)

    def _fit(self, body: tuple[Statement, ...]) -> tuple[int, int]:
        """(values this body uses, minus constants it adds that the values do not mention)."""
        used, extra = 0, 0
        for statement in body:
            if isinstance(statement, Switch):
                best = max((self._fit(case.body) for case in statement.cases), default=(0, 0))
                used, extra = used + best[0], extra + best[1]
            elif statement.asset in self.flat:
                if isinstance(statement, ConstantMapping) and self.flat[statement.asset] != statement.text:
                    return (-1_000_000, 0)  # a given constant that differs rules the case out
                used += 1
            elif isinstance(statement, ConstantMapping):
                extra -= 1
        return (used, extra)

    def _finish(self, state: _State) -> Plan | None:
        unused = [path for path in self.flat if path not in state.used]
        if unused:
            self._fail(unused[0], f"not used by the template on this path (unused: {', '.join(unused)})")
            return None
        try:
            return _lay_out(state.writes)
        except _PlanError as failure:
            self._fail(failure.asset, failure.detail)
            return None


_MISSING: Final = object()


def check_value(selector: Selector, value: object, asset: str) -> JsonValue:
    """The value, checked against the field type (numbers in range, strings that fit)."""
    kind = selector.type
    if selector.is_range and kind not in ("string", "hex"):
        raise _PlanError(asset, f"a byte..endbyte range of type {kind} cannot be encoded (give a bytelength)")
    if kind in ("int", "uint"):
        return _check_int(selector, value, asset)
    if kind == "float":
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _PlanError(asset, f"needs a number, not {value!r}")
        number = float(value)
        if selector.length == 4 and math.isfinite(number):
            try:
                struct.pack("<f", number)
            except OverflowError:
                raise _PlanError(asset, f"{value!r} is too large for a 4-byte float") from None
        return number
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _PlanError(asset, f"needs true or false, not {value!r}")
        return value
    if not isinstance(value, str):
        raise _PlanError(asset, f"needs a string, not {value!r}")
    _field_bytes(selector, value, asset)  # length and content checks
    return value


def _check_int(selector: Selector, value: object, asset: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _PlanError(asset, f"needs an integer, not {value!r}")
    bits = 8 * (selector.length or 8)
    low, high = (
        (0, (1 << bits) - 1) if selector.type == "uint" else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    )
    if not low <= value <= high:
        raise _PlanError(asset, f"{value} is out of range for {selector.type}{bits} ({low}..{high})")
    return value


def _field_bytes(selector: Selector, value: JsonValue, asset: str) -> bytes:
    """The bytes of one field; for a range, as many as the value has."""
    kind, length = selector.type, selector.length
    order = "<" if selector.little else ">"
    if kind == "int":
        return struct.pack(order + _INT_CODES[length or 8], value)
    if kind == "uint":
        return struct.pack(order + _UINT_CODES[length or 8], value)
    if kind == "float":
        return struct.pack(order + ("f" if length == 4 else "d"), value)
    if kind == "boolean":
        flag = b"\x01" if value else b"\x00"
        padding = b"\x00" * ((length or 1) - 1)
        return flag + padding if selector.little else padding + flag
    if kind == "hex":
        return _hex_bytes(selector, str(value), asset)
    return _string_bytes(selector, str(value), asset)


def _hex_bytes(selector: Selector, text: str, asset: str) -> bytes:
    if not _HEX_TEXT.fullmatch(text):
        raise _PlanError(asset, f"{text!r} is not hex digits in pairs")
    raw = bytes.fromhex(text)
    if selector.length is not None and len(raw) != selector.length:
        raise _PlanError(asset, f"needs exactly {selector.length} bytes of hex, got {len(raw)}")
    return raw


def _string_bytes(selector: Selector, text: str, asset: str) -> bytes:
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        raise _PlanError(asset, f"{text!r} cannot be encoded as UTF-8") from None
    if raw.endswith(b"\x00"):
        raise _PlanError(asset, "a string may not end with NUL (decoding strips trailing NULs)")
    if selector.length is None:
        return raw
    if len(raw) > selector.length:
        raise _PlanError(asset, f"{len(raw)} bytes of UTF-8 do not fit bytelength {selector.length}")
    return raw + b"\x00" * (selector.length - len(raw))


def _lay_out(writes: list[Write]) -> Plan:
    fixed_end, tail, total = 0, 0, None
    encoded: list[bytes | None] = []
    for write in writes:
        selector = write.selector
        raw = None if write.free else _field_bytes(selector, write.value, write.label)
        encoded.append(raw)
        if selector.is_range:
            if raw is None:
                raise _PlanError(
                    write.label, "a byte..endbyte switch needs a case value; map its bytes to an asset"
                )
            needed = int(selector.byte or 0) + len(raw) - int(selector.endbyte or 0)
            if total is not None and needed != total:
                raise _PlanError(write.label, f"needs a {needed}-byte payload, another range needs {total}")
            total = needed
        elif selector.byte is not None:
            fixed_end = max(fixed_end, selector.byte + int(selector.length or 0))
        else:
            tail = max(tail, -int(selector.endbyte or 0))
    if total is None:
        total = fixed_end + tail
    elif fixed_end > total or tail > total:
        raise _PlanError(writes[-1].label, f"the byte..endbyte range makes a {total}-byte payload, too short")
    if total > MAX_PAYLOAD:
        raise _PlanError(writes[-1].label, f"the payload would be {total} bytes, more than {MAX_PAYLOAD}")
    return _Payload(total).fill(writes, encoded)


class _Payload:
    """A payload under construction that remembers which bytes a field has set."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.data = bytearray(total)
        self.taken = bytearray(total)

    def span(self, selector: Selector, size: int) -> tuple[int, int]:
        start = selector.byte if selector.byte is not None else self.total + int(selector.endbyte or 0)
        return start, start + size

    def put(self, start: int, raw: bytes, label: str) -> None:
        for offset, byte in enumerate(raw):
            at = start + offset
            if self.taken[at] and self.data[at] != byte:
                raise _PlanError(label, f"byte {at} is also set to {self.data[at]:#04x} by another field")
        self.data[start : start + len(raw)] = raw
        self.taken[start : start + len(raw)] = b"\x01" * len(raw)

    def fill(self, writes: list[Write], encoded: list[bytes | None]) -> Plan:
        for write, raw in zip(writes, encoded, strict=True):
            if raw is not None:
                self.put(self.span(write.selector, len(raw))[0], raw, write.label)
        free = [w for w in writes if w.free]
        settled = {id(w): self._settle(w, free) for w in free}
        final = [settled[id(w)] if w.free else w for w in writes]
        return Plan(writes=tuple(final), payload=bytes(self.data))

    def _avoids_cases(self, write: Write) -> bool:
        """Whether a free selector whose bytes are all set decodes to no case value (or is unset)."""
        start, end = self.span(write.selector, int(write.selector.length or 0))
        if not all(self.taken[start:end]):
            return True
        value = self._read(write.selector)
        return value is not None and value not in write.excluded

    def _settle(self, write: Write, free: list[Write]) -> Write:
        """A free selector: keep the bytes other fields put there, or pick a non-matching value."""
        selector = write.selector
        start, end = self.span(selector, int(selector.length or 0))
        if all(self.taken[start:end]):
            if not self._avoids_cases(write):
                value = self._read(selector)
                raise _PlanError(write.label, f"other fields set its bytes to {value!r}, which picks a case")
            return Write(write.statement, self._read(selector))
        for candidate in _fillers(selector):
            if candidate in write.excluded:
                continue
            raw = _field_bytes(selector, candidate, write.label)
            if any(self.taken[start + i] and self.data[start + i] != b for i, b in enumerate(raw)):
                continue
            saved = (self.data[start:end], self.taken[start:end])
            self.put(start, raw, write.label)
            if all(self._avoids_cases(other) for other in free):  # e.g. two switches on one byte
                return Write(write.statement, self._read(selector))
            self.data[start:end], self.taken[start:end] = saved
        raise _PlanError(write.label, "found no selector value that avoids every case")

    def _read(self, selector: Selector) -> JsonValue:
        try:
            return make_reader(selector)(bytes(self.data), self.total)
        except _ReadError:
            return None


def _fillers(selector: Selector) -> Iterator[JsonValue]:
    length = selector.length or 1
    kind = selector.type
    if kind == "boolean":
        yield from (False, True)
    elif kind == "string":
        yield ""
        yield from (t for t in map(str, range(_MAX_FILLERS)) if len(t) <= length)
    elif kind == "hex":
        yield from (k.to_bytes(length, "big").hex() for k in range(min(_MAX_FILLERS, 256**length)))
    elif kind == "float":
        yield from (float(k) for k in range(_MAX_FILLERS))
    else:
        yield from range(min(_MAX_FILLERS, 1 << (8 * length - (kind == "int"))))
