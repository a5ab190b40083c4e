"""The virtual lab is one system: rigs claim different SIMs of the emulator's inventory, the
rig's Cloud client sees what its modem does, and faults are injected per rig."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from at_commands.errors import RegistrationDeniedError, SimError
from hil.rig.backends.virtual import VirtualControls, VirtualLab
from hil.rig.capabilities import Cloud, Modem


@pytest.fixture(scope="module")
def lab() -> Iterator[VirtualLab]:
    with VirtualLab(rigs=3) as virtual:
        yield virtual


def test_rigs_get_their_own_sims_and_the_cloud_sees_the_modem(lab: VirtualLab) -> None:
    with lab.open_rig(lab.spec(0)) as one, lab.open_rig(lab.spec(1)) as two:
        assert one.spec.iccid and two.spec.iccid and one.spec.iccid != two.spec.iccid
        assert one.get(VirtualControls).iccid == one.spec.iccid
        modem, cloud = one.get(Modem), one.get(Cloud)
        assert modem.info().iccid.startswith(one.spec.iccid)
        modem.attach(timeout=10)
        ip = modem.activate_pdp().ip
        assert cloud.client.sim(one.spec.iccid).ip_address == ip
        assert cloud.virtual and cloud.inbox is not None
        host, port = cloud.endpoint("udp").removeprefix("udp://").rsplit(":", 1)
        with modem.open_udp(host, int(port), local_port=5000) as udp:
            udp.send(b"\x01")
            cloud.client.send_udp(one.spec.iccid, b"downlink", 5000)
            assert udp.receive(5).data == b"downlink"


def test_faults_are_per_rig(lab: VirtualLab) -> None:
    with (
        lab.open_rig(lab.spec(0), faults=("registration_denied",)) as denied,
        lab.open_rig(lab.spec(1), faults=("sim_missing",)) as no_sim,
        lab.open_rig(lab.spec(2), faults=("cloud_down",)) as offline,
    ):
        with pytest.raises(RegistrationDeniedError):
            denied.get(Modem).attach(timeout=5)
        with pytest.raises(SimError):
            no_sim.get(Modem).attach(timeout=5)
        with pytest.raises(httpx.ConnectError):
            offline.get(Cloud).client.sims().__next__()
        offline.get(Modem).attach(timeout=10)  # only the cloud is down for that rig


def test_unknown_fault_is_refused_before_anything_starts(lab: VirtualLab) -> None:
    with pytest.raises(ValueError, match=r"unknown fault 'gremlins'.*registration_denied"):
        lab.open_rig(lab.spec(0), faults=("gremlins",))
