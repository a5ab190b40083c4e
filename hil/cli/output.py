"""Shared CLI output helpers: JSON for machines, rich for people, errors on stderr.

Tables go through print_table(): on a terminal wide enough for it, a rich table; otherwise - a
pipe, a file, CI (stdout is not a terminal), or a narrow window - plain aligned text, one line per
row, every column and every character. A table is never cut to a width."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def emit_json(value: Any) -> None:
    """One JSON document (or one line of JSON lines) on stdout."""
    sys.stdout.write(json.dumps(value, separators=(",", ":"), default=str) + "\n")
    sys.stdout.flush()


def fail(message: str, *, hint: str | None = None, code: int = EXIT_FAILURE) -> NoReturn:
    """Print a clear error (and what to try) on stderr and exit with `code`."""
    stderr.print("[bold red]error:[/] " + escape(message))
    if hint:
        stderr.print(f"[dim]hint:[/] {hint}")
    raise SystemExit(code)


def print_table(table: Table, console: Console | None = None) -> None:
    """Print `table` for people, never truncated (the rule every `hil` table follows)."""
    console = console or stdout
    if console.is_terminal:
        wide = console.options.update(width=1_000_000)
        if Measurement.get(console, wide, table).maximum <= console.width:
            console.print(table)
            return
    console.file.write(plain_table(table))
    console.file.flush()


def plain_table(table: Table) -> str:
    """The table as plain text: an optional title line, a header line, one line per row; columns
    padded to their widest cell, right-justified columns kept right-justified, markup removed."""
    columns = [[_plain(column.header), *(_plain(cell) for cell in column.cells)] for column in table.columns]
    if not columns:
        return ""
    widths = [max(len(cell) for cell in cells) for cells in columns]
    lines = [_plain(table.title)] if table.title else []
    for row in range(len(columns[0])):
        cells = []
        for column, cells_of, width in zip(table.columns, columns, widths, strict=True):
            cell = cells_of[row] if row < len(cells_of) else ""
            cells.append(cell.rjust(width) if column.justify == "right" else cell.ljust(width))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def _plain(cell: RenderableType | None) -> str:
    if cell is None:
        return ""
    if isinstance(cell, Text):
        text = cell.plain
    elif isinstance(cell, str):
        text = Text.from_markup(cell).plain
    else:  # another renderable: render it without styles at an unlimited width
        capture = Console(width=10_000, no_color=True, highlight=False)
        with capture.capture() as captured:
            capture.print(cell)
        text = captured.get()
    return " ".join(line.rstrip() for line in text.splitlines())  # one physical line per row
