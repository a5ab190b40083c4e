"""The compiled C SDK (cffi extension), with an error that says how to build it."""

from __future__ import annotations

from typing import Any

try:
    from sdk_bindings._nce_sdk import ffi as _ffi
    from sdk_bindings._nce_sdk import lib as _lib
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(
        "the C SDK extension sdk_bindings._nce_sdk is not built: run bin/setup "
        "(or `pip install -e .` in the project's virtualenv)"
    ) from exc

ffi: Any = _ffi
lib: Any = _lib
