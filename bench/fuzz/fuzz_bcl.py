"""atheris fuzzer for the BCL codec: template validation, decoding, both encoders, gen-c.

Input: template JSON, payload and values JSON separated by two NUL bytes. Only the codec's typed
errors may escape; a payload that decodes (without nulls) must re-encode, in Python and in C,
to the same bytes and decode back to the same object.

    .venv/bin/python bench/fuzz/fuzz_bcl.py -max_total_time=300 [corpus_dir]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

with atheris.instrument_imports():
    from sdk_bindings import bcl

EXAMPLES = Path(__file__).resolve().parents[2] / "sdk_bindings" / "bcl" / "examples"
SEP = b"\x00\x00"


def _has_null(value: object) -> bool:
    if isinstance(value, dict):
        return any(_has_null(child) for child in value.values())
    return value is None


def one_input(data: bytes) -> None:
    parts = data.split(SEP, 2)
    text, payload, values_text = [*parts, b"", b""][:3]
    try:
        template = bcl.compile_template(text)
    except bcl.TemplateError:
        return
    try:
        decoded = bcl.decode(template, payload)
    except bcl.BclDecodeError:
        decoded = None
    try:
        values = json.loads(values_text)
    except (ValueError, RecursionError):
        values = {}
    targets = [values if isinstance(values, dict) else {}]
    if decoded is not None and not _has_null(decoded):
        targets.append(decoded)
    for target in targets:
        try:
            python_bytes: bytes | None = bcl.encode(template, target)
        except bcl.BclEncodeError:
            python_bytes = None
        try:
            native_bytes: bytes | None = bcl.encode_native(template, target)
        except bcl.BclEncodeError:
            native_bytes = None
        except bcl.TemplateError:  # what the C tables cannot express
            continue
        if native_bytes != python_bytes:
            raise AssertionError(f"C {native_bytes!r} != Python {python_bytes!r}")
        if python_bytes is not None and target is decoded and bcl.decode(template, python_bytes) != decoded:
            raise AssertionError("decode(encode(decode(payload))) differs")


def seed(corpus: Path) -> None:
    """Writes the example templates with sample payloads into an empty corpus directory."""
    samples = {
        "bcl_full_example": "01010000058c6f6c6567",
        "c_sdk_demo": "016354322e322e31",
        "positional": "00424bbcf940de981c0078",
        "features": "001a003700",
        "types": "ff" * 37,
        "sensor6": "00" * 16,
    }
    corpus.mkdir(parents=True, exist_ok=True)
    for name, payload in samples.items():
        text = (EXAMPLES / f"{name}.json").read_bytes()
        (corpus / name).write_bytes(text + SEP + bytes.fromhex(payload) + SEP + b"{}")


if __name__ == "__main__":
    corpus_dirs = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    for directory in corpus_dirs:
        if not any(Path(directory).glob("*")):
            seed(Path(directory))
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
