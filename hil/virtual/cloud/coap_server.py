"""CoAP endpoint of 1NCE OS (coap.os.1nce.com:5683 in production): the Device Integrator's
``POST /`` and the Device Authenticator's ``GET /bootstrap``, on aiocoap.

* ``POST /`` with optional Uri-Query ``t=<topic>`` -> 2.04 Changed; a topic longer than 253
  characters, with characters outside ``[A-Za-z0-9_/]`` or with ``//`` -> 4.00; a source address
  that is no active SIM of the organisation -> 4.01; a payload over 1024 bytes -> 4.13.
* ``GET /`` -> 4.04 (as observed on the real endpoint).
* ``GET /bootstrap`` -> 2.05 ``ICCID,PSK,coaps-url`` (text/plain: CoAP has no text/csv number);
  4.01 with 1NCE's JSON error body
  for unknown or inactive SIMs or when the 1NCE OS agreements are not accepted.

Duplicate confirmable requests (same message ID from the same endpoint within EXCHANGE_LIFETIME)
are answered from aiocoap's message-layer cache without calling the handlers again.
"""

from __future__ import annotations

import json
import re
from typing import Any

import aiocoap
from aiocoap import resource
from aiocoap.numbers import codes
from aiocoap.numbers.contentformat import ContentFormat

from .authenticator import Authenticator
from .ingest import UplinkPipeline

MAX_COAP_PAYLOAD = 1024
TOPIC = re.compile(r"^[A-Za-z0-9_/]{1,253}$")


def source_ipv4(request: aiocoap.Message) -> str:
    """The IPv4 source of a request, unwrapping aiocoap's IPv4-mapped IPv6 form."""
    sockaddr = getattr(request.remote, "sockaddr", None)
    host = str(sockaddr[0]) if sockaddr else str(request.remote.hostinfo).rsplit(":", 1)[0]
    return host.removeprefix("::ffff:")


def _text(code: aiocoap.numbers.codes.Code, text: str) -> aiocoap.Message:
    return aiocoap.Message(code=code, payload=text.encode(), content_format=ContentFormat.TEXT)


def _json_error(code: aiocoap.numbers.codes.Code, status_text: str, message: str) -> aiocoap.Message:
    body = {"statusText": status_text, "errors": [{"message": message}]}
    return aiocoap.Message(code=code, payload=json.dumps(body).encode(), content_format=ContentFormat.JSON)


def topic_of(request: aiocoap.Message) -> tuple[str | None, str | None]:
    """(topic, None) or (None, error text) from the Uri-Query options."""
    queries = list(request.opt.uri_query)
    if sum(len(q) for q in queries) + max(len(queries) - 1, 0) > 255:
        return None, "query longer than 255 characters"
    topics = [q[2:] for q in queries if q.startswith("t=")]
    if not topics:
        return None, None
    topic = topics[0]
    if not TOPIC.match(topic) or "//" in topic:
        return None, "topic must be 1-253 characters of [A-Za-z0-9_/] without '//'"
    return topic, None


class _Root(resource.Resource):  # type: ignore[misc]
    def __init__(self, pipeline: UplinkPipeline) -> None:
        super().__init__()
        self.pipeline = pipeline

    async def render_post(self, request: aiocoap.Message) -> aiocoap.Message:
        stats = self.pipeline.stats
        stats["coap_received"] += 1
        source = source_ipv4(request)
        if len(request.payload) > MAX_COAP_PAYLOAD:
            self.pipeline.rejected(source, "COAP", "oversize")
            return _text(codes.REQUEST_ENTITY_TOO_LARGE, f"payload exceeds {MAX_COAP_PAYLOAD} bytes")
        topic, problem = topic_of(request)
        if problem is not None:
            stats["coap_bad_topic"] += 1
            return _text(codes.BAD_REQUEST, problem)
        sim = self.pipeline.identify(source)
        if sim is None:
            stats["coap_unknown_source"] += 1
            return _text(codes.UNAUTHORIZED, "unknown or inactive device")
        # A message its template cannot decode is dropped with an admin log; the device is still
        # answered 2.04, as the CoAP exchange itself succeeded.
        self.pipeline.accept(sim, "COAP", request.payload, topic)
        return aiocoap.Message(code=codes.CHANGED)

    async def render_get(self, request: aiocoap.Message) -> aiocoap.Message:
        return _text(codes.NOT_FOUND, "not found")


class _Bootstrap(resource.Resource):  # type: ignore[misc]
    def __init__(self, pipeline: UplinkPipeline, authenticator: Authenticator, coaps_url: str) -> None:
        super().__init__()
        self.pipeline = pipeline
        self.authenticator = authenticator
        self.coaps_url = coaps_url

    async def render_get(self, request: aiocoap.Message) -> aiocoap.Message:
        self.pipeline.stats["bootstrap_requests"] += 1
        sim = self.pipeline.identify(source_ipv4(request))
        if sim is None:
            return _json_error(codes.UNAUTHORIZED, "Unauthorized", "unknown or inactive device")
        key = self.authenticator.bootstrap(sim.iccid)
        body = f"{sim.iccid},{key.secret},{self.coaps_url}"
        return aiocoap.Message(code=codes.CONTENT, payload=body.encode(), content_format=ContentFormat.TEXT)


class CoapServer:
    def __init__(
        self, pipeline: UplinkPipeline, authenticator: Authenticator, coaps_url: str, host: str, port: int
    ) -> None:
        self.site = resource.Site()
        self.site.add_resource([], _Root(pipeline))
        self.site.add_resource(["bootstrap"], _Bootstrap(pipeline, authenticator, coaps_url))
        self.host = host
        self.requested_port = port
        self.context: aiocoap.Context | None = None

    async def start(self) -> None:
        self.context = await aiocoap.Context.create_server_context(
            self.site, bind=(self.host, self.requested_port), transports=["udp6"]
        )

    @property
    def port(self) -> int:
        if self.context is None:
            raise RuntimeError("CoAP server not started")
        interface: Any = self.context.request_interfaces[0].token_interface.message_interface
        port: int = interface.transport.get_extra_info("socket").getsockname()[1]
        return port

    async def close(self) -> None:
        if self.context is not None:
            await self.context.shutdown()
            self.context = None
