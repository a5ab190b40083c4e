"""TP-ST, the status in an SMS-STATUS-REPORT (23.040 §9.2.3.15), and what it means for the sender."""

from __future__ import annotations

from enum import StrEnum


class StatusCategory(StrEnum):
    DELIVERED = "delivered"  # 0x00-0x1F: short message transaction completed
    TEMPORARY = "temporary"  # 0x20-0x3F: temporary error, the SC is still trying
    PERMANENT = "permanent"  # 0x40-0x5F: permanent error, the SC is not making more attempts
    TEMPORARY_FINAL = "temporary-final"  # 0x60-0x7F: temporary error, but the SC has given up

    @property
    def is_final(self) -> bool:
        """True when no further report will follow for this message."""
        return self != StatusCategory.TEMPORARY

    @property
    def is_failure(self) -> bool:
        return self in (StatusCategory.PERMANENT, StatusCategory.TEMPORARY_FINAL)


STATUS_DESCRIPTIONS: dict[int, str] = {
    0x00: "short message received by the SME",
    0x01: "forwarded to the SME, delivery not confirmed",
    0x02: "replaced by the SC",
    0x20: "congestion (still trying)",
    0x21: "SME busy (still trying)",
    0x22: "no response from SME (still trying)",
    0x23: "service rejected (still trying)",
    0x24: "quality of service not available (still trying)",
    0x25: "error in SME (still trying)",
    0x40: "remote procedure error",
    0x41: "incompatible destination",
    0x42: "connection rejected by SME",
    0x43: "not obtainable",
    0x44: "quality of service not available",
    0x45: "no interworking available",
    0x46: "SM validity period expired",
    0x47: "SM deleted by originating SME",
    0x48: "SM deleted by SC administration",
    0x49: "SM does not exist",
    0x60: "congestion (gave up)",
    0x61: "SME busy (gave up)",
    0x62: "no response from SME (gave up)",
    0x63: "service rejected (gave up)",
    0x64: "quality of service not available (gave up)",
    0x65: "error in SME (gave up)",
}

# Values with bit 7 set are reserved and carry no defined meaning; reading them as 0x63 "service
# rejected" makes them a final failure, so a sender never waits for a report that will not come.
_RESERVED_AS = 0x63


def status_category(status: int) -> StatusCategory:
    effective = _RESERVED_AS if status >= 0x80 else status
    return (
        StatusCategory.DELIVERED,
        StatusCategory.TEMPORARY,
        StatusCategory.PERMANENT,
        StatusCategory.TEMPORARY_FINAL,
    )[effective >> 5]


def status_description(status: int) -> str:
    known = STATUS_DESCRIPTIONS.get(status)
    if known is not None:
        return known
    kind = status_category(status)
    if status >= 0x80:
        return f"reserved value 0x{status:02X} (treated as service rejected)"
    return f"SC-specific or reserved value 0x{status:02X} ({kind.value})"
