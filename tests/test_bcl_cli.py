"""`hil bcl` and `hil sdk size`: output, --json, exit codes (0 ok, 1 failure, 2 usage)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hil.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "sdk_bindings" / "bcl" / "examples"
FULL = str(EXAMPLES / "bcl_full_example.json")
DEMO = str(EXAMPLES / "c_sdk_demo.json")


def _hil(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_decode_prints_asset_lines_and_json() -> None:
    code, out, _ = _hil("bcl", "decode", "--template", FULL, "01 01 00 00 05 8c 6f 6c 65 67")
    assert code == 0
    assert "fuel = 1420" in out and 'driver = "oleg"' in out
    code, out, _ = _hil("bcl", "decode", "-t", DEMO, "AWNUMi4yLjE=", "--base64", "--json")
    assert code == 0
    assert json.loads(out) == {
        "data_type": "Energy_Saver",
        "battery_level": 99,
        "signal_strength": 84,
        "software_version": "2.2.1",
    }


def test_decode_errors() -> None:
    code, out, err = _hil("bcl", "decode", "-t", DEMO, "0163", "--json")
    assert code == 1
    assert json.loads(out)["error"] == "Asset path:signal_strength, Error: can't extract [2:3] from 2 bytes"
    assert "can't extract" in err
    code, _, err = _hil("bcl", "decode", "-t", DEMO, "not-hex")
    assert code == 2 and "not hex" in err
    code, _, err = _hil("bcl", "decode", "-t", "/nonexistent.json", "00")
    assert code == 2


@pytest.mark.parametrize("engine", [[], ["--c"]])
def test_encode_from_stdin(engine: list[str]) -> None:
    values = json.dumps({"battery_level": 99, "signal_strength": 84, "software_version": "2.2.1"})
    code, out, _ = _hil("bcl", "encode", "-t", DEMO, "-", *engine, "--json", stdin=values)
    assert code == 0
    report = json.loads(out)
    assert (report["hex"], report["base64"], report["length"]) == ("016354322e322e31", "AWNUMi4yLjE=", 8)
    code, out, _ = _hil("bcl", "encode", "-t", DEMO, "-", *engine, stdin=values)
    assert out.strip() == "016354322e322e31"


def test_encode_errors() -> None:
    code, _, err = _hil("bcl", "encode", "-t", DEMO, "-", stdin='{"battery_level": 300}')
    assert code == 1 and "Asset path:battery_level" in err and "out of range" in err
    code, _, err = _hil("bcl", "encode", "-t", DEMO, "-", stdin="{oops")
    assert code == 1 and "not valid JSON" in err


def test_check_reports_and_names_the_statement(tmp_path: Path) -> None:
    code, out, _ = _hil("bcl", "check", FULL, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["ok"] and report["switches"] == 1 and "gps.lat" in report["assets"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"sense": [{"switch": {"byte": 0, "type": "int"}, "on": [{"case": 1, "do": [
        {"asset": "x", "value": {"byte": 1, "bytelength": 3, "type": "uint"}}]}]}]}))  # fmt: skip
    code, out, err = _hil("bcl", "check", str(bad), "--json")
    assert code == 1
    assert json.loads(out)["path"] == "sense[0].on[0].do[0].value.bytelength"
    assert f"{bad}: sense[0].on[0].do[0].value.bytelength: uint needs bytelength 1, 2, 4, 8, not 3" in err


def _switch(byte: int, selector: dict[str, object], cases: list[object]) -> dict[str, object]:
    return {"switch": {"byte": byte, **selector}, "on": [{"case": case, "do": []} for case in cases]}


EVERY_CASE_KIND = {
    "name": "kinds",
    "sense": [
        _switch(0, {"bytelength": 4, "type": "float"}, [0.1, -2.5, 3.4028235e38]),
        _switch(0, {"bytelength": 8, "type": "float"}, [0.1, -0.0]),
        _switch(0, {"bytelength": 8, "type": "int"}, [-(2**63), 2**63 - 1]),
        _switch(0, {"bytelength": 8, "type": "uint"}, [2**64 - 1]),
        _switch(0, {"type": "boolean"}, [True, False]),
        _switch(0, {"bytelength": 4, "type": "string"}, ["T", 'a"*/']),
        _switch(0, {"bytelength": 2, "type": "hex"}, ["00ff"]),
    ],
}


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_gen_c_emits_every_kind_of_case_constant_as_valid_c(tmp_path: Path) -> None:
    template = tmp_path / "kinds.json"
    template.write_text(json.dumps(EVERY_CASE_KIND))
    code, out, _ = _hil("bcl", "gen-c", str(template))
    assert code == 0
    (tmp_path / "kinds.h").write_text(out)
    source = tmp_path / "kinds.c"
    source.write_text(
        '#include "kinds.h"\nint count(void);\nint count(void) { return (int)kinds_template.case_count; }\n'
    )
    include = ROOT / "sdk_bindings" / "c" / "include"
    strict = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
    command = [
        "gcc",
        *strict,
        f"-I{include}",
        f"-I{tmp_path}",
        "-c",
        str(source),
        "-o",
        str(tmp_path / "k.o"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr + out


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_gen_c_output_compiles_strictly(tmp_path: Path) -> None:
    header = tmp_path / "full.h"
    code, _, _ = _hil("bcl", "gen-c", FULL, "--name", "full", "-o", str(header))
    assert code == 0
    source = tmp_path / "use.c"
    source.write_text(
        '#include "full.h"\nint use(uint8_t *out) {\n'
        "    nce_bcl_value_t v[FULL_VALUE_COUNT] = {{{0}}};\n"
        "    return nce_bcl_encode(&full_template, v, FULL_VALUE_COUNT, out, 16);\n}\n"
    )
    include = ROOT / "sdk_bindings" / "c" / "include"
    strict = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
    command = [
        "gcc",
        *strict,
        f"-I{include}",
        f"-I{tmp_path}",
        "-c",
        str(source),
        "-o",
        str(tmp_path / "u.o"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_hil_console_script_runs_bcl() -> None:
    hil = Path(sys.executable).parent / "hil"
    result = subprocess.run([str(hil), "bcl", "decode", "-t", DEMO, "016354322e322e31", "--json"],
                            capture_output=True, text=True, check=False, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["software_version"] == "2.2.1"


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs arm-none-eabi-gcc")
def test_sdk_size_reports_sections_above_an_empty_image() -> None:
    code, out, _ = _hil("sdk", "size", "--json")
    assert code == 0
    report = json.loads(out)
    added = report["added"]
    assert added["text"] == report["with_sdk"]["text"] - report["empty"]["text"]
    assert added["data"] == 0 and added["bss"] == 0  # the SDK keeps no global state
    # The target: the default build (no LTO) adds at most 3 KiB of .text (measured: 3052).
    assert 1500 < added["text"] <= 3072, added
    assert report["text_target"] == 3072 and report["within_target"]
    assert report["breakdown"]["libc"] == 0, report["breakdown"]  # no memcmp or other libc pulls
    names = {symbol["name"] for symbol in report["largest_symbols"]}
    assert {"nce_auth", "nce_bootstrap_accept"} <= names
    assert "nce_coap_parse" not in names  # (352 B if linked) os_auth has its own lean parser
    code, out, _ = _hil("sdk", "size", "--lto", "--json")
    lto = json.loads(out)
    assert lto["within_target"] and lto["added"]["text"] <= 3072, lto["added"]
    code, out, _ = _hil("sdk", "size")
    assert code == 0 and "SDK adds" in out and "target <= 3072: within" in out
