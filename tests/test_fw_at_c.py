"""The firmware's C AT reader on the host: compiled with -std=c99 -Wall -Wextra -Werror
-pedantic and ASan/UBSan, fed byte streams whole and split at every boundary (tests/c/at_reader_main.c);
the modem layer and dialect tables must compile the same way."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FW = ROOT / "firmware" / "common"
FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsanitize=address,undefined", "-g"]
INCLUDES = [f"-I{FW / 'include'}", f"-I{FW / 'at'}", f"-I{FW / 'modem'}"]

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs host gcc")


def test_at_reader_events_are_chunking_independent(tmp_path: Path) -> None:
    binary = tmp_path / "at_reader"
    sources = [ROOT / "tests" / "c" / "at_reader_main.c", *sorted((FW / "at").glob("*.c"))]
    subprocess.run(["gcc", *FLAGS, *INCLUDES, *map(str, sources), "-o", str(binary)], check=True, timeout=120)
    result = subprocess.run([str(binary)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok ") == 12


def test_modem_layer_compiles_strict_on_the_host(tmp_path: Path) -> None:
    for source in sorted((FW / "modem").glob("*.c")):
        subprocess.run(
            ["gcc", *FLAGS, *INCLUDES, "-c", str(source), "-o", str(tmp_path / (source.stem + ".o"))],
            check=True,
            timeout=120,
        )
