"""The virtual lab: simulated modem, emulated 1NCE network and cloud, QEMU boards."""
