"""Modem-mode checks: the harness drives the modem over AT and checks it against the 1NCE API."""
