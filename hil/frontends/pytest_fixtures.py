"""The plugin's fixtures (registered by pytest_plugin.pytest_configure, after pytest-embedded, so
`dut` here is pytest-embedded's Dut over OUR rig's console, not its service-built one)."""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

from hil.frontends.pytest_state import TEST_STATE, TestState, session_of

if TYPE_CHECKING:  # loaded in every pytest run: the harness is imported when a fixture runs
    from hil.checks.base import Mode
    from hil.records import CheckRecord
    from hil.rig.capabilities import Cloud, Console, Flasher, Modem
    from hil.rig.rig import Rig

MODES = ("modem", "firmware")  # = hil.checks.base.MODES

CheckRunner = Callable[..., "CheckRecord"]


def _marker(request: pytest.FixtureRequest) -> tuple[dict[str, str], Mode, str | None]:
    from hil.frontends.rigs import parse_tags

    marker = request.node.get_closest_marker("rig")
    if marker is None:
        return {}, "modem", None
    try:
        tags = parse_tags([str(arg) for arg in marker.args])
    except ValueError as exc:
        raise pytest.UsageError(f"{request.node.nodeid}: @pytest.mark.rig: {exc}") from None
    mode = marker.kwargs.get("mode", "modem")
    if mode not in MODES:
        raise pytest.UsageError(
            f"{request.node.nodeid}: @pytest.mark.rig(mode=...) must be one of "
            f"{', '.join(MODES)}, got {mode!r}"
        )
    name = marker.kwargs.get("name")
    return tags, mode, None if name is None else str(name)


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest) -> Any:
    """The virtual lab of this process (`--lab virtual`): one emulated 1NCE cloud, simulated modems."""
    session = session_of(request.config)
    if request.config.getoption("hil_lab") != "virtual":
        pytest.skip("the lab fixture needs --lab virtual")
    return session.pool.lab


@pytest.fixture
def rig(request: pytest.FixtureRequest) -> Generator[Rig, None, None]:
    """A rig for this test, chosen by @pytest.mark.rig; held by this process only."""
    from hil.frontends.rigs import RigBusyError, RigUnavailableError

    session = session_of(request.config)
    tags, mode, name = _marker(request)
    try:
        held = session.pool.acquire(tags, mode, name)
    except RigBusyError:
        raise
    except RigUnavailableError as exc:
        pytest.skip(str(exc))
    session.recorder.add_rig(held.rig, held.info)
    request.node.stash[TEST_STATE] = TestState.begin(held)
    yield held.rig


@pytest.fixture
def modem(rig: Rig) -> Modem:
    """The rig's modem (at_commands.modem.Modem), modem mode."""
    from hil.rig.capabilities import Modem

    return rig.get(Modem, needed_by="the modem fixture")


@pytest.fixture
def cloud(rig: Rig) -> Cloud:
    """The rig's 1NCE side: API client, endpoints (emulator on a virtual rig)."""
    from hil.rig.capabilities import Cloud

    return rig.get(Cloud, needed_by="the cloud fixture")


@pytest.fixture
def flasher(rig: Rig) -> Flasher:
    """The rig's Flasher (QEMU on a virtual firmware rig; pyOCD/west on real ones)."""
    from hil.rig.capabilities import Flasher

    return rig.get(Flasher, needed_by="the flasher fixture")  # type: ignore[type-abstract]


@pytest.fixture
def console(rig: Rig) -> Console:
    """The rig's console (read_line/expect/lines), firmware mode."""
    from hil.rig.capabilities import Console

    return rig.get(Console, needed_by="the console fixture")  # type: ignore[type-abstract]


