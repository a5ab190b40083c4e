"""AtChannel over rfc2217:// - through a real RFC 2217 server (pyserial's PortManager) in front of
the simulated modem, as a lab exposes a remote serial port."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Iterator

import pytest
import serial
import serial.rfc2217

from at_commands.modem import Modem
from hil.virtual.modem_sim import ModemSimulator


class _Connection:
    """What PortManager writes to: a socket with a write() method."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)


@contextlib.contextmanager
def rfc2217_server(device: str) -> Iterator[str]:
    """Serve `device` over RFC 2217 on 127.0.0.1 for one client; yields the client URL."""
    port = serial.serial_for_url(device, baudrate=115200, timeout=0.05)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        manager = serial.rfc2217.PortManager(port, _Connection(connection))
        modem_side = port._socket  # type: ignore[attr-defined]  # socket:// keeps its socket here
        while not stop.is_set():
            ready, _, _ = select.select([connection, modem_side], [], [], 0.05)
            if connection in ready:
                data = connection.recv(4096)
                if not data:
                    break
                port.write(b"".join(manager.filter(data)))
            if modem_side in ready:
                connection.sendall(b"".join(manager.escape(port.read(port.in_waiting or 1))))
        connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"rfc2217://127.0.0.1:{listener.getsockname()[1]}?timeout=2"
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()
        port.close()


@pytest.mark.parametrize("dialect", ["bg95", "sara-r4"])
def test_modem_over_rfc2217(dialect: str) -> None:
    # The server fronts the simulator's TCP port: a pty has no modem-control lines to report.
    with ModemSimulator(dialect, time_scale=0.01) as sim, rfc2217_server(sim.start_tcp()) as url:
        with Modem.open(url) as modem:
            assert modem.name == dialect
            modem.initialize()
            assert modem.info().imsi == sim.identity["imsi"]
            assert modem.attach(timeout=10).stat == 5
