# The cffi extension built from sdk_bindings/_cffi_build.py; its API is the cdef there.
from typing import Any

ffi: Any
lib: Any
