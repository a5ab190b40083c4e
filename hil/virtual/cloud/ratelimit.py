"""1NCE's API rate limit on /sims: 10 requests per second per customer, answered with 429 and
Retry-After when exceeded (a token bucket per organisation)."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets: `rate` requests per second, bursts up to `burst`; rate 0 turns it off."""

    def __init__(self, rate: float = 10.0, burst: int | None = None) -> None:
        self.rate = rate
        self.burst = float(burst if burst is not None else max(int(rate), 1))
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float | None:
        """None when the request may go; otherwise the seconds to wait before retrying."""
        if self.rate <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket(self.burst, now))
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return (1 - bucket.tokens) / self.rate


def retry_after_header(wait: float) -> str:
    """Retry-After is whole seconds; round up so a client that obeys it is let through."""
    return str(max(1, math.ceil(wait)))
