"""Differential test: the firmware's C AT reader (hil.firmware.at_reader, through cffi) and the
Python engine's sans-I/O core (at_commands.session.AtSession) fed the same byte streams, split at
the same chunk boundaries, must agree command by command: info lines, final (kind, line, code),
prompt seen, binary payload, URCs while it was pending; and on the idle URCs, boots and stray lines
between commands, in order.

Inputs: every capture in tests/data/captures, the 12 streams of tests/c/at_reader_main.c, and
hypothesis-generated BG95 / nRF91 conversations (echo on/off, errors, prompts, binary reads, URCs
anywhere between lines, two-line +CMT, boot banners, late finals after a timeout), each split at
chunk boundaries hypothesis chooses. Only the deliberate differences documented in nce_at.h are
normalised, in normalise_deliberate_differences().
"""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from at_commands import grammar
from at_commands.errors import AtCommandError, CmeError, CmsError, ModemRebootedError
from at_commands.grammar import CommandSpec
from at_commands.session import (
    AtSession,
    CommandDone,
    PromptEvent,
    RebootEvent,
    Response,
    StrayEvent,
    UrcEvent,
)
from hil.firmware.at_reader import capture_segments

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a host C compiler")

CAPTURES = Path(__file__).parent / "data" / "captures"

# -- what is compared ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """The host sent a command line."""

    command: str


@dataclass(frozen=True)
class Modem:
    """Bytes from the modem, in the chunks they arrive in."""

    chunks: tuple[bytes, ...]


@dataclass(frozen=True)
class Abandon:
    """The host gave up on the pending command (timeout)."""


Step = Start | Modem | Abandon

UrcSeen = tuple[str, str | None, bytes | None]  # line, body, payload


@dataclass
class Command:
    command: str
    info: list[str] = field(default_factory=list)
    final: tuple[object, ...] | None = None  # ("OK"|"ERROR"|"CME"|"CMS"|"REBOOTED", line[, code])
    prompted: bool = False
    data: bytes | None = None
    urcs: list[UrcSeen] = field(default_factory=list)

    def add_data(self, data: bytes) -> None:
        self.data = data if self.data is None else self.data + data


Entry = Command | tuple[object, ...]  # a command, or an idle ("urc" | "boot" | "stray" | ...) entry


# -- the Python side -----------------------------------------------------------------------------------


def _python_final(response: Response) -> tuple[object, ...]:
    error = response.error
    if isinstance(error, ModemRebootedError):
        return ("REBOOTED", response.final)
    if isinstance(error, CmeError):
        return ("CME", response.final, -1 if error.code is None else error.code)
    if isinstance(error, CmsError):
        return ("CMS", response.final, -1 if error.code is None else error.code)
    if isinstance(error, AtCommandError):
        return ("ERROR", response.final)
    return ("OK", response.final)


def _python_command(response: Response, final: tuple[object, ...] | None) -> Command:
    return Command(
        command=response.command,
        info=list(response.info),
        final=final,
        prompted=response.prompted,
        data=response.data,
        urcs=[(u.line, u.body, u.data) for u in response.urcs],
    )


def run_python(steps: Sequence[Step]) -> list[Entry]:
    session = AtSession()
    out: list[Entry] = []
    open_command = False

    def give_up() -> None:
        nonlocal open_command
        if open_command:
            response = session.abandon()
            assert response is not None
            out.append(_python_command(response, None))
            open_command = False

    for step in steps:
        if isinstance(step, Start):
            give_up()
            session.start(CommandSpec.for_command(step.command), now=0.0)
            open_command = True
        elif isinstance(step, Abandon):
            give_up()
        else:
            for chunk in step.chunks:
                for event in session.feed(chunk, now=0.0):
                    if isinstance(event, CommandDone):
                        out.append(_python_command(event.response, _python_final(event.response)))
                        open_command = False
                    elif isinstance(event, UrcEvent) and not open_command:
                        out.append(("urc", event.urc.line, event.urc.body, event.urc.data))
                    elif isinstance(event, RebootEvent):
                        out.append(("reboot", event.line))
                    elif isinstance(event, StrayEvent):
                        out.append(("stray", event.line))
                    elif isinstance(event, PromptEvent) and not open_command:
                        out.append(("prompt", event.prompt))
    give_up()
    return out


