"""The reference Energy Saver (BCL) codec: validate templates, decode and encode payloads.

    >>> from sdk_bindings import bcl
    >>> selector = {"byte": 0, "bytelength": 2, "type": "int"}
    >>> t = bcl.compile_template({"sense": [{"asset": "t", "value": selector}]})
    >>> bcl.decode(t, bytes.fromhex("001a"))
    {'t': 26}
    >>> bcl.encode(t, {"t": 26}).hex()
    '001a'

``encode_native`` encodes with the C encoder (nce_bcl_encode) through cffi; ``generate_header``
is what ``hil bcl gen-c`` prints.
"""

from __future__ import annotations

from collections.abc import Mapping

from sdk_bindings.bcl.decoder import DecodeResult, decode, decode_detailed
from sdk_bindings.bcl.encoder import Plan, encode, plan_encoding
from sdk_bindings.bcl.errors import BclDecodeError, BclEncodeError, TemplateError
from sdk_bindings.bcl.gen_c import generate_header
from sdk_bindings.bcl.template import CompiledTemplate, compile_template

__all__ = [
    "BclDecodeError",
    "BclEncodeError",
    "CompiledTemplate",
    "DecodeResult",
    "Plan",
    "TemplateError",
    "compile_template",
    "decode",
    "decode_detailed",
    "encode",
    "encode_native",
    "generate_header",
    "plan_encoding",
]


def encode_native(
    template: dict[str, object] | str | bytes | CompiledTemplate, values: Mapping[str, object]
) -> bytes:
    """Like encode(), but the bytes come from the C encoder (needs the built extension)."""
    from sdk_bindings.bcl.native import NativeTemplate

    return NativeTemplate.of(compile_template(template)).encode(values)
