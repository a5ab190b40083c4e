"""device_auth in modem mode: our SDK's os_auth (the C nce_auth through sdk_bindings.auth) runs
its CoAP bootstrap over the modem's own UDP socket. The identity must be the ICCID and the 1NCE
API must hold the PSK the device got. The PSK itself is never recorded: only its length, and it
is registered as a secret of the AT transcript the moment it arrives."""

from __future__ import annotations

import time

from at_commands.errors import AtTimeoutError
from at_commands.modem import Modem, UdpSocket
from hil.checks.base import CheckContext, Limit, check
from hil.checks.modem.common import ModemCheck, run_modem_check
from hil.records import CheckRecord
from hil.rig.capabilities import Cloud
from sdk_bindings.auth import auth

DEVICE_AUTH_MEASUREMENTS = ("identity_is_iccid", "psk_length", "psk_matches_cloud", "auth_time")
STATE_DEVICE_AUTH = "device_auth.identity"  # what a later check may reuse (never the PSK)


class ModemTransport:
    """sdk_bindings.auth's UdpTransport over a modem socket to a fixed (host, port): the SDK asks
    for coap.os.1nce.com:5683; the rig's Cloud says where its Device Authenticator really is."""

    def __init__(self, modem: Modem, host: str, port: int, timeout: float) -> None:
        self.modem = modem
        self.host = host
        self.port = port
        self.timeout = timeout
        self._socket: UdpSocket | None = None

    def connect(self, host: str, port: int) -> None:
        self.close()
        self._socket = self.modem.open_udp(self.host, self.port)

    def send(self, data: bytes) -> None:
        if self._socket is None:
            raise OSError("bootstrap transport is not connected")
        self._socket.send(data)

    def recv(self, max_size: int) -> bytes | None:
        if self._socket is None:
            raise OSError("bootstrap transport is not connected")
        try:
            return self._socket.receive(self.timeout).data[:max_size]
        except AtTimeoutError:
            return None  # os_auth retries or gives up with NCE_SDK_RECEIVE_ERROR

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


@check("device_auth", "modem", needs=(Modem, Cloud), measurements=DEVICE_AUTH_MEASUREMENTS)
def device_auth(ctx: CheckContext) -> CheckRecord:
    """The SDK's bootstrap through the modem returns identity == ICCID and the PSK the API holds."""
    return run_modem_check(ctx, "device_auth", _device_auth)


def _device_auth(c: ModemCheck) -> None:
    timeout = c.timeout("timeout_s", 10.0)
    with c.step("bootstrap") as s:
        c.ensure_pdp()
        host, port = c.endpoint("bootstrap")
        transport = ModemTransport(c.modem, host, port, timeout)
        start = time.monotonic()
        try:
            credentials = auth(transport, attempts=int(c.param("attempts", 2)))
        finally:
            transport.close()
        elapsed_ms = (time.monotonic() - start) * 1000
        c.modem.transcript.add_secret(credentials.psk)  # scrubs the reply already recorded too
        c.measure(s, "auth_time", elapsed_ms, "ms", Limit(low=0, high=timeout * 1000), blame="network")
        c.measure(
            s, "identity_is_iccid", credentials.identity == c.iccid, default=Limit(expected=True), blame="sim"
        )
        c.measure(s, "psk_length", len(credentials.psk), "chars", Limit(low=8, high=99))
        c.ctx.state[STATE_DEVICE_AUTH] = credentials.identity
    with c.step("cloud") as s:
        stored = c.cloud.client.psk(c.iccid).get("secretKey")
        matches = stored == credentials.psk
        del stored
        c.measure(s, "psk_matches_cloud", matches, default=Limit(expected=True), blame="sim")
