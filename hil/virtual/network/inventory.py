"""The SIM inventory of one emulated 1NCE organisation, loaded from YAML or CSV.

YAML::

    organisation: {id: "1234567", name: "Demo org", ip_range: "10.201.7.0/24"}
    api_users: [{client_id: "1234567_api", client_secret: "..."}]   # optional; generated when absent
    os_agreements_accepted: true                                    # optional, default true
    sims:
      - iccid: "8988280666000000011"      # 19 digits, no Luhn digit
        imsi: "901405100000011"           # 15 digits, 90140...
        msisdn: "882285100000011"
        ip_address: "10.201.7.11"         # optional: next free address of ip_range
        status: Enabled                   # Enabled | Disabled
        imei: "350000000000011"           # optional
        imei_lock: false
        label: "bench 1"
        data_quota_mb: 500                # optional, default 500
        sms_quota: 250                    # optional, default 250

CSV: a header line naming the same SIM columns (iccid and imsi required); the organisation is then
the default one (``DEFAULT_ORGANISATION``) unless passed in. Every problem is reported with the file,
the row and the field, and nothing of a bad file is loaded.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import itertools
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_DATA_QUOTA_MB = 500.0
DEFAULT_SMS_QUOTA = 250


class InventoryError(ValueError):
    """A SIM inventory file that cannot be used; the message names the file, row and field."""


class Organisation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default="1000001", pattern=r"^[0-9]{1,12}$")
    name: str = Field(default="Virtual lab organisation", min_length=1)
    ip_range: str = "10.201.7.0/24"

    @field_validator("ip_range")
    @classmethod
    def _ten_slash_eight(cls, value: str) -> str:
        network = ipaddress.IPv4Network(value, strict=True)
        if not network.subnet_of(ipaddress.IPv4Network("10.0.0.0/8")):
            raise ValueError("must lie in 10.0.0.0/8 (the virtual lab maps 10.a.b.c to 127.a.b.c)")
        return str(network)

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.ip_range)


class ApiUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=8, repr=False)


class SimSpec(BaseModel):
    """One SIM as the inventory declares it."""

    model_config = ConfigDict(extra="forbid")

    iccid: str = Field(pattern=r"^[0-9]{19}$")
    imsi: str = Field(pattern=r"^90140[0-9]{10}$")
    msisdn: str = Field(default="", pattern=r"^[0-9]{0,15}$")
    ip_address: str | None = None
    status: Literal["Enabled", "Disabled"] = "Enabled"
    imei: str = Field(default="", pattern=r"^[0-9]{0,16}$")
    imei_lock: bool = False
    label: str = ""
    data_quota_mb: float = Field(default=DEFAULT_DATA_QUOTA_MB, ge=0)
    sms_quota: int = Field(default=DEFAULT_SMS_QUOTA, ge=0)

    @field_validator("ip_address")
    @classmethod
    def _ipv4(cls, value: str | None) -> str | None:
        return None if value is None else str(ipaddress.IPv4Address(value))


@dataclass
class Inventory:
    """An organisation, its API users and its SIMs (every SIM has an IP address)."""

    organisation: Organisation
    api_users: list[ApiUser]
    sims: list[SimSpec]
    os_agreements_accepted: bool = True
    credentials_generated: bool = field(default=False)


def generated_api_user(organisation: Organisation) -> ApiUser:
    return ApiUser(client_id=f"{organisation.id}_api_user", client_secret=secrets.token_urlsafe(18))


_lab_counter = itertools.count()


def lab_organisation() -> Organisation:
    """The demo organisation on a /24 of 10.202.0.0/16 of its own per process and lab: labs side by
    side (pytest-xdist workers, two `hil run`s, a FirmwareLab next to a VirtualLab) never give two
    simulated modems the same SIM address, so their loopback sockets (127.a.b.c, e.g. a downlink
    port) never collide."""
    index = (os.getpid() * 7 + next(_lab_counter)) % 250 + 1
    return Organisation(ip_range=f"10.202.{index}.0/24")


def demo_inventory(count: int = 4, organisation: Organisation | None = None) -> Inventory:
    """A demo organisation with `count` enabled SIMs and fresh API-user credentials."""
    org = organisation or Organisation()
    hosts = list(org.network.hosts())
    if count > len(hosts):
        raise InventoryError(f"{org.ip_range} has room for {len(hosts)} SIMs, asked for {count}")
    sims = [
        SimSpec(
            iccid=f"89882806660{index:08d}",
            imsi=f"9014051{index:08d}",
            msisdn=f"8822851{index:08d}",
            ip_address=str(hosts[index - 1]),
            label=f"demo-{index}",
        )
        for index in range(1, count + 1)
    ]
    return Inventory(org, [generated_api_user(org)], sims, credentials_generated=True)


def load_inventory(path: Path, organisation: Organisation | None = None) -> Inventory:
    """Read a .yaml/.yml or .csv inventory; raise InventoryError naming what is wrong."""
    suffix = path.suffix.lower()
    if suffix not in {".yaml", ".yml", ".csv"}:
        raise InventoryError(f"{path}: unknown inventory format {suffix!r}; use .yaml, .yml or .csv")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InventoryError(f"{path}: cannot read the SIM inventory: {exc.strerror}") from exc
    if suffix in {".yaml", ".yml"}:
        return parse_yaml_inventory(text, source=str(path))
    if suffix == ".csv":
        return parse_csv_inventory(text, source=str(path), organisation=organisation)
    raise InventoryError(f"{path}: unknown inventory format {suffix!r}; use .yaml, .yml or .csv")


def parse_yaml_inventory(text: str, *, source: str = "<yaml>") -> Inventory:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InventoryError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise InventoryError(f"{source}: expected a mapping with 'sims' at the top level")
    unknown = set(document) - {"organisation", "api_users", "sims", "os_agreements_accepted"}
    if unknown:
        raise InventoryError(f"{source}: unknown top-level key(s) {sorted(unknown)}")
    try:
        org = Organisation.model_validate(document.get("organisation") or {})
        users = [ApiUser.model_validate(user) for user in document.get("api_users") or []]
    except ValidationError as exc:
        raise InventoryError(f"{source}: {_first_error(exc)}") from exc
    rows = document.get("sims")
    if not isinstance(rows, list) or not rows:
        raise InventoryError(f"{source}: 'sims' must be a non-empty list")
    sims = _validate_rows(rows, source, first_row=1, row_word="sims[{}]", zero_based=True)
    accepted = document.get("os_agreements_accepted", True)
    if not isinstance(accepted, bool):
        raise InventoryError(f"{source}: os_agreements_accepted must be true or false")
    return _finish(org, users, sims, source, accepted)


def parse_csv_inventory(
    text: str, *, source: str = "<csv>", organisation: Organisation | None = None
) -> Inventory:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "iccid" not in reader.fieldnames or "imsi" not in reader.fieldnames:
        raise InventoryError(f"{source}: the header line must name at least the columns iccid and imsi")
    unknown = set(reader.fieldnames) - set(SimSpec.model_fields)
    if unknown:
        raise InventoryError(f"{source}: unknown column(s) {sorted(unknown)}")
    rows: list[dict[str, Any]] = []
    for raw in reader:
        row: dict[str, Any] = {key: value.strip() for key, value in raw.items() if value and value.strip()}
        if "imei_lock" in row:
            row["imei_lock"] = row["imei_lock"].lower() in {"1", "true", "yes"}
        rows.append(row)
    if not rows:
        raise InventoryError(f"{source}: no SIM rows after the header")
    sims = _validate_rows(rows, source, first_row=2, row_word="line {}", zero_based=False)
    return _finish(organisation or Organisation(), [], sims, source, True)


def _validate_rows(
    rows: Iterable[Any], source: str, *, first_row: int, row_word: str, zero_based: bool
) -> list[SimSpec]:
    sims = []
    for offset, row in enumerate(rows):
        where = row_word.format(offset if zero_based else offset + first_row)
        try:
            sims.append(SimSpec.model_validate(row))
        except ValidationError as exc:
            raise InventoryError(f"{source}: {where}: {_first_error(exc)}") from exc
    return sims


def _finish(
    org: Organisation, users: list[ApiUser], sims: list[SimSpec], source: str, accepted: bool
) -> Inventory:
    seen: dict[str, set[str]] = {"iccid": set(), "imsi": set(), "msisdn": set(), "ip_address": set()}
    for sim in sims:
        for key, values in seen.items():
            value = getattr(sim, key)
            if not value:
                continue
            if value in values:
                raise InventoryError(f"{source}: duplicate {key} {value}")
            values.add(value)
    free = (str(host) for host in org.network.hosts() if str(host) not in seen["ip_address"])
    assigned = []
    for declared in sims:
        sim = declared
        if sim.ip_address is None:
            address = next(free, None)
            if address is None:
                raise InventoryError(f"{source}: {org.ip_range} has no free address left for {sim.iccid}")
            sim = sim.model_copy(update={"ip_address": address})
        elif ipaddress.IPv4Address(sim.ip_address) not in org.network:
            raise InventoryError(
                f"{source}: SIM {sim.iccid}: ip_address {sim.ip_address} is outside the "
                f"organisation's range {org.ip_range}"
            )
        assigned.append(sim)
    generated = not users
    return Inventory(org, users or [generated_api_user(org)], assigned, accepted, generated)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    location = ".".join(str(part) for part in error["loc"]) or "value"
    return f"{location}: {error['msg']} (got {error.get('input')!r})"
