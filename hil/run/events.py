"""What a run reports while it goes: small immutable events, sent from the rig workers' threads to
one listener (the live progress display, JSON lines, a test)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hil.records import CheckRecord


@dataclass(frozen=True)
class RunStarted:
    run_id: int
    rigs: tuple[str, ...]
    modes: tuple[str, ...]
    total: int | None  # results planned (None: rounds until a time)
    already_done: int  # results a resumed run already has
    resumed: bool


@dataclass(frozen=True)
class RigPlanned:
    rig: str
    total: int | None  # results this rig has to produce (None: rounds until a time)
    already_done: int


@dataclass(frozen=True)
class HealthChecked:
    rig: str
    mode: str
    round: int
    health: str  # good | unknown | bad
    reason: str
    failure_class: str | None


@dataclass(frozen=True)
class CheckStarted:
    rig: str
    mode: str
    check: str
    round: int
    attempt: int


@dataclass(frozen=True)
class CheckProgress:
    rig: str
    mode: str
    check: str
    message: str


@dataclass(frozen=True)
class CheckFinished:
    rig: str
    mode: str
    check: str
    round: int
    attempt: int
    record: CheckRecord
    will_retry: bool


@dataclass(frozen=True)
class RigQuarantined:
    rig: str
    reason: str


@dataclass(frozen=True)
class RigDone:
    rig: str
    state: str  # finished | quarantined | interrupted


@dataclass(frozen=True)
class RunEnded:
    run_id: int
    status: str  # passed | failed | interrupted


Event = (
    RunStarted
    | RigPlanned
    | HealthChecked
    | CheckStarted
    | CheckProgress
    | CheckFinished
    | RigQuarantined
    | RigDone
    | RunEnded
)
Listener = Callable[[Event], None]


def ignore(_event: Event) -> None:
    """The listener of a run nobody watches."""
