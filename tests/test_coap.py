"""The C CoAP codec against aiocoap: our requests parse as valid CoAP with aiocoap's parser, and
our parser reads aiocoap-built messages field for field. Plus fuzzing of our parser."""

from __future__ import annotations

import contextlib
from typing import Any

import aiocoap
import pytest
from aiocoap.optiontypes import OpaqueOption
from hypothesis import given, settings
from hypothesis import strategies as st

from sdk_bindings import coap
from sdk_bindings._native import ffi, lib


def _aiocoap_message(
    mtype: Any, mid: int, code: Any, token: bytes, payload: bytes, options: list[tuple[int, bytes]]
) -> aiocoap.Message:
    message = aiocoap.Message(code=code, payload=payload)
    message.mtype, message.mid, message.token = mtype, mid, token
    for number, value in options:
        message.opt.add_option(OpaqueOption(number, value))
    return message


def _options_of(message: aiocoap.Message) -> tuple[tuple[int, bytes], ...]:
    return tuple((int(o.number), o.encode()) for o in message.opt.option_list())


@pytest.mark.parametrize(("mid", "confirmable"), [(1001, True), (1024, False), (0, True), (0xFFFF, False)])
def test_bootstrap_request_parses_with_aiocoap(mid: int, confirmable: bool) -> None:
    raw = coap.bootstrap_request(message_id=mid, confirmable=confirmable)
    message = aiocoap.Message.decode(raw)
    assert message.code == aiocoap.GET
    assert message.mtype == (aiocoap.CON if confirmable else aiocoap.NON)
    assert message.mid == mid  # network byte order: aiocoap reads the same number
    assert message.token == b"nc"
    assert message.opt.uri_host == "coap.os.1nce.com"
    assert tuple(message.opt.uri_path) == ("bootstrap",)
    assert message.payload == b""
    assert len(raw) == 34  # 4 header + 2 token + 18 Uri-Host + 10 Uri-Path (no sprintf truncation)


def test_uplink_parses_with_aiocoap() -> None:
    raw = coap.build_uplink(
        b"\x00\x01\x02", message_id=77, token=b"\x09", topic="sensors/room_1", confirmable=False
    )
    message = aiocoap.Message.decode(raw)
    assert (message.code, message.mtype, message.mid, message.token) == (
        aiocoap.POST,
        aiocoap.NON,
        77,
        b"\x09",
    )
    assert tuple(message.opt.uri_query) == ("t=sensors/room_1",)
    assert tuple(message.opt.uri_path) == ()
    assert message.payload == b"\x00\x01\x02"


@pytest.mark.parametrize("topic", ["", "a//b", "bad-char", "x" * 254, "t/é"])
def test_invalid_uplink_topics_are_rejected(topic: str) -> None:
    with pytest.raises(coap.CoapError, match="topic"):
        coap.build_uplink(b"x", message_id=1, topic=topic)
    with pytest.raises(coap.CoapError):
        coap.check_topic(topic)


def test_piggybacked_bootstrap_response_from_aiocoap() -> None:
    body = b"8988280666000002864,s3cret,coaps://coap.os.1nce.com:5684"
    response = aiocoap.Message(code=aiocoap.CONTENT, payload=body, content_format=0)
    response.mtype, response.mid, response.token = aiocoap.ACK, 1001, b"nc"
    parsed = coap.parse(response.encode())
    assert (parsed.type, parsed.code_text, parsed.message_id, parsed.token) == (
        coap.MessageType.ACK,
        "2.05",
        1001,
        b"nc",
    )
    assert parsed.option_values(coap.CONTENT_FORMAT) == (b"",)
    assert parsed.payload == body


