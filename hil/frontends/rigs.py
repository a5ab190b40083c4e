"""The rigs of one front-end process, opened through `hil run`'s wiring (hil/run/wiring.py), so a
rig is opened, health-checked and named in the DB exactly as `hil run` does it.

- virtual: this process's own VirtualLab with its own rig names (pytest-xdist worker gw1 gets
  virtual-2, a pabot process the name its value set gave it), so no name is used by two processes;
- local (rigs.yaml): a file lock per rig name in a directory all processes share
  (`$HIL_RIG_LOCK_DIR`, else <tmp>/nce-hil-rig-locks): a real rig is held by one process at a time;
  it stays held (and open) until the process ends, so the next test on it does not reopen it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from hil.checks.base import MODES, Mode
from hil.frontends.tee import tee_console
from hil.rig.rig import Rig
from hil.rig.rigfile import RigSpec, parse_tag_filters
from hil.run.plan import FIRMWARE_TARGET, Plan, PlannedRig, RunOptions, build_plan
from hil.run.wiring import VirtualWiring, Wiring, wiring_for

LOCK_DIR_ENV = "HIL_RIG_LOCK_DIR"
DEFAULT_LOCK_TIMEOUT_S = 600.0
# Tags a virtual rig takes whatever value is asked: it is made with that modem.
VIRTUAL_TAGS = frozenset({"modem"})


class RigUnavailableError(LookupError):
    """No rig matches what was asked; says what was asked and what exists."""


class RigBusyError(RigUnavailableError):
    """A matching rig exists but did not come free in time, or is not healthy."""


def lock_dir() -> Path:
    return Path(os.environ.get(LOCK_DIR_ENV) or Path(tempfile.gettempdir()) / "nce-hil-rig-locks")


class RigLock:
    """An exclusive fcntl lock on <dir>/<rig>.lock: one process per real rig, across processes
    that know nothing of each other (xdist workers, pabot, two terminals). The OS drops it when
    the process dies, so a crashed worker never leaves a rig locked."""

    def __init__(self, name: str, directory: Path | None = None) -> None:
        self.name = name
        self.path = (directory or lock_dir()) / f"{name}.lock"
        self._handle: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def try_acquire(self) -> bool:
        if self._handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")  # who holds it, for a person looking
        handle.flush()
        self._handle = handle
        return True

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


@dataclass
class HeldRig:
    rig: Rig
    mode: Mode
    planned: PlannedRig
    info: dict[str, Any]  # ResultsDB.add_rig keyword arguments


def parse_tags(items: Sequence[str] | Mapping[str, str]) -> dict[str, str]:
    """("modem=bg96", "rat=lte-m") or a mapping -> {"modem": "bg96", ...} (RigSelectionError, a
    ValueError, names a bad item)."""
    if isinstance(items, Mapping):
        return {str(k): str(v) for k, v in items.items()}
    return parse_tag_filters(str(item) for item in items)


class RigPool:
    """Rigs for one process: acquire(tags, mode) hands out an open rig, reused while it fits."""

    def __init__(self, plan: Plan, wiring: Wiring, *, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> None:
        self.plan = plan
        self.wiring = wiring
        self.backend = plan.backend
        self.lock_timeout_s = lock_timeout_s
        self._held: dict[str, HeldRig] = {}
        self._locks: dict[str, RigLock] = {}
        self._started = False

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def virtual(cls, names: Sequence[str], *, time_scale: float = 0.01, first_index: int = 0) -> RigPool:
        """Virtual rigs named `names` (dialects in turn from `first_index`) in a lab of their own."""
        from hil.rig.backends.virtual import DEFAULT_DIALECTS

        plan = build_plan(RunOptions(rigs=1, mode="modem", time_scale=time_scale))
        rigs = tuple(
            PlannedRig(
                RigSpec(
                    name,
                    backend="virtual",
                    dialect=DEFAULT_DIALECTS[(first_index + i) % len(DEFAULT_DIALECTS)],
                    source="virtual lab",
                )
            )
            for i, name in enumerate(names)
        )
        plan = replace(plan, rigs=rigs)
        return cls(plan, VirtualWiring(plan))

    @classmethod
    def local(
        cls,
        rigs_file: str | None,
        names: Sequence[str] = (),
        *,
        lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    ) -> RigPool:
        """The rigs of a rig file (all, or those named), local or labgrid as `hil run` opens them;
        PlanError names the problem."""
        plan = build_plan(RunOptions(mode="modem", rig_names=tuple(names), rigs_file=rigs_file))
        return cls(plan, wiring_for(plan), lock_timeout_s=lock_timeout_s)

    # -- the lab -------------------------------------------------------------------------------
    def start(self) -> None:
        if not self._started:
            self.wiring.start()
            self._started = True

    @property
    def lab(self) -> Any:
        """The VirtualLab (virtual backend only), started."""
        if not isinstance(self.wiring, VirtualWiring):
            raise RigUnavailableError(
                "there is no virtual lab: the rigs come from a rig file (--lab virtual)"
            )
        self.start()
        return self.wiring.lab

    @property
    def names(self) -> list[str]:
        return [planned.spec.name for planned in self.plan.rigs]

    # -- rigs ----------------------------------------------------------------------------------
    def acquire(
        self, tags: Mapping[str, str] | None = None, mode: Mode = "modem", name: str | None = None
    ) -> HeldRig:
        """An open rig with every tag (a virtual rig is made with the `modem` asked), in `mode`."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        wanted = dict(tags or {})
        if self.backend == "virtual":
            return self._virtual(wanted, mode, name)
        return self._local(wanted, mode, name)

    def _virtual(self, tags: dict[str, str], mode: Mode, name: str | None) -> HeldRig:
        from hil.rig.backends.virtual import DEFAULT_DIALECTS

        other = {k: v for k, v in tags.items() if k not in VIRTUAL_TAGS and not (k == "rat" and v == "lte-m")}
        if other:
            asked = ", ".join(f"{k}={v}" for k, v in other.items())
            raise RigUnavailableError(
                f"a virtual rig has only the tags modem=<dialect> and rat=lte-m; asked {asked}"
            )
        dialect = tags.get("modem")
        if dialect is not None and dialect not in DEFAULT_DIALECTS:
            raise RigUnavailableError(
                f"no virtual rig speaks modem={dialect}; expected one of {', '.join(DEFAULT_DIALECTS)}"
            )
        planned = self._planned(name)
        if dialect is not None:
            planned = PlannedRig(replace(planned.spec, dialect=dialect), planned.faults)
        return self._open(planned, mode)

    def _local(self, tags: dict[str, str], mode: Mode, name: str | None) -> HeldRig:
        candidates = [
            p
            for p in self.plan.rigs
            if (name is None or p.spec.name == name) and all(p.spec.tags.get(k) == v for k, v in tags.items())
        ]
        if not candidates:
            have = "; ".join(
                f"{p.spec.name}: {', '.join(f'{k}={v}' for k, v in p.spec.tags.items()) or 'no tags'}"
                for p in self.plan.rigs
            )
            asked = ", ".join(f"{k}={v}" for k, v in tags.items()) or "any"
            raise RigUnavailableError(f"no rig{f' {name!r}' if name else ''} with tags {asked} ({have})")
        for planned in candidates:  # one we already hold: no waiting, no reopening
            if planned.spec.name in self._held:
                return self._open(planned, mode)
        deadline = time.monotonic() + self.lock_timeout_s
        while True:
            for planned in candidates:
                lock = self._locks.setdefault(planned.spec.name, RigLock(planned.spec.name))
                if lock.try_acquire():
                    return self._open(planned, mode)
            if time.monotonic() >= deadline:
                raise RigBusyError(
                    f"none of {', '.join(p.spec.name for p in candidates)} came free within "
                    f"{self.lock_timeout_s:g} s (held by other processes; locks in {lock_dir()})"
                )
            time.sleep(0.2)

    def _planned(self, name: str | None) -> PlannedRig:
        if name is None:
            return self.plan.rigs[0]
        for planned in self.plan.rigs:
            if planned.spec.name == name:
                return planned
        raise RigUnavailableError(f"no rig {name!r} in this process (it has {', '.join(self.names)})")

    def _open(self, planned: PlannedRig, mode: Mode) -> HeldRig:
        name = planned.spec.name
        held = self._held.get(name)
        if held is not None and held.mode == mode and held.planned.spec.dialect == planned.spec.dialect:
            return held
        if held is not None:
            self._close(name)
        self.start()
        if mode == "firmware" and self.backend == "virtual" and self.plan.image is None:
            self._ensure_image()
        rig = self.wiring.open(planned, mode)
        try:
            health = self.wiring.health(rig, mode)
            if health.health == "bad":
                raise RigBusyError(f"rig {name} is not usable in {mode} mode: {health.reason}")
            if mode == "firmware":
                tee_console(rig)
        except BaseException:
            rig.close()
            raise
        info = self.wiring.rig_info(planned)
        held = HeldRig(rig, mode, planned, info)
        self._held[name] = held
        return held

    def _ensure_image(self) -> None:
        from hil.firmware.cache import ensure_image

        image = ensure_image(*FIRMWARE_TARGET)
        self.plan = replace(self.plan, image=image)
        if isinstance(self.wiring, VirtualWiring):
            self.wiring.plan = self.plan

    def _close(self, name: str) -> None:
        held = self._held.pop(name, None)
        if held is not None:
            with contextlib.suppress(Exception):
                held.rig.close()

    def close(self) -> None:
        for name in list(self._held):
            self._close(name)
        for lock in self._locks.values():
            lock.release()
        if self._started:
            self._started = False
            with contextlib.suppress(Exception):
                self.wiring.close()
