"""rigs.yaml: a good file loads into RigSpecs; every kind of mistake names file, line, key and
what was expected, all at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hil.rig.rigfile import (
    PowerSpec,
    RigFileError,
    RigSelectionError,
    load_rigs,
    parse_tag_filters,
    redact_url,
    select_rigs,
)

GOOD = """\
rigs:
  - name: bench-1
    board: mps2-an385
    console: /dev/ttyACM0
    modem_port: socket://127.0.0.1:7001
    dialect: bg96
    iccid: "89882280666027595044"
    flasher: pyocd
    probe: "0240000032044e45000b700ddd"
    power: {kind: simplerest, url: "http://127.0.0.1:8080/relay/{index}/{value}", index: 1}
    tags: {modem: bg96, rat: nb-iot, rf: shielded}
  - name: bench-2
    modem_port: rfc2217://127.0.0.1:4000
    power: {kind: tasmota, url: "http://127.0.0.1:8081", index: 2, delay: 0.5}
    tags: {modem: bg95, rat: lte-m, slot: 3}
  - name: virtual-1
    backend: virtual
    board: mps2-an385
    dialect: bg95
"""


A = "rigs:\n  - name: a\n    modem_port: /dev/ttyUSB0\n"  # a minimal rig, for appending


def write(tmp_path: Path, text: str) -> Path:
    boards = tmp_path / "boards"
    boards.mkdir(exist_ok=True)
    (boards / "mps2-an385.yaml").write_text("name: mps2-an385\n")
    path = tmp_path / "rigs.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def load(tmp_path: Path, text: str) -> list:  # type: ignore[type-arg]
    return load_rigs(write(tmp_path, text), boards_dir=tmp_path / "boards")


def problems(tmp_path: Path, text: str) -> RigFileError:
    with pytest.raises(RigFileError) as caught:
        load(tmp_path, text)
    return caught.value


def test_good_file_loads_every_field(tmp_path: Path) -> None:
    rigs = load(tmp_path, GOOD)
    assert [rig.name for rig in rigs] == ["bench-1", "bench-2", "virtual-1"]
    first = rigs[0]
    assert first.backend == "local"
    assert first.board == "mps2-an385"
    assert first.console == "/dev/ttyACM0"
    assert first.modem_port == "socket://127.0.0.1:7001"
    assert first.dialect == "bg96"
    assert first.iccid == "8988228066602759504"  # the API's 19-digit form, Luhn digit checked
    assert first.flasher == "pyocd"
    assert first.probe == "0240000032044e45000b700ddd"
    assert first.power == PowerSpec("simplerest", "http://127.0.0.1:8080/relay/{index}/{value}", 1)
    assert dict(first.tags) == {"modem": "bg96", "rat": "nb-iot", "rf": "shielded"}
    assert first.source.endswith("rigs.yaml:2")
    assert rigs[1].power == PowerSpec("tasmota", "http://127.0.0.1:8081", 2, 0.5)
    assert rigs[1].tags["slot"] == "3"  # numbers become text so --tag slot=3 matches
    assert rigs[2].backend == "virtual" and rigs[2].source.endswith("rigs.yaml:16")


def test_unknown_key_names_line_and_the_keys_that_exist(tmp_path: Path) -> None:
    error = problems(tmp_path, "rigs:\n  - name: a\n    modem_port: /dev/ttyUSB2\n    consol: /dev/ttyACM0\n")
    assert error.file.endswith("rigs.yaml")
    assert (error.line, error.key) == (4, "rigs[0].consol")
    assert "one of the keys name, backend, board, console" in error.expected
    assert str(error).startswith(f"{error.file}:4: rigs[0].consol: expected one of the keys")


def test_duplicate_names_point_at_the_first(tmp_path: Path) -> None:
    error = problems(tmp_path, A + "  - name: a\n    modem_port: /dev/ttyUSB1\n")
    assert (error.line, error.key) == (4, "rigs[1].name")
    assert "already used on line 2" in error.expected


def test_duplicate_yaml_key_is_not_silently_overwritten(tmp_path: Path) -> None:
    error = problems(tmp_path, A + "    modem_port: /dev/ttyUSB1\n")
    assert (error.line, error.key) == (4, "rigs[0].modem_port")
    assert "first given on line 3" in error.expected


@pytest.mark.parametrize(
    ("port", "fragment"),
    [
        ("ttyUSB0", "serial device path"),
        ("socket://127.0.0.1", "HOST:PORT"),
        ("socket://127.0.0.1:99999", "HOST:PORT"),
        ("gopher://127.0.0.1:70", "no 'gopher' URL handler"),
        ("", "serial device path"),
    ],
)
def test_bad_serial_urls(tmp_path: Path, port: str, fragment: str) -> None:
    error = problems(tmp_path, f"rigs:\n  - name: a\n    modem_port: '{port}'\n")
    assert (error.line, error.key) == (3, "rigs[0].modem_port")
    assert fragment in error.expected
    assert error.got == repr(port)


@pytest.mark.parametrize(
    ("power", "key", "fragment"),
    [
        ("{kind: simplerest, url: 'http://127.0.0.1/relay/1'}", "power.url", "{value}"),
        ("{kind: simplerest, url: 'http://127.0.0.1/r/{index}/{value}'}", "power.url", "power.index too"),
        (
            "{kind: simplerest, url: 'http://127.0.0.1/{value}/{outlet}'}",
            "power.url",
            "only the placeholders",
        ),
        ("{kind: tasmota, url: 'ftp://127.0.0.1'}", "power.url", "http://"),
        ("{kind: tasmota, url: 'http://127.0.0.1/cm?cmnd=Power'}", "power.url", "without a path"),
        ("{kind: x10, url: 'http://127.0.0.1'}", "power.kind", "simplerest, tasmota, shelly"),
        ("{kind: shelly, url: 'http://127.0.0.1', index: -1}", "power.index", "integer >= 0"),
        ("{kind: shelly, url: 'http://127.0.0.1', delay: slow}", "power.delay", "seconds off"),
        ("{kind: shelly, url: 'http://127.0.0.1', outlet: 1}", "power.outlet", "kind, url, index, delay"),
        ("http://127.0.0.1", "power", "a mapping with kind and url"),
    ],
)
def test_bad_power_switches(tmp_path: Path, power: str, key: str, fragment: str) -> None:
    error = problems(tmp_path, A + f"    power: {power}\n")
    assert error.key == f"rigs[0].{key}"
    assert error.line == 4
    assert fragment in error.expected


@pytest.mark.parametrize(
    ("tags", "key", "fragment"),
    [
        ("{Modem: bg96}", "tags.Modem", "lower-case"),
        ("{shielded: yes}", "tags.shielded", "booleans"),
        ("{modem: [bg96, bg95]}", "tags.modem", "non-empty text"),
        ("{modem: }", "tags.modem", "booleans"),
        ("[modem, bg96]", "tags", "a mapping of tag names"),
    ],
)
def test_bad_tags(tmp_path: Path, tags: str, key: str, fragment: str) -> None:
    error = problems(tmp_path, A + f"    tags: {tags}\n")
    assert error.key == f"rigs[0].{key}"
    assert fragment in error.expected


def test_board_must_exist_in_boards_dir(tmp_path: Path) -> None:
    error = problems(tmp_path, A + "    board: nrf9161dk\n")
    assert (error.line, error.key) == (4, "rigs[0].board")
    assert "mps2-an385" in error.expected  # says which boards exist
    error = problems(tmp_path, A + "    board: ./nope.yaml\n")
    assert "no file at" in error.expected


def test_board_path_relative_to_the_rig_file(tmp_path: Path) -> None:
    (tmp_path / "custom.yaml").write_text("name: custom\n")
    rigs = load(tmp_path, A + "    board: custom.yaml\n")
    assert rigs[0].board == str(tmp_path / "custom.yaml")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    error = problems(
        tmp_path,
        """\
        rigs:
          - name: a
            dialect: bg99
            iccid: 8988228066602759504
            flasher: jlink
          - name: "b c"
            backend: virtual
            modem_port: /dev/ttyUSB0
        extra: 1
        """,
    )
    found = {(p.line, p.key) for p in error.problems}
    assert {
        (9, "extra"),
        (3, "rigs[0].dialect"),
        (4, "rigs[0].iccid"),
        (5, "rigs[0].flasher"),
        (6, "rigs[1].name"),
        (8, "rigs[1].modem_port"),
    } <= found
    assert "quoted string" in next(p.expected for p in error.problems if p.key == "rigs[0].iccid")
    assert len(str(error).splitlines()) == len(error.problems)


def test_bad_iccid_luhn(tmp_path: Path) -> None:
    error = problems(tmp_path, A + "    iccid: '89882280666027595041'\n")
    assert error.key == "rigs[0].iccid" and "Luhn" in error.expected


def test_local_rig_needs_a_port(tmp_path: Path) -> None:
    error = problems(tmp_path, "rigs:\n  - name: a\n    board: mps2-an385\n")
    assert (error.line, error.key) == (2, "rigs[0]")
    assert "console or a modem_port" in error.expected


def test_structure_errors(tmp_path: Path) -> None:
    assert problems(tmp_path, "- name: a\n").expected == "a mapping with a 'rigs' list"
    assert problems(tmp_path, "rigs: []\n").expected == "a non-empty list of rigs"
    assert "every rig needs one" in problems(tmp_path, "rigs:\n  - modem_port: /dev/ttyUSB0\n").expected
    syntax = problems(tmp_path, "rigs:\n  - name: a\n    tags: {a: b\n")
    assert syntax.key == "<syntax>" and syntax.line is not None
    with pytest.raises(RigFileError, match="no such file"):
        load_rigs(tmp_path / "missing.yaml")


def test_select_by_name_and_tags(tmp_path: Path) -> None:
    rigs = load(tmp_path, GOOD)
    assert [r.name for r in select_rigs(rigs)] == ["bench-1", "bench-2", "virtual-1"]
    assert [r.name for r in select_rigs(rigs, names=["bench-2"])] == ["bench-2"]
    assert [r.name for r in select_rigs(rigs, tags={"rat": "nb-iot"})] == ["bench-1"]
    assert [r.name for r in select_rigs(rigs, tags=parse_tag_filters(["slot=3"]))] == ["bench-2"]
    with pytest.raises(RigSelectionError, match=r"no rig named 'bench-9'; the rig file has: bench-1, bench"):
        select_rigs(rigs, names=["bench-9"])
    with pytest.raises(RigSelectionError, match="no rig has the tags modem=sara-r5"):
        select_rigs(rigs, tags={"modem": "sara-r5"})
    with pytest.raises(RigSelectionError, match="KEY=VALUE"):
        parse_tag_filters(["modem"])


def test_redact_url_hides_credentials() -> None:
    assert redact_url("http://admin:s3cret@127.0.0.1/cm?user=admin&password=s3cret") == (
        "http://***@127.0.0.1/cm?user=admin&password=***"
    )


def test_example_rig_file_loads() -> None:
    example = Path(__file__).resolve().parents[1] / "examples" / "rigs.yaml"
    rigs = load_rigs(example, boards_dir=None)  # boards/ may not have every board yet
    assert len(rigs) >= 3
