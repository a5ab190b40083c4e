"""Shared CLI output helpers: JSON for machines, rich for people, errors on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

from rich.console import Console
from rich.markup import escape

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
