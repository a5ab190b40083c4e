"""`hil rigs scan`: propose rigs.yaml entries from the USB serial ports and debug probes connected.

Ports come from pyserial (serial.tools.list_ports), probes from pyOCD when it is installed. USB
vendor/product IDs say what a port is: a cellular modem (Quectel, u-blox, SIMCom, Telit, Nordic)
or a debug probe's virtual COM port (SEGGER J-Link, ST-Link, CMSIS-DAP/DAPLink), which carries the
board's console. A modem shows several ports (diagnostics, NMEA, AT, PPP); the AT port is chosen
by USB interface number where the vendor documents it. The proposal is a starting point: a human
pairs a modem with its board and adds the ICCID and power switch.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

BY_ID = Path("/dev/serial/by-id")


@dataclass(frozen=True)
class UsbKind:
    role: str  # "modem" | "probe" | "gnss"
    vendor: str
    product: str
    dialect: str | None = None  # at_commands dialect, when the product says which
    at_interface: int | None = None  # the USB interface of the AT port (modems)
    flasher: str | None = None  # pyocd | west (probes)


# (vid, pid) -> kind; (vid, None) -> the vendor's default. IDs from the vendors' USB driver notes
# (Quectel Linux USB guide, ST's ST-Link notes, SEGGER, Arm DAPLink).
USB_IDS: dict[tuple[int, int | None], UsbKind] = {
    (0x2C7C, 0x0296): UsbKind("modem", "Quectel", "BG96", "bg96", at_interface=2),
    (0x2C7C, 0x0700): UsbKind("modem", "Quectel", "BG95/BG77", "bg95", at_interface=2),
    (0x2C7C, None): UsbKind("modem", "Quectel", "module", at_interface=2),
    (0x1546, 0x01A7): UsbKind("gnss", "u-blox", "u-blox 7 GNSS"),
    (0x1546, 0x01A8): UsbKind("gnss", "u-blox", "u-blox 8 GNSS"),
    (0x1546, 0x01A9): UsbKind("gnss", "u-blox", "u-blox 9 GNSS"),
    (0x1546, None): UsbKind("modem", "u-blox", "SARA module"),
    (0x1E0E, None): UsbKind("modem", "SIMCom", "module", at_interface=2),
    (0x1BC7, None): UsbKind("modem", "Telit", "module", "me910"),
    (0x1915, None): UsbKind("modem", "Nordic", "nRF91 (Thingy:91 / serial modem)", "nrf91"),
    (0x1366, None): UsbKind("probe", "SEGGER", "J-Link", flasher="west"),
    (0x0483, 0x3748): UsbKind("probe", "STMicroelectronics", "ST-Link/V2", flasher="pyocd"),
    (0x0483, 0x374B): UsbKind("probe", "STMicroelectronics", "ST-Link/V2-1", flasher="pyocd"),
    (0x0483, 0x374E): UsbKind("probe", "STMicroelectronics", "STLINK-V3", flasher="pyocd"),
    (0x0483, 0x374F): UsbKind("probe", "STMicroelectronics", "STLINK-V3", flasher="pyocd"),
    (0x0483, 0x3752): UsbKind("probe", "STMicroelectronics", "ST-Link/V2-1", flasher="pyocd"),
    (0x0483, 0x3753): UsbKind("probe", "STMicroelectronics", "STLINK-V3", flasher="pyocd"),
    (0x0483, 0x3754): UsbKind("probe", "STMicroelectronics", "STLINK-V3", flasher="pyocd"),
    (0x0D28, 0x0204): UsbKind("probe", "Arm", "CMSIS-DAP/DAPLink", flasher="pyocd"),
}
# A SEGGER J-Link serial number starting with these digits is on a Nordic DK (board, dialect).
JLINK_ON_NORDIC_DK: dict[str, tuple[str, str]] = {
    "960": ("nrf9160dk", "nrf91"),
    "1050": ("nrf9161dk", "nrf91"),
}


def usb_kind(vid: int | None, pid: int | None) -> UsbKind | None:
    if vid is None:
        return None
    return USB_IDS.get((vid, pid)) or USB_IDS.get((vid, None))


@dataclass
class Proposal:
    """One proposed rigs.yaml entry and why it looks like that."""

    name: str
    entry: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@dataclass
class ScanResult:
    proposals: list[Proposal]
    unknown_ports: list[str]  # ports with no known USB ID (a plain USB-serial adapter, say)
    probe_note: str | None = None  # why pyOCD probes are not listed, when they are not
    # pyOCD probes with no serial port of their own: a rig needs a port, so these are notes to
    # add as probe: to the rig whose board they are wired to
    probes_without_port: list[str] = field(default_factory=list)

    def as_yaml(self) -> str:
        return yaml.safe_dump({"rigs": [p.entry for p in self.proposals]}, sort_keys=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "rigs": [{"entry": p.entry, "notes": p.notes} for p in self.proposals],
            "unknown_ports": self.unknown_ports,
            "probe_note": self.probe_note,
            "probes_without_port": self.probes_without_port,
        }


def list_ports() -> list[Any]:
    import serial.tools.list_ports

    return list(serial.tools.list_ports.comports())


def list_pyocd_probes() -> tuple[list[Any], str | None]:
    """pyOCD's connected probes, or ([], why not)."""
    try:
        from pyocd.probe.aggregator import DebugProbeAggregator
    except ImportError:
        return [], "pyOCD is not installed: debug probes were not asked for"
    try:
        return list(DebugProbeAggregator.get_all_connected_probes()), None
    except Exception as exc:  # a broken USB stack must not hide the serial ports found
        return [], f"pyOCD could not list probes: {exc}"


