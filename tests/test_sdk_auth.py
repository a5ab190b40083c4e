"""os_auth() from the C SDK against a real aiocoap Device Authenticator on loopback: over a Python
UDP transport (cffi callbacks) and over the SDK's own POSIX port."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any

import aiocoap
import pytest
from aiocoap import resource

from sdk_bindings.auth import AuthError, DeviceCredentials, SocketTransport, auth, auth_posix

IDENTITY, PSK, URL = "8988280666000002864", "s3cret-PSK-value", "coaps://coap.os.1nce.com:5684"


class _Bootstrap(resource.Resource):
    def __init__(self) -> None:
        super().__init__()
        self.mode = "ok"
        self.requests: list[aiocoap.Message] = []

    async def render_get(self, request: aiocoap.Message) -> aiocoap.Message:
        self.requests.append(request)
        if self.mode == "slow":  # long enough for aiocoap to send an empty ACK first
            await asyncio.sleep(0.4)
        if self.mode == "unauthorized":
            return aiocoap.Message(
                code=aiocoap.UNAUTHORIZED, payload=b'{"statusText":"UnauthorizedResponse"}'
            )
        if self.mode == "garbage":
            return aiocoap.Message(code=aiocoap.CONTENT, payload=b"no commas here")
        return aiocoap.Message(code=aiocoap.CONTENT, payload=f"{IDENTITY},{PSK},{URL}".encode())


class _Server:
    """An aiocoap server with /bootstrap on its own event loop thread."""

    def __init__(self) -> None:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", 0))
        self.port = int(probe.getsockname()[1])
        probe.close()
        self.bootstrap = _Bootstrap()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.context: Any = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        site = resource.Site()
        site.add_resource(["bootstrap"], self.bootstrap)
        self.context = self.loop.run_until_complete(
            aiocoap.Context.create_server_context(site, bind=("127.0.0.1", self.port))
        )
        self.ready.set()
        self.loop.run_forever()

    def start(self) -> None:
        self.thread.start()
        assert self.ready.wait(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.context.shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    running = _Server()
    running.start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> None:
    if "server" in request.fixturenames:
        bootstrap = request.getfixturevalue("server").bootstrap
        bootstrap.mode = "ok"
        bootstrap.requests.clear()


def test_auth_over_python_transport(server: _Server) -> None:
    creds = auth(SocketTransport(address=("127.0.0.1", server.port), timeout=2.0), message_id=4000)
    assert (creds.identity, creds.psk, creds.endpoint_url) == (IDENTITY, PSK, URL)
    assert creds.psk_bytes == PSK.encode()
    assert creds.psk_hex == PSK.encode().hex()
    request = server.bootstrap.requests[0]
    assert request.mid == 4000 and request.mtype == aiocoap.CON
    assert request.opt.uri_host == "coap.os.1nce.com"


def test_auth_over_the_c_posix_port(server: _Server) -> None:
    creds = auth_posix(host="127.0.0.1", port=server.port, bind="127.0.0.1", timeout=2.0)
    assert (creds.identity, creds.psk) == (IDENTITY, PSK)
    assert server.bootstrap.requests[0].mid == 1001  # NCE_SDK_BOOTSTRAP_MESSAGE_ID


def test_non_confirmable_request(server: _Server) -> None:
    creds = auth(
        SocketTransport(address=("127.0.0.1", server.port)), confirmable=False, token=b"\x01\x02\x03"
    )
    assert creds.identity == IDENTITY
    assert server.bootstrap.requests[0].mtype == aiocoap.NON
    assert server.bootstrap.requests[0].token == b"\x01\x02\x03"


class _RecordingTransport(SocketTransport):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent: list[bytes] = []
        self.received: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.sent.append(data)
        super().send(data)

    def recv(self, max_size: int) -> bytes | None:
        data = super().recv(max_size)
        if data is not None:
            self.received.append(data)
        return data


def test_separate_response_after_an_empty_ack(server: _Server) -> None:
    server.bootstrap.mode = "slow"
    transport = _RecordingTransport(address=("127.0.0.1", server.port), timeout=3.0)
    creds = auth(transport)
    assert creds.psk == PSK
    empty_ack, response = (aiocoap.Message.decode(raw) for raw in transport.received)
    assert (empty_ack.mtype, empty_ack.code) == (aiocoap.ACK, aiocoap.EMPTY)
    assert (response.mtype, response.code) == (aiocoap.CON, aiocoap.CONTENT)
    our_ack = aiocoap.Message.decode(transport.sent[1])  # the C code acknowledged the separate response
    assert (our_ack.mtype, our_ack.code, our_ack.mid) == (aiocoap.ACK, aiocoap.EMPTY, response.mid)


@pytest.mark.parametrize(
    ("mode", "name"),
    [("unauthorized", "NCE_SDK_SERVER_RESPONSE_ERROR"), ("garbage", "NCE_SDK_PARSING_ERROR")],
)
def test_error_answers_are_typed_and_not_retried(server: _Server, mode: str, name: str) -> None:
    server.bootstrap.mode = mode
    with pytest.raises(AuthError) as caught:
        auth(SocketTransport(address=("127.0.0.1", server.port)))
    assert caught.value.name == name
    assert len(server.bootstrap.requests) == 1


def test_silence_is_a_receive_error_after_every_attempt() -> None:
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    try:
        address = sink.getsockname()
        with pytest.raises(AuthError) as caught:
            auth(SocketTransport(address=address, timeout=0.05), attempts=3)
        assert caught.value.name == "NCE_SDK_RECEIVE_ERROR"
        received = [sink.recv(100) for _ in range(3)]
        assert [raw[2:4] for raw in received] == [b"\x03\xe9", b"\x03\xea", b"\x03\xeb"]  # MIDs 1001..1003
        with pytest.raises(AuthError, match="NCE_SDK_RECEIVE_ERROR"):
            auth_posix(host="127.0.0.1", port=address[1], timeout=0.05, attempts=2)
    finally:
        sink.close()


class _BrokenTransport(SocketTransport):
    def send(self, data: bytes) -> None:
        raise OSError("radio off")


def test_transport_errors_surface_with_their_cause(server: _Server) -> None:
    with pytest.raises(AuthError) as caught:
        auth(_BrokenTransport(address=("127.0.0.1", server.port)))
    assert isinstance(caught.value.__cause__, OSError)
    assert "radio off" in str(caught.value.__cause__)


def test_unresolvable_host_is_a_connect_error() -> None:
    with pytest.raises(AuthError, match="NCE_SDK_CONNECT_ERROR"):
        auth_posix(host="host.invalid", port=5683, timeout=0.05, attempts=1)


def test_psk_never_shows_in_repr_str_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    creds = DeviceCredentials(identity=IDENTITY, psk=PSK, endpoint_url=URL)
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("got %s / %r", creds, creds)
    for text in (repr(creds), str(creds), f"{creds}", caplog.text):
        assert PSK not in text
        assert IDENTITY in text
    assert "hidden, 16 chars" in repr(creds)
