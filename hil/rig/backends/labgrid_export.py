"""From a rig file to a labgrid lab: the exporter YAML for one exporter host and the
labgrid-client commands that make one place per rig, with the rig's tags and named matches.

Each rig becomes a resource group named after the rig:

- console / modem_port: a device path -> RawSerialPort (the exporter serves it with ser2net, as
  a NetworkSerialPort); socket://H:P -> NetworkSerialPort protocol raw; rfc2217://H:P ->
  NetworkSerialPort protocol rfc2217. Resources are named `console` and `modem`, and the place
  matches them under those names (the labgrid backend gives them their roles by name).
- power: simplerest -> NetworkPowerPort model simplerest; shelly -> model shelly_gen1; tasmota has
  no HTTP model in labgrid (its TasmotaPowerPort speaks MQTT): left out, with a note.
- probe -> USBDebugger matched by the probe's serial (ID_SERIAL_SHORT).

Virtual rigs have nothing to export and are skipped with a note.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml

from hil.rig.backends.labgrid_client import DEFAULT_COORDINATOR
from hil.rig.rigfile import RigSpec

LABGRID_TAG_KEY = re.compile(r"[a-z][a-z0-9_]+")  # labgrid.remote.common.TAG_KEY
POWER_MODELS = {"simplerest": "simplerest", "shelly": "shelly_gen1"}


@dataclass
class PlaceSetup:
    place: str
    tags: dict[str, str]
    commands: list[list[str]] = field(default_factory=list)


@dataclass
class LabgridExport:
    exporter: str
    coordinator: str
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    places: list[PlaceSetup] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def exporter_yaml(self) -> str:
        return yaml.safe_dump(self.groups, sort_keys=False, default_flow_style=False)

    def script(self) -> str:
        lines = ["#!/bin/sh", "# labgrid places for the rigs (hil rigs labgrid-export)", "set -e"]
        for place in self.places:
            lines += [shlex.join(command) for command in place.commands]
        return "\n".join(lines) + "\n"

    def as_json(self) -> dict[str, Any]:
        return {
            "exporter": self.exporter,
            "coordinator": self.coordinator,
            "exporter_yaml": self.exporter_yaml(),
            "groups": self.groups,
            "places": [{"place": p.place, "tags": p.tags, "commands": p.commands} for p in self.places],
            "notes": self.notes,
        }


def serial_resource(url: str, baud: int | None = None) -> tuple[dict[str, Any], str]:
    """The exporter entry for a console/modem port and the class clients see (NetworkSerialPort)."""
    if "://" not in url:
        entry: dict[str, Any] = {"cls": "RawSerialPort", "port": url}
        if baud:
            entry["speed"] = baud
        return entry, "NetworkSerialPort"
    parts = urlsplit(url)
    if parts.scheme in ("socket", "rfc2217") and parts.hostname and parts.port:
        protocol = "raw" if parts.scheme == "socket" else "rfc2217"
        return (
            {"cls": "NetworkSerialPort", "host": parts.hostname, "port": parts.port, "protocol": protocol},
            "NetworkSerialPort",
        )
    raise ValueError(f"{url}: only device paths, socket:// and rfc2217:// URLs can be exported")


def export_rigs(
    rigs: Iterable[RigSpec], *, exporter: str, coordinator: str | None = None, client: str = "labgrid-client"
) -> LabgridExport:
    result = LabgridExport(exporter, coordinator or DEFAULT_COORDINATOR)
    for rig in rigs:
        if rig.backend == "virtual":
            result.notes.append(f"{rig.name}: a virtual rig has nothing to export, skipped")
            continue
        group: dict[str, Any] = {}
        matches: list[list[str]] = []
        for role, url in (("console", rig.console), ("modem", rig.modem_port)):
            if url is None:
                continue
            try:
                entry, cls = serial_resource(url)
            except ValueError as exc:
                result.notes.append(f"{rig.name}: {role}: {exc}")
                continue
            group[role] = entry
            matches.append(["add-named-match", f"{exporter}/{rig.name}/{cls}/{role}", role])
        if rig.power is not None:
            model = POWER_MODELS.get(rig.power.kind)
            if model is None:
                result.notes.append(
                    f"{rig.name}: power kind {rig.power.kind} has no labgrid NetworkPowerPort model "
                    "(labgrid's TasmotaPowerPort speaks MQTT); power left out"
                )
            else:
                index = rig.power.index if rig.power.index is not None else 0
                group["NetworkPowerPort"] = {"model": model, "host": rig.power.url, "index": index}
                matches.append(["add-match", f"{exporter}/{rig.name}/NetworkPowerPort"])
        if rig.probe is not None:
            group["USBDebugger"] = {"match": {"ID_SERIAL_SHORT": rig.probe}}
            matches.append(["add-match", f"{exporter}/{rig.name}/NetworkUSBDebugger"])
        if not group:
            result.notes.append(f"{rig.name}: no console, modem_port, power or probe to export, skipped")
            continue
        result.groups[rig.name] = group
        place = rig.place or rig.name
        tags = dict(rig.tags)
        for key in tags:
            if not LABGRID_TAG_KEY.fullmatch(key):
                result.notes.append(
                    f"{rig.name}: tag {key!r}: labgrid tag names are [a-z][a-z0-9_]+; "
                    "rename it to reserve by it"
                )
        base = [client, "-x", result.coordinator, "-p", place]
        commands = [[*base, "create"]]
        if tags:
            commands.append([*base, "set-tags", *(f"{k}={v}" for k, v in tags.items())])
        commands += [[*base, *match] for match in matches]
        result.places.append(PlaceSetup(place, tags, commands))
    return result


def exporter_yaml_with_places(export: LabgridExport) -> str:
    """The exporter YAML, then the place commands as comments (one file to read, valid YAML)."""
    lines = [export.exporter_yaml().rstrip("\n"), ""]
    lines.append(f"# places on coordinator {export.coordinator} (run once, e.g. from the exporter host):")
    for place in export.places:
        lines += [f"#   {shlex.join(command)}" for command in place.commands]
    for note in export.notes:
        lines.append(f"# note: {note}")
    return "\n".join(lines) + "\n"