# -- the C side ----------------------------------------------------------------------------------------


def run_c(steps: Sequence[Step]) -> list[Entry]:
    from hil.firmware.at_reader import CAtReader, EventKind, FinalKind

    reader = CAtReader()
    out: list[Entry] = []
    current: Command | None = None

    def give_up() -> None:
        nonlocal current
        if current is not None:
            reader.abandon()
            out.append(current)
            current = None

    finals = {FinalKind.OK: "OK", FinalKind.ERROR: "ERROR", FinalKind.CME: "CME", FinalKind.CMS: "CMS"}
    for step in steps:
        if isinstance(step, Start):
            give_up()
            reader.start(step.command)
            current = Command(command=step.command.strip())
        elif isinstance(step, Abandon):
            give_up()
        else:
            for chunk in step.chunks:
                for event in reader.feed(chunk):
                    kind = event.kind
                    if kind == EventKind.NOISE:
                        continue
                    if current is not None and kind == EventKind.INFO:
                        current.info.append(event.line)
                    elif current is not None and kind == EventKind.FINAL:
                        name = finals[event.final]
                        final: tuple[object, ...] = (name, event.line)
                        current.final = (*final, event.code) if name in ("CME", "CMS") else final
                        out.append(current)
                        current = None
                    elif current is not None and kind == EventKind.PROMPT:
                        current.prompted = True
                    elif current is not None and kind == EventKind.BINARY:
                        current.add_data(event.data or b"")
                    elif current is not None and kind == EventKind.URC:
                        current.urcs.append((event.line, event.body, event.data))
                    elif kind == EventKind.BOOT:
                        if current is not None and event.command_ended:
                            current.final = ("REBOOTED", event.line)
                            out.append(current)
                            current = None
                        out.append(("boot", event.line))
                    elif kind == EventKind.URC:
                        out.append(("urc", event.line, event.body, event.data))
                    elif kind == EventKind.STRAY:
                        out.append(("stray", event.line, event.final != FinalKind.NONE))
                    else:
                        out.append((kind.name.lower(), event.line))
    give_up()
    # Inputs stay within NCE_AT_LINE_MAX (see normalise_deliberate_differences).
    assert reader.overlong_lines == 0, f"an input line is over NCE_AT_LINE_MAX: {list(steps)!r}"
    return out


# -- the documented differences (nce_at.h), and nothing else -------------------------------------------

_BINARY_MAX = 1500  # NCE_AT_BINARY_MAX
_CARECV = re.compile(r"^\+CARECV: (\d+),$")


def normalise_deliberate_differences(
    steps: Sequence[Step], python: list[Entry], c: list[Entry]
) -> tuple[list[Entry], list[Entry]]:
    """Both sides' entries with the deliberate differences of nce_at.h mapped onto one form."""
    # Line-length limits: C keeps lines up to NCE_AT_LINE_MAX and payloads up to NCE_AT_BINARY_MAX
    # (AtSession 4096 / 65536). Inputs stay within both (run_c asserts that the C reader dropped
    # no overlong line; generated payloads are at most _BINARY_MAX), so nothing is mapped.
    for step in steps:
        # ATV0 numeric results: not supported by C; no input switches verbose results off.
        if isinstance(step, Start):
            assert not re.match(r"^AT(?:[A-Z&][0-9]*)*?V0", step.command, re.IGNORECASE), step

    py_out: list[Entry] = []
    index = 0
    while index < len(python):
        entry = python[index]
        index += 1
        if isinstance(entry, Command):
            py_out.append(_inline_carecv_as_c_sees_it(entry))
            continue
        if entry[0] == "reboot":
            # BOOT vs RebootEvent + UrcEvent: AtSession reports a boot line twice (RebootEvent, then
            # the line as a Urc); C reports one BOOT event.
            following = python[index] if index < len(python) else None
            if isinstance(following, tuple) and following[:2] == ("urc", entry[1]):
                index += 1
            py_out.append(("boot", entry[1]))
            continue
        if entry[0] == "urc" and not grammar.is_urc_line(str(entry[1]), grammar.line_prefix(str(entry[1]))):
            # STRAY vs idle Urc: an idle line that is no URC (and no final) is a Urc event in
            # AtSession, a STRAY event in C.
            py_out.append(("stray", entry[1]))
            continue
        py_out.append(entry)
    # STRAY carries whether the line is a final; AtSession's StrayEvent is always one, and an idle
    # non-final line became ("stray", line) above: compare the line only.
    c_out = [e[:2] if isinstance(e, tuple) and e[0] == "stray" else e for e in c]
    return py_out, c_out


