"""The virtual lab as ONE system: one emulated 1NCE cloud (ThreadedEmulator on loopback) and N
simulated modems attached to its core network, each with a SIM claimed from its inventory. Every
rig's Cloud is our hil.cloud client against that emulator, so the cloud sees everything a rig does.

    with VirtualLab(rigs=4) as lab:
        rig = lab.open_rig(lab.spec(0))
        modem = rig.get(Modem)

Faults are injected per rig (`faults=("registration_denied",)`), for the tests and for labs that
want to see how their suites fail.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from at_commands.modem import Modem
from at_commands.transcript import Transcript
from hil.cloud.client import CloudClient
from hil.cloud.config import CloudSettings
from hil.rig.backends.webhook_inbox import WebhookInbox
from hil.rig.capabilities import Cloud
from hil.rig.rig import Rig
from hil.rig.rigfile import RigSpec
from hil.virtual.cloud.config import EmulatorConfig
from hil.virtual.cloud.server import ThreadedEmulator
from hil.virtual.modem_sim import ModemSimulator, SimulatorHost
from hil.virtual.network.inventory import demo_inventory

# Dialects whose full modem-mode smoke suite the simulator supports; rigs take them in turn.
DEFAULT_DIALECTS: tuple[str, ...] = ("bg95", "bg96", "sim7080", "me910", "sara-r5", "nrf91")
FAULTS = ("modem_reboot", "registration_denied", "sim_missing", "cloud_down", "console_dead")
TEMPLATE_NAME = "nce_sensor"
TEMPLATE_FILE = Path(__file__).resolve().parents[3] / "firmware" / "common" / "templates" / "nce_sensor.json"


class VirtualLabError(RuntimeError):
    """The virtual lab could not start or cannot give out another rig."""


def sensor_template() -> dict[str, Any]:
    """The firmware's Energy Saver template (firmware/common/templates/nce_sensor.json)."""
    try:
        document: dict[str, Any] = json.loads(TEMPLATE_FILE.read_text(encoding="utf-8"))
    except OSError as exc:
        raise VirtualLabError(f"{TEMPLATE_FILE}: cannot read the BCL template: {exc.strerror}") from exc
    return document


@dataclass
class VirtualControls:
    """What only a virtual rig offers: the simulator behind its modem, for health checks, fault
    injection and tests. Checks never need it."""

    simulator: ModemSimulator
    iccid: str  # the API's 19-digit ICCID of the claimed SIM
    faults: tuple[str, ...] = ()

    def inject(self, fault: str) -> None:
        """Switch a named fault on (see FAULTS)."""
        if fault == "modem_reboot":
            # The module resets when asked to define the PDP context: no answer, then boot URCs.
            self.simulator.set_fault({"type": "reboot", "command": "AT+CGDCONT", "times": 1})
        elif fault == "registration_denied":
            self.simulator.set_fault({"type": "registration_denied", "reject_cause": 11})
        elif fault == "sim_missing":
            self.simulator.set_fault({"type": "no_sim"})
        elif fault in ("cloud_down", "console_dead"):
            pass  # applied when the rig's capabilities are made
        else:
            raise ValueError(f"unknown fault {fault!r}; expected one of {', '.join(FAULTS)}")


