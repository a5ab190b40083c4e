"""A compiled template as the flat tables the C encoder walks (nce_bcl.h).

One lowering serves both `hil bcl gen-c` (C source text) and the cffi binding (the same tables
in memory), so the generated header and the host tests exercise identical data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from sdk_bindings.bcl.errors import TemplateError
from sdk_bindings.bcl.template import (
    CaseValue,
    CompiledTemplate,
    ConstantMapping,
    PayloadMapping,
    Selector,
    Statement,
    Switch,
)

OP_FIELD, OP_SWITCH, OP_CASE, OP_DEFAULT = 0, 1, 2, 3
TYPE_CODES: Final = {"int": 0, "uint": 1, "float": 2, "boolean": 3, "string": 4, "hex": 5}
F_LITTLE, F_BYTE, F_ENDBYTE = 0x01, 0x02, 0x04
T_CHECK_OVERLAP: Final = 0x01
_U16: Final = 0xFFFF
_CACHE_KEY: Final = "c-table"


@dataclass(frozen=True, slots=True)
class Row:
    """One nce_bcl_stmt_t; ``origin`` is the template path it came from."""

    op: int
    type: int = 0
    flags: int = 0
    slot: int = 0
    byte: int = 0
    endbyte: int = 0
    length: int = 0
    next: int = 0
    end: int = 0
    origin: str = ""


# How a value sits in nce_bcl_value_t: an asset mapped with two of these needs two slots.
REPRESENTATIONS: Final = {"int": "INT", "uint": "INT", "boolean": "INT", "string": "STR", "hex": "HEX"}


def representation(selector: Selector) -> str:
    """INT (int, uint, boolean share the 64-bit pattern), F32, F64, STR or HEX."""
    if selector.type == "float":
        return "F32" if selector.length == 4 else "F64"
    return REPRESENTATIONS[selector.type]


@dataclass(frozen=True, slots=True)
class Slot:
    """One entry of the values array: an asset in one representation, or a switch's selector."""

    index: int
    name: str  # C identifier suffix, e.g. BATTERY_LEVEL, SWITCH_0, or VALUE_F32 when needed
    label: str  # asset path, or "<statement path>.switch"
    is_switch: bool
    types: tuple[str, ...]  # field types written from this slot
    representation: str


@dataclass(frozen=True, slots=True)
class CaseConstant:
    type: str
    length: int  # the switch's bytelength (0 for a range): a 4-byte float is a C float
    value: CaseValue


@dataclass(frozen=True, slots=True)
class Table:
    rows: tuple[Row, ...]
    cases: tuple[CaseConstant, ...]
    slots: tuple[Slot, ...]
    flags: int

    def slot_of_asset(self, asset: str, selector: Selector) -> int:
        kind = representation(selector)
        return next(
            s.index for s in self.slots if not s.is_switch and (s.label, s.representation) == (asset, kind)
        )

    def slot_of_switch(self, switch: Switch) -> int:
        return next(s.index for s in self.slots if s.is_switch and s.label == switch.label)


def lower(compiled: CompiledTemplate) -> Table:
    """The C tables for a template (cached); raises TemplateError for what C cannot encode."""
    table = compiled.cache.get(_CACHE_KEY)
    if not isinstance(table, Table):
        table = compiled.cache[_CACHE_KEY] = _Lowering().run(compiled)
    return table


