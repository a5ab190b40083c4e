"""Reports of one run of the results DB: HTML for people, JUnit XML for CI, JSON for machines.

    write_report(db, run_id, Path("report.html"), "html")   # the runner calls this
    render_html(db, run_id) / render_junit(db, run_id) / render_json(db, run_id)  # -> str

Each loads the run in bulk once (hil/reports/data.py) and renders it in one pass.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from hil.reports.html import render_html
from hil.reports.json_report import render_json
from hil.reports.junit import render_junit

if TYPE_CHECKING:
    from hil.records.db import ResultsDB

__all__ = ["FORMATS", "ReportFormat", "render_html", "render_json", "render_junit", "write_report"]

ReportFormat = Literal["html", "junit", "json"]
FORMATS: tuple[ReportFormat, ...] = get_args(ReportFormat)

_RENDERERS = {"html": render_html, "junit": render_junit, "json": render_json}


def write_report(db: ResultsDB, run_id: int, path: Path, fmt: ReportFormat) -> Path:
    """Render run `run_id` as `fmt` into `path` (parents created; written to a temporary file
    and renamed, so a reader never sees half a report); returns the path."""
    render = _RENDERERS.get(fmt)
    if render is None:
        raise ValueError(f"write_report: unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    text = render(db, run_id)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return path
