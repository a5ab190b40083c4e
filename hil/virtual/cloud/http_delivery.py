"""Sending JSON to customer URLs with a timeout and a retry schedule (webhooks, SMS Forwarder,
Data Streamer). Each delivery is its own task, so one slow receiver does not hold up the others."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    method: str
    url: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Attempt:
    number: int
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


Outcome = Callable[[Delivery, list[Attempt]], Awaitable[None] | None]


class HttpDeliverer:
    """Runs deliveries on the event loop: attempt, wait delays[i], attempt again, then give up."""

    def __init__(self, timeout: float, retry_delays: tuple[float, ...], max_parallel: int = 32) -> None:
        self.timeout = timeout
        self.retry_delays = retry_delays
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._parallel = asyncio.Semaphore(max_parallel)

    async def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False, trust_env=False)
        return self._client

    def submit(self, delivery: Delivery, on_done: Outcome | None = None, *, retries: bool = True) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(delivery, on_done, retries))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def attempt(self, delivery: Delivery) -> Attempt:
        """One try, no retries (what "test integration" does)."""
        return await self._try(delivery, 1)

    async def _deliver(self, delivery: Delivery, on_done: Outcome | None, retries: bool) -> None:
        attempts: list[Attempt] = []
        delays = self.retry_delays if retries else ()
        for number in range(1, len(delays) + 2):
            attempt = await self._try(delivery, number)
            attempts.append(attempt)
            if attempt.ok or number > len(delays):
                break
            await asyncio.sleep(delays[number - 1])
        if on_done is not None:
            result = on_done(delivery, attempts)
            if asyncio.iscoroutine(result):
                await result

    async def _try(self, delivery: Delivery, number: int) -> Attempt:
        client = await self._http()
        async with self._parallel:
            try:
                response = await client.request(
                    delivery.method, delivery.url, json=delivery.body, headers=delivery.headers
                )
            except httpx.HTTPError as exc:
                return Attempt(number, None, f"{type(exc).__name__}: {exc}"[:300])
        if not 200 <= response.status_code < 300:
            return Attempt(number, response.status_code, f"HTTP {response.status_code}")
        return Attempt(number, response.status_code, None)

    async def drain(self, timeout: float) -> None:
        """Wait for running deliveries (tests); gives up quietly after `timeout`."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
