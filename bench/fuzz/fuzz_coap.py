"""atheris fuzzer for the C CoAP parser and the bootstrap response handling (through cffi).

Every datagram must parse or raise CoapError; what parses must match aiocoap's reading when
aiocoap accepts it too, and rebuild to a message that parses the same. The same bytes go through
nce_bootstrap_accept (the code os_auth runs on every received datagram).

    .venv/bin/python bench/fuzz/fuzz_coap.py -max_total_time=300 [corpus_dir]
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

with atheris.instrument_imports():
    import aiocoap

    from sdk_bindings import coap
    from sdk_bindings._native import ffi, lib

OUTCOMES = {0, 1, -5, -7}  # success, pending, parsing error, server response error


def one_input(data: bytes) -> None:
    try:
        message = coap.parse(data)
    except coap.CoapError:
        message = None
    if message is not None:
        again = coap.parse(coap.build(message))
        if again != message:
            raise AssertionError(f"rebuild changed the message: {message} -> {again}")
        try:
            reference = aiocoap.Message.decode(data)
        except Exception:  # aiocoap rejects some option values we treat as opaque
            reference = None
        if reference is not None and (reference.mid, reference.token, reference.payload) != (
            message.message_id,
            message.token,
            message.payload,
        ):
            raise AssertionError("differs from aiocoap")
    state = ffi.new("nce_bootstrap_t *")
    lib.nce_bootstrap_init(state, 1001, b"nc", 2, 1)
    key = ffi.new("DtlsKey_t *")
    url = ffi.new("char[]", 64)
    rc = lib.nce_bootstrap_accept(state, data, len(data), key, url, 64)
    if rc not in OUTCOMES:
        raise AssertionError(f"nce_bootstrap_accept returned {rc}")
    if rc == 0 and (not ffi.string(key.PskIdentity) or not ffi.string(key.Psk)):
        raise AssertionError("success with empty credentials")


def seed(corpus: Path) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    ok = aiocoap.Message(code=aiocoap.CONTENT, payload=b"8988280666000002864,secret,coaps://x:5684")
    ok.mtype, ok.mid, ok.token = aiocoap.ACK, 1001, b"nc"
    (corpus / "bootstrap_ok").write_bytes(ok.encode())
    (corpus / "request").write_bytes(coap.bootstrap_request(message_id=1001))
    (corpus / "uplink").write_bytes(coap.build_uplink(b"\x01\x02", message_id=3, topic="a/b", token=b"t"))


if __name__ == "__main__":
    for directory in [arg for arg in sys.argv[1:] if not arg.startswith("-")]:
        if not any(Path(directory).glob("*")):
            seed(Path(directory))
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