def _inline_carecv_as_c_sees_it(command: Command) -> Command:
    """Inline +CARECV: not supported by C: its header and payload are ordinary lines there."""
    if command.data is None or not command.info or not _CARECV.match(command.info[-1]):
        return command
    text = (command.info[-1] + command.data.decode("latin-1")).split("\r\n")
    info = command.info[:-1] + [part.strip() for part in text if part.strip()]
    return Command(command.command, info, command.final, command.prompted, None, command.urcs)


def assert_agree(steps: Sequence[Step], where: str) -> None:
    python, c = normalise_deliberate_differences(steps, run_python(steps), run_c(steps))
    if python == c:
        return
    first = next(
        (i for i, (a, b) in enumerate(zip(python, c, strict=False)) if a != b), min(len(python), len(c))
    )
    raise AssertionError(
        f"{where}: C and Python disagree at entry {first}\n"
        f"  python: {python[first] if first < len(python) else '(nothing)'}\n"
        f"  c:      {c[first] if first < len(c) else '(nothing)'}\n"
        f"  steps:  {list(steps)!r}"
    )


# -- captures ------------------------------------------------------------------------------------------


def steps_of(segments: Sequence[tuple[str | None, bytes]], cut: int | None) -> list[Step]:
    """Steps with each segment's bytes whole (cut None) or in chunks of `cut` bytes."""
    steps: list[Step] = []
    for command, data in segments:
        if command is not None:
            steps.append(Start(command))
        if data:
            size = cut or len(data)
            steps.append(Modem(tuple(data[i : i + size] for i in range(0, len(data), size))))
    return steps


CAPTURE_FILES = sorted(CAPTURES.glob("*.txt"))


@pytest.mark.parametrize("path", CAPTURE_FILES, ids=[p.stem for p in CAPTURE_FILES])
@pytest.mark.parametrize("cut", [None, 1, 7, 64])
def test_captures_agree(path: Path, cut: int | None) -> None:
    segments = capture_segments(path.read_text())
    assert any(command for command, _ in segments), f"{path.name}: no command found"
    assert_agree(steps_of(segments, cut), f"{path.name} in chunks of {cut or 'all'}")


@settings(max_examples=20, deadline=None, derandomize=True)
@given(data=st.data())
def test_captures_agree_at_random_chunk_boundaries(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(CAPTURE_FILES))
    steps: list[Step] = []
    for command, stream in capture_segments(path.read_text()):
        if command is not None:
            steps.append(Start(command))
        if stream:
            steps.append(Modem(data.draw(chunked(stream))))
    assert_agree(steps, path.name)


# -- the 12 streams of tests/c/at_reader_main.c ------------------------------------------------------------

