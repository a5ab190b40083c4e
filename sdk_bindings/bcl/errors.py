"""The typed errors of the BCL codec; all are ValueErrors."""

from __future__ import annotations


class TemplateError(ValueError):
    """A template that is not valid BCL. ``path`` names the statement, e.g. ``sense[2].value.type``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class BclDecodeError(ValueError):
    """A payload the template cannot decode, worded like 1NCE's admin log entries."""

    def __init__(self, asset: str, detail: str) -> None:
        super().__init__(f"Asset path:{asset}, Error: {detail}")
        self.asset = asset
        self.detail = detail


class BclEncodeError(ValueError):
    """Values the template cannot encode (missing, out of range, conflicting, unused)."""

    def __init__(self, asset: str, detail: str) -> None:
        super().__init__(f"Asset path:{asset}, Error: {detail}")
        self.asset = asset
        self.detail = detail
