"""Simulators for synchronous code (pytest, benches): an event loop in a background thread.

    with ModemSimulator("bg95", time_scale=0.01) as sim:
        port = sim.start_pty()          # or sim.start_tcp() -> "socket://127.0.0.1:PORT"
        ser = serial.serial_for_url(port, timeout=1)
        sim.inject_sms("+491701234567", "hello")

Several simulators can share one SimulatorHost (one loop, one thread): pass ``host=``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from hil.virtual.modem_sim.control import ControlServer
from hil.virtual.modem_sim.modem import SimulatedModem
from hil.virtual.modem_sim.network import Network, StandaloneNetwork
from hil.virtual.modem_sim.scenario import Scenario

T = TypeVar("T")


class SimulatorHost:
    """One asyncio loop in a daemon thread, shared by any number of simulated modems."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="modem-sim", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 30.0) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def call(self, function: Callable[[], T], timeout: float | None = 30.0) -> T:
        async def wrapper() -> T:
            return function()

        return self.run(wrapper(), timeout)

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


class ModemSimulator:
    """A simulated modem usable from synchronous code; all methods are thread-safe."""

    def __init__(
        self,
        dialect: str,
        scenario: Scenario | dict[str, Any] | str | Path | None = None,
        *,
        time_scale: float = 1.0,
        network: Network | str | None = None,
        log: str | Path | None = None,
        host: SimulatorHost | None = None,
        name: str = "",
        iccid: str | None = None,
    ) -> None:
        self._own_host = host is None
        self.host = host or SimulatorHost()
        try:
            self.modem: SimulatedModem = self.host.run(
                self._create(dialect, scenario, time_scale, network, log, name, iccid)
            )
        except BaseException:
            if self._own_host:
                self.host.close()
            raise
        self._control: ControlServer | None = None
        self._started = False
        self._stopped = False

    @staticmethod
    async def _create(
        dialect: str,
        scenario: Scenario | dict[str, Any] | str | Path | None,
        time_scale: float,
        network: Network | str | None,
        log: str | Path | None,
        name: str,
        iccid: str | None,
    ) -> SimulatedModem:
        modem = SimulatedModem(
            dialect, scenario, time_scale=time_scale, network=network, transcript=log, name=name, iccid=iccid
        )
        try:
            await modem.claim_sim()  # so .identity is the claimed SIM right after construction
        except BaseException:
            await modem.close()
            raise
        return modem

    # ----------------------------------------------------------- lifecycle
    def _ensure_started(self) -> None:
        if not self._started:
            self.host.run(self.modem.start())
            self._started = True

    def start_pty(self, link: str | Path | None = None) -> str:
        """Open a pty; returns its slave path (or the symlink when ``link`` is given)."""
        self._ensure_started()
        return self.host.run(self.modem.open_pty(link))

    def start_tcp(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on TCP; returns the ``socket://HOST:PORT`` URL for pyserial."""
        self._ensure_started()
        return self.host.run(self.modem.open_tcp(host, port))

    def start_control(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Open the JSON-lines control channel; returns ``HOST:PORT``."""
        self._ensure_started()
        if self._control is None:
            self._control = ControlServer(self.modem)
            self.host.run(self._control.open(host, port))
        return self._control.endpoint

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        try:
            if self._control is not None:
                self.host.run(self._control.close(), timeout=5)
            self.host.run(self.modem.close(), timeout=10)
        finally:
            if self._own_host:
                self.host.close()

    def __enter__(self) -> ModemSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------- control
    def _call(self, function: Callable[[], T]) -> T:
        return self.host.call(function)

    def inject_sms(self, sender: str, text: str | None = None, pdu: str | None = None) -> list[int | None]:
        """An MT SMS from ``sender`` (text, or a hex SMS-DELIVER TPDU); returns network SMS ids."""
        return self._call(lambda: self.modem.inject_sms(sender, text=text, pdu=pdu))

    def set_fault(self, fault: dict[str, Any] | Any) -> str:
        """Switch a fault on (same shape as a scenario fault); returns its id."""
        return self._call(lambda: self.modem.set_fault(fault))

    def clear_fault(self, key: str) -> list[str]:
        """Switch faults off by id or by type."""
        return self._call(lambda: self.modem.clear_fault(key))

    def set_signal(self, **values: float) -> None:
        self._call(lambda: self.modem.set_signal(**values))

    def reboot(self) -> None:
        self._call(lambda: self.modem.reboot("API"))

    def power_off(self) -> None:
        self._call(self.modem.power_off)

    def power_on(self) -> None:
        self._call(self.modem.power_on)

    def detach(self) -> None:
        """Network-initiated detach: stat 2, +CGEV: NW DETACH, then the modem re-attaches."""
        self._call(lambda: self.modem.network_detach("API"))

    def deactivate_pdp(self) -> None:
        """The network tears the PDP context down (+CGEV: NW PDN DEACT and vendor URCs)."""
        self._call(lambda: self.modem.network_pdp_deactivate("API"))

    def wake(self) -> None:
        """Wake the module from PSM (what the PSM_EINT / PWRKEY pin does)."""
        self._call(self.modem.psm.wake)

    def status(self) -> dict[str, Any]:
        return self._call(self.modem.status)

    @property
    def identity(self) -> dict[str, str]:
        return self.modem.identity()

    @property
    def network(self) -> Network:
        return self.modem.network

    @property
    def standalone(self) -> StandaloneNetwork:
        network = self.modem.network
        if not isinstance(network, StandaloneNetwork):
            raise TypeError("this simulator talks to an external network")
        return network

    def wait_until(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5.0) -> dict[str, Any]:
        """Poll status() until predicate(status) holds; raises TimeoutError with the last status."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.status()
            if predicate(status):
                return status
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout} s; last status: {status}")
            time.sleep(0.005)
