"""What AT lines mean: final result codes, URC prefixes, boot lines, and how particular commands
behave (prompts, vendor finals, lines that end a command). Tables are the union over the dialects
we support, so captures decode without knowing the vendor. Source: modem-at-reference.md §0.1, §1,
§2, §3.3."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

# --- final result codes -------------------------------------------------------------------------

OK_FINALS = frozenset({"OK"})
ERROR_FINALS = frozenset({"ERROR", "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE", "COMMAND NOT SUPPORT"})
CME_PREFIX = "+CME ERROR:"
CMS_PREFIX = "+CMS ERROR:"

# ATV0 numeric result codes (terminated by CR alone).
NUMERIC_FINALS = {
    "0": "OK",
    "1": "CONNECT",
    "3": "NO CARRIER",
    "4": "ERROR",
    "6": "NO DIALTONE",
    "7": "BUSY",
    "8": "NO ANSWER",
}

# --- unsolicited result codes ---------------------------------------------------------------------

# Lines that are URCs in their entirety.
URC_LINES = frozenset(
    {
        "RING",
        "RDY",
        "APP RDY",
        "SMS Ready",
        "Call Ready",
        "POWERED DOWN",
        "NORMAL POWER DOWN",
        "PSM POWER DOWN",
        "Ready",
        # Late boot banners (SIMCom SIM7500/SIM7600 "SMS DONE" / "PB DONE", phonebook "+PBREADY"):
        # they may come between a command and its final and are never part of the answer.
        "SMS DONE",
        "PB DONE",
        "+PBREADY",
    }
)

# Lines that announce a (re)boot. "+CFUN: 1" is part of boot sequences too but is also a normal
# answer to AT+CFUN?, so it is not treated as evidence of a reboot.
BOOT_LINES = frozenset({"RDY", "APP RDY", "Ready"})
BOOT_PREFIXES = ("+KSUP:",)

# Prefixes (up to and including the colon) of URCs. Generic 27.007/27.005 first, then vendors.
URC_PREFIXES = frozenset(
    {
        # 3GPP
        "+CREG:", "+CGREG:", "+CEREG:", "+C5GREG:", "+CGEV:", "+CMTI:", "+CMT:", "+CDS:", "+CDSI:",
        "+CBM:", "+CSCON:", "+CEDRXP:", "+CIEV:", "+CTZV:", "+CTZE:", "+CTZEU:", "+CPIN:", "+CFUN:",
        "+CUSD:", "+CRING:",
        # Quectel
        "+QIURC:", "+QIOPEN:", "+QIND:", "+QUSIM:", "+QSSLURC:", "+QSSLOPEN:", "+QPSMTIMER:",
        "+QCOAPURC:", "+QMTSTAT:", "+QMTRECV:", "+QMTOPEN:", "+QMTCONN:", "+QMTPUB:", "+QMTSUB:",
        # Nordic
        "%XSIM:", "%MDMEV:", "%XMODEMSLEEP:", "%CESQ:", "%XT3412:", "%NCELLMEAS:", "%XTIME:",
        "#XDATAMODE:", "#XUDPDATA:", "#XTCPDATA:", "#XCOAPCDATA:", "#XCOAPCSTAT:", "#XAPOLL:", "#XPOLL:",
        # u-blox
        "+UUSORF:", "+UUSORD:", "+UUSOCL:", "+UUSOCO:", "+UUPSDA:", "+UUPSDD:", "+UUSIMSTAT:",
        "+UUPING:", "+UULOC:", "+UUMQTTC:", "+UUHTTPCR:", "+UUFTPCR:", "+UUCOAPCR:",
        # SIMCom
        "+APP PDP:", "+CADATAIND:", "+CASTATE:", "+CCOAPRECV:", "+SMSUB:", "*PSNWID:", "*PSUTTZ:",
        "DST:", "+PDP:", "+CPSMSTATUS:", "+CSMINS:", "+RECEIVE,",
        # Telit
        "SRING:", "#QSS:", "#PSNT:",
        # Sierra Wireless
        "+KSUP:", "+KUDP_DATA:", "+KUDP_IND:", "+KTCP_DATA:", "+KTCP_NOTIF:", "+KSTATEV:",
    }
)  # fmt: skip

# URCs whose next line is their body (PDU or text).
TWO_LINE_URCS = frozenset({"+CMT:", "+CDS:", "+CBM:"})
# Information lines whose next line is their body (message PDU or text), never a URC.
TWO_LINE_INFO = frozenset({"+CMGR:", "+CMGL:"})

# Async results of SIMCom's classic stack in multi-connection mode: "0, CONNECT OK", "1, CLOSED".
_SIMCOM_CONNECTION_URC = re.compile(r"^\d, (?:CONNECT OK|CONNECT FAIL|ALREADY CONNECT|CLOSED)$")

# Registration lines: the read form carries <n> first ("+CEREG: 2,5,..."), the URC does not
# ("+CEREG: 5" or "+CEREG: 5,\"1A2B\",..."). Reference §1.4.
REGISTRATION_PREFIXES = frozenset({"+CREG:", "+CGREG:", "+CEREG:", "+C5GREG:"})


def line_prefix(line: str) -> str | None:
    """The "+XYZ:"-style prefix of a line, or None for a bare line."""
    if not line or line[0] not in "+%#*^$":
        if line.startswith(("SRING:", "DST:")):
            return line[: line.index(":") + 1]
        return None
    colon = line.find(":")
    if colon < 0:
        return "+RECEIVE," if line.startswith("+RECEIVE,") else None
    return line[: colon + 1]


def is_urc_line(line: str, prefix: str | None) -> bool:
    """Whether a line is a URC when no command claims it."""
    if prefix is not None:
        return prefix in URC_PREFIXES
    return line in URC_LINES or bool(_SIMCOM_CONNECTION_URC.match(line))


def is_boot_line(line: str) -> bool:
    return line in BOOT_LINES or line.startswith(BOOT_PREFIXES)


def is_registration_read_form(line: str, prefix: str) -> bool:
    """True for the solicited "+CEREG: <n>,<stat>[,...]" shape, False for the URC shape."""
    fields = line[len(prefix) :].split(",", 2)
    return len(fields) >= 2 and not fields[1].lstrip().startswith('"')


def unsolicited_by_shape(line: str, prefix: str) -> bool | None:
    """For prefixes that are both a command's answer and a URC, tell them apart by the line's
    shape: True = URC, False = answer, None = no rule for this prefix."""
    if prefix in REGISTRATION_PREFIXES:
        return not is_registration_read_form(line, prefix)
    if prefix == "+CIPRXGET:":
        # "+CIPRXGET: 1,<id>" announces data; the read answers "+CIPRXGET: 2,..." (reference §2.6).
        return line[len(prefix) :].lstrip().startswith("1,")
    return None


# --- per-command behaviour -------------------------------------------------------------------------

_COMMAND_NAME = re.compile(r"^AT([+%#$^*&][A-Z0-9_]+|[A-Z&][0-9]*)", re.IGNORECASE)
_IPV4_LINE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


@dataclass(frozen=True)
class CommandBehaviour:
    """How a command ends and what it says besides OK/ERROR."""

    prompt: bool = False  # waits for "> " / "@" before payload
    success_finals: frozenset[str] = frozenset()  # extra lines that end it successfully
    failure_finals: frozenset[str] = frozenset()  # extra lines that end it with an error
    final_pattern: re.Pattern[str] | None = None  # a line that both carries the answer and ends it
    expects_reboot: bool = False  # a boot URC after it is expected, not an error
    final_connect: bool = False  # CONNECT ends it (dial, online data mode)


_SEND_OK = frozenset({"SEND OK"})
_SEND_FAIL = frozenset({"SEND FAIL"})
_CIP_SEND_OK = frozenset({"SEND OK", *(f"{n}, SEND OK" for n in range(8))})
_CIP_SEND_FAIL = frozenset({"SEND FAIL", *(f"{n}, SEND FAIL" for n in range(8))})

_BEHAVIOURS: dict[str, CommandBehaviour] = {
    "+CMGS": CommandBehaviour(prompt=True),
    "+CMGW": CommandBehaviour(prompt=True),
    "+QISEND": CommandBehaviour(prompt=True, success_finals=_SEND_OK, failure_finals=_SEND_FAIL),
    "+QSSLSEND": CommandBehaviour(prompt=True, success_finals=_SEND_OK, failure_finals=_SEND_FAIL),
    "+CIPSEND": CommandBehaviour(
        prompt=True,
        success_finals=_CIP_SEND_OK | {f"DATA ACCEPT:{n}" for n in range(8)},
        failure_finals=_CIP_SEND_FAIL,
    ),
    "+CASEND": CommandBehaviour(prompt=True),
    "#SSENDEXT": CommandBehaviour(prompt=True),
    "#SSENDUDPEXT": CommandBehaviour(prompt=True),
    "#SSEND": CommandBehaviour(prompt=True),
    "+CIFSR": CommandBehaviour(final_pattern=_IPV4_LINE),
    "+CIPCLOSE": CommandBehaviour(
        success_finals=frozenset({"CLOSE OK", *(f"{n}, CLOSE OK" for n in range(8))})
    ),
    "+CIPSHUT": CommandBehaviour(success_finals=frozenset({"SHUT OK"})),
    "D": CommandBehaviour(final_connect=True),
}

_REBOOTING = CommandBehaviour(expects_reboot=True)
_REBOOT_COMMANDS = {"+CREBOOT", "#REBOOT", "#XRESET", "+CPWROFF", "+QPOWD", "+CPOWD", "Z", "+TRB"}


def command_name(command: str) -> str | None:
    """ "AT+CSQ" -> "+CSQ", "AT%XICCID" -> "%XICCID", "ATI" -> "I", "ATD*99#" -> "D"."""
    match = _COMMAND_NAME.match(command.strip())
    return match.group(1).upper() if match else None


def info_prefixes(command: str) -> frozenset[str]:
    """Prefixes of the information lines a command answers with ("AT+CSQ" -> {"+CSQ:"}); chained
    commands ("AT+CMEE=1;+CREG=2") contribute one prefix per part."""
    prefixes: set[str] = set()
    for index, part in enumerate(command.strip().split(";")):
        name = command_name(part if index == 0 else "AT" + part.strip())
        if name and name[0] in "+%#$^*":
            prefixes.add(name + ":")
    return frozenset(prefixes)


def behaviour_of(command: str) -> CommandBehaviour:
    """The behaviour table entry for a command line (default: plain OK/ERROR)."""
    text = command.strip().upper().replace(" ", "")
    name = command_name(text)
    if name is None:
        return CommandBehaviour()
    if name == "+CFUN":
        args = text.split("=", 1)[1] if "=" in text else ""
        # Quectel CFUN=1,1 reboots; u-blox CFUN=15/16 reset the module.
        if args in {"1,1", "15", "16"}:
            return _REBOOTING
        return CommandBehaviour()
    if name in _REBOOT_COMMANDS:
        return _REBOOTING
    if name in {"+USOST", "+USOWR"}:
        # Binary form: a length and no data -> '@' prompt (reference §2.4).
        args = text.split("=", 1)[1] if "=" in text else ""
        return CommandBehaviour(prompt=not args.endswith('"'))
    return _BEHAVIOURS.get(name, CommandBehaviour())


@dataclass(frozen=True)
class CommandSpec:
    """Everything the session needs to know about a command in flight."""

    text: str
    prefixes: frozenset[str] = field(default_factory=frozenset)
    behaviour: CommandBehaviour = field(default_factory=CommandBehaviour)

    @classmethod
    def for_command(cls, text: str, **overrides: object) -> CommandSpec:
        if not overrides:
            return _spec_for(text)
        behaviour = behaviour_of(text)
        if overrides:
            behaviour = CommandBehaviour(**{**behaviour.__dict__, **overrides})
        return cls(text=text.strip(), prefixes=info_prefixes(text), behaviour=behaviour)


@functools.lru_cache(maxsize=1024)
def _spec_for(text: str) -> CommandSpec:
    """Specs of plain commands, cached: polling loops send the same few lines over and over."""
    return CommandSpec(text=text.strip(), prefixes=info_prefixes(text), behaviour=behaviour_of(text))
