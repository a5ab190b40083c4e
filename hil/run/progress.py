"""Progress of a run for people: a live per-rig display (rich) on a terminal, plain lines otherwise.

Plain lines (a pipe, a file, CI), one per finished check:

    virtual-1 modem attach 1: PASS 1.2 s
    virtual-2 modem uplink_udp 1: FAIL (infra) 0.3 s, retrying
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from hil.run.events import (
    CheckFinished,
    CheckProgress,
    CheckStarted,
    Event,
    HealthChecked,
    RigDone,
    RigPlanned,
    RigQuarantined,
    RunEnded,
    RunStarted,
)


def plain_line(event: Event) -> str | None:
    """The plain-text line for an event, or None for events plain output does not show."""
    if isinstance(event, CheckFinished):
        record = event.record
        outcome = "PASS" if record.passed else f"FAIL ({record.failure_class or 'unclassified'})"
        attempt = f" attempt {event.attempt}" if event.attempt > 1 else ""
        retry = ", retrying" if event.will_retry else ""
        return (
            f"{event.rig} {event.mode} {event.check} {event.round}{attempt}: "
            f"{outcome} {_seconds(record.duration_s)}{retry}"
        )
    if isinstance(event, HealthChecked) and event.health != "good":
        return f"{event.rig} {event.mode} health {event.round}: {event.health.upper()}: {event.reason}"
    if isinstance(event, RigQuarantined):
        return f"{event.rig}: QUARANTINED: {event.reason}"
    if isinstance(event, RunStarted):
        what = "resuming run" if event.resumed else "run"
        total = "until the set time" if event.total is None else f"{event.total} results"
        done = f", {event.already_done} already done" if event.resumed else ""
        return f"{what} {event.run_id}: {len(event.rigs)} rig(s), {'+'.join(event.modes)} mode, {total}{done}"
    return None


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


class _Stream(Protocol):
    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


class PlainProgress:
    def __init__(self, stream: _Stream) -> None:
        self.stream = stream

    def __call__(self, event: Event) -> None:
        line = plain_line(event)
        if line is not None:
            self.stream.write(line + "\n")
            self.stream.flush()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@dataclass
class _RigLine:
    name: str
    total: int | None = None
    done: int = 0
    failed: int = 0
    current: str = "waiting"
    note: str = ""
    health: str = "unknown"
    started: float = 0.0


class LiveProgress:
    """A live table, one line per rig: what it runs now, done/total, failures, health. Rows never
    wrap (cells are cut with an ellipsis), so a narrow terminal only shows less."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.rigs: dict[str, _RigLine] = {}
        self.title = "hil run"
        self.started = time.monotonic()
        self._live = Live(console=console, refresh_per_second=4, transient=True, get_renderable=self._render)

    def __enter__(self) -> LiveProgress:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.title = plain_line(event) or self.title
            for name in event.rigs:
                self.rigs.setdefault(name, _RigLine(name))
            return
        if isinstance(event, RunEnded):
            return
        rig = self.rigs.setdefault(event.rig, _RigLine(event.rig))
        if isinstance(event, RigPlanned):
            rig.total = None if event.total is None else event.total - event.already_done
        elif isinstance(event, HealthChecked):
            rig.health = event.health
            rig.note = "" if event.health == "good" else event.reason
        elif isinstance(event, CheckStarted):
            attempt = f" (attempt {event.attempt})" if event.attempt > 1 else ""
            rig.current = f"{event.mode} {event.check} r{event.round}{attempt}"
            rig.note = ""
            rig.started = time.monotonic()
        elif isinstance(event, CheckProgress):
            rig.note = event.message
        elif isinstance(event, CheckFinished):
            if not event.will_retry:
                rig.done += 1
                rig.failed += not event.record.passed
            if not event.record.passed:
                line = plain_line(event) or ""
                self.console.print(Text(line, style="red"), soft_wrap=False, overflow="ellipsis")
        elif isinstance(event, RigQuarantined):
            rig.current = "quarantined"
            rig.note = event.reason
            rig.health = "bad"
            self.console.print(Text(plain_line(event) or "", style="bold red"), overflow="ellipsis")
        elif isinstance(event, RigDone):
            rig.current = event.state

    def _render(self) -> RenderableType:
        table = Table(box=None, pad_edge=False, expand=False, show_header=True)
        widest = max((len(name) for name in self.rigs), default=3)
        # On a narrow terminal the note and the current check give way first, the rig name last.
        table.add_column("rig", no_wrap=True, overflow="ellipsis", min_width=min(widest, 12))
        table.add_column("now", no_wrap=True, overflow="ellipsis", ratio=2)
        table.add_column("done", justify="right", no_wrap=True)
        table.add_column("failed", justify="right", no_wrap=True)
        table.add_column("health", no_wrap=True, overflow="ellipsis")
        table.add_column("", no_wrap=True, overflow="ellipsis", ratio=1)
        for rig in self.rigs.values():
            total = "?" if rig.total is None else str(rig.total)
            running = rig.current not in ("waiting", "finished", "quarantined", "interrupted")
            elapsed = f" {time.monotonic() - rig.started:4.1f}s" if running and rig.started else ""
            health_style = {"good": "green", "bad": "red"}.get(rig.health, "yellow")
            table.add_row(
                rig.name,
                rig.current + elapsed,
                f"{rig.done}/{total}",
                Text(str(rig.failed), style="red" if rig.failed else ""),
                Text(rig.health, style=health_style),
                Text(rig.note, style="dim"),
            )
        seconds = time.monotonic() - self.started
        header = Text(f"{self.title}  [{seconds:.0f} s]", style="bold", overflow="ellipsis", no_wrap=True)
        return Group(header, table)


def progress_for(console: Console, *, enabled: bool = True) -> Any:
    """LiveProgress on a terminal, PlainProgress on anything else; a no-op when disabled."""
    if not enabled:
        return PlainProgress(_Null())
    if console.is_terminal:
        return LiveProgress(console)
    return PlainProgress(console.file)


class _Null:
    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass
