"""downlink in modem mode: the 1NCE Device Controller sends a UDP datagram to the device's port;
the modem's socket receives it; latency from the API call to the modem."""

from __future__ import annotations

import secrets
import time

from hil.checks.base import CheckContext, Limit, check
from hil.checks.modem.common import ModemCheck, run_modem_check
from hil.records import CheckRecord
from hil.rig.capabilities import Cloud, Modem

DOWNLINK_MEASUREMENTS = ("received", "payload_matches", "downlink_latency")
DEFAULT_LOCAL_PORT = 5000


@check("downlink", "modem", needs=(Modem, Cloud), measurements=DOWNLINK_MEASUREMENTS)
def downlink(ctx: CheckContext) -> CheckRecord:
    """A UDP message from the Device Controller reaches the modem's socket intact."""
    return run_modem_check(ctx, "downlink", _downlink)


def _downlink(c: ModemCheck) -> None:
    timeout = c.timeout("timeout_s", 30.0)
    local_port = int(c.param("port", DEFAULT_LOCAL_PORT))
    payload = f"nce-hil downlink {secrets.token_hex(4)}".encode()
    with c.step("downlink") as s:
        if not c.modem.dialect.binds_local_port:
            # The Device Controller sends to a port the device listens on; this module's sockets
            # only ever get an ephemeral one, so no downlink can be addressed to it.
            s.skipped = f"{c.modem.dialect.name} cannot listen on a chosen UDP port (port {local_port})"
            return
        c.ensure_pdp()
        host, port = c.endpoint("udp")
        with c.modem.open_udp(host, port, local_port=local_port) as udp:
            start = time.monotonic()
            c.cloud.client.send_udp(c.iccid, payload, local_port)
            datagram = udp.receive(timeout)  # AtTimeoutError when nothing came: see classify
            latency_ms = (time.monotonic() - start) * 1000
        c.measure(s, "received", True, default=Limit(expected=True))
        c.measure(s, "payload_matches", datagram.data == payload, default=Limit(expected=True))
        c.measure(s, "downlink_latency", latency_ms, "ms", Limit(low=0, high=timeout * 1000), blame="network")
