"""SIM utilities: ICCID/Luhn, IMSI, PLMN coding, and the +CRSM files a HIL rig reads and resets.

Pure functions over strings and bytes; bad input raises SimDataError (a ValueError).
"""

from .crsm import (
    EF_AD,
    EF_EPSLOCI,
    EF_FPLMN,
    EF_ICCID,
    EF_IMSI,
    EF_LOCI,
    CrsmCommand,
    CrsmResult,
    ElementaryFile,
    clear_fplmn_command,
    crsm_read_command,
    crsm_update_command,
    parse_crsm_response,
    status_meaning,
    status_ok,
)
from .ef_identity import (
    decode_ef_ad_mnc_length,
    decode_ef_iccid,
    decode_ef_imsi,
    encode_ef_ad,
    encode_ef_iccid,
    encode_ef_imsi,
)
from .ef_location import (
    EpsLoci,
    EpsUpdateStatus,
    Guti,
    LocationUpdateStatus,
    Loci,
    decode_ef_epsloci,
    decode_ef_fplmn,
    decode_ef_loci,
    encode_ef_epsloci,
    encode_ef_fplmn,
    encode_ef_loci,
)
from .errors import CrsmStatusError, SimDataError
from .iccid import Iccid, luhn_check_digit, luhn_valid, normalize_iccid
from .imsi import Imsi, is_1nce, mnc_length, parse_imsi
from .plmn import decode_plmn, encode_plmn

__all__ = [
    "EF_AD",
    "EF_EPSLOCI",
    "EF_FPLMN",
    "EF_ICCID",
    "EF_IMSI",
    "EF_LOCI",
    "CrsmCommand",
    "CrsmResult",
    "CrsmStatusError",
    "ElementaryFile",
    "EpsLoci",
    "EpsUpdateStatus",
    "Guti",
    "Iccid",
    "Imsi",
    "LocationUpdateStatus",
    "Loci",
    "SimDataError",
    "clear_fplmn_command",
    "crsm_read_command",
    "crsm_update_command",
    "decode_ef_ad_mnc_length",
    "decode_ef_epsloci",
    "decode_ef_fplmn",
    "decode_ef_iccid",
    "decode_ef_imsi",
    "decode_ef_loci",
    "decode_plmn",
    "encode_ef_ad",
    "encode_ef_epsloci",
    "encode_ef_fplmn",
    "encode_ef_iccid",
    "encode_ef_imsi",
    "encode_ef_loci",
    "encode_plmn",
    "is_1nce",
    "luhn_check_digit",
    "luhn_valid",
    "mnc_length",
    "normalize_iccid",
    "parse_crsm_response",
    "parse_imsi",
    "status_meaning",
    "status_ok",
]
