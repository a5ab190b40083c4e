"""HTTP power switches: one small class per relay API, all with a timeout on every request and
errors that name the switch (URL with credentials removed), what was sent and what came back.

- simplerest (labgrid's NetworkPowerPort model "simplerest"): a URL template; GET with {value} = 1
  or 0 switches, GET with {value} = "" (trailing "/" stripped) reads "1" or "0"; {index} optional.
- tasmota: GET http://host/cm?cmnd=Power<index> On|Off|(nothing to read); answers {"POWER<index>":
  "ON"}; credentials in the URL (http://user:password@host) go as Tasmota's user/password query.
- shelly (Gen 1): POST http://host/relay/<index> with turn=on|off, GET it to read; answers
  {"ison": true, ...}; credentials in the URL go as HTTP basic auth.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from hil.rig.capabilities import PowerError
from hil.rig.rigfile import PowerSpec, redact_url

DEFAULT_TIMEOUT_S = 5.0


class HttpPowerSwitch:
    """The Power capability over HTTP; subclasses say how to switch and how to read the state."""

    kind = "http"

    def __init__(
        self,
        url: str,
        index: int | None = None,
        *,
        name: str | None = None,
        delay: float = 2.0,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        parts = urlsplit(url.replace("{", "%7B").replace("}", "%7D"))
        self._auth: tuple[str, str] | None = None
        if parts.username is not None:
            self._auth = (unquote(parts.username), unquote(parts.password or ""))
            host = parts.hostname or ""
            netloc = f"{host}:{parts.port}" if parts.port else host
            url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
            url = url.replace("%7B", "{").replace("%7D", "}")
        self.url = url
        self.index = index
        self.delay = delay
        self.timeout = timeout
        self.shown = redact_url(url)
        suffix = f" #{index}" if index is not None else ""
        self.name = name or f"{self.kind} {self.shown}{suffix}"
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    # --- the Power capability ---------------------------------------------------------------
    def on(self) -> None:
        self._switch(True)

    def off(self) -> None:
        self._switch(False)

    def cycle(self, off_time_s: float | None = None) -> None:
        """Off, wait (the rig's `power.delay` unless given), on."""
        wait = self.delay if off_time_s is None else off_time_s
        if wait < 0:
            raise ValueError(f"power cycle: off time must be >= 0 s, got {wait}")
        self.off()
        time.sleep(wait)
        self.on()

    def state(self) -> bool:
        """True when the outlet is on (asks the switch)."""
        return self._read()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpPowerSwitch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- per API ----------------------------------------------------------------------------
    def _switch(self, on: bool) -> None:
        raise NotImplementedError

    def _read(self) -> bool:
        raise NotImplementedError

    # --- plumbing ---------------------------------------------------------------------------
    def _request(self, method: str, url: str, *, what: str, **kwargs: Any) -> httpx.Response:
        shown = redact_url(url)
        try:
            response = self._client.request(method, url, auth=self._auth, **kwargs)
        except httpx.TimeoutException:
            raise PowerError(
                f"power switch {self.name}: {what}: no answer to {method} {shown} within {self.timeout:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise PowerError(
                f"power switch {self.name}: {what}: {method} {shown} failed: {type(exc).__name__}: "
                f"{redact_url(str(exc)) or 'no reason given'}"
            ) from None
        if response.status_code >= 300:
            raise PowerError(
                f"power switch {self.name}: {what}: {method} {shown} answered HTTP {response.status_code} "
                f"{response.reason_phrase}; body {_excerpt(response.text)}"
            )
        return response

    def _json(self, response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            body = json.loads(response.text)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise PowerError(
                f"power switch {self.name}: {what}: expected a JSON object from {self.kind}, "
                f"got {_excerpt(response.text)}"
            )
        return body


class SimpleRest(HttpPowerSwitch):
    """labgrid's simplerest: GET the URL with {value} 1/0 (and {index}) to switch."""

    kind = "simplerest"

    def _format(self, value: str) -> str:
        return self.url.format(value=value, index=self.index if self.index is not None else "")

    def _switch(self, on: bool) -> None:
        self._request("GET", self._format("1" if on else "0"), what=f"switch {'on' if on else 'off'}")

    def _read(self) -> bool:
        response = self._request("GET", self._format("").rstrip("/"), what="read state")
        text = response.text.strip()
        if text not in ("0", "1"):
            raise PowerError(f"power switch {self.name}: read state: expected 1 or 0, got {_excerpt(text)}")
        return text == "1"


class Tasmota(HttpPowerSwitch):
    """Tasmota's HTTP command API: /cm?cmnd=Power<n> On|Off."""

    kind = "tasmota"

    def _command(self, argument: str, what: str) -> bool:
        relay = f"Power{self.index}" if self.index is not None else "Power"
        params = {"cmnd": f"{relay} {argument}".strip()}
        if self._auth is not None:  # Tasmota reads web credentials from the query, not a header
            params["user"], params["password"] = self._auth
        response = self._request_tasmota(params, what)
        body = self._json(response, what)
        keys = [relay.upper()] + (["POWER1"] if self.index in (None, 1) else []) + ["POWER"]
        for key in keys:
            if key in body:
                state = str(body[key]).upper()
                if state in ("ON", "OFF"):
                    return state == "ON"
        raise PowerError(
            f"power switch {self.name}: {what}: expected {{{relay.upper()!r}: 'ON'|'OFF'}} from Tasmota, "
            f"got {_excerpt(response.text)}"
        )

    def _request_tasmota(self, params: dict[str, str], what: str) -> httpx.Response:
        auth, self._auth = self._auth, None  # not also as basic auth
        try:
            return self._request("GET", self.url.rstrip("/") + "/cm", what=what, params=params)
        finally:
            self._auth = auth

    def _switch(self, on: bool) -> None:
        word = "On" if on else "Off"
        state = self._command(word, f"switch {word.lower()}")
        if state != on:
            raise PowerError(
                f"power switch {self.name}: asked for {word}, Tasmota reports {'ON' if state else 'OFF'}"
            )

    def _read(self) -> bool:
        return self._command("", "read state")


class ShellyGen1(HttpPowerSwitch):
    """Shelly Gen 1 relays: POST /relay/<n> turn=on|off; GET /relay/<n> -> {"ison": bool}."""

    kind = "shelly"

    def _relay_url(self) -> str:
        return f"{self.url.rstrip('/')}/relay/{self.index or 0}"

    def _ison(self, response: httpx.Response, what: str) -> bool:
        body = self._json(response, what)
        ison = body.get("ison")
        if not isinstance(ison, bool):
            raise PowerError(
                f"power switch {self.name}: {what}: expected {{'ison': true|false}} from Shelly, "
                f"got {_excerpt(response.text)}"
            )
        return ison

    def _switch(self, on: bool) -> None:
        word = "on" if on else "off"
        what = f"switch {word}"
        response = self._request("POST", self._relay_url(), what=what, data={"turn": word})
        if self._ison(response, what) != on:
            raise PowerError(f"power switch {self.name}: asked to turn {word}, Shelly reports ison={not on}")

    def _read(self) -> bool:
        return self._ison(self._request("GET", self._relay_url(), what="read state"), "read state")


KINDS: dict[str, type[HttpPowerSwitch]] = {"simplerest": SimpleRest, "tasmota": Tasmota, "shelly": ShellyGen1}


def open_power(
    spec: PowerSpec, *, name: str | None = None, timeout: float = DEFAULT_TIMEOUT_S
) -> HttpPowerSwitch:
    """The Power capability for a rig file's `power:` entry."""
    try:
        kind = KINDS[spec.kind]
    except KeyError:
        raise PowerError(
            f"power switch kind {spec.kind!r} is unknown; expected one of {', '.join(KINDS)}"
        ) from None
    return kind(spec.url, spec.index, name=name, delay=spec.delay, timeout=timeout)


def _excerpt(text: str, limit: int = 80) -> str:
    text = text.strip()
    return repr(text if len(text) <= limit else text[: limit - 3] + "...") if text else "(empty)"
