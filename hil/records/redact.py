"""One secret-redaction rule for everything we keep: transcripts, step errors, run arguments.

Producers already scrub what they know (at_commands.transcript drops registered secrets, the
simulator's transcript hides credential commands); this is the last net before text reaches the
results DB or a report, so it works on plain text by pattern and needs no registered values:
- AT credential commands (PIN, APN passwords, PSKs, TLS keys): parameters from the secret one on;
- `Authorization:` headers and `Bearer` / `Basic` credentials;
- key/value secrets in JSON, YAML, query strings or argv: psk, secretKey, client_secret, tokens,
  passwords (`psk=...`, `"psk": "..."`, `--psk ...` is covered by `--psk=`; see SECRET_OPTIONS).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

REDACTED = "<redacted>"

# AT command -> index of its first secret parameter (everything from there on is hidden). The same
# table as the simulator's transcript (hil/virtual/modem_sim/transcript.py; a test keeps them equal).
SECRET_AT_PARAMS: dict[str, int] = {
    "+CPIN": 0,
    "+CPIN2": 0,
    "+CLCK": 2,
    "+CPWD": 1,
    "%CMNG": 3,
    "+QICSGP": 3,
    "+CGAUTH": 2,
    "+CNCFG": 3,
    "+CSTT": 1,
    "#SGACT": 2,
    "+KCNXCFG": 3,
    "#SSLSECDATA": 3,
    "+USECMNG": 3,
    "+QSSLCFG": 2,
    "+CSSLCFG": 2,
}
# Commands whose secrecy depends on an option parameter: name -> (option index, secret options).
SECRET_AT_WHEN_OPTION: dict[str, tuple[int, frozenset[str]]] = {
    "+USECPRF": (1, frozenset({"8", "9", "10", "12"})),
    "+UPSD": (1, frozenset({"2", "3"})),
}

_AT_NAMES = "|".join(
    re.escape(name) for name in sorted({*SECRET_AT_PARAMS, *SECRET_AT_WHEN_OPTION}, key=len, reverse=True)
)
_AT_COMMAND = re.compile(rf"(?i)({_AT_NAMES})=([^\r\n;]*)")

SECRET_KEYS = (
    r"psk|pre[_-]?shared[_-]?key|secret[_-]?key|client[_-]?secret|access[_-]?token|refresh[_-]?token"
    r"|id[_-]?token|auth[_-]?token|api[_-]?key|password|passwd|passphrase|token|secret"
)
# key, then (quoted) separator, then a quoted or bare value. The key must not be part of a longer
# identifier (token_type, psk_stored), hence the look-arounds.
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (?<![\w-])(["']?)(?:--)?({SECRET_KEYS})\1      # key, optionally quoted or a --long-option
    (\s*[:=]\s*)                                       # separator
    ("(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*'|[^\s,;&}}\]\)"']+)   # value
    """
)
_AUTH_HEADER = re.compile(r"(?i)\b((?:proxy-)?authorization)([\"']?\s*[:=]\s*[\"']?)([^\r\n\"']+)")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]{8,}=*")

# Command-line options whose next argument is a secret (for argv lists).
SECRET_OPTIONS = frozenset({"--psk", "--secret", "--client-secret", "--token", "--password"})


def redact(text: str) -> str:
    """`text` with every secret we can recognise replaced by <redacted>; idempotent."""
    if not text:
        return text
    text = _AT_COMMAND.sub(_redact_at, text)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _KEY_VALUE.sub(_redact_value, text)


def redact_argv(argv: Sequence[str]) -> list[str]:
    """A command line with secret option values (and any secret in a `key=value`) redacted."""
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append(REDACTED)
            hide_next = False
            continue
        hide_next = arg in SECRET_OPTIONS
        out.append(redact(arg))
    return out


def _redact_value(match: re.Match[str]) -> str:
    separator, value = match.group(3), match.group(4)
    if REDACTED in value:
        return match.group(0)
    key = match.group(0)[: match.start(3) - match.start(0)]
    if value[:1] in "\"'":
        return f"{key}{separator}{value[0]}{REDACTED}{value[0]}"
    return f"{key}{separator}{REDACTED}"


def _redact_at(match: re.Match[str]) -> str:
    name, raw = match.group(1).upper(), match.group(2)
    fields = _split_fields(raw)
    secret_from = _secret_index(name, fields)
    if secret_from is None or len(fields) <= secret_from:
        return match.group(0)
    kept = fields[:secret_from]
    return f"{match.group(1)}={','.join([*kept, REDACTED])}"


def _secret_index(name: str, fields: list[str]) -> int | None:
    if name in SECRET_AT_PARAMS:
        return SECRET_AT_PARAMS[name]
    index, options = SECRET_AT_WHEN_OPTION[name]
    if len(fields) > index and fields[index].strip().strip('"') in options:
        return index + 1
    return None


def _split_fields(raw: str) -> list[str]:
    """Comma-separated AT parameters; commas inside quotes do not split."""
    fields: list[str] = []
    current: list[str] = []
    quoted = False
    for char in raw:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            fields.append("".join(current))
            current = []
            continue
        current.append(char)
    fields.append("".join(current))
    return fields
