"""The scenario file (YAML): SIM identity, network behaviour, modem options and faults.

Every duration is in *modem seconds*: the simulator multiplies it by ``time_scale`` (tests run with
0.01, so a 3 s registration takes 30 ms). A bad file is rejected with the key path of the problem,
e.g. ``faults[1].delay_s: Input should be a valid number``.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from at_commands.dialects.profiles import Rat
from at_commands.sim import luhn_check_digit


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the file and the key path."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _digits(value: str, name: str, lengths: range) -> str:
    if not value.isdigit() or len(value) not in lengths:
        raise ValueError(f"{name} must be {lengths.start}-{lengths.stop - 1} digits, got {value!r}")
    return value


class SimConfig(_Strict):
    present: bool = True
    iccid: str = "8988228066602759504" + luhn_check_digit("8988228066602759504")
    imsi: str = "901405100000001"
    msisdn: str = "882285100000001"
    imei: str = "35265610088518" + luhn_check_digit("35265610088518")
    pin: str = "1234"  # the SIM's PIN; asked for only when pin_required
    puk: str = "12345678"
    pin_required: bool = False  # 1NCE SIMs ship with the PIN disabled
    smsc: str = "+882285000000000"

    @field_validator("iccid")
    @classmethod
    def _iccid(cls, value: str) -> str:
        body = value.upper().rstrip("F")
        _digits(body, "iccid", range(18, 21))
        if not body.startswith("89"):
            raise ValueError(f"iccid must start with 89 (telecom), got {value!r}")
        return body

    @field_validator("imsi")
    @classmethod
    def _imsi(cls, value: str) -> str:
        return _digits(value, "imsi", range(6, 16))

    @field_validator("imei")
    @classmethod
    def _imei(cls, value: str) -> str:
        return _digits(value, "imei", range(15, 16))

    @field_validator("pin")
    @classmethod
    def _pin(cls, value: str) -> str:
        return _digits(value, "pin", range(4, 9))

    @field_validator("puk")
    @classmethod
    def _puk(cls, value: str) -> str:
        return _digits(value, "puk", range(8, 9))


class SignalConfig(_Strict):
    rssi_dbm: int = Field(default=-71, ge=-113, le=-51)
    rsrp_dbm: int = Field(default=-95, ge=-140, le=-44)
    rsrq_db: float = Field(default=-10.0, ge=-20.0, le=-3.0)
    sinr_db: float = Field(default=12.0, ge=-20.0, le=30.0)
    ber: int = Field(default=99, ge=0, le=99)


class NetworkConfig(_Strict):
    rats: list[Rat] = Field(default_factory=lambda: [Rat.LTE_M, Rat.NB_IOT, Rat.GSM])  # what the cell offers
    plmn: str = "90140"
    operator: str = "1NCE"
    operator_short: str = "1NCE"
    stat: Literal[1, 5] = 5  # 1NCE SIMs always roam
    tac: str = "1A2B"
    ci: str = "01A2B3C4"
    band: int = 20
    earfcn: int = 6300
    pci: int = 321
    registration_delay_s: float = Field(default=3.0, ge=0)
    pdp_delay_s: float = Field(default=0.3, ge=0)
    cops_scan_s: float = Field(default=20.0, ge=0)
    sms_delay_s: float = Field(default=0.5, ge=0)
    ip: str = "10.64.0.2"
    dns: list[str] = Field(default_factory=lambda: ["8.8.8.8", "8.8.4.4"])
    apn: str | None = "iot.1nce.net"  # None: the standalone network accepts any APN
    hosts: dict[str, str] = Field(default_factory=dict)  # name or address -> 127.x.y.z
    signal: SignalConfig = Field(default_factory=SignalConfig)
    first_mr: int = Field(default=0, ge=0, le=255)

    @field_validator("plmn")
    @classmethod
    def _plmn(cls, value: str) -> str:
        return _digits(value, "plmn", range(5, 7))

    @field_validator("tac")
    @classmethod
    def _tac(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9A-Fa-f]{4}", value):
            raise ValueError(f"tac must be 4 hex digits, got {value!r}")
        return value.upper()

    @field_validator("ci")
    @classmethod
    def _ci(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9A-Fa-f]{8}", value) or int(value, 16) >= 1 << 28:
            raise ValueError(f"ci must be 8 hex digits below 10000000 (28 bits), got {value!r}")
        return value.upper()

    @field_validator("ip")
    @classmethod
    def _ip(cls, value: str) -> str:
        if ipaddress.IPv4Address(value) not in ipaddress.IPv4Network("10.0.0.0/8"):
            raise ValueError(f"ip must be in 10.0.0.0/8 (it maps to 127.x.y.z on loopback), got {value}")
        return value

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, value: dict[str, str]) -> dict[str, str]:
        for name, address in value.items():
            if ipaddress.IPv4Address(address) not in ipaddress.IPv4Network("127.0.0.0/8"):
                raise ValueError(f"hosts[{name}] must be a 127.x.y.z address, got {address}")
        return value


class ModemConfig(_Strict):
    echo: bool = True
    echo_payload: bool = False  # echo the bytes typed after a prompt (most modules do not)
    urc_policy: Literal["inline", "deferred"] = "inline"
    max_line_length: int = Field(default=1024, ge=16, le=65536)
    boot_s: float = Field(default=2.0, ge=0)
    cfun_s: float = Field(default=0.2, ge=0)
    socket_open_s: float = Field(default=0.1, ge=0)
    cnma_timeout_s: float = Field(default=15.0, ge=0)  # nRF: an unacknowledged +CMT counts as undelivered
    psm_idle_s: float = Field(default=10.0, ge=0)  # RRC release after the last activity, before Active-Time
    cmee: int | None = Field(default=None, ge=0, le=2)  # power-on AT+CMEE (None: the vendor default)


class SmsSeed(_Strict):
    sender: str = Field(alias="from")
    text: str | None = None
    pdu: str | None = None  # hex SMS-DELIVER TPDU
    at_s: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _one_body(self) -> SmsSeed:
        if (self.text is None) == (self.pdu is None):
            raise ValueError("give exactly one of text or pdu")
        return self


class _FaultBase(_Strict):
    id: str | None = None
    at_s: float | None = Field(default=None, ge=0)  # fire at this time (after start)
    command: str | None = None  # fire when a command line starts with this (case-insensitive)
    pattern: str | None = None  # ... or matches this regular expression
    times: int | None = Field(default=None, ge=1)  # how often a command-triggered fault fires (None: always)

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern is not a regular expression: {exc}") from None
        return value

    def needs_command(self) -> None:
        if self.command is None and self.pattern is None:
            raise ValueError(f"{self.type_name()} needs command or pattern")

    def type_name(self) -> str:
        return str(getattr(self, "type", "fault"))


class NoSim(_FaultBase):
    type: Literal["no_sim"]


class SimPin(_FaultBase):
    type: Literal["sim_pin"]


class SimPuk(_FaultBase):
    type: Literal["sim_puk"]


class SimBusy(_FaultBase):
    type: Literal["sim_busy"]
    count: int = Field(default=3, ge=1)  # answers of +CME ERROR: 14 before the SIM is ready


class UiccFailure(_FaultBase):
    type: Literal["uicc_failure"]


class RegistrationDenied(_FaultBase):
    type: Literal["registration_denied"]
    reject_cause: int = Field(default=11, ge=0, le=255)  # 24.301 EMM cause


class NoCoverage(_FaultBase):
    type: Literal["no_coverage"]


class PdpReject(_FaultBase):
    type: Literal["pdp_reject"]
    esm_cause: int = Field(default=33, ge=0, le=255)  # 24.301 ESM cause (27 unknown APN, 33 not subscribed)


class Reboot(_FaultBase):
    type: Literal["reboot"]

    @model_validator(mode="after")
    def _trigger(self) -> Reboot:
        if self.at_s is None and self.command is None and self.pattern is None:
            raise ValueError("reboot needs at_s, command or pattern")
        return self


class UrcStorm(_FaultBase):
    type: Literal["urc_storm"]
    urc: str | None = None  # default: the dialect's registration URC
    count: int = Field(default=100, ge=1)
    rate_hz: float = Field(default=200.0, gt=0)


class Garbage(_FaultBase):
    type: Literal["garbage"]
    kind: Literal["random", "non_utf8", "line_noise", "bytes"] = "random"
    length: int = Field(default=32, ge=1, le=65536)
    hex: str | None = None  # the bytes, for kind "bytes"

    @model_validator(mode="after")
    def _check(self) -> Garbage:
        if self.kind == "bytes":
            if self.hex is None:
                raise ValueError("kind 'bytes' needs hex")
            try:
                bytes.fromhex(self.hex)
            except ValueError:
                raise ValueError(f"hex is not hexadecimal: {self.hex!r}") from None
        if self.at_s is None and self.command is None and self.pattern is None:
            raise ValueError("garbage needs at_s (on the line) or command/pattern (inside a response)")
        return self


class Slow(_FaultBase):
    type: Literal["slow"]
    delay_s: float = Field(ge=0)

    @model_validator(mode="after")
    def _check(self) -> Slow:
        self.needs_command()
        return self


class Missing(_FaultBase):
    type: Literal["missing"]

    @model_validator(mode="after")
    def _check(self) -> Missing:
        self.needs_command()
        return self


class Truncated(_FaultBase):
    type: Literal["truncated"]
    keep_bytes: int | None = Field(default=None, ge=0)  # default: half of the answer

    @model_validator(mode="after")
    def _check(self) -> Truncated:
        self.needs_command()
        return self


class UrcInResponse(_FaultBase):
    type: Literal["urc_in_response"]
    urc: str

    @model_validator(mode="after")
    def _check(self) -> UrcInResponse:
        self.needs_command()
        return self


class NetworkDetach(_FaultBase):
    type: Literal["detach"]


class NetworkPdpDeactivate(_FaultBase):
    type: Literal["pdp_deactivate"]


Fault = Annotated[
    NoSim
    | SimPin
    | SimPuk
    | SimBusy
    | UiccFailure
    | RegistrationDenied
    | NoCoverage
    | PdpReject
    | Reboot
    | UrcStorm
    | Garbage
    | Slow
    | Missing
    | Truncated
    | UrcInResponse
    | NetworkDetach
    | NetworkPdpDeactivate,
    Field(discriminator="type"),
]

FAULT_TYPES = [
    "no_sim",
    "sim_pin",
    "sim_puk",
    "sim_busy",
    "uicc_failure",
    "registration_denied",
    "no_coverage",
    "pdp_reject",
    "reboot",
    "urc_storm",
    "garbage",
    "slow",
    "missing",
    "truncated",
    "urc_in_response",
    "detach",
    "pdp_deactivate",
]


class Scenario(_Strict):
    sim: SimConfig = Field(default_factory=SimConfig)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    modem: ModemConfig = Field(default_factory=ModemConfig)
    sms: list[SmsSeed] = Field(default_factory=list)
    faults: list[Fault] = Field(default_factory=list)


class _FaultHolder(_Strict):
    fault: Fault


def _format(exc: ValidationError, root: str) -> str:
    problems = []
    for error in exc.errors():
        path = root
        previous: object = None
        for part in error["loc"]:
            if isinstance(part, int):
                path += f"[{part}]"
            elif not (part in FAULT_TYPES and (isinstance(previous, int) or previous == "fault")):
                path += f".{part}" if path else str(part)  # (the union tag is hidden)
            previous = part
        problems.append(f"{path or '<top>'}: {error['msg']}")
    return "; ".join(problems)


def parse_scenario(data: Any, source: str = "scenario") -> Scenario:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: the top level must be a mapping, got {type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{source}: {_format(exc, '')}") from None


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    return parse_scenario(data, str(path))


def parse_fault(data: Any) -> Any:
    """One fault (control channel / API); errors name ``fault.<key>``."""
    if not isinstance(data, dict):
        raise ScenarioError(f"fault: expected a mapping, got {type(data).__name__}")
    try:
        return _FaultHolder.model_validate({"fault": data}).fault
    except ValidationError as exc:
        raise ScenarioError(_format(exc, "")) from None


def as_scenario(value: Scenario | dict[str, Any] | str | Path | None) -> Scenario:
    if value is None:
        return Scenario()
    if isinstance(value, Scenario):
        return value
    if isinstance(value, dict):
        return parse_scenario(value)
    return load_scenario(value)
