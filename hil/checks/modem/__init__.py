"""Modem-mode checks: the harness drives the modem over AT and checks it against the 1NCE API.

Importing this package registers them (hil.checks.base.REGISTRY, mode "modem")."""

from hil.checks.modem import auth, downlink, network, sim, sms, uplink, usage

__all__ = ["auth", "downlink", "network", "sim", "sms", "uplink", "usage"]
