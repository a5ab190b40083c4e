"""Talking to cellular modems over AT commands."""
