"""The virtual lab as ONE system: one emulated 1NCE cloud (ThreadedEmulator on loopback) and N
simulated modems attached to its core network, each with a SIM claimed from its inventory. Every
rig's Cloud is our hil.cloud client against that emulator, so the cloud sees everything a rig does.

    with VirtualLab(rigs=4) as lab:
        rig = lab.open_rig(lab.spec(0))
        modem = rig.get(Modem)

Faults are injected per rig (`faults=("registration_denied",)`), for the tests and for labs that
want to see how their suites fail.

Firmware-mode rigs live in the same lab: the firmware image (stamped with the lab's endpoints)
runs in QEMU with UART1 on a simulated modem on its own SIM, and checks read its console:

    with VirtualLab(rigs=2) as lab:
        rig = lab.open_firmware_rig(lab.firmware_spec(0), ensure_image(), period_s=3)
        console, cloud = rig.get(Console), rig.get(Cloud)
"""

from __future__ import annotations

import json
import socket
import tempfile
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
from hil.firmware.build import DIALECTS as FIRMWARE_DIALECTS
from hil.firmware.qemu import QemuError, machine_for_board
from hil.firmware.run import FAST_MODEM, FirmwareRunError, lab_config, stamp_copy, template_document
from hil.flash.base import Flasher, FlasherError, image_format
from hil.rig.backends.firmware_rig import UNPLUG_AFTER_LINES, QemuRigFlasher
from hil.rig.backends.webhook_inbox import WebhookInbox
from hil.rig.capabilities import Cloud, Console, LineConsole
from hil.rig.rig import Rig
from hil.rig.rigfile import RigSpec
from hil.virtual.cloud.config import EmulatorConfig
from hil.virtual.cloud.server import ThreadedEmulator
from hil.virtual.modem_sim import ModemSimulator, SimulatorHost
from hil.virtual.network.inventory import demo_inventory, lab_organisation

# Dialects whose full modem-mode smoke suite the simulator supports; rigs take them in turn.
DEFAULT_DIALECTS: tuple[str, ...] = ("bg95", "bg96", "sim7080", "me910", "sara-r5", "nrf91")
# Dialects the firmware image (AUTO dialect) and the simulator both speak, for firmware-mode rigs.
FIRMWARE_RIG_DIALECTS: tuple[str, ...] = tuple(d for d in ("bg95", "nrf91", "bg96") if d in FIRMWARE_DIALECTS)
FAULTS = ("modem_reboot", "registration_denied", "sim_missing", "cloud_down", "console_dead")
TEMPLATE_NAME = "nce_sensor"
TEMPLATE_FILE = Path(__file__).resolve().parents[3] / "firmware" / "common" / "templates" / "nce_sensor.json"


class VirtualLabError(RuntimeError):
    """The virtual lab could not start or cannot give out another rig."""