def by_id_links(directory: Path = BY_ID) -> dict[str, str]:
    """Real device -> its stable /dev/serial/by-id path (ttyUSB numbers change across boots)."""
    links: dict[str, str] = {}
    if directory.is_dir():
        for link in sorted(directory.iterdir()):
            links.setdefault(os.path.realpath(link), str(link))
    return links


def scan(
    ports: Callable[[], Sequence[Any]] = list_ports,
    probes: Callable[[], tuple[list[Any], str | None]] = list_pyocd_probes,
    links: dict[str, str] | None = None,
) -> ScanResult:
    stable = by_id_links() if links is None else links
    devices: dict[tuple[Any, ...], list[Any]] = {}
    unknown: list[str] = []
    for port in ports():
        if usb_kind(port.vid, port.pid) is None:
            if port.vid is not None:  # a USB port we do not know; built-in UARTs are no news
                unknown.append(f"{port.device} ({port.vid:04x}:{port.pid or 0:04x} {port.description})")
            continue
        devices.setdefault(_device_key(port), []).append(port)
    proposals: list[Proposal] = []
    probe_ids: set[str] = set()
    for group in devices.values():
        group.sort(key=lambda p: (_interface(p) if _interface(p) is not None else 99, p.device))
        kind = usb_kind(group[0].vid, group[0].pid)
        assert kind is not None
        path = stable.get(os.path.realpath(group[0].device)) if group else None
        if kind.role == "probe":
            proposals.append(_probe_proposal(kind, group, stable))
            if group[0].serial_number:
                probe_ids.add(str(group[0].serial_number).upper())
        elif kind.role == "modem":
            proposals.append(_modem_proposal(kind, group, stable))
        else:
            unknown.append(f"{path or group[0].device} ({kind.product}: not a modem)")
    found, note = probes()
    loose: list[str] = []
    for probe in found:
        unique_id = str(getattr(probe, "unique_id", "") or "")
        if unique_id and unique_id.upper() not in probe_ids:  # a probe without a serial port
            description = str(getattr(probe, "description", "") or getattr(probe, "product_name", "probe"))
            loose.append(f"{description} (probe: {unique_id!r}, flasher: pyocd)")
    _unique_names(proposals)
    return ScanResult(proposals, unknown, note, loose)


def _probe_proposal(kind: UsbKind, group: list[Any], stable: dict[str, str]) -> Proposal:
    first = group[0]
    serial_number = str(first.serial_number or "")
    entry: dict[str, Any] = {"name": _name(kind.product, serial_number or first.device)}
    notes = [f"{kind.vendor} {kind.product} (serial {serial_number or 'unknown'})"]
    board = dialect = None
    flasher = kind.flasher
    if kind.vendor == "SEGGER":
        for prefix, (dk, dk_dialect) in JLINK_ON_NORDIC_DK.items():
            if serial_number.lstrip("0").startswith(prefix):
                board, dialect = dk, dk_dialect
                notes.append(f"J-Link serial {serial_number} is on a Nordic {dk}")
    if board:
        entry["board"] = board
    entry["console"] = _stable(first.device, stable)
    if len(group) > 1:
        notes.append("more UARTs on this probe: " + ", ".join(_stable(p.device, stable) for p in group[1:]))
    if dialect:
        entry["dialect"] = dialect
        notes.append("the modem is inside the SoC: the firmware speaks AT to it (no modem_port)")
    if flasher:
        entry["flasher"] = flasher
    if serial_number:
        entry["probe"] = serial_number
    entry["tags"] = {"probe": kind.product.lower().replace("/", "-").replace(" ", "-")}
    if not board:
        notes.append("add board: (boards/) and the modem wired to this board")
    return Proposal(entry["name"], entry, notes)


def _modem_proposal(kind: UsbKind, group: list[Any], stable: dict[str, str]) -> Proposal:
    at_port = group[0]
    if kind.at_interface is not None:
        chosen = [p for p in group if _interface(p) == kind.at_interface]
        if chosen:
            at_port = chosen[0]
    serial_number = str(at_port.serial_number or "")
    entry: dict[str, Any] = {
        "name": _name(kind.dialect or kind.vendor, serial_number),
        "modem_port": _stable(at_port.device, stable),
    }
    notes = [f"{kind.vendor} {kind.product}, {len(group)} port(s); AT port: interface {_interface(at_port)}"]
    if kind.dialect:
        entry["dialect"] = kind.dialect
        entry["tags"] = {"modem": kind.dialect}
    else:
        notes.append("dialect left out: detected from AT+CGMM when the rig opens")
    notes.append("add iccid: (AT+CCID / hil modem info) and power: if it has a switch")
    return Proposal(entry["name"], entry, notes)


def _device_key(port: Any) -> tuple[Any, ...]:
    location = str(port.location or "")
    return (port.vid, port.pid, port.serial_number or location.split(":", maxsplit=1)[0] or port.device)


def _interface(port: Any) -> int | None:
    location = str(port.location or "")
    match = re.search(r":\d+\.(\d+)$", location)
    if match:
        return int(match.group(1))
    match = re.search(r"-if(\d+)", str(port.device))
    return int(match.group(1)) if match else None


def _stable(device: str, stable: dict[str, str]) -> str:
    return stable.get(os.path.realpath(device), device)


def _name(kind: str, serial: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-") or "rig"
    tail = re.sub(r"[^A-Za-z0-9]", "", serial)[-6:]
    return f"{base}-{tail}" if tail else base


def _unique_names(proposals: Iterable[Proposal]) -> None:
    seen: dict[str, int] = {}
    for proposal in proposals:
        count = seen.get(proposal.name, 0)
        seen[proposal.name] = count + 1
        if count:
            proposal.name = f"{proposal.name}-{count + 1}"
            proposal.entry["name"] = proposal.name