def _dead_url() -> str:
    """An HTTP URL on loopback where nothing listens (connection refused): a cloud that is down."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/management-api"


class VirtualLab:
    """One emulator, one simulator event loop, one webhook inbox; rigs opened on demand."""

    def __init__(
        self,
        rigs: int = 1,
        *,
        dialects: Sequence[str] = DEFAULT_DIALECTS,
        time_scale: float = 0.01,
        spare_sims: int = 2,
    ) -> None:
        if rigs < 1:
            raise ValueError(f"a virtual lab needs at least 1 rig, not {rigs}")
        self.rig_count = rigs
        self.dialects = tuple(dialects)
        self.time_scale = time_scale
        self._inventory = demo_inventory(rigs + spare_sims)
        self._config = EmulatorConfig(
            # The lab's many rigs share one customer: 1NCE's 10 req/s would make 16 rigs wait on
            # each other, which measures the rate limit, not the devices.
            sims_rate_limit=0,
            time_scale=0.001,
            webhook_timeout=2000,
        )
        self.emulator = ThreadedEmulator(self._inventory, self._config)
        self.host: SimulatorHost | None = None
        self.inbox: WebhookInbox | None = None
        self._lock = threading.Lock()
        self._started = False

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> VirtualLab:
        if self._started:
            return self
        self.emulator.start()
        self._started = True
        try:
            self.host = SimulatorHost()
            self.inbox = WebhookInbox()
            with self._admin_client() as client:
                client.create_template(TEMPLATE_NAME, json.dumps(sensor_template()), ["UDP", "COAP"])
                client.create_webhook(
                    "nce-hil lab", f"{self.inbox.url}/telemetry/:iccid:", ["TELEMETRY_DATA"]
                )
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self.inbox is not None:
            self.inbox.close()
            self.inbox = None
        if self.host is not None:
            self.host.close()
            self.host = None
        if self._started:
            self.emulator.stop()
            self._started = False

    def __enter__(self) -> VirtualLab:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- rigs -----------------------------------------------------------------------------
    @property
    def endpoints(self) -> dict[str, Any]:
        return self.emulator.endpoints

    def settings(self, api_url: str | None = None) -> CloudSettings:
        user = self._inventory.api_users[0]
        return CloudSettings(
            api_url=api_url or self.endpoints["api"],
            client_id=user.client_id,
            client_secret=SecretStr(user.client_secret),
        )

    def _admin_client(self) -> CloudClient:
        return CloudClient(self.settings())

    def spec(self, index: int, *, name: str | None = None, dialect: str | None = None) -> RigSpec:
        """The spec of virtual rig `index` (0-based): virtual-<n>, dialects in turn."""
        chosen = dialect or self.dialects[index % len(self.dialects)]
        return RigSpec(
            name=name or f"virtual-{index + 1}",
            backend="virtual",
            board="mps2-an385",
            dialect=chosen,
            tags={"modem": chosen, "rat": "lte-m"},
            source="virtual lab",
        )

    def specs(self) -> list[RigSpec]:
        return [self.spec(i) for i in range(self.rig_count)]

    def open_rig(self, spec: RigSpec, *, faults: Iterable[str] = ()) -> Rig:
        """A rig with Modem, Cloud and VirtualControls; its SIM is claimed from the inventory
        (spec.iccid pins one). The returned spec carries the claimed ICCID."""
        if not self._started or self.host is None or self.inbox is None:
            raise VirtualLabError("the virtual lab is not started")
        chosen = tuple(faults)
        for fault in chosen:
            if fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r}; expected one of {', '.join(FAULTS)}")
        dialect = spec.dialect or self.dialects[0]
        simulator = ModemSimulator(
            dialect,
            time_scale=self.time_scale,
            network=self.endpoints["netlink"],
            host=self.host,
            name=spec.name,
            iccid=spec.iccid,
        )
        rig = Rig(spec)
        rig.on_close(simulator.stop)
        try:
            claimed = simulator.modem.claimed
            iccid = claimed.iccid if claimed is not None else (spec.iccid or "")
            rig.spec = replace(spec, iccid=iccid)
            controls = VirtualControls(simulator, iccid, chosen)
            for fault in chosen:
                controls.inject(fault)
            rig.add(VirtualControls, controls)
            transcript = Transcript()
            transcript.add_secret(self._inventory.api_users[0].client_secret)
            modem = Modem.open(simulator.start_pty(), dialect, transcript=transcript)
            rig.add(Modem, modem, modem.close)
            api_url = _dead_url() if "cloud_down" in chosen else None
            client = CloudClient(self.settings(api_url), timeout=10.0)
            rig.add(
                Cloud,
                Cloud(client, endpoints=self.endpoints, emulator=self.emulator, inbox=self.inbox),
                client.close,
            )
        except BaseException:
            rig.close()
            raise
        return rig
