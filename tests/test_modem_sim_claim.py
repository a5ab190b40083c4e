"""A simulated modem without a SIM identity claims a free SIM of the emulated network's inventory,
end to end: a real emulator (ThreadedEmulator) over real netlink TCP on loopback, the modem read
over its real pty, and `hil modem-sim` as a process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from at_commands.sim import luhn_check_digit
from hil.virtual.cloud.config import EmulatorConfig
from hil.virtual.cloud.server import ThreadedEmulator
from hil.virtual.modem_sim import ModemSimulator, SimClaimError
from hil.virtual.modem_sim.probe import PortProbe
from hil.virtual.network.inventory import parse_yaml_inventory
from hil.virtual.network.netlink_client import NetlinkClient
from hil.virtual.network.sessions import SessionState

FIRST, SECOND, DISABLED, LOCKED = (
    "8988280666000000711",
    "8988280666000000712",
    "8988280666000000713",
    "8988280666000000714",
)
INVENTORY = f"""
organisation: {{id: "7400001", name: "Claim org", ip_range: "10.66.0.0/24"}}
api_users: [{{client_id: "7400001_api", client_secret: "claim-secret-1"}}]
sims:
  - {{iccid: "{SECOND}", imsi: "901405100000712", msisdn: "882285100000712"}}
  - {{iccid: "{FIRST}", imsi: "901405100000711", msisdn: "882285100000711"}}
  - {{iccid: "{DISABLED}", imsi: "901405100000713", status: Disabled}}
  - {{iccid: "{LOCKED}", imsi: "901405100000714", imei: "352656100885170", imei_lock: true}}
