"""`hil fw build`: the firmware image of one target (baremetal | freertos | zephyr) for one board,
and its sizes: .text/.data/.bss of the image (Berkeley totals, as `hil sdk size` counts them) and
the share of the C SDK (input sections from sdk_bindings/c/src objects, read from the map file).

Builds go into build/firmware/<target>/<board> (git-ignored) unless a build directory is given.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sdk_bindings.footprint import Sections

REPO = Path(__file__).resolve().parents[2]
TARGETS = ("baremetal", "freertos", "zephyr")
DIALECTS = ("bg95", "bg96", "nrf91", "sara-r4", "sara-r5", "sim7080")
KERNEL_ENV = "FREERTOS_KERNEL_PATH"
# Zephyr's names of our boards where they differ from ours (boards/<board>.yaml west.board wins).
ZEPHYR_BOARDS = {"mps2-an385": "mps2/an385", "nrf9160dk": "nrf9160dk/nrf9160/ns"}
_SDK_OBJECT = re.compile(r"(sdk_bindings/c/src/|libnce_sdk\.a\()")
_OUTPUT_SECTION = re.compile(r"^(\.[A-Za-z0-9_.]+|/DISCARD/)\s*(?:0x[0-9a-fA-F]+\s+0x[0-9a-fA-F]+.*)?$")
_INPUT = re.compile(r"^\s+(\S+)?\s*0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")


class FirmwareBuildError(RuntimeError):
    """A build that cannot start (tool, kernel, board, target) or that failed (with its output)."""


@dataclass(frozen=True)
class BuildResult:
    target: str
    board: str
    dialect: str | None
    image: Path  # the ELF
    map_file: Path
    extra_images: tuple[Path, ...]  # .bin / .hex beside it
    sections: Sections
    sdk: Sections

    def sdk_share(self) -> dict[str, float]:
        """The SDK's part of each section, in percent."""
        return {
            name: round(100.0 * getattr(self.sdk, name) / total, 1)
            if (total := getattr(self.sections, name))
            else 0.0
            for name in ("text", "data", "bss")
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "board": self.board,
            "dialect": self.dialect,
            "image": str(self.image),
            "map": str(self.map_file),
            "images": [str(p) for p in self.extra_images],
            "sections": asdict(self.sections),
            "sdk": asdict(self.sdk),
            "sdk_share_percent": self.sdk_share(),
        }


def _tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise FirmwareBuildError(f"{name} not found on PATH: {hint}")
    return path


def _run(command: list[str], what: str, env: dict[str, str] | None = None, timeout: float = 900) -> None:
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=timeout, env=env
        )
    except subprocess.TimeoutExpired:
        raise FirmwareBuildError(f"{what}: no result after {timeout:g} s: {' '.join(command)}") from None
    if result.returncode != 0:
        output = (result.stdout[-3000:] + "\n" + result.stderr[-3000:]).strip()
        raise FirmwareBuildError(f"{what} failed (exit {result.returncode}): {' '.join(command)}\n{output}")


def default_build_dir(target: str, board: str) -> Path:
    return REPO / "build" / "firmware" / target / board


def dialect_macro(dialect: str | None) -> str:
    if dialect is None:
        return "NCE_DIALECT_AUTO"
    if dialect not in DIALECTS:
        raise FirmwareBuildError(
            f"dialect {dialect!r}: expected one of {', '.join(DIALECTS)} (or none: auto)"
        )
    return "NCE_DIALECT_" + dialect.upper().replace("-", "_")


def build(
    target: str, board: str, *, dialect: str | None = None, build_dir: Path | None = None, jobs: int = 2
) -> BuildResult:
    """Build `target` for `board` and measure it; FirmwareBuildError says what went wrong."""
    if target not in TARGETS:
        raise FirmwareBuildError(f"target {target!r}: expected one of {', '.join(TARGETS)}")
    out = (build_dir or default_build_dir(target, board)).resolve()
    out.mkdir(parents=True, exist_ok=True)
    macro = dialect_macro(dialect)
    if target == "baremetal":
        elf, map_file = _build_baremetal(board, macro, out, jobs)
    elif target == "freertos":
        elf, map_file = _build_freertos(board, macro, out, jobs)
    else:
        elf, map_file = _build_zephyr(board, out)
    for path in (elf, map_file):
        if not path.is_file():
            raise FirmwareBuildError(f"the {target} build finished but {path} is missing")
    extra = tuple(p for p in (elf.with_suffix(".bin"), elf.with_suffix(".hex")) if p.is_file())
    return BuildResult(
        target, board, dialect, elf, map_file, extra, image_sections(elf), sdk_sections(map_file)
    )


def _build_baremetal(board: str, macro: str, out: Path, jobs: int) -> tuple[Path, Path]:
    make = _tool("make", "install make (bin/setup)")
    _tool("arm-none-eabi-gcc", "install gcc-arm-none-eabi (bin/setup)")
    command = [make, "-C", str(REPO / "firmware" / "baremetal"), f"BOARD={board}", f"BUILD_DIR={out}"]
    _run([*command, f"DIALECT={macro}", f"-j{jobs}"], "bare-metal build (make)")
    return out / "nce-fw.elf", out / "nce-fw.map"


