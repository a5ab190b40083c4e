"""A network power switch on 127.0.0.1 for tests: speaks simplerest, Tasmota and Shelly Gen 1,
keeps each outlet's state and records every request (method, path, query, body, time)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: str
    auth: str | None
    at: float


@dataclass
class PowerStub:
    """state[index] = on?; `fail_status` makes every answer an HTTP error; `delay_s` stalls them;
    `on_change(index, on)` runs when an outlet switches (e.g. to make a port vanish)."""

    state: dict[int, bool] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    fail_status: int | None = None
    delay_s: float = 0.0
    lie: bool = False  # report the opposite of what was asked
    on_change: Callable[[int, bool], None] | None = None
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> PowerStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                stub._handle(self, "GET")

            def do_POST(self) -> None:
                stub._handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def __enter__(self) -> PowerStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def switches(self) -> list[tuple[int, bool, float]]:
        """(index, on, time) of every switching request, in order."""
        return list(self._switches)

    _switches: list[tuple[int, bool, float]] = field(default_factory=list)

    def _set(self, index: int, on: bool) -> bool:
        self.state[index] = on
        self._switches.append((index, on, time.monotonic()))
        if self.on_change is not None:
            self.on_change(index, on)
        return (not on) if self.lie else on

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        auth_header = handler.headers.get("Authorization")
        auth = base64.b64decode(auth_header.split()[1]).decode() if auth_header else None
        query = parse_qs(parts.query, keep_blank_values=True)
        self.requests.append(Request(method, parts.path, query, body, auth, time.monotonic()))
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.fail_status is not None:
            self._answer(handler, self.fail_status, "relay board on fire")
            return
        segments = [s for s in parts.path.split("/") if s]
        if segments[:1] == ["relay"] and len(segments) >= 2 and method == "POST":  # shelly switch
            index = int(segments[1])
            turn = parse_qs(body).get("turn", [""])[0]
            ison = self._set(index, turn == "on")
            self._answer(handler, 200, json.dumps({"ison": ison, "has_timer": False}))
        elif segments[:1] == ["relay"] and len(segments) == 2:  # shelly read
            self._answer(handler, 200, json.dumps({"ison": self.state.get(int(segments[1]), False)}))
        elif segments[:1] == ["rest"] and len(segments) in (2, 3):  # simplerest: /rest/<i>[/<v>]
            index = int(segments[1])
            if len(segments) == 3:
                self._set(index, segments[2] == "1")
                self._answer(handler, 200, "OK")
            else:
                self._answer(handler, 200, "1" if self.state.get(index) else "0")
        elif segments == ["cm"]:  # tasmota
            command = query.get("cmnd", [""])[0].split()
            relay = command[0] if command else ""
            index = int(relay[5:] or 1) if relay.lower().startswith("power") else -1
            if index < 0:
                self._answer(handler, 200, json.dumps({"Command": "Unknown"}))
                return
            state = self.state.get(index, False)
            if len(command) > 1:
                state = self._set(index, command[1].lower() in ("on", "1"))
            self._answer(handler, 200, json.dumps({relay.upper(): "ON" if state else "OFF"}))
        else:
            self._answer(handler, 404, "no such relay")

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, status: int, text: str) -> None:
        data = text.encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json" if text.startswith("{") else "text/plain")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
