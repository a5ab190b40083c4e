"""The FreeRTOS app image (firmware/freertos: modem task + uplink task + queues, built against the
user's kernel from FREERTOS_KERNEL_PATH) in QEMU against the virtual lab, asserted from the cloud's
side like the bare-metal image in tests/test_fw_qemu.py: bootstrap identity, UDP and CoAP uplinks
decoded to exactly the logged values, and an MT SMS through the Management API changing the period
that the next uplink carries. Skipped with the reason when no kernel is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.firmware.build import BuildResult, build
from hil.firmware.run import FirmwareLab, FirmwareRunOptions, run_ok
from tests.support import freertos_fw
from tests.support.firmware_lab import assert_cloud_decoded_what_was_logged, bootstrap_then_sms_interval

pytestmark = pytest.mark.skipif(freertos_fw.kernel_path() is None, reason=freertos_fw.SKIP_REASON)


@pytest.fixture(scope="module")
def freertos_image(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return build("freertos", "mps2-an385", build_dir=tmp_path_factory.mktemp("fw-freertos-app"))


@pytest.mark.parametrize("dialect", ["bg95", "nrf91"])
def test_the_freertos_app_bootstraps_uplinks_and_takes_an_sms(
    freertos_image: BuildResult, dialect: str
) -> None:
    options = FirmwareRunOptions(dialect=dialect, run_for_s=12, period_s=2)
    with FirmwareLab(freertos_image.image, options) as lab:
        change = bootstrap_then_sms_interval(lab)
        status = lab.wait()
        report = lab.report()
        assert_cloud_decoded_what_was_logged(lab)
    assert status == 0 and run_ok(report), "\n".join(report["console_lines"][-12:])
    assert len(lab.events("sms")) == 1, "the SMS was delivered once"
    after = [e for e in lab.events("uplink", proto="udp") if e.ms > change.ms]
    assert after and all(e.json("values")["interval_s"] == 3 for e in after)


def test_the_image_is_the_app_not_the_port_check(freertos_image: BuildResult) -> None:
    assert Path(freertos_image.image).name.startswith("nce-fw")
    assert freertos_image.sdk.text > 0  # the C SDK is linked in
