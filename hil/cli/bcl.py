"""`hil bcl`: Energy Saver (BCL) templates - check, decode, encode, generate C tables.

Exit codes: 0 ok, 1 the template/payload/values are wrong (the message says where), 2 usage.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from sdk_bindings import bcl as codec

TEMPLATE_PATH = click.Path(exists=True, dir_okay=False, path_type=Path)


def _fail(message: str, as_json: bool, **details: object) -> NoReturn:
    if as_json:
        click.echo(json.dumps({"ok": False, "error": message, **details}))
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _load(path: Path, as_json: bool) -> codec.CompiledTemplate:
    """The compiled template; errors read `FILE: statement.path: what is wrong`."""
    try:
        return codec.compile_template(path.read_text(encoding="utf-8"))
    except codec.TemplateError as exc:
        _fail(f"{path}: {exc}", as_json, file=str(path), path=exc.path)
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{path}: cannot read: {exc}", as_json, file=str(path))


def _payload(text: str, is_base64: bool) -> bytes:
    try:
        if is_base64:
            return base64.b64decode(text, validate=True)
        digits = re.sub(r"[\s:]", "", text.removeprefix("0x").removeprefix("0X"))
        return bytes.fromhex(digits)
    except (ValueError, binascii.Error) as exc:
        kind = "base64" if is_base64 else "hex (e.g. 016354 or '01 63 54')"
        raise click.BadParameter(f"not {kind}: {exc}", param_hint="PAYLOAD") from None


def _count(n: int, noun: str) -> str:
    plural = noun + ("es" if noun.endswith("ch") else "s")
    return f"{n} {noun if n == 1 else plural}"


def _lines(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        return [line for key, child in value.items() for line in _lines(child, f"{prefix}{key}.")]
    return [f"{prefix.rstrip('.')} = {json.dumps(value, ensure_ascii=False)}"]


@click.group()
def bcl() -> None:
    """Energy Saver (BCL) templates: check, decode, encode, generate C tables.

    A template is the JSON 1NCE OS uses to turn a binary UDP/CoAP payload into JSON
    (see sdk_bindings/bcl/examples/ for samples).
    """


@bcl.command()
@click.argument("template", type=TEMPLATE_PATH)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
def check(template: Path, as_json: bool) -> None:
    """Validate TEMPLATE; errors name the statement, e.g. sense[2].value.bytelength."""
    compiled = _load(template, as_json)
    statements = list(compiled.walk())
    switches = sum(isinstance(s, codec.template.Switch) for s in statements)
    try:
        from sdk_bindings.bcl.lowering import lower

        slots = len(lower(compiled).slots)
        c_note = None
    except codec.TemplateError as exc:
        slots, c_note = 0, str(exc)
    report = {
        "ok": True,
        "file": str(template),
        "statements": len(statements),
        "switches": switches,
        "assets": list(compiled.assets),
        "custom_types": compiled.custom_types,
        "c_encoder": c_note is None,
        "c_encoder_error": c_note,
    }
    if as_json:
        click.echo(json.dumps(report))
        return
    counts = [
        _count(len(statements), "statement"),
        _count(switches, "switch"),
        _count(len(compiled.assets), "asset"),
    ]
    click.echo(f"{template}: OK - {', '.join(counts)}")
    if c_note is None:
        click.echo(f"  C encoder: {slots} value slots (hil bcl gen-c {template})")
    else:
        click.echo(f"  C encoder: not supported: {c_note}")


@bcl.command()
@click.option("--template", "-t", "template", required=True, type=TEMPLATE_PATH, help="Template JSON file.")
@click.argument("payload")
@click.option("--base64", "is_base64", is_flag=True, help="PAYLOAD is base64 (as the 1NCE API shows it).")
@click.option("--json", "as_json", is_flag=True, help="Print the decoded object as one JSON line.")
def decode(template: Path, payload: str, is_base64: bool, as_json: bool) -> None:
    """Decode PAYLOAD (hex, spaces and colons allowed) with the template, as 1NCE OS would."""
    data = _payload(payload, is_base64)
    compiled = _load(template, as_json)
    try:
        value = codec.decode(compiled, data)
    except codec.BclDecodeError as exc:
        _fail(str(exc), as_json, asset=exc.asset)
    if as_json:
        click.echo(json.dumps(value, ensure_ascii=False))
        return
    for line in _lines(value) or ["(nothing: no statement produced a value)"]:
        click.echo(line)


@bcl.command()
@click.option("--template", "-t", "template", required=True, type=TEMPLATE_PATH, help="Template JSON file.")
@click.argument("values", type=click.File("r", encoding="utf-8"))
@click.option("--c", "use_c", is_flag=True, help="Encode with the C encoder (nce_bcl_encode) via cffi.")
@click.option("--json", "as_json", is_flag=True, help="Print hex, base64 and length as JSON.")
def encode(template: Path, values: Any, use_c: bool, as_json: bool) -> None:
    """Encode VALUES (a JSON file shaped like decode's output, or - for stdin) into a payload."""
    compiled = _load(template, as_json)
    try:
        document = json.load(values)
    except json.JSONDecodeError as exc:
        _fail(f"{values.name}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}", as_json)
    try:
        payload = codec.encode_native(compiled, document) if use_c else codec.encode(compiled, document)
    except (codec.BclEncodeError, codec.TemplateError) as exc:
        _fail(str(exc), as_json)
    if as_json:
        report = {
            "hex": payload.hex(),
            "base64": base64.b64encode(payload).decode(),
            "length": len(payload),
            "encoder": "c" if use_c else "python",
        }
        click.echo(json.dumps(report))
    else:
        click.echo(payload.hex())


@bcl.command("gen-c")
@click.argument("template", type=TEMPLATE_PATH)
@click.option("--name", help="Identifier prefix (default: the template's name, else bcl_template).")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="Write here."
)
def gen_c(template: Path, name: str | None, output: Path | None) -> None:
    """Print a C99 header with TEMPLATE's tables for nce_bcl_encode() (sdk_bindings/c)."""
    compiled = _load(template, False)
    try:
        header = codec.generate_header(compiled, name=name, source=template.name)
    except codec.TemplateError as exc:
        _fail(f"{template}: {exc}", False)
    if output is None:
        click.echo(header, nl=False)
    else:
        output.write_text(header, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
