"""The nce-hil pytest plugin (entry point `pytest11: nce_hil`), built on pytest-embedded.

Options: `--lab virtual` (a virtual lab per process), `--rig NAME` / `--rigs-file FILE` (real rigs
of a rigs.yaml), `--results-db FILE`, `--lab-time-scale`, `--rig-wait S`. Marker:
`@pytest.mark.rig("modem=bg96", mode="firmware", name=None)`. Fixtures (hil/frontends/
pytest_fixtures.py): `lab`, `rig`, `modem`, `cloud`, `flasher`, `console`, `dut` (a pytest-embedded
Dut over the rig's console), `hil_check`, `hil_record`.

Results: one DB run per pytest session (source "pytest"); under pytest-xdist the controller starts
it and passes its id to the workers (workerinput), who record into it; the controller finishes it.
Every test that uses a rig leaves records: its checks (hil_check) and/or its own measurements
(hil_record, or just its outcome). JUnit gets them as properties, a failing test the transcript.

The plugin costs nothing in a session whose tests use none of its fixtures: no lab, no DB.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from hil.frontends.pytest_state import TEST_STATE, session_of

MARKER = (
    "rig(*tags, mode='modem', name=None): run on a rig with these KEY=VALUE tags "
    "(a virtual rig is made with the modem asked), in modem or firmware mode (nce-hil)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nce-hil", "nce-hil rigs and results")
    group.addoption(
        "--lab", dest="hil_lab", choices=("virtual",), default=None,
        help="Run on the virtual lab: one emulated 1NCE cloud and simulated modems per process.",
    )  # fmt: skip
    group.addoption(
        "--rig", dest="hil_rigs", action="append", default=[], metavar="NAME",
        help="Use this rig of the rig file (repeatable); default: every rig in it.",
    )  # fmt: skip
    group.addoption(
        "--rigs-file", dest="hil_rigs_file", default=None, metavar="FILE",
        help="The rig file (default: $HIL_RIGS_FILE or ./rigs.yaml).",
    )  # fmt: skip
    group.addoption(
        "--results-db", dest="hil_results_db", default=None, metavar="FILE",
        help="The results DB (default: $HIL_RESULTS_DB or hil-results/results.db).",
    )  # fmt: skip
    group.addoption(
        "--lab-time-scale", dest="hil_time_scale", type=float, default=0.01, metavar="F",
        help="Virtual lab: factor on the simulated modems' delays (default 0.01).",
    )  # fmt: skip
    group.addoption(
        "--rig-wait", dest="hil_rig_wait", type=float, default=600.0, metavar="S",
        help="Real rigs: how long to wait for a rig another process holds (default 600 s).",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    # Registered now, after every entry-point plugin: our `dut` wins over pytest-embedded's.
    from hil.frontends import pytest_fixtures

    if not config.pluginmanager.is_registered(pytest_fixtures):
        config.pluginmanager.register(pytest_fixtures, "nce_hil_fixtures")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(), "nce_hil_xdist")


class _XdistHooks:
    """Only with pytest-xdist installed (its hooks are unknown otherwise)."""

    def pytest_configure_node(self, node: Any) -> None:
        session = session_of(node.config)
        if session.options_given:  # a session that asked for rigs: one run for all workers
            node.workerinput["nce_hil_run_id"] = session.recorder.run_id


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    state = item.stash.get(TEST_STATE, None)
    if state is None:
        return
    report: pytest.TestReport = outcome.get_result()
    if call.when == "call" and not report.skipped:
        session = session_of(item.config)
        unexplained = report.failed and all(r.passed for r in state.checks)
        if state.record is not None or not state.checks or unexplained:
            failed = call.excinfo if report.failed else None
            record = state.test_record(item.name, failed)
            session.recorder.record(state.held.rig.name, record, state.mode)
            from hil.frontends.recorder import measurement_properties

            state.properties.extend(measurement_properties(record))
            state.checks.append(record)
        for pair in state.properties:
            if pair not in item.user_properties:
                item.user_properties.append(pair)
        report.user_properties = list(item.user_properties)
    if report.failed:
        failed_checks = [r for r in state.checks if not r.passed and r.transcript]
        for record in failed_checks:
            report.sections.append(
                (f"nce-hil transcript: {record.check} on {record.subject}", record.transcript)
            )
        if not failed_checks:
            text = state.transcript()
            if text:
                report.sections.append((f"nce-hil transcript: {state.held.rig.name}", text))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from hil.frontends.pytest_state import SESSION

    hil = session.config.stash.get(SESSION, None)
    if hil is not None:
        hil.finish(exitstatus)


def pytest_report_header(config: pytest.Config) -> str | None:
    if not session_of(config).options_given:
        return None
    lab = config.getoption("hil_lab")
    where = "virtual lab" if lab else f"rig file {config.getoption('hil_rigs_file') or 'default'}"
    return f"nce-hil: {where}, results DB {config.getoption('hil_results_db') or 'default'}"
