"""Signing a test's httpx client in to the emulated 1NCE API (OAuth client credentials)."""

from __future__ import annotations

import httpx


def sign_in(client: httpx.Client, client_id: str, client_secret: str) -> httpx.Client:
    """Fetch a token with the client's own credentials and send it from now on."""
    answer = client.post(
        "/oauth/token", json={"grant_type": "client_credentials"}, auth=(client_id, client_secret)
    )
    assert answer.status_code == 200, (
        f"sign-in as {client_id} failed: HTTP {answer.status_code} {answer.text}"
    )
    client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return client
