"""The modem side of netlink against a small network on real loopback TCP: hello, attach (roaming,
rejection), PDP with the network's IP, usage per datagram, MO SMS, and the network's pushes."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hil.virtual import netlink
from hil.virtual.modem_sim import ModemSimulator
from hil.virtual.modem_sim.probe import PortProbe

# The scenario names its SIM (a modem without one would claim a SIM: tests/test_modem_sim_claim.py).
FAST: dict[str, Any] = {
    "sim": {"iccid": "89882280666027595044", "imsi": "901405100000001"},
    "modem": {"boot_s": 1.0},
    "network": {"registration_delay_s": 1.0},
}


class Network(socketserver.ThreadingTCPServer):
    """Answers netlink requests from a table and lets the test push to the modem."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Link)
        self.requests: list[dict[str, Any]] = []
        self.links: list[_Link] = []
        self.attach_answer: dict[str, Any] = {
            "ok": True,
            "stat": 5,
            "plmn": "26201",
            "tac": "00B7",
            "ci": "00011B07",
        }
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.server_address[1]}"

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request["op"]
        if op == "attach":
            return self.attach_answer
        if op == "pdp_activate":
            return {"ok": True, "ip": "10.77.1.9", "dns": ["10.0.0.53"]}
        if op == "usage":
            return {"ok": True, "blocked": False}
        if op == "sms_mo":
            return {"ok": True, "mr": 42}
        return {"ok": True}

    def push(self, message: dict[str, Any]) -> None:
        self.links[-1].wfile.write(netlink.encode(message))

    def seen(self, op: str, timeout: float = 3.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [r for r in self.requests if r["op"] == op]
            if found:
                return found
            time.sleep(0.005)
        raise TimeoutError(f"the modem sent no {op!r}; got {[r['op'] for r in self.requests]}")


class _Link(socketserver.StreamRequestHandler):
    server: Network

    def handle(self) -> None:
        self.server.links.append(self)
        for line in self.rfile:
            request = netlink.decode(line)
            with self.server.lock:
                self.server.requests.append(request)
            self.wfile.write(netlink.encode({"id": request["id"], **self.server.answer(request)}))


@pytest.fixture
def network() -> Iterator[Network]:
    server = Network()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def ask(probe: PortProbe, line: str) -> bytes:
    return probe.exchange(line.encode() + b"\r")


def test_attach_pdp_usage_sms_and_pushes(network: Network) -> None:
    with (
        ModemSimulator("bg95", FAST, time_scale=0.01, network=network.url) as sim,
        PortProbe(sim.start_tcp()) as probe,
    ):
        hello = network.seen("hello")[0]
        assert {k: hello[k] for k in ("iccid", "imsi", "imei")} == {
            "iccid": "89882280666027595044",
            "imsi": "901405100000001",
            "imei": "352656100885188",
        }
        assert network.seen("attach")[0]["rat"] == "LTE-M"
        sim.wait_until(lambda s: any(c["active"] for c in s["pdp"]))
        ask(probe, "ATE0;+CEREG=2;+CGEREP=1;+CMGF=0")
        assert ask(probe, "AT+CEREG?") == b'\r\n+CEREG: 2,5,"00B7","00011B07",8\r\n\r\nOK\r\n'
        assert ask(probe, "AT+COPS?") == b'\r\n+COPS: 0,0,"26201",8\r\n\r\nOK\r\n'
        assert ask(probe, "AT+CGPADDR=1") == b'\r\n+CGPADDR: 1,"10.77.1.9"\r\n\r\nOK\r\n'
        assert network.seen("pdp_activate")[0]["pdp_type"] == "IP"

        # A datagram leaves from 127.77.1.9 and is metered with its 28 header bytes.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
            peer.bind(("127.0.0.1", 0))
            peer.settimeout(3)
            ask(probe, f'AT+QIOPEN=1,0,"UDP","127.0.0.1",{peer.getsockname()[1]},0,0')
            probe.read_until(b"+QIOPEN: 0,0\r\n")
            ask(probe, "AT+QISEND=0,4")
            probe.exchange(b"ping")
            data, source = peer.recvfrom(100)
            assert (data, source[0]) == (b"ping", "127.77.1.9")
            peer.sendto(b"pong!", source)
            probe.read_until(b'+QIURC: "recv",0\r\n')
        usage = network.seen("usage")
        deadline = time.monotonic() + 3
        while len(usage) < 2 and time.monotonic() < deadline:
            usage = network.seen("usage")
        assert [(u["tx_bytes"], u["rx_bytes"]) for u in usage[:2]] == [(4 + 28, 0), (0, 5 + 28)]

        ask(probe, "AT+CMGS=24")
        assert probe.exchange(b"0001000B917228001011F100000CC8329BFD065DDF72363904\x1a") == (
            b"\r\n+CMGS: 42\r\n\r\nOK\r\n"
        )
        assert network.seen("sms_mo")[0]["tpdu"] == "01000B917228001011F100000CC8329BFD065DDF72363904"

        network.push({"push": "sms_mt", "sms_id": 7, "tpdu": "040B919471103254F600006211223074700002E834"})
        assert probe.read_until(b'"SM",1\r\n') == b'\r\n+CMTI: "SM",1\r\n'
        result = network.seen("sms_mt_result")[0]
        assert (result["sms_id"], result["delivered"]) == (7, True)

        network.push({"push": "pdp_deactivate", "reason": "quota"})
        assert (
            probe.read_until(b'"pdpdeact",1\r\n')
            == b'\r\n+CGEV: NW PDN DEACT 1\r\n\r\n+QIURC: "pdpdeact",1\r\n'
        )
        assert ask(probe, "AT+CGPADDR=1") == b"\r\n+CGPADDR: 1\r\n\r\nOK\r\n"

        network.push({"push": "detach", "reason": "reset connectivity"})
        assert probe.read_until(b"+CEREG: 2\r\n") == b"\r\n+CGEV: NW DETACH\r\n\r\n+CEREG: 2\r\n"
        assert probe.read_until(b"PDN ACT 1\r\n", timeout=3).startswith(
            b'\r\n+CEREG: 5,"00B7","00011B07",8\r\n'
        )
        assert len(network.seen("attach")) == 2  # it attached again by itself


def test_status_report_push_gives_cds(network: Network) -> None:
    with (
        ModemSimulator("sim7080", FAST, time_scale=0.01, network=network.url) as sim,
        PortProbe(sim.start_pty()) as probe,
    ):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        ask(probe, "ATE0;+CNMI=2,1,0,1,0")
        report = "06000B917228001011F1621122307470006211223074800000"
        network.push({"push": "sms_status", "mr": 0, "status": 0, "tpdu": report})
        header = probe.read_until(b"\r\n", timeout=2) + probe.read_until(b"\r\n")
        assert header == f"\r\n+CDS: {len(report) // 2}\r\n".encode()
        assert probe.read_until(b"\r\n").endswith(report.encode() + b"\r\n")


def test_attach_rejected_by_the_network(network: Network) -> None:
    network.attach_answer = {"ok": False, "error": "IMEI lock", "stat": 3, "reject_cause": 6}
    with (
        ModemSimulator("me910", FAST, time_scale=0.01, network=network.url) as sim,
        PortProbe(sim.start_tcp()) as probe,
    ):
        sim.wait_until(lambda s: s["registration"]["stat"] == 3)
        ask(probe, "ATE0;+CEREG=3")
        assert ask(probe, "AT+CEREG?") == b'\r\n+CEREG: 3,3,"1A2B","01A2B3C4",8,0,6\r\n\r\nOK\r\n'


def test_no_network_means_searching_and_the_link_recovers() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    url = f"tcp://127.0.0.1:{port}"
    with (
        ModemSimulator("nrf91", FAST, time_scale=0.01, network=url) as sim,
        PortProbe(sim.start_pty()) as probe,
    ):
        ask(probe, "AT+CFUN=1")
        time.sleep(0.2)
        assert sim.status()["registration"]["stat"] == 2  # nobody to attach to: still searching
        assert ask(probe, "AT+CEREG?") == b"AT+CEREG?\r\r\n+CEREG: 0,2\r\n\r\nOK\r\n"
        late = Network(port)  # the network comes up: the modem connects and attaches by itself
        late.attach_answer = {"ok": True, "stat": 5, "plmn": "90140", "tac": "1A2B", "ci": "01A2B3C4"}
        thread = threading.Thread(target=late.serve_forever, daemon=True)
        thread.start()
        try:
            sim.wait_until(lambda s: s["registration"]["stat"] == 5, timeout=5)
            assert sim.status()["network"]["connected"] is True
        finally:
            late.shutdown()
            late.server_close()


def test_a_lost_link_means_detach_and_a_new_attach(network: Network) -> None:
    with (
        ModemSimulator("bg96", FAST, time_scale=0.01, network=network.url) as sim,
        PortProbe(sim.start_tcp()) as probe,
    ):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        ask(probe, "ATE0;+CGEREP=1")
        network.links[-1].connection.shutdown(socket.SHUT_RDWR)  # the network side drops the link
        assert probe.read_until(b"NW DETACH\r\n", timeout=3).endswith(b"\r\n+CGEV: NW DETACH\r\n")
        sim.wait_until(lambda s: s["registration"]["stat"] == 5, timeout=5)
        assert len(network.seen("hello")) == 2 and len(network.seen("attach")) == 2
