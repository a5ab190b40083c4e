"""Where the host's bytes come from: a pseudo-terminal or a TCP listener (``socket://`` URLs).

Both call ``on_data(bytes)`` for input and offer ``write(bytes)`` for output. A pty keeps its own
slave fd open for its whole life, so the path stays valid between clients and the master never sees
EIO just because a client closed (reference §5.3); EIO is still handled as "client went away".
The TCP port serves one client at a time: a new connection replaces the old one.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import ipaddress
import logging
import os
import struct
import termios
import tty
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

_MAX_PENDING = 256 * 1024  # output nobody reads (no client on the pty) is thrown away beyond this


def check_loopback(host: str) -> str:
    """The virtual lab binds only 127.0.0.0/8; anything else is refused with a clear error."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        raise ValueError(f"{host!r} is not an IPv4 address; the simulator binds only 127.0.0.0/8") from None
    if address not in ipaddress.IPv4Network("127.0.0.0/8"):
        raise ValueError(f"{host} is not a loopback address; the simulator binds only 127.0.0.0/8")
    return host


class PtyPort:
    """A pseudo-terminal: the simulator owns the master, clients open the slave path.

    ``on_client`` is called when a client (re)opens the port: pyserial flushes its input on open,
    which packet mode reports. The simulator then drops a half-typed line of the previous client.
    """

    def __init__(self, on_data: Callable[[bytes], None], on_client: Callable[[], None]) -> None:
        self._on_data = on_data
        self._on_client = on_client
        self._master = -1
        self._slave = -1
        self._pending = bytearray()
        self._writer_armed = False
        self.path = ""
        self.link: Path | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        return str(self.link) if self.link else self.path

    def open(self, link: str | os.PathLike[str] | None = None) -> str:
        self._loop = asyncio.get_running_loop()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # before any client: no echo, no CR/LF translation
        attrs = termios.tcgetattr(self._slave)
        attrs[3] &= ~(termios.ECHO | termios.ECHONL | termios.ICANON)
        termios.tcsetattr(self._slave, termios.TCSANOW, attrs)
        # Packet mode: the master learns when a client flushes its input, which pyserial does on
        # open(), so a new client can start with a clean line even though the slave stays open.
        fcntl.ioctl(self._master, termios.TIOCPKT, struct.pack("i", 1))
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        if link is not None:
            self.link = Path(link)
            if self.link.is_symlink() or self.link.exists():
                if not self.link.is_symlink():
                    raise FileExistsError(f"{self.link} exists and is not a symlink; not replacing it")
                self.link.unlink()
            self.link.symlink_to(self.path)
        self._loop.add_reader(self._master, self._readable)
        return self.url

    def _readable(self) -> None:
        try:
            data = os.read(self._master, 65536)
        except BlockingIOError:
            return
        except OSError as exc:
            if exc.errno == errno.EIO:  # every slave handle closed: the client went away
                self._on_client()
                return
            log.warning("pty read failed: %s", exc)
            return
        if not data:
            return
        if data[0] == 0:  # TIOCPKT_DATA
            if len(data) > 1:
                self._on_data(data[1:])
        elif data[0] & termios.TIOCPKT_FLUSHREAD:
            self._on_client()

    def write(self, data: bytes) -> None:
        if self._master < 0:
            return
        if self._pending:
            self._pending += data
        else:
            try:
                written = os.write(self._master, data)
            except BlockingIOError:
                written = 0
            except OSError as exc:
                log.debug("pty write failed: %s", exc)
                return
            if written == len(data):
                return
            self._pending += data[written:]
        if len(self._pending) > _MAX_PENDING:
            # Nobody reads the slave: like a UART with no one listening, the bytes are lost.
            with contextlib.suppress(termios.error):
                termios.tcflush(self._slave, termios.TCIFLUSH)
            self._pending.clear()
            return
        if not self._writer_armed and self._loop is not None:
            self._loop.add_writer(self._master, self._writable)
            self._writer_armed = True

    def _writable(self) -> None:
        try:
            written = os.write(self._master, self._pending)
        except BlockingIOError:
            return
        except OSError:
            written = len(self._pending)
        del self._pending[:written]
        if not self._pending and self._loop is not None:
            self._loop.remove_writer(self._master)
            self._writer_armed = False

    def discard_stale_output(self) -> None:
        """Throw away what no client has read yet (e.g. boot URCs before anyone connected)."""
        if self._slave >= 0:
            with contextlib.suppress(termios.error):
                termios.tcflush(self._slave, termios.TCIFLUSH)

    def close(self) -> None:
        if self._master >= 0 and self._loop is not None:
            self._loop.remove_reader(self._master)
            if self._writer_armed:
                self._loop.remove_writer(self._master)
        for fd in (self._master, self._slave):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = -1
        if self.link is not None and self.link.is_symlink():
            with contextlib.suppress(OSError):
                self.link.unlink()


class _Connection(asyncio.Protocol):
    def __init__(self, port: TcpPort) -> None:
        self.port = port
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(6, 1, 1)  # TCP_NODELAY: answers are tiny
        self.port.attach(self)

    def data_received(self, data: bytes) -> None:
        if self.port.current is self:
            self.port.on_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.port.detach(self)


class TcpPort:
    """A TCP listener on loopback; pyserial clients open ``socket://HOST:PORT``."""

    def __init__(self, on_data: Callable[[bytes], None], on_client: Callable[[], None]) -> None:
        self.on_data = on_data
        self._on_client = on_client
        self.current: _Connection | None = None
        self._server: asyncio.Server | None = None
        self.host = ""
        self.port = 0

    @property
    def url(self) -> str:
        return f"socket://{self.host}:{self.port}"

    async def open(self, host: str = "127.0.0.1", port: int = 0) -> str:
        host = check_loopback(host)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), host, port, reuse_address=True)
        self.host, self.port = self._server.sockets[0].getsockname()[:2]
        return self.url

    def attach(self, connection: _Connection) -> None:
        old, self.current = self.current, connection
        if old is not None and old.transport is not None:
            old.transport.close()  # one client at a time: the newest wins
        self._on_client()

    def detach(self, connection: _Connection) -> None:
        if self.current is connection:
            self.current = None
            self._on_client()

    def write(self, data: bytes) -> None:
        current = self.current
        if current is not None and current.transport is not None and not current.transport.is_closing():
            current.transport.write(data)

    def close(self) -> None:
        if self.current is not None and self.current.transport is not None:
            self.current.transport.close()
        self.current = None
        if self._server is not None:
            self._server.close()
            self._server = None
