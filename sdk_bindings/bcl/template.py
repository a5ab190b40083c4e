"""BCL templates: validation with statement paths, and the compiled statement tree.

The 1NCE dialect of the Binary Conversion Language (1nce-reference.md §3.2): a JSON object with
a `sense` block of mapping statements (`asset` + constant or payload selector), control
statements (`switch` + `on` cases) and comment statements. Validation is strict where a mistake
would silently decode wrong (unknown fields, cases that can never match, impossible lengths) and
every error names the statement path, e.g. ``sense[2].on[0].do[1].value.bytelength``.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterator
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import Final, Literal, TypeAlias, cast

from sdk_bindings.bcl.errors import TemplateError
from sdk_bindings.bcl.floats import round_to_float32, shortest_float32

FieldType: TypeAlias = Literal["int", "uint", "float", "boolean", "string", "hex"]
FIELD_TYPES: Final[tuple[FieldType, ...]] = ("int", "uint", "float", "boolean", "string", "hex")
NUMBER_LENGTHS: Final[dict[str, tuple[int, ...]]] = {
    "int": (1, 2, 4, 8),
    "uint": (1, 2, 4, 8),
    "float": (4, 8),
}
CUSTOM_TYPES: Final[tuple[str, ...]] = ("location_lat", "location_long")
CaseValue: TypeAlias = str | int | float | bool
_HEX_DIGITS: Final = frozenset("0123456789abcdef")
_MAX_NESTING: Final = 64
MAX_PAYLOAD: Final = 65535  # no UDP or CoAP payload is longer; offsets beyond it can never match

_TOP_FIELDS = ("sense", "comment", "name", "version")
_MAPPING_FIELDS = ("asset", "value", "comment", "custom_type")
_SWITCH_FIELDS = ("switch", "on", "comment")
_CASE_FIELDS = ("case", "default", "do", "comment")
_SELECTOR_FIELDS = ("byte", "endbyte", "bytelength", "byteorder", "type", "comment", "signed")


@dataclass(frozen=True, slots=True)
class Selector:
    """A payload selector: where the bytes are and how to read them."""

    path: str
    type: FieldType
    byte: int | None
    endbyte: int | None
    length: int | None  # None for a byte..endbyte range
    little: bool

    @property
    def is_range(self) -> bool:
        return self.length is None


@dataclass(frozen=True, slots=True)
class PayloadMapping:
    """``{"asset": ..., "value": {payload selector}}``."""

    path: str
    asset: str
    keys: tuple[str, ...]
    selector: Selector
    custom_type: str | None = None


@dataclass(frozen=True, slots=True)
class ConstantMapping:
    """``{"asset": ..., "value": "text"}``: emitted as is, takes no payload bytes."""

    path: str
    asset: str
    keys: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Case:
    """One entry of a switch's `on` list; ``value`` is None for the default case."""

    path: str
    value: CaseValue | None
    body: tuple[Statement, ...]

    @property
    def is_default(self) -> bool:
        return self.value is None


@dataclass(frozen=True, slots=True)
class Switch:
    """``{"switch": {payload selector}, "on": [cases]}``; cases keep their template order."""

    path: str
    selector: Selector
    cases: tuple[Case, ...]

    @property
    def label(self) -> str:
        return f"{self.path}.switch"

    @property
    def default(self) -> Case | None:
        return next((case for case in self.cases if case.is_default), None)


Statement: TypeAlias = PayloadMapping | ConstantMapping | Switch


