"""hil.records.redact: the one secret-redaction rule for the DB and reports."""

from __future__ import annotations

import pytest

from hil.records import redact, redact_argv
from hil.records.redact import SECRET_AT_PARAMS, SECRET_AT_WHEN_OPTION
from hil.virtual.modem_sim import transcript as sim_transcript


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('> AT%CMNG=0,1111,3,"6B6579"', "> AT%CMNG=0,1111,3,<redacted>"),
        ("AT+CPIN=1234", "AT+CPIN=<redacted>"),
        ('AT+QICSGP=1,1,"iot.1nce.net","user","pw",1', 'AT+QICSGP=1,1,"iot.1nce.net",<redacted>'),
        ('AT+USECPRF=0,8,"key"', "AT+USECPRF=0,8,<redacted>"),
        ('AT+USECPRF=0,2,"ca"', 'AT+USECPRF=0,2,"ca"'),  # option 2 is not a secret
        ("AT+CPIN?", "AT+CPIN?"),
        ("< +CPIN: READY", "< +CPIN: READY"),
        ("Authorization: Bearer abc.def.ghi", "Authorization: <redacted>"),
        ("curl -H 'authorization: Basic dXNlcjpwYXNz'", "curl -H 'authorization: <redacted>'"),
        ("token is Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "token is Bearer <redacted>"),
        (
            '{"psk": "s3cr3t", "token_type": "bearer", "psk_stored": true}',
            '{"psk": "<redacted>", "token_type": "bearer", "psk_stored": true}',
        ),
        ('{"secretKey":"ab\\"cd","protocol":"COAP"}', '{"secretKey":"<redacted>","protocol":"COAP"}'),
        ('{"access_token": "x1", "expires_in": 3600}', '{"access_token": "<redacted>", "expires_in": 3600}'),
        ("psk=abc&x=1", "psk=<redacted>&x=1"),
        ("client_secret: hunter2", "client_secret: <redacted>"),
        ("--client-secret=hunter2", "--client-secret=<redacted>"),
        ("attach took 12.5 s (stat 5)", "attach took 12.5 s (stat 5)"),
        ("", ""),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert redact(expected) == expected  # idempotent


def test_redact_argv_hides_the_value_after_a_secret_option() -> None:
    assert redact_argv(["hil", "cloud", "--client-secret", "abc", "--psk=xyz", "run"]) == [
        "hil",
        "cloud",
        "--client-secret",
        "<redacted>",
        "--psk=<redacted>",
        "run",
    ]


def test_same_credential_commands_as_the_simulator_transcript() -> None:
    """One table of secret AT parameters: the simulator's transcript and ours must agree."""
    assert SECRET_AT_PARAMS == sim_transcript._SECRET_FROM
    assert {
        k: (i, set(o)) for k, (i, o) in SECRET_AT_WHEN_OPTION.items()
    } == sim_transcript._SECRET_WHEN_OPTION


@pytest.mark.parametrize(
    "line",
    [b'AT%CMNG=0,16842753,3,"00112233"', b"AT+CPIN=1234", b'AT+UPSD=0,3,"pw"', b'AT+QSSLCFG="psk",1,"a","b"'],
)
def test_agrees_with_the_simulator_on_command_lines(line: bytes) -> None:
    ours = redact(line.decode())
    theirs = sim_transcript.redact_line(line).decode()
    assert ours == theirs
