"""Where the rigs of a run come from: the virtual lab (one VirtualLab for the whole run, N rigs;
modem-mode rigs from open_rig, firmware-mode rigs from open_firmware_rig with the cached image) or
the rig file's local rigs (local backend + the board state machine bringing each to `booted`)."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from hil.checks.base import Mode
from hil.rig.rig import Rig
from hil.run.health import Health, check_health
from hil.run.plan import Plan, PlannedRig

SIM_TAKEN_RETRIES = 5  # a rig's SIM is free again once the previous mode's simulator has hung up


class Wiring(Protocol):
    backend: str

    def start(self) -> None: ...

    def close(self) -> None: ...

    def open(self, planned: PlannedRig, mode: Mode) -> Rig:
        """The rig, ready for `mode`'s checks; raises when it cannot be opened (infra)."""

    def health(self, rig: Rig, mode: Mode) -> Health: ...

    def rig_info(self, planned: PlannedRig) -> dict[str, Any]:
        """Keyword arguments of ResultsDB.add_rig (backend, board, dialect, iccid, tags)."""


def wiring_for(plan: Plan) -> Wiring:
    if plan.backend == "labgrid":
        return LabgridWiring(plan)
    return VirtualWiring(plan) if plan.backend == "virtual" else LocalWiring(plan)


class VirtualWiring:
    backend = "virtual"

    def __init__(self, plan: Plan) -> None:
        from hil.rig.backends.virtual import VirtualLab

        self.plan = plan
        self._index = {planned.spec.name: index for index, planned in enumerate(plan.rigs)}
        # Each rig keeps the SIM it claimed first, across modes and rounds (its usage adds up).
        self._iccid: dict[str, str] = {}
        self._lock = threading.Lock()
        self.lab = VirtualLab(rigs=len(plan.rigs), time_scale=plan.options.time_scale)

    def start(self) -> None:
        self.lab.start()

    def close(self) -> None:
        self.lab.close()

    def open(self, planned: PlannedRig, mode: Mode) -> Rig:
        name = planned.spec.name
        spec = self.lab.spec(self._index[name], name=name, dialect=planned.spec.dialect)
        with self._lock:
            spec = replace(spec, iccid=self._iccid.get(name))
        for attempt in range(SIM_TAKEN_RETRIES + 1):
            try:
                rig = self._open(spec, planned.faults, mode)
                break
            except Exception as exc:
                if "taken" not in str(exc) or attempt == SIM_TAKEN_RETRIES:
                    raise
                time.sleep(0.2 * (attempt + 1))
        if rig.spec.iccid:
            with self._lock:
                self._iccid[name] = rig.spec.iccid
        return rig

    def _open(self, spec: Any, faults: tuple[str, ...], mode: Mode) -> Rig:
        if mode == "modem":
            return self.lab.open_rig(spec, faults=faults)
        from hil.rig.backends.virtual import FIRMWARE_RIG_DIALECTS

        image = self.plan.image
        if image is None:
            raise RuntimeError("firmware mode without a firmware image (the plan should have built one)")
        if spec.dialect not in FIRMWARE_RIG_DIALECTS:
            # The firmware speaks fewer dialects than the simulator: this rig's firmware-mode
            # modem is the next one it does speak.
            index = self._index[spec.name]
            spec = replace(spec, dialect=FIRMWARE_RIG_DIALECTS[index % len(FIRMWARE_RIG_DIALECTS)])
        return self.lab.open_firmware_rig(
            spec, image, faults=faults, period_s=max(1, self.plan.options.period_s)
        )

    def health(self, rig: Rig, mode: Mode) -> Health:
        return check_health(rig, mode)

    def rig_info(self, planned: PlannedRig) -> dict[str, Any]:
        spec = planned.spec
        with self._lock:
            iccid = self._iccid.get(spec.name)
        tags = dict(spec.tags) or {"modem": spec.dialect or "", "rat": "lte-m"}
        if planned.faults:
            tags["faults"] = ",".join(planned.faults)
        return {
            "backend": "virtual",
            "board": spec.board or "mps2-an385",
            "dialect": spec.dialect,
            "iccid": iccid,
            "tags": tags,
        }


class LocalWiring:
    """Real rigs: each opened powered off and brought to `booted` by its BoardStrategy (the modem
    checks attach themselves; firmware attaches on its own)."""

    backend = "local"

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._strategies: dict[str, Any] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

    def open(self, planned: PlannedRig, mode: Mode) -> Rig:
        from hil.rig.backends.local import open_rig
        from hil.rig.strategy import BoardStrategy

        rig = open_rig(planned.spec, connect=False)
        image: Path | None = self.plan.image if mode == "firmware" else None
        with self._lock:
            self._strategies[planned.spec.name] = BoardStrategy(rig, image=image)
        return rig

    def health(self, rig: Rig, mode: Mode) -> Health:
        from hil.rig.strategy import StrategyError

        with self._lock:
            strategy = self._strategies[rig.name]
        try:
            strategy.transition("booted")
        except StrategyError as exc:
            return Health("bad", str(exc), exc.failure_class)
        if mode == "modem":
            try:
                rig.connect()  # type: ignore[attr-defined]  # LocalRig: open the modem port too
            except Exception as exc:
                return Health("bad", f"cannot open the modem port: {exc}", "infra")
        return check_health(rig, mode)

    def rig_info(self, planned: PlannedRig) -> dict[str, Any]:
        return _rig_file_info(self.backend, planned)


class LabgridWiring:
    """Rigs on labgrid places: each round's open reserves and acquires a place with the rig's
    tags (waiting while another session holds it); rig.close() releases it."""

    backend = "labgrid"

    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

    def open(self, planned: PlannedRig, mode: Mode) -> Rig:
        from hil.rig.backends.labgrid import open_rig

        return open_rig(planned.spec)

    def health(self, rig: Rig, mode: Mode) -> Health:
        return check_health(rig, mode)

    def rig_info(self, planned: PlannedRig) -> dict[str, Any]:
        return _rig_file_info(self.backend, planned)


def _rig_file_info(backend: str, planned: PlannedRig) -> dict[str, Any]:
    """A rig-file rig as ResultsDB.add_rig records it: what its spec says."""
    spec = planned.spec
    return {
        "backend": backend,
        "board": spec.board,
        "dialect": spec.dialect,
        "iccid": spec.iccid,
        "tags": dict(spec.tags),
    }