def _uint(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


# Values as aiocoap types them: strings (UTF-8), minimal-length uints, opaque bytes.
TEXT_VALUE = st.text(max_size=300).map(str.encode).filter(lambda b: len(b) <= 300)
OPTIONS = st.lists(
    st.tuples(st.sampled_from([3, 11, 15, 35]), TEXT_VALUE)
    | st.tuples(st.sampled_from([7, 12, 14, 60]), st.integers(0, 2**32 - 1).map(_uint))
    | st.tuples(st.sampled_from([1, 4, 270, 2049, 65000]), st.binary(max_size=300)),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(
    mtype=st.sampled_from([aiocoap.CON, aiocoap.NON, aiocoap.ACK, aiocoap.RST]),
    mid=st.integers(0, 0xFFFF),
    code=st.sampled_from([aiocoap.GET, aiocoap.POST, aiocoap.CONTENT, aiocoap.CHANGED, aiocoap.UNAUTHORIZED]),
    token=st.binary(max_size=8),
    payload=st.binary(max_size=40),
    options=OPTIONS,
)
def test_our_parser_reads_aiocoap_messages(
    mtype: Any, mid: int, code: Any, token: bytes, payload: bytes, options: list[tuple[int, bytes]]
) -> None:
    raw = _aiocoap_message(mtype, mid, code, token, payload, options).encode()
    parsed = coap.parse(raw)
    reference = aiocoap.Message.decode(raw)
    assert int(parsed.type) == int(reference.mtype)
    assert (parsed.code, parsed.message_id, parsed.token) == (
        int(reference.code),
        reference.mid,
        reference.token,
    )
    assert parsed.options == _options_of(reference)
    assert parsed.payload == reference.payload
    assert coap.build(parsed) == raw  # and our writer produces the same bytes back


@settings(max_examples=300, deadline=None)
@given(
    mtype=st.sampled_from(list(coap.MessageType)),
    mid=st.integers(0, 0xFFFF),
    code=st.integers(1, 255),
    token=st.binary(max_size=8),
    payload=st.binary(max_size=40),
    options=OPTIONS,
)
def test_aiocoap_parses_what_our_writer_builds(
    mtype: coap.MessageType,
    mid: int,
    code: int,
    token: bytes,
    payload: bytes,
    options: list[tuple[int, bytes]],
) -> None:
    raw = coap.build(coap.Message(mtype, code, mid, token, tuple(options), payload))
    reference = aiocoap.Message.decode(raw)
    assert (int(reference.mtype), int(reference.code), reference.mid, reference.token) == (
        mtype,
        code,
        mid,
        token,
    )
    assert _options_of(reference) == tuple(sorted(options, key=lambda option: option[0]))
    assert reference.payload == payload


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=64) | st.binary(max_size=8).map(lambda b: b"\x40\x01\x00\x01" + b))
def test_parser_fuzz_gives_a_message_or_a_coap_error(data: bytes) -> None:
    try:
        parsed = coap.parse(data)
    except coap.CoapError as exc:
        assert exc.code < 0
        return
    try:
        reference = aiocoap.Message.decode(data)
    except Exception:  # aiocoap is stricter about some option values; only compare when both accept
        return
    assert (parsed.message_id, parsed.token, parsed.payload) == (
        reference.mid,
        reference.token,
        reference.payload,
    )
    assert parsed.options == _options_of(reference)


# An ACK 2.05 for the bootstrap exchange (MID 1001, token "nc"), then anything.
BOOTSTRAP_HEADER = b"\x62\x45\x03\xe9nc"
BOOTSTRAP_TAILS = st.lists(
    st.sampled_from([bytes([b]) for b in (0x0D, 0x0E, 0xD0, 0xE0, 0xDD, 0xEE, 0xFF, 0xF0, 0x0F, 0x00)])
    | st.binary(max_size=4),
    max_size=12,
).map(b"".join)


def _bootstrap_accept(raw: bytes) -> tuple[int, bytes, bytes]:
    state = ffi.new("nce_bootstrap_t *")
    assert lib.nce_bootstrap_init(state, 1001, b"nc", 2, 1) == 0
    key = ffi.new("DtlsKey_t *")
    url = ffi.new("char[]", 64)
    buffer = ffi.new("uint8_t[]", raw or b"\x00")
    rc = lib.nce_bootstrap_accept(state, buffer, len(raw), key, url, 64)
    return int(rc), ffi.string(key.PskIdentity), ffi.string(key.Psk)


