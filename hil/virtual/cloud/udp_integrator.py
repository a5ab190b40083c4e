"""Device Integrator over UDP (udp.os.1nce.com:4445 in production; any port here).

A dedicated receiver thread reads datagrams with a large socket buffer and hands them to the
uplink pipeline; nothing is answered (1NCE documents no UDP acknowledgement). Payloads over 508
bytes, the safe size 1NCE gives, are dropped with an admin log.
"""

from __future__ import annotations

import logging
import socket
import threading

from .ingest import UplinkPipeline

log = logging.getLogger(__name__)

MAX_UDP_PAYLOAD = 508


class UdpIntegrator:
    def __init__(
        self, pipeline: UplinkPipeline, host: str = "127.0.0.1", port: int = 0, rcvbuf: int = 8 << 20
    ):
        self.pipeline = pipeline
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.bind((host, port))
        self.sock.settimeout(0.5)  # lets the thread notice stop()
        self._thread: threading.Thread | None = None
        self._running = False

    @property
    def port(self) -> int:
        port: int = self.sock.getsockname()[1]
        return port

    @property
    def receive_buffer(self) -> int:
        return int(self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))

    def start(self) -> None:
        self._running = True
        self._thread = threading.Thread(target=self._run, name="udp-integrator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self.sock.close()

    def _run(self) -> None:
        receive = self.sock.recvfrom
        stats = self.pipeline.stats
        while self._running:
            try:
                payload, (source, _port) = receive(65535)
            except TimeoutError:
                continue
            except OSError:
                if self._running:
                    log.exception("UDP integrator socket failed")
                return
            stats["udp_received"] += 1
            try:
                self._take(payload, source)
            except Exception:  # one bad message (or a failed lookup) must not stop the integrator
                log.exception("UDP uplink from %s failed", source)
                stats["udp_errors"] += 1

    def _take(self, payload: bytes, source: str) -> None:
        pipeline = self.pipeline
        if len(payload) > MAX_UDP_PAYLOAD:
            pipeline.rejected(source, "UDP", "oversize")
            return
        sim = pipeline.identify(source)
        if sim is None:
            pipeline.stats["udp_unknown_source"] += 1
            return
        pipeline.accept(sim, "UDP", payload)