C_TEST_STREAMS: list[tuple[str, str | None, bytes]] = [
    ("qird binary", "AT+QIRD=0,1500", b"\r\n+QIRD: 5\r\nA\r\nOK\r\n\r\nOK\r\n"),
    ("qird empty", "AT+QIRD=0,1500", b"\r\n+QIRD: 0\r\n\r\nOK\r\n"),
    ("xrecvfrom", "AT#XRECVFROM=5", b'\r\n#XRECVFROM: 3,"10.0.0.1",5683\r\nabc\r\nOK\r\n'),
    ("echo, info, cme", "AT+CPIN?", b"AT+CPIN?\r\r\n+CME ERROR: 10\r\n"),
    ("cereg read vs urc", "AT+CEREG?", b'\r\n+CEREG: 5,"1A2B","01",7\r\n\r\n+CEREG: 5,5\r\n\r\nOK\r\n'),
    ("prompt and send ok", "AT+QISEND=0,4", b"\r\n> SEND OK\r\n"),
    ("two-line cmt", None, b"\r\n+CMT: ,24\r\n07911326040000F0040B911346610089F60000\r\n"),
    ("cmgr body is info", "AT+CMGR=1", b'\r\n+CMGR: 0,,24\r\n+CMTI: "SM",1\r\nOK\r\n'),
    ("boot cuts a command", "AT+COPS=0", b"\r\nAPP RDY\r\n\r\nOK\r\n"),
    ("idle urc, stray", None, b'\r\n+QIURC: "recv",0\r\nhello\r\nOK\r\n'),
    ("garbage salvaged", "AT", b"\r\n\x01\x02OK\r\n"),
    ("vendor final only for its command", "AT+CSQ", b"\r\nSEND OK\r\nOK\r\n"),
]


@pytest.mark.parametrize(
    ("command", "stream"), [c[1:] for c in C_TEST_STREAMS], ids=[c[0] for c in C_TEST_STREAMS]
)
def test_c_test_streams_agree_at_every_split(command: str | None, stream: bytes) -> None:
    for split in range(len(stream)):
        chunks = (stream,) if split == 0 else (stream[:split], stream[split:])
        steps: list[Step] = [Start(command)] if command else []
        steps.append(Modem(chunks))
        assert_agree(steps, f"split at {split}")


# -- generated conversations ------------------------------------------------------------------------------


def chunked(stream: bytes) -> st.SearchStrategy[tuple[bytes, ...]]:
    """The stream cut at chunk boundaries hypothesis chooses (sometimes byte by byte)."""
    if len(stream) < 2:
        return st.just((stream,))
    cuts = st.lists(st.integers(1, len(stream) - 1), max_size=min(12, len(stream) - 1), unique=True)

    def cut(points: list[int]) -> tuple[bytes, ...]:
        edges = [0, *sorted(points), len(stream)]
        return tuple(stream[a:b] for a, b in itertools.pairwise(edges))

    bytewise = st.just(tuple(stream[i : i + 1] for i in range(len(stream))))
    return st.one_of(cuts.map(cut), bytewise) if len(stream) < 400 else cuts.map(cut)


def framed(line: str) -> bytes:
    return b"\r\n" + line.encode() + b"\r\n"


TWO_LINE_INFO = re.compile(rb"^\r\n\+CMG[RL]: [^\r\n]*\r\n$")
PDU = "07911326040000F0040B911346610089F60000208062917314080CC8329BFD065DDF72363904"

URCS: list[bytes] = [
    framed('+CEREG: 5,"1A2B","01A2B3C4",9'),
    framed("+CEREG: 1"),
    framed('+CEREG: 2,"B4DC","000AE520",9'),
    framed('+CMTI: "SM",3'),
    framed('+CMTI: "ME",12'),
    framed('+QIURC: "recv",0'),
    framed('+QIURC: "closed",0'),
    framed('+QIURC: "pdpdeact",1'),
    framed("+QIOPEN: 0,0"),
    framed("+CGEV: ME PDN ACT 0"),
    framed("%XSIM: 1"),
    framed("+CSCON: 1"),
    framed("+CSCON: 0"),
    framed("RING"),
    b'\r\n+CMT: "+358401234567",24\r\n' + PDU.encode() + b"\r\n",
    b"\r\n+CMT: ,24\r\n" + PDU.encode() + b"\r\n",
    b'\r\n#XUDPDATA: 5,"127.0.0.1",4445\r\nhello\r\n',
    b"\r\n#XUDPDATA: 6\r\n\x00\r\nOK\xff\r\n",
]
BOOTS: list[list[bytes]] = [
    [
        framed("RDY"),
        framed("+CFUN: 1"),
        framed("+CPIN: READY"),
        framed("+QUSIM: 1"),
        framed("+QIND: SMS DONE"),
    ],
    [framed("RDY"), framed("APP RDY")],
    [framed("Ready")],
]
CME_CODES = st.sampled_from([3, 4, 10, 13, 14, 30, 50, 100, 515])
CMS_CODES = st.sampled_from([300, 302, 304, 310, 321, 500, 512])