"""
FAST: dict[str, Any] = {
    "modem": {"boot_s": 0.5},
    "network": {"registration_delay_s": 0.5, "pdp_delay_s": 0.1},
}


@pytest.fixture
def lab() -> Iterator[ThreadedEmulator]:
    with ThreadedEmulator(parse_yaml_inventory(INVENTORY), EmulatorConfig(time_scale=0.001)) as emulator:
        yield emulator


def simulator(lab: ThreadedEmulator, dialect: str = "bg95", iccid: str | None = None) -> ModemSimulator:
    return ModemSimulator(dialect, FAST, time_scale=0.01, network=lab.endpoints["netlink"], iccid=iccid)


def online(lab: ThreadedEmulator) -> set[str]:
    core = lab.services.core
    return lab.call(lambda: {sim.iccid for sim in core.store.all_sims() if core.has_link(sim.iccid)})


def released(lab: ThreadedEmulator, timeout: float = 5.0) -> set[str]:
    """The SIMs still linked once the network has processed the simulators' disconnects (they
    arrive on its event loop shortly after a simulator stops)."""
    deadline = time.monotonic() + timeout
    while (still := online(lab)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return still


def test_two_simulators_get_two_different_sims_and_attach(lab: ThreadedEmulator) -> None:
    with simulator(lab) as one, simulator(lab, "nrf91") as two:
        # Free SIMs go out in ICCID order, whatever the inventory's order; the identity is the
        # inventory's, with the Luhn digit a module reads from the card.
        assert one.identity["iccid"] == FIRST + luhn_check_digit(FIRST)
        assert (one.identity["imsi"], one.identity["msisdn"]) == ("901405100000711", "882285100000711")
        assert two.identity["iccid"] == SECOND + luhn_check_digit(SECOND)
        assert two.identity["imsi"] == "901405100000712"
        assert one.modem.claimed is not None and one.modem.claimed.iccid == FIRST
        assert online(lab) == {FIRST, SECOND}
        with PortProbe(one.start_pty()) as probe:
            assert probe.exchange(b"AT+CIMI\r").split(b"\r\n")[1] == b"901405100000711"
            one.wait_until(lambda s: s["registration"]["stat"] == 5, timeout=10)
            assert probe.exchange(b'AT+CGDCONT=1,"IP","iot.1nce.net"\r').endswith(b"OK\r\n")
            assert probe.exchange(b"AT+CGACT=1,1\r", timeout=10).endswith(b"OK\r\n")
            assert probe.exchange(b"AT+CGPADDR=1\r").split(b"\r\n")[1] == b'+CGPADDR: 1,"10.66.0.2"'
        with PortProbe(two.start_tcp()) as probe:  # an nRF91 boots in CFUN=0
            assert probe.exchange(b"AT+CFUN=1\r").endswith(b"OK\r\n")
            two.wait_until(lambda s: s["registration"]["stat"] == 5, timeout=10)
        sessions = lab.services.core.sessions
        assert lab.call(lambda: sessions.get(SECOND).state) is not SessionState.OFFLINE
    # Stopped simulators release their SIMs: both can be claimed again.
    assert released(lab) == set()
    with simulator(lab) as again:
        assert again.identity["iccid"].startswith(FIRST)


def test_a_claimed_sim_is_not_handed_out_twice(lab: ThreadedEmulator) -> None:
    with simulator(lab), simulator(lab), simulator(lab, "sim7080") as third:
        # The third free SIM is the IMEI-locked one: the modem takes its IMEI so it may attach.
        assert third.identity["iccid"].startswith(LOCKED)
        assert third.identity["imei"] == "352656100885170"
        third.start_pty()
        third.wait_until(lambda s: s["registration"]["stat"] == 5, timeout=10)
        with pytest.raises(SimClaimError) as none_free:
            simulator(lab)
        assert none_free.value.reason == "none_free"
        assert "no free SIM" in str(none_free.value) and "4 SIM(s), 3 Enabled" in str(none_free.value)
        with pytest.raises(SimClaimError) as taken:
            simulator(lab, iccid=FIRST)
        assert taken.value.reason == "taken"
        assert f"SIM {FIRST} is taken" in str(taken.value)
        assert online(lab) == {FIRST, SECOND, LOCKED}


def test_iccid_picks_one_and_bad_choices_are_clear_errors(lab: ThreadedEmulator) -> None:
    with simulator(lab, iccid=SECOND) as chosen:
        assert chosen.identity["iccid"] == SECOND + luhn_check_digit(SECOND)
        with simulator(lab, iccid=FIRST + luhn_check_digit(FIRST)) as with_luhn:  # as a module shows it
            assert with_luhn.identity["imsi"] == "901405100000711"
    with pytest.raises(SimClaimError) as unknown:
        simulator(lab, iccid="8988280666000000799")
    assert unknown.value.reason == "unknown"
    message = str(unknown.value)
    assert "SIM 8988280666000000799 is not in this network's inventory" in message
    assert f"free SIMs: {FIRST}, {SECOND}, {LOCKED}" in message
    with pytest.raises(SimClaimError) as disabled:
        simulator(lab, iccid=DISABLED)
    assert disabled.value.reason == "disabled" and "is Disabled" in str(disabled.value)
    assert released(lab) == set()  # a refused claim binds nothing


def test_a_scenario_with_its_own_sim_does_not_claim(lab: ThreadedEmulator) -> None:
    own = {**FAST, "sim": {"iccid": SECOND, "imsi": "901405100000712"}}
    with ModemSimulator("bg96", own, time_scale=0.01, network=lab.endpoints["netlink"]) as sim:
        assert sim.modem.claimed is None and sim.identity["iccid"] == SECOND
        sim.start_pty()
        sim.wait_until(lambda s: s["registration"]["stat"] == 5, timeout=10)
    with pytest.raises(ValueError, match="give one or the other"):
        ModemSimulator("bg96", own, network=lab.endpoints["netlink"], iccid=FIRST)
    with pytest.raises(ValueError, match="give network="):
        ModemSimulator("bg96", FAST, iccid=FIRST)


def test_an_unreachable_network_is_a_clear_claim_error() -> None:
    with pytest.raises(SimClaimError) as unreachable:
        ModemSimulator("bg95", FAST, network="tcp://127.0.0.1:9")
    assert unreachable.value.reason == "link"
    assert "cannot reach the network at tcp://127.0.0.1:9 to claim a SIM" in str(unreachable.value)


def test_claim_over_raw_netlink(lab: ThreadedEmulator) -> None:
    async def scenario() -> tuple[dict[str, Any], ...]:
        first = await NetlinkClient.connect(lab.endpoints["netlink"])
        second = await NetlinkClient.connect(lab.endpoints["netlink"])
        try:
            claimed = await first.request("claim")
            again = await first.request("claim")
            taken = await second.request("claim", iccid=FIRST)
            bad = await second.request("claim", iccid=7)
            attach = await first.request(
                "attach", iccid=FIRST, imsi=claimed["imsi"], imei="350000000000000", rat="LTE-M"
            )
            return claimed, again, taken, bad, attach
        finally:
            await first.close()
            await second.close()

    claimed, again, taken, bad, attach = asyncio.run(scenario())
    assert claimed == {
        "id": 1,
        "ok": True,
        "protocol_version": 1,
        "iccid": FIRST,
        "imsi": "901405100000711",
        "msisdn": "882285100000711",
        "imei": "",
    }
    assert not again["ok"] and again["error"] == f"this connection already holds SIM {FIRST}"
    assert not taken["ok"] and taken["claim_error"] == "taken"
    assert not bad["ok"] and "must be a non-empty string" in bad["error"]
    assert attach["ok"] and attach["stat"] == 5  # the claim bound the connection as hello does


def test_hil_modem_sim_claims_in_one_command(lab: ThreadedEmulator) -> None:
    command = [sys.executable, "-m", "hil.cli.main", "modem-sim", "--dialect", "bg95", "--pty"]
    network = ["--network", lab.endpoints["netlink"], "--time-scale", "0.01"]
    process = subprocess.Popen(
        [*command, *network], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        assert info["sim"]["iccid"] == FIRST + luhn_check_digit(FIRST) and info["sim_claimed"] is True
        refused = subprocess.run(
            [*command, *network, "--iccid", FIRST], capture_output=True, text=True, timeout=60, check=False
        )
        assert refused.returncode == 1, refused.stderr
        assert f"SIM {FIRST} is taken" in refused.stderr and "Traceback" not in refused.stderr
    finally:
        process.terminate()
        process.wait(timeout=20)
    usage = subprocess.run(
        [*command, "--iccid", FIRST], capture_output=True, text=True, timeout=60, check=False
    )
    assert usage.returncode == 2 and "--iccid picks a SIM of a network's inventory" in usage.stderr
