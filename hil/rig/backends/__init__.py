"""Rig backends: each turns a RigSpec into a Rig with the capabilities it can offer."""