@dataclass(frozen=True)
class Answer:
    """What the modem says to a command: parts (URCs may come between them) and how it ends."""

    parts: tuple[bytes, ...]
    after: tuple[bytes, ...] = ()  # what follows the final (a reboot, an async URC)


def plain(info: Sequence[str]) -> st.SearchStrategy[Answer]:
    """Info lines and OK, or an error. URCs may come between the info lines, except between a
    +CMGR:/+CMGL: header and its body line."""
    parts: list[bytes] = []
    for line in info:
        if parts and TWO_LINE_INFO.match(parts[-1]):
            parts[-1] += line.encode() + b"\r\n"
        else:
            parts.append(framed(line))
    ok = Answer((*parts, framed("OK")))
    return st.one_of(st.just(ok), errors())


def errors() -> st.SearchStrategy[Answer]:
    return st.one_of(
        st.just(Answer((framed("ERROR"),))),
        CME_CODES.map(lambda n: Answer((framed(f"+CME ERROR: {n}"),))),
    )


def payloads(max_size: int = 64) -> st.SearchStrategy[bytes]:
    special = st.sampled_from([b"OK\r\n", b'\r\n+CMTI: "SM",1\r\n', b"ERROR", b"> ", b"\r\r\n", b"RDY\r\n"])
    return st.one_of(st.binary(max_size=max_size), special, st.binary(min_size=1000, max_size=_BINARY_MAX))


def binary_read(header: str) -> st.SearchStrategy[Answer]:
    def answer(payload: bytes) -> Answer:
        head = header.format(n=len(payload))
        return Answer((b"\r\n" + head.encode() + b"\r\n" + payload + b"\r\n", framed("OK")))

    return st.one_of(payloads().map(answer), errors())


def send_with_prompt(finals: Sequence[str]) -> st.SearchStrategy[Answer]:
    prompted = st.sampled_from(finals).map(lambda final: Answer((b"\r\n> ", framed(final))))
    return st.one_of(prompted, errors())


def sms_send() -> st.SearchStrategy[Answer]:
    sent = Answer((b"\r\n> ", framed("+CMGS: 7") + b"\r\nOK\r\n"))
    return st.one_of(st.just(sent), CMS_CODES.map(lambda n: Answer((b"\r\n> ", framed(f"+CMS ERROR: {n}")))))


def rebooting(final: str | None) -> st.SearchStrategy[Answer]:
    head = (framed(final),) if final else ()
    return st.sampled_from(BOOTS).map(lambda boot: Answer(head, tuple(boot)))


