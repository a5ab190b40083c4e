"""The lab's webhook receiver: a real HTTP server on loopback that the emulated (or a tunnelled
real) Cloud Integrator POSTs to; it keeps every envelope by ICCID so checks can wait for one."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookInbox:
    """POST /<anything>/<iccid> with a JSON body; `wait(iccid, predicate, timeout)` reads them."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        inbox = self
        self._lock = threading.Condition()
        self._by_iccid: dict[str, list[dict[str, Any]]] = defaultdict(list)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                iccid = self.path.rstrip("/").rsplit("/", 1)[-1]
                try:
                    document = json.loads(body)
                except ValueError:
                    document = {"unparsed": body.decode("utf-8", "replace")}
                inbox._add(iccid, document)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # quiet: no stderr per request
                return

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-inbox", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _add(self, iccid: str, document: dict[str, Any]) -> None:
        with self._lock:
            self._by_iccid[iccid].append(document)
            self._lock.notify_all()

    def received(self, iccid: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._by_iccid.get(iccid, []))

    def wait(
        self, iccid: str, predicate: Callable[[dict[str, Any]], bool], timeout: float
    ) -> dict[str, Any] | None:
        """The first envelope for `iccid` matching `predicate`, or None after `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for document in self._by_iccid.get(iccid, []):
                    if predicate(document):
                        return document
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._lock.wait(remaining)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
