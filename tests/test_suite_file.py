"""Suite files: the built-in smoke suite covers every check in every mode it has, and a bad suite
file names every problem with file:line, the key path and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.checks.base import MISSION_CHECKS, REGISTRY, Limit, load_builtin_checks
from hil.checks.suite import SuiteError, builtin_suite, builtin_suites, load_suite


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_smoke_runs_every_check_in_every_mode_it_exists_in() -> None:
    load_builtin_checks()
    assert "smoke" in builtin_suites()
    smoke = builtin_suite("smoke")
    assert smoke.name == "smoke" and smoke.description and smoke.notes == ()
    assert set(smoke.checks()) == set(MISSION_CHECKS) and len(MISSION_CHECKS) == 12
    for mode in ("modem", "firmware"):
        listed = {entry.check for entry in smoke.for_mode(mode)}
        assert listed == {name for name, m in REGISTRY if m == mode}, mode
    attach = next(entry for entry in smoke.entries if entry.check == "attach")
    assert attach.limits == {"time_to_attach": Limit(high=180.0)} and attach.params == {"timeout_s": 180}
    assert attach.source.endswith("smoke.yaml:11")


def test_smoke_ships_as_package_data() -> None:
    package = Path(__file__).resolve().parents[1] / "hil" / "checks" / "suites"
    assert (package / "__init__.py").is_file() and (package / "smoke.yaml").is_file()
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"*.yaml"' in pyproject


def test_a_good_suite_defaults_to_every_implemented_mode(tmp_path: Path) -> None:
    suite = load_suite(
        write(
            tmp_path,
            "suite: mine\ndescription: two checks\nchecks:\n"
            "  - check: attach\n    params: {timeout_s: 60}\n    limits:\n"
            "      time_to_attach: {low: 0, high: 30}\n      stat: {expected: 5}\n"
            "  - check: signal\n    modes: [modem]\n",
        )
    )
    attach, signal = suite.entries
    assert attach.modes == tuple(m for m in ("modem", "firmware") if ("attach", m) in REGISTRY)
    assert attach.limits == {"time_to_attach": Limit(low=0.0, high=30.0), "stat": Limit(expected=5)}
    assert attach.params == {"timeout_s": 60} and attach.source.endswith("suite.yaml:4")
    assert signal.modes == ("modem",) and [e.check for e in suite.for_mode("modem")] == ["attach", "signal"]


def test_every_problem_is_reported_at_once_with_file_line_and_expectation(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "suite: broken\n"  # 1
        "owner: me\n"  # 2
        "checks:\n"  # 3
        "  - check: atach\n"  # 4
        "  - check: attach\n"  # 5
        "    modes: [modem, satellite]\n"  # 6
        "    limits:\n"  # 7
        "      time_to_atach: {high: 30}\n"  # 8
        "      stat: {low: 9, high: 3}\n"  # 9
        "  - check: signal\n"  # 10
        "    limits:\n"  # 11
        "      rsrp: {low: loud}\n"  # 12
        "      rsrq: {expected: -10, high: -3}\n"  # 13
        "      csq: {maximum: 31}\n"  # 14
        "    retries: 3\n"  # 15
        "  - check: firmware_boot\n"  # 16
        "    modes: [modem]\n",  # 17
    )
    with pytest.raises(SuiteError) as caught:
        load_suite(path)
    text = str(caught.value)
    where = str(path)
    expected_lines = [
        f"{where}:2: owner: expected one of the keys suite, description, checks, got 'owner'",
        f"{where}:4: checks[0].check: expected a known check (one of apn, attach,",
        f"{where}:6: checks[1].modes[1]: expected a mode (modem, firmware), got 'satellite'",
        f"{where}:8: checks[1].limits.time_to_atach: expected a measurement of attach (one of ",
        f"{where}:9: checks[1].limits.stat.low: expected low <= high (3), got 9 (int)",
        f"{where}:12: checks[2].limits.rsrp.low: expected a number, got 'loud'",
        f"{where}:13: checks[2].limits.rsrq.expected: expected either expected or low/high, not both",
        f"{where}:14: checks[2].limits.csq.maximum: expected one of the limit keys low, high, expected",
        f"{where}:15: checks[2].retries: expected one of the keys check, modes, params, limits",
        f"{where}:17: checks[3].modes[0]: expected a mode firmware_boot is implemented in (firmware), "
        "got 'modem'",
    ]
    for line in expected_lines:
        assert line in text, f"missing: {line}\nin:\n{text}"
    assert len(caught.value.problems) == len(expected_lines)
    assert caught.value.file == where and caught.value.line == 2
    assert "time_to_attach" in text  # the typo's message lists the real names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("checks: []\n", ":1: suite: expected the suite's name (a non-empty string), got nothing"),
        ("suite: x\n", ":1: checks: expected a non-empty list of checks, got nothing"),
        ("suite: x\nchecks:\n  - attach\n", ":3: checks[0]: expected a mapping with check"),
        (
            "suite: x\nchecks:\n  - check: signal\n  - check: signal\n",
            ":4: checks[1].check: expected each check once per mode (signal in modem mode is checks[0])",
        ),
        ("suite: x\nsuite: y\nchecks: []\n", ":2: suite: expected each key once (first given on line 1)"),
        ("suite: x\nchecks:\n  - check: apn\n    params: [1]\n", ":4: checks[0].params: expected a mapping"),
        ("suite: [x\n", ":2: <syntax>: expected valid YAML"),
        (
            "suite: x\nchecks:\n  - check: firmware_boot\n    limits: {boot_time: {high: 3}}\n",
            ":4: checks[0].limits.boot_time: expected a measurement of firmware_boot (one of board, boot_ms,",
        ),
    ],
)
def test_single_problems(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SuiteError) as caught:
        load_suite(path)
    assert f"{path}{expected}" in str(caught.value)


def test_missing_file_and_unknown_builtin(tmp_path: Path) -> None:
    with pytest.raises(
        SuiteError, match=r"nothing\.yaml: <file>: expected an existing file, got no such file"
    ):
        load_suite(tmp_path / "nothing.yaml")
    with pytest.raises(SuiteError, match=r"expected a built-in suite \(one of .*smoke.*\), got 'nightly'"):
        builtin_suite("nightly")
