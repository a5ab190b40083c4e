"""Contents of the location files of TS 31.102: EF_FPLMN (§4.2.16), EF_LOCI (§4.2.17), EF_EPSLOCI (§4.2.91).

These are what a device remembers about where it was registered and which networks refused it;
clearing or seeding them is how HIL tests put a SIM into a known state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from .errors import SimDataError, require_size
from .plmn import EMPTY_PLMN, PLMN_LENGTH, decode_plmn, encode_plmn

EF_LOCI_SIZE = 11
EF_EPSLOCI_SIZE = 18
DEFAULT_FPLMN_ENTRIES = 4
NO_TMSI = 0xFFFFFFFF
DELETED_AREA_CODE = 0xFFFE  # LAC/TAC value a UE writes when it deletes the LAI/TAI


class LocationUpdateStatus(IntEnum):
    UPDATED = 0
    NOT_UPDATED = 1
    PLMN_NOT_ALLOWED = 2
    LOCATION_AREA_NOT_ALLOWED = 3
    RESERVED_4 = 4
    RESERVED_5 = 5
    RESERVED_6 = 6
    RESERVED = 7


class EpsUpdateStatus(IntEnum):
    UPDATED = 0
    NOT_UPDATED = 1
    ROAMING_NOT_ALLOWED = 2
    RESERVED_3 = 3
    RESERVED_4 = 4
    RESERVED_5 = 5
    RESERVED_6 = 6
    RESERVED_7 = 7


def decode_ef_fplmn(data: bytes) -> list[str]:
    """The forbidden PLMNs in order, empty (FF FF FF) slots left out."""
    if not data or len(data) % PLMN_LENGTH:
        raise SimDataError(
            "EF_FPLMN size", expected="a multiple of 3 octets", got=f"{len(data)} octets", where="EF_FPLMN"
        )
    slots = (data[i : i + PLMN_LENGTH] for i in range(0, len(data), PLMN_LENGTH))
    return [plmn for plmn in map(decode_plmn, slots) if plmn is not None]


def encode_ef_fplmn(plmns: Sequence[str], entries: int = DEFAULT_FPLMN_ENTRIES) -> bytes:
    if len(plmns) > entries:
        raise SimDataError(
            "too many forbidden PLMNs for the file", expected=f"at most {entries}", got=str(len(plmns))
        )
    return b"".join(encode_plmn(plmn) for plmn in plmns) + EMPTY_PLMN * (entries - len(plmns))


@dataclass(frozen=True)
class Loci:
    """EF_LOCI: TMSI, location area identity, and the CS location update status."""

    tmsi: int = NO_TMSI
    plmn: str | None = None  # from the LAI; None when deleted (FF FF FF)
    lac: int = DELETED_AREA_CODE
    tmsi_time: int = 0xFF  # RFU in 31.102 (GSM "TMSI TIME"), normally FF
    status: LocationUpdateStatus = LocationUpdateStatus.NOT_UPDATED

    def __post_init__(self) -> None:
        _check_range("TMSI", self.tmsi, 0xFFFFFFFF)
        _check_range("LAC", self.lac, 0xFFFF)
        _check_range("TMSI time", self.tmsi_time, 0xFF)

    @property
    def has_tmsi(self) -> bool:
        return self.tmsi != NO_TMSI


def decode_ef_loci(data: bytes) -> Loci:
    require_size(data, EF_LOCI_SIZE, "EF_LOCI")
    return Loci(
        tmsi=int.from_bytes(data[0:4], "big"),
        plmn=decode_plmn(data[4:7]),
        lac=int.from_bytes(data[7:9], "big"),
        tmsi_time=data[9],
        status=LocationUpdateStatus(data[10] & 0x07),  # bits 4-8 are RFU
    )


def encode_ef_loci(loci: Loci) -> bytes:
    return (
        loci.tmsi.to_bytes(4, "big")
        + _plmn_or_empty(loci.plmn)
        + loci.lac.to_bytes(2, "big")
        + bytes([loci.tmsi_time, loci.status])
    )


@dataclass(frozen=True)
class Guti:
    """Globally unique temporary identity: PLMN + MME group id + MME code + M-TMSI (24.301 §9.9.3.12)."""

    plmn: str
    mme_group_id: int
    mme_code: int
    m_tmsi: int

    def __post_init__(self) -> None:
        _check_range("MME group id", self.mme_group_id, 0xFFFF)
        _check_range("MME code", self.mme_code, 0xFF)
        _check_range("M-TMSI", self.m_tmsi, 0xFFFFFFFF)


@dataclass(frozen=True)
class EpsLoci:
    guti: Guti | None = None  # None: no valid GUTI (the field is all FF)
    tai_plmn: str | None = None  # last visited registered TAI
    tac: int = DELETED_AREA_CODE
    status: EpsUpdateStatus = EpsUpdateStatus.NOT_UPDATED

    def __post_init__(self) -> None:
        _check_range("TAC", self.tac, 0xFFFF)


_GUTI_SIZE = 12
_GUTI_LENGTH_OCTET = 11  # octets that follow in the EPS mobile identity
_GUTI_TYPE_OCTET = 0xF6  # spare 1111, even, identity type 110 (GUTI)


def decode_ef_epsloci(data: bytes) -> EpsLoci:
    require_size(data, EF_EPSLOCI_SIZE, "EF_EPSLOCI")
    raw_guti = data[:_GUTI_SIZE]
    return EpsLoci(
        guti=_decode_guti(raw_guti),
        tai_plmn=decode_plmn(data[12:15]),
        tac=int.from_bytes(data[15:17], "big"),
        status=EpsUpdateStatus(data[17] & 0x07),  # bits 4-8 are RFU
    )


def encode_ef_epsloci(loci: EpsLoci) -> bytes:
    if loci.guti is None:
        guti = b"\xff" * _GUTI_SIZE
    else:
        guti = (
            bytes([_GUTI_LENGTH_OCTET, _GUTI_TYPE_OCTET])
            + encode_plmn(loci.guti.plmn)
            + loci.guti.mme_group_id.to_bytes(2, "big")
            + bytes([loci.guti.mme_code])
            + loci.guti.m_tmsi.to_bytes(4, "big")
        )
    return guti + _plmn_or_empty(loci.tai_plmn) + loci.tac.to_bytes(2, "big") + bytes([loci.status])


def _decode_guti(raw: bytes) -> Guti | None:
    if raw == b"\xff" * _GUTI_SIZE:
        return None
    if raw[0] != _GUTI_LENGTH_OCTET or raw[1] & 0x07 != _GUTI_TYPE_OCTET & 0x07:
        raise SimDataError(
            "EF_EPSLOCI does not hold a GUTI",
            expected=f"length {_GUTI_LENGTH_OCTET} and identity type 6 (0B F6 ...)",
            got=raw[:2].hex().upper(),
            where="EF_EPSLOCI",
        )
    plmn = decode_plmn(raw[2:5])
    if plmn is None:
        raise SimDataError("GUTI without a PLMN", expected="MCC/MNC digits", got="FFFFFF", where="EF_EPSLOCI")
    return Guti(
        plmn=plmn,
        mme_group_id=int.from_bytes(raw[5:7], "big"),
        mme_code=raw[7],
        m_tmsi=int.from_bytes(raw[8:12], "big"),
    )


def _plmn_or_empty(plmn: str | None) -> bytes:
    return EMPTY_PLMN if plmn is None else encode_plmn(plmn)


def _check_range(name: str, value: int, maximum: int) -> None:
    if not 0 <= value <= maximum:
        raise SimDataError(f"{name} out of range", expected=f"0..{maximum}", got=str(value))
