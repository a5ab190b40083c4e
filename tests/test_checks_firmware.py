"""Firmware-mode checks on firmware-mode virtual rigs: ONE VirtualLab (emulated 1NCE cloud and
network), the bare-metal image from the image cache (hil.firmware.cache.ensure_image) stamped
and booted in real QEMU through the rig's Flasher, UART1 on a simulated modem on a SIM claimed
from the lab's inventory. Every check reads the rig's Console and the lab's cloud; faults end in
their failure class. The firmware's timers run in real time; the simulated modem's are x0.01."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hil.checks.base import REGISTRY, CheckContext, load_builtin_checks, run_check
from hil.firmware.build import FirmwareBuildError
from hil.firmware.cache import cache_key, ensure_image, toolchain_version
from hil.firmware.console import parse_line
from hil.firmware.image import read_config
from hil.records import CheckRecord, Measurement
from hil.rig.backends.firmware_rig import QemuRigFlasher
from hil.rig.backends.virtual import FIRMWARE_RIG_DIALECTS, VirtualControls, VirtualLab, VirtualLabError
from hil.rig.capabilities import Cloud, Console, Flasher

CHECKS = (
    "firmware_boot",
    "sim_ready",
    "attach",
    "apn",
    "signal",
    "device_auth",
    "uplink_udp",
    "uplink_coap",
    "sms_mt",
    "sms_mo",
    "downlink",
    "data_usage",
)
PARAMS = {"timeout_s": 20.0}


@pytest.fixture(scope="module")
def image() -> Path:
    return ensure_image("baremetal", "mps2-an385")


@pytest.fixture(scope="module")
def lab() -> Iterator[VirtualLab]:
    with VirtualLab(rigs=5, time_scale=0.01) as virtual:
        yield virtual


def value(record: CheckRecord, name: str) -> Measurement:
    for step in record.steps:
        for measurement in step.measurements:
            if measurement.name == name:
                return measurement
    raise AssertionError(f"{record.check} recorded no {name}: {record.to_json()}")


def failure(record: CheckRecord) -> str:
    return "; ".join(f"{s.name}: {s.error}" for s in record.steps if s.error) or str(record.to_json())


def test_every_firmware_check_is_registered() -> None:
    load_builtin_checks()
    assert {name for name, mode in REGISTRY if mode == "firmware"} == set(CHECKS)
    assert all(Console in REGISTRY[(name, "firmware")].needs for name in CHECKS)


def test_every_check_passes_on_a_firmware_rig(lab: VirtualLab, image: Path) -> None:
    with lab.open_firmware_rig(lab.firmware_spec(0), image, period_s=2) as rig:
        assert rig.spec.dialect in FIRMWARE_RIG_DIALECTS and rig.spec.iccid
        flasher = rig.get(Flasher)  # type: ignore[type-abstract]
        assert isinstance(flasher, QemuRigFlasher) and flasher.image is not None
        stamped = read_config(flasher.image).config
        assert stamped is not None and (stamped.run_for_s, stamped.uplink_period_s) == (0, 2)
        assert read_config(image).state == "erased"  # the cached image itself is never stamped
        ctx = CheckContext(rig, mode="firmware", params=PARAMS)
        records = {name: run_check(name, ctx) for name in CHECKS}  # in sequence, over one run
        for name, record in records.items():
            assert record.passed, f"{name}: {failure(record)}"
            assert record.failure_class is None and record.transcript
            recorded = {m.name for step in record.steps for m in step.measurements}
            assert recorded <= set(REGISTRY[(name, "firmware")].measurements), name  # suites may limit them
        api = rig.get(Cloud).client.sim(rig.spec.iccid)
        assert value(records["firmware_boot"], "config").value == "stamped"
        assert value(records["firmware_boot"], "boots").value == 1
        assert value(records["sim_ready"], "iccid_is_rigs").value is True
        assert value(records["attach"], "stat").value == 5
        assert value(records["attach"], "rat").value == "lte-m"
        assert 0 < value(records["attach"], "time_to_attach").value < 60
        assert value(records["apn"], "ip").value == api.ip_address
        assert value(records["apn"], "apn").value == "iot.1nce.net"
        # The simulator's default cell: CSQ 21, RSRP -95 dBm, RSRQ -10 dB (as the modem check reads it).
        assert [value(records["signal"], n).value for n in ("csq", "rssi", "rsrp", "rsrq")] == [
            21,
            -71,
            -95,
            -10,
        ]
        psk_len = value(records["device_auth"], "psk_length").value
        assert psk_len > 0 and value(records["device_auth"], "cloud_psk_length").value == psk_len
        for proto in ("udp", "coap"):
            uplink = records[f"uplink_{proto}"]
            assert value(uplink, "decoded_equals_logged").value is True
            assert value(uplink, "webhook_delivered").value is True
            payload, json_size = value(uplink, "payload_bytes").value, value(uplink, "json_bytes").value
            assert (
                value(uplink, "saving_pct").value == round(100.0 * (json_size - payload) / json_size, 1) > 30
            )
        assert value(records["uplink_coap"], "ack_code").value == "2.04"
        assert (
            value(records["uplink_coap"], "wire_bytes").value
            > value(records["uplink_coap"], "payload_bytes").value
        )
        assert value(records["sms_mo"], "api_listed").value is True
        assert value(records["downlink"], "payload_matches").value is True
        assert value(records["downlink"], "downlink_latency").value > 0
        sms = records["sms_mt"]
        assert value(sms, "api_state").value == "DELIVERED"
        assert value(sms, "uplink_interval_s").value == 3  # period 2 -> interval=3 by SMS
        assert value(sms, "receive_latency").value > 0
        usage = records["data_usage"]
        assert (
            value(usage, "usage_delta").value
            == value(usage, "logged_bytes").value + 28 * value(usage, "datagrams").value
        )
        # Secrets never reach a record: the PSK appears as its length only.
        secret = rig.get(Cloud).client.psk(rig.spec.iccid)["secretKey"]
        assert all(secret not in str(r.to_json()) for r in records.values())

        # The rig's Flasher boots the image again on reset: a second boot line on the same
        # console, which firmware_boot reports as the device resetting (dut).
        flasher.reset()
        console = rig.get(Console)  # type: ignore[type-abstract]
        console.expect(r" I boot ", timeout=20)
        assert [parse_line(line).event for line in console.lines()].count("boot") == 2
        again = run_check("firmware_boot", ctx)
        assert not again.passed and again.failure_class == "dut"
        assert value(again, "boots").value == 2
        board = flasher.board
        assert board is not None and board.running
    assert not board.running  # QEMU is killed when the rig closes


@pytest.mark.parametrize(
    ("fault", "check", "expected_class", "message"),
    [
        ("registration_denied", "attach", "network", "cause=denied"),
        ("sim_missing", "sim_ready", "sim", "cause=no_sim"),
        ("console_dead", "attach", "infra", "line source closed"),
        ("cloud_down", "apn", "infra", "ConnectError"),
    ],
)
def test_faults_end_in_their_failure_class(
    lab: VirtualLab, image: Path, fault: str, check: str, expected_class: str, message: str
) -> None:
    with lab.open_firmware_rig(lab.firmware_spec(1), image, period_s=2, faults=(fault,)) as rig:
        assert rig.get(VirtualControls).faults == (fault,)
        ctx = CheckContext(rig, mode="firmware", params=PARAMS)
        assert run_check("firmware_boot", ctx).passed  # the image boots in every case
        record = run_check(check, ctx)
        assert not record.passed and record.failure_class == expected_class, failure(record)
        assert message in failure(record)


def test_rig_setup_errors_are_clear(lab: VirtualLab, image: Path, tmp_path: Path) -> None:
    with pytest.raises(
        VirtualLabError, match=r"dialect 'me910' has no firmware-mode rig; expected one of bg95"
    ):
        lab.open_firmware_rig(lab.spec(3), image)
    with pytest.raises(VirtualLabError, match=r"uplink_period_s: expected 1\.\.86400"):
        lab.open_firmware_rig(lab.firmware_spec(0), image, period_s=0)
    bogus = tmp_path / "image.hex"
    bogus.write_text("not an image\n")
    with pytest.raises(VirtualLabError, match=r"not an ELF, Intel HEX or \.bin"):
        lab.open_firmware_rig(lab.firmware_spec(0), bogus)


def test_the_image_cache_builds_once_and_reuses(image: Path, tmp_path: Path) -> None:
    before = image.stat().st_mtime_ns
    assert ensure_image("baremetal", "mps2-an385") == image and image.stat().st_mtime_ns == before
    assert image.parent.name == cache_key("baremetal", "mps2-an385", toolchain_version("baremetal"))
    # The key follows the sources and the toolchain.
    source = tmp_path / "src"
    source.mkdir()
    (source / "app.c").write_text("int x;\n")
    key = cache_key("baremetal", "mps2-an385", "gcc 1", (source,))
    assert cache_key("baremetal", "mps2-an385", "gcc 2", (source,)) != key
    (source / "app.c").write_text("int y;\n")
    assert cache_key("baremetal", "mps2-an385", "gcc 1", (source,)) != key


def test_two_processes_asking_at_once_get_one_build(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from hil.firmware.cache import ensure_image; "
        "print(ensure_image(cache_dir=Path(sys.argv[1])))"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300)[0].strip() for p in processes]
    assert [p.returncode for p in processes] == [0, 0]
    assert outputs[0] == outputs[1] and Path(outputs[0]).is_file()
    entries = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock"))
    assert entries == [Path(outputs[0]).parent.name]  # one entry, no partial build left behind


def test_a_missing_toolchain_is_a_clear_build_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        FirmwareBuildError, match=r"arm-none-eabi-gcc not found.*gcc-arm-none-eabi.*bin/setup"
    ):
        ensure_image(cache_dir=tmp_path)
