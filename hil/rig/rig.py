"""A Rig: one board + modem + SIM (+ probe, power), as the capabilities it can hand out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class RigIdentity(Protocol):
    """What a rig needs of its spec (hil.rig.rigfile.RigSpec provides it)."""

    @property
    def name(self) -> str: ...

    @property
    def backend(self) -> str: ...


class MissingCapabilityError(LookupError):
    """A check asked a rig for something it does not have."""

    def __init__(self, rig: str, capability: str, have: list[str], needed_by: str | None = None) -> None:
        self.rig = rig
        self.capability = capability
        who = f" (needed by {needed_by})" if needed_by else ""
        super().__init__(
            f"rig {rig!r} has no {capability} capability{who}; it has: {', '.join(have) or 'nothing'}"
        )


MissingCapability = MissingCapabilityError  # the name contracts.md uses


class Rig:
    """Capabilities by type, plus the callbacks that release them on close (reverse order)."""

    def __init__(
        self,
        spec: Any,
        capabilities: Mapping[type, object] | None = None,
        *,
        closers: list[Callable[[], None]] | None = None,
    ) -> None:
        self.spec = spec
        self._capabilities: dict[type, object] = dict(capabilities or {})
        self._closers: list[Callable[[], None]] = list(closers or [])
        self._closed = False
        # capability name -> why the rig has none (no port in the rig file, a place without the
        # resource ...): get() adds it to the error so the user learns what to change.
        self.unavailable: dict[str, str] = {}

    @property
    def name(self) -> str:
        return str(self.spec.name)

    def add(self, capability: type[T], value: T, closer: Callable[[], None] | None = None) -> None:
        self._capabilities[capability] = value
        if closer is not None:
            self._closers.append(closer)

    def on_close(self, closer: Callable[[], None]) -> None:
        self._closers.append(closer)

    def has(self, capability: type) -> bool:
        return capability in self._capabilities

    def get(self, capability: type[T], needed_by: str | None = None) -> T:
        try:
            value = self._capabilities[capability]
        except KeyError:
            error = MissingCapabilityError(self.name, capability.__name__, self.capability_names(), needed_by)
            reason = self.unavailable.get(capability.__name__)
            if reason is not None:
                error.args = (f"{error}; {reason}",)
            raise error from None
        return value  # type: ignore[return-value]  # stored under its own type by add()

    def capability_names(self) -> list[str]:
        return sorted(c.__name__ for c in self._capabilities)

    def close(self) -> None:
        """Release everything; one closer failing does not keep the others from running."""
        if self._closed:
            return
        self._closed = True
        errors: list[BaseException] = []
        for closer in reversed(self._closers):
            try:
                closer()
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise RuntimeError(f"rig {self.name}: {len(errors)} capability(ies) failed to close: {errors[0]}")

    def __enter__(self) -> Rig:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Rig({self.name!r}, {', '.join(self.capability_names())})"
