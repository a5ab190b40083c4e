"""The smoke checks as pytest tests, in modem mode: the harness drives the rig's modem over AT and
checks what it sees against the 1NCE API (the emulator on the virtual lab).

    pytest examples/pytest --lab virtual                       # a virtual lab
    pytest examples/pytest --rigs-file rigs.yaml --rig bench-1 # a real rig
    pytest examples/pytest --lab virtual -n 4                  # four workers, a rig each

Each `hil_check(...)` runs the same check `hil run` runs, commits its record to the results DB
and puts its measurements in the JUnit properties; a failed check fails the test with its class
and the transcript. Copy this file and change the parameters and limits to your lab's.
"""

from __future__ import annotations

from typing import Any

import pytest

from at_commands.modem import Modem
from hil.rig.capabilities import Cloud


def test_sim_ready(hil_check: Any) -> None:
    hil_check("sim_ready")


def test_attach(hil_check: Any) -> None:
    record = hil_check("attach", timeout_s=60, limits={"time_to_attach": {"high": 60}})
    stat = record.step_named("attach") or record.steps[0]
    assert any(m.name == "stat" and m.value == 5 for m in stat.measurements), record.to_json()


def test_apn(hil_check: Any) -> None:
    hil_check("apn")


def test_signal(hil_check: Any) -> None:
    hil_check("signal", limits={"rsrp": {"low": -120}})


def test_sms_mo(hil_check: Any) -> None:
    hil_check("sms_mo", timeout_s=30)


def test_sms_mt(hil_check: Any) -> None:
    hil_check("sms_mt", timeout_s=30)


def test_uplink_udp(hil_check: Any) -> None:
    hil_check("uplink_udp", limits={"saving_pct": {"low": 10}})


def test_uplink_coap(hil_check: Any) -> None:
    hil_check("uplink_coap", topic="nce_hil/pytest", limits={"saving_pct": {"low": 10}})


def test_device_auth(hil_check: Any) -> None:
    hil_check("device_auth")


def test_downlink(hil_check: Any) -> None:
    hil_check("downlink")


def test_data_usage(hil_check: Any) -> None:
    hil_check("data_usage", datagrams=2, size=64)


@pytest.mark.rig("modem=bg96")
def test_modem_and_cloud_agree_on_the_iccid(modem: Modem, cloud: Cloud, hil_record: Any) -> None:
    """Beyond the checks: the fixtures themselves (a BG96 rig), with measurements of our own."""
    modem.initialize()
    modem.ensure_sim_ready()
    iccid = modem.info().iccid
    sim = cloud.client.sim(iccid)
    hil_record.measure("iccid_digits", len(iccid), expected=19)
    hil_record.measure("api_knows_sim", sim.iccid == iccid, expected=True)
    assert hil_record.passed, hil_record.record.to_json()
