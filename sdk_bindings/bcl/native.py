"""The C template encoder (nce_bcl_encode) over a template's tables, through cffi.

The tables are the ones `hil bcl gen-c` prints (same lowering), built in memory once per
template. ``encode(values)`` lets the Python planner pick the switch cases (and default-case
selector values), then hands every slot to C, which lays out and writes the payload itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from sdk_bindings._native import ffi, lib
from sdk_bindings.bcl.encoder import Plan, Write, plan_encoding
from sdk_bindings.bcl.errors import BclEncodeError
from sdk_bindings.bcl.lowering import Slot, Table, lower
from sdk_bindings.bcl.template import CompiledTemplate, PayloadMapping, compile_template

SlotValue: TypeAlias = int | float | bool | str | bytes
_CACHE_KEY: Final = "native"
_MASK64: Final = (1 << 64) - 1
ERRORS: Final = {
    -1: "bad argument (NULL pointer or too few values)",
    -2: "malformed template tables",
    -3: "the payload does not fit the output buffer",
    -4: "number out of range for its field",
    -5: "string too long for its field, or hex of the wrong length",
    -6: "string ends with NUL",
    -7: "no payload length satisfies the fields",
    -8: "overlapping fields want different bytes",
}


@dataclass
class PreparedValues:
    """A values array in C memory (kept with the buffers it points into)."""

    array: Any
    keep: list[Any]


class NativeTemplate:
    """A template's C tables in memory and the C encoder over them."""

    def __init__(self, compiled: CompiledTemplate) -> None:
        self.compiled = compiled
        self.table: Table = lower(compiled)
        self._keep: list[Any] = []
        self._template = self._build(self.table)

    @classmethod
    def of(cls, template: dict[str, object] | str | bytes | CompiledTemplate) -> NativeTemplate:
        """The cached instance for a template."""
        compiled = compile_template(template)
        native = compiled.cache.get(_CACHE_KEY)
        if not isinstance(native, NativeTemplate):
            native = compiled.cache[_CACHE_KEY] = cls(compiled)
        return native

    @property
    def slots(self) -> tuple[Slot, ...]:
        return self.table.slots

    def _build(self, table: Table) -> Any:
        stmts = ffi.new("nce_bcl_stmt_t[]", max(1, len(table.rows)))
        for index, row in enumerate(table.rows):
            target = stmts[index]
            for name in ("op", "type", "flags", "slot", "byte", "endbyte", "length", "next", "end"):
                setattr(target, name, getattr(row, name))
        cases = ffi.new("nce_bcl_value_t[]", max(1, len(table.cases)))
        for index, case in enumerate(table.cases):
            _fill(cases[index], case.type, case.length, case.value, self._keep)
        template = ffi.new("nce_bcl_template_t *")
        template.stmts, template.cases = stmts, cases
        template.stmt_count, template.case_count = len(table.rows), len(table.cases)
        template.value_count, template.flags = len(table.slots), table.flags
        self._keep += [stmts, cases]
        return template

    def prepare(self, values: Sequence[tuple[str, int, SlotValue]]) -> PreparedValues:
        """A values array from (field type, bytelength, value) per slot, in slot order."""
        array = ffi.new("nce_bcl_value_t[]", max(1, len(self.table.slots)))
        keep: list[Any] = []
        for index, (field_type, length, value) in enumerate(values):
            _fill(array[index], field_type, length, value, keep)
        return PreparedValues(array, keep)

    def encode_prepared(self, prepared: PreparedValues, capacity: int = 1024) -> bytes:
        out = ffi.new("uint8_t[]", max(1, capacity))
        failed = ffi.new("size_t *")
        length = lib.nce_bcl_encode_at(
            self._template, prepared.array, len(self.table.slots), out, capacity, failed
        )
        if length < 0:
            raise self._error(length, int(failed[0]))
        return bytes(ffi.buffer(out, length))

    def plan(self, values: Mapping[str, object]) -> tuple[PreparedValues, Plan]:
        """The slots for values (shaped like decode's output), with the Python planner's plan:
        it picks the switch cases and default-case selector values."""
        plan = plan_encoding(self.compiled, values)
        slots: list[tuple[str, int, SlotValue]] = [("int", 1, 0)] * len(self.table.slots)
        for write in plan.writes:
            selector = write.selector
            slots[self._slot(write)] = (selector.type, selector.length or 0, _slot_value(write))
        return self.prepare(slots), plan

    def encode(self, values: Mapping[str, object]) -> bytes:
        """Encodes values (shaped like decode's output) with the C encoder."""
        prepared, plan = self.plan(values)
        return self.encode_prepared(prepared, capacity=max(64, 2 * len(plan.payload)))

    def bench(self, prepared: PreparedValues, iterations: int) -> tuple[int, int]:
        """Runs the encoder `iterations` times inside C: (payload length, elapsed ns)."""
        out = ffi.new("uint8_t[]", 1024)
        elapsed = ffi.new("uint64_t *")
        length = lib.nce_bench_bcl_encode(
            self._template, prepared.array, len(self.table.slots), out, 1024, iterations, elapsed
        )
        if length < 0:
            raise self._error(length, len(self.table.rows))
        return int(length), int(elapsed[0])

    def _slot(self, write: Write) -> int:
        statement = write.statement
        if isinstance(statement, PayloadMapping):
            return self.table.slot_of_asset(statement.asset, statement.selector)
        return self.table.slot_of_switch(statement)

    def _error(self, code: int, failed: int) -> BclEncodeError:
        where = self.table.rows[failed].origin if 0 <= failed < len(self.table.rows) else "template"
        return BclEncodeError(where, f"C encoder: {ERRORS.get(code, 'unknown error')} (error {code})")


def _slot_value(write: Write) -> SlotValue:
    if write.value is None:  # pragma: no cover - the planner settles every selector
        raise BclEncodeError(write.label, "no value chosen")
    return write.value


def _fill(target: Any, field_type: str, length: int, value: SlotValue, keep: list[Any]) -> None:
    """Stores one value in an nce_bcl_value_t the way the C encoder reads it for the field."""
    union = getattr(target, "as")  # the C member is named `as`, a Python keyword
    if field_type in ("string", "hex"):
        if isinstance(value, str):
            raw = bytes.fromhex(value) if field_type == "hex" else value.encode("utf-8")
        elif isinstance(value, bytes):
            raw = value
        else:
            raise BclEncodeError(field_type, f"needs text or bytes, not {value!r}")
        buffer = ffi.new("uint8_t[]", raw or b"\x00")
        keep.append(buffer)
        union.b.data = buffer
        union.b.length = len(raw)
    elif field_type == "float":
        if isinstance(value, str | bytes):
            raise BclEncodeError(field_type, f"needs a number, not {value!r}")
        if length == 4:
            union.f32 = float(value)  # the planner checked it fits a float32
        else:
            union.f = float(value)
    elif isinstance(value, int) and -(1 << 63) <= value <= _MASK64:
        union.u = int(value) & _MASK64  # int, uint and boolean share the 64-bit pattern
    else:
        raise BclEncodeError(field_type, f"needs an integer, not {value!r}")
