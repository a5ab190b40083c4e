"""A rig console that several readers can watch: the checks read it as the rig's Console (its
history and expect()), while watchers (a pytest-embedded Dut's log and pexpect buffer) get every
line as it comes. A Console has one consumer queue; this is the one consumer, fanning out."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from hil.rig.capabilities import Console, ConsoleDeadError, LineConsole
from hil.rig.rig import Rig

Watcher = Callable[[str], None]
_POLL_S = 0.2


class TeeConsole(LineConsole):
    """Fed by a pump thread reading `source`; closes when the source does."""

    def __init__(self, source: Console) -> None:
        super().__init__(source.name, writer=source.write)
        self.source = source
        self._watchers: list[Watcher] = []
        self._seen: list[str] = []  # every line that came, read or not
        self._watch_lock = threading.Lock()
        self._stop = threading.Event()
        for line in source.lines():  # what the source already gave out stays history here
            self.feed(line)
            self._seen.append(line)
        self._thread = threading.Thread(target=self._pump, name=f"{source.name} tee", daemon=True)
        self._thread.start()

    def seen(self) -> list[str]:
        """Every line that came from the source so far, whether a reader took it yet or not."""
        with self._watch_lock:
            return list(self._seen)

    def watch(self, watcher: Watcher, *, since: int | None = None) -> Callable[[], None]:
        """Call `watcher(line)` for every line from now on (first the lines seen()[since:], when
        given, with no line lost or doubled in between); returns the function that stops it."""
        with self._watch_lock:
            for line in self._seen[since:] if since is not None else ():
                watcher(line)
            self._watchers.append(watcher)

        def unwatch() -> None:
            with self._watch_lock, contextlib.suppress(ValueError):
                self._watchers.remove(watcher)

        return unwatch

    def _pump(self) -> None:
        while not self._stop.is_set():
            try:
                line = self.source.read_line(_POLL_S)
            except ConsoleDeadError:
                break
            if line is None:
                continue
            with self._watch_lock:
                self.feed(line)
                self._seen.append(line)
                watchers = list(self._watchers)
            for watcher in watchers:
                with contextlib.suppress(Exception):  # a watcher's trouble is not the console's
                    watcher(line)
        self.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        self.close()


def tee_console(rig: Rig) -> TeeConsole | None:
    """Put a TeeConsole in front of the rig's Console (once); None when the rig has no console."""
    if not rig.has(Console):
        return None
    current = rig.get(Console)  # type: ignore[type-abstract]
    if isinstance(current, TeeConsole):
        return current
    tee = TeeConsole(current)
    rig.add(Console, tee, tee.stop)  # type: ignore[type-abstract]
    return tee
