"""The firmware config block (firmware/common/include/nce_config.h), encoded and decoded.

256 little-endian bytes at a board's fixed flash address: magic "NCEC", version, size, the
settings, a CRC-32 over everything before it. `hil image stamp` writes one into an image; the
firmware reads it at boot and falls back to its compiled-in defaults when it is absent or corrupt.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import asdict, dataclass, fields
from typing import Any

MAGIC = b"NCEC"
VERSION = 1
BLOCK_SIZE = 256
FLAG_UDP = 0x01
FLAG_COAP = 0x02
FLAG_BOOTSTRAP = 0x04

# (field, struct code) in block order after the 8-byte header; text fields are NUL-padded.
_LAYOUT: tuple[tuple[str, str], ...] = (
    ("apn", "32s"),
    ("udp_host", "48s"),
    ("udp_port", "H"),
    ("coap_port", "H"),
    ("coap_host", "48s"),
    ("uplink_period_s", "I"),
    ("expected_iccid", "24s"),
    ("log_level", "B"),
    ("flags", "B"),
    ("run_for_s", "H"),
    ("template_name", "32s"),
    ("coap_topic", "16s"),
)
_HEADER = struct.Struct("<4sHH")
_BODY = struct.Struct("<" + "".join(code for _, code in _LAYOUT))
_RESERVED = BLOCK_SIZE - 4 - _HEADER.size - _BODY.size
assert _RESERVED == 32, _RESERVED  # the layout in nce_config.h
LOG_LEVELS = ("error", "warn", "info", "debug")


class ConfigBlockError(ValueError):
    """A config block (or the settings for one) that cannot be used; the message says why."""


@dataclass
class FirmwareConfig:
    apn: str = "iot.1nce.net"
    udp_host: str = "udp.os.1nce.com"
    udp_port: int = 4445
    coap_port: int = 5683
    coap_host: str = "coap.os.1nce.com"
    uplink_period_s: int = 60
    expected_iccid: str = ""
    log_level: int = 2
    flags: int = FLAG_UDP | FLAG_COAP | FLAG_BOOTSTRAP
    run_for_s: int = 0
    template_name: str = "nce_sensor"
    coap_topic: str = "nce"

    def validate(self) -> None:
        for name, code in _LAYOUT:
            value = getattr(self, name)
            if code.endswith("s"):
                size = int(code[:-1])
                if not isinstance(value, str):
                    raise ConfigBlockError(f"{name}: expected text, got {type(value).__name__}")
                raw = value.encode("utf-8")
                if len(raw) >= size:
                    raise ConfigBlockError(f"{name}: at most {size - 1} bytes, got {len(raw)} ({value!r})")
            else:
                limit = {"H": 0xFFFF, "I": 0xFFFFFFFF, "B": 0xFF}[code]
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= limit:
                    raise ConfigBlockError(f"{name}: expected an integer 0..{limit}, got {value!r}")
        if not 1 <= self.uplink_period_s <= 86400:
            raise ConfigBlockError(f"uplink_period_s: expected 1..86400, got {self.uplink_period_s}")
        if self.log_level >= len(LOG_LEVELS):
            names = ", ".join(LOG_LEVELS)
            raise ConfigBlockError(f"log_level: expected 0..3 ({names}), got {self.log_level}")
        iccid = self.expected_iccid
        if iccid and not (iccid.isdigit() and len(iccid) in (19, 20)):
            raise ConfigBlockError(f"expected_iccid: expected 19 or 20 digits, got {self.expected_iccid!r}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_mapping(cls, data: dict[str, Any], *, where: str = "config") -> FirmwareConfig:
        """Settings from a YAML/JSON mapping; unknown keys and bad values name `where` and the key."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigBlockError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
        values = dict(data)
        if isinstance(values.get("log_level"), str):
            level = values["log_level"]
            if level not in LOG_LEVELS:
                names = ", ".join(LOG_LEVELS)
                raise ConfigBlockError(f"{where}: log_level: expected one of {names}, got {level!r}")
            values["log_level"] = LOG_LEVELS.index(level)
        config = cls(**values)
        try:
            config.validate()
        except ConfigBlockError as exc:
            raise ConfigBlockError(f"{where}: {exc}") from None
        return config


def encode(config: FirmwareConfig) -> bytes:
    """The 256-byte block for `config` (validated first)."""
    config.validate()
    values = [
        getattr(config, name).encode("utf-8") if code.endswith("s") else getattr(config, name)
        for name, code in _LAYOUT
    ]
    body = _HEADER.pack(MAGIC, VERSION, BLOCK_SIZE) + _BODY.pack(*values) + bytes(_RESERVED)
    return body + struct.pack("<I", zlib.crc32(body))


def is_erased(block: bytes) -> bool:
    """True for erased flash (all 0xFF) or an all-zero reservation: no block was stamped."""
    return block in (b"\xff" * len(block), bytes(len(block)))


def decode(block: bytes) -> FirmwareConfig:
    """The settings in a stamped block; ConfigBlockError saying what is wrong otherwise."""
    if len(block) != BLOCK_SIZE:
        raise ConfigBlockError(f"config block: expected {BLOCK_SIZE} bytes, got {len(block)}")
    if is_erased(block):
        raise ConfigBlockError("config block: absent (erased)")
    magic, version, size = _HEADER.unpack_from(block)
    if magic != MAGIC:
        raise ConfigBlockError(f"config block: bad magic {magic!r} (expected {MAGIC!r})")
    if version != VERSION:
        raise ConfigBlockError(f"config block: version {version} (this tool knows {VERSION})")
    if size != BLOCK_SIZE:
        raise ConfigBlockError(f"config block: size field {size} (expected {BLOCK_SIZE})")
    (stored_crc,) = struct.unpack_from("<I", block, BLOCK_SIZE - 4)
    actual_crc = zlib.crc32(block[: BLOCK_SIZE - 4])
    if stored_crc != actual_crc:
        raise ConfigBlockError(
            f"config block: CRC {stored_crc:#010x} does not match the contents ({actual_crc:#010x})"
        )
    raw = _BODY.unpack_from(block, _HEADER.size)
    values: dict[str, Any] = {}
    for (name, code), value in zip(_LAYOUT, raw, strict=True):
        if code.endswith("s"):
            if b"\0" not in value:
                raise ConfigBlockError(f"config block: {name} is not NUL-terminated")
            try:
                values[name] = value.split(b"\0", 1)[0].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ConfigBlockError(f"config block: {name} is not UTF-8 ({exc})") from None
        else:
            values[name] = value
    return FirmwareConfig(**values)
