"""The Device Authenticator from Python: the C SDK's os_auth() over a Python UDP transport.

    creds = auth(SocketTransport(address=("127.0.0.1", 5683), timeout=2.0))
    creds.identity      # the ICCID, the DTLS PSK identity
    creds.psk_bytes     # the DTLS key: the ASCII bytes of the PSK string

The C code builds the request, judges every datagram and parses the reply; Python only moves
datagrams (``auth``) or lets the C POSIX port do even that (``auth_posix``). The PSK is never
shown by repr() or str().
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from sdk_bindings._native import ffi, lib

NCE_ERRORS: Final = {
    -1: "NCE_SDK_CONNECT_ERROR",
    -2: "NCE_SDK_DTLS_CONNECT_ERROR",
    -3: "NCE_SDK_SEND_ERROR",
    -4: "NCE_SDK_RECEIVE_ERROR",
    -5: "NCE_SDK_PARSING_ERROR",
    -6: "NCE_SDK_BINARY_PAYLOAD_ERROR",
    -7: "NCE_SDK_SERVER_RESPONSE_ERROR",
    -8: "NCE_SDK_ARGUMENT_ERROR",
}
_EXPLANATIONS: Final = {
    -1: "could not connect the UDP transport",
    -3: "could not send the bootstrap request",
    -4: "no answer from the Device Authenticator",
    -5: "the 2.05 answer is not 'identity,psk[,url]'",
    -7: "the Device Authenticator answered with an error",
    -8: "bad arguments",
}
_URL_SIZE: Final = 256


class UdpTransport(Protocol):
    """What os_auth needs from the network; exceptions abort the exchange and are re-raised."""

    def connect(self, host: str, port: int) -> None: ...

    def send(self, data: bytes) -> None: ...

    def recv(self, max_size: int) -> bytes | None:
        """One datagram, or None on timeout."""
        ...

    def close(self) -> None: ...


class AuthError(RuntimeError):
    """os_auth failed; ``code`` is the NCE_SDK_* value, ``name`` its name."""

    def __init__(self, code: int, response_code: str | None = None) -> None:
        self.code = code
        self.name = NCE_ERRORS.get(code, f"error {code}")
        detail = _EXPLANATIONS.get(code, "")
        if response_code is not None and code == -7:
            detail += f" ({response_code})"
        super().__init__(f"{self.name}: {detail}" if detail else self.name)


@dataclass(frozen=True)
class DeviceCredentials:
    """DTLS-PSK credentials from the Device Authenticator. repr() hides the PSK."""

    identity: str
    psk: str = field(repr=False)
    endpoint_url: str = ""

    def __repr__(self) -> str:
        return (
            f"DeviceCredentials(identity={self.identity!r}, psk=<hidden, {len(self.psk)} chars>, "
            f"endpoint_url={self.endpoint_url!r})"
        )

    __str__ = __repr__

    @property
    def psk_bytes(self) -> bytes:
        """The DTLS key: the ASCII bytes of the PSK string (as mbedTLS and the blueprints use it)."""
        return self.psk.encode("ascii")

    @property
    def psk_hex(self) -> str:
        """The PSK as hex, for modem key stores that take hex (nRF91)."""
        return self.psk_bytes.hex()


class SocketTransport:
    """A real UDP socket. ``address`` overrides where connect() goes (e.g. a loopback emulator
    instead of coap.os.1nce.com); ``bind`` pins the local address (the SIM's address)."""

    def __init__(
        self, *, address: tuple[str, int] | None = None, bind: str | None = None, timeout: float = 2.0
    ) -> None:
        self.address = address
        self.bind = bind
        self.timeout = timeout
        self._sock: socket.socket | None = None

    def connect(self, host: str, port: int) -> None:
        self.close()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.settimeout(self.timeout)
            if self.bind is not None:
                sock.bind((self.bind, 0))
            sock.connect(self.address or (host, port))
        except OSError:
            sock.close()
            raise
        self._sock = sock

    def send(self, data: bytes) -> None:
        if self._sock is None:
            raise OSError("not connected")
        self._sock.send(data)

    def recv(self, max_size: int) -> bytes | None:
        if self._sock is None:
            raise OSError("not connected")
        try:
            return self._sock.recv(max_size)
        except TimeoutError:
            return None

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


@dataclass
class _Session:
    transport: UdpTransport
    error: BaseException | None = None


def auth(
    transport: UdpTransport,
    *,
    message_id: int | None = None,
    token: bytes | None = None,
    confirmable: bool | None = None,
    attempts: int | None = None,
) -> DeviceCredentials:
    """Runs the C SDK's bootstrap over transport; raises AuthError (or the transport's error)."""
    session = _Session(transport)
    handle = ffi.new_handle(session)
    ops = ffi.new("os_network_ops_t *")
    lib.nce_py_udp_init(ops, handle)
    return _run(ops, session, message_id=message_id, token=token, confirmable=confirmable, attempts=attempts)


def auth_posix(
    *,
    host: str | None = None,
    port: int = 0,
    bind: str | None = None,
    timeout: float = 2.0,
    attempts: int | None = None,
) -> DeviceCredentials:
    """Runs the bootstrap entirely in C, over the SDK's POSIX UDP port (port/posix).

    host/port override coap.os.1nce.com:5683; bind pins the local address.
    """
    keep = [ffi.new("char[]", text.encode()) if text is not None else ffi.NULL for text in (host, bind)]
    net = ffi.new("struct OSNetwork *")
    ops = ffi.new("os_network_ops_t *")
    lib.nce_posix_udp_init(ops, net, max(1, int(timeout * 1000)), keep[0], port, keep[1])
    return _run(ops, None, attempts=attempts)


def _run(
    ops: Any,
    session: _Session | None,
    *,
    message_id: int | None = None,
    token: bytes | None = None,
    confirmable: bool | None = None,
    attempts: int | None = None,
) -> DeviceCredentials:
    opts = ffi.new("nce_auth_options_t *")
    lib.nce_auth_default_options(opts)
    token_buffer = ffi.new("uint8_t[]", token or b"\x00")
    url = ffi.new("char[]", _URL_SIZE)
    if message_id is not None:
        opts.message_id = message_id
    if token is not None:
        opts.token, opts.token_length = token_buffer, len(token)
    if confirmable is not None:
        opts.confirmable = int(confirmable)
    if attempts is not None:
        opts.attempts = attempts
    opts.endpoint_url, opts.endpoint_url_size = url, _URL_SIZE
    key = ffi.new("DtlsKey_t *")
    try:
        rc = lib.nce_auth(ops, key, opts)
        if session is not None and session.error is not None:
            if not isinstance(session.error, Exception):
                raise session.error  # KeyboardInterrupt and friends pass through unchanged
            raise AuthError(rc or -8) from session.error
        if rc != 0:
            raise AuthError(rc)
        return DeviceCredentials(
            identity=ffi.string(key.PskIdentity).decode("ascii"),
            psk=ffi.string(key.Psk).decode("ascii"),
            endpoint_url=ffi.string(url).decode("ascii"),
        )
    finally:
        ffi.memmove(key, b"\x00" * ffi.sizeof("DtlsKey_t"), ffi.sizeof("DtlsKey_t"))


def _session(net: Any) -> _Session:
    session = ffi.from_handle(ffi.cast("void *", net))
    assert isinstance(session, _Session)
    return session


def _guarded(net: Any, action: Callable[[UdpTransport], int]) -> int:
    """Runs one transport call; an exception is kept for auth() to re-raise and reported as -1."""
    session = _session(net)
    if session.error is not None:
        return -1
    try:
        return action(session.transport)
    except BaseException as exc:  # re-raised by auth() once the C code has returned
        session.error = exc
        return -1


@ffi.def_extern()  # type: ignore[untyped-decorator]
def nce_py_connect(net: Any, host: Any, port: int) -> int:
    name = ffi.string(host).decode("ascii", "replace")

    def connect(transport: UdpTransport) -> int:
        transport.connect(name, port)
        return 0

    return _guarded(net, connect)


@ffi.def_extern()  # type: ignore[untyped-decorator]
def nce_py_send(net: Any, buf: Any, size: int) -> int:
    data = bytes(ffi.buffer(buf, size))

    def send(transport: UdpTransport) -> int:
        transport.send(data)
        return size

    return _guarded(net, send)


@ffi.def_extern()  # type: ignore[untyped-decorator]
def nce_py_recv(net: Any, buf: Any, size: int) -> int:
    def receive(transport: UdpTransport) -> int:
        data = transport.recv(size)
        if not data:
            return 0  # timeout
        ffi.memmove(buf, data[:size], min(len(data), size))
        return min(len(data), size)

    return _guarded(net, receive)


@ffi.def_extern()  # type: ignore[untyped-decorator]
def nce_py_disconnect(net: Any) -> int:
    session = _session(net)
    try:
        session.transport.close()
    except Exception as exc:
        session.error = session.error or exc
        return -1
    return 0
