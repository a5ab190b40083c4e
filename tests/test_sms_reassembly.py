"""Rebuilding concatenated messages (at_commands.sms.reassembly)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from at_commands.sms import (
    Address,
    DataCoding,
    MissingPartError,
    ReassemblyError,
    SmsDeliver,
    decode_deliver,
    decode_pdu,
    encode_deliver,
    encode_message,
    encode_submit,
    ordered_parts,
    reassemble,
    reassemble_data,
)
from at_commands.sms.udh import ConcatInfo, UserDataHeader

NOW = datetime(2024, 6, 1, 8, 30, tzinfo=UTC)
TEXT = "".join(f"line {n}: 1NCE says hello {{ok}} €{n}\n" for n in range(20))


def deliver_parts(
    text: str = TEXT, *, originator: str = "+491701234567", reference: int = 77
) -> list[SmsDeliver]:
    return [decode_deliver(p.hex) for p in encode_deliver(originator, text, NOW, reference=reference)]


def test_parts_in_any_order() -> None:
    parts = deliver_parts()
    assert len(parts) == 5
    shuffled = parts[:]
    random.Random(4).shuffle(shuffled)
    assert shuffled != parts
    assert reassemble(shuffled) == TEXT
    assert ordered_parts(shuffled) == parts


def test_single_unconcatenated_message() -> None:
    (only,) = deliver_parts("short")
    assert only.concat is None
    assert reassemble([only]) == "short"


def test_missing_part_names_the_gap() -> None:
    parts = deliver_parts()
    with pytest.raises(MissingPartError) as info:
        reassemble(parts[:1] + parts[3:])
    assert info.value.missing == (2, 3)
    assert (info.value.reference, info.value.total) == (77, 5)
    assert "missing part(s) 2, 3" in str(info.value)


def test_parts_of_another_message_rejected() -> None:
    mine, other = deliver_parts(reference=1), deliver_parts(reference=2)
    with pytest.raises(ReassemblyError, match="belongs to another message") as info:
        reassemble([mine[0], other[1], *mine[2:]])
    assert info.value.expected == "ref 1 (8-bit) of 5 parts" and info.value.got == "ref 2 (8-bit) of 5 parts"


def test_same_reference_from_another_sender_rejected() -> None:
    mine, theirs = deliver_parts(), deliver_parts(originator="+441234")
    with pytest.raises(ReassemblyError, match="another address"):
        reassemble([mine[0], theirs[1], *mine[2:]])


def test_identical_duplicates_are_dropped_conflicting_ones_rejected() -> None:
    parts = deliver_parts()
    assert reassemble([*parts, parts[2]]) == TEXT
    forged = replace(parts[2], user_data="something else")
    with pytest.raises(ReassemblyError, match="claim sequence number 3"):
        reassemble([*parts, forged])


def test_part_without_header_among_concatenated_ones() -> None:
    parts = deliver_parts()
    (plain,) = deliver_parts("plain")
    with pytest.raises(ReassemblyError, match="no concatenation header"):
        reassemble([parts[0], plain])
    with pytest.raises(ReassemblyError, match="nothing to reassemble"):
        reassemble([])


def test_submit_and_deliver_do_not_mix() -> None:
    submits = [decode_pdu(p.hex, direction="mo") for p in encode_submit("+491701234567", TEXT, reference=77)]
    with pytest.raises(ReassemblyError, match="different message type"):
        reassemble([deliver_parts()[0], *submits[1:]])  # type: ignore[list-item]
    assert reassemble(submits) == TEXT  # type: ignore[arg-type]


def test_binary_parts() -> None:
    payload = bytes(range(256)) * 2
    parts = [decode_deliver(p.hex) for p in encode_deliver("+1", payload, NOW, reference=3)]
    assert reassemble_data(parts[::-1]) == payload
    with pytest.raises(ReassemblyError, match="use reassemble_data"):
        reassemble(parts)
    with pytest.raises(ReassemblyError, match="use reassemble"):
        reassemble_data(deliver_parts())


def test_surrogate_pair_split_by_a_foreign_sender_is_rejoined() -> None:
    # Another SC cut "a😀b" between the two UTF-16 halves of the emoji.
    def part(text: str, seq: int) -> str:
        udh = UserDataHeader((ConcatInfo(9, 2, seq).to_element(),))
        record = SmsDeliver(
            originator=Address.parse("+1"), timestamp=NOW, user_data=text, dcs=DataCoding(0x08), udh=udh
        )
        return encode_message(record)

    first, second = part("a\ud83d", 1), part("\ude00b", 2)
    assert first.endswith("0A" + "050003090201" + "0061D83D")
    decoded = [decode_deliver(second), decode_deliver(first)]
    assert reassemble(decoded) == "a😀b"


def test_sixteen_bit_reference_parts() -> None:
    parts = [
        decode_deliver(p.hex) for p in encode_deliver("+1", TEXT, NOW, reference=4000, reference_bits=16)
    ]
    concat = parts[0].concat
    assert concat is not None and concat.reference == 4000 and concat.reference_bits == 16
    assert reassemble(parts) == TEXT
