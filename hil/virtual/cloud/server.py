"""One emulator process: HTTP API (uvicorn), netlink (core network), UDP integrator, CoAP
integrator + authenticator, and the delivery workers - all on 127.0.0.1, ephemeral ports unless
given. `EmulatorServer` runs on the caller's event loop; `ThreadedEmulator` runs one in a
background thread (tests, benchmarks, the harness)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import uvicorn

from hil.virtual.network.inventory import Inventory, demo_inventory
from hil.virtual.network.netlink_server import NetlinkServer

from .app import API_PREFIX, create_app
from .coap_server import CoapServer
from .config import EmulatorConfig
from .services import Services, build_services
from .udp_integrator import UdpIntegrator

log = logging.getLogger(__name__)
T = TypeVar("T")
LISTED_SIMS = 10


class EmulatorServer:
    def __init__(self, inventory: Inventory | None = None, config: EmulatorConfig | None = None) -> None:
        self.inventory = inventory or demo_inventory()
        self.config = config or EmulatorConfig()
        self._tmpdir: str | None = None
        self._services: Services | None = None
        self._netlink: NetlinkServer | None = None
        self._udp: UdpIntegrator | None = None
        self._coap: CoapServer | None = None
        self._http: uvicorn.Server | None = None
        self._http_task: asyncio.Task[None] | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("emulator not started")
        return self._services

    async def start(self) -> dict[str, Any]:
        config = self.config
        if config.db_path is None:
            self._tmpdir = tempfile.mkdtemp(prefix="nce-emulator-")
            db_path = Path(self._tmpdir) / "emulator.db"
        else:
            db_path = config.db_path
        services = self._services = build_services(self.inventory, config, db_path)
        services.pipeline.loop = asyncio.get_running_loop()
        services.history.start()
        self._netlink = NetlinkServer(services.core, config.host, config.netlink_port)
        await self._netlink.start()
        self._udp = UdpIntegrator(services.pipeline, config.host, config.udp_port, config.udp_receive_buffer)
        self._udp.start()
        self._coap = CoapServer(
            services.pipeline, services.authenticator, config.coaps_url, config.host, config.coap_port
        )
        await self._coap.start()
        services.coap = self._coap
        services.streamer.start()
        http_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        http_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        http_socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted sockets inherit it
        http_socket.bind((config.host, config.http_port))
        http_socket.listen(128)
        uv_config = uvicorn.Config(
            create_app(services),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._http = uvicorn.Server(uv_config)
        self._http_task = asyncio.get_running_loop().create_task(self._http.serve(sockets=[http_socket]))
        while not self._http.started:
            if self._http_task.done():
                self._http_task.result()
                raise RuntimeError("HTTP server stopped while starting")
            await asyncio.sleep(0.01)
        http_port = http_socket.getsockname()[1]
        services.endpoints = self._endpoints(http_port)
        return services.endpoints

    def _endpoints(self, http_port: int) -> dict[str, Any]:
        assert self._netlink is not None and self._udp is not None and self._coap is not None
        host = self.config.host
        base = f"http://{host}:{http_port}"
        org = self.inventory.organisation
        endpoints: dict[str, Any] = {
            "api": f"{base}{API_PREFIX}",
            "oauth": f"{base}{API_PREFIX}/oauth/token",
            "netlink": self._netlink.url,
            "udp": f"udp://{host}:{self._udp.port}",
            "coap": f"coap://{host}:{self._coap.port}",
            "bootstrap": f"coap://{host}:{self._coap.port}/bootstrap",
            "emulator": f"{base}/_emulator",
            "organisation": {"id": org.id, "name": org.name, "ip_range": org.ip_range},
            "client_id": self.inventory.api_users[0].client_id,
        }
        if self.inventory.credentials_generated:
            # Generated for this run only: printing them is how the user learns them.
            endpoints["client_secret"] = self.inventory.api_users[0].client_secret
        endpoints["sim_count"] = len(self.inventory.sims)
        endpoints["sims"] = [
            {
                "iccid": s.iccid,
                "imsi": s.imsi,
                "msisdn": s.msisdn,
                "ip_address": s.ip_address,
                "status": s.status,
            }
            for s in self.inventory.sims[:LISTED_SIMS]
        ]
        return endpoints

    async def stop(self) -> None:
        services = self._services
        if self._http is not None and self._http_task is not None:
            self._http.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._http_task, 5)
        if self._netlink is not None:
            await self._netlink.close()
        if self._coap is not None:
            await self._coap.close()
        if self._udp is not None:
            self._udp.stop()
        if services is not None:
            services.core.sms.close()
            await services.streamer.close()
            await services.controller.close()
            for deliverer in services.deliverers:
                await deliverer.close()
            services.history.stop()
            services.db.close()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    async def serve_forever(self, on_ready: Callable[[dict[str, Any]], None]) -> None:
        endpoints = await self.start()
        on_ready(endpoints)
        try:
            assert self._http_task is not None
            await self._http_task  # ends on SIGINT/SIGTERM (uvicorn handles the signals)
        finally:
            await self.stop()


class ThreadedEmulator:
    """An EmulatorServer on its own event loop in a daemon thread."""

    def __init__(self, inventory: Inventory | None = None, config: EmulatorConfig | None = None) -> None:
        self.server = EmulatorServer(inventory, config)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="emulator", daemon=True)
        self.endpoints: dict[str, Any] = {}

    def start(self, timeout: float = 30.0) -> ThreadedEmulator:
        self._thread.start()
        self.endpoints = self.call_async(self.server.start(), timeout)
        return self

    @property
    def services(self) -> Services:
        return self.server.services

    def call(self, function: Callable[[], T], timeout: float = 10.0) -> T:
        """Run `function` on the emulator's loop thread (core state lives there) and return its result."""

        async def wrapper() -> T:
            return function()

        result: T = self.call_async(wrapper(), timeout)
        return result

    def call_async(self, coroutine: Any, timeout: float = 10.0) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise TimeoutError(f"emulator call did not finish within {timeout} s") from exc

    def stop(self) -> None:
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                self.call_async(self.server.stop(), 20)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        if not self._loop.is_running():
            self._loop.close()

    def __enter__(self) -> ThreadedEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
