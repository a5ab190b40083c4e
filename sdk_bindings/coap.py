"""CoAP messages (RFC 7252) built and parsed by the C SDK's codec (nce_coap.h).

>>> from sdk_bindings import coap
>>> raw = coap.build_uplink(b"\\x01", message_id=7, topic="sensors/t1")
>>> msg = coap.parse(raw)
>>> msg.code_text, msg.uri_query, msg.payload
('0.02', ('t=sensors/t1',), b'\\x01')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Final

from sdk_bindings._native import ffi, lib

URI_HOST: Final = 3
URI_PORT: Final = 7
URI_PATH: Final = 11
CONTENT_FORMAT: Final = 12
URI_QUERY: Final = 15

GET: Final = 0x01
POST: Final = 0x02
CHANGED: Final = 0x44  # 2.04
CONTENT: Final = 0x45  # 2.05

ERRORS: Final = {
    -1: "bad argument",
    -2: "does not fit the buffer",
    -3: "truncated (ends inside the header, token or an option)",
    -4: "CoAP version is not 1",
    -5: "token length 9..15 is reserved",
    -6: "reserved option nibble 15, or option number above 65535",
    -7: "option numbers must not decrease",
    -9: "payload marker without payload",
    -10: "empty message (code 0.00) with token, options or payload",
    -11: "option after the payload, or a second payload",
    -12: "topic must be 1..253 of [A-Za-z0-9_/] without '//'",
}
_MAX_MESSAGE: Final = 65_535


class CoapError(ValueError):
    """A message the codec rejects; ``code`` is the C error (NCE_COAP_ERR_*)."""

    def __init__(self, code: int, context: str) -> None:
        super().__init__(f"{context}: {ERRORS.get(code, f'error {code}')}")
        self.code = code


class MessageType(IntEnum):
    CON = 0
    NON = 1
    ACK = 2
    RST = 3


@dataclass(frozen=True, slots=True)
class Message:
    """One CoAP message; options are (number, value) in wire order."""

    type: MessageType
    code: int
    message_id: int
    token: bytes = b""
    options: tuple[tuple[int, bytes], ...] = ()
    payload: bytes = field(default=b"")

    @property
    def code_text(self) -> str:
        """The code as class.detail, e.g. "2.05"."""
        return f"{self.code >> 5}.{self.code & 0x1F:02d}"

    def option_values(self, number: int) -> tuple[bytes, ...]:
        return tuple(value for option, value in self.options if option == number)

    @property
    def uri_path(self) -> str:
        return "/" + "/".join(v.decode("utf-8", "replace") for v in self.option_values(URI_PATH))

    @property
    def uri_query(self) -> tuple[str, ...]:
        return tuple(v.decode("utf-8", "replace") for v in self.option_values(URI_QUERY))


def parse(data: bytes) -> Message:
    """Parses one datagram with nce_coap_parse(); raises CoapError."""
    raw = bytes(data)
    buffer = ffi.from_buffer(raw)
    msg = ffi.new("nce_coap_message_t *")
    storage = ffi.new("nce_coap_option_t[]", max(1, len(raw)))  # an option takes at least 1 byte
    msg.options, msg.option_capacity = storage, len(storage)
    rc = lib.nce_coap_parse(buffer, len(raw), msg)
    if rc != 0:
        raise CoapError(rc, "not a valid CoAP message")
    stored = min(int(msg.option_count), len(storage))  # never read past what C stored
    options = tuple((int(o.number), bytes(ffi.buffer(o.value, o.length))) for o in storage[0:stored])
    payload = bytes(ffi.buffer(msg.payload, msg.payload_length)) if msg.payload != ffi.NULL else b""
    return Message(
        type=MessageType(msg.type),
        code=int(msg.code),
        message_id=int(msg.message_id),
        token=bytes(ffi.buffer(msg.token, msg.token_length)),
        options=options,
        payload=payload,
    )


def build(message: Message) -> bytes:
    """Serialises a message with the C writer; options are sorted by number (stable)."""
    _check_range("message_id", message.message_id, 0xFFFF)
    _check_range("code", message.code, 0xFF)
    for number, _ in message.options:
        _check_range("option number", number, 0xFFFF)
    writer = ffi.new("nce_coap_writer_t *")
    size = 4 + len(message.token) + len(message.payload) + 1
    size += sum(5 + len(value) for _, value in message.options)
    out = ffi.new("uint8_t[]", min(size, _MAX_MESSAGE + 1))
    keep: list[Any] = []
    lib.nce_coap_writer_init(
        writer,
        out,
        len(out),
        int(message.type),
        message.code,
        message.message_id,
        _bytes(message.token, keep),
        len(message.token),
    )
    for number, value in sorted(message.options, key=lambda option: option[0]):
        lib.nce_coap_writer_option(writer, number, _bytes(value, keep), len(value))
    lib.nce_coap_writer_payload(writer, _bytes(message.payload, keep), len(message.payload))
    return _finish(lib.nce_coap_writer_finish(writer), out, "cannot build the message")


def build_uplink(
    payload: bytes,
    *,
    message_id: int,
    token: bytes = b"",
    topic: str | None = None,
    confirmable: bool = True,
) -> bytes:
    """An uplink to 1NCE OS: POST to "/" with Uri-Query t=<topic> (nce_coap_build_uplink)."""
    _check_range("message_id", message_id, 0xFFFF)
    keep: list[Any] = []
    out = ffi.new("uint8_t[]", 4 + len(token) + 270 + 1 + len(payload))
    kind = MessageType.CON if confirmable else MessageType.NON
    topic_arg = ffi.new("char[]", topic.encode("utf-8")) if topic is not None else ffi.NULL
    length = lib.nce_coap_build_uplink(
        out,
        len(out),
        int(kind),
        message_id,
        _bytes(token, keep),
        len(token),
        topic_arg,
        _bytes(payload, keep),
        len(payload),
    )
    return _finish(length, out, "cannot build the uplink")


def bootstrap_request(*, message_id: int, token: bytes = b"nc", confirmable: bool = True) -> bytes:
    """The Device Authenticator request exactly as os_auth() sends it (nce_bootstrap_request)."""
    _check_range("message_id", message_id, 0xFFFF)
    state = ffi.new("nce_bootstrap_t *")
    rc = lib.nce_bootstrap_init(state, message_id, _bytes(token, []), len(token), int(confirmable))
    if rc != 0:
        raise CoapError(-1, "token must be at most 8 bytes")
    out = ffi.new("uint8_t[]", 64)
    return _finish(lib.nce_bootstrap_request(state, out, len(out)), out, "cannot build the request")


def empty_ack(message_id: int) -> bytes:
    _check_range("message_id", message_id, 0xFFFF)
    out = ffi.new("uint8_t[]", 4)
    return _finish(lib.nce_coap_empty(out, 4, int(MessageType.ACK), message_id), out, "cannot build the ACK")


def check_topic(topic: str) -> None:
    """Raises CoapError unless topic is a valid 1NCE uplink topic."""
    rc = lib.nce_coap_check_topic(ffi.new("char[]", topic.encode("utf-8")))
    if rc != 0:
        raise CoapError(rc, f"invalid topic {topic!r}")


def _check_range(what: str, value: int, top: int) -> None:
    if not 0 <= value <= top:
        raise CoapError(-1, f"{what} {value} is outside 0..{top}")


def _bytes(data: bytes | Sequence[int], keep: list[Any]) -> Any:
    if not data:
        return ffi.NULL
    buffer = ffi.new("uint8_t[]", bytes(data))
    keep.append(buffer)
    return buffer


def _finish(length: int, out: Any, context: str) -> bytes:
    if length < 0:
        raise CoapError(length, context)
    return bytes(ffi.buffer(out, length))