@pytest.fixture
def dut(request: pytest.FixtureRequest, rig: Rig) -> Generator[Any, None, None]:
    """A pytest-embedded Dut whose output is the rig's console: `dut.expect(...)`, a per-test log
    file (`dut.logfile`), `dut.write(...)` to the console. As pytest-embedded does, the image is
    flashed first (through the rig's Flasher: `--app-path FILE`, else the image the rig booted),
    unless `--skip-autoflash y`; then the Dut sees that boot from its first line. Without a
    flash it sees every line the console printed since the test's rig was set up."""
    from pathlib import Path

    from pytest_embedded.app import App
    from pytest_embedded.dut import Dut

    from hil.frontends.tee import tee_console
    from hil.rig.capabilities import Flasher

    if request.config.pluginmanager.get_plugin("pytest_embedded") is None:
        pytest.fail(
            "the dut fixture is pytest-embedded's Dut, and pytest-embedded is not loaded here "
            "(-p no:pytest_embedded, as in this repository's own tests; see examples/pytest/pytest.ini)"
        )
    # pytest-embedded's own fixtures: the message queue, its log-file listener, pexpect on the log
    msg_queue = request.getfixturevalue("msg_queue")
    pexpect_proc = request.getfixturevalue("pexpect_proc")
    logfile = request.getfixturevalue("_pexpect_logfile")
    tee = tee_console(rig)
    if tee is None:
        pytest.fail(f"rig {rig.name} has no console (modem-mode rig? use @pytest.mark.rig(mode='firmware'))")
    state = request.node.stash[TEST_STATE]
    flasher = rig.get(Flasher) if rig.has(Flasher) else None  # type: ignore[type-abstract]
    app_path = request.config.getoption("app_path", None)
    image = Path(app_path) if app_path and Path(app_path).is_file() else getattr(flasher, "image", None)
    skip = str(request.config.getoption("skip_autoflash", None) or "").lower() in ("y", "yes", "true", "1")
    autoflash = flasher is not None and image is not None and not skip

    def forward(line: str) -> None:
        msg_queue.put((line + "\n").encode())

    unwatch = tee.watch(forward, since=None if autoflash else state.console_start)
    if autoflash and flasher is not None and image is not None:
        flasher.flash(Path(image))
    app = App(app_path=str(image.parent) if image is not None else None, build_dir=None)
    dut = Dut(
        pexpect_proc=pexpect_proc,
        msg_queue=msg_queue,
        app=app,
        pexpect_logfile=logfile,
        test_case_name=request.getfixturevalue("test_case_name"),
        meta=request.getfixturevalue("_meta"),
        rig=rig,
    )
    try:
        yield dut
    finally:
        unwatch()
        dut.close()


@pytest.fixture
def hil_check(request: pytest.FixtureRequest, rig: Rig) -> CheckRunner:
    """`hil_check("attach", timeout_s=60, limits={"time_to_attach": {"high": 30}})`: run a check
    on the test's rig in its mode, record it in the results DB and as JUnit properties, fail the
    test with the check's failure unless `must_pass=False`. Returns the CheckRecord."""
    from hil.frontends.recorder import failure_text, measurement_properties, run_and_record

    session = session_of(request.config)
    state: TestState = request.node.stash[TEST_STATE]
    shared: dict[str, Any] = {}  # ctx.state for this test's checks

    def run(
        name: str, *, limits: Mapping[str, Any] | None = None, must_pass: bool = True, **params: Any
    ) -> CheckRecord:
        record = run_and_record(
            session.recorder, rig, name, mode=state.mode, params=params, limits=limits, state=shared
        )
        state.checks.append(record)
        pairs = measurement_properties(record)
        state.properties.extend(pairs)
        request.node.user_properties.extend(pairs)
        if must_pass and not record.passed:
            pytest.fail(failure_text(record), pytrace=False)
        return record

    return run


class TestMeasurements:
    """The test's own record (hil_record): measurements with limits, like a check's."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, state: TestState, name: str) -> None:
        from hil.records import CheckRecord, Step

        self._state = state
        self.record = CheckRecord(name, state.held.rig.name, started=state.started)
        self.step = Step(name)
        self.record.steps.append(self.step)
        state.record = self.record

    def measure(
        self,
        name: str,
        value: Any,
        unit: str = "",
        *,
        low: float | None = None,
        high: float | None = None,
        expected: Any = None,
    ) -> Any:
        """Record a measurement; a value outside its limits fails the test's record (and the
        test, when it asserts `hil_record.passed`)."""
        return self.step.measure(name, value, unit, low=low, high=high, expected=expected)

    @property
    def passed(self) -> bool:
        return self.record.passed


@pytest.fixture
def hil_record(request: pytest.FixtureRequest, rig: Rig) -> TestMeasurements:
    """Measurements of the test itself, recorded in the results DB under the test's name."""
    state: TestState = request.node.stash[TEST_STATE]
    return TestMeasurements(state, request.node.name)
