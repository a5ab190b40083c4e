"""TP-UDL + TP-UD: the message body, with its optional header, in the alphabet the DCS names.

For GSM 7-bit, UDL counts septets and the header is padded with fill bits to a septet boundary so
the text starts on one; for 8-bit and UCS2, UDL counts octets.
"""

from __future__ import annotations

from .dcs import DataCoding, Encoding
from .errors import PduError
from .gsm7 import decode_gsm7, encode_gsm7, pack_septets, packed_length, unpack_septets
from .octets import OctetReader
from .udh import UserDataHeader, decode_udh

MAX_USER_DATA_OCTETS = 140
MAX_SEPTETS = 160


def header_septets(header_octets: int) -> int:
    """Septets a header of this many octets (UDHL included) occupies, fill bits included."""
    return (header_octets * 8 + 6) // 7


def fill_bits(header_octets: int) -> int:
    return header_septets(header_octets) * 7 - header_octets * 8


def is_septet_coded(dcs: DataCoding) -> bool:
    return dcs.encoding == Encoding.GSM7 and not dcs.compressed


def encode_user_data(content: str | bytes, dcs: DataCoding, udh: UserDataHeader | None) -> bytes:
    """UDL octet followed by the user data."""
    header = udh.encode() if udh is not None else b""
    if is_septet_coded(dcs):
        if not isinstance(content, str):
            raise PduError("GSM 7-bit user data must be text", expected="str", got=type(content).__name__)
        septets = encode_gsm7(content)
        udl = header_septets(len(header)) + len(septets)
        body = header + pack_septets(septets, fill_bits(len(header)))
        if udl > MAX_SEPTETS:
            raise PduError(
                "user data too long for one message",
                expected=f"at most {MAX_SEPTETS} septets",
                got=f"{udl} septets",
            )
    else:
        payload = _octet_payload(content, dcs)
        body = header + payload
        udl = len(body)
    if len(body) > MAX_USER_DATA_OCTETS:
        raise PduError(
            "user data too long for one message",
            expected=f"at most {MAX_USER_DATA_OCTETS} octets",
            got=f"{len(body)} octets",
        )
    return bytes([udl]) + body


def decode_user_data(
    reader: OctetReader, dcs: DataCoding, has_header: bool
) -> tuple[str | bytes, UserDataHeader | None]:
    udl_offset = reader.offset
    udl = reader.read_byte("TP-UDL")
    septet_coded = is_septet_coded(dcs)
    octets = packed_length(udl) if septet_coded else udl
    if octets > MAX_USER_DATA_OCTETS:
        unit = "septets" if septet_coded else "octets"
        raise PduError(
            "TP-UDL too large",
            expected=f"at most {MAX_SEPTETS if septet_coded else MAX_USER_DATA_OCTETS} {unit}",
            got=f"{udl} {unit}",
            offset=udl_offset,
        )
    ud_offset = reader.offset
    user_data = reader.read(octets, "TP-UD")
    udh = decode_udh(user_data, ud_offset) if has_header else None
    header_octets = udh.encoded_length if udh is not None else 0
    if not septet_coded:
        return _decode_octets(user_data[header_octets:], dcs, ud_offset + header_octets), udh
    if udh is None:
        return decode_gsm7(unpack_septets(user_data, udl)), None
    used = header_septets(header_octets)
    if udl < used:
        raise PduError(
            "TP-UDL smaller than the user data header",
            expected=f"at least {used} septets",
            got=f"{udl} septets",
            offset=udl_offset,
        )
    text_septets = unpack_septets(user_data[header_octets:], udl - used, fill_bits(header_octets))
    return decode_gsm7(text_septets), udh


def _octet_payload(content: str | bytes, dcs: DataCoding) -> bytes:
    if dcs.encoding == Encoding.UCS2 and not dcs.compressed:
        if not isinstance(content, str):
            raise PduError("UCS2 user data must be text", expected="str", got=type(content).__name__)
        # Lone surrogates pass through so a part split mid-pair by another sender re-encodes as it came.
        return content.encode("utf-16-be", "surrogatepass")
    if not isinstance(content, bytes):
        raise PduError(
            f"{dcs.encoding} user data must be bytes",
            expected="bytes",
            got=type(content).__name__,
        )
    return content


def _decode_octets(payload: bytes, dcs: DataCoding, offset: int) -> str | bytes:
    if dcs.encoding != Encoding.UCS2 or dcs.compressed:
        return payload
    if len(payload) % 2:
        raise PduError(
            "UCS2 user data has an odd number of octets",
            expected="whole 16-bit units",
            got=f"{len(payload)} octets",
            offset=offset,
        )
    return payload.decode("utf-16-be", "surrogatepass")
