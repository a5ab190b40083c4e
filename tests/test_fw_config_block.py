"""The firmware's config block parser (C, firmware/common/app/nce_app_config.c, built for the
host) and its Python twin (hil/firmware/config_block.py) agree on defaults, on stamped blocks and
on every kind of corruption."""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
import zlib
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from hil.firmware.config_block import BLOCK_SIZE, ConfigBlockError, FirmwareConfig, decode, encode

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "firmware/common/app/nce_app_config.c", ROOT / "tests/c/config_block_main.c"]
# C reasons (nce_app_config.h) and the words of the Python codec's error for the same block.
REASONS = {-1: "absent", -2: "bad magic", -3: "version", -4: "size field", -5: "CRC", -6: "NUL-terminated"}


@pytest.fixture(scope="module")
def parser(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cc = shutil.which("gcc") or shutil.which("cc")
    assert cc is not None, "a host C compiler is needed (bin/apt-packages.txt: gcc)"
    exe = tmp_path_factory.mktemp("cfg") / "config_block"
    flags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsanitize=address,undefined"]
    includes = [f"-I{ROOT / 'firmware/common/include'}"]
    subprocess.run([cc, *flags, *includes, *map(str, SOURCES), "-o", str(exe)], check=True, timeout=120)
    return exe


def run_c(exe: Path, block: bytes | None) -> dict[str, str]:
    args = [str(exe)] if block is not None else [str(exe), "--defaults"]
    out = subprocess.run(args, input=block or b"", capture_output=True, check=True, timeout=30).stdout
    return dict(line.split("=", 1) for line in out.decode().splitlines())


def as_text(config: FirmwareConfig) -> dict[str, str]:
    return {key: str(value) for key, value in asdict(config).items()}


def resign(block: bytearray) -> bytes:
    block[-4:] = struct.pack("<I", zlib.crc32(bytes(block[:-4])))
    return bytes(block)


def test_compiled_in_defaults_are_the_python_defaults(parser: Path) -> None:
    assert run_c(parser, None) == as_text(FirmwareConfig())


def test_stamped_blocks_read_the_same(parser: Path) -> None:
    rng = random.Random(7)
    configs = [
        FirmwareConfig(),
        FirmwareConfig(apn="a" * 31, udp_host="h" * 47, coap_host="127.0.0.1", udp_port=65535, coap_port=1),
        FirmwareConfig(expected_iccid="8988228066602759504", log_level=3, flags=0, run_for_s=65535),
        FirmwareConfig(expected_iccid="89882280666027595044", template_name="t" * 31, coap_topic="a/b_c"),
    ]
    configs += [
        replace(FirmwareConfig(), uplink_period_s=rng.randint(1, 86400), run_for_s=rng.randint(0, 65535))
        for _ in range(8)
    ]
    for config in configs:
        result = run_c(parser, encode(config))
        assert result.pop("reason") == "0"
        assert result == as_text(decode(encode(config)))


def test_corrupt_blocks_are_rejected_for_the_same_reason(parser: Path) -> None:
    good = bytearray(encode(FirmwareConfig()))
    cases: dict[str, bytes] = {
        "erased": b"\xff" * BLOCK_SIZE,
        "zero": bytes(BLOCK_SIZE),
        "magic": resign(bytearray(b"NCEX" + good[4:])),
        "version": resign(bytearray(good[:4] + struct.pack("<H", 2) + good[6:])),
        "size": resign(bytearray(good[:6] + struct.pack("<H", 255) + good[8:])),
        "crc": bytes(good[:-1] + bytes([good[-1] ^ 1])),
        "text": resign(bytearray(good[:8] + b"x" * 32 + good[40:])),
    }
    for name, block in cases.items():
        reason = int(run_c(parser, block)["reason"])
        assert reason in REASONS, f"{name}: C reason {reason}"
        with pytest.raises(ConfigBlockError, match=REASONS[reason]):
            decode(block)


def test_out_of_range_values_fall_back_in_c_and_fail_validation_in_python(
    parser: Path,
) -> None:
    good = bytearray(encode(FirmwareConfig()))
    for offset, raw in ((140, struct.pack("<I", 0)), (140, struct.pack("<I", 86401)), (168, b"\x04")):
        block = bytearray(good)
        block[offset : offset + len(raw)] = raw
        block_bytes = resign(block)
        assert run_c(parser, block_bytes)["reason"] == "-7"
        with pytest.raises(ConfigBlockError):
            decode(block_bytes).validate()
