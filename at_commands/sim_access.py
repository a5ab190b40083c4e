"""Reading and resetting SIM files over AT+CRSM (27.007 restricted SIM access), decoded."""

from __future__ import annotations

from dataclasses import dataclass

from at_commands.channel import AtChannel
from at_commands.sim import (
    EF_EPSLOCI,
    EF_FPLMN,
    EF_ICCID,
    EF_IMSI,
    EF_LOCI,
    EpsLoci,
    Loci,
    clear_fplmn_command,
    crsm_read_command,
    decode_ef_epsloci,
    decode_ef_fplmn,
    decode_ef_iccid,
    decode_ef_imsi,
    decode_ef_loci,
    parse_crsm_response,
)

# Sizes of the transparent files we read (TS 31.102 §4.2).
FILE_SIZES: dict[int, int] = {EF_ICCID: 10, EF_IMSI: 9, EF_FPLMN: 12, EF_LOCI: 11, EF_EPSLOCI: 18}


@dataclass(frozen=True)
class SimFiles:
    iccid: str
    imsi: str | None
    forbidden_plmns: list[str]
    loci: Loci
    eps_loci: EpsLoci


def read_file(channel: AtChannel, ef: int) -> bytes:
    """The raw content of one elementary file; CrsmStatusError when the SIM refuses."""
    response = channel.command(crsm_read_command(ef, FILE_SIZES[ef]))
    result = parse_crsm_response("+CRSM: " + response.value("+CRSM:"))
    result.raise_for_status()
    return result.data


def read_sim_files(channel: AtChannel) -> SimFiles:
    return SimFiles(
        iccid=decode_ef_iccid(read_file(channel, EF_ICCID)),
        imsi=decode_ef_imsi(read_file(channel, EF_IMSI)),
        forbidden_plmns=decode_ef_fplmn(read_file(channel, EF_FPLMN)),
        loci=decode_ef_loci(read_file(channel, EF_LOCI)),
        eps_loci=decode_ef_epsloci(read_file(channel, EF_EPSLOCI)),
    )


def clear_forbidden_plmns(channel: AtChannel) -> None:
    """Empty EF_FPLMN (useful after registration-denied tests, as Zephyr's LARA-R6 driver does)."""
    response = channel.command(clear_fplmn_command())
    parse_crsm_response("+CRSM: " + response.value("+CRSM:")).raise_for_status()