COMMANDS: list[tuple[str, st.SearchStrategy[Answer]]] = [
    ("AT", plain([])),
    ("ATI", plain(["Quectel", "BG95-M3", "Revision: BG95M3LAR02A03"])),
    ("AT+CGMR", plain(["mfw_nrf9160_1.3.5"])),
    ("AT+CGSN", plain(["867730051234567"])),
    ("AT+CIMI", plain(["901405100000001"])),
    ("AT+QCCID", plain(["+QCCID: 89882390000262826558"])),
    ("AT%XICCID", plain(["%XICCID: 8988239000026282655F"])),
    ("AT+CSQ", plain(["+CSQ: 20,99"])),
    ("AT+CESQ", plain(["+CESQ: 99,99,255,255,20,45"])),
    ("AT+CEREG?", plain(['+CEREG: 2,5,"1A2B","01A2B3C4",9'])),
    ("AT+CEREG=5", plain([])),
    ("AT+COPS?", plain(['+COPS: 0,0,"1NCE",9'])),
    ("AT+CPIN?", plain(["+CPIN: READY"])),
    ("AT+CFUN?", plain(["+CFUN: 1"])),
    ("AT+CGDCONT?", plain(['+CGDCONT: 1,"IP","iot.1nce.net","10.1.2.3",0,0'])),
    ('AT+CGDCONT=1,"IP","iot.1nce.net"', plain([])),
    ("AT+QIACT?", plain(['+QIACT: 1,1,1,"10.1.2.3"'])),
    ("AT%XSYSTEMMODE=0,1,1,0", plain([])),
    ("AT+CMEE=1", plain([])),
    ("AT+CMGF=0", plain([])),
    ("AT+CNMI=2,1,0,0,0", plain([])),
    ("AT#XSOCKET=1,2,0", plain(["#XSOCKET: 0,2,17"])),
    ('AT#XSENDTO="127.0.0.1",4445,"hello"', plain(["#XSENDTO: 5"])),
    ("AT+CMGD=1", plain([])),
]
# Commands whose answers have more to them (async results, bodies, payloads, prompts, reboots):
# drawn as often as all the plain ones together.
SPECIAL_COMMANDS: list[tuple[str, st.SearchStrategy[Answer]]] = [
    (
        'AT+QIOPEN=1,0,"UDP","127.0.0.1",4445,0,0',
        st.one_of(st.just(Answer((framed("OK"),), (framed("+QIOPEN: 0,0"),))), errors()),
    ),
    ("AT+CMGR=1", plain(["+CMGR: 0,,24", PDU])),
    ("AT+CMGL=4", plain(["+CMGL: 1,0,,24", PDU, "+CMGL: 2,1,,24", PDU])),
    ("AT+QIRD=0,1500", binary_read("+QIRD: {n}")),
    ("AT+QIRD=0,1500", binary_read('+QIRD: {n},"127.0.0.1",4445')),
    ("AT#XRECVFROM=1500", binary_read('#XRECVFROM: {n},"127.0.0.1",4445')),
    ("AT+QISEND=0,5", send_with_prompt(["SEND OK", "SEND FAIL", "ERROR"])),
    ("AT+CMGS=24", sms_send()),
    ("AT+CFUN=1,1", st.one_of(rebooting("OK"), rebooting(None))),
    ("AT#XRESET", st.one_of(rebooting("OK"), rebooting(None))),
    ("AT+QPOWD", st.just(Answer((framed("OK"),), (framed("POWERED DOWN"),)))),
]


@st.composite
def conversations(draw: st.DrawFn) -> list[Step]:
    """A BG95 / nRF91 conversation as host steps and modem chunks."""
    echo = draw(st.booleans())
    steps: list[Step] = []

    def modem(parts: Sequence[bytes]) -> None:
        stream = b"".join(parts)
        if stream:
            steps.append(Modem(draw(chunked(stream))))

    def with_urcs(parts: Sequence[bytes]) -> list[bytes]:
        out: list[bytes] = []
        for part in parts:
            out += draw(st.lists(st.sampled_from(URCS), max_size=2))
            out.append(part)
        return out

    for _ in range(draw(st.integers(1, 6))):
        modem(draw(st.lists(st.sampled_from(URCS), max_size=2)))
        kind = draw(st.sampled_from(["command", "command", "command", "echo", "timeout", "cut", "boot"]))
        if kind == "echo":
            command = draw(st.sampled_from(["ATE0", "ATE1"]))
            steps.append(Start(command))
            modem([command.encode() + b"\r" if echo else b"", framed("OK")])
            echo = command == "ATE1"
            continue
        if kind == "boot":
            modem(draw(st.sampled_from(BOOTS)))
            echo = True  # echo is on again after every power-up
            continue
        command, answers = draw(st.one_of(st.sampled_from(COMMANDS), st.sampled_from(SPECIAL_COMMANDS)))
        answer = draw(answers)
        steps.append(Start(command))
        echoed = [command.encode() + b"\r"] if echo else []
        body = list(answer.parts)
        if kind == "timeout" and body:
            # The answer does not end in time: the host gives up, and the final arrives late.
            modem(echoed + with_urcs(body[:-1]))
            steps.append(Abandon())
            modem([*draw(st.lists(st.sampled_from(URCS), max_size=1)), body[-1]])
            continue
        if kind == "cut" and body:
            # The modem restarts in the middle of the answer.
            modem(echoed + with_urcs(body[:-1]) + draw(st.sampled_from(BOOTS)))
            echo = True
            continue
        modem(echoed + with_urcs(body) + list(answer.after))
        if answer.after and answer.after[0] in (framed("RDY"), framed("Ready")):
            echo = True
    return steps


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(conversations())
def test_generated_conversations_agree(steps: list[Step]) -> None:
    assert_agree(steps, "generated conversation")


