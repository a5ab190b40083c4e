"""Restricted SIM access, AT+CRSM (3GPP TS 27.007 §8.18): command lines, responses, status words.

`AT+CRSM=<command>,<fileid>,<P1>,<P2>,<P3>[,<data>]` answers `+CRSM: <sw1>,<sw2>[,<response>]`.
File ids go as decimal integers; for READ/UPDATE BINARY, P1/P2 are the offset and P3 the length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from .errors import CrsmStatusError, SimDataError
from .plmn import PLMN_LENGTH


class ElementaryFile(IntEnum):
    ICCID = 0x2FE2  # 12258, under the MF (ETSI TS 102 221)
    IMSI = 0x6F07  # 28423
    AD = 0x6FAD  # 28589, administrative data: MNC length
    FPLMN = 0x6F7B  # 28539, forbidden PLMNs
    LOCI = 0x6F7E  # 28542, CS location information
    EPSLOCI = 0x6FE3  # 28643, EPS location information


EF_ICCID = ElementaryFile.ICCID
EF_IMSI = ElementaryFile.IMSI
EF_AD = ElementaryFile.AD
EF_FPLMN = ElementaryFile.FPLMN
EF_LOCI = ElementaryFile.LOCI
EF_EPSLOCI = ElementaryFile.EPSLOCI


class CrsmCommand(IntEnum):
    READ_BINARY = 176
    READ_RECORD = 178
    GET_RESPONSE = 192
    UPDATE_BINARY = 214
    UPDATE_RECORD = 220
    STATUS = 242


MAX_TRANSFER = 255  # P3 is one octet
MAX_OFFSET = 0x7FFF  # P1 bit 8 set would mean SFI addressing

_RESPONSE = re.compile(r'^\s*\+CRSM:\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*"?([0-9A-Fa-f]*)"?\s*)?$')


def crsm_read_command(ef: int, length: int, *, offset: int = 0) -> str:
    """READ BINARY: `AT+CRSM=176,<fileid>,<offset hi>,<offset lo>,<length>`."""
    _check_transfer(length)
    p1, p2 = _offset(offset)
    return f"AT+CRSM={CrsmCommand.READ_BINARY},{int(ef)},{p1},{p2},{length}"


def crsm_update_command(ef: int, data: bytes, *, offset: int = 0) -> str:
    """UPDATE BINARY: `AT+CRSM=214,<fileid>,<offset hi>,<offset lo>,<len>,"<HEX>"`."""
    _check_transfer(len(data))
    p1, p2 = _offset(offset)
    return f'AT+CRSM={CrsmCommand.UPDATE_BINARY},{int(ef)},{p1},{p2},{len(data)},"{data.hex().upper()}"'


def clear_fplmn_command(entries: int = 4) -> str:
    """Empty the forbidden-PLMN list (useful after registration-denied tests)."""
    if entries < 1:
        raise SimDataError("FPLMN entry count", expected=">= 1", got=str(entries))
    return crsm_update_command(EF_FPLMN, b"\xff" * (PLMN_LENGTH * entries))


_STATUS_WORDS: dict[tuple[int, int], str] = {
    (0x90, 0x00): "normal ending",
    (0x92, 0x40): "memory problem",
    (0x93, 0x00): "SIM toolkit busy",
    (0x94, 0x00): "no EF selected",
    (0x94, 0x02): "out of range (invalid address)",
    (0x94, 0x04): "file not found",
    (0x94, 0x08): "file inconsistent with command",
    (0x98, 0x02): "no CHV initialised",
    (0x98, 0x04): "access condition not fulfilled",
    (0x98, 0x08): "in contradiction with CHV status",
    (0x98, 0x10): "in contradiction with invalidation status",
    (0x98, 0x40): "CHV blocked",
    (0x62, 0x00): "warning: no information given, memory unchanged",
    (0x62, 0x81): "warning: part of returned data may be corrupted",
    (0x62, 0x82): "warning: end of file reached before reading all bytes",
    (0x62, 0x83): "warning: selected file invalidated",
    (0x64, 0x00): "execution error, memory unchanged",
    (0x65, 0x81): "memory problem",
    (0x67, 0x00): "wrong length",
    (0x69, 0x81): "command incompatible with file structure",
    (0x69, 0x82): "security status not satisfied",
    (0x69, 0x83): "authentication/PIN method blocked",
    (0x69, 0x84): "referenced data invalidated",
    (0x69, 0x85): "conditions of use not satisfied",
    (0x69, 0x86): "command not allowed (no EF selected)",
    (0x6A, 0x80): "incorrect parameters in the data field",
    (0x6A, 0x81): "function not supported",
    (0x6A, 0x82): "file not found",
    (0x6A, 0x83): "record not found",
    (0x6A, 0x84): "not enough memory space",
    (0x6A, 0x86): "incorrect parameters P1 to P2",
    (0x6A, 0x87): "Lc inconsistent with P1 to P2",
    (0x6A, 0x88): "referenced data not found",
    (0x6B, 0x00): "wrong parameters P1-P2 (offset outside the EF)",
    (0x6D, 0x00): "instruction code not supported",
    (0x6E, 0x00): "class not supported",
    (0x6F, 0x00): "technical problem, no precise diagnosis",
}


def status_meaning(sw1: int, sw2: int) -> str:
    """ISO 7816-4 / ETSI TS 102 221 (and GSM 11.11) meaning of a status word."""
    known = _STATUS_WORDS.get((sw1, sw2))
    if known is not None:
        return known
    if sw1 == 0x91:
        return f"normal ending, {sw2} byte(s) of proactive command pending"
    if sw1 == 0x92 and sw2 < 0x10:
        return f"normal ending after {sw2} internal retries"
    if sw1 == 0x9F:
        return f"normal ending, {sw2} byte(s) of response data available"
    if sw1 == 0x61:
        return f"normal ending, {sw2} response byte(s) still available"
    if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
        return f"verification failed, {sw2 & 0x0F} retries left"
    if sw1 == 0x6C:
        return f"wrong length: the right length is {sw2}"
    if sw1 == 0x67:
        return "wrong length"
    return f"unknown status word {sw1:02X}{sw2:02X}"


def status_ok(sw1: int, sw2: int) -> bool:
    """Success: 90 00, and the 91/9F/61 'success, more to fetch' forms; 92 0X success after retries."""
    return sw1 in (0x90, 0x91, 0x9F, 0x61) or (sw1 == 0x92 and sw2 < 0x10)


@dataclass(frozen=True)
class CrsmResult:
    sw1: int
    sw2: int
    data: bytes = b""

    @property
    def ok(self) -> bool:
        return status_ok(self.sw1, self.sw2)

    @property
    def meaning(self) -> str:
        return status_meaning(self.sw1, self.sw2)

    def raise_for_status(self, command: str | None = None) -> CrsmResult:
        if not self.ok:
            raise CrsmStatusError(self.sw1, self.sw2, self.meaning, command)
        return self

    def to_line(self) -> str:
        """The response line a modem prints (what a simulated modem sends)."""
        if not self.data:
            return f"+CRSM: {self.sw1},{self.sw2}"
        return f'+CRSM: {self.sw1},{self.sw2},"{self.data.hex().upper()}"'


def parse_crsm_response(line: str) -> CrsmResult:
    """`+CRSM: 144,0,"98..."`, with or without quotes, with or without data."""
    match = _RESPONSE.match(line)
    if match is None:
        raise SimDataError(
            "not a +CRSM response", expected='+CRSM: <sw1>,<sw2>[,"<hex>"]', got=repr(line), where="+CRSM"
        )
    sw1, sw2, payload = int(match[1]), int(match[2]), match[3] or ""
    if sw1 > 0xFF or sw2 > 0xFF:
        raise SimDataError(
            "status word out of range", expected="0..255", got=f"{sw1},{sw2}", where=repr(line)
        )
    if len(payload) % 2:
        raise SimDataError(
            "+CRSM response data has an odd number of hex digits",
            expected="whole octets",
            got=f"{len(payload)} digits",
            where=repr(line),
        )
    return CrsmResult(sw1, sw2, bytes.fromhex(payload))


def _check_transfer(length: int) -> None:
    if not 1 <= length <= MAX_TRANSFER:
        raise SimDataError("+CRSM transfer length", expected=f"1..{MAX_TRANSFER} octets", got=str(length))


def _offset(offset: int) -> tuple[int, int]:
    if not 0 <= offset <= MAX_OFFSET:
        raise SimDataError("+CRSM offset", expected=f"0..{MAX_OFFSET}", got=str(offset))
    return offset >> 8, offset & 0xFF