class _Lowering:
    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.cases: list[CaseConstant] = []
        self.slot_by_key: dict[tuple[str, str], int] = {}
        self.slot_types: dict[int, list[str]] = {}
        self.slot_is_switch: dict[int, bool] = {}
        self.switches = 0
        self.spans: list[tuple[Selector, dict[int, int]]] = []
        self.case_path: dict[int, int] = {}

    def run(self, compiled: CompiledTemplate) -> Table:
        self._block(compiled.statements)
        if len(self.rows) > _U16 or len(self.cases) > _U16:
            raise TemplateError("sense", "too many statements for the C tables (at most 65535)")
        return Table(
            rows=tuple(self.rows),
            cases=tuple(self.cases),
            slots=self._slots(),
            flags=T_CHECK_OVERLAP if self._may_overlap() else 0,
        )

    def _block(self, statements: tuple[Statement, ...]) -> None:
        for statement in statements:
            if isinstance(statement, PayloadMapping):
                slot = self._slot(statement.asset, statement.selector, is_switch=False)
                self.rows.append(self._field(OP_FIELD, statement.selector, slot, statement.path))
            elif isinstance(statement, Switch):
                self._switch(statement)
            elif not isinstance(statement, ConstantMapping):  # pragma: no cover - exhaustive
                raise TypeError(statement)

    def _switch(self, switch: Switch) -> None:
        switch_id = self.switches
        self.switches += 1
        slot = self._slot(switch.label, switch.selector, is_switch=True)
        at = len(self.rows)
        self.rows.append(self._field(OP_SWITCH, switch.selector, slot, switch.label))
        headers: list[int] = []
        for index, case in enumerate(switch.cases):
            headers.append(len(self.rows))
            if case.value is None:
                self.rows.append(Row(op=OP_DEFAULT, origin=case.path))
            else:
                self.rows.append(Row(op=OP_CASE, slot=len(self.cases), origin=case.path))
                self.cases.append(CaseConstant(switch.selector.type, switch.selector.length or 0, case.value))
            self.case_path[switch_id] = index
            self._block(case.body)
            del self.case_path[switch_id]
        end = len(self.rows)
        self.rows[at] = _with(self.rows[at], end=end)
        for position, header in enumerate(headers):
            following = headers[position + 1] if position + 1 < len(headers) else end
            self.rows[header] = _with(self.rows[header], next=following, end=end)

    def _slot(self, label: str, selector: Selector, *, is_switch: bool) -> int:
        index = self.slot_by_key.setdefault((label, representation(selector)), len(self.slot_by_key))
        self.slot_is_switch[index] = is_switch
        types = self.slot_types.setdefault(index, [])
        if selector.type not in types:
            types.append(selector.type)
        return index

    def _field(self, op: int, selector: Selector, slot: int, origin: str) -> Row:
        path = selector.path
        if selector.is_range and selector.type not in ("string", "hex"):
            raise TemplateError(
                path, f"the C encoder cannot encode a byte..endbyte range of type {selector.type}"
            )
        if selector.byte is not None and selector.byte > _U16:
            raise TemplateError(f"{path}.byte", "the C encoder supports offsets up to 65535")
        if selector.endbyte is not None and selector.endbyte < -0x8000:
            raise TemplateError(f"{path}.endbyte", "the C encoder supports endbyte down to -32768")
        if selector.length is not None and selector.length > _U16:
            raise TemplateError(f"{path}.bytelength", "the C encoder supports bytelength up to 65535")
        self.spans.append((selector, dict(self.case_path)))
        flags = (F_LITTLE if selector.little else 0) | (F_BYTE if selector.byte is not None else 0)
        flags |= F_ENDBYTE if selector.endbyte is not None else 0
        return Row(
            op=op,
            type=TYPE_CODES[selector.type],
            flags=flags,
            slot=slot,
            byte=selector.byte or 0,
            endbyte=selector.endbyte or 0,
            length=selector.length or 0,
            origin=origin,
        )

    def _slots(self) -> tuple[Slot, ...]:
        names: set[str] = set()
        slots: list[Slot] = []
        kinds_per_label: dict[str, int] = {}
        for label, _ in self.slot_by_key:
            kinds_per_label[label] = kinds_per_label.get(label, 0) + 1
        for (label, kind), index in self.slot_by_key.items():
            is_switch = self.slot_is_switch[index]
            base = (
                f"SWITCH_{sum(1 for s in slots if s.is_switch)}" if is_switch else c_identifier(label).upper()
            )
            if not is_switch and kinds_per_label[label] > 1:
                base = f"{base}_{kind}"  # the same asset as a number and as text, say
            name, counter = base, 2
            while name in names or name == "VALUE_COUNT":
                name, counter = f"{base}_{counter}", counter + 1
            names.add(name)
            slots.append(Slot(index, name, label, is_switch, tuple(self.slot_types[index]), kind))
        return tuple(slots)

    def _may_overlap(self) -> bool:
        """Whether two fields on one path could share a byte (then the encoder verifies)."""
        fixed = []
        for selector, cases in self.spans:
            if selector.byte is None or selector.length is None:
                return True  # positions depend on the payload length
            fixed.append((selector.byte, selector.byte + selector.length, cases))
        for i, (start, end, cases) in enumerate(fixed):
            for other_start, other_end, other_cases in fixed[i + 1 :]:
                together = all(other_cases.get(k, v) == v for k, v in cases.items())
                if together and start < other_end and other_start < end:
                    return True
        return False


def _with(row: Row, **changes: int) -> Row:
    fields = {name: getattr(row, name) for name in Row.__slots__}
    fields.update(changes)
    return Row(**fields)


def c_identifier(text: str) -> str:
    """A C identifier from an asset path or template name: other characters become '_'."""
    name = re.sub(r"[^0-9A-Za-z_]", "_", text).strip("_") or "X"
    return f"_{name}" if name[0].isdigit() else name
