"""The table rule of every `hil` command (hil/cli/output.py): never a truncated table. Piped or in
CI (not a terminal) a table is plain aligned text with every column; so it is on a terminal too
narrow for it; a wide enough terminal gets the rich table. Checked through the real `hil lab`
process too."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hil.cli.output import plain_table, print_table

ROOT = Path(__file__).resolve().parent.parent
HEADERS = [f"measurement number {index}" for index in range(8)]


def wide_table() -> Table:
    table = Table(title="a table wider than any terminal")
    table.add_column("rig", no_wrap=True)
    for header in HEADERS:
        table.add_column(header, justify="right", no_wrap=True)
    table.add_row("bg95 (pty)", *[f"{index * 111.5:.1f} ms" for index in range(8)])
    table.add_row("[bold]sara-r5 (tcp)[/]", "[red]error[/]", *["-"] * 7)
    return table


def test_piped_table_has_every_column_and_one_line_per_row() -> None:
    out = io.StringIO()
    print_table(wide_table(), Console(file=out, width=80))  # a file: not a terminal
    lines = out.getvalue().splitlines()
    assert "…" not in out.getvalue() and "[red]" not in out.getvalue()
    assert lines[0] == "a table wider than any terminal"
    assert lines[1].split("  ")[0] == "rig" and all(header in lines[1] for header in HEADERS)
    assert len(lines) == 4 and len(lines[2]) > 80
    assert lines[2].startswith("bg95 (pty)") and lines[2].endswith("780.5 ms")
    assert lines[3].startswith("sara-r5 (tcp)") and lines[3].endswith("-")
    # right-justified columns stay aligned: every line ends its cells at the same positions
    assert len(lines[1]) == len(lines[2]) == len(lines[3])
    assert lines[2].index("0.0 ms") + len("0.0 ms") == lines[1].index(HEADERS[0]) + len(HEADERS[0])


def test_plain_table_of_an_empty_table() -> None:
    assert plain_table(Table()) == ""
    table = Table("a", "b")
    assert plain_table(table) == "a  b\n"


def test_a_narrow_terminal_gets_the_plain_table_a_wide_one_the_rich_table() -> None:
    narrow, wide = io.StringIO(), io.StringIO()
    print_table(wide_table(), Console(file=narrow, width=80, force_terminal=True, color_system=None))
    assert narrow.getvalue() == plain_table(wide_table())
    print_table(wide_table(), Console(file=wide, width=250, force_terminal=True, color_system=None))
    text = wide.getvalue()
    assert "┃ rig " in text and "…" not in text
    row = next(line for line in text.splitlines() if "bg95 (pty)" in line)
    assert row.rstrip().endswith("780.5 ms │") and len(row) <= 250


def test_hil_lab_piped_prints_every_column(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hil.cli.main", "lab", "--dialect", "bg96", "--time-scale", "0.02"],
        cwd=ROOT,
        capture_output=True,  # stdout is a pipe, as with `bin/lab > file` or in CI
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "…" not in out.stdout
    lines = out.stdout.splitlines()
    header = next(line for line in lines if line.startswith("rig "))
    for column in ("attach", "signal", "udp uplink", "udp downlink", "sms mt", "steps", "result"):
        assert column in header, header
    row = next(line for line in lines if line.startswith("bg96 (pty)"))
    assert row.split()[-2:] == ["10/10", "pass"] and " dBm" in row and " ms" in row
    assert "1/1 rigs passed" in out.stdout
