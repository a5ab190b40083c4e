"""The Modem API against the simulated modem, for every dialect, over a real pty and over TCP:
attach with stat 5, APN and RAT read back, the PDP IP, a UDP datagram from the SIM's loopback
address and its reply, SMS MO (PDU and text) and MT, SIM files."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from at_commands.dialects.profiles import DIALECT_NAMES, Rat, profile
from at_commands.errors import SmsError, SocketError
from at_commands.modem import Modem
from at_commands.sim import normalize_iccid
from at_commands.sms import decode_submit
from hil.virtual.modem_sim import ModemSimulator, SimulatorHost

TIME_SCALE = 0.01


@pytest.fixture(scope="module")
def host() -> Iterator[SimulatorHost]:
    shared = SimulatorHost()
    yield shared
    shared.close()


@pytest.fixture
def udp_peer() -> Iterator[socket.socket]:
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    peer.settimeout(5)
    yield peer
    peer.close()


def scenario_for(index: int) -> dict:
    """A distinct SIM and IP per dialect, so nothing passes by accident on defaults."""
    return {
        "sim": {"imsi": f"90140510000{index:04d}", "msisdn": f"88228510000{index:04d}"},
        "network": {"ip": f"10.20.{30 + index}.{40 + index}", "signal": {"rssi_dbm": -81, "rsrp_dbm": -101}},
    }


@pytest.mark.parametrize("transport", ["pty", "tcp"])
@pytest.mark.parametrize("dialect", DIALECT_NAMES)
def test_full_modem_flow(dialect: str, transport: str, host: SimulatorHost, udp_peer: socket.socket) -> None:
    index = DIALECT_NAMES.index(dialect)
    scenario = scenario_for(index)
    with ModemSimulator(dialect, scenario, time_scale=TIME_SCALE, host=host) as sim:
        url = sim.start_pty() if transport == "pty" else sim.start_tcp()
        identity = sim.identity
        with Modem.open(url) as modem:  # dialect detected from AT+CGMM
            assert modem.name == dialect
            modem.initialize()

            info = modem.info()
            assert info.iccid == normalize_iccid(identity["iccid"]).api and len(info.iccid) == 19
            assert info.imsi == scenario["sim"]["imsi"] and info.imei == identity["imei"]
            assert info.model == profile(dialect).model

            registration = modem.attach(rat=Rat.LTE_M, timeout=10)
            assert registration.stat == 5 and registration.roaming and registration.registered
            assert registration.rat is Rat.LTE_M
            assert registration.act == profile(dialect).act[Rat.LTE_M]
            assert modem.apn() == "iot.1nce.net"
            assert modem.rat() is Rat.LTE_M

            signal = modem.signal()
            assert signal.rssi_dbm == -81
            assert signal.rsrp_dbm == -101.0

            context = modem.activate_pdp()
            assert context.ip == scenario["network"]["ip"]

            payload = bytes(range(0, 256, 7)) + b"\r\nOK\r\n"  # binary, with framing look-alikes
            if dialect == "nrf91":
                payload = payload.replace(b"+", b"-")  # SLM data mode ends at "+++"
            with modem.open_udp("127.0.0.1", udp_peer.getsockname()[1]) as udp:
                udp.send(payload)
                received, source = udp_peer.recvfrom(2048)
                assert received == payload
                assert source[0] == "127." + context.ip.split(".", 1)[1]  # the SIM's loopback address
                udp_peer.sendto(b"downlink \x00\xff", source)
                assert udp.receive(timeout=5).data == b"downlink \x00\xff"

            references = modem.send_sms("+491701234567", "PDU mode from the modem")
            assert len(references) == 1
            submitted = decode_submit(sim.standalone.mo_sms[-1], has_smsc=False)
            assert submitted.text == "PDU mode from the modem"
            assert str(submitted.destination) == "+491701234567"
            if profile(dialect).text_mode_sms:
                modem.send_sms("+491701234567", "text mode", mode="text")
                assert decode_submit(sim.standalone.mo_sms[-1], has_smsc=False).text == "text mode"
            else:
                with pytest.raises(SmsError, match="PDU mode only"):
                    modem.send_sms("+491701234567", "text mode", mode="text")

            modem.enable_sms()
            sim.inject_sms("+4915112345678", f"MT to {dialect} ✓")
            message = modem.wait_sms(timeout=5)
            assert message.sender == "+4915112345678"
            assert message.text == f"MT to {dialect} ✓"

            files = modem.sim_files()
            assert files.iccid == identity["iccid"]
            assert files.imsi == scenario["sim"]["imsi"]
            assert files.forbidden_plmns == []


@pytest.mark.parametrize("dialect", DIALECT_NAMES)
def test_psm_and_edrx_requests_read_back(dialect: str, host: SimulatorHost) -> None:
    with (
        ModemSimulator(dialect, time_scale=TIME_SCALE, host=host) as sim,
        Modem.open(sim.start_pty(), dialect) as modem,
    ):
        modem.initialize()
        modem.set_psm(True, tau="00111000", active_time="00000001")
        modem.set_edrx(True, value="0101")
        state = modem.power_saving()
        assert state.psm_enabled and state.requested_tau == "00111000"
        assert state.requested_active_time == "00000001"
        assert state.edrx_enabled and state.edrx_value == "0101"
        modem.set_psm(False)
        assert not modem.power_saving().psm_enabled


RAT_CASES = [(d, rat) for d in DIALECT_NAMES for rat in profile(d).rats]


@pytest.mark.parametrize(("dialect", "rat"), RAT_CASES, ids=[f"{d}-{r.value}" for d, r in RAT_CASES])
def test_every_supported_rat_with_bands(dialect: str, rat: Rat, host: SimulatorHost) -> None:
    """RAT and band selection in the vendor's commands; the AcT reported is the vendor's number."""
    with (
        ModemSimulator(dialect, time_scale=TIME_SCALE, host=host) as sim,
        Modem.open(sim.start_pty(), dialect) as modem,
    ):
        modem.initialize()
        bands = None if rat is Rat.GSM else [3, 8, 20]
        registration = modem.attach(rat=rat, bands=bands, timeout=10)
        assert registration.stat == 5
        assert registration.rat is rat
        assert registration.act == profile(dialect).act[rat]
        assert modem.rat() is rat
        assert registration == modem.registration(rat)


@pytest.mark.parametrize("dialect", DIALECT_NAMES)
def test_pdp_activation_twice_reuses_the_context_and_local_ports_are_honest(
    dialect: str, host: SimulatorHost
) -> None:
    """A suite activates PDP in several checks: the second activation must find the first's
    context (SIM7080 answers AT+CNACT=0,1 on an active context with ERROR). A local port that the
    module cannot bind is refused, never silently replaced by an ephemeral one."""
    index = DIALECT_NAMES.index(dialect)
    with ModemSimulator(dialect, scenario_for(index), time_scale=TIME_SCALE, host=host) as sim:
        with Modem.open(sim.start_pty(), dialect) as modem:
            modem.initialize()
            modem.attach(rat=profile(dialect).rats[0], timeout=10)
            first = modem.activate_pdp()
            again = modem.activate_pdp()
            assert again.ip == first.ip == scenario_for(index)["network"]["ip"]
            if modem.dialect.binds_local_port:
                modem.open_udp("127.0.0.1", 9, local_port=5000).close()
            else:
                with pytest.raises(SocketError, match="cannot listen on a chosen local port"):
                    modem.open_udp("127.0.0.1", 9, local_port=5000)


@pytest.mark.parametrize("dialect", DIALECT_NAMES)
def test_data_session_comes_back_after_a_new_attach(
    dialect: str, host: SimulatorHost, udp_peer: socket.socket
) -> None:
    """The attach check switches the radio off and on, which ends every context (SIM7000: PDP
    DEACT until AT+CIPSHUT; SIM7080: +APP PDP DEACTIVE): the next check's activation must bring
    the data session back and a datagram must reach the peer."""
    index = DIALECT_NAMES.index(dialect)
    with ModemSimulator(dialect, scenario_for(index), time_scale=TIME_SCALE, host=host) as sim:
        with Modem.open(sim.start_pty(), dialect) as modem:
            modem.initialize()
            rat = profile(dialect).rats[0]
            modem.attach(rat=rat, timeout=10)
            first = modem.activate_pdp()
            modem.attach(rat=rat, timeout=10)
            again = modem.activate_pdp()
            assert again.ip == first.ip == scenario_for(index)["network"]["ip"]
            peer_port = udp_peer.getsockname()[1]
            with modem.open_udp("127.0.0.1", peer_port) as udp:
                udp.send(b"after re-attach")
                data, _ = udp_peer.recvfrom(64)
            assert data == b"after re-attach"
