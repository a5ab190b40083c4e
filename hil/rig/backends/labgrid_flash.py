"""Flashing a labgrid rig: pyOCD runs on the exporter host, where the probe is plugged in.

labgrid has no pyOCD driver, and its flashscript needs a USBFlashableDevice, so the image is
copied to the exporter host with scp and flashed there with `ssh HOST pyocd flash --uid PROBE
--target TARGET IMAGE` (the lab's ssh config gives users and keys, as labgrid's own proxying
does). When the exporter host is this machine (127.0.0.1, localhost) pyOCD runs here directly.
"""

from __future__ import annotations

import contextlib
import importlib
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hil.flash.base import FlasherCapabilities, FlasherError, ProgressCallback, image_format, require

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
FLASH_TIMEOUT_S = 300.0
Runner = Callable[[Sequence[str], float], "subprocess.CompletedProcess[str]"]


def run_command(command: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False
    )


def pyocd_target(board: str | None) -> str | None:
    """The board file's pyOCD target (pyocd.target), when the board has one."""
    if board is None:
        return None
    try:
        boards = importlib.import_module("hil.firmware.boards")
        loaded: Any = boards.load_board(Path(board) if board.endswith((".yaml", ".yml")) else board)
    except Exception:  # a board that does not load shows its own errors where it is flashed
        return None
    pyocd = getattr(loaded, "pyocd", None)
    target = getattr(pyocd, "target", None)
    return target if isinstance(target, str) else None


def local_pyocd() -> str:
    """pyOCD of the venv we run in (a dependency of nce-hil), else the one on PATH."""
    beside = Path(sys.executable).with_name("pyocd")
    return str(beside) if beside.exists() else (shutil.which("pyocd") or "pyocd")


class LabgridPyocdFlasher:
    """The Flasher of a labgrid rig: pyOCD on the exporter host, addressed by the probe's uid."""

    capabilities = FlasherCapabilities(erase=True, reset=True)

    def __init__(
        self,
        host: str,
        probe: str,
        target: str,
        *,
        ssh: Sequence[str] = ("ssh", "-o", "BatchMode=yes"),
        scp: Sequence[str] = ("scp", "-q", "-o", "BatchMode=yes"),
        remote_pyocd: str = "pyocd",
        runner: Runner = run_command,
        timeout: float = FLASH_TIMEOUT_S,
    ) -> None:
        self.host = host
        self.probe = probe
        self.target = target
        self.local = host in LOCAL_HOSTS
        self.name = f"pyocd {target} probe {probe} on {host}"
        self._ssh = list(ssh)
        self._scp = list(scp)
        self._pyocd = local_pyocd() if self.local else remote_pyocd
        self._runner = runner
        self._timeout = timeout

    # --- the command lines -----------------------------------------------------------------------
    def _on_host(self, *args: str) -> list[str]:
        command = [self._pyocd, *args]
        if self.local:
            return command
        return [*self._ssh, self.host, shlex.join(command)]

    def _probe_args(self) -> list[str]:
        # --no-wait: a probe that is not there fails now instead of hanging until it appears
        return ["--no-wait", "--uid", self.probe, "--target", self.target]

    def flash_commands(self, image: Path) -> list[list[str]]:
        """The commands flash() runs, in order (copy, flash, clean up on the exporter host)."""
        if self.local:
            return [self._on_host("flash", *self._probe_args(), str(image))]
        remote = f"/tmp/nce-hil-{uuid.uuid4().hex[:12]}{image.suffix}"
        return [
            [*self._scp, str(image), f"{self.host}:{remote}"],
            self._on_host("flash", *self._probe_args(), remote),
            [*self._ssh, self.host, shlex.join(["rm", "-f", remote])],
        ]

    def erase_command(self) -> list[str]:
        return self._on_host("erase", "--chip", *self._probe_args())

    def reset_command(self) -> list[str]:
        return self._on_host("reset", *self._probe_args())

    # --- the Flasher protocol ---------------------------------------------------------------------
    def _run(self, command: Sequence[str], what: str) -> None:
        try:
            done = self._runner(command, self._timeout)
        except subprocess.TimeoutExpired:
            raise FlasherError(f"{self.name}: {what} did not finish within {self._timeout:g} s") from None
        except OSError as exc:
            raise FlasherError(f"{self.name}: {what}: cannot run {command[0]}: {exc}") from None
        if done.returncode != 0:
            said = " | ".join(line for line in (done.stderr + done.stdout).strip().splitlines()[-4:])
            raise FlasherError(
                f"{self.name}: {what} failed (exit {done.returncode}, `{shlex.join(command)}`): {said}"
            )

    def flash(self, image: Path, *, progress: ProgressCallback | None = None) -> None:
        image_format(image)  # a missing or unflashable image fails before anything is copied
        commands = self.flash_commands(image)
        if self.local:
            self._run(commands[0], "flashing")
        else:
            copy, flash, cleanup = commands
            self._run(copy, "copying the image")
            try:
                self._run(flash, "flashing")
            finally:
                # a stale file in /tmp on the exporter host is not the flash's failure
                with contextlib.suppress(FlasherError):
                    self._run(cleanup, "removing the copied image")
        if progress is not None:
            progress(1.0)

    def erase(self) -> None:
        self._run(self.erase_command(), "erasing")

    def reset(self) -> None:
        self._run(self.reset_command(), "resetting")

    def read_back(self, address: int, length: int) -> bytes:
        require(self, "read_back")
        raise AssertionError("unreachable: read_back is not declared")
