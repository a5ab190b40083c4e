"""Building the FreeRTOS firmware (firmware/freertos) for tests: CMake configure + build into a
scratch directory, with the user's kernel from FREERTOS_KERNEL_PATH."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "firmware" / "freertos"
TOOLCHAIN = SOURCE / "cmake" / "arm-none-eabi.cmake"
KERNEL_ENV = "FREERTOS_KERNEL_PATH"
SKIP_REASON = (
    f"{KERNEL_ENV} is not set: point it at a FreeRTOS-Kernel checkout (V11.x) to build and run "
    "the FreeRTOS firmware"
)


def kernel_path() -> Path | None:
    value = os.environ.get(KERNEL_ENV, "")
    return Path(value) if value else None


def configure(
    build_dir: Path,
    board: str = "mps2-an385",
    kernel: Path | None = None,
    *,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    command = ["cmake", "-S", str(SOURCE), "-B", str(build_dir), f"-DBOARD={board}"]
    command.append(f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}")
    if kernel is not None:
        command.append(f"-DFREERTOS_KERNEL_PATH={kernel}")
    environment = dict(os.environ if env is None else env)
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=300, env=environment)


def build(build_dir: Path, board: str = "mps2-an385", kernel: Path | None = None) -> Path:
    """Configures and builds; returns the build directory. Raises AssertionError with the
    compiler output when a step fails."""
    configured = configure(build_dir, board, kernel)
    assert configured.returncode == 0, f"cmake configure failed:\n{configured.stdout}\n{configured.stderr}"
    built = subprocess.run(
        ["cmake", "--build", str(build_dir), "-j2"], capture_output=True, text=True, check=False, timeout=600
    )
    assert built.returncode == 0, f"cmake --build failed:\n{built.stdout[-4000:]}\n{built.stderr[-4000:]}"
    return build_dir