def _build_freertos(board: str, macro: str, out: Path, jobs: int) -> tuple[Path, Path]:
    kernel = os.environ.get(KERNEL_ENV, "")
    if not kernel:
        raise FirmwareBuildError(
            f"{KERNEL_ENV} is not set: point it at a FreeRTOS-Kernel checkout (V11.x), e.g. "
            f"git clone https://github.com/FreeRTOS/FreeRTOS-Kernel and export {KERNEL_ENV}=<that path>"
        )
    if not (Path(kernel) / "include" / "FreeRTOS.h").is_file():
        raise FirmwareBuildError(
            f"{KERNEL_ENV}={kernel} is not a FreeRTOS-Kernel checkout (no include/FreeRTOS.h)"
        )
    cmake = _tool("cmake", "install cmake (bin/setup)")
    source = REPO / "firmware" / "freertos"
    configure = [
        cmake, "-S", str(source), "-B", str(out), f"-DBOARD={board}", f"-DFREERTOS_KERNEL_PATH={kernel}",
        f"-DCMAKE_TOOLCHAIN_FILE={source / 'cmake' / 'arm-none-eabi.cmake'}",
        f"-DCMAKE_C_FLAGS=-DNCE_DEMO_MODEM_DIALECT={macro}",
    ]  # fmt: skip
    _run(configure, "FreeRTOS configure (cmake)")
    _run([cmake, "--build", str(out), f"-j{jobs}"], "FreeRTOS build (cmake --build)")
    elf = out / "nce-fw.elf"
    if not elf.is_file():
        raise FirmwareBuildError(
            f"the FreeRTOS build made no nce-fw.elf in {out} "
            "(the app needs the modem layer firmware/common/modem/nce_modem.c)"
        )
    return elf, out / "nce-fw.map"


def _zephyr_board(board: str) -> str:
    try:
        from hil.firmware.boards import load_board  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return ZEPHYR_BOARDS.get(board, board)
    try:
        loaded = load_board(board)
    except (OSError, ValueError):
        return ZEPHYR_BOARDS.get(board, board)
    west = getattr(loaded, "west", None)
    return str(west.board) if west is not None else ZEPHYR_BOARDS.get(board, board)


def _build_zephyr(board: str, out: Path) -> tuple[Path, Path]:
    west = _tool(
        "west",
        "install west and a Zephyr workspace (pip install west; from the repository: "
        "west init -l --mf firmware/zephyr/west.yml . && west update)",
    )
    if not os.environ.get("ZEPHYR_BASE") and not any((p / ".west").is_dir() for p in (REPO, *REPO.parents)):
        raise FirmwareBuildError(
            "no Zephyr workspace: set ZEPHYR_BASE or make the repository's parent one "
            "(from the repository: west init -l --mf firmware/zephyr/west.yml . && west update; "
            "nRF91: --mf firmware/zephyr/west-ncs.yml)"
        )
    command = [west, "build", "-b", _zephyr_board(board), str(REPO / "firmware" / "zephyr"), "-d", str(out)]
    _run([*command, "--pristine", "auto"], "Zephyr build (west build)")
    return out / "zephyr" / "zephyr.elf", out / "zephyr" / "zephyr.map"


def image_sections(elf: Path, toolchain_prefix: str = "arm-none-eabi-") -> Sections:
    """Berkeley totals of arm-none-eabi-size (text incl. vectors and rodata), as `hil sdk size`."""
    size = _tool(toolchain_prefix + "size", "install binutils-arm-none-eabi (bin/setup)")
    result = subprocess.run([size, str(elf)], capture_output=True, text=True, check=False, timeout=60)
    if result.returncode != 0:
        raise FirmwareBuildError(f"{size} {elf}: {result.stderr.strip()}")
    fields = result.stdout.splitlines()[1].split()
    return Sections(text=int(fields[0]), data=int(fields[1]), bss=int(fields[2]))


def _kind(output_section: str) -> str | None:
    """Which Berkeley total an output section counts in (None: not in the image)."""
    if output_section in ("/DISCARD/",) or output_section.startswith(
        (".debug", ".comment", ".ARM.attributes")
    ):
        return None
    if output_section.startswith((".bss", ".noinit", ".stack", ".heap")) or output_section.endswith("_bss"):
        return "bss"
    if output_section.startswith(".data") or output_section.endswith("_data"):
        return "data"
    if output_section == ".nce_config":
        return "text"
    return "text"


def sdk_sections(map_file: Path) -> Sections:
    """The bytes of sdk_bindings/c/src objects per Berkeley total, from a GNU ld map file."""
    try:
        text = map_file.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise FirmwareBuildError(f"{map_file}: cannot read the map file: {exc.strerror}") from exc
    marker = text.find("Linker script and memory map")
    if marker < 0:
        raise FirmwareBuildError(f"{map_file}: not a GNU ld map file (no 'Linker script and memory map')")
    totals = {"text": 0, "data": 0, "bss": 0}
    kind: str | None = None
    pending: str | None = None  # an input section name whose address/size are on the next line
    for line in text[marker:].splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            match = _OUTPUT_SECTION.match(line)
            if match:
                kind = _kind(match.group(1))
            elif line.startswith("OUTPUT("):
                break
            pending = None
            continue
        input_match = _INPUT.match(line)
        if input_match is None:
            stripped = line.strip()
            pending = stripped if stripped.startswith(".") and " " not in stripped else None
            continue
        name = input_match.group(1) or pending
        pending = None
        if name is None or name.startswith(("*fill*", "*(")) or kind is None:
            continue
        if _SDK_OBJECT.search(input_match.group(4).replace("\\", "/")):
            totals[kind] += int(input_match.group(3), 16)
    return Sections(**totals)
