"""The `hil` command line."""
