"""Property tests: decode(encode(x)) == x over random text, data, addresses, times and sizes."""

from __future__ import annotations

import contextlib
import itertools
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from at_commands.sms import (
    Address,
    Encoding,
    EnhancedFormat,
    EnhancedValidity,
    PduError,
    TypeOfNumber,
    decode_pdu,
    decode_status_report,
    encode_deliver,
    encode_status_report,
    encode_submit,
    reassemble,
    reassemble_data,
    septet_count,
)
from at_commands.sms.gsm7 import DEFAULT_ALPHABET, EXTENSION_TABLE

GSM7_CHARS = [c for i, c in enumerate(DEFAULT_ALPHABET) if i != 0x1B] + list(EXTENSION_TABLE.values())
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

gsm7_text = st.text(alphabet=st.sampled_from(GSM7_CHARS), max_size=480)
# Any code point but lone surrogates, astral-plane emoji made likely.
unicode_text = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=("Cs",)),
        st.sampled_from(["😀", "👍", "🏽", "𝄞", "€", "ж", "你"]),
    ),
    max_size=220,
)
numbers = st.from_regex(r"\+?[0-9*#]{1,20}", fullmatch=True)
alphanumerics = st.text(alphabet=st.sampled_from(GSM7_CHARS), min_size=1, max_size=11).filter(
    lambda t: septet_count(t) <= 11
)
addresses = st.one_of(
    numbers.map(Address.parse),
    alphanumerics.map(Address.alphanumeric),
    st.from_regex(r"[0-9]{1,20}", fullmatch=True).map(Address.national),
)
zones = st.integers(-14 * 4, 14 * 4).map(lambda q: timezone(timedelta(minutes=15 * q)))
timestamps = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30)).map(
        lambda d: d.replace(microsecond=0)
    ),
    zones,
)


def _check_submit_round_trip(destination: Address, content: str | bytes, **options: object) -> None:
    parts = encode_submit(destination, content, **options)  # type: ignore[arg-type]
    decoded = [decode_pdu(part.hex, direction="mo") for part in parts]
    for part, message in zip(parts, decoded, strict=True):
        assert message == part.message
        assert len(part.hex) // 2 - part.tpdu_length == 1  # the "00" SMSC field
    if isinstance(content, bytes):
        assert reassemble_data(decoded) == content  # type: ignore[arg-type]
    else:
        assert reassemble(decoded) == content  # type: ignore[arg-type]
    if len(parts) > 1:
        infos = [m.concat for m in decoded]  # type: ignore[union-attr]
        assert [i.sequence for i in infos if i] == list(range(1, len(parts) + 1))
        assert len({(i.reference, i.total) for i in infos if i}) == 1


@FAST
@given(gsm7_text, addresses)
def test_gsm7_text_round_trips(text: str, destination: Address) -> None:
    _check_submit_round_trip(destination, text, reference=7)
    parts = encode_submit(destination, text, reference=7)
    assert all(p.message.encoding == Encoding.GSM7 for p in parts)
    bodies = [p.message.text or "" for p in parts]
    if len(parts) == 1:
        assert septet_count(text) <= 160
        return
    assert all(septet_count(body) <= 153 for body in bodies)
    # Greedy and tight: each part is full unless the next character would not fit.
    for body, following in itertools.pairwise(bodies):
        assert septet_count(body + following[0]) > 153


