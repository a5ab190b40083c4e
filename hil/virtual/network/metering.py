"""How 1NCE counts traffic and quota: bytes inside the GTP tunnel, both directions, IP + transport
headers included (reference §7: a UDP exchange of 100 B up and 50 B down costs about 206 B).

Volumes are kept in bytes and shown in MB with 1 MB = 1,000,000 bytes (the API shows MB strings
with six decimals, i.e. byte resolution).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from hil.virtual.netlink import IPV4_UDP_OVERHEAD

BYTES_PER_MB = 1_000_000
THRESHOLD_FRACTION = 0.20  # the "less than 20 % left" notification of the SIM API
IPV4_TCP_OVERHEAD = 20 + 20


class QuotaLevel(IntEnum):
    """quota_status.id of the SIM API."""

    ABOVE_THRESHOLD = 0
    BELOW_THRESHOLD = 1
    EXHAUSTED = 2


QUOTA_DESCRIPTIONS = {
    QuotaLevel.ABOVE_THRESHOLD: "More than 20% of the quota available",
    QuotaLevel.BELOW_THRESHOLD: "Less than 20% of the quota available",
    QuotaLevel.EXHAUSTED: "No quota available",
}


def udp_datagram_volume(payload_bytes: int) -> int:
    """Bytes one UDP datagram costs on the quota."""
    return payload_bytes + IPV4_UDP_OVERHEAD


def mb_string(byte_count: int) -> str:
    return f"{byte_count / BYTES_PER_MB:.6f}"


def mb(byte_count: int) -> float:
    return round(byte_count / BYTES_PER_MB, 6)


@dataclass(frozen=True)
class QuotaState:
    total: float
    used: float

    @property
    def remaining(self) -> float:
        return max(self.total - self.used, 0.0)

    @property
    def level(self) -> QuotaLevel:
        if self.remaining <= 0:
            return QuotaLevel.EXHAUSTED
        if self.remaining < self.total * THRESHOLD_FRACTION:
            return QuotaLevel.BELOW_THRESHOLD
        return QuotaLevel.ABOVE_THRESHOLD


def data_quota(total_mb: float, used_bytes: int) -> QuotaState:
    return QuotaState(total=total_mb * BYTES_PER_MB, used=float(used_bytes))


def sms_quota(total: int, used: int) -> QuotaState:
    return QuotaState(total=float(total), used=float(used))
