"""Client of the 1NCE Management API (real or emulated): OAuth, SIMs, SMS, 1NCE OS."""

from .client import CloudApiError, CloudClient
from .config import CloudSettings, ConfigError, load_settings

__all__ = ["CloudApiError", "CloudClient", "CloudSettings", "ConfigError", "load_settings"]
