"""`hil modem ...` and `hil lab` as a user runs them: real processes, a simulated modem on a pty."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from at_commands.sim import normalize_iccid
from hil.virtual.modem_sim import ModemSimulator

ROOT = Path(__file__).resolve().parents[1]
HIL = [sys.executable, "-m", "hil.cli.main"]


def hil(
    *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HIL, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def simulated() -> Iterator[tuple[ModemSimulator, str]]:
    with ModemSimulator("sim7080", time_scale=0.01) as sim:
        yield sim, sim.start_pty()


def test_info_json(simulated: tuple[ModemSimulator, str]) -> None:
    sim, port = simulated
    out = hil("modem", "--port", port, "--json", "info")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["dialect"] == "sim7080"
    assert info["iccid"] == normalize_iccid(sim.identity["iccid"]).api
    assert info["imsi"] == sim.identity["imsi"]


def test_group_options_work_after_the_subcommand_too(simulated: tuple[ModemSimulator, str]) -> None:
    sim, port = simulated
    # What `hil modem attach --help` shows, typed in that order.
    attached = hil("modem", "attach", "--port", port, "--json", "--timeout", "10")
    assert attached.returncode == 0, attached.stderr
    assert json.loads(attached.stdout)["registration"]["stat"] == 5
    help_text = hil("modem", "attach", "--help").stdout
    assert "--port URL" in help_text and "--dialect" in help_text and "--json" in help_text
    # Nested groups too, and --dialect is checked there as at the group.
    sent = hil(
        "modem", "sms", "send", "+4917012345678", "hi", "--port", port, "--dialect", "sim7080", "--json"
    )
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["parts"] == 1
    bad = hil("modem", "info", "--port", port, "--dialect", "bg99")
    assert bad.returncode == 2 and "Invalid value for '--dialect'" in bad.stderr
    # The one nearer the end wins: after the subcommand over before it, over HIL_MODEM_PORT.
    env = {**os.environ, "HIL_MODEM_PORT": "/dev/nonexistent-modem"}
    later = hil("modem", "--port", "/dev/nonexistent-modem", "--json", "info", "--port", port)
    assert later.returncode == 0 and json.loads(later.stdout)["imsi"] == sim.identity["imsi"]
    over_env = hil("modem", "info", "--json", "--port", port, env=env)
    assert over_env.returncode == 0, over_env.stderr
    from_env = hil("modem", "signal", "--json", env={**os.environ, "HIL_MODEM_PORT": port})
    assert from_env.returncode == 0 and json.loads(from_env.stdout)["rssi_dbm"] == -71
    wrong_env = hil("modem", "info", env=env)
    assert wrong_env.returncode == 1 and "cannot open modem port" in wrong_env.stderr
    plain = hil("modem", "--json", "info", "--port", port)  # --json before, --port after
    assert plain.returncode == 0 and json.loads(plain.stdout)["dialect"] == "sim7080"


def test_attach_then_signal_and_udp(simulated: tuple[ModemSimulator, str]) -> None:
    _, port = simulated
    attached = hil(
        "modem",
        "--port",
        port,
        "--dialect",
        "sim7080",
        "--json",
        "attach",
        "--rat",
        "lte-m",
        "--timeout",
        "10",
    )
    assert attached.returncode == 0, attached.stderr
    result = json.loads(attached.stdout)
    assert (
        result["registration"]["stat"] == 5 and result["roaming"] is True and result["apn"] == "iot.1nce.net"
    )
    signal = json.loads(hil("modem", "--port", port, "--json", "signal").stdout)
    assert signal["rssi_dbm"] == -71
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        peer.bind(("127.0.0.1", 0))
        peer.settimeout(10)
        sent = hil(
            "modem",
            "--port",
            port,
            "--json",
            "udp",
            "send",
            "127.0.0.1",
            str(peer.getsockname()[1]),
            "0102ff",
            "--hex",
        )
        assert sent.returncode == 0, sent.stderr
        data, source = peer.recvfrom(100)
    assert data == b"\x01\x02\xff" and source[0] == "127.64.0.2"
    assert json.loads(sent.stdout)["ip"] == "10.64.0.2"


def test_sms_send_and_read(simulated: tuple[ModemSimulator, str]) -> None:
    sim, port = simulated
    assert hil("modem", "--port", port, "attach", "--timeout", "10").returncode == 0
    sent = hil("modem", "--port", port, "--json", "sms", "send", "+491701234567", "hello from the CLI")
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["parts"] == 1
    sim.inject_sms("+4915112345678", "to the CLI")
    read = hil("modem", "--port", port, "--json", "sms", "read", "--index", "1")
    assert read.returncode == 0, read.stderr
    message = json.loads(read.stdout)
    assert message["text"] == "to the CLI" and message["sender"] == "+4915112345678"


def test_clear_errors_and_exit_codes(tmp_path: Path) -> None:
    missing = hil("modem", "--port", str(tmp_path / "no-such-tty"), "info")
    assert missing.returncode == 1
    assert "cannot open modem port" in missing.stderr and "hint:" in missing.stderr
    no_port = subprocess.run(
        [*HIL, "modem", "info"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=30,
    )
    assert no_port.returncode == 2 and "--port" in no_port.stderr
    with ModemSimulator("bg95", {"faults": [{"type": "no_sim"}]}, time_scale=0.01) as sim:
        denied = hil("modem", "--port", sim.start_pty(), "attach", "--timeout", "3")
    assert denied.returncode == 1
    assert "SIM not inserted" in denied.stderr and "hint:" in denied.stderr


def test_lab_json_runs_the_modem_check(tmp_path: Path) -> None:
    out = hil("lab", "--dialect", "bg96", "--dialect", "sara-r5", "--json", timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["subject"] for r in records] == ["bg96 (pty)", "sara-r5 (pty)"]
    for record in records:
        assert record["passed"] is True
        steps = {s["name"]: s for s in record["steps"]}
        assert set(steps) == {
            "identify",
            "sim",
            "attach",
            "apn",
            "signal",
            "pdp",
            "udp_uplink",
            "udp_downlink",
            "sms_mo",
            "sms_mt",
        }
        stat = next(m for m in steps["attach"]["measurements"] if m["name"] == "stat")
        assert stat["value"] == 5


def test_every_command_has_help() -> None:
    for args in (
        ["--help"],
        ["at", "--help"],
        ["at", "decode", "--help"],
        ["modem", "--help"],
        ["modem", "sms", "send", "--help"],
        ["modem", "udp", "send", "--help"],
        ["lab", "--help"],
    ):
        out = hil(*args)
        assert out.returncode == 0 and "Usage:" in out.stdout, (args, out.stderr)
