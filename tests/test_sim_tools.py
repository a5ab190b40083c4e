"""SIM identities and +CRSM plumbing (at_commands.sim): ICCID/Luhn, IMSI, PLMN, commands, status words."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from at_commands.sim import (
    EF_AD,
    EF_EPSLOCI,
    EF_FPLMN,
    EF_ICCID,
    EF_IMSI,
    EF_LOCI,
    CrsmResult,
    CrsmStatusError,
    Imsi,
    SimDataError,
    clear_fplmn_command,
    crsm_read_command,
    crsm_update_command,
    decode_plmn,
    encode_plmn,
    is_1nce,
    luhn_check_digit,
    luhn_valid,
    mnc_length,
    normalize_iccid,
    parse_crsm_response,
    parse_imsi,
)

# --- Luhn and ICCID ------------------------------------------------------------------------------------


def test_luhn_textbook_example() -> None:
    assert luhn_check_digit("7992739871") == "3"
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert not luhn_valid("7")
    assert not luhn_valid("7992739871x")


def test_luhn_rejects_non_digits() -> None:
    with pytest.raises(SimDataError, match="not a decimal digit"):
        luhn_check_digit("12a4")
    with pytest.raises(SimDataError, match="at least one digit"):
        luhn_check_digit("")


@pytest.mark.parametrize(
    "raw",
    [
        "+QCCID: 89882390000262826558",
        "89882390000262826558",
        '+CCID: "89882390000262826558"',
        "+ICCID: 89882390000262826558",
        "#CCID: 89882390000262826558",
        "  89882390000262826558\r\n",
        "8988239000026282655",  # the API form, no Luhn digit
    ],
)
def test_iccid_forms_of_one_sim(raw: str) -> None:
    iccid = normalize_iccid(raw)
    assert iccid.api == "8988239000026282655"
    assert iccid.with_luhn == "89882390000262826558"
    assert iccid.check_digit == "8"
    assert iccid.raw == raw
    assert str(iccid) == iccid.api


def test_nrf_iccid_with_f_pad_is_nineteen_digits() -> None:
    iccid = normalize_iccid("%XICCID: 8901234567012345678F")
    assert iccid.api == "8901234567012345678"
    assert iccid.with_luhn == "89012345670123456785"  # Luhn worked by hand: digit sum 85


def test_1nce_api_example() -> None:
    # 1nce-reference.md §4.6: "iccid":"8988280666000002864" with imsi 901405100002864.
    iccid = normalize_iccid("8988280666000002864")
    assert iccid.with_luhn == "89882806660000028649"
    assert normalize_iccid("+QCCID: 89882806660000028649f") == iccid.__class__(
        raw="+QCCID: 89882806660000028649f", api=iccid.api, with_luhn=iccid.with_luhn
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("+QCCID: 8988239000026282655X", "not a decimal digit"),
        ("898823900002628265", "wrong length"),  # 18 digits
        ("898823900002628265581", "wrong length"),  # 21 digits
        ("89882390000262826559", "Luhn check digit is wrong"),
        ("12882390000262826558", "telecom prefix"),
        ("+CCID: ", "no ICCID digits"),
        ("ERROR", "not a decimal digit"),
    ],
)
def test_iccid_errors(raw: str, message: str) -> None:
    with pytest.raises(SimDataError, match=message):
        normalize_iccid(raw)


def test_iccid_luhn_error_carries_evidence() -> None:
    with pytest.raises(SimDataError) as info:
        normalize_iccid("89882390000262826559")
    assert info.value.expected == "last digit 8"
    assert info.value.got == "9 in 89882390000262826559"
    assert isinstance(info.value, ValueError)


iccid_bodies = st.from_regex(r"89[0-9]{17}", fullmatch=True)


@settings(max_examples=100, deadline=None)
@given(iccid_bodies)
def test_iccid_forms_agree(body: str) -> None:
    short = normalize_iccid(body)
    assert luhn_valid(short.with_luhn)
    assert short.with_luhn[:19] == body
    long = normalize_iccid(f"+QCCID: {short.with_luhn}")
    assert (long.api, long.with_luhn) == (short.api, short.with_luhn)


@settings(max_examples=100, deadline=None)
@given(iccid_bodies, st.integers(0, 19), st.integers(1, 9))
def test_luhn_catches_every_single_digit_error(body: str, position: int, delta: int) -> None:
    good = normalize_iccid(body).with_luhn
    wrong = good[:position] + str((int(good[position]) + delta) % 10) + good[position + 1 :]
    assert not luhn_valid(wrong)


# --- IMSI and PLMN --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("imsi", "expected", "onence"),
    [
        ("901405100002864", Imsi("901", "40", "5100002864"), True),
        ("901288910017273", Imsi("901", "28", "8910017273"), False),  # HARDWARIO example: not 1NCE
        ("310410123456789", Imsi("310", "410", "123456789"), False),
        ("316010000000001", Imsi("316", "010", "000000001"), False),
        ("262011234567890", Imsi("262", "01", "1234567890"), False),
        (' "901405100002864"\r\n', Imsi("901", "40", "5100002864"), True),
    ],
)
def test_parse_imsi(imsi: str, expected: Imsi, onence: bool) -> None:
    parsed = parse_imsi(imsi)
    assert parsed == expected
    assert is_1nce(imsi) is onence and is_1nce(parsed) is onence
    assert str(parsed) == imsi.strip().strip('"')


def test_mnc_length_table_and_override() -> None:
    assert [mnc_length(m) for m in ("901", "310", "316", "302", "262", "234", "722")] == [2, 3, 3, 3, 2, 2, 3]
    assert parse_imsi("901405100002864", mnc_digits=3) == Imsi("901", "405", "100002864")
    assert parse_imsi("901405100002864").plmn == "90140"


@pytest.mark.parametrize(
    ("imsi", "message"),
    [("90140510000286a", "not a decimal digit"), ("90140", "wrong length"), ("9" * 16, "wrong length")],
)
def test_parse_imsi_errors(imsi: str, message: str) -> None:
    with pytest.raises(SimDataError, match=message):
        parse_imsi(imsi)
    with pytest.raises(SimDataError, match="MNC length"):
        parse_imsi("901405100002864", mnc_digits=4)


@pytest.mark.parametrize(
    ("plmn", "octets"),
    [
        ("90140", "09F104"),
        ("26201", "62F210"),
        ("310410", "130014"),
        ("00101", "00F110"),
        ("722310", "270213"),
    ],
)
def test_plmn_coding(plmn: str, octets: str) -> None:
    raw = bytes.fromhex(octets.replace(" ", ""))
    assert encode_plmn(plmn) == raw
    assert decode_plmn(raw) == plmn


def test_plmn_empty_and_errors() -> None:
    assert decode_plmn(b"\xff\xff\xff") is None
    with pytest.raises(SimDataError, match="non-decimal"):
        decode_plmn(bytes.fromhex("0AF104"))
    with pytest.raises(SimDataError, match="wrong size"):
        decode_plmn(b"\x09\xf1")
    with pytest.raises(SimDataError, match="wrong length"):
        encode_plmn("9014")
    with pytest.raises(SimDataError, match="not a decimal digit"):
        encode_plmn("9014a")


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"[0-9]{5,6}", fullmatch=True))
def test_plmn_round_trip(plmn: str) -> None:
    raw = encode_plmn(plmn)
    assert len(raw) == 3
    assert decode_plmn(raw) == plmn
    assert (raw[1] >> 4 == 0xF) is (len(plmn) == 5)


# --- +CRSM ----------------------------------------------------------------------------------------------


def test_file_ids() -> None:
    assert (EF_ICCID, EF_IMSI, EF_FPLMN, EF_LOCI, EF_EPSLOCI, EF_AD) == (
        12258,
        28423,
        28539,
        28542,
        28643,
        28589,
    )


def test_command_lines() -> None:
    assert crsm_read_command(EF_ICCID, 10) == "AT+CRSM=176,12258,0,0,10"
    assert crsm_read_command(EF_IMSI, 9) == "AT+CRSM=176,28423,0,0,9"
    assert crsm_read_command(EF_EPSLOCI, 18, offset=0x0102) == "AT+CRSM=176,28643,1,2,18"
    update = crsm_update_command(EF_FPLMN, bytes.fromhex("09F104") + b"\xff" * 9)
    assert update == 'AT+CRSM=214,28539,0,0,12,"09F104FFFFFFFFFFFFFFFFFF"'
    assert clear_fplmn_command() == 'AT+CRSM=214,28539,0,0,12,"FFFFFFFFFFFFFFFFFFFFFFFF"'
    assert clear_fplmn_command(entries=1) == 'AT+CRSM=214,28539,0,0,3,"FFFFFF"'


@pytest.mark.parametrize(
    "call",
    [
        lambda: crsm_read_command(EF_ICCID, 0),
        lambda: crsm_read_command(EF_ICCID, 256),
        lambda: crsm_read_command(EF_ICCID, 10, offset=0x8000),
        lambda: crsm_update_command(EF_FPLMN, b""),
        lambda: clear_fplmn_command(0),
    ],
)
def test_command_argument_errors(call: object) -> None:
    with pytest.raises(SimDataError):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("line", "result"),
    [
        ('+CRSM: 144,0,"98942860660000024686"', CrsmResult(144, 0, bytes.fromhex("98942860660000024686"))),
        ("+CRSM: 144,0,98942860660000024686", CrsmResult(144, 0, bytes.fromhex("98942860660000024686"))),
        ('+CRSM:144, 0 ,"09f104"', CrsmResult(144, 0, b"\x09\xf1\x04")),
        ("+CRSM: 148,4", CrsmResult(148, 4)),
        ('+CRSM: 144,0,""', CrsmResult(144, 0)),
        ("  +CRSM: 106,130\r\n", CrsmResult(106, 130)),
    ],
)
def test_parse_crsm_response(line: str, result: CrsmResult) -> None:
    assert parse_crsm_response(line) == result


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("OK", r"not a \+CRSM response"),
        ("+CRSM: 144", r"not a \+CRSM response"),
        ('+CRSM: 144,0,"ABC"', "odd number of hex digits"),
        ('+CRSM: 144,0,"XYZ0"', r"not a \+CRSM response"),
        ("+CRSM: 300,0", "status word out of range"),
    ],
)
def test_parse_crsm_response_errors(line: str, message: str) -> None:
    with pytest.raises(SimDataError, match=message):
        parse_crsm_response(line)


@pytest.mark.parametrize(
    ("sw1", "sw2", "ok", "meaning"),
    [
        (144, 0, True, "normal ending"),
        (145, 23, True, "23 byte(s) of proactive command pending"),
        (159, 15, True, "15 byte(s) of response data available"),
        (148, 4, False, "file not found"),
        (148, 2, False, "out of range (invalid address)"),
        (152, 4, False, "access condition not fulfilled"),
        (105, 130, False, "security status not satisfied"),
        (106, 130, False, "file not found"),
        (106, 134, False, "incorrect parameters P1 to P2"),
        (103, 0, False, "wrong length"),
        (103, 5, False, "wrong length"),
        (108, 10, False, "wrong length: the right length is 10"),
        (99, 0xC2, False, "verification failed, 2 retries left"),
        (107, 0, False, "offset outside the EF"),
        (1, 2, False, "unknown status word 0102"),
    ],
)
def test_status_words(sw1: int, sw2: int, ok: bool, meaning: str) -> None:
    result = CrsmResult(sw1, sw2)
    assert result.ok is ok
    assert meaning in result.meaning


def test_raise_for_status() -> None:
    good = CrsmResult(144, 0, b"\x01")
    assert good.raise_for_status() is good
    with pytest.raises(CrsmStatusError) as info:
        CrsmResult(106, 130).raise_for_status("AT+CRSM=176,28643,0,0,18")
    error = info.value
    assert (error.sw1, error.sw2) == (106, 130)
    assert "file not found" in str(error) and "0x6A82" in str(error) and "AT+CRSM=176,28643" in str(error)
    assert isinstance(error, SimDataError)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=64))
def test_response_line_round_trip(sw1: int, sw2: int, data: bytes) -> None:
    result = CrsmResult(sw1, sw2, data)
    assert parse_crsm_response(result.to_line()) == result
