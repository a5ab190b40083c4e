"""EF contents (at_commands.sim ef_identity / ef_location): hand-built vectors and round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from at_commands.sim import (
    EF_ICCID,
    EpsLoci,
    EpsUpdateStatus,
    Guti,
    LocationUpdateStatus,
    Loci,
    SimDataError,
    crsm_read_command,
    decode_ef_ad_mnc_length,
    decode_ef_epsloci,
    decode_ef_fplmn,
    decode_ef_iccid,
    decode_ef_imsi,
    decode_ef_loci,
    encode_ef_ad,
    encode_ef_epsloci,
    encode_ef_fplmn,
    encode_ef_iccid,
    encode_ef_imsi,
    encode_ef_loci,
    normalize_iccid,
    parse_crsm_response,
    parse_imsi,
)

SETTINGS = settings(max_examples=100, deadline=None)
plmns = st.from_regex(r"[0-9]{5,6}", fullmatch=True)

# --- EF_ICCID -------------------------------------------------------------------------------------------


def test_ef_iccid_read_as_nordic_modem_info_does() -> None:
    # AT+CRSM=176,12258,0,0,10, then swap the nibbles of each byte (modem-at-reference.md §1.2).
    assert crsm_read_command(EF_ICCID, 10) == "AT+CRSM=176,12258,0,0,10"
    result = parse_crsm_response('+CRSM: 144,0,"98888260660000206894"')
    digits = decode_ef_iccid(result.data)
    assert digits == "89882806660000028649"
    assert normalize_iccid(digits).api == "8988280666000002864"


def test_ef_iccid_nineteen_digits_pads_with_f() -> None:
    raw = encode_ef_iccid("8901234567012345678")
    assert raw.hex().upper() == "981032547610325476F8"
    assert decode_ef_iccid(raw) == "8901234567012345678"


@pytest.mark.parametrize(
    ("hex_data", "message"),
    [
        ("98888260660000206894FF", "wrong size"),
        ("9888826066000020689A", "non-decimal BCD digit"),
        ("9810325476103254761F", "digit after the F filler"),
        ("FFFFFFFFFFFFFFFFFFFF", "EF_ICCID is empty"),
    ],
)
def test_ef_iccid_errors(hex_data: str, message: str) -> None:
    with pytest.raises(SimDataError, match=message):
        decode_ef_iccid(bytes.fromhex(hex_data))


def test_ef_iccid_encode_errors() -> None:
    with pytest.raises(SimDataError, match="ICCID length"):
        encode_ef_iccid("89")
    with pytest.raises(SimDataError, match="not a decimal digit"):
        encode_ef_iccid("898828066600000286A9")


@SETTINGS
@given(st.from_regex(r"89[0-9]{17,18}", fullmatch=True))
def test_ef_iccid_round_trip(iccid: str) -> None:
    raw = encode_ef_iccid(iccid)
    assert len(raw) == 10
    assert decode_ef_iccid(raw) == iccid


# --- EF_IMSI and EF_AD ----------------------------------------------------------------------------------


def test_ef_imsi_odd_digit_count() -> None:
    raw = encode_ef_imsi("901405100002864")
    # length 8; nibble 9 = IMSI type with odd parity, then digit 1; the rest nibble-swapped.
    assert raw.hex().upper() == "089910041500008246"
    assert decode_ef_imsi(raw) == "901405100002864"


def test_ef_imsi_even_digit_count() -> None:
    raw = encode_ef_imsi("90140510000286")
    assert raw.hex().upper() == "0891100415000082F6"
    assert decode_ef_imsi(raw) == "90140510000286"


def test_ef_imsi_short_imsi_is_padded_with_ff() -> None:
    raw = encode_ef_imsi("001011")
    # Even count: type nibble 1; nibbles 1 0 | 0 1 | 0 1 | 1 F, then FF to the file size.
    assert raw.hex().upper() == "04011010F1FFFFFFFF"
    assert decode_ef_imsi(raw) == "001011"


def test_ef_imsi_not_provisioned() -> None:
    assert decode_ef_imsi(b"\xff" * 9) is None


@pytest.mark.parametrize(
    ("hex_data", "message"),
    [
        ("089110041500008246", "parity disagrees"),  # even parity, 15 digits
        ("089A10041500008246", "identity type"),
        ("009910041500008246", "length octet"),
        ("099910041500008246", "length octet"),
        ("0899100415000082", "wrong size"),
        ("0899100415000082A6", "non-decimal IMSI digit"),
    ],
)
def test_ef_imsi_errors(hex_data: str, message: str) -> None:
    with pytest.raises(SimDataError, match=message):
        decode_ef_imsi(bytes.fromhex(hex_data))


def test_ef_ad_gives_the_mnc_length_for_parse_imsi() -> None:
    assert decode_ef_ad_mnc_length(bytes.fromhex("00000002")) == 2
    assert decode_ef_ad_mnc_length(bytes.fromhex("80000003")) == 3
    assert decode_ef_ad_mnc_length(bytes.fromhex("000000")) is None
    with pytest.raises(SimDataError, match="MNC length"):
        decode_ef_ad_mnc_length(bytes.fromhex("00000004"))
    digits = decode_ef_ad_mnc_length(encode_ef_ad(3))
    assert parse_imsi("310410123456789", mnc_digits=digits).mnc == "410"


@SETTINGS
@given(st.from_regex(r"[0-9]{6,15}", fullmatch=True))
def test_ef_imsi_round_trip(imsi: str) -> None:
    raw = encode_ef_imsi(imsi)
    assert len(raw) == 9 and raw[0] == (len(imsi) + 2) // 2
    assert raw[1] & 0x0F == (0x9 if len(imsi) % 2 else 0x1)
    assert decode_ef_imsi(raw) == imsi


# --- EF_FPLMN -------------------------------------------------------------------------------------------


def test_ef_fplmn() -> None:
    raw = bytes.fromhex("09F104" + "62F210" + "FFFFFF" + "FFFFFF")
    assert decode_ef_fplmn(raw) == ["90140", "26201"]
    assert encode_ef_fplmn(["90140", "26201"]) == raw
    assert decode_ef_fplmn(b"\xff" * 12) == []
    assert encode_ef_fplmn([]) == b"\xff" * 12
    assert encode_ef_fplmn(["310410"], entries=2).hex().upper() == "130014FFFFFF"


def test_ef_fplmn_errors() -> None:
    with pytest.raises(SimDataError, match="multiple of 3"):
        decode_ef_fplmn(b"\xff" * 10)
    with pytest.raises(SimDataError, match="too many forbidden PLMNs"):
        encode_ef_fplmn(["90140"] * 5)


@SETTINGS
@given(st.integers(1, 8).flatmap(lambda n: st.tuples(st.just(n), st.lists(plmns, max_size=n))))
def test_ef_fplmn_round_trip(case: tuple[int, list[str]]) -> None:
    entries, forbidden = case
    raw = encode_ef_fplmn(forbidden, entries)
    assert len(raw) == 3 * entries
    assert decode_ef_fplmn(raw) == forbidden


# --- EF_LOCI --------------------------------------------------------------------------------------------


def test_ef_loci_registered() -> None:
    raw = bytes.fromhex("12345678" + "62F210" + "1A2B" + "FF" + "00")
    loci = decode_ef_loci(raw)
    assert loci == Loci(tmsi=0x12345678, plmn="26201", lac=0x1A2B, status=LocationUpdateStatus.UPDATED)
    assert loci.has_tmsi and loci.tmsi_time == 0xFF
    assert encode_ef_loci(loci) == raw


def test_ef_loci_fresh_sim_and_rfu_bits() -> None:
    fresh = bytes.fromhex("FFFFFFFF" + "FFFFFF" + "FFFE" + "FF" + "01")
    assert decode_ef_loci(fresh) == Loci()
    assert not Loci().has_tmsi
    assert encode_ef_loci(Loci()) == fresh
    denied = decode_ef_loci(bytes.fromhex("FFFFFFFF" + "09F104" + "0001" + "FF" + "FA"))  # RFU bits set
    assert denied.status == LocationUpdateStatus.PLMN_NOT_ALLOWED and denied.plmn == "90140"


def test_ef_loci_errors() -> None:
    with pytest.raises(SimDataError, match="wrong size"):
        decode_ef_loci(b"\xff" * 10)
    with pytest.raises(SimDataError, match="LAC out of range"):
        Loci(lac=0x10000)


@SETTINGS
@given(
    st.builds(
        Loci,
        tmsi=st.integers(0, 0xFFFFFFFF),
        plmn=st.one_of(st.none(), plmns),
        lac=st.integers(0, 0xFFFF),
        tmsi_time=st.integers(0, 0xFF),
        status=st.sampled_from(LocationUpdateStatus),
    )
)
def test_ef_loci_round_trip(loci: Loci) -> None:
    raw = encode_ef_loci(loci)
    assert len(raw) == 11
    assert decode_ef_loci(raw) == loci


# --- EF_EPSLOCI -----------------------------------------------------------------------------------------


EPSLOCI_HEX = "0BF6" + "09F104" + "8001" + "01" + "C0FFEE01" + "09F104" + "1A2B" + "00"


def test_ef_epsloci_registered() -> None:
    loci = decode_ef_epsloci(bytes.fromhex(EPSLOCI_HEX))
    assert loci.guti == Guti(plmn="90140", mme_group_id=0x8001, mme_code=0x01, m_tmsi=0xC0FFEE01)
    assert (loci.tai_plmn, loci.tac, loci.status) == ("90140", 0x1A2B, EpsUpdateStatus.UPDATED)
    assert encode_ef_epsloci(loci).hex().upper() == EPSLOCI_HEX


def test_ef_epsloci_without_guti() -> None:
    raw = bytes.fromhex("FF" * 12 + "FFFFFF" + "FFFE" + "01")
    assert decode_ef_epsloci(raw) == EpsLoci()
    assert encode_ef_epsloci(EpsLoci()) == raw
    roaming_denied = decode_ef_epsloci(bytes.fromhex("FF" * 12 + "62F210" + "0102" + "02"))
    assert roaming_denied.status == EpsUpdateStatus.ROAMING_NOT_ALLOWED and roaming_denied.guti is None


@pytest.mark.parametrize(
    ("hex_data", "message"),
    [
        ("0AF6" + EPSLOCI_HEX[4:], "does not hold a GUTI"),
        ("0BF1" + EPSLOCI_HEX[4:], "does not hold a GUTI"),
        ("0BF6FFFFFF" + EPSLOCI_HEX[10:], "GUTI without a PLMN"),
        (EPSLOCI_HEX[:-2], "wrong size"),
    ],
)
def test_ef_epsloci_errors(hex_data: str, message: str) -> None:
    with pytest.raises(SimDataError, match=message):
        decode_ef_epsloci(bytes.fromhex(hex_data))


guti = st.builds(
    Guti,
    plmn=plmns,
    mme_group_id=st.integers(0, 0xFFFF),
    mme_code=st.integers(0, 0xFF),
    m_tmsi=st.integers(0, 0xFFFFFFFF),
)


@SETTINGS
@given(
    st.builds(
        EpsLoci,
        guti=st.one_of(st.none(), guti),
        tai_plmn=st.one_of(st.none(), plmns),
        tac=st.integers(0, 0xFFFF),
        status=st.sampled_from(EpsUpdateStatus),
    )
)
def test_ef_epsloci_round_trip(loci: EpsLoci) -> None:
    raw = encode_ef_epsloci(loci)
    assert len(raw) == 18
    assert decode_ef_epsloci(raw) == loci
