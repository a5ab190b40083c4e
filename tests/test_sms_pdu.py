"""SMS PDU encode/decode against hand-built vectors (modem-at-reference.md §4) and the spec tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from at_commands.sms import (
    Address,
    DataCoding,
    Encoding,
    EnhancedFormat,
    EnhancedValidity,
    InformationElement,
    PduError,
    PortAddressing,
    SmsDeliver,
    SmsStatusReport,
    SmsSubmit,
    StatusCategory,
    TypeOfNumber,
    UnencodableCharacterError,
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
from at_commands.sms.gsm7 import encode_gsm7

from .test_sms_gsm7 import reference_pack

HK = timezone(timedelta(hours=8))
WORKED_SUBMIT = "0001000B917228001011F100000CC8329BFD065DDF72363904"
# §4.4 header, completed with "Hello World!" (12 septets) as the user data.
DELIVER_HEADER = "07915892000000F0" + "04" + "0B915892214365F7" + "00" + "00" + "70402132522423"
WORKED_DELIVER = DELIVER_HEADER + "0C" + "C8329BFD065DDF72363904"
DEST = "+27820001111"
DEST_FIELD = "0B917228001011F1"


def tz(hours: int = 0, minutes: int = 0) -> timezone:
    return timezone(timedelta(hours=hours, minutes=minutes))


# --- the worked examples ---------------------------------------------------------------------------


def test_submit_worked_example() -> None:
    parts = encode_submit(DEST, "Hello World!")
    assert len(parts) == 1
    assert parts[0].hex == WORKED_SUBMIT
    assert parts[0].tpdu_length == 24
    assert str(parts[0]) == WORKED_SUBMIT
    assert tpdu_length(WORKED_SUBMIT) == 24


def test_submit_worked_example_decodes_every_field() -> None:
    message = decode_submit(WORKED_SUBMIT)
    assert message.smsc is None
    assert message.message_reference == 0
    assert message.destination == Address("27820001111", TypeOfNumber.INTERNATIONAL)
    assert message.destination.number == DEST
    assert message.destination.toa == 0x91
    assert message.protocol_identifier == 0
    assert message.dcs == DataCoding(0x00)
    assert message.encoding == Encoding.GSM7
    assert message.validity is None
    assert message.udh is None
    assert message.text == "Hello World!"
    assert message.data is None
    assert not (message.status_report_request or message.reject_duplicates or message.reply_path)


def test_deliver_worked_example_decodes_every_header_field() -> None:
    message = decode_deliver(WORKED_DELIVER)
    assert message.smsc == Address("85290000000", TypeOfNumber.INTERNATIONAL)
    assert message.smsc.number == "+85290000000"
    assert message.smsc.toa == 0x91
    assert message.originator.number == "+85291234567"
    assert message.originator.toa == 0x91
    # FO 04: MTI 00, TP-MMS set (no more messages), no LP / SRI / UDHI / RP.
    assert message.more_messages is False
    assert message.loop_prevention is False
    assert message.status_report_indication is False
    assert message.reply_path is False
    assert message.udh is None
    assert message.protocol_identifier == 0
    assert message.dcs.value == 0
    assert message.timestamp == datetime(2007, 4, 12, 23, 25, 42, tzinfo=HK)
    assert message.timestamp.utcoffset() == timedelta(hours=8)
    assert (message.timestamp.hour, message.timestamp.minute) == (23, 25)
    assert message.text == "Hello World!"


def test_deliver_worked_example_encodes_byte_for_byte() -> None:
    parts = encode_deliver(
        "+85291234567", "Hello World!", datetime(2007, 4, 12, 23, 25, 42, tzinfo=HK), smsc="+85290000000"
    )
    assert [p.hex for p in parts] == [WORKED_DELIVER]
    assert parts[0].tpdu_length == len(WORKED_DELIVER) // 2 - 8 == 30
    assert decode_pdu(WORKED_DELIVER) == parts[0].message


def test_deliver_timestamp_in_another_zone_is_written_in_its_own_offset() -> None:
    utc_moment = datetime(2007, 4, 12, 15, 25, 42, tzinfo=UTC)
    parts = encode_deliver("+85291234567", "x", utc_moment.astimezone(HK), smsc="+85290000000")
    assert "70402132522423" in parts[0].hex


@pytest.mark.parametrize(
    ("offset", "tz_octet"),
    [(tz(0), "00"), (tz(8), "23"), (tz(-3), "29"), (tz(5, 45), "32"), (tz(-9, -30), "8B"), (tz(14), "65")],
)
def test_scts_time_zone_quarter_hours_and_sign(offset: timezone, tz_octet: str) -> None:
    moment = datetime(2024, 12, 31, 23, 59, 58, tzinfo=offset)
    parts = encode_deliver("+1", "", moment)
    scts = "42" + "21" + "13" + "32" + "95" + "85" + tz_octet
    assert parts[0].hex == "00" + "04" + "0191F1" + "0000" + scts + "00"
    assert decode_deliver(parts[0].hex).timestamp.utcoffset() == offset.utcoffset(None)


# --- addresses --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "field"),
    [
        (Address.parse("+27820001111"), "0B917228001011F1"),
        (Address.parse("12345"), "05812143F5"),
        (Address.national("0821234567"), "0AA18012325476"),
        (Address("*123#", TypeOfNumber.UNKNOWN), "05811A32FB"),
        (Address.parse("1NCE"), "07D031E7B008"),  # 4 septets = 28 bits = 7 semi-octets
    ],
)
def test_address_fields(address: Address, field: str) -> None:
    hex_pdu = encode_submit(address, "")[0].hex
    assert hex_pdu == "000100" + field + "000000"
    assert decode_submit(hex_pdu).destination == address


def test_address_parse_types() -> None:
    # The integers are the <tosca>/<toda> of 27.005: +CSCA: "+316540942002",145 (§1.7).
    assert Address.parse("+316540942002").toa == 145
    assert Address.parse("0316540942002").toa == 129
    assert Address.parse("+4917").toa == 0x91
    assert Address.parse("4917").toa == 0x81
    assert Address.national("4917").toa == 0xA1
    sender = Address.parse("1NCE GmbH")
    assert sender.toa == 0xD0 and sender.is_alphanumeric and str(sender) == "1NCE GmbH"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "empty address"),
        ("ABCDEFGHIJKL", "alphanumeric address too long"),
        ("+" + "1" * 21, "too many digits"),
        ("Ω✓", "not in the GSM 7-bit"),
        ("+49 170 1234567", "not a phone number"),  # never silently alphanumeric
        ("0170-123", "not a phone number"),
        ("+", "not a phone number"),
    ],
)
def test_address_parse_rejects(bad: str, message: str) -> None:
    with pytest.raises(PduError, match=message):
        Address.parse(bad)


def test_smsc_field_is_counted_in_octets_and_excluded_from_tpdu_length() -> None:
    part = encode_submit(DEST, "Hello World!", smsc="+4917")[0]
    assert part.hex == "03919471" + WORKED_SUBMIT[2:]
    assert part.tpdu_length == 24
    assert decode_submit(part.hex).smsc == Address("4917", TypeOfNumber.INTERNATIONAL)


# --- alphabets and DCS --------------------------------------------------------------------------------


def test_ucs2_is_utf16be() -> None:
    part = encode_submit(DEST, "你好")[0]
    assert part.hex == "000100" + DEST_FIELD + "0008" + "04" + "4F60597D"
    assert part.tpdu_length == 17
    assert decode_submit(part.hex).text == "你好"


def test_astral_plane_uses_a_surrogate_pair() -> None:
    part = encode_submit(DEST, "😀")[0]
    assert part.hex.endswith("0008" + "04" + "D83DDE00")
    assert decode_submit(part.hex).text == "😀"


def test_eight_bit_data() -> None:
    part = encode_submit(DEST, b"\x00\xff\x10")[0]
    assert part.hex == "000100" + DEST_FIELD + "0004" + "03" + "00FF10"
    message = decode_submit(part.hex)
    assert message.data == b"\x00\xff\x10" and message.text is None
    assert message.encoding == Encoding.EIGHT_BIT


def test_explicit_ucs2_for_ascii_and_flash_class() -> None:
    assert encode_submit(DEST, "hi", encoding="ucs2")[0].hex.endswith("0008" + "04" + "00680069")
    assert encode_submit(DEST, "hi", message_class=0)[0].hex.endswith("0010" + "02" + "E834")
    assert encode_submit(DEST, "é✓", message_class=0)[0].hex.endswith("0018" + "04" + "00E92713")


@pytest.mark.parametrize(
    ("value", "encoding", "message_class", "compressed"),
    [
        (0x00, Encoding.GSM7, None, False),
        (0x04, Encoding.EIGHT_BIT, None, False),
        (0x08, Encoding.UCS2, None, False),
        (0x0C, Encoding.GSM7, None, False),  # reserved alphabet reads as GSM7
        (0x10, Encoding.GSM7, 0, False),
        (0x11, Encoding.GSM7, 1, False),
        (0x16, Encoding.EIGHT_BIT, 2, False),
        (0x18, Encoding.UCS2, 0, False),
        (0x20, Encoding.GSM7, None, True),
        (0x48, Encoding.UCS2, None, False),  # automatic deletion group
        (0x80, Encoding.GSM7, None, False),  # reserved group
        (0xC0, Encoding.GSM7, None, False),  # message waiting, discard
        (0xE0, Encoding.UCS2, None, False),  # message waiting, store, UCS2
        (0xF0, Encoding.GSM7, 0, False),
        (0xF1, Encoding.GSM7, 1, False),
        (0xF4, Encoding.EIGHT_BIT, 0, False),
        (0xF6, Encoding.EIGHT_BIT, 2, False),
    ],
)
def test_dcs_groups(value: int, encoding: Encoding, message_class: int | None, compressed: bool) -> None:
    dcs = DataCoding(value)
    assert (dcs.encoding, dcs.message_class, dcs.compressed) == (encoding, message_class, compressed)


def test_dcs_flags() -> None:
    assert DataCoding(0x48).auto_delete and not DataCoding(0x08).auto_delete
    assert DataCoding(0xD8).message_waiting and not DataCoding(0xF0).message_waiting
    assert DataCoding.build(Encoding.EIGHT_BIT, 2).value == 0x16
    with pytest.raises(PduError, match="message class"):
        DataCoding.build(Encoding.GSM7, 4)


def test_coding_group_1111_decodes() -> None:
    # SIM data download style: DCS F6 (8-bit, class 2), PID 7F.
    hex_pdu = DELIVER_HEADER[:-18] + "7F" + "F6" + "70402132522423" + "02" + "CAFE"
    message = decode_deliver(hex_pdu)
    assert message.protocol_identifier == 0x7F
    assert message.data == b"\xca\xfe" and message.message_class == 2


def test_compressed_user_data_is_kept_as_octets() -> None:
    hex_pdu = DELIVER_HEADER[:-16] + "20" + "70402132522423" + "02" + "ABCD"
    message = decode_deliver(hex_pdu)
    assert message.dcs.compressed and message.data == b"\xab\xcd"


def test_encoding_choice_mismatches() -> None:
    with pytest.raises(PduError, match="binary content"):
        encode_submit(DEST, b"\x01", encoding="gsm7")
    with pytest.raises(PduError, match="8-bit messages carry bytes"):
        encode_submit(DEST, "x", encoding="8bit")
    with pytest.raises(UnencodableCharacterError) as info:
        encode_submit(DEST, "ok 😀", encoding="gsm7")
    assert info.value.index == 3


def test_record_rejects_content_of_the_wrong_kind() -> None:
    with pytest.raises(PduError, match="carries text"):
        SmsSubmit(destination=Address.parse(DEST), user_data=b"x", dcs=DataCoding(0))
    with pytest.raises(PduError, match="carries octets"):
        SmsSubmit(destination=Address.parse(DEST), user_data="x", dcs=DataCoding(4))


# --- first octet, validity period ------------------------------------------------------------------


def test_status_report_request_and_relative_validity_set_first_octet() -> None:
    assert encode_submit(DEST, "")[0].hex[2:4] == "01"
    assert encode_submit(DEST, "", request_status_report=True)[0].hex[2:4] == "21"
    part = encode_submit(DEST, "", validity=timedelta(hours=24), request_status_report=True)[0]
    assert part.hex == "00" + "31" + "00" + DEST_FIELD + "0000" + "A7" + "00"
    assert part.tpdu_length == 14
    message = decode_submit(part.hex)
    assert message.validity == timedelta(hours=24) and message.status_report_request
    assert encode_submit(DEST, "", reject_duplicates=True)[0].hex[2:4] == "05"


@pytest.mark.parametrize(
    ("period", "octet"),
    [
        (timedelta(minutes=5), 0),
        (timedelta(minutes=6), 1),  # rounded up, never down
        (timedelta(hours=12), 143),
        (timedelta(hours=12, minutes=30), 144),
        (timedelta(hours=24), 167),
        (timedelta(days=2), 168),
        (timedelta(days=4), 170),
        (timedelta(days=30), 196),
        (timedelta(days=31), 197),  # 5 weeks
        (timedelta(weeks=63), 255),
    ],
)
def test_relative_validity_steps(period: timedelta, octet: int) -> None:
    part = encode_submit(DEST, "", validity=period)[0]
    assert part.hex[-4:-2] == f"{octet:02X}"
    decoded = decode_submit(part.hex).validity
    assert isinstance(decoded, timedelta) and decoded >= period
    assert decoded == part.message.validity


@pytest.mark.parametrize("period", [timedelta(0), timedelta(seconds=-1), timedelta(weeks=63, seconds=1)])
def test_relative_validity_out_of_range(period: timedelta) -> None:
    with pytest.raises(PduError, match="validity period"):
        encode_submit(DEST, "", validity=period)


def test_absolute_validity_uses_scts_form() -> None:
    expiry = datetime(2007, 4, 12, 23, 25, 42, tzinfo=HK)
    part = encode_submit(DEST, "", validity=expiry)[0]
    assert part.hex == "00" + "19" + "00" + DEST_FIELD + "0000" + "70402132522423" + "00"
    assert decode_submit(part.hex).validity == expiry


@pytest.mark.parametrize(
    ("validity", "field"),
    [
        (EnhancedValidity(EnhancedFormat.SECONDS, timedelta(seconds=30)), "021E0000000000"),
        (EnhancedValidity(EnhancedFormat.SECONDS, timedelta(seconds=30), single_shot=True), "421E0000000000"),
        (EnhancedValidity(EnhancedFormat.RELATIVE, timedelta(hours=24)), "01A70000000000"),
        (EnhancedValidity(EnhancedFormat.HHMMSS, timedelta(hours=1, minutes=2, seconds=3)), "03102030000000"),
        (EnhancedValidity(EnhancedFormat.NONE), "00000000000000"),
        (
            EnhancedValidity(EnhancedFormat.RELATIVE, timedelta(hours=24), extensions=b"\x05"),
            "8105A700000000",
        ),
    ],
)
def test_enhanced_validity(validity: EnhancedValidity, field: str) -> None:
    part = encode_submit(DEST, "", validity=validity)[0]
    assert part.hex == "00" + "09" + "00" + DEST_FIELD + "0000" + field + "00"
    assert decode_submit(part.hex).validity == validity


def test_enhanced_validity_rejects_unrepresentable_periods() -> None:
    with pytest.raises(PduError, match=r"0\.\.255 s"):
        encode_submit(DEST, "", validity=EnhancedValidity(EnhancedFormat.SECONDS, timedelta(seconds=256)))
    with pytest.raises(PduError, match="not a TP-VP step"):
        encode_submit(DEST, "", validity=EnhancedValidity(EnhancedFormat.RELATIVE, timedelta(minutes=7)))
    with pytest.raises(PduError, match="disagree"):
        EnhancedValidity(EnhancedFormat.SECONDS)
    reserved = "00" + "09" + "00" + DEST_FIELD + "0000" + "07000000000000" + "00"
    with pytest.raises(PduError, match="reserved enhanced TP-VP format") as info:
        decode_submit(reserved)
    assert info.value.offset == 13


# --- user data header and concatenation ---------------------------------------------------------------


def test_two_part_gsm7_message_byte_for_byte() -> None:
    parts = encode_submit(DEST, "A" * 153 + "AAAAAAAB", reference=0x42)
    assert len(parts) == 2
    head = "00" + "41" + "00" + DEST_FIELD + "0000"
    first = encode_gsm7("A" * 153)
    assert parts[0].hex == head + "A0" + "050003420201" + reference_pack(first, 1).hex().upper()
    assert parts[1].hex == head + "0F" + "050003420202" + reference_pack([0x41] * 7 + [0x42], 1).hex().upper()
    assert parts[0].tpdu_length == 13 + 140  # FO, MR, DA (8), PID, DCS, UDL, then full user data
    concat = decode_submit(parts[1].hex).concat
    assert concat is not None
    assert (concat.reference, concat.total, concat.sequence, concat.reference_bits) == (0x42, 2, 2, 8)


@pytest.mark.parametrize(
    ("text", "sizes"),
    [
        ("A" * 160, [160]),
        ("A" * 161, [153, 8]),
        ("A" * 306, [153, 153]),
        ("A" * 307, [153, 153, 1]),
        ("€" * 80, [80]),  # 160 septets still fit one message
        ("€" * 81, [76, 5]),  # 153 septets hold 76 escapes: no pair is cut
        ("A" * 152 + "€" + "B" * 10, [152, 11]),  # 152 + 2 septets would exceed 153
    ],
)
def test_gsm7_part_sizes(text: str, sizes: list[int]) -> None:
    parts = encode_submit(DEST, text, reference=1)
    assert [len(p.message.text or "") for p in parts] == sizes
    assert "".join(p.message.text or "" for p in parts) == text


@pytest.mark.parametrize(
    ("text", "sizes"),
    [
        ("ж" * 70, [70]),
        ("ж" * 71, [67, 4]),
        ("ж" * 66 + "😀" + "b" * 5, [66, 6]),  # the pair would straddle units 67-68
        ("😀" * 35, [35]),
        ("😀" * 36, [33, 3]),
    ],
)
def test_ucs2_part_sizes(text: str, sizes: list[int]) -> None:
    parts = encode_submit(DEST, text, reference=1)
    assert [len(p.message.text or "") for p in parts] == sizes
    for part in parts:
        assert "\ud83d" not in (part.message.text or "")[-1:]


def test_eight_bit_part_sizes() -> None:
    assert [len(p.message.data or b"") for p in encode_submit(DEST, bytes(140))] == [140]
    assert [len(p.message.data or b"") for p in encode_submit(DEST, bytes(141), reference=3)] == [134, 7]


def test_sixteen_bit_reference() -> None:
    parts = encode_submit(DEST, "A" * 305, reference=0x1234, reference_bits=16)
    assert [len(p.message.text or "") for p in parts] == [152, 152, 1]
    assert parts[2].hex[28:42] == "06080412340303"
    concat = decode_submit(parts[2].hex).concat
    assert concat is not None and (concat.reference, concat.reference_bits) == (0x1234, 16)


def test_auto_reference_cycles() -> None:
    refs = []
    for _ in range(3):
        concat = encode_submit(DEST, "A" * 200)[0].message.concat
        assert concat is not None
        refs.append(concat.reference)
    assert refs[1] == (refs[0] + 1) % 256 and refs[2] == (refs[1] + 1) % 256


def test_single_part_has_no_concat_header() -> None:
    assert encode_submit(DEST, "A" * 160, reference=9)[0].message.udh is None


def test_port_addressing_element_and_fill_bits() -> None:
    ports = PortAddressing(destination=0x10, source=0x20, bits=8).to_element()
    part = encode_submit(DEST, "A", information_elements=[ports])[0]
    # UDH 04 04 02 10 20 is 40 bits: 2 fill bits reach the septet boundary, so 'A' = 0x41 << 2.
    assert part.hex == "00" + "41" + "00" + DEST_FIELD + "0000" + "07" + "0404021020" + "0401"
    message = decode_submit(part.hex)
    assert message.text == "A"
    assert message.udh is not None and message.udh.ports == PortAddressing(0x10, 0x20, bits=8)
    assert message.concat is None


def test_wap_push_ports_survive_concatenation() -> None:
    ports = PortAddressing(destination=2948, source=9200).to_element()
    parts = encode_submit(DEST, bytes(range(256)), information_elements=[ports], reference=5)
    assert len(parts) == 2
    for part in parts:
        message = decode_submit(part.hex)
        assert message.udh is not None
        assert message.udh.ports == PortAddressing(2948, 9200, bits=16)
        assert message.udh.elements[1] == InformationElement(0x05, bytes.fromhex("0B8423F0"))
    assert [len(p.message.data or b"") for p in parts] == [128, 128]


def test_unknown_information_elements_are_kept_raw() -> None:
    hex_pdu = DELIVER_HEADER[:-16] + "04" + "70402132522423" + "07" + "0424020102" + "BEEF"
    hex_pdu = hex_pdu[:16] + "44" + hex_pdu[18:]
    message = decode_deliver(hex_pdu)
    assert message.udh is not None
    assert message.udh.elements == (InformationElement(0x24, b"\x01\x02"),)
    assert message.data == b"\xbe\xef"


def test_concat_element_with_bad_sequence_is_ignored_per_23040() -> None:
    hex_pdu = DELIVER_HEADER[:-16] + "04" + "70402132522423" + "07" + "05000301020300"
    hex_pdu = hex_pdu[:16] + "44" + hex_pdu[18:]
    message = decode_deliver(hex_pdu)
    assert message.udh is not None and len(message.udh.elements) == 1
    assert message.concat is None  # sequence 3 of 2


def test_too_many_parts() -> None:
    with pytest.raises(PduError, match="at most 255 parts"):
        encode_submit(DEST, "A" * (153 * 255 + 1), reference=0)


# --- status reports -----------------------------------------------------------------------------------


SCTS_A = datetime(2024, 5, 1, 12, 0, 5, tzinfo=tz(2))
SCTS_B = datetime(2024, 5, 1, 12, 0, 9, tzinfo=tz(2))


def test_status_report_encodes_and_decodes() -> None:
    hex_pdu = encode_status_report(7, DEST, SCTS_A, SCTS_B, 0x00)
    assert hex_pdu == "00" + "06" + "07" + DEST_FIELD + "42501021005080" + "42501021009080" + "00"
    report = decode_status_report(hex_pdu)
    assert report.message_reference == 7
    assert report.recipient.number == DEST
    assert report.sc_timestamp == SCTS_A and report.discharge_time == SCTS_B
    assert report.status == 0 and report.delivered
    assert report.category == StatusCategory.DELIVERED and report.category.is_final
    assert report.description == "short message received by the SME"
    assert not report.more_messages and not report.status_report_qualifier


@pytest.mark.parametrize(
    ("status", "category", "final"),
    [
        (0x00, StatusCategory.DELIVERED, True),
        (0x02, StatusCategory.DELIVERED, True),
        (0x1F, StatusCategory.DELIVERED, True),
        (0x20, StatusCategory.TEMPORARY, False),
        (0x3F, StatusCategory.TEMPORARY, False),
        (0x46, StatusCategory.PERMANENT, True),
        (0x60, StatusCategory.TEMPORARY_FINAL, True),
        (0x80, StatusCategory.TEMPORARY_FINAL, True),  # reserved, read as "service rejected"
    ],
)
def test_status_categories(status: int, category: StatusCategory, final: bool) -> None:
    report = decode_status_report(encode_status_report(1, DEST, SCTS_A, SCTS_B, status))
    assert report.category == category
    assert report.category.is_final is final
    assert report.delivered is (category == StatusCategory.DELIVERED)
    assert report.category.is_failure is (
        category in (StatusCategory.PERMANENT, StatusCategory.TEMPORARY_FINAL)
    )
    assert report.description


def test_status_report_with_parameter_indicator() -> None:
    base = encode_status_report(7, DEST, SCTS_A, SCTS_B, 0x46)
    hex_pdu = base + "07" + "00" + "00" + "02" + "C834"
    report = decode_status_report(hex_pdu)
    assert report.protocol_identifier == 0 and report.dcs == DataCoding(0)
    assert report.text == "Hi"
    assert report.description == "SM validity period expired"
    assert encode_message(report) == hex_pdu
    # UDL without DCS: the DCS is taken as 00 (GSM7), and nothing is invented on re-encoding.
    assert decode_status_report(base + "04" + "02" + "C834").text == "Hi"
    assert encode_message(decode_status_report(base + "04" + "02C834")) == base + "0402C834"


def test_status_report_reserved_pi_bit_allows_trailing_octets() -> None:
    base = encode_status_report(7, DEST, SCTS_A, SCTS_B, 0)
    assert decode_status_report(base + "40" + "FFFF").status == 0
    with pytest.raises(PduError, match="octets after"):
        decode_status_report(base + "00" + "FF")


def test_status_report_record_validation() -> None:
    with pytest.raises(PduError, match="TP-ST"):
        SmsStatusReport(
            message_reference=1,
            recipient=Address.parse(DEST),
            sc_timestamp=SCTS_A,
            discharge_time=SCTS_B,
            status=256,
        )


# --- decode_pdu: direction and SMSC detection ---------------------------------------------------------


def test_direction_selects_the_mti_meaning() -> None:
    with pytest.raises(PduError, match="direction='mo'") as info:
        decode_pdu(WORKED_SUBMIT)
    assert "SMS-SUBMIT-REPORT" in str(info.value) and info.value.offset == 1
    with pytest.raises(PduError, match="SMS-DELIVER-REPORT"):
        decode_pdu(WORKED_DELIVER, direction="mo")
    assert isinstance(decode_pdu(WORKED_SUBMIT, direction="mo"), SmsSubmit)
    with pytest.raises(PduError, match="different message type"):
        decode_status_report(WORKED_DELIVER)


def test_reserved_mti_rejected() -> None:
    with pytest.raises(PduError, match="reserved") as info:
        decode_pdu("00" + "03" + "00")
    assert info.value.offset == 1


def test_smsc_auto_detection() -> None:
    without = WORKED_DELIVER[16:]
    assert decode_deliver(without, has_smsc=None).smsc is None
    assert decode_deliver(WORKED_DELIVER, has_smsc=None).smsc is not None
    assert decode_deliver(without, has_smsc=False) == decode_deliver(WORKED_DELIVER, has_smsc=None).__class__(
        **{**decode_deliver(WORKED_DELIVER).__dict__, "smsc": None}
    )
    assert decode_submit(WORKED_SUBMIT[2:], has_smsc=None).text == "Hello World!"
    assert decode_submit(WORKED_SUBMIT, has_smsc=None).smsc is None
    with pytest.raises(PduError, match="neither layout"):
        decode_pdu(WORKED_DELIVER[:-2], has_smsc=None)


def test_smsc_detection_from_declared_length() -> None:
    assert decode_deliver(WORKED_DELIVER, has_smsc=None, tpdu_length=30).smsc is not None
    assert decode_deliver(WORKED_DELIVER[16:], has_smsc=None, tpdu_length=30).smsc is None
    with pytest.raises(PduError, match="disagrees with has_smsc"):
        decode_pdu(WORKED_DELIVER, has_smsc=False, tpdu_length=30)
    with pytest.raises(PduError, match="SMSC field length disagrees"):
        decode_pdu(WORKED_DELIVER, tpdu_length=29)
    with pytest.raises(PduError, match="exceeds the PDU"):
        decode_pdu(WORKED_DELIVER, tpdu_length=99)


# --- malformed input ----------------------------------------------------------------------------------


def test_odd_length_and_non_hex() -> None:
    with pytest.raises(PduError, match="odd number") as odd:
        decode_pdu(WORKED_DELIVER[:-1])
    assert odd.value.got == f"{len(WORKED_DELIVER) - 1} digits"
    with pytest.raises(PduError, match="non-hex") as bad:
        decode_pdu("0001G0")
    assert bad.value.offset == 2 and "'G'" in str(bad.value)


def test_truncation_at_every_octet_is_a_pdu_error_with_an_offset() -> None:
    for cut in range(0, len(WORKED_DELIVER), 2):
        with pytest.raises(PduError) as info:
            decode_pdu(WORKED_DELIVER[:cut])
        assert info.value.offset is not None
        assert info.value.offset <= cut // 2


def test_user_data_length_overrun() -> None:
    hex_pdu = DELIVER_HEADER + "0D" + "C8329BFD065DDF72363904"  # 13 septets need 12 octets
    with pytest.raises(PduError, match="truncated in TP-UD") as info:
        decode_pdu(hex_pdu)
    assert info.value.offset == 27 and info.value.expected == "12 octet(s)"


def test_trailing_octets_rejected() -> None:
    with pytest.raises(PduError, match="octets after TP-UD") as info:
        decode_pdu(WORKED_DELIVER + "00")
    assert info.value.offset == 38


def test_udl_above_limit() -> None:
    with pytest.raises(PduError, match="TP-UDL too large"):
        decode_pdu(DELIVER_HEADER + "A1" + "00" * 141)


def test_bad_bcd_in_timestamp_names_the_octet() -> None:
    hex_pdu = WORKED_DELIVER.replace("70402132522423", "7A402132522423")
    with pytest.raises(PduError, match="bad BCD in TP-SCTS") as info:
        decode_pdu(hex_pdu)
    assert info.value.offset == 19 and info.value.got == "0x7A"


def test_impossible_date() -> None:
    with pytest.raises(PduError, match="not a real date"):
        decode_pdu(WORKED_DELIVER.replace("70402132522423", "70314032522423"))  # month 13


def test_filler_inside_address_digits() -> None:
    with pytest.raises(PduError, match="bad BCD digit in TP-OA") as info:
        decode_pdu(WORKED_DELIVER.replace("0B915892214365F7", "0B915892F14365F7"))
    assert info.value.offset == 13


def test_smsc_length_too_large() -> None:
    with pytest.raises(PduError, match="SMSC length too large") as info:
        decode_pdu("0C" + WORKED_DELIVER[2:])
    assert info.value.offset == 0


def test_udh_overruns() -> None:
    header = DELIVER_HEADER[:16] + "44" + DELIVER_HEADER[18:]
    with pytest.raises(PduError, match="overruns the user data") as info:
        decode_pdu(header + "02" + "09" + "00")
    assert info.value.offset == 27
    with pytest.raises(PduError, match="information element 0x00 overruns"):
        decode_pdu(header + "04" + "0300" + "0500")
    with pytest.raises(PduError, match="smaller than the user data header"):
        decode_pdu(header + "01" + "00")  # an empty UDH still takes 2 septets


def test_odd_ucs2_octet_count() -> None:
    with pytest.raises(PduError, match="odd number of octets"):
        decode_pdu(DELIVER_HEADER[:-16] + "08" + "70402132522423" + "03" + "004100")


def test_encoder_input_errors() -> None:
    with pytest.raises(PduError, match="timezone-aware"):
        encode_deliver("+1", "x", datetime(2024, 1, 1))  # naive on purpose
    with pytest.raises(PduError, match="quarter hours"):
        encode_deliver("+1", "x", datetime(2024, 1, 1, tzinfo=tz(0, 10)))
    with pytest.raises(PduError, match="year"):
        encode_deliver("+1", "x", datetime(1999, 1, 1, tzinfo=UTC))
    with pytest.raises(PduError, match="TP-MR"):
        encode_submit(DEST, "x", message_reference=256)
    with pytest.raises(PduError, match="SMSC address cannot be alphanumeric"):
        encode_submit(DEST, "x", smsc="ACME")


def test_bad_option_values_are_pdu_errors() -> None:
    with pytest.raises(PduError, match="unknown direction"):
        decode_pdu(WORKED_SUBMIT, direction="MO")  # type: ignore[arg-type]
    with pytest.raises(PduError, match="reference width"):
        encode_submit(DEST, "A" * 200, reference_bits=12)  # type: ignore[arg-type]
    with pytest.raises(PduError, match="concat reference out of range"):
        encode_submit(DEST, "A" * 200, reference=256)
    with pytest.raises(PduError, match="unsupported validity period"):
        encode_submit(DEST, "x", validity=3600)  # type: ignore[arg-type]
    with pytest.raises(PduError, match="unknown encoding"):
        encode_submit(DEST, "x", encoding="latin1")  # type: ignore[arg-type]


def test_more_messages_and_status_report_indication_flags() -> None:
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    part = encode_deliver("+1", "x", moment, more_messages=True, status_report_indication=True)[0]
    assert part.hex[2:4] == "20"  # MMS clear = more waiting; SRI set
    message = decode_deliver(part.hex)
    assert message.more_messages and message.status_report_indication
    assert isinstance(message, SmsDeliver)
