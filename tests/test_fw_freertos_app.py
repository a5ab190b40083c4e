"""The app on FreeRTOS (firmware/freertos: modem task + uplink task + queues) and its second board
(P-L496G-CELL02).

The P-L496G-CELL02 build needs ST's STM32CubeL4 (STM32CUBE_L4_PATH), which is not available here:
only its configure-time checks run. The kernel's own checks come before the board's, so these
tests give CMake a directory shaped like a kernel checkout (its three marker files), never a
kernel of ours.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import freertos_fw


@pytest.fixture
def kernel_shape(tmp_path: Path) -> Path:
    """The files the CMake project checks before it includes the board (never built)."""
    kernel = tmp_path / "kernel"
    (kernel / "include").mkdir(parents=True)
    (kernel / "CMakeLists.txt").write_text("# the board check fails before the kernel is added\n")
    (kernel / "include" / "FreeRTOS.h").write_text("\n")
    (kernel / "include" / "task.h").write_text("#define tskKERNEL_VERSION_MAJOR 11\n")
    return kernel


def _one_line(text: str) -> str:
    """CMake wraps its messages at spaces: compare with the whitespace collapsed."""
    return " ".join(text.split())


def _env_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}


def test_l496_without_stm32cube_says_what_to_set(tmp_path: Path, kernel_shape: Path) -> None:
    result = freertos_fw.configure(
        tmp_path / "b", board="p-l496g-cell02", kernel=kernel_shape, env=_env_without("STM32CUBE_L4_PATH")
    )
    assert result.returncode != 0
    message = _one_line(result.stderr)
    assert "STM32CUBE_L4_PATH is not set" in message
    assert "STM32CubeL4 package" in message


def test_l496_with_a_directory_that_is_no_stm32cube_names_the_missing_file(
    tmp_path: Path, kernel_shape: Path
) -> None:
    cube = tmp_path / "not-a-cube"
    cube.mkdir()
    env = dict(_env_without("STM32CUBE_L4_PATH"), STM32CUBE_L4_PATH=str(cube))
    result = freertos_fw.configure(tmp_path / "b", board="p-l496g-cell02", kernel=kernel_shape, env=env)
    assert result.returncode != 0
    message = _one_line(result.stderr)
    assert f"STM32CUBE_L4_PATH='{cube}' is not a STM32CubeL4 package" in message
    assert "Drivers/STM32L4xx_HAL_Driver/Src/stm32l4xx_hal_uart.c is missing" in message
