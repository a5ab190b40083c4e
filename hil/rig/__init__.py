"""Rigs: what a check may ask a rig for (capabilities), the Rig handle, and its backends."""
