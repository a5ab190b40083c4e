"""SMS in PDU mode (3GPP TS 23.040 / 23.038 as 27.005 exposes them): encode, decode, reassemble.

Pure functions over strings and bytes; no I/O. Every bad input raises PduError (a ValueError).
"""

from .address import Address, TypeOfNumber
from .dcs import DataCoding, Encoding
from .errors import MissingPartError, PduError, ReassemblyError, UnencodableCharacterError
from .gsm7 import decode_gsm7, encode_gsm7, is_gsm7, pack_septets, septet_count, unpack_septets
from .messages import SmsDeliver, SmsMessage, SmsStatusReport, SmsSubmit
from .pdu import (
    DeliverPdu,
    SubmitPdu,
    decode_deliver,
    decode_pdu,
    decode_status_report,
    decode_submit,
    encode_deliver,
    encode_message,
    encode_status_report,
    encode_submit,
    tpdu_length,
)
from .reassembly import ordered_parts, reassemble, reassemble_data
from .segmentation import EncodingChoice
from .status import StatusCategory, status_category, status_description
from .tpdu import Direction
from .udh import ConcatInfo, InformationElement, PortAddressing, UserDataHeader
from .validity import EnhancedFormat, EnhancedValidity, Validity

__all__ = [
    "Address",
    "ConcatInfo",
    "DataCoding",
    "DeliverPdu",
    "Direction",
    "Encoding",
    "EncodingChoice",
    "EnhancedFormat",
    "EnhancedValidity",
    "InformationElement",
    "MissingPartError",
    "PduError",
    "PortAddressing",
    "ReassemblyError",
    "SmsDeliver",
    "SmsMessage",
    "SmsStatusReport",
    "SmsSubmit",
    "StatusCategory",
    "SubmitPdu",
    "TypeOfNumber",
    "UnencodableCharacterError",
    "UserDataHeader",
    "Validity",
    "decode_deliver",
    "decode_gsm7",
    "decode_pdu",
    "decode_status_report",
    "decode_submit",
    "encode_deliver",
    "encode_gsm7",
    "encode_message",
    "encode_status_report",
    "encode_submit",
    "is_gsm7",
    "ordered_parts",
    "pack_septets",
    "reassemble",
    "reassemble_data",
    "septet_count",
    "status_category",
    "status_description",
    "tpdu_length",
    "unpack_septets",
]
