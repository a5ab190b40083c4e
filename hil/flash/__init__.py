"""Flashers: put an image on a board (QEMU, pyOCD, west), each declaring what it can do."""