@dataclass(eq=False)
class CompiledTemplate:
    """A validated template. Decoders, encoders and C tables derived from it are cached here."""

    statements: tuple[Statement, ...]
    source: dict[str, object]
    name: str | None = None
    cache: dict[str, object] = field(default_factory=dict, repr=False)

    def walk(self) -> Iterator[Statement]:
        """Every statement, depth first, in template order."""
        yield from _walk(self.statements)

    @property
    def custom_types(self) -> dict[str, str]:
        """Asset path -> custom_type (location_lat / location_long) for the Device Locator."""
        return {
            s.asset: s.custom_type
            for s in self.walk()
            if isinstance(s, PayloadMapping) and s.custom_type is not None
        }

    @property
    def assets(self) -> tuple[str, ...]:
        """Every asset path the template can emit, in first-seen order."""
        seen: dict[str, None] = {}
        for s in self.walk():
            if not isinstance(s, Switch):
                seen.setdefault(s.asset, None)
        return tuple(seen)


def _walk(block: tuple[Statement, ...]) -> Iterator[Statement]:
    for statement in block:
        yield statement
        if isinstance(statement, Switch):
            for case in statement.cases:
                yield from _walk(case.body)


def compile_template(template: dict[str, object] | str | bytes | CompiledTemplate) -> CompiledTemplate:
    """Validates a template (a dict, or JSON text) and compiles it; raises TemplateError."""
    if isinstance(template, CompiledTemplate):
        return template
    if isinstance(template, str | bytes):
        template = _parse_json(template)
    if not isinstance(template, dict):
        raise TemplateError("template", f"must be a JSON object with a 'sense' list, not {_kind(template)}")
    return _Validator().template(template)


