"""Where the 1NCE API is and which credentials to use - from the environment, a config file, or the
endpoints file `hil cloud serve --endpoints-file` writes. Secrets stay in SecretStr: they never
show in reprs, logs or error messages.

Environment: NCE_API_URL (default https://api.1nce.com/management-api), NCE_CLIENT_ID,
NCE_CLIENT_SECRET, NCE_CONFIG (a config file path).
Config file (YAML; default ~/.config/nce-hil/cloud.yaml)::

    api_url: https://api.1nce.com/management-api
    client_id: 1234567_api
    client_secret: ...
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

PRODUCTION_API = "https://api.1nce.com/management-api"
DEFAULT_CONFIG = Path("~/.config/nce-hil/cloud.yaml")
NO_CREDENTIALS = (
    "no credentials: set NCE_CLIENT_ID/NCE_CLIENT_SECRET (or write them to ~/.config/nce-hil/cloud.yaml), "
    "or run `hil cloud serve --endpoints-file lab.json` and use --emulator lab.json"
)


class ConfigError(ValueError):
    pass


class CloudSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    api_url: str = PRODUCTION_API
    client_id: str
    client_secret: SecretStr

    def __repr__(self) -> str:
        return f"CloudSettings(api_url={self.api_url!r}, client_id={self.client_id!r}, client_secret=***)"


def load_settings(
    *,
    api_url: str | None = None,
    emulator_file: Path | None = None,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> CloudSettings:
    """Resolve settings: emulator endpoints file > environment > config file; api_url overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, str] = {}
    if emulator_file is not None:
        values = _from_endpoints(emulator_file)
    else:
        path = config_file or (
            Path(env["NCE_CONFIG"]) if env.get("NCE_CONFIG") else DEFAULT_CONFIG.expanduser()
        )
        if path.is_file():
            values = _from_config(path)
        elif config_file is not None:
            raise ConfigError(f"config file {path} does not exist")
        for key, name in (
            ("api_url", "NCE_API_URL"),
            ("client_id", "NCE_CLIENT_ID"),
            ("client_secret", "NCE_CLIENT_SECRET"),
        ):
            if env.get(name):
                values[key] = env[name]
    if api_url:
        values["api_url"] = api_url
    if not values.get("client_id") or not values.get("client_secret"):
        raise ConfigError(NO_CREDENTIALS)
    try:
        return CloudSettings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(f"invalid cloud settings: {exc.errors()[0]['msg']}") from None


def _from_config(path: Path) -> dict[str, str]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a mapping with api_url, client_id, client_secret")
    unknown = set(document) - {"api_url", "client_id", "client_secret"}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {sorted(unknown)}")
    return {key: str(value) for key, value in document.items() if value is not None}


def read_endpoints_file(path: Path) -> dict[str, Any]:
    """The endpoints JSON `hil cloud serve --endpoints-file` writes (API, UDP, CoAP, bootstrap ...)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the emulator endpoints file {path}: {exc}") from None
    if not isinstance(document, dict) or "api" not in document:
        raise ConfigError(f"{path} is not an endpoints file of `hil cloud serve`")
    return document


def _from_endpoints(path: Path) -> dict[str, str]:
    document = read_endpoints_file(path)
    values = {"api_url": str(document["api"]), "client_id": str(document.get("client_id", ""))}
    if document.get("client_secret"):
        values["client_secret"] = str(document["client_secret"])
    return values
