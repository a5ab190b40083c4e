"""The firmware's SMS-DELIVER decoder (firmware/common/modem/nce_sms.c) on the host, compiled
strict with ASan/UBSan, against PDUs our Python SMS codec builds (at_commands.sms, itself checked
against smspdudecoder): GSM 7-bit with the extension table, UCS-2 with surrogate pairs, 8-bit data,
concatenated parts, international / national / alphanumeric senders; and every truncation and
corruption of a valid PDU ends in an error code, never a crash."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from at_commands.sms import decode_submit, encode_deliver
from at_commands.sms.gsm7 import DEFAULT_ALPHABET, EXTENSION_TABLE

ROOT = Path(__file__).resolve().parent.parent
FW = ROOT / "firmware" / "common"
FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsanitize=address,undefined", "-g"]
TEXT_MAX = 160  # NCE_SMS_TEXT_MAX
WHEN = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs host gcc")


@pytest.fixture(scope="module")
def decoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    binary = tmp_path_factory.mktemp("sms") / "sms_main"
    sources = [FW / "modem" / "nce_sms.c", ROOT / "tests" / "c" / "sms_main.c"]
    subprocess.run(
        [
            "gcc",
            *FLAGS,
            f"-I{FW / 'include'}",
            "-fno-sanitize-recover=all",
            *map(str, sources),
            "-o",
            str(binary),
        ],
        check=True,
        timeout=120,
    )
    return binary


def decode(binary: Path, pdus: list[str]) -> list[tuple[int, str, str, str, bool]]:
    """(status, sender, text, "part/parts", truncated) per PDU, from the C decoder."""
    result = subprocess.run(
        [str(binary)], input="\n".join(pdus) + "\n", capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = []
    for line in result.stdout.splitlines():
        status, sender, text_hex, part, truncated = line.split("\t")
        rows.append((int(status), sender, bytes.fromhex(text_hex).decode("utf-8"), part, truncated == "1"))
    assert len(rows) == len(pdus)
    return rows


def expected_text(text: str) -> tuple[str, bool]:
    """What fits the firmware's buffer: whole UTF-8 characters up to TEXT_MAX bytes."""
    kept = ""
    for char in text:
        if len((kept + char).encode()) > TEXT_MAX:
            return kept, True
        kept += char
    return kept, False


GSM7_TEXT = st.text(alphabet=[c for c in DEFAULT_ALPHABET if c != "\x1b"] + list(EXTENSION_TABLE.values()))
NO_SURROGATES = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
ANY_TEXT = st.text(alphabet=NO_SURROGATES, max_size=150)
SENDERS = st.one_of(
    st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True),
    st.from_regex(r"[0-9]{3,12}", fullmatch=True),
    st.sampled_from(["1NCE", "Lab", "NCE-HIL"]),
)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(GSM7_TEXT, ANY_TEXT).filter(bool),
    sender=SENDERS,
    encoding=st.sampled_from(["auto", "ucs2"]),
)
def test_the_c_decoder_reads_what_the_python_codec_writes(
    decoder: Path, text: str, sender: str, encoding: str
) -> None:
    try:
        parts = encode_deliver(sender, text, WHEN, smsc="+491710760000", encoding=encoding)  # type: ignore[arg-type]
    except ValueError:
        return  # a text that alphabet cannot carry (e.g. non-GSM characters with "gsm7")
    rows = decode(decoder, [part.hex for part in parts])
    assert [row[0] for row in rows] == [0] * len(parts)
    assert {row[1] for row in rows} == {sender}
    if len(parts) == 1:
        assert (rows[0][2], rows[0][4]) == expected_text(text)
        assert rows[0][3] == "0/0"
    else:
        assert [row[3] for row in rows] == [f"{i}/{len(parts)}" for i in range(1, len(parts) + 1)]
        joined = "".join(part.message.user_data for part in parts)  # type: ignore[misc]
        assert joined == text
        for row, part in zip(rows, parts, strict=True):
            assert (row[2], row[4]) == expected_text(str(part.message.user_data))


def test_8bit_data_shows_printable_ascii_and_marks_the_rest(decoder: Path) -> None:
    [part] = encode_deliver("+4930123456", b"cfg\x00\xffok", WHEN)
    [(status, sender, text, _, truncated)] = decode(decoder, [part.hex])
    assert (status, sender, text, truncated) == (0, "+4930123456", "cfg??ok", False)


def test_bad_pdus_are_refused_with_their_reason(decoder: Path) -> None:
    [good] = encode_deliver("+4930123456", "interval=30", WHEN, smsc="+491710760000")
    submit = "0011000B919403214365F70000AA0BE9B7BD2CA7CBE96137D80C"  # an SMS-SUBMIT
    # TP-DCS sits before TP-SCTS (7 octets), TP-UDL and the 10 octets of 11 packed septets.
    dcs_at = len(good.hex) - 2 * (10 + 1 + 7 + 1)
    assert good.hex[dcs_at : dcs_at + 2] == "00"
    compressed = good.hex[:dcs_at] + "20" + good.hex[dcs_at + 2 :]  # compressed GSM 7-bit
    rows = decode(decoder, ["", "0", "zz", good.hex + "0", submit, good.hex[:-2], compressed])
    assert [row[0] for row in rows] == [-3, -1, -1, -1, -2, -3, -4]
    assert all(row[1] == "" and row[2] == "" for row in rows)


def test_every_truncation_of_a_valid_pdu_is_an_error_not_a_crash(decoder: Path) -> None:
    pdus = [p.hex for p in encode_deliver("1NCE", "€ interval=30 Ω" * 12, WHEN, smsc="+491710760000")]
    cuts = [pdu[:n] for pdu in pdus for n in range(0, len(pdu), 2)]
    rows = decode(decoder, cuts)
    assert all(row[0] == -3 for row in rows), [r for r in rows if r[0] != -3][:3]


GSM7_ASCII = "@$_ !\"#%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def encode(binary: Path, rows: list[tuple[str, str]]) -> list[tuple[int, str, int]]:
    """(status, PDU hex, TPDU length) per (number, text), from the C encoder."""
    text_in = "".join(f"{number}\t{text}\n" for number, text in rows)
    result = subprocess.run(
        [str(binary), "encode"], input=text_in, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = []
    for line in result.stdout.splitlines():
        status, pdu, length = line.split("\t")
        out.append((int(status), pdu, int(length)))
    assert len(out) == len(rows)
    return out


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    number=st.from_regex(r"\+?[0-9]{1,20}", fullmatch=True),
    text=st.text(alphabet=GSM7_ASCII, max_size=160),
)
def test_the_c_encoder_writes_submits_the_python_codec_reads(decoder: Path, number: str, text: str) -> None:
    [(status, pdu, tpdu_len)] = encode(decoder, [(number, text)])
    assert status == 0
    submit = decode_submit(pdu)  # our codec, itself checked against smspdudecoder
    assert submit.destination.number == number
    assert submit.user_data == text
    assert tpdu_len == len(pdu) // 2 - 1  # AT+CMGS=<length> counts the TPDU without the SMSC octet


def test_the_c_encoder_refuses_bad_numbers_and_marks_foreign_characters(decoder: Path) -> None:
    rows = encode(decoder, [("", "x"), ("+49a", "x"), ("1" * 21, "x"), ("4930", "ok [€]")])
    assert [row[0] for row in rows[:3]] == [-1, -1, -1]
    assert rows[3][0] == 0 and decode_submit(rows[3][1]).user_data == "ok ???"
