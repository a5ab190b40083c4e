"""The wiring of `hil fw run` (hil/firmware/run.py FirmwareLab and hil/cli/fw.py), with the tiny
probe image (tests/c/qemu_probe_main.c) in real QEMU: the emulated cloud and network are up, the
nce_sensor template exists, the simulated modem is on a claimed SIM and answers on UART1, the
booted copy is stamped with the emulator's endpoints; the probe sends no uplinks, so the run fails
with the JSON report and exit status 1."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import time
from pathlib import Path

import aiocoap
import pytest
from aiocoap.numbers import codes

from at_commands.modem import Modem
from hil.firmware.image import read_config
from hil.firmware.run import FirmwareLab, FirmwareRunError, FirmwareRunOptions, run_ok
from tests.support import qemu_probe


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return qemu_probe.build(tmp_path_factory.mktemp("qemu-probe"))


def test_the_lab_stamps_the_cloud_endpoints_and_wires_the_modem(probe: Path) -> None:
    options = FirmwareRunOptions(run_for_s=7, period_s=2, config={"coap_topic": "probe"})
    with FirmwareLab(probe, options) as lab:
        assert lab.board is not None and lab.config is not None and lab.emulator is not None
        stamped = read_config(lab.board.image).config
        assert stamped == lab.config and stamped is not None
        endpoints = lab.emulator.endpoints
        assert f"udp://{stamped.udp_host}:{stamped.udp_port}" == endpoints["udp"]
        assert f"coap://{stamped.coap_host}:{stamped.coap_port}" == endpoints["coap"]
        assert (stamped.run_for_s, stamped.uplink_period_s, stamped.coap_topic) == (7, 2, "probe")
        assert read_config(probe).state == "erased"  # the image itself is never touched
        # The probe said AT on UART1; the simulated modem (on the claimed SIM) answered OK.
        lab.board.wait_for(lambda line: line.text.endswith("echo text=OK"), timeout=10)
        assert lab.board.console_text()[0] == "0 I probe config=4e434543"
        assert "nce_sensor" in {t.name for t in lab.cloud.templates()}
        assert lab.cloud.sim(lab.iccid).iccid == lab.iccid
        assert lab.modem.identity["iccid"].startswith(lab.iccid)
        assert lab.wait() == 3  # the probe's "no more modem bytes" status, through semihosting
        report = lab.report()
    assert not run_ok(report)
    assert report["bootstrap"]["bootstrapped"] is False and report["uplinks"] == []
    assert report["errors"][-1]["cause"] == "exit_status" and report["errors"][-1]["status"] == 3
    assert not lab.board.running


def test_unstamped_runs_boot_the_image_as_it_is(probe: Path) -> None:
    with FirmwareLab(probe, FirmwareRunOptions(stamp=False)) as lab:
        assert lab.config is None and lab.board is not None and lab.board.image == probe
        line = lab.board.wait_for(lambda line: " probe " in line.text, timeout=10)
        assert line.text == "0 I probe config=ffffffff"


def test_setup_errors_are_clear_and_stop_what_was_started(probe: Path, tmp_path: Path) -> None:
    with pytest.raises(
        FirmwareRunError, match=r"QEMU runs only mps2-an385|no qemu: section|board 'nrf9160dk'"
    ):
        FirmwareLab(probe, board="nrf9160dk").start()
    with pytest.raises(FirmwareRunError, match=r"template 'nope' .* known: nce_sensor"):
        FirmwareLab(probe, config={"template_name": "nope"}).start()
    with pytest.raises(FirmwareRunError, match=r"uplink_period_s: expected 1\.\.86400"):
        FirmwareLab(probe, period_s=0).start()
    with pytest.raises(FirmwareRunError, match=r"dialect 'tc35': expected one of .*nrf91"):
        FirmwareLab(probe, dialect="tc35").start()


def test_hil_fw_run_json_through_the_cli(probe: Path) -> None:
    command = [sys.executable, "-m", "hil.cli.main", "fw", "run", str(probe), "--dialect", "nrf91"]
    result = subprocess.run([*command, "--for", "5", "--json"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr  # no bootstrap, no uplinks
    report = json.loads(result.stdout)
    assert {"bootstrap", "uplinks", "sms", "errors", "console_lines"} <= set(report)
    assert report["ok"] is False and report["dialect"] == "nrf91" and report["exit_status"] == 3
    assert report["console_lines"][0] == "0 I probe config=4e434543"
    assert any(line.endswith(" I echo text=OK") for line in report["console_lines"])


def test_faults_injected_into_the_modem_reach_the_running_image(probe: Path) -> None:
    # The probe echoes every modem line: what the simulator puts on the line while the image runs
    # (garbage, a reboot's boot URCs, BG95: APP RDY) is what the firmware's UART1 receives.
    with FirmwareLab(probe, run_for_s=10) as lab:
        assert lab.board is not None
        lab.board.wait_for(lambda line: line.text.endswith("echo text=OK"), timeout=10)
        lab.modem.set_fault({"type": "garbage", "at_s": 0, "kind": "bytes", "hex": "0d0a5a5a5a0d0a"})
        lab.board.wait_for(lambda line: line.text.endswith("echo text=ZZZ"), timeout=5)
        lab.modem.reboot()
        rdy = lab.board.wait_for(lambda line: line.text.endswith("echo text=APP RDY"), timeout=5)
        assert rdy.monotonic > lab.board.started_at  # type: ignore[operator]
        assert lab.wait() == 3


def drive_like_the_firmware(device: Modem, lab: FirmwareLab, payload: bytes) -> None:
    """Over AT: attach, PDP, bootstrap (CoAP GET /bootstrap), one CoAP and one UDP uplink."""
    assert lab.emulator is not None
    device.initialize()
    device.attach()
    device.activate_pdp()
    endpoints = lab.emulator.endpoints
    with device.open_udp("127.0.0.1", int(endpoints["coap"].rsplit(":", 1)[1])) as sock:
        requests = [
            aiocoap.Message(code=codes.GET, uri_path=["bootstrap"]),
            aiocoap.Message(code=codes.POST, payload=payload, uri_query=["t=lab"]),
        ]
        for mid, request in enumerate(requests, start=1):
            request.mtype, request.mid, request.token = aiocoap.CON, mid, bytes([mid])
            sock.send(request.encode())
            answer = aiocoap.Message.decode(sock.receive(10).data)
            assert answer.code == (codes.CONTENT if mid == 1 else codes.CHANGED)
    with device.open_udp("127.0.0.1", int(endpoints["udp"].rsplit(":", 1)[1])) as sock:
        sock.send(payload)


def test_the_report_shows_what_the_cloud_decoded_and_the_webhook_got(probe: Path) -> None:
    # The probe sends no uplinks: a second port of the same simulated modem (its pty) does, over
    # AT, what the firmware does: bootstrap, then one UDP and one CoAP uplink of nce_sensor.
    values = {"counter": 7, "interval_s": 5, "temperature_c10": -12, "humidity": 40, "battery_mv": 3600}
    values["uptime_s"] = 99
    payload = struct.pack("<IIhBHI", *values.values())
    with FirmwareLab(probe, run_for_s=10) as lab:
        assert lab.inbox is not None and lab.board is not None
        # Quiet the probe first (it would answer lower-case lines of the modem's output): the
        # simulator puts "hang" on its line, and the probe stops reading UART1.
        lab.board.wait_for(lambda line: line.text.endswith("echo text=OK"), timeout=10)
        lab.modem.set_fault({"type": "garbage", "at_s": 0, "kind": "bytes", "hex": b"\r\nhang\r\n".hex()})
        lab.board.wait_for(lambda line: line.text.endswith("echo text=hang"), timeout=10)
        with Modem.open(lab.modem.start_pty(), "bg95") as device:
            drive_like_the_firmware(device, lab, payload)
        assert lab.inbox.wait(lab.iccid, lambda d: d.get("payload", {}).get("value") == values, timeout=10)
        deadline = time.monotonic() + 10
        while len((report := lab.report())["uplinks"]) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    uplinks = {u["protocol"]: u for u in report["uplinks"]}
    assert set(uplinks) == {"UDP", "COAP"} and uplinks["COAP"]["topic"] == "lab"
    assert all(u["decoded"] == values and "matches_log" not in u for u in uplinks.values())
    cloud = report["bootstrap"]["cloud"]
    assert cloud["requests"] == 1 and cloud["psk_set"] is True and cloud["psk_length"] > 0
    assert report["bootstrap"]["bootstrapped"] is False  # the firmware logged no auth line
    assert not run_ok(report)
    assert "secretKey" not in json.dumps(report)
