"""nce-hil keywords for Robot Framework: `Library    hil.robot`.

A thin keyword library over the same checks, rigs and results DB as `hil run` and the pytest
plugin: every keyword that checks something runs `run_check` (or measures on the console),
commits a record into the results DB (source "robot") and logs its measurements.

    *** Settings ***
    Library           hil.robot    lab=virtual
    Suite Setup       Open Rig
    Suite Teardown    Close Rig

    *** Test Cases ***
    Attach
        Attach Modem    timeout_s=60

Rigs: `lab=virtual` (a virtual lab in each Robot process) or `rigs_file=rigs.yaml` (real rigs,
one process per rig through a file lock). `Open Rig` without a name takes a rig no other process
has: under pabot from PabotLib - a value set with the tag `rig` when pabot runs with
`--resourcefile` (its key `name` names the rig), else a shared free list kept under PabotLib's
`Acquire Lock`; under plain `robot` the first rig. Under pabot all processes record into one run
(its id shared through PabotLib); under `robot` the process has its own.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path
from typing import Any

from robot.api.deco import keyword

from hil.checks.base import MODES, Mode
from hil.frontends.recorder import RUN_ID_ENV, RunRecorder, failure_text, run_and_record
from hil.frontends.rigs import HeldRig, RigPool, parse_tags
from hil.records import CheckRecord, Step

__all__ = ["HilLibrary", "robot"]
__version__ = "0.1.0"

VIRTUAL_RIG_NAMES = tuple(f"virtual-{n}" for n in range(1, 9))  # at most 8 pabot processes at once
_RUN_KEY = "nce_hil_run_id"
_FREE_KEY = "nce_hil_free_rigs"
_LOCK = "nce_hil_rigs"


class HilLibrary:
    """nce-hil: checks on rigs with 1NCE SIMs (virtual lab or rigs.yaml), recorded in the results DB.

    Library arguments: `lab` (`virtual`, the default when no `rigs_file` is given), `rigs_file`,
    `results_db` (default: `$HIL_RESULTS_DB` or `hil-results/results.db`), `time_scale` (virtual
    modems' delays, default 0.01), `suite` (the run's suite name, default `robot`).

    Keywords that check something pass when the check passes; when it fails, the failure says the
    failure class (infra, flash, dut, network, sim) and what was expected and what came.
    """

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    ROBOT_LIBRARY_VERSION = __version__

    def __init__(
        self,
        lab: str | None = None,
        rigs_file: str | None = None,
        results_db: str | None = None,
        time_scale: float = 0.01,
        suite: str = "robot",
    ) -> None:
        if lab not in (None, "virtual"):
            raise ValueError(f"lab must be 'virtual' (or left out with rigs_file), got {lab!r}")
        self.ROBOT_LIBRARY_LISTENER = _EndOfExecution(self)
        self.lab_kind = "virtual" if rigs_file is None else lab
        self.rigs_file = rigs_file
        self.results_db = results_db
        self.time_scale = float(time_scale)
        self.suite = suite
        self._pool: RigPool | None = None
        self._held: HeldRig | None = None
        self._recorder: RunRecorder | None = None
        self._pabot: Any = None
        self._allocated: str | None = None  # how the rig was taken: "valueset" | "list" | None
        self._state: dict[str, Any] = {}

    # -- rigs ----------------------------------------------------------------------------------
    def open_virtual_lab(self, time_scale: float | None = None) -> None:
        """Use the virtual lab: one emulated 1NCE cloud and simulated modems, in this process."""
        if self._pool is not None and self._pool.backend != "virtual":
            raise RuntimeError("rigs already come from a rig file in this process")
        self.lab_kind, self.rigs_file = "virtual", None
        if time_scale is not None:
            self.time_scale = float(time_scale)

    def open_rig(
        self, name: str | None = None, mode: str = "modem", modem: str | None = None, tags: str = ""
    ) -> str:
        """Take a rig and open it in `mode` (modem or firmware); returns its name.

        Without `name` it takes one no other process holds (see the library introduction).
        `modem` asks for a modem (a virtual rig is made with it); `tags` are more KEY=VALUE
        tags, comma-separated, a real rig must carry. Opening another rig closes the one this
        process had."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if self._held is not None:
            self.close_rig()
        pool = self._rig_pool()
        wanted = name or self._allocate(pool)
        try:
            wanted_tags = parse_tags([t for t in tags.split(",") if t.strip()])
            if modem:
                wanted_tags["modem"] = modem
            self._held = pool.acquire(wanted_tags, _mode(mode), wanted)
        except BaseException:
            self._release_allocation()
            raise
        self._state = {}
        self._recorder_for().add_rig(self._held.rig, self._held.info)
        _log(
            f"rig {self._held.rig.name} open in {mode} mode ({', '.join(self._held.rig.capability_names())})"
        )
        return self._held.rig.name

    def close_rig(self) -> None:
        """Close this process's rig and give it back (value set, free list, file lock)."""
        held, self._held = self._held, None
        if held is not None and self._pool is not None:
            self._pool._close(held.rig.name)
        self._release_allocation()

    # -- checks --------------------------------------------------------------------------------
    def run_check(self, name: str, **params: Any) -> CheckRecord:
        """Run the check `name` on the rig in its mode with `params` (`limits` as a dictionary of
        measurement -> {low, high, expected}); records it; returns the record, pass or fail."""
        held = self._rig()
        limits = params.pop("limits", None)
        record = run_and_record(
            self._recorder_for(),
            held.rig,
            name,
            mode=held.mode,
            params={k: _number(v) for k, v in params.items()},
            limits=limits,
            state=self._state,
        )
        _log_record(record)
        return record

    def check_should_pass(self, name: str, **params: Any) -> CheckRecord:
        """`Run Check`, failing with the check's failure class and findings unless it passed."""
        record = self.run_check(name, **params)
        if not record.passed:
            raise AssertionError(failure_text(record))
        return record

    @keyword("SIM Should Be Ready")
    def sim_should_be_ready(self) -> None:
        """The SIM is ready, its ICCID the API's (check sim_ready)."""
        self.check_should_pass("sim_ready")

    def attach_modem(self, timeout_s: float = 180, rat: str | None = None) -> float:
        """A full attach (check attach): stat 5, roaming; returns the time to attach in seconds."""
        params: dict[str, Any] = {"timeout_s": timeout_s}
        if rat:
            params["rat"] = rat
        record = self.check_should_pass("attach", **params)
        return float(_measurement(record, "time_to_attach") or 0.0)

    @keyword("Send SMS From Device")
    def send_sms_from_device(self, number: str | None = None, timeout_s: float = 60) -> float:
        """The device sends an SMS; the 1NCE API lists it as MO (check sms_mo). Returns the API
        latency in ms."""
        params: dict[str, Any] = {"timeout_s": timeout_s}
        if number:
            params["number"] = number
        record = self.check_should_pass("sms_mo", **params)
        return float(_measurement(record, "api_latency") or 0.0)

    @keyword("Device Should Receive SMS")
    def device_should_receive_sms(self, timeout_s: float = 60) -> float:
        """The API sends an SMS to the device; it arrives and turns DELIVERED (check sms_mt).
        Returns the receive latency in ms."""
        record = self.check_should_pass("sms_mt", timeout_s=timeout_s)
        return float(_measurement(record, "receive_latency") or 0.0)

    def uplink_should_decode_to(self, protocol: str = "udp", **values: Any) -> float:
        """Send these sensor values BCL-encoded over `protocol` (udp or coap); the cloud must
        decode exactly them (checks uplink_udp / uplink_coap). Returns the Energy Saver's saving
        in %."""
        if protocol not in ("udp", "coap"):
            raise ValueError(f"protocol must be udp or coap, got {protocol!r}")
        params: dict[str, Any] = {"values": {k: _number(v) for k, v in values.items()}} if values else {}
        record = self.check_should_pass(f"uplink_{protocol}", **params)
        return float(_measurement(record, "saving_pct") or 0.0)

    @keyword("Bootstrap Should Return PSK")
    def bootstrap_should_return_psk(self) -> int:
        """The device authenticates at the bootstrap endpoint (the SDK's os_auth); the PSK it gets
        is the cloud's for its ICCID (check device_auth). Returns the PSK's length - never the
        PSK."""
        record = self.check_should_pass("device_auth")
        return int(_measurement(record, "psk_length") or 0)

    def downlink_should_arrive(self, timeout_s: float = 30) -> None:
        """A Device Controller UDP downlink reaches the device (check downlink)."""
        self.check_should_pass("downlink", timeout_s=timeout_s)

    # -- console (firmware mode) ---------------------------------------------------------------
    def flash_firmware(self, image: str | None = None) -> float:
        """Flash `image` (default: the image the rig booted) through the rig's Flasher and boot
        it; records `flash_time` (s). Returns it."""
        from hil.rig.capabilities import Flasher

        held = self._rig()
        flasher = held.rig.get(Flasher, needed_by="Flash Firmware")  # type: ignore[type-abstract]
        path = Path(image) if image else getattr(flasher, "image", None)
        record = CheckRecord("flash_firmware", held.rig.name)
        step = Step("flash")
        record.steps.append(step)
        started = time.monotonic()
        try:
            if path is None:
                raise FileNotFoundError("no image given and the rig's flasher has none")
            flasher.flash(Path(path))
            step.measure("flash_time", round(time.monotonic() - started, 3), "s")
        except Exception as exc:
            from hil.checks.classify import classify

            step.error = f"{type(exc).__name__}: {exc}"
            record.failure_class = classify(exc)
        record.duration_s = time.monotonic() - started
        self._record(held, record)
        if not record.passed:
            raise AssertionError(failure_text(record))
        return float(step.measurements[0].value)

    def console_should_show(self, pattern: str, timeout: float = 30) -> str:
        """Wait until a console line matches the regular expression `pattern` (fails at once on a
        death string such as HardFault); records `matched` and `wait_s`. Returns the line."""
        from hil.rig.capabilities import Console

        held = self._rig()
        console = held.rig.get(Console, needed_by="Console Should Show")  # type: ignore[type-abstract]
        record = CheckRecord("console_should_show", held.rig.name)
        step = Step(f"expect {pattern}")
        record.steps.append(step)
        started = time.monotonic()
        line = ""
        try:
            match = console.expect(re.compile(pattern), float(timeout))
            line = match.string
            step.measure("matched", True, expected=True)
            step.measure("wait_s", round(time.monotonic() - started, 3), "s")
        except Exception as exc:
            from hil.checks.classify import classify

            step.measure("matched", False, expected=True)
            step.error = f"{type(exc).__name__}: {exc}"
            record.failure_class = classify(exc)
        record.duration_s = time.monotonic() - started
        record.transcript = "\n".join(console.lines()[-50:])
        self._record(held, record)
        if not record.passed:
            raise AssertionError(failure_text(record))
        return line

    # -- end of execution ----------------------------------------------------------------------
    def _finish(self) -> None:
        """Close the rig, finish the run (from the listener, when the execution ends)."""
        with contextlib.suppress(Exception):
            self.close_rig()
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._recorder is not None:
            with contextlib.suppress(Exception):
                self._recorder.finish()
            self._recorder.close()
            self._recorder = None

    # -- internals -----------------------------------------------------------------------------
    def _rig(self) -> HeldRig:
        if self._held is None:
            raise RuntimeError("no rig is open: call Open Rig first (e.g. in the Suite Setup)")
        return self._held

    def _rig_pool(self) -> RigPool:
        if self._pool is None:
            if self.rigs_file is not None:
                self._pool = RigPool.local(self.rigs_file)
            else:
                self._pool = RigPool.virtual(list(VIRTUAL_RIG_NAMES), time_scale=self.time_scale)
        return self._pool

    def _record(self, held: HeldRig, record: CheckRecord) -> None:
        self._recorder_for().record(held.rig.name, record, held.mode)
        _log_record(record)

    def _recorder_for(self) -> RunRecorder:
        if self._recorder is None:
            from hil.records.db import default_db_path

            run_id = self._shared_run_id()
            self._recorder = RunRecorder(
                Path(self.results_db) if self.results_db else default_db_path(),
                source="robot",
                suite=self.suite,
                argv=["robot"],
                meta={"frontend": "robot", "lab": self.lab_kind, "rigs_file": self.rigs_file},
                run_id=run_id,
                worker=_pabot_id() or f"pid{os.getpid()}",
            )
        return self._recorder

    def _shared_run_id(self) -> int | None:
        """The run of the whole execution: $HIL_FRONTEND_RUN_ID, else (pabot) the one the first
        process published; None: this process starts one."""
        env = os.environ.get(RUN_ID_ENV)
        if env:
            return int(env)
        lib = self._pabot_lib()
        if lib is None:
            return None
        lib.acquire_lock(_LOCK)
        try:
            value = lib.get_parallel_value_for_key(_RUN_KEY)
            if value:
                return int(value)
            recorder = RunRecorder(
                Path(self.results_db) if self.results_db else default_results_db(),
                source="robot",
                suite=self.suite,
                argv=["pabot"],
                meta={"frontend": "robot", "runner": "pabot", "lab": self.lab_kind},
            )
            run_id = recorder.run_id
            recorder.close()
            lib.set_parallel_value_for_key(_RUN_KEY, str(run_id))
            return run_id
        finally:
            lib.release_lock(_LOCK)

    def _pabot_lib(self) -> Any:
        """PabotLib when running under pabot (its ${PABOTLIBURI} is set), else None."""
        if self._pabot is None:
            if not _variable("${PABOTLIBURI}"):
                return None
            from pabot.pabotlib import PabotLib

            self._pabot = PabotLib()
        return self._pabot

    def _allocate(self, pool: RigPool) -> str | None:
        lib = self._pabot_lib()
        if lib is None:
            return None  # plain robot: the pool's first rig (local: the first free one)
        with contextlib.suppress(Exception):  # no value sets: pabot ran without --resourcefile
            lib.acquire_value_set("rig")
            self._allocated = "valueset"
            return str(lib.get_value_from_set("name"))
        lib.acquire_lock(_LOCK)
        try:
            free = lib.get_parallel_value_for_key(_FREE_KEY)
            names = str(free).split(",") if free else list(pool.names)
            if not names or names == [""]:
                raise RuntimeError(f"all rigs are taken by other pabot processes ({', '.join(pool.names)})")
            name, rest = names[0], names[1:]
            lib.set_parallel_value_for_key(_FREE_KEY, ",".join(rest) if rest else ",")
        finally:
            lib.release_lock(_LOCK)
        self._allocated = f"list:{name}"
        return name

    def _release_allocation(self) -> None:
        allocated, self._allocated = self._allocated, None
        lib = self._pabot if allocated else None
        if lib is None or allocated is None:
            return
        if allocated == "valueset":
            lib.release_value_set()
            return
        name = allocated.partition(":")[2]
        lib.acquire_lock(_LOCK)
        try:
            free = str(lib.get_parallel_value_for_key(_FREE_KEY) or "")
            names = [n for n in free.split(",") if n]
            lib.set_parallel_value_for_key(_FREE_KEY, ",".join([name, *names]))
        finally:
            lib.release_lock(_LOCK)