@FAST
@given(unicode_text)
def test_unicode_text_round_trips_as_ucs2(text: str) -> None:
    _check_submit_round_trip(Address.parse("+4915112345678"), text, encoding="ucs2", reference=300 % 256)
    bodies = [
        p.message.text or "" for p in encode_submit("+4915112345678", text, encoding="ucs2", reference=1)
    ]
    units = [len(body.encode("utf-16-be")) // 2 for body in bodies]
    if len(bodies) == 1:
        assert units[0] <= 70
        return
    assert max(units) <= 67
    for body, following in itertools.pairwise(bodies):
        assert len((body + following[0]).encode("utf-16-be")) // 2 > 67


@FAST
@given(unicode_text)
def test_auto_encoding_picks_gsm7_only_when_possible(text: str) -> None:
    parts = encode_submit("+1", text, reference=1)
    expected = Encoding.GSM7 if all(c in GSM7_CHARS for c in text) else Encoding.UCS2
    assert {p.message.encoding for p in parts} == {expected}
    assert reassemble([decode_pdu(p.hex, direction="mo") for p in parts]) == text  # type: ignore[misc]


@FAST
@given(st.binary(max_size=700))
def test_binary_round_trips_as_eight_bit(data: bytes) -> None:
    _check_submit_round_trip(Address.parse("+1"), data, reference=2)
    sizes = [len(p.message.data or b"") for p in encode_submit("+1", data, reference=2)]
    assert sizes == ([len(data)] if len(data) <= 140 else [*[134] * (len(sizes) - 1), sizes[-1]])


@FAST
@given(
    addresses,
    st.one_of(gsm7_text, unicode_text),
    timestamps,
    st.one_of(st.none(), addresses.filter(lambda a: not a.is_alphanumeric)),
    st.booleans(),
    st.one_of(st.none(), st.integers(0, 3)),
)
def test_deliver_round_trips(
    originator: Address,
    text: str,
    timestamp: datetime,
    smsc: Address | None,
    more: bool,
    message_class: int | None,
) -> None:
    parts = encode_deliver(
        originator, text, timestamp, smsc=smsc, more_messages=more, message_class=message_class, reference=9
    )
    decoded = [decode_pdu(p.hex) for p in parts]
    assert decoded == [p.message for p in parts]
    assert reassemble(decoded) == text  # type: ignore[arg-type]
    first = decoded[0]
    assert first.originator == originator  # type: ignore[union-attr]
    assert first.timestamp == timestamp and first.timestamp.utcoffset() == timestamp.utcoffset()  # type: ignore[union-attr]
    assert first.smsc == smsc
    for part in parts:
        assert decode_pdu(part.hex, has_smsc=None, tpdu_length=part.tpdu_length) == part.message


@FAST
@given(
    st.integers(0, 255),
    addresses.filter(lambda a: not a.is_alphanumeric),
    timestamps,
    timestamps,
    st.integers(0, 255),
)
def test_status_report_round_trips(
    reference: int, recipient: Address, sc_time: datetime, done: datetime, status: int
) -> None:
    report = decode_status_report(encode_status_report(reference, recipient, sc_time, done, status))
    assert (report.message_reference, report.recipient, report.status) == (reference, recipient, status)
    assert report.sc_timestamp == sc_time and report.discharge_time == done


@FAST
@given(
    st.one_of(
        st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(weeks=63)),
        timestamps,
        st.builds(
            EnhancedValidity,
            st.just(EnhancedFormat.SECONDS),
            st.integers(0, 255).map(lambda s: timedelta(seconds=s)),
            st.booleans(),
        ),
        st.builds(
            EnhancedValidity,
            st.just(EnhancedFormat.HHMMSS),
            st.integers(0, 99 * 3600 + 59 * 60 + 59).map(lambda s: timedelta(seconds=s)),
        ),
    ),
    st.booleans(),
)
def test_submit_validity_round_trips(validity: timedelta | datetime | EnhancedValidity, srr: bool) -> None:
    part = encode_submit("+1", "x", validity=validity, request_status_report=srr)[0]
    decoded = decode_pdu(part.hex, direction="mo")
    assert decoded == part.message
    if isinstance(validity, timedelta):
        assert decoded.validity >= validity  # type: ignore[union-attr, operator]
    else:
        assert decoded.validity == validity  # type: ignore[union-attr]


@FAST
@given(st.binary(max_size=80), st.sampled_from(["mt", "mo"]), st.sampled_from([True, False, None]))
def test_arbitrary_octets_decode_or_raise_pdu_error(
    data: bytes, direction: str, has_smsc: bool | None
) -> None:
    with contextlib.suppress(PduError):
        decode_pdu(data.hex(), direction=direction, has_smsc=has_smsc)  # type: ignore[arg-type]


VALID_DELIVER = bytes.fromhex(
    encode_deliver("1NCE", "Grüße 😀", datetime(2024, 1, 1, tzinfo=UTC), smsc="+4917", reference=1)[0].hex
)


@FAST
@given(st.integers(0, len(VALID_DELIVER) - 1), st.binary(min_size=1, max_size=1))
def test_corrupting_a_valid_pdu_never_leaks_other_errors(position: int, octet: bytes) -> None:
    corrupted = VALID_DELIVER[:position] + octet + VALID_DELIVER[position + 1 :]
    for data in (corrupted, VALID_DELIVER[:position]):
        try:
            decode_pdu(data.hex(), has_smsc=None)
        except PduError as error:
            assert str(error)


def test_alphanumeric_sender_round_trip_with_every_length() -> None:
    for size in range(1, 12):
        sender = Address.alphanumeric("A1b2C3d4E5f"[:size])
        part = encode_deliver(sender, "x", datetime(2024, 1, 1, tzinfo=UTC))[0]
        originator = decode_pdu(part.hex).originator  # type: ignore[union-attr]
        assert originator == sender and originator.ton == TypeOfNumber.ALPHANUMERIC
