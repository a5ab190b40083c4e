"""The nce-hil C SDK, its cffi bindings and the reference BCL (Energy Saver) codec.

``sdk_bindings.bcl`` (pure Python codec), ``sdk_bindings.coap``, ``sdk_bindings.auth`` and
``sdk_bindings.energy_saver`` (over the compiled C), ``sdk_bindings.footprint`` (``hil sdk size``).
See sdk_bindings/README.md.
"""
