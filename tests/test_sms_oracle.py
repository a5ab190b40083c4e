"""Cross-check against an independent decoder (smspdudecoder, a dev extra), when it is installed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from io import StringIO
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from at_commands.sms import encode_deliver, encode_submit
from at_commands.sms.gsm7 import DEFAULT_ALPHABET

fields = pytest.importorskip("smspdudecoder.fields")

# smspdudecoder maps a few code points differently (e.g. 0x09 as 'ç'); stay with the common ground.
COMMON_GSM7 = [c for c in DEFAULT_ALPHABET if c.isascii() and c not in "\x1b"]
texts = st.one_of(
    st.text(alphabet=st.sampled_from(COMMON_GSM7), max_size=400),
    st.text(alphabet=st.sampled_from(["ж", "你", "😀", "a", " ", "€"]), max_size=200),
)


def oracle_deliver(hex_pdu: str) -> dict[str, Any]:
    result: dict[str, Any] = fields.SMSDeliver.decode(StringIO(hex_pdu))
    return result


def oracle_submit(hex_pdu: str) -> dict[str, Any]:
    result: dict[str, Any] = fields.SMSSubmit.decode(StringIO(hex_pdu))
    return result


def _concat(decoded: dict[str, Any]) -> tuple[int, int, int] | None:
    header = decoded["user_data"].get("header")
    if not header:
        return None
    (element,) = header["elements"]
    data = element["data"]
    return data["reference"], data["parts_count"], data["part_number"]


@settings(max_examples=40, deadline=None)
@given(texts)
def test_oracle_reads_our_submits(text: str) -> None:
    parts = encode_submit("+27820001111", text, reference=42, validity=timedelta(hours=24))
    for seq, part in enumerate(parts, start=1):
        decoded = oracle_submit(part.hex)
        assert decoded["recipient"]["number"] == "27820001111"
        assert decoded["recipient"]["toa"]["ton"] == "international"
        assert decoded["vp"] == 167
        assert decoded["user_data"]["data"] == part.message.text
        assert _concat(decoded) == (None if len(parts) == 1 else (42, len(parts), seq))


@settings(max_examples=40, deadline=None)
@given(texts, st.sampled_from(["+85291234567", "1NCE", "Alerts"]))
def test_oracle_reads_our_delivers(text: str, sender: str) -> None:
    moment = datetime(2007, 4, 12, 23, 25, 42, tzinfo=timezone(timedelta(hours=8)))
    parts = encode_deliver(sender, text, moment, smsc="+85290000000", reference=9)
    for seq, part in enumerate(parts, start=1):
        decoded = oracle_deliver(part.hex)
        assert decoded["smsc"]["number"] == "85290000000"
        assert decoded["sender"]["number"] == sender.lstrip("+")
        assert decoded["scts"] == moment
        assert decoded["user_data"]["data"] == part.message.text
        assert _concat(decoded) == (None if len(parts) == 1 else (9, len(parts), seq))
