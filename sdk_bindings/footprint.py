"""What the C SDK adds to a Cortex-M image (``hil sdk size``).

Builds two images with arm-none-eabi-gcc -Os, -ffunction-sections -fdata-sections, newlib-nano
and --gc-sections (optionally -flto) in a temporary directory: one that only sets up a UDP port
with stub callbacks, and one that also calls os_auth, os_energy_save and nce_bcl_encode (with the
demo template's tables). The difference in .text/.data/.bss is the SDK's cost. Nothing is
written into the source tree.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from sdk_bindings.bcl import generate_header

C_DIR: Final = Path(__file__).resolve().parent / "c"
DEMO_TEMPLATE: Final = Path(__file__).resolve().parent / "bcl" / "examples" / "c_sdk_demo.json"
TEXT_TARGET: Final = 3072
CFLAGS: Final = (
    "-mthumb",
    "-Os",
    "-ffunction-sections",
    "-fdata-sections",
    "-std=c99",
    "-Wall",
    "-Wextra",
    "-Werror",
)
LDFLAGS: Final = ("--specs=nano.specs", "--specs=nosys.specs", "-nostartfiles", "-Wl,--gc-sections")
LINKER_SCRIPT: Final = """
MEMORY
{
    FLASH (rx) : ORIGIN = 0x00000000, LENGTH = 256K
    RAM (rwx)  : ORIGIN = 0x20000000, LENGTH = 64K
}
_estack = ORIGIN(RAM) + LENGTH(RAM);
ENTRY(Reset_Handler)
SECTIONS
{
    .text : { KEEP(*(.isr_vector)) *(.text*) *(.rodata*) . = ALIGN(4); } > FLASH
    .ARM.exidx : { *(.ARM.exidx*) } > FLASH
    _sidata = LOADADDR(.data);
    .data : { _sdata = .; *(.data*) . = ALIGN(4); _edata = .; } > RAM AT > FLASH
    .bss : { _sbss = .; *(.bss*) *(COMMON) . = ALIGN(4); _ebss = .; } > RAM
    /DISCARD/ : { *(.ARM.attributes) *(.comment) }
}
"""


class FootprintError(RuntimeError):
    """The toolchain is missing or a build failed (message has the compiler output)."""


@dataclass(frozen=True)
class Sections:
    text: int
    data: int
    bss: int


@dataclass(frozen=True)
class Symbol:
    name: str
    size: int


@dataclass(frozen=True)
class Breakdown:
    """Where the added .text comes from (from symbol sizes; may differ from section totals by
    alignment padding)."""

    sdk: int  # functions and constants of sdk_bindings/c/src
    libc: int  # newlib-nano functions the SDK pulls in (memcpy, memset, memcmp)
    application: int  # the calls, their arguments and the demo template tables


@dataclass(frozen=True)
class Footprint:
    cpu: str
    lto: bool
    compiler: str
    empty: Sections
    with_sdk: Sections
    added: Sections
    text_target: int
    breakdown: Breakdown | None  # None with LTO: inlining across files hides where code came from
    largest_symbols: tuple[Symbol, ...]

    @property
    def within_target(self) -> bool:
        return self.added.text <= self.text_target

    def as_dict(self) -> dict[str, object]:
        result = asdict(self)
        result["within_target"] = self.within_target
        return result


def measure(
    cpu: str = "cortex-m3", *, lto: bool = False, toolchain_prefix: str = "arm-none-eabi-"
) -> Footprint:
    """Builds both images for cpu (optionally with link-time optimisation) and returns their
    section sizes."""
    gcc = shutil.which(toolchain_prefix + "gcc")
    size = shutil.which(toolchain_prefix + "size")
    nm = shutil.which(toolchain_prefix + "nm")
    if gcc is None or size is None or nm is None:
        raise FootprintError(
            f"{toolchain_prefix}gcc/size/nm not found: install gcc-arm-none-eabi (bin/setup)"
        )
    with tempfile.TemporaryDirectory(prefix="nce-sdk-size-") as scratch:
        work = Path(scratch)
        (work / "link.ld").write_text(LINKER_SCRIPT)
        (work / "demo.h").write_text(generate_header(DEMO_TEMPLATE.read_text(), name="demo"))
        common = [f"-mcpu={cpu}", *CFLAGS, *(["-flto"] if lto else []), f"-I{C_DIR / 'include'}", f"-I{work}"]
        startup = _compile(gcc, common, C_DIR / "footprint" / "startup.c", work / "startup.o")
        sdk = [
            _compile(gcc, [*common, "-pedantic"], source, work / f"{source.stem}.o")
            for source in _sdk_sources()
        ]
        empty_app = _compile(gcc, common, C_DIR / "footprint" / "app.c", work / "app_empty.o")
        sdk_app = _compile(
            gcc, [*common, "-DNCE_FOOTPRINT_WITH_SDK"], C_DIR / "footprint" / "app.c", work / "app_sdk.o"
        )
        extra = ["-flto", "-Os"] if lto else []
        empty_elf = _link(gcc, cpu, [startup, empty_app], work / "empty.elf", extra)
        sdk_elf = _link(gcc, cpu, [startup, sdk_app, *sdk], work / "sdk.elf", extra)
        empty, with_sdk = _sections(size, empty_elf), _sections(size, sdk_elf)
        largest = _new_symbols(nm, empty_elf, sdk_elf)
        breakdown = None if lto else _breakdown(nm, empty_elf, sdk_elf, sdk)
    return Footprint(
        cpu=cpu,
        lto=lto,
        compiler=_version(gcc),
        empty=empty,
        with_sdk=with_sdk,
        added=Sections(with_sdk.text - empty.text, with_sdk.data - empty.data, with_sdk.bss - empty.bss),
        text_target=TEXT_TARGET,
        breakdown=breakdown,
        largest_symbols=largest,
    )


def _sdk_sources() -> list[Path]:
    return sorted((C_DIR / "src").glob("*.c"))


def _run(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if result.returncode != 0:
        raise FootprintError(f"{' '.join(command)}\n{result.stderr.strip()}")
    return result.stdout


def _compile(gcc: str, flags: list[str], source: Path, output: Path) -> Path:
    _run([gcc, *flags, "-c", str(source), "-o", str(output)])
    return output


def _link(gcc: str, cpu: str, objects: list[Path], output: Path, extra: list[str]) -> Path:
    script = output.parent / "link.ld"
    command = [gcc, f"-mcpu={cpu}", "-mthumb", *extra, *LDFLAGS, "-T", str(script), *map(str, objects)]
    _run([*command, "-o", str(output)])
    return output


def _sections(size: str, elf: Path) -> Sections:
    """Berkeley totals from arm-none-eabi-size: text (incl. vectors, rodata), data, bss."""
    line = _run([size, str(elf)]).splitlines()[1].split()
    return Sections(text=int(line[0]), data=int(line[1]), bss=int(line[2]))


def _symbols(nm: str, binary: Path, *, text_only: bool = True) -> dict[str, tuple[int, int]]:
    """name -> (address, size) of sized symbols in .text/.rodata (one name per address)."""
    found: dict[str, tuple[int, int]] = {}
    seen: set[int] = set()
    for line in _run([nm, "--size-sort", "-S", "--radix=d", str(binary)]).splitlines():
        parts = line.split()
        if len(parts) != 4 or (text_only and parts[2] not in "tTrR"):
            continue
        address = int(parts[0])
        if address in seen and text_only:
            continue  # aliases such as __aeabi_memcpy4 / memcpy
        seen.add(address)
        found[parts[3]] = (address, int(parts[1]))
    return found


def _new_symbols(nm: str, empty: Path, with_sdk: Path, count: int = 12) -> tuple[Symbol, ...]:
    before, after = _symbols(nm, empty), _symbols(nm, with_sdk)
    added = [
        Symbol(name, size - before.get(name, (0, 0))[1])
        for name, (_, size) in after.items()
        if size > before.get(name, (0, 0))[1]
    ]
    return tuple(sorted(added, key=lambda s: -s.size)[:count])


def _breakdown(nm: str, empty: Path, with_sdk: Path, sdk_objects: list[Path]) -> Breakdown:
    before, after = _symbols(nm, empty), _symbols(nm, with_sdk)
    sdk_names: set[str] = set()
    for obj in sdk_objects:
        sdk_names |= set(_symbols(nm, obj, text_only=False))
    totals = {"sdk": 0, "libc": 0, "application": 0}
    for name, (_, size) in after.items():
        growth = size - before.get(name, (0, 0))[1]
        if growth <= 0:
            continue
        if name in sdk_names or name.split(".")[0] in sdk_names or name == "NceOnboard":
            totals["sdk"] += growth
        elif name.startswith(("mem", "__aeabi", "str")):
            totals["libc"] += growth
        else:
            totals["application"] += growth
    return Breakdown(**totals)


def _version(gcc: str) -> str:
    first = _run([gcc, "--version"]).splitlines()[0]
    match = re.search(r"(\d+\.\d+\.\d+)", first)
    return f"{Path(gcc).name} {match.group(1) if match else first}"
