"""nce-hil: the rig, the harness, the virtual lab and the CLI."""

__version__ = "0.1.0"