def sensor_template() -> dict[str, Any]:
    """The firmware's Energy Saver template (firmware/common/templates/nce_sensor.json)."""
    try:
        return template_document(TEMPLATE_NAME)
    except FirmwareRunError as exc:
        raise VirtualLabError(f"cannot read the BCL template: {exc}") from exc


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
        self._inventory = demo_inventory(rigs + spare_sims, lab_organisation())
        self._config = EmulatorConfig(
            # The lab's many rigs share one customer: 1NCE's 10 req/s would make 16 rigs wait on
            # each other, which measures the rate limit, not the devices.
            sims_rate_limit=0,
            time_scale=0.001,
            # Firmware rigs acknowledge MT SMS in real time (see EmulatorConfig.sms_time_scale).
            sms_time_scale=0.1,
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
        dialect = spec.dialect or self.dialects[0]
        # The harness acknowledges an MT SMS (+CNMA, nRF) in real time; a 15 s window scaled to
        # 150 ms fails it whenever the machine is busy (16 rigs on 2 cores). 5 s at least.
        scenario = {"modem": {"cnma_timeout_s": max(15.0, 5.0 / self.time_scale)}}
        rig, simulator = self._simulated_rig(spec, dialect, scenario, faults)
        try:
            transcript = Transcript()
            transcript.add_secret(self._inventory.api_users[0].client_secret)
            modem = Modem.open(simulator.start_pty(), dialect, transcript=transcript)
            rig.add(Modem, modem, modem.close)
        except BaseException:
            rig.close()
            raise
        return rig

    def _simulated_rig(
        self, spec: RigSpec, dialect: str, scenario: dict[str, Any], faults: Iterable[str]
    ) -> tuple[Rig, ModemSimulator]:
        """What every virtual rig has: a simulated `dialect` modem on a SIM claimed from the lab's
        cloud (spec.iccid pins one; the rig's spec carries the claimed ICCID and the dialect), its
        faults switched on (VirtualControls), and the Cloud capability."""
        if not self._started or self.host is None or self.inbox is None:
            raise VirtualLabError("the virtual lab is not started")
        chosen = tuple(faults)
        for fault in chosen:
            if fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r}; expected one of {', '.join(FAULTS)}")
        simulator = ModemSimulator(
            dialect,
            scenario,
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
            rig.spec = replace(spec, iccid=iccid, dialect=dialect)
            controls = VirtualControls(simulator, iccid, chosen)
            for fault in chosen:
                controls.inject(fault)
            rig.add(VirtualControls, controls)
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
        return rig, simulator

    # --- firmware-mode rigs ---------------------------------------------------------------
    def firmware_spec(self, index: int, *, name: str | None = None, dialect: str | None = None) -> RigSpec:
        """The spec of firmware-mode rig `index` (0-based): virtual-fw-<n>, taking in turn the
        dialects both the firmware and the simulator speak (FIRMWARE_RIG_DIALECTS)."""
        chosen = dialect or FIRMWARE_RIG_DIALECTS[index % len(FIRMWARE_RIG_DIALECTS)]
        return self.spec(index, name=name or f"virtual-fw-{index + 1}", dialect=chosen)

    def open_firmware_rig(
        self,
        spec: RigSpec,
        image: Path,
        *,
        faults: Iterable[str] = (),
        period_s: int = 3,
        run_for_s: int = 0,
        config: dict[str, Any] | None = None,
        icount_shift: int | None = None,
    ) -> Rig:
        """A FIRMWARE-mode rig: `image` (ELF or BIN, e.g. hil.firmware.cache.ensure_image())
        stamped with the lab's UDP/CoAP endpoints, `period_s` and `run_for_s` (0: runs until the
        rig closes; QEMU is killed then), booted in QEMU on spec.board through the rig's Flasher
        (flashing = booting; reset = boot again), UART1 on a simulated modem (spec.dialect, one of
        FIRMWARE_RIG_DIALECTS) on a SIM claimed from the lab's cloud (spec.iccid pins one).

        Capabilities: Console (UART0 lines, LineConsole: history in lines()), Flasher
        (QemuRigFlasher; .image is the stamped copy), Cloud (as open_rig), VirtualControls.
        Faults: registration_denied, sim_missing, modem_reboot (the simulator, before boot);
        cloud_down (the Cloud client points at a dead URL); console_dead (the console's source
        closes after the first lines, QEMU runs on: checks get ConsoleDeadError). `config` adds
        FirmwareConfig fields to stamp. The returned rig's spec carries the claimed ICCID.
        Raises VirtualLabError (lab, dialect, board, image) or FlasherError (QEMU did not start)."""
        chosen = tuple(faults)
        dialect = spec.dialect or FIRMWARE_RIG_DIALECTS[0]
        if dialect not in FIRMWARE_RIG_DIALECTS:
            raise VirtualLabError(
                f"rig {spec.name}: dialect {dialect!r} has no firmware-mode rig; "
                f"expected one of {', '.join(FIRMWARE_RIG_DIALECTS)}"
            )
        try:
            machine = machine_for_board(spec.board or "mps2-an385")
            image_format(Path(image))
            stamped_config = lab_config(
                self.endpoints, period_s=period_s, run_for_s=run_for_s, extra=config, where=f"rig {spec.name}"
            )
        except (QemuError, FlasherError, FirmwareRunError) as exc:
            raise VirtualLabError(f"rig {spec.name}: {exc}") from exc
        rig, simulator = self._simulated_rig(spec, dialect, FAST_MODEM, chosen)
        try:
            scratch = tempfile.TemporaryDirectory(prefix=f"nce-{spec.name}-")
            rig.on_close(scratch.cleanup)
            suffix = ".bin" if image_format(Path(image)) == "bin" else ".elf"
            try:
                boot_image = stamp_copy(Path(image), stamped_config, Path(scratch.name) / f"stamped{suffix}")
            except FirmwareRunError as exc:
                raise VirtualLabError(f"rig {spec.name}: {exc}") from exc
            console = LineConsole(f"{spec.name} uart0")
            flasher = QemuRigFlasher(
                machine,
                simulator.start_tcp(),
                console,
                unplug_after_lines=UNPLUG_AFTER_LINES if "console_dead" in chosen else None,
                icount_shift=icount_shift,
            )
            rig.add(Console, console)  # type: ignore[type-abstract]  # Protocols as keys
            rig.add(Flasher, flasher, flasher.close)  # type: ignore[type-abstract]
            flasher.flash(boot_image)
        except BaseException:
            rig.close()
            raise
        return rig
