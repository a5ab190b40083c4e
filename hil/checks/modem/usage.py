"""data_usage in modem mode: the 1NCE API's usage grows by what the rig sent through the modem,
plus no more than the IP + UDP headers of each datagram (1NCE meters bytes inside the tunnel,
headers included; hil/virtual/network/metering.py meters the same way)."""

from __future__ import annotations

import secrets
import time

from hil.checks.base import CheckContext, Limit, check
from hil.checks.modem.common import ModemCheck, run_modem_check, wait_for
from hil.cloud.client import CloudClient
from hil.records import CheckRecord
from hil.rig.capabilities import Cloud, Modem

DATA_USAGE_MEASUREMENTS = ("sent_bytes", "usage_growth", "overhead_bytes", "usage_latency")
IPV4_UDP_HEADER = 20 + 8
BYTES_PER_MB = 1_000_000  # the API's MB (six decimals: byte resolution)


def used_bytes(client: CloudClient, iccid: str) -> int:
    """Data volume (both directions) over the API's default window, in bytes."""
    total = 0.0
    for day in client.usage(iccid):
        if day.data is not None:
            total += float(day.data.volume)
    return round(total * BYTES_PER_MB)


@check("data_usage", "modem", needs=(Modem, Cloud), measurements=DATA_USAGE_MEASUREMENTS)
def data_usage(ctx: CheckContext) -> CheckRecord:
    """The 1NCE API's data usage grows by the bytes sent, within the IP+UDP header overhead."""
    return run_modem_check(ctx, "data_usage", _data_usage)


def _data_usage(c: ModemCheck) -> None:
    timeout = c.timeout("timeout_s", 60.0)
    count = int(c.param("datagrams", 3))
    size = int(c.param("size", 100))
    iccid = c.iccid
    with c.step("send") as s:
        c.ensure_pdp()
        before = used_bytes(c.cloud.client, iccid)
        host, port = c.endpoint("udp")
        with c.modem.open_udp(host, port) as udp:
            start = time.monotonic()
            for _ in range(count):
                # "+" never appears in hex: the nRF91's data mode ends at "+++".
                udp.send(secrets.token_hex(size)[:size].encode())
        sent = count * size
        c.measure(s, "sent_bytes", sent, "B")
    with c.step("api") as s:
        grown = wait_for(
            lambda: (g := used_bytes(c.cloud.client, iccid) - before) >= sent and g, timeout, 0.2
        )
        growth = grown if grown else used_bytes(c.cloud.client, iccid) - before
        c.measure(s, "usage_growth", growth, "B", Limit(low=sent), blame="network")
        if grown:
            c.measure(
                s, "usage_latency", (time.monotonic() - start) * 1000, "ms", Limit(low=0, high=timeout * 1000)
            )
        # Up to one header per datagram each way (an answer from the server counts too).
        c.measure(
            s,
            "overhead_bytes",
            growth - sent,
            "B",
            Limit(low=0, high=2 * count * IPV4_UDP_HEADER),
            blame="network",
        )
