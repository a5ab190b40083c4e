"""`hil modem-sim` as a person runs it: a process with a JSON start-up line, a pty (and symlink),
the control subcommands, exit codes, and clean-up on SIGTERM."""

from __future__ import annotations

import json
import selectors
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hil.virtual.modem_sim.probe import PortProbe

HIL = [sys.executable, "-m", "hil.cli.main"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HIL, *args], capture_output=True, text=True, timeout=30, check=False)


def first_line(process: subprocess.Popen[str], timeout: float = 20.0) -> dict[str, Any]:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            process.kill()
            raise TimeoutError("hil modem-sim printed nothing")
    line = process.stdout.readline()
    info: dict[str, Any] = json.loads(line)
    return info


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*HIL, "modem-sim", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any], Path]]:
    link, log = tmp_path / "ttyBG95", tmp_path / "bytes.log"
    process = start(
        "--dialect", "bg95", "--pty", "--link", str(link), "--time-scale", "0.01", "--log", str(log)
    )
    try:
        yield process, first_line(process), log
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_serve_poke_and_stop(simulator: tuple[subprocess.Popen[str], dict[str, Any], Path]) -> None:
    process, info, log = simulator
    link = Path(info["port"])
    assert info["dialect"] == "bg95" and link.is_symlink() and info["pty"].startswith("/dev/pts/")
    assert info["sim"] == {
        "iccid": "89882280666027595044",
        "imsi": "901405100000001",
        "imei": "352656100885188",
        "msisdn": "882285100000001",
    }
    host, port = info["control"].split(":")
    assert host == "127.0.0.1" and int(port) > 0
    control = info["control"]
    with PortProbe(str(link)) as probe:
        assert probe.exchange(b"AT+CGMM\r") == b"AT+CGMM\r\r\nBG95-M3\r\n\r\nOK\r\n"
        sent = run("modem-sim", "sms", "--control", control, "--from", "+4917012345678", "hi")
        assert sent.returncode == 0, sent.stderr
        assert probe.read_until(b'"SM",1\r\n', timeout=5) == b'\r\n+CMTI: "SM",1\r\n'
        status = run("modem-sim", "status", "--control", control, "--json")
        assert status.returncode == 0
        assert json.loads(status.stdout)["status"]["sms"]["stored"] == 1
        bad = run("modem-sim", "fault", "--control", control, '{"type": "slow", "delay_s": 1}')
        assert bad.returncode == 1 and "needs command or pattern" in bad.stderr
        assert run("modem-sim", "signal", "--control", control).returncode == 2
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert not link.exists()  # the symlink is cleaned up
    assert "RX b'AT+CGMM\\r'" in log.read_text()


def test_tcp_and_usage_errors(tmp_path: Path) -> None:
    assert run("modem-sim", "--dialect", "bg95").returncode == 2  # neither --pty nor --tcp
    assert run("modem-sim", "--dialect", "nope", "--pty").returncode == 2
    refused = run("modem-sim", "--dialect", "bg95", "--tcp", "10.1.2.3:0")
    assert refused.returncode == 1 and "loopback" in refused.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("network:\n  stat: 2\n")
    result = run("modem-sim", "--dialect", "bg95", "--pty", "--scenario", str(bad))
    assert result.returncode == 2 and "network.stat" in result.stderr
    unreachable = run("modem-sim", "status", "--control", "127.0.0.1:1")
    assert unreachable.returncode == 1 and "cannot reach" in unreachable.stderr
    process = start("--dialect", "sim7080", "--tcp", "127.0.0.1:0", "--time-scale", "0.01")
    try:
        info = first_line(process)
        assert info["port"].startswith("socket://127.0.0.1:")
        with PortProbe(info["port"]) as probe:
            assert probe.exchange(b"AT+CCID\r") == b"AT+CCID\r\r\n89882280666027595044\r\n\r\nOK\r\n"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
