"""Firmware-mode checks: the firmware does the work; checks verify from its console and the cloud."""
