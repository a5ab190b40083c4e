"""Firmware-side helpers of the harness: the config block layout, images, QEMU runs."""
