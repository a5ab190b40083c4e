"""The C SDK on its own: host tests under ASan+UBSan, and warning-free cross-builds."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sdk_bindings import bcl

ROOT = Path(__file__).resolve().parents[1]
C_DIR = ROOT / "sdk_bindings" / "c"
EXAMPLES = ROOT / "sdk_bindings" / "bcl" / "examples"
SDK_SOURCES = sorted((C_DIR / "src").glob("*.c"))
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
CORTEX_M = ["cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m33"]


def _write_headers(directory: Path) -> None:
    examples = {"c_sdk_demo": "demo", "bcl_full_example": "full", "types": "types", "switches": "switches"}
    for example, name in examples.items():
        template = (EXAMPLES / f"{example}.json").read_text()
        (directory / f"{name}.h").write_text(bcl.generate_header(template, name=name))


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120, **kwargs)  # type: ignore[call-overload,no-any-return]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_c_tests_pass_under_asan_and_ubsan(tmp_path: Path) -> None:
    _write_headers(tmp_path)
    binary = tmp_path / "test_sdk"
    build = _run(
        [
            "gcc",
            *STRICT,
            "-g",
            "-O1",
            "-fno-omit-frame-pointer",
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=all",
            f"-I{C_DIR / 'include'}",
            f"-I{C_DIR / 'src'}",
            f"-I{tmp_path}",
            str(C_DIR / "test" / "test_sdk.c"),
            *map(str, SDK_SOURCES),
            "-o",
            str(binary),
        ]
    )
    assert build.returncode == 0, build.stderr
    result = _run(
        [str(binary)],
        env={"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0", "UBSAN_OPTIONS": "print_stacktrace=1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    checks = int(result.stdout.split()[0])
    assert checks > 150 and "0 failures" in result.stdout


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs arm-none-eabi-gcc")
@pytest.mark.parametrize("cpu", CORTEX_M)
def test_sdk_cross_compiles_without_warnings(cpu: str, tmp_path: Path) -> None:
    _write_headers(tmp_path)
    user = tmp_path / "user.c"  # code written for the public SDK, plus our generated tables
    user.write_text(
        '#include "nce_iot_c_sdk.h"\n#include "nce_auth.h"\n#include "log_interface.h"\n#include "full.h"\n'
        "int use(os_network_ops_t *ops, DtlsKey_t *key, char *packet);\n"
        "int use(os_network_ops_t *ops, DtlsKey_t *key, char *packet) {\n"
        "    Element2byte_gen_t e = {.type = E_INTEGER, .value.i = 7, .template_length = 2};\n"
        "    nce_bcl_value_t v[FULL_VALUE_COUNT] = {{{0}}};\n"
        '    NceOSLogInfo("unused %d", 1);\n'
        "    return os_auth(ops, key) + os_energy_save(packet, 1, 1, e)\n"
        "        + nce_bcl_encode(&full_template, v, FULL_VALUE_COUNT, (uint8_t *)packet, 32);\n"
        "}\n"
    )
    for source in [*SDK_SOURCES, user]:
        result = _run(
            [
                "arm-none-eabi-gcc",
                f"-mcpu={cpu}",
                "-mthumb",
                "-Os",
                *STRICT,
                f"-I{C_DIR / 'include'}",
                f"-I{tmp_path}",
                "-c",
                str(source),
                "-o",
                str(tmp_path / (source.stem + ".o")),
            ]
        )
        assert result.returncode == 0, f"{source.name} for {cpu}:\n{result.stderr}"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_posix_port_builds_strictly(tmp_path: Path) -> None:
    port = C_DIR / "port" / "posix" / "nce_udp_posix.c"
    result = _run(
        [
            "gcc",
            *STRICT,
            f"-I{C_DIR / 'include'}",
            f"-I{port.parent}",
            "-c",
            str(port),
            "-o",
            str(tmp_path / "p.o"),
        ]
    )
    assert result.returncode == 0, result.stderr


def test_sdk_sources_use_no_heap_and_no_printf() -> None:
    """The firmware SDK (src/) links no malloc and no printf family; checked on the objects."""
    banned = ("malloc", "calloc", "realloc", "free", "printf", "sprintf", "snprintf", "vsnprintf", "strtok")
    for source in SDK_SOURCES:
        text = source.read_text()
        for name in banned:
            assert f"{name}(" not in text, f"{source.name} calls {name}"
