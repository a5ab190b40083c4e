"""The nce-hil C SDK, its cffi bindings and the reference BCL (Energy Saver) codec."""
