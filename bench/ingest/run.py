"""Benchmark: UDP uplinks per second into Device Inspector, with loss counted.

Starts `hil cloud serve` as a child process, brings --sims SIMs online over netlink, then sends
datagrams from their 127.a.b.c addresses at --rate per second for --seconds, waits until the
emulator's history writer has committed everything it received, and prints sent / stored / lost
and the rate achieved. Run: .venv/bin/python bench/ingest/run.py [--rate 6000 --seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.ingest.emulator_process import Emulator
from hil.virtual.netlink import sim_ip_to_loopback
from hil.virtual.network.netlink_client import NetlinkClient


def bring_online(emulator: Emulator, count: int) -> tuple[asyncio.AbstractEventLoop, list[NetlinkClient]]:
    """Attach `count` SIMs and keep their netlink connections open on a background loop."""
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()

    async def attach() -> list[NetlinkClient]:
        clients = []
        for sim in emulator.sims[:count]:
            client = await NetlinkClient.connect(emulator.endpoints["netlink"])
            await client.bring_online(sim["iccid"], sim["imsi"])
            clients.append(client)
        return clients

    return loop, asyncio.run_coroutine_threadsafe(attach(), loop).result(120)


DEMO_TEMPLATE = Path(__file__).resolve().parents[2] / "sdk_bindings" / "bcl" / "examples" / "c_sdk_demo.json"
DEMO_PAYLOAD = bytes.fromhex("016354322e322e31")  # the C SDK demo frame (reference §3.3 example 7)


def activate_template(emulator: Emulator) -> None:
    body = {
        "name": "bench",
        "template": DEMO_TEMPLATE.read_text(),
        "protocolFilter": ["UDP"],
        "status": "ACTIVE",
    }
    response = httpx.post(
        emulator.endpoints["api"] + "/v1/optimize/templates", json=body, headers=emulator.headers
    )
    response.raise_for_status()


def send(emulator: Emulator, count: int, rate: int, seconds: float, payload: bytes) -> tuple[int, float]:
    port = int(emulator.endpoints["udp"].rsplit(":", 1)[1])
    sockets = []
    for sim in emulator.sims[:count]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((sim_ip_to_loopback(sim["ip_address"]), 0))
        sockets.append(sock)
    target = ("127.0.0.1", port)
    sent = 0
    start = time.perf_counter()
    total = int(rate * seconds)
    while sent < total:
        due = min(total, int((time.perf_counter() - start) * rate) + 1)
        while sent < due:
            sockets[sent % count].sendto(payload, target)
            sent += 1
        time.sleep(0.001)
    elapsed = time.perf_counter() - start
    for sock in sockets:
        sock.close()
    return sent, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=6000, help="datagrams per second to send")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--sims", type=int, default=100, help="SIMs sending (round robin)")
    parser.add_argument(
        "--template", action="store_true", help="decode every uplink with the C SDK demo template"
    )
    args = parser.parse_args()
    emulator = Emulator(max(args.sims, 1))
    try:
        loop, clients = bring_online(emulator, args.sims)
        if args.template:
            activate_template(emulator)
        payload = DEMO_PAYLOAD if args.template else bytes(range(24))
        sent, elapsed = send(emulator, args.sims, args.rate, args.seconds, payload)
        sender_done = time.perf_counter()
        stats_url = emulator.endpoints["emulator"] + "/stats"
        deadline = time.monotonic() + 120
        while True:  # the stats call waits for the writer to commit what was queued
            stats = httpx.get(stats_url, headers=emulator.headers, timeout=60).json()
            if stats["history_rows"] >= sent or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        drain = time.perf_counter() - sender_done
        stored = stats["history_rows"]
        print(
            f"sent        {sent} datagrams from {args.sims} SIM addresses "
            f"in {elapsed:.2f} s ({sent / elapsed:.0f}/s)"
        )
        print(f"received    {stats.get('udp_received', 0)} (kernel drops = sent - received)")
        mode = "BCL-decoded JSON" if args.template else "base64, no template"
        print(f"stored      {stored} rows in Device Inspector history (SQLite WAL, {mode})")
        print(f"lost        {sent - stored}")
        print(f"ingest rate {stored / elapsed:.0f} uplinks/s stored over the {elapsed:.1f} s send window")
        print(f"drain       last row committed {drain:.2f} s after the last datagram was sent")
        for client in clients:
            asyncio.run_coroutine_threadsafe(client.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
