"""UDP through every socket family: real datagrams on loopback, sent from the SIM's 127.a.b.c
address (SIM IP 10.64.0.2 -> 127.64.0.2), and replies raising each dialect's receive URC."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from hil.virtual.modem_sim import ModemSimulator, SimulatorHost
from hil.virtual.modem_sim.dialects.quectel import QuectelDialect
from hil.virtual.modem_sim.dialects.ublox import UbloxDialect
from hil.virtual.modem_sim.probe import PortProbe

FAST: dict[str, Any] = {"modem": {"boot_s": 1.0}, "network": {"registration_delay_s": 1.0}}
SIM_SOURCE = "127.64.0.2"
PAYLOAD = b"A\r\nOK\r\n\x00\xff"  # bytes that look like framing must survive as data


@pytest.fixture
def peer() -> Iterator[socket.socket]:
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(3)
    yield server
    server.close()


@contextlib.contextmanager
def online(
    dialect: str, scenario: dict[str, Any] | None = None
) -> Iterator[tuple[ModemSimulator, PortProbe]]:
    with (
        ModemSimulator(dialect, scenario or FAST, time_scale=0.01) as sim,
        PortProbe(sim.start_tcp()) as probe,
    ):
        probe.exchange(b"ATE0\r")
        probe.exchange(b"AT+CMEE=1\r")
        if dialect == "nrf91":
            probe.exchange(b"AT+CFUN=1\r")
        sim.wait_until(lambda s: any(c["active"] for c in s["pdp"]))
        yield sim, probe


def ask(probe: PortProbe, line: str) -> bytes:
    return probe.exchange(line.encode() + b"\r")


def ask_exact(probe: PortProbe, line: str, expected: bytes) -> bytes:
    """For answers with binary payloads: read by length, as a host must (the data may hold OK)."""
    probe.write(line.encode() + b"\r")
    return probe.read_exactly(len(expected))


def modem_address(sim: ModemSimulator, index: int = 0) -> tuple[str, int]:
    host, port = sim.status()["sockets"][index]["local"].split(":")
    return host, int(port)


def receive(peer: socket.socket, expected: bytes) -> tuple[str, int]:
    data, source = peer.recvfrom(2048)
    assert data == expected
    assert source[0] == SIM_SOURCE
    return source


def test_quectel_qiopen_qisend_qird(peer: socket.socket) -> None:
    port = peer.getsockname()[1]
    with online("bg95") as (sim, probe):
        assert ask(probe, f'AT+QIOPEN=1,0,"UDP","127.0.0.1",{port},0,0') == b"\r\nOK\r\n"
        assert probe.read_until(b"0,0\r\n") == b"\r\n+QIOPEN: 0,0\r\n"
        assert ask(probe, "AT+QISEND=0,5") == b"\r\n> "
        assert probe.exchange(b"hello") == b"\r\nSEND OK\r\n"
        source = receive(peer, b"hello")
        assert source == modem_address(sim)
        assert sim.standalone.tx_bytes == 5 + 28
        peer.sendto(PAYLOAD, source)
        assert probe.read_until(b"0\r\n") == b'\r\n+QIURC: "recv",0\r\n'
        expected = b"\r\n+QIRD: 9\r\n" + PAYLOAD + b"\r\n\r\nOK\r\n"
        assert ask_exact(probe, "AT+QIRD=0,1500", expected) == expected
        assert ask(probe, "AT+QIRD=0,1500") == b"\r\n+QIRD: 0\r\n\r\nOK\r\n"
        assert ask(probe, "AT+QIRD=0,0") == b"\r\n+QIRD: 9,9,0\r\n\r\nOK\r\n"
        assert ask(probe, "AT+QISEND=0") == b"\r\n> "  # Ctrl-Z terminated
        assert probe.exchange(b"ctrl-z\x1a") == b"\r\nSEND OK\r\n"
        receive(peer, b"ctrl-z")
        assert ask(probe, 'AT+QISENDEX=0,"00FF"') == b"\r\nSEND OK\r\n"
        receive(peer, b"\x00\xff")
        assert ask(probe, "AT+QISTATE=1,0") == (
            f'\r\n+QISTATE: 0,"UDP","127.0.0.1",{port},{source[1]},2,1,0,0,"uart1"\r\n\r\nOK\r\n'.encode()
        )
        assert ask(probe, "AT+QICLOSE=0") == b"\r\nOK\r\n"
        assert ask(probe, "AT+QISEND=0,5") == b"\r\nERROR\r\n"


def test_quectel_direct_push_and_open_errors(peer: socket.socket) -> None:
    port = peer.getsockname()[1]
    with online("bg96") as (_, probe):
        ask(probe, f'AT+QIOPEN=1,2,"UDP","127.0.0.1",{port},0,1')
        probe.read_until(b"+QIOPEN: 2,0\r\n")
        ask(probe, "AT+QISEND=2,2")
        probe.exchange(b"hi")
        source = receive(peer, b"hi")
        peer.sendto(b"push\r\n", source)
        assert probe.read_until(b"push\r\n\r\n") == b'\r\n+QIURC: "recv",2,6\r\npush\r\n\r\n'
        ask(probe, f'AT+QIOPEN=1,2,"UDP","127.0.0.1",{port},0,0')
        assert probe.read_until(b"\r\n+QIOPEN: 2,563\r\n").endswith(b"563\r\n")  # id in use
        ask(probe, f'AT+QIOPEN=1,3,"UDP","no.such.host",{port},0,0')
        assert probe.read_until(b"565\r\n") == b"\r\n+QIOPEN: 3,565\r\n"
        ask(probe, f'AT+QIOPEN=5,4,"UDP","127.0.0.1",{port},0,0')
        assert probe.read_until(b"561\r\n") == b"\r\n+QIOPEN: 4,561\r\n"  # context 5 is not active
        assert ask(probe, "AT+QIGETERROR") == b"\r\n+QIGETERROR: 561,open PDP context failed\r\n\r\nOK\r\n"


def test_nrf_slm_sockets_and_data_mode(peer: socket.socket) -> None:
    port = peer.getsockname()[1]
    with online("nrf91") as (sim, probe):
        assert ask(probe, "AT#XSOCKET=1,2,0") == b"\r\n#XSOCKET: 0,2,17\r\n\r\nOK\r\n"
        assert ask(probe, f'AT#XSENDTO="127.0.0.1",{port},"hello"') == b"\r\n#XSENDTO: 5\r\n\r\nOK\r\n"
        source = receive(peer, b"hello")
        peer.sendto(PAYLOAD, source)
        assert ask(probe, "AT#XPOLL=1000") == b'\r\n#XPOLL: 0,"0x0001"\r\n\r\nOK\r\n'
        expected = f'\r\n#XRECVFROM: 9,"127.0.0.1",{port}\r\n'.encode() + PAYLOAD + b"\r\n\r\nOK\r\n"
        assert ask_exact(probe, "AT#XRECVFROM=2", expected) == expected
        assert ask(probe, "AT#XRECVFROM=0,64") == b"\r\nERROR\r\n"  # non-blocking, nothing there
        probe.write(f'AT#XSENDTO="127.0.0.1",{port}\r'.encode())  # no data: data mode, no OK
        assert probe.drain(quiet=0.05) == b""
        probe.write(b"data mode payload+++")
        assert probe.read_final() == b"\r\nOK\r\n"
        receive(peer, b"data mode payload")
        assert ask(probe, f'AT#XCONNECT="127.0.0.1",{port}') == b"\r\n#XCONNECT: 1\r\n\r\nOK\r\n"
        assert ask(probe, 'AT#XSEND="again"') == b"\r\n#XSEND: 5\r\n\r\nOK\r\n"
        receive(peer, b"again")
        assert ask(probe, "AT#XSOCKET=0") == b'\r\n#XSOCKET: 0,"closed"\r\n\r\nOK\r\n'
        assert sim.status()["sockets"] == []


@pytest.mark.parametrize("dialect", ["sara-r4", "sara-r5"])
def test_ublox_usocr_usost_usorf(dialect: str, peer: socket.socket) -> None:
    port = peer.getsockname()[1]
    with online(dialect) as (sim, probe):
        if dialect == "sara-r5":
            assert ask(probe, "AT+USOCR=17") == b"\r\n+CME ERROR: 3\r\n"  # R5 needs its PSD profile up
            ask(probe, "AT+UPSDA=0,3")
            probe.read_until(b"+UUPSDA")
            probe.drain()
        assert ask(probe, "AT+USOCR=17") == b"\r\n+USOCR: 0\r\n\r\nOK\r\n"
        assert ask(probe, f'AT+USOST=0,"127.0.0.1",{port},5,"hello"') == b"\r\n+USOST: 0,5\r\n\r\nOK\r\n"
        source = receive(peer, b"hello")
        assert ask(probe, f'AT+USOST=0,"127.0.0.1",{port},4') == b"\r\n@"  # binary: the @ prompt
        assert probe.exchange(b'\x00"\r\n') == b"\r\n+USOST: 0,4\r\n\r\nOK\r\n"
        receive(peer, b'\x00"\r\n')
        assert ask(probe, "AT+UDCONF=1,1") == b"\r\nOK\r\n"
        assert ask(probe, f'AT+USOST=0,"127.0.0.1",{port},2,"CAFE"') == b"\r\n+USOST: 0,2\r\n\r\nOK\r\n"
        receive(peer, b"\xca\xfe")
        peer.sendto(b"hi there", source)
        assert probe.read_until(b",8\r\n") == b"\r\n+UUSORF: 0,8\r\n"
        assert ask(probe, "AT+USORF=0,0") == b"\r\n+USORF: 0,8\r\n\r\nOK\r\n"
        assert ask(probe, "AT+USORF=0,512") == (
            f'\r\n+USORF: 0,"127.0.0.1",{port},8,"6869207468657265"\r\n\r\nOK\r\n'.encode()
        )
        ask(probe, "AT+UDCONF=1,0")
        peer.sendto(b"plain", source)
        probe.read_until(b"+UUSORF: 0,5\r\n")
        assert (
            ask(probe, "AT+USORF=0,512")
            == f'\r\n+USORF: 0,"127.0.0.1",{port},5,"plain"\r\n\r\nOK\r\n'.encode()
        )
        assert ask(probe, "AT+USOCL=0") == b"\r\nOK\r\n"
        assert probe.read_until(b"\r\n+UUSOCL: 0\r\n") == b"\r\n+UUSOCL: 0\r\n"
        assert ask(probe, "AT+USORF=0,512") == b"\r\n+CME ERROR: 3\r\n"
        assert sim.standalone.tx_bytes == (5 + 4 + 2) + 3 * 28


def test_sim7080_caopen_casend_carecv(peer: socket.socket) -> None:
    port = peer.getsockname()[1]
    with online("sim7080") as (_, probe):
        assert ask(probe, f'AT+CAOPEN=0,0,"UDP","127.0.0.1",{port}') == b"\r\n+CAOPEN: 0,21\r\n\r\nOK\r\n"
        ask(probe, "AT+CNACT=0,1")
        probe.read_until(b"+APP PDP: 0,ACTIVE\r\n")
        assert ask(probe, f'AT+CAOPEN=0,0,"UDP","127.0.0.1",{port}') == b"\r\n+CAOPEN: 0,0\r\n\r\nOK\r\n"
        assert ask(probe, "AT+CASEND=0,5") == b"\r\n> "
        assert probe.exchange(b"hello") == b"\r\nOK\r\n"
        source = receive(peer, b"hello")
        peer.sendto(PAYLOAD, source)
        assert probe.read_until(b"IND: 0\r\n") == b"\r\n+CADATAIND: 0\r\n"
        expected = b"\r\n+CARECV: 9," + PAYLOAD + b"\r\n\r\nOK\r\n"
        assert ask_exact(probe, "AT+CARECV=0,100", expected) == expected
        assert ask(probe, "AT+CARECV=0,100") == b"\r\n+CARECV: 0\r\n\r\nOK\r\n"
        assert ask(probe, "AT+CASTATE?") == b"\r\n+CASTATE: 0,1\r\n\r\nOK\r\n"
        assert ask(probe, "AT+CACLOSE=0") == b"\r\nOK\r\n"


def test_sim7000_classic_stack(peer: socket.socket) -> None:
    port = peer.getsockname()[1]
    with online("sim7000") as (_, probe):
        for line in ("AT+CIPMUX=1", "AT+CIPRXGET=1", 'AT+CSTT="iot.1nce.net","",""', "AT+CIICR"):
            assert ask(probe, line) == b"\r\nOK\r\n"
        probe.write(b"AT+CIFSR\r")
        probe.read_until(b"10.64.0.2\r\n")
        assert ask(probe, f'AT+CIPSTART=0,"UDP","127.0.0.1",{port}') == b"\r\nOK\r\n"
        assert probe.read_until(b"CONNECT OK\r\n") == b"\r\n0, CONNECT OK\r\n"
        assert ask(probe, "AT+CIPSEND=0,5") == b"\r\n> "
        assert probe.exchange(b"hello") == b"\r\n0, SEND OK\r\n"
        source = receive(peer, b"hello")
        peer.sendto(PAYLOAD, source)
        assert probe.read_until(b"1,0\r\n") == b"\r\n+CIPRXGET: 1,0\r\n"
        assert ask(probe, "AT+CIPRXGET=4,0") == b"\r\n+CIPRXGET: 4,0,9\r\n\r\nOK\r\n"
        expected = b"\r\n+CIPRXGET: 2,0,4,5\r\nA\r\nO\r\n\r\nOK\r\n"
        assert ask_exact(probe, "AT+CIPRXGET=2,0,4", expected) == expected
        expected = b"\r\n+CIPRXGET: 2,0,5,0\r\nK\r\n\x00\xff\r\n\r\nOK\r\n"
        assert ask_exact(probe, "AT+CIPRXGET=2,0,100", expected) == expected
        assert ask(probe, "AT+CIPQSEND=1") == b"\r\nOK\r\n"
        ask(probe, "AT+CIPSEND=0,3")
        assert probe.exchange(b"abc") == b"\r\nDATA ACCEPT:0,3\r\n"
        receive(peer, b"abc")
        assert ask(probe, "AT+CIPCLOSE=0") == b"\r\n0, CLOSE OK\r\n"
        assert ask(probe, "AT+CIPSHUT") == b"\r\nSHUT OK\r\n"


def test_telit_sd_ssendext_sring_srecv(peer: socket.socket) -> None:
    port = peer.getsockname()[1]
    with online("me910") as (_, probe):
        assert ask(probe, f'AT#SD=1,1,{port},"127.0.0.1",0,0,1') == b"\r\n+CME ERROR: 3\r\n"  # no #SGACT yet
        assert ask(probe, "AT#SGACT=1,1") == b"\r\n#SGACT: 10.64.0.2\r\n\r\nOK\r\n"
        assert ask(probe, "AT#SCFG=1,1,300,90,600,50;#SCFGEXT=1,1,0,0") == b"\r\nOK\r\n"
        assert ask(probe, f'AT#SD=1,1,{port},"127.0.0.1",0,0,1') == b"\r\nOK\r\n"
        assert ask(probe, "AT#SSENDEXT=1,5") == b"\r\n> "
        assert probe.exchange(b"hello") == b"\r\nOK\r\n"
        source = receive(peer, b"hello")
        peer.sendto(PAYLOAD, source)
        assert probe.read_until(b"SRING: 1,9\r\n") == b"\r\nSRING: 1,9\r\n"
        expected = b"\r\n#SRECV: 1,9\r\n" + PAYLOAD + b"\r\n\r\nOK\r\n"
        assert ask_exact(probe, "AT#SRECV=1,100", expected) == expected
        assert ask(probe, "AT#SSEND=1") == b"\r\n> "
        assert probe.exchange(b"zz\x1a") == b"\r\nOK\r\n"
        receive(peer, b"zz")
        assert ask(probe, "AT#SH=1") == b"\r\nOK\r\n"
        assert ask(probe, "AT#SS").startswith(b"\r\n#SS: 1,0\r\n")


def test_datagrams_outside_loopback_are_counted_and_dropped(peer: socket.socket) -> None:
    with online("sara-r4") as (sim, probe):
        ask(probe, "AT+USOCR=17")
        assert ask(probe, 'AT+USOST=0,"203.0.113.7",5683,3,"abc"') == b"\r\n+USOST: 0,3\r\n\r\nOK\r\n"
        assert sim.standalone.tx_bytes == 3 + 28
        with pytest.raises(TimeoutError):
            peer.settimeout(0.1)
            peer.recvfrom(100)


def test_hosts_map_names_and_public_addresses_to_loopback(peer: socket.socket) -> None:
    port = peer.getsockname()[1]
    scenario = {**FAST, "network": {"registration_delay_s": 1.0, "hosts": {"203.0.113.9": "127.0.0.1"}}}
    with online("sara-r4", scenario) as (_, probe):
        ask(probe, "AT+USOCR=17")
        ask(probe, f'AT+USOST=0,"203.0.113.9",{port},2,"ok"')
        source = receive(peer, b"ok")
        peer.sendto(b"back", source)
        probe.read_until(b"+UUSORF: 0,4\r\n")
        assert (
            ask(probe, "AT+USORF=0,10")
            == f'\r\n+USORF: 0,"203.0.113.9",{port},4,"back"\r\n\r\nOK\r\n'.encode()
        )


def test_many_rigs_in_one_loop_send_from_their_own_addresses(peer: socket.socket) -> None:
    port = peer.getsockname()[1]
    host = SimulatorHost()
    rigs = []
    try:
        for number, dialect in enumerate(("bg96", "sara-r4", "me910"), start=2):
            data = {
                **FAST,
                "sim": {"iccid": f"898822806660275950{number:02d}", "imsi": f"9014051000000{number:02d}"},
                "network": {"registration_delay_s": 1.0, "ip": f"10.64.0.{number}"},
            }
            rigs.append(ModemSimulator(dialect, data, time_scale=0.01, host=host))
        sources = set()
        for rig, send in zip(
            rigs,
            (
                f'AT+QIOPEN=1,0,"UDP","127.0.0.1",{port},0,0',
                "AT+USOCR=17",
                "AT#SGACT=1,1",
            ),
            strict=True,
        ):
            with PortProbe(rig.start_pty()) as probe:
                rig.wait_until(lambda s: any(c["active"] for c in s["pdp"]))
                ask(probe, send)
                if isinstance(rig.modem.dialect, QuectelDialect):
                    probe.read_until(b"+QIOPEN: 0,0\r\n")
                    ask(probe, "AT+QISEND=0,2")
                    probe.exchange(b"hi")
                elif isinstance(rig.modem.dialect, UbloxDialect):
                    ask(probe, f'AT+USOST=0,"127.0.0.1",{port},2,"hi"')
                else:
                    ask(probe, f'AT#SD=1,1,{port},"127.0.0.1",0,0,1')
                    ask(probe, "AT#SSENDEXT=1,2")
                    probe.exchange(b"hi")
                data, source = peer.recvfrom(100)
                assert data == b"hi"
                sources.add(source[0])
        assert sources == {"127.64.0.2", "127.64.0.3", "127.64.0.4"}
    finally:
        for rig in rigs:
            rig.stop()
        host.close()