class _EndOfExecution:
    """The library's listener: Robot calls close() when the execution ends (not a keyword)."""

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, library: HilLibrary) -> None:
        self.library = library

    def close(self) -> None:
        self.library._finish()


def default_results_db() -> Path:
    from hil.records.db import default_db_path

    return default_db_path()


def _mode(text: str) -> Mode:
    return "firmware" if text == "firmware" else "modem"


def _number(value: Any) -> Any:
    """Robot passes strings: '60' -> 60, '21.5' -> 21.5; anything else as it is."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
        with contextlib.suppress(ValueError):
            return float(value)
    return value


def _measurement(record: CheckRecord, name: str) -> Any:
    for step in record.steps:
        for measurement in step.measurements:
            if measurement.name == name:
                return measurement.value
    return None


def _variable(name: str) -> Any:
    try:
        from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError
    except ImportError:
        return None
    try:
        return BuiltIn().get_variable_value(name)
    except RobotNotRunningError:
        return None


def _pabot_id() -> str | None:
    value = _variable("${CALLER_ID}") or _variable("${PABOTEXECUTIONPOOLID}")
    return f"pabot-{value}" if value is not None else None


def _log(message: str) -> None:
    try:
        from robot.api import logger
    except ImportError:
        return
    logger.info(message)


def _log_record(record: CheckRecord) -> None:
    lines = [f"{record.check} on {record.subject}: {'PASS' if record.passed else 'FAIL'}"]
    for step in record.steps:
        lines.extend(f"  {step.name}: {m.describe()}" for m in step.measurements)
        if step.error:
            lines.append(f"  {step.name}: {step.error}")
    _log("\n".join(lines))


robot = HilLibrary  # `Library    hil.robot` imports the class named like the module
