"""`hil at PORT ...`: one-shot commands and the interactive terminal, against a simulated modem."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hil.virtual.modem_sim import ModemSimulator

ROOT = Path(__file__).resolve().parents[1]
HIL = [sys.executable, "-m", "hil.cli.main"]


def test_one_shot_commands_json_and_exit_code() -> None:
    with ModemSimulator("bg96", time_scale=0.01) as sim:
        port = sim.start_tcp()
        out = subprocess.run(
            [*HIL, "at", port, "ATE0", "AT+QCCID", "--json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.returncode == 0, out.stderr
        answers = [json.loads(line) for line in out.stdout.splitlines()]
        assert [a["final"] for a in answers] == ["OK", "OK"]
        assert answers[1]["info"] == [f"+QCCID: {sim.identity['iccid']}"]
        bad = subprocess.run(
            [*HIL, "at", port, "AT+NOSUCH"], cwd=ROOT, capture_output=True, text=True, timeout=30
        )
        assert bad.returncode == 1 and "ERROR" in bad.stdout


def test_interactive_terminal_shows_answers_and_live_urcs() -> None:
    with ModemSimulator("bg95", time_scale=0.01) as sim:
        port = sim.start_pty()
        session = subprocess.run(
            [*HIL, "at", port],
            input="ATE0\nAT+CEREG=2\nAT+CFUN=0\nAT+CFUN=1\nAT+CSQ\nAT+CSQ\nAT+CSQ\n",
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert session.returncode == 0, session.stderr
    assert "+CSQ: " in session.stdout
    assert "URC +CEREG: 0" in session.stdout  # registration URCs, shown as they arrive