def _parse_json(text: str | bytes) -> dict[str, object]:
    def reject_constant(name: str) -> object:
        raise ValueError(f"{name} is not valid JSON")

    try:
        parsed = json.loads(text, parse_constant=reject_constant)
    except json.JSONDecodeError as exc:
        raise TemplateError(
            "template", f"not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise TemplateError("template", f"not valid JSON: {exc or 'nested too deeply'}") from None
    if not isinstance(parsed, dict):
        raise TemplateError("template", f"must be a JSON object with a 'sense' list, not {_kind(parsed)}")
    return cast(dict[str, object], parsed)


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    for python_type, name in names.items():
        if isinstance(value, python_type):
            return name
    return "a number" if isinstance(value, int | float) else type(value).__name__


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_fields(obj: MappingABC[str, object], allowed: tuple[str, ...], path: str) -> None:
    for key in obj:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else f" (allowed: {', '.join(allowed)})"
            raise TemplateError(f"{path}.{key}", f"unknown field{suggestion}")


def _check_comment(obj: MappingABC[str, object], path: str) -> None:
    if "comment" in obj and not isinstance(obj["comment"], str):
        raise TemplateError(f"{path}.comment", "must be a string")


@dataclass
class _Placed:
    """A mapping with the switch cases it runs under, for the asset-path conflict check."""

    statement: PayloadMapping | ConstantMapping
    cases: dict[int, int]


class _Validator:
    def __init__(self) -> None:
        self._switches = 0
        self._placed: list[_Placed] = []
        self._case_path: dict[int, int] = {}

    def template(self, obj: dict[str, object]) -> CompiledTemplate:
        _check_fields(obj, _TOP_FIELDS, "template")
        _check_comment(obj, "template")
        if "sense" not in obj:
            raise TemplateError("sense", "missing: a template needs a 'sense' list of statements")
        statements = self._block(obj["sense"], "sense", 0)
        self._check_asset_paths()
        name = obj.get("name")
        return CompiledTemplate(
            statements=statements, source=obj, name=name if isinstance(name, str) else None
        )

    def _block(self, items: object, path: str, depth: int) -> tuple[Statement, ...]:
        if depth > _MAX_NESTING:
            raise TemplateError(path, f"nested more than {_MAX_NESTING} levels deep")
        if not isinstance(items, list):
            raise TemplateError(path, f"must be a list of statements, not {_kind(items)}")
        out: list[Statement] = []
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]"
            if isinstance(item, list):  # a nested statement block
                out.extend(self._block(item, item_path, depth + 1))
            else:
                statement = self._statement(item, item_path, depth)
                if statement is not None:
                    out.append(statement)
        return tuple(out)

    def _statement(self, obj: object, path: str, depth: int) -> Statement | None:
        if not isinstance(obj, dict):
            raise TemplateError(path, f"a statement must be a JSON object, not {_kind(obj)}")
        if "switch" in obj or "on" in obj:
            return self._switch(obj, path, depth)
        if "asset" in obj or "value" in obj:
            return self._mapping(obj, path)
        if obj and obj.keys() <= {"comment"}:
            _check_comment(obj, path)
            return None  # a comment statement
        found = ", ".join(map(repr, obj)) or "no fields"
        needs = "a mapping needs 'asset' and 'value', a switch needs 'switch' and 'on'"
        raise TemplateError(path, f"not a statement: {needs} (found {found})")

    def _mapping(self, obj: dict[str, object], path: str) -> PayloadMapping | ConstantMapping:
        _check_fields(obj, _MAPPING_FIELDS, path)
        _check_comment(obj, path)
        asset = obj.get("asset")
        if not isinstance(asset, str) or not asset:
            raise TemplateError(f"{path}.asset", "missing or not a non-empty string")
        keys = tuple(asset.split("."))
        if "" in keys:
            raise TemplateError(f"{path}.asset", f"'{asset}' has an empty part between dots")
        if "value" not in obj:
            raise TemplateError(f"{path}.value", "missing: a constant string or a payload selector object")
        value = obj["value"]
        statement: PayloadMapping | ConstantMapping
        if isinstance(value, str):
            if "custom_type" in obj:
                raise TemplateError(f"{path}.custom_type", "needs a payload selector, not a constant")
            statement = ConstantMapping(path=path, asset=asset, keys=keys, text=value)
        elif isinstance(value, dict):
            selector = self._selector(value, f"{path}.value")
            custom_type = self._custom_type(obj, selector, path)
            statement = PayloadMapping(
                path=path, asset=asset, keys=keys, selector=selector, custom_type=custom_type
            )
        else:
            raise TemplateError(
                f"{path}.value", f"must be a constant string or a payload selector object, not {_kind(value)}"
            )
        self._placed.append(_Placed(statement, dict(self._case_path)))
        return statement

    @staticmethod
    def _custom_type(obj: dict[str, object], selector: Selector, path: str) -> str | None:
        if "custom_type" not in obj:
            return None
        custom_type = obj["custom_type"]
        if custom_type not in CUSTOM_TYPES:
            raise TemplateError(f"{path}.custom_type", f"must be one of {', '.join(CUSTOM_TYPES)}")
        if selector.type != "float" or selector.length != 8:
            raise TemplateError(f"{path}.custom_type", f"{custom_type} needs an 8-byte float (bytelength 8)")
        return custom_type

    def _selector(self, obj: dict[str, object], path: str) -> Selector:
        _check_fields(obj, _SELECTOR_FIELDS, path)
        _check_comment(obj, path)
        field_type = obj.get("type")
        if field_type not in FIELD_TYPES:
            shown = "missing" if field_type is None else f"{json.dumps(field_type)} is not a type"
            raise TemplateError(f"{path}.type", f"{shown}: use one of {', '.join(FIELD_TYPES)}")
        if "signed" in obj and not isinstance(obj["signed"], bool):
            raise TemplateError(f"{path}.signed", "must be true or false")
        byte, endbyte = self._position(obj, path)
        length = self._length(obj, field_type, byte, endbyte, path)
        byteorder = obj.get("byteorder", "big")
        if byteorder not in ("big", "little"):
            raise TemplateError(f"{path}.byteorder", "must be 'big' or 'little'")
        return Selector(
            path=path,
            type=field_type,
            byte=byte,
            endbyte=endbyte,
            length=length,
            little=byteorder == "little",
        )

    @staticmethod
    def _position(obj: dict[str, object], path: str) -> tuple[int | None, int | None]:
        byte = obj.get("byte")
        endbyte = obj.get("endbyte")
        if byte is None and endbyte is None:
            raise TemplateError(
                path, "needs 'byte' (offset from the start) and/or 'endbyte' (<= 0, from the end)"
            )
        if byte is not None and (not _is_int(byte) or not 0 <= cast(int, byte) <= MAX_PAYLOAD):
            raise TemplateError(f"{path}.byte", f"must be an integer from 0 to {MAX_PAYLOAD}")
        if endbyte is not None and (not _is_int(endbyte) or not -MAX_PAYLOAD <= cast(int, endbyte) <= 0):
            raise TemplateError(
                f"{path}.endbyte", f"must be an integer from -{MAX_PAYLOAD} to 0 (counted from the end)"
            )
        return cast(int | None, byte), cast(int | None, endbyte)

    @staticmethod
    def _length(
        obj: dict[str, object], field_type: FieldType, byte: int | None, endbyte: int | None, path: str
    ) -> int | None:
        if byte is not None and endbyte is not None:
            if "bytelength" in obj:
                raise TemplateError(
                    f"{path}.bytelength", "not allowed with both 'byte' and 'endbyte' (a range)"
                )
            return None
        length = obj.get("bytelength", 1)
        if not _is_int(length) or not 1 <= cast(int, length) <= MAX_PAYLOAD:
            raise TemplateError(f"{path}.bytelength", f"must be an integer from 1 to {MAX_PAYLOAD}")
        length = cast(int, length)
        allowed = NUMBER_LENGTHS.get(field_type)
        if allowed is not None and length not in allowed:
            sizes = ", ".join(map(str, allowed))
            raise TemplateError(f"{path}.bytelength", f"{field_type} needs bytelength {sizes}, not {length}")
        if byte is None and endbyte is not None and length > -endbyte:
            raise TemplateError(
                f"{path}.endbyte",
                f"endbyte {endbyte} with bytelength {length} reaches past the end of the payload",
            )
        return length

    def _switch(self, obj: dict[str, object], path: str, depth: int) -> Switch:
        _check_fields(obj, _SWITCH_FIELDS, path)
        _check_comment(obj, path)
        selector_obj = obj.get("switch")
        if not isinstance(selector_obj, dict):
            raise TemplateError(f"{path}.switch", "must be a payload selector object")
        selector = self._selector(selector_obj, f"{path}.switch")
        on = obj.get("on")
        if not isinstance(on, list):
            raise TemplateError(f"{path}.on", "missing or not a list of cases")
        switch_id = self._switches
        self._switches += 1
        cases: list[Case] = []
        for index, item in enumerate(on):
            case = self._case(item, selector, f"{path}.on[{index}]", switch_id, index, depth)
            if case is not None:
                self._check_unique(case, cases)
                cases.append(case)
        default = next((case for case in cases if case.is_default), None)
        if default is not None and selector.type == "boolean" and len(cases) == 3:
            raise TemplateError(f"{default.path}.default", "can never run: the cases cover true and false")
        return Switch(path=path, selector=selector, cases=tuple(cases))

    def _case(
        self, obj: object, selector: Selector, path: str, switch_id: int, index: int, depth: int
    ) -> Case | None:
        if not isinstance(obj, dict):
            raise TemplateError(path, f"a case must be a JSON object, not {_kind(obj)}")
        _check_fields(obj, _CASE_FIELDS, path)
        _check_comment(obj, path)
        if obj and obj.keys() <= {"comment"}:
            return None  # a comment statement in the `on` list
        value: CaseValue | None = None
        if "case" in obj:
            if "default" in obj:
                raise TemplateError(path, "has both 'case' and 'default'")
            value = _case_value(obj["case"], selector, f"{path}.case")
        elif obj.get("default") is not True:
            raise TemplateError(path, "needs 'case' (a value) or 'default': true")
        if "do" not in obj:
            raise TemplateError(f"{path}.do", "missing: the list of statements to run")
        self._case_path[switch_id] = index
        try:
            body = self._block(obj["do"], f"{path}.do", depth + 1)
        finally:
            del self._case_path[switch_id]
        return Case(path=path, value=value, body=body)

    @staticmethod
    def _check_unique(case: Case, earlier: list[Case]) -> None:
        for other in earlier:
            if case.is_default and other.is_default:
                raise TemplateError(f"{case.path}.default", f"a second default (the first is {other.path})")
            if not case.is_default and other.value == case.value and type(other.value) is type(case.value):
                raise TemplateError(f"{case.path}.case", f"duplicate of {other.path}: it could never run")

    def _check_asset_paths(self) -> None:
        """A path cannot hold a value and an object ('gps' and 'gps.lat') on one execution path."""
        by_keys: dict[tuple[str, ...], list[_Placed]] = {}
        for placed in self._placed:
            by_keys.setdefault(placed.statement.keys, []).append(placed)
        for placed in self._placed:
            keys = placed.statement.keys
            for cut in range(1, len(keys)):
                for prefix in by_keys.get(keys[:cut], ()):
                    if _may_run_together(prefix.cases, placed.cases):
                        raise TemplateError(
                            f"{placed.statement.path}.asset",
                            f"'{placed.statement.asset}' needs '{prefix.statement.asset}' to be an object, "
                            f"but {prefix.statement.path} gives it a value",
                        )


