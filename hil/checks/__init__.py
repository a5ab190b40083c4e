"""Checks: what a suite verifies on a rig, each producing a CheckRecord."""