# -- regressions: disagreements the differential test found (the Python side was wrong) ----------------


def _feed_all(session: AtSession, *chunks: bytes) -> list[object]:
    return [event for chunk in chunks for event in session.feed(chunk, now=0.0)]


def test_session_keeps_the_bytes_after_a_boot_line_in_the_same_chunk() -> None:
    # A boot line reset the tokenizer, dropping "+CF" that had arrived behind it.
    session = AtSession()
    session.start(CommandSpec.for_command("AT+QIACT=1"), now=0.0)
    events = _feed_all(session, b"\r\nAPP R", b"DY\r\n+CF", b"UN: 1\r\n")
    urcs = [e.urc.line for e in events if isinstance(e, UrcEvent)]
    assert urcs == ["APP RDY", "+CFUN: 1"], events


def test_session_empty_binary_read_belongs_to_its_header() -> None:
    # "+QIRD: 0": the empty payload came before its header line, so it was noise with no owner.
    session = AtSession()
    session.start(CommandSpec.for_command("AT+QIRD=0,1500"), now=0.0)
    events = _feed_all(session, b"\r\n+QIRD: 0\r", b"\n\r\nOK\r\n")
    done = [e for e in events if isinstance(e, CommandDone)]
    assert done and done[0].response.data == b"" and not done[0].response.noise, events
    # ...and its header's CR at a chunk end left a stale "skip LF" that ate the next payload's LF.
    session.start(CommandSpec.for_command("AT+QIRD=0,1500"), now=0.0)
    events = _feed_all(session, b"\r\n+QIRD: 2\r\n\n\n\r\nOK\r\n")
    assert [e.response.data for e in events if isinstance(e, CommandDone)] == [b"\n\n"], events


@pytest.mark.parametrize(
    "chunks", [(b"\r\n> SEND OK\r\n",), (b"\r\n>", b" \r\nSEND OK\r\n"), (b"\r\n> S", b"END OK\r\n")]
)
def test_session_prompt_is_a_prompt_whatever_follows_in_the_chunk(chunks: tuple[bytes, ...]) -> None:
    # A prompt has no line end: "> " followed by more bytes in one chunk was an info line.
    session = AtSession()
    session.start(CommandSpec.for_command("AT+QISEND=0,4"), now=0.0)
    events = _feed_all(session, *chunks)
    assert isinstance(events[0], PromptEvent) and events[0].prompt == ">", events
    done = [e.response for e in events if isinstance(e, CommandDone)]
    assert [(r.final, r.info, r.prompted) for r in done] == [("SEND OK", [], True)], events


def test_c_noise_of_an_unowned_payload_has_its_line_length() -> None:
    # The fuzz run's event check: NOISE "payload with no owner" came with line_len 0.
    from hil.firmware.at_reader import CAtReader, EventKind

    reader = CAtReader()
    events = reader.feed(b"\r\n#XRECV: 3\r\nabc\r\n")
    noise = [e for e in events if e.kind == EventKind.NOISE]
    assert [(e.line, e.data) for e in noise] == [("payload with no owner", b"abc")], events


# -- the sanitizer fuzz run (bounded; bench/fuzz/run_c_at_fuzz.py runs it longer) -----------------------


def test_c_reader_fuzz_run_is_clean_under_asan_and_ubsan() -> None:
    import subprocess
    import sys

    runner = Path(__file__).resolve().parents[1] / "bench" / "fuzz" / "run_c_at_fuzz.py"
    result = subprocess.run(
        [sys.executable, str(runner), "--seconds", "3", "--seed", "7"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"fuzz run failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    figures = re.search(r"iterations (\d+) bytes (\d+) events (\d+)", result.stdout)
    assert figures is not None, result.stdout
    assert int(figures.group(1)) > 0 and int(figures.group(3)) > 0, result.stdout
