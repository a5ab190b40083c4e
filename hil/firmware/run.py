"""`hil fw run` as a Python API: a firmware image in QEMU, wired to a simulated modem on the
emulated 1NCE network and cloud, and what the cloud saw of it.

    with FirmwareLab(elf, dialect="bg95", run_for_s=15, period_s=3) as lab:
        lab.wait_for("uplink", proto="coap")        # console events as they come
        lab.cloud.send_sms(lab.iccid, "interval=4")  # the Management API, as a user would
        status = lab.wait()                          # the image's own exit status
        report = lab.report()                        # bootstrap, uplinks, sms, errors, console

Everything is started for the run on loopback and stopped at the end: the emulator
(ThreadedEmulator: API, network, UDP/CoAP integrators, Device Authenticator), a webhook receiver,
the Energy Saver template the firmware's config names, a simulated modem on a SIM claimed from
the emulator's inventory, and QEMU booting a stamped temporary copy of the image.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from at_commands.dialects.profiles import DIALECT_NAMES
from hil.cloud.client import CloudClient
from hil.cloud.config import CloudSettings
from hil.firmware.config_block import ConfigBlockError, FirmwareConfig
from hil.firmware.console import ConsoleEvent, ConsoleFormatError, ConsoleLog, parse_line
from hil.firmware.image import ImageError, read_config, stamp
from hil.firmware.qemu import ConsoleLine, QemuBoard, QemuError, QemuMachine, machine_for_board
from hil.flash.base import image_format
from hil.rig.backends.webhook_inbox import WebhookInbox
from hil.virtual.cloud.config import EmulatorConfig
from hil.virtual.cloud.server import ThreadedEmulator
from hil.virtual.modem_sim import ModemSimulator
from hil.virtual.network.inventory import demo_inventory, lab_organisation

REPO = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = REPO / "firmware" / "common" / "templates"
# Fast simulated modem timings for the lab (seconds before the simulator's time scale).
FAST_MODEM: dict[str, Any] = {
    # The firmware's own timers run in real time: the +CNMA window (nRF) stays 15 s of it, not
    # 150 ms, or every MT SMS the firmware acknowledges after an uplink round is delivered twice.
    "modem": {"boot_s": 1.0, "cnma_timeout_s": 1500.0},
    "network": {"registration_delay_s": 1.0, "pdp_delay_s": 0.2, "sms_delay_s": 0.2},
}


class FirmwareRunError(RuntimeError):
    """The run could not be set up (image, template, board, tools); the message says what."""


@dataclass(frozen=True)
class FirmwareRunOptions:
    board: str = "mps2-an385"
    dialect: str = "bg95"
    run_for_s: int = 20  # stamped: the firmware ends itself (semihosting exit) after this
    period_s: int = 5  # stamped uplink period
    time_scale: float = 0.01  # the simulated modem's delays (boot, registration, PDP, SMS) x this
    icount_shift: int | None = None
    stamp: bool = True  # False: boot the image as it is (its own block, or the defaults)
    config: dict[str, Any] = field(default_factory=dict)  # further FirmwareConfig fields to stamp
    scenario: dict[str, Any] | None = None  # the simulated modem's scenario (default FAST_MODEM)
    iccid: str | None = None  # claim this SIM (default: the first free one)
    grace_s: float = 30.0  # QEMU may outlive run_for_s by this much before it is killed


def qemu_machine(board: str) -> QemuMachine:
    """The QEMU machine of a board file; FirmwareRunError for a board QEMU cannot run."""
    try:
        return machine_for_board(board)
    except QemuError as exc:
        raise FirmwareRunError(str(exc)) from exc


def template_document(name: str) -> dict[str, Any]:
    """firmware/common/templates/<name>.json, the Energy Saver template the firmware encodes for."""
    path = TEMPLATES_DIR / f"{name}.json"
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        known = ", ".join(sorted(p.stem for p in TEMPLATES_DIR.glob("*.json"))) or "none"
        raise FirmwareRunError(
            f"template {name!r} (named by the firmware's config): {path}: {exc.strerror}; known: {known}"
        ) from exc
    except json.JSONDecodeError as exc:
        raise FirmwareRunError(f"template {path}: not JSON ({exc})") from exc
    return document


def read_image_config(image: Path) -> FirmwareConfig | None:
    """The config block stamped into an image; None when it is erased or corrupt."""
    try:
        return read_config(image).config
    except ImageError as exc:
        raise FirmwareRunError(str(exc)) from exc


def stamp_copy(image: Path, config: FirmwareConfig, out: Path) -> Path:
    """A copy of `image` at `out` with `config` in its config block."""
    try:
        stamp(image, config, out)
    except (ImageError, ConfigBlockError) as exc:
        raise FirmwareRunError(f"cannot stamp {image}: {exc}") from exc
    return out


def _host_port(url: str) -> tuple[str, int]:
    rest = url.split("://", 1)[-1].split("/", 1)[0]
    host, _, port = rest.rpartition(":")
    return host, int(port)


def lab_config(
    endpoints: Mapping[str, Any],
    *,
    period_s: int,
    run_for_s: int,
    extra: Mapping[str, Any] | None = None,
    where: str = "fw run config",
) -> FirmwareConfig:
    """The config block for an image in the virtual lab: the emulator's UDP and CoAP endpoints,
    the uplink period and the run length (0 = run until QEMU is killed), plus `extra` fields.
    Shared by FirmwareLab and VirtualLab.open_firmware_rig."""
    udp_host, udp_port = _host_port(str(endpoints["udp"]))
    coap_host, coap_port = _host_port(str(endpoints["coap"]))
    values: dict[str, Any] = {
        "udp_host": udp_host,
        "udp_port": udp_port,
        "coap_host": coap_host,
        "coap_port": coap_port,
        "uplink_period_s": period_s,
        "run_for_s": run_for_s,
    }
    values.update(extra or {})
    try:
        return FirmwareConfig.from_mapping(values, where=where)
    except ConfigBlockError as exc:
        raise FirmwareRunError(str(exc)) from exc


@dataclass
class SentSms:
    id: int | None
    text: str
    sent_ms: float  # host monotonic, ms


class FirmwareLab:
    """One firmware run in the virtual lab; a context manager that stops everything it started."""

    def __init__(
        self,
        image: Path,
        options: FirmwareRunOptions | None = None,
        *,
        on_line: Callable[[ConsoleLine, ConsoleEvent | None], None] | None = None,
        **overrides: Any,
    ) -> None:
        self.image = Path(image)
        self.options = replace(options or FirmwareRunOptions(), **overrides)
        self.on_line = on_line
        self.console = ConsoleLog()
        self.format_errors: list[str] = []
        self.sent_sms: list[SentSms] = []
        self.emulator: ThreadedEmulator | None = None
        self.inbox: WebhookInbox | None = None
        self.cloud_client: CloudClient | None = None
        self.simulator: ModemSimulator | None = None
        self.board: QemuBoard | None = None
        self.config: FirmwareConfig | None = None  # what the booted image was stamped with
        self.iccid = ""  # the claimed SIM's ICCID as the API names it (19 digits)
        self.exit_status: int | None = None
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._lock = threading.Lock()
        self._settings: CloudSettings | None = None

    # ------------------------------------------------------------ lifecycle
    def start(self) -> FirmwareLab:
        options = self.options
        machine = qemu_machine(options.board)
        if not self.image.is_file():
            raise FirmwareRunError(
                f"image {self.image}: no such file (build one: hil fw build --target baremetal)"
            )
        base = read_image_config(self.image) if not options.stamp else None
        try:
            self._start_cloud()
            template = (self._config_for_run().template_name if options.stamp else None) or (
                base.template_name if base is not None else FirmwareConfig().template_name
            )
            self._create_template(template)
            self._start_modem()
            boot_image = self.image
            if options.stamp:
                self._scratch = tempfile.TemporaryDirectory(prefix="nce-fw-run-")
                self.config = self._config_for_run()
                suffix = ".bin" if image_format(self.image) == "bin" else ".elf"
                boot_image = stamp_copy(
                    self.image, self.config, Path(self._scratch.name) / f"stamped{suffix}"
                )
            else:
                self.config = base
            assert self.simulator is not None
            self.board = QemuBoard(
                boot_image,
                machine=machine,
                modem=self._modem_url,
                icount_shift=options.icount_shift,
                on_line=self._line,
            ).start()
        except BaseException:
            self.close()
            raise
        return self

    def _config_for_run(self) -> FirmwareConfig:
        assert self.emulator is not None
        options = self.options
        return lab_config(
            self.emulator.endpoints,
            period_s=options.period_s,
            run_for_s=options.run_for_s,
            extra=options.config,
        )

    def _start_cloud(self) -> None:
        inventory = demo_inventory(4, lab_organisation())
        config = EmulatorConfig(time_scale=0.001, sms_time_scale=0.1, webhook_timeout=2000, sims_rate_limit=0)
        self.emulator = ThreadedEmulator(inventory, config).start()
        user = inventory.api_users[0]
        self._settings = CloudSettings(
            api_url=self.emulator.endpoints["api"],
            client_id=user.client_id,
            client_secret=SecretStr(user.client_secret),
        )
        self.cloud_client = CloudClient(self._settings, timeout=10.0)
        self.inbox = WebhookInbox()
        self.cloud_client.create_webhook("fw run", f"{self.inbox.url}/telemetry/:iccid:", ["TELEMETRY_DATA"])

    def _create_template(self, name: str) -> None:
        document = template_document(name)
        assert self.cloud_client is not None
        self.cloud_client.create_template(name, json.dumps(document), ["UDP", "COAP"])

    def _start_modem(self) -> None:
        assert self.emulator is not None
        options = self.options
        if options.dialect not in DIALECT_NAMES:
            raise FirmwareRunError(f"dialect {options.dialect!r}: expected one of {', '.join(DIALECT_NAMES)}")
        self.simulator = ModemSimulator(
            options.dialect,
            options.scenario if options.scenario is not None else FAST_MODEM,
            time_scale=options.time_scale,
            network=self.emulator.endpoints["netlink"],
            name="fw-run",
            iccid=options.iccid,
        )
        claimed = self.simulator.modem.claimed
        self.iccid = claimed.iccid if claimed is not None else self.simulator.identity["iccid"][:19]
        self._modem_url = self.simulator.start_tcp()

    def close(self) -> None:
        if self.board is not None:
            self.board.stop()
            if self.exit_status is None:
                self.exit_status = self.board.returncode
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None
        if self.cloud_client is not None:
            self.cloud_client.close()
        if self.inbox is not None:
            self.inbox.close()
            self.inbox = None
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    def __enter__(self) -> FirmwareLab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --------------------------------------------------------------- console
    def _line(self, line: ConsoleLine) -> None:
        event: ConsoleEvent | None = None
        try:
            with self._lock:
                event = self.console.add(line.text)
        except ConsoleFormatError as exc:
            with self._lock:
                self.format_errors.append(str(exc))
                self.console.other.append(line.text)
        if self.on_line is not None:
            self.on_line(line, event)

    @property
    def cloud(self) -> CloudClient:
        if self.cloud_client is None:
            raise FirmwareRunError("the firmware lab is not started")
        return self.cloud_client

    @property
    def modem(self) -> ModemSimulator:
        if self.simulator is None:
            raise FirmwareRunError("the firmware lab is not started")
        return self.simulator

    def events(self, event: str | None = None, **match: str) -> list[ConsoleEvent]:
        with self._lock:
            events = list(self.console.events)
        return [
            e
            for e in events
            if (event is None or e.event == event) and all(e.fields.get(k) == v for k, v in match.items())
        ]

    def host_time(self, event: ConsoleEvent) -> float:
        """When the host read the line of `event` (time.monotonic())."""
        assert self.board is not None
        with self._lock:
            for line in self.board.lines:
                if line.text == event.line:
                    return line.monotonic
        raise LookupError(f"line not read from this board: {event.line!r}")

    def wait_for(self, event: str, timeout: float = 30.0, count: int = 1, **match: str) -> ConsoleEvent:
        """The `count`-th console event `event` with these fields; TimeoutError naming the events
        seen, or FirmwareRunError when the image ended first."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.events(event, **match)
            if len(found) >= count:
                return found[count - 1]
            board = self.board
            if board is None or not board.running:
                time.sleep(0.1)  # the console reader may still hold the last lines
                found = self.events(event, **match)
                if len(found) >= count:
                    return found[count - 1]
                raise FirmwareRunError(
                    f"the firmware ended (status {board.returncode if board else None}) before "
                    f"{event} {match or ''} #{count}; {self._tail()}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {event} {match or ''} #{count} within {timeout:g} s; {self._tail()}")
            time.sleep(0.02)

    def _tail(self, count: int = 12) -> str:
        lines = self.board.console_text()[-count:] if self.board is not None else []
        return "last console lines:\n  " + ("\n  ".join(lines) if lines else "(none)")

    def wait(self, timeout: float | None = None) -> int:
        """The image's exit status (it ends itself after run_for_s); killed after the grace time."""
        if self.board is None:
            raise FirmwareRunError("the firmware lab is not started")
        limit = timeout if timeout is not None else self.options.run_for_s + self.options.grace_s
        self.exit_status = self.board.wait(limit)
        return self.exit_status

    # --------------------------------------------------------------- actions
    def send_sms(self, text: str, *, source_address: str = "+4930123456") -> int | None:
        """An MT SMS to the device through the Management API (the way a user configures it)."""
        sms_id = self.cloud.send_sms(self.iccid, text, source_address=source_address)
        self.sent_sms.append(SentSms(sms_id, text, time.monotonic() * 1000))
        return sms_id

    # ---------------------------------------------------------------- report
    def report(self) -> dict[str, Any]:
        """What the cloud saw, joined with what the firmware logged (see firmware/README.md)."""
        with self._lock:
            events = list(self.console.events)
            lines = self.board.console_text() if self.board is not None else []
        log = ConsoleLog()
        log.events = events
        return {
            "iccid": self.iccid,
            "dialect": self.options.dialect,
            "exit_status": self.exit_status,
            "bootstrap": self._bootstrap(log),
            "uplinks": self._uplinks(log),
            "sms": self._sms(log),
            "errors": self._errors(log),
            "console_lines": lines,
        }

    def _bootstrap(self, log: ConsoleLog) -> dict[str, Any]:
        auth = log.all("auth")
        seen: dict[str, Any] = {"requests": 0, "psk_set": False, "psk_length": None}
        if self.emulator is not None:
            pipeline = self.emulator.services.pipeline
            seen["requests"] = self.emulator.call(lambda: pipeline.stats["bootstrap_requests"])
            try:
                key = self.cloud.psk(self.iccid)
            except Exception:  # no key: the authenticator never answered a bootstrap of this SIM
                key = {}
            secret = key.get("secretKey") if isinstance(key, dict) else None
            seen["psk_set"] = bool(secret)
            seen["psk_length"] = len(secret) if isinstance(secret, str) else None  # never the key
        logged = auth[0] if auth else None
        return {
            "bootstrapped": bool(logged) and seen["psk_set"],
            "identity": logged.get("identity") if logged else None,
            "psk_len": int(logged["psk_len"]) if logged and "psk_len" in logged.fields else None,
            "sim_iccid": self.iccid,
            "cloud": seen,
        }

    def _uplinks(self, log: ConsoleLog) -> list[dict[str, Any]]:
        if self.cloud_client is None:
            return []
        try:
            history = list(self.cloud.history(self.iccid))
        except Exception as exc:
            return [{"error": f"Device Inspector history unavailable: {exc}"}]
        history.reverse()  # oldest first, as the firmware sent them
        logged = {proto: log.all("uplink", proto=proto) for proto in ("udp", "coap")}
        used = {"udp": 0, "coap": 0}
        uplinks = []
        for message in history:
            proto = message.protocol.lower()
            try:
                decoded: Any = json.loads(message.payload)
            except ValueError:
                decoded = message.payload
            entry: dict[str, Any] = {
                "protocol": message.protocol,
                "time": message.time,
                "topic": message.topic,
                "decoded": decoded,
            }
            candidates = logged.get(proto, [])
            if used.get(proto, 0) < len(candidates):
                line = candidates[used[proto]]
                used[proto] += 1
                entry.update(
                    n=int(line["n"]),
                    len=int(line["len"]),
                    bytes=line.get("bytes"),
                    logged_values=line.json("values"),
                )
                entry["matches_log"] = entry["logged_values"] == decoded
            uplinks.append(entry)
        return uplinks

    def _sms(self, log: ConsoleLog) -> dict[str, Any]:
        received = log.all("sms")
        sent = []
        for message in self.sent_sms:
            entry: dict[str, Any] = {"id": message.id, "text": message.text}
            if self.cloud_client is not None and message.id is not None:
                try:
                    entry["status"] = self.cloud.sms_detail(self.iccid, message.id).status.description
                except Exception as exc:  # the report still comes out; the error says why
                    entry["status"] = f"unknown ({exc})"
            entry["received_by_firmware"] = any(e.get("text") == message.text for e in received)
            sent.append(entry)
        return {
            "sent": sent,
            "received": [{"ms": e.ms, "from": e.get("from"), "text": e.get("text")} for e in received],
            "config_changes": [{"ms": e.ms, **e.fields} for e in log.all("config")],
        }

    def _errors(self, log: ConsoleLog) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = [{"ms": e.ms, **e.fields} for e in log.errors()]
        errors += [{"cause": "console_format", "detail": text} for text in self.format_errors]
        if self.board is not None and self.board.returncode not in (None, 0):
            detail = self.board.stderr or "the firmware's own exit status (semihosting)"
            errors.append({"cause": "exit_status", "status": self.board.returncode, "detail": detail})
        return errors


def run_ok(report: dict[str, Any]) -> bool:
    """`hil fw run`'s exit rule: bootstrapped, and >= 1 UDP and >= 1 CoAP uplink decoded."""
    decoded = {u.get("protocol") for u in report["uplinks"] if isinstance(u.get("decoded"), dict)}
    return bool(report["bootstrap"]["bootstrapped"]) and {"UDP", "COAP"} <= decoded


__all__ = [
    "FAST_MODEM",
    "FirmwareLab",
    "FirmwareRunError",
    "FirmwareRunOptions",
    "QemuError",
    "lab_config",
    "parse_line",
    "read_image_config",
    "run_ok",
    "stamp_copy",
    "template_document",
]
