"""`hil fw build` (hil/firmware/build.py): the SDK's share read from a real GNU ld map file, and
the errors a user without a kernel, a Zephyr workspace or a known dialect gets (real CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hil.firmware.build import FirmwareBuildError, build, image_sections, sdk_sections
from sdk_bindings.bcl import generate_header
from sdk_bindings.footprint import LINKER_SCRIPT
from tests.support.qemu_probe import ROOT, tool

C_DIR = ROOT / "sdk_bindings" / "c"


def hil(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "hil.cli.main", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120, env=env)


@pytest.fixture(scope="module")
def sdk_image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An image calling the SDK (sdk_bindings/c/footprint/app.c), objects laid out as the
    bare-metal Makefile lays them out (obj/sdk_bindings/c/src/*.o), linked with a map file."""
    work = tmp_path_factory.mktemp("sdk-map")
    gcc = tool("arm-none-eabi-gcc")
    (work / "demo.h").write_text(
        generate_header((ROOT / "sdk_bindings/bcl/examples/c_sdk_demo.json").read_text())
    )
    (work / "link.ld").write_text(LINKER_SCRIPT)
    flags = ["-mcpu=cortex-m3", "-mthumb", "-Os", "-ffunction-sections", "-fdata-sections", "-std=c99"]
    flags += [f"-I{C_DIR / 'include'}", f"-I{work}"]
    sdk_dir = work / "obj" / "sdk_bindings" / "c" / "src"
    sdk_dir.mkdir(parents=True)
    objects = []
    for source in sorted((C_DIR / "src").glob("*.c")):
        objects.append(sdk_dir / f"{source.stem}.o")
        subprocess.run([gcc, *flags, "-c", str(source), "-o", str(objects[-1])], check=True)
    for name, extra in (("startup", []), ("app", ["-DNCE_FOOTPRINT_WITH_SDK"])):
        source = C_DIR / "footprint" / f"{name}.c"
        subprocess.run([gcc, *flags, *extra, "-c", str(source), "-o", str(work / f"{name}.o")], check=True)
    elf, map_file = work / "sdk.elf", work / "sdk.map"
    link = [gcc, "-mcpu=cortex-m3", "-mthumb", "--specs=nano.specs", "--specs=nosys.specs", "-nostartfiles"]
    link += ["-Wl,--gc-sections", f"-Wl,-Map={map_file}", "-T", str(work / "link.ld")]
    subprocess.run(
        [*link, str(work / "startup.o"), str(work / "app.o"), *map(str, objects), "-o", str(elf)], check=True
    )
    return elf, map_file


def _sdk_symbol_bytes(elf: Path, objects: list[Path]) -> int:
    """Sizes of the linked text/rodata symbols defined in the SDK's objects (nm)."""
    nm = tool("arm-none-eabi-nm")
    sdk_names: set[str] = set()
    for obj in objects:
        out = subprocess.run(
            [nm, "--defined-only", str(obj)], capture_output=True, text=True, check=True
        ).stdout
        sdk_names |= {line.split()[-1] for line in out.splitlines() if line.strip()}
    out = subprocess.run([nm, "-S", "--radix=d", str(elf)], capture_output=True, text=True, check=True).stdout
    return sum(
        int(parts[1])
        for parts in (line.split() for line in out.splitlines())
        if len(parts) == 4 and parts[3] in sdk_names
    )


def test_sdk_share_from_the_map_matches_the_sdk_symbols(sdk_image: tuple[Path, Path]) -> None:
    elf, map_file = sdk_image
    sections = image_sections(elf)
    sdk = sdk_sections(map_file)
    objects = sorted((map_file.parent / "obj" / "sdk_bindings" / "c" / "src").glob("*.o"))
    symbols = _sdk_symbol_bytes(elf, objects)
    # Input sections = symbols + alignment padding and unnamed string constants: a little more.
    assert symbols > 2000
    assert symbols <= sdk.text <= symbols + 200, (sdk, symbols)
    assert sdk.text < sections.text and sdk.data <= sections.data and sdk.bss <= sections.bss


def test_a_file_that_is_no_map_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "x.map"
    bogus.write_text("hello\n")
    with pytest.raises(FirmwareBuildError, match="not a GNU ld map file"):
        sdk_sections(bogus)
    with pytest.raises(FirmwareBuildError, match="cannot read the map file"):
        sdk_sections(tmp_path / "missing.map")
    with pytest.raises(
        FirmwareBuildError, match="target 'linux': expected one of baremetal, freertos, zephyr"
    ):
        build("linux", "mps2-an385", build_dir=tmp_path)


def test_freertos_without_a_kernel_says_what_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "FREERTOS_KERNEL_PATH"}
    result = hil(
        "fw", "build", "--target", "freertos", "--board", "mps2-an385", "--build-dir", str(tmp_path), env=env
    )
    assert result.returncode == 1
    assert "FREERTOS_KERNEL_PATH is not set" in result.stderr and "FreeRTOS-Kernel" in result.stderr
    env["FREERTOS_KERNEL_PATH"] = str(tmp_path)
    result = hil(
        "fw", "build", "--target", "freertos", "--board", "mps2-an385", "--build-dir", str(tmp_path), env=env
    )
    assert result.returncode == 1 and f"{tmp_path} is not a FreeRTOS-Kernel checkout" in result.stderr


def test_zephyr_without_west_says_how_to_get_it(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + "/usr/bin:/bin")
    result = hil(
        "fw", "build", "--target", "zephyr", "--board", "mps2-an385", "--build-dir", str(tmp_path), env=env
    )
    assert result.returncode == 1
    assert "west not found on PATH" in result.stderr or "no Zephyr workspace" in result.stderr


def test_bad_options_are_usage_errors(tmp_path: Path) -> None:
    result = hil("fw", "build", "--target", "baremetal", "--board", "mps2-an385", "--dialect", "tc35")
    assert result.returncode == 2 and "expected one of bg95, bg96, nrf91" in result.stderr
    result = hil("fw", "build", "--target", "vxworks", "--board", "mps2-an385")
    assert result.returncode == 2 and "vxworks" in result.stderr
    result = hil("fw", "run", str(Path(sys.executable)), "--dialect", "tc35")
    assert result.returncode == 2 and "'tc35' is not one of" in result.stderr and "nrf91" in result.stderr
    result = hil("fw", "run", str(tmp_path / "missing.elf"))
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert hil("fw", "--help").returncode == 0 and hil("fw", "run", "--help").returncode == 0
