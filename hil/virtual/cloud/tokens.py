"""Bearer tokens of the emulated OAuth endpoint: opaque, random, expiring, kept only in memory.

Tokens are stored by their SHA-256, so not even a memory dump of the table shows a usable token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass

from hil.virtual.network.clock import Clock
from hil.virtual.network.inventory import ApiUser


@dataclass(frozen=True)
class Principal:
    """Who a valid token belongs to."""

    client_id: str
    organisation_id: str


class TokenError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CredentialsError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TokenIssuer:
    def __init__(self, users: list[ApiUser], organisation_id: str, clock: Clock, ttl: int = 3600) -> None:
        self._secrets = {user.client_id: user.client_secret for user in users}
        self.organisation_id = organisation_id
        self.clock = clock
        self.ttl = ttl
        self._tokens: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenIssuer(users={sorted(self._secrets)}, ttl={self.ttl})"

    def issue(self, client_id: str, client_secret: str) -> tuple[str, int]:
        """A new token for valid credentials; raises CredentialsError otherwise."""
        expected = self._secrets.get(client_id)
        if expected is None:
            raise CredentialsError("User does not exist.")
        if not hmac.compare_digest(expected.encode(), client_secret.encode()):
            raise CredentialsError("Incorrect username or password.")
        token = secrets.token_urlsafe(32)
        expires = self.clock.time() + self.ttl
        with self._lock:
            self._drop_expired()
            self._tokens[_digest(token)] = (Principal(client_id, self.organisation_id), expires)
        return token, self.ttl

    def verify(self, token: str) -> Principal:
        entry = self._tokens.get(_digest(token))
        if entry is None:
            raise TokenError("Unauthorized")
        principal, expires = entry
        if self.clock.time() >= expires:
            raise TokenError("The incoming token has expired")
        return principal

    def _drop_expired(self) -> None:
        now = self.clock.time()
        for key in [key for key, (_, expires) in self._tokens.items() if expires <= now]:
            del self._tokens[key]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