@settings(max_examples=1500, deadline=None)
@given(
    BOOTSTRAP_TAILS.map(lambda tail: BOOTSTRAP_HEADER + tail)
    | BOOTSTRAP_TAILS.map(lambda tail: BOOTSTRAP_HEADER + tail + b"\xffid,psk")
    | st.binary(max_size=24)
)
def test_bootstrap_parser_accepts_exactly_what_the_full_codec_accepts(raw: bytes) -> None:
    """os_auth() reads responses with its own lean parser (no option storage); it must accept
    and reject exactly the datagrams nce_coap_parse() does, and find the same payload."""
    rc, identity, psk = _bootstrap_accept(raw)
    try:
        parsed = coap.parse(raw)
    except coap.CoapError:
        assert rc == 1, raw.hex()  # NCE_BOOTSTRAP_PENDING
        return
    ours = (coap.MessageType.ACK, coap.CONTENT, 1001, b"nc")
    if (parsed.type, parsed.code, parsed.message_id, parsed.token) != ours:
        return
    expected = ffi.new("DtlsKey_t *")
    payload = ffi.new("uint8_t[]", parsed.payload or b"\x00")
    want = lib.nce_bootstrap_parse_payload(payload, len(parsed.payload), expected, ffi.NULL, 0)
    assert rc == want, raw.hex()
    if want == 0:
        assert (identity, psk) == (ffi.string(expected.PskIdentity), ffi.string(expected.Psk))


def test_bootstrap_parser_edge_cases() -> None:
    ok = BOOTSTRAP_HEADER + b"\xffid,psk"
    assert _bootstrap_accept(ok) == (0, b"id", b"psk")
    cases = {
        BOOTSTRAP_HEADER + b"\xd1\x05x\xffid,psk": 0,  # delta 13 + 5, length 1
        BOOTSTRAP_HEADER + b"\xe0\xfe\xf2\xffid,psk": 0,  # delta 269 + 0xfef2 = 65535
        BOOTSTRAP_HEADER + b"\xe0\xfe\xf3\xffid,psk": 1,  # option number 65536
        BOOTSTRAP_HEADER + b"\x0e\x00": 1,  # truncated 2-byte length extension
        BOOTSTRAP_HEADER + b"\x0d": 1,  # truncated 1-byte length extension
        BOOTSTRAP_HEADER + b"\xf0\xffid,psk": 1,  # reserved delta nibble
        BOOTSTRAP_HEADER + b"\x0f\xffid,psk": 1,  # reserved length nibble
        BOOTSTRAP_HEADER + b"\x03ab\xffid,psk": 1,  # option longer than the datagram
        BOOTSTRAP_HEADER + b"\xff": 1,  # marker without payload
        b"\x60\x00\x03\xe9\x00": 1,  # empty ACK with a trailing byte
        b"\x69\x45\x03\xe9" + b"\x00" * 9: 1,  # token length 9
        b"\xa2\x45\x03\xe9nc\xffid,psk": 1,  # version 2
        BOOTSTRAP_HEADER[:5]: 1,  # token cut short
    }
    for raw, rc in cases.items():
        assert _bootstrap_accept(raw)[0] == rc, raw.hex()
        with pytest.raises(coap.CoapError) if rc == 1 else contextlib.nullcontext():
            coap.parse(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\x40\x01\x00", "truncated"),
        (b"\x80\x01\x00\x01", "version"),
        (b"\x49\x01\x00\x01" + b"\x00" * 9, "token length"),
        (b"\x40\x01\x00\x01\xff", "payload marker without payload"),
        (b"\x40\x01\x00\x01\xf0", "reserved option nibble"),
        (b"\x41\x00\x00\x01\x07", "empty message"),
    ],
)
def test_malformed_messages_are_typed_errors(raw: bytes, message: str) -> None:
    with pytest.raises(coap.CoapError, match=message):
        coap.parse(raw)


def test_build_rejects_out_of_range_fields() -> None:
    with pytest.raises(coap.CoapError, match="message_id 65536"):
        coap.build(coap.Message(coap.MessageType.CON, coap.GET, 65536))
    with pytest.raises(coap.CoapError, match="bad argument"):
        coap.build(coap.Message(coap.MessageType.CON, coap.GET, 1, token=b"123456789"))
    assert coap.empty_ack(0x1234) == b"\x60\x00\x12\x34"


def test_one_byte_options_all_come_back() -> None:
    """Found by fuzzing: a datagram of many empty options (one byte each)."""
    raw = b"\x41\x94\x34\x0e\x00" + b"\x00" * 40 + b"\x65cret,\xff\x01"
    parsed = coap.parse(raw)
    assert len(parsed.options) == 41 and parsed.options[-1] == (6, b"cret,")
    assert parsed.payload == b"\x01"
    assert coap.parse(coap.build(parsed)) == parsed