def _may_run_together(a: dict[int, int], b: dict[int, int]) -> bool:
    return all(b.get(switch, case) == case for switch, case in a.items())


def _case_value(value: object, selector: Selector, path: str) -> CaseValue:
    """A case constant, checked against the switch's type: a case that can never match is an error."""
    kind = selector.type
    never = f"can never match a {kind} switch"
    if kind in ("int", "uint"):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not _is_int(value):
            raise TemplateError(path, f"{json.dumps(value)} {never} (use an integer)")
        number = cast(int, value)
        if selector.length is not None and not _int_fits(number, kind, selector.length):
            raise TemplateError(path, f"{number} {never} of bytelength {selector.length}")
        return number
    if kind == "float":
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise TemplateError(path, f"{json.dumps(value)} {never} (use a number)")
        if selector.length == 4:
            rounded = round_to_float32(float(value))
            if rounded is None or shortest_float32(rounded) != value:
                shown = "overflows" if rounded is None else f"decodes as {shortest_float32(rounded)!r}"
                raise TemplateError(path, f"{value!r} {never} of bytelength 4: a float32 {shown}")
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise TemplateError(path, f"{json.dumps(value)} {never} (use true or false)")
        return value
    if not isinstance(value, str):
        raise TemplateError(path, f"{json.dumps(value)} {never} (use a string)")
    return _text_case(value, selector, path, never)


def _text_case(value: str, selector: Selector, path: str, never: str) -> str:
    if selector.type == "hex":
        if len(value) % 2 or not set(value) <= _HEX_DIGITS:
            raise TemplateError(path, f"{value!r} {never}: it decodes to lowercase hex digits in pairs")
        if selector.length is not None and len(value) != 2 * selector.length:
            raise TemplateError(path, f"{value!r} {never} of bytelength {selector.length}")
        return value
    encoded = value.encode("utf-8", errors="surrogatepass")
    if value.endswith("\x00"):
        raise TemplateError(path, f"{value!r} {never}: trailing NULs are stripped when decoding")
    if selector.length is not None and len(encoded) > selector.length:
        raise TemplateError(path, f"{value!r} {never} of bytelength {selector.length}")
    return value


def _int_fits(value: int, kind: str, length: int) -> bool:
    bits = 8 * length
    if kind == "uint":
        return 0 <= value < (1 << bits)
    return -(1 << (bits - 1)) <= value < (1 << (bits - 1))
