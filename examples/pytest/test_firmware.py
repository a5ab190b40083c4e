"""Firmware mode: the bare-metal image (built once and cached) is flashed through the rig's
Flasher - QEMU on the virtual lab, pyOCD/west on a real board - and its console is read through
a pytest-embedded Dut: `dut.expect(...)` over the rig's console, a log file per test.

The `dut` fixture flashes first (pytest-embedded's autoflash; `--skip-autoflash y` to keep what
the board runs), so the Dut sees the boot from its first line.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.rig(mode="firmware")

BOOT = re.compile(rb"(\d+) I boot version=(\S+) board=(\S+) config=(\S+)")
ATTACHED = re.compile(rb"(\d+) I attached stat=(\d+) rat=(\S+)")
CONNECTED = re.compile(rb"(\d+) I connected after_ms=(\d+)")
COAP_ACK = re.compile(rb"(\d+) I uplink_ack proto=coap mid=\d+ code=(\S+)")


def test_flash_boot_and_first_uplink(dut: Any, flasher: Any, hil_record: Any) -> None:
    boot = dut.expect(BOOT, timeout=30)
    hil_record.measure("version", boot.group(2).decode(), expected="0.1.0")
    hil_record.measure("board", boot.group(3).decode(), expected="mps2-an385")
    hil_record.measure("config", boot.group(4).decode(), expected="stamped")

    attached = dut.expect(ATTACHED, timeout=60)
    hil_record.measure("stat", int(attached.group(2)), expected=5)  # 1NCE SIMs always roam
    hil_record.measure("time_to_attach", int(attached.group(1)) / 1000, "s", low=0, high=60)

    connected = dut.expect(CONNECTED, timeout=60)
    hil_record.measure("time_to_connect", int(connected.group(2)) / 1000, "s", low=0, high=60)

    ack = dut.expect(COAP_ACK, timeout=60)
    hil_record.measure("coap_code", ack.group(2).decode(), expected="2.04")

    assert flasher.image is not None and flasher.image.is_file()
    assert hil_record.passed, hil_record.record.to_json()
