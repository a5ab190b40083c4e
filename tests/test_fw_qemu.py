"""The bare-metal firmware in QEMU (mps2-an385) against the virtual lab, asserted from the cloud's
side: a simulated modem (BG95, nRF91) on a SIM claimed from the emulator's inventory, the
emulated network, Device Authenticator, UDP/CoAP integrators, Device Inspector and a webhook
receiver on loopback (hil.firmware.run.FirmwareLab). Faults go into the simulated modem while
the firmware runs; the console log (hil/firmware/console.py) says how it recovered.

The image is built once per session into a temporary directory (hil fw build's code). The
firmware's timers run in real time; the simulated modem's delays are scaled by 0.01.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hil.firmware.build import BuildResult, build
from hil.firmware.config_block import FirmwareConfig, encode
from hil.firmware.console import ConsoleEvent
from hil.firmware.run import FAST_MODEM, REPO, FirmwareLab, FirmwareRunOptions, run_ok
from tests.support.firmware_lab import (
    assert_cloud_decoded_what_was_logged,
    bootstrap_then_sms_interval,
    eventually,
    uplinks,
)

# Until the modem layer (firmware/common/modem/nce_modem.c) is in the tree the image cannot be
# built at all; from then on nothing here is skipped.
pytestmark = pytest.mark.skipif(
    not (REPO / "firmware" / "common" / "modem" / "nce_modem.c").is_file(),
    reason="firmware/common/modem/nce_modem.c is not in this tree yet: the bare-metal image cannot be built",
)


@pytest.fixture(scope="session")
def firmware(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return build("baremetal", "mps2-an385", build_dir=tmp_path_factory.mktemp("fw-baremetal"))


@pytest.mark.parametrize("dialect", ["bg95", "nrf91"])
def test_bootstrap_uplinks_and_an_sms_interval_change(firmware: BuildResult, dialect: str) -> None:
    options = FirmwareRunOptions(dialect=dialect, run_for_s=16, period_s=2)
    with FirmwareLab(firmware.image, options) as lab:
        boot = lab.wait_for("boot", timeout=10)
        assert boot["config"] == "stamped" and boot.int("period_s") == 2 and boot["template"] == "nce_sensor"
        modem = lab.wait_for("modem", timeout=20)
        assert modem["link"] == dialect and modem["iccid"].startswith(lab.iccid)
        change = bootstrap_then_sms_interval(lab)
        later = lab.wait_for("uplink", timeout=20, proto="udp", count=len(uplinks(lab, "udp")) + 2)
        status = lab.wait()
        report = lab.report()
        assert_cloud_decoded_what_was_logged(lab)
        # The webhook receiver got the same decoded values (TELEMETRY_DATA envelopes).
        logged = [e.json("values") for e in lab.events("uplink")]
        assert lab.inbox is not None
        seen = eventually(
            lambda: r if len(r := lab.inbox.received(lab.iccid)) >= len(logged) else None,  # type: ignore[union-attr]
            what="webhook deliveries",
        )
        assert sorted(json.dumps(d["payload"]["value"], sort_keys=True) for d in seen) == sorted(
            json.dumps(v, sort_keys=True) for v in logged
        )
    assert status == 0, "\n".join(report["console_lines"][-15:])
    assert run_ok(report) and report["bootstrap"]["bootstrapped"]
    # The next uplink after the SMS carries the new interval, and the rounds are 3 s apart.
    udp = uplinks(lab, "udp")
    after = [e for e in udp if e.ms > change.ms]
    assert after and all(e.json("values")["interval_s"] == 3 for e in after)
    before = [e for e in udp if e.ms < change.ms]
    assert all(e.json("values")["interval_s"] == 2 for e in before)
    gaps = [b.ms - a.ms for a, b in itertools.pairwise(after)]
    assert gaps and all(2800 <= gap <= 3600 for gap in gaps), gaps
    assert later.json("values")["interval_s"] == 3
    assert report["sms"]["sent"][0]["received_by_firmware"] is True


def recovery_lines(lab: FirmwareLab) -> list[ConsoleEvent]:
    return lab.events("recovery")


def assert_backoff_respected(lab: FirmwareLab) -> None:
    """Every retry waited (at least) the back-off its recovery line announced: no tight loop."""
    events = lab.events()
    for index, event in enumerate(events):
        if event.event != "recovery":
            continue
        backoff = event.int("backoff_ms")
        assert 1500 <= backoff <= 300 * 1000 * 1.25, event.line
        following = events[index + 1] if index + 1 < len(events) else None
        if following is not None and following.event != "done":  # the run may end mid-wait
            assert following.ms - event.ms >= backoff - 50, (event.line, following.line)


def fault_lab(firmware: BuildResult, faults: list[dict[str, Any]], run_for_s: int = 14) -> FirmwareLab:
    scenario = {**FAST_MODEM, "faults": faults}
    return FirmwareLab(firmware.image, FirmwareRunOptions(run_for_s=run_for_s, period_s=2, scenario=scenario))


def test_registration_denied_is_reported_and_retried_with_backoff(firmware: BuildResult) -> None:
    with fault_lab(firmware, [{"type": "registration_denied", "reject_cause": 11, "id": "deny"}]) as lab:
        error = lab.wait_for("error", timeout=30, cause="denied")
        assert error["where"] == "attach" and error.get("code") == "11"
        lab.wait_for("recovery", timeout=10)
        lab.modem.clear_fault("deny")
        lab.wait_for("connected", timeout=30)
        lab.wait_for("uplink", timeout=20, proto="udp")
        lab.wait()
    assert_backoff_respected(lab)
    assert recovery_lines(lab)[0]["cause"] == "denied"


def test_pdp_rejected_is_reported_and_retried_with_backoff(firmware: BuildResult) -> None:
    with fault_lab(firmware, [{"type": "pdp_reject", "esm_cause": 33, "id": "reject"}]) as lab:
        error = lab.wait_for("error", timeout=30, where="pdp")
        assert error["cause"] == "pdp_rejected"
        lab.wait_for("recovery", timeout=10)
        lab.modem.clear_fault("reject")
        lab.wait_for("connected", timeout=30)
        lab.wait_for("uplink", timeout=20, proto="coap")
        lab.wait()
    assert_backoff_respected(lab)


def test_a_modem_reboot_mid_command_is_recovered(firmware: BuildResult) -> None:
    with fault_lab(firmware, [{"type": "reboot", "command": "AT+CGDCONT", "times": 1}]) as lab:
        lab.wait_for("connected", timeout=40)
        lab.wait_for("uplink", timeout=20, proto="udp")
        lab.wait()
        report = lab.report()
    assert recovery_lines(lab), "a reboot mid-command must go through recovery"
    assert lab.events("error") or lab.events("link_event", kind="reboot")
    assert run_ok(report)
    assert_backoff_respected(lab)


def test_garbage_on_the_line_does_not_stop_the_uplinks(firmware: BuildResult) -> None:
    with fault_lab(firmware, []) as lab:
        first = lab.wait_for("uplink", timeout=30, proto="udp")
        lab.modem.set_fault({"type": "garbage", "at_s": 0, "kind": "line_noise", "length": 64})
        lab.wait_for("uplink", timeout=20, proto="udp", count=3)
        lab.wait()
        report = lab.report()
        assert_cloud_decoded_what_was_logged(lab)  # while the lab's cloud still runs
    assert run_ok(report)
    assert [e.int("n") for e in uplinks(lab, "udp")][:3] == [
        first.int("n"),
        first.int("n") + 1,
        first.int("n") + 2,
    ]


def test_the_network_detaching_the_sim_is_recovered(firmware: BuildResult) -> None:
    with fault_lab(firmware, [], run_for_s=18) as lab:
        lab.wait_for("uplink", timeout=30, proto="coap")
        lab.cloud.reset(lab.iccid)  # Management API: the network detaches the SIM
        event = lab.wait_for("link_event", timeout=20)
        assert event["kind"] in ("registration", "pdp_down")
        sent = len(uplinks(lab, "udp"))
        lab.wait_for("uplink", timeout=30, proto="udp", count=sent + 1)
        lab.wait()
        report = lab.report()
    assert run_ok(report)
    assert_backoff_respected(lab)


def test_stamped_and_unstamped_blocks_change_what_the_firmware_does(
    firmware: BuildResult, tmp_path: Path
) -> None:
    with FirmwareLab(firmware.image, run_for_s=6, period_s=2, config={"coap_topic": "stamped7"}) as lab:
        boot = lab.wait_for("boot", timeout=10)
        coap = lab.wait_for("uplink", timeout=30, proto="coap")
        lab.wait()
    assert boot["config"] == "stamped" and boot["topic"] == "stamped7" and boot.int("run_for_s") == 6
    assert coap["topic"] == "stamped7"
    # The image as built: the compiled-in defaults, and the log says why.
    with FirmwareLab(firmware.image, stamp=False) as lab:
        boot = lab.wait_for("boot", timeout=10)
    assert boot["config"] == "defaults (absent)" and boot["udp"] == "udp.os.1nce.com:4445"
    corrupt = tmp_path / "corrupt.bin"
    data = bytearray(firmware.image.with_suffix(".bin").read_bytes())
    block = bytearray(encode(FirmwareConfig()))
    block[40] ^= 0xFF  # a flipped byte: the CRC no longer matches
    data[0x400 : 0x400 + 256] = block
    corrupt.write_bytes(bytes(data))
    with FirmwareLab(corrupt, stamp=False) as lab:
        boot = lab.wait_for("boot", timeout=10)
    assert boot["config"] == "defaults (corrupt: crc)"


def test_hil_fw_build_and_run_json_through_the_cli(tmp_path: Path) -> None:
    hil = [sys.executable, "-m", "hil.cli.main", "fw"]
    built = subprocess.run(
        [
            *hil,
            "build",
            "--target",
            "baremetal",
            "--board",
            "mps2-an385",
            "--build-dir",
            str(tmp_path),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    result = json.loads(built.stdout)
    assert Path(result["image"]).is_file() and result["image"].endswith("nce-fw.elf")
    assert result["sections"]["text"] > result["sdk"]["text"] > 1000
    assert 0 < result["sdk_share_percent"]["text"] < 100
    run = subprocess.run(
        [*hil, "run", result["image"], "--for", "8", "--period", "2", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr + run.stdout[-2000:]
    report = json.loads(run.stdout)
    assert set(report) >= {"bootstrap", "uplinks", "sms", "errors", "console_lines"}
    assert report["bootstrap"]["identity"] == report["iccid"]
    assert {u["protocol"] for u in report["uplinks"]} == {"UDP", "COAP"}
    assert all(u["matches_log"] for u in report["uplinks"])
