"""GSM 03.38 alphabet and septet packing (at_commands.sms.gsm7)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from at_commands.sms import PduError, UnencodableCharacterError
from at_commands.sms.gsm7 import (
    DEFAULT_ALPHABET,
    EXTENSION_TABLE,
    decode_gsm7,
    encode_gsm7,
    is_gsm7,
    pack_septets,
    packed_length,
    septet_count,
    unpack_septets,
)

GSM7_CHARS = [c for i, c in enumerate(DEFAULT_ALPHABET) if i != 0x1B] + list(EXTENSION_TABLE.values())


def reference_pack(septets: list[int], fill_bits: int = 0) -> bytes:
    """Independent packer: an explicit LSB-first bit string, cut into octets."""
    bits = "0" * fill_bits + "".join(format(s, "07b")[::-1] for s in septets)
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i : i + 8][::-1], 2) for i in range(0, len(bits), 8))


def test_hello_world_vector() -> None:
    septets = encode_gsm7("Hello World!")
    assert septets == [0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x20, 0x57, 0x6F, 0x72, 0x6C, 0x64, 0x21]
    assert pack_septets(septets).hex().upper() == "C8329BFD065DDF72363904"
    assert decode_gsm7(unpack_septets(bytes.fromhex("C8329BFD065DDF72363904"), 12)) == "Hello World!"


@pytest.mark.parametrize(
    ("char", "code"),
    [
        *[("@", 0x00), ("£", 0x01), ("$", 0x02), ("¥", 0x03), ("è", 0x04), ("_", 0x11), ("Δ", 0x10)],
        *[("Ξ", 0x1A), ("¤", 0x24), ("¡", 0x40), ("§", 0x5F), ("¿", 0x60), ("à", 0x7F), ("\n", 0x0A)],
        ("\r", 0x0D),
    ],
)
def test_default_alphabet_code_points(char: str, code: int) -> None:
    assert encode_gsm7(char) == [code]
    assert decode_gsm7([code]) == char


@pytest.mark.parametrize(
    ("char", "code"),
    [
        *[("^", 0x14), ("{", 0x28), ("}", 0x29), ("\\", 0x2F), ("[", 0x3C), ("~", 0x3D), ("]", 0x3E)],
        *[("|", 0x40), ("€", 0x65), ("\f", 0x0A)],
    ],
)
def test_extension_table_is_escape_plus_code(char: str, code: int) -> None:
    assert encode_gsm7(char) == [0x1B, code]
    assert decode_gsm7([0x1B, code]) == char
    assert septet_count(char) == 2


def test_alphabet_has_128_distinct_entries() -> None:
    assert len(DEFAULT_ALPHABET) == 128
    assert len(set(DEFAULT_ALPHABET)) == 128


def test_unencodable_character_is_named_with_its_index() -> None:
    with pytest.raises(UnencodableCharacterError) as info:
        encode_gsm7("abc✓def")
    assert info.value.character == "✓"
    assert info.value.index == 3
    assert "'✓'" in str(info.value) and "index 3" in str(info.value)
    assert isinstance(info.value, PduError) and isinstance(info.value, ValueError)


def test_is_gsm7() -> None:
    assert is_gsm7("Hello {world} €5 @home")
    assert not is_gsm7("naïve")  # ï is not in the default alphabet
    assert not is_gsm7("ç")  # only capital Ç is (0x09)
    assert is_gsm7("")


def test_unknown_escape_falls_back_to_default_table_and_lone_escape_is_space() -> None:
    assert decode_gsm7([0x1B, 0x41]) == "A"
    assert decode_gsm7([0x41, 0x1B]) == "A "
    assert decode_gsm7([0x1B, 0x1B, 0x41]) == " A"


def test_septet_out_of_range_rejected() -> None:
    with pytest.raises(PduError, match="septet out of range"):
        decode_gsm7([0x80])
    with pytest.raises(PduError, match="septet out of range"):
        pack_septets([0x41, 200])


def test_fill_bits_shift_the_septets() -> None:
    # After a 6-octet UDH, one fill bit aligns the text: 'A' = 0x41 << 1 = 0x82.
    assert pack_septets([0x41], fill_bits=1) == b"\x82"
    assert pack_septets([0x41], fill_bits=2) == b"\x04\x01"
    assert unpack_septets(b"\x04\x01", 1, fill_bits=2) == [0x41]
    with pytest.raises(PduError, match="fill bits"):
        pack_septets([0x41], fill_bits=7)


def test_unpack_needs_enough_octets() -> None:
    with pytest.raises(PduError, match="too short"):
        unpack_septets(b"\xc8\x32", 4)


def test_eight_septets_fill_seven_octets() -> None:
    assert packed_length(8) == 7
    assert packed_length(7) == 7
    assert packed_length(160) == 140
    assert len(pack_septets([0x7F] * 8)) == 7


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 0x7F), max_size=170), st.integers(0, 6))
def test_packing_matches_reference_and_round_trips(septets: list[int], fill: int) -> None:
    packed = pack_septets(septets, fill)
    assert packed == reference_pack(septets, fill)
    assert unpack_septets(packed, len(septets), fill) == septets


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(GSM7_CHARS), max_size=200))
def test_text_round_trips(text: str) -> None:
    assert is_gsm7(text)
    septets = encode_gsm7(text)
    assert len(septets) == len(text) + sum(ch in EXTENSION_TABLE.values() for ch in text)
    assert decode_gsm7(unpack_septets(pack_septets(septets), len(septets))) == text
