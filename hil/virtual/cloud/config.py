"""Settings of one emulator instance. Defaults are production behaviour; `time_scale` shrinks every
1NCE delay (webhook timeout and retries, SMS retries, forwarder retries) so tests run fast."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class EmulatorConfig:
    host: str = "127.0.0.1"
    http_port: int = 0
    netlink_port: int = 0
    udp_port: int = 0
    coap_port: int = 0
    db_path: Path | None = None  # None: a temporary file removed on stop
    token_ttl: int = 3600
    sims_rate_limit: float = 10.0  # requests/s per customer on /v1/sims; 0 turns it off
    time_scale: float = 1.0
    # MT SMS delivery timeout and retries scale apart: a device whose timers run in real time
    # (firmware in QEMU) acknowledges an SMS within real seconds, and a 30 ms delivery timeout
    # would make the network deliver every SMS again. None: time_scale.
    sms_time_scale: float | None = None
    webhook_timeout: float = 20.0
    webhook_retry_delays: tuple[float, ...] = (150.0, 180.0, 420.0, 1020.0)
    forwarder_retry_delays: tuple[float, ...] = (300.0, 900.0, 3600.0, 3600.0, 3600.0)
    sms_forwarder_url: str | None = None
    data_streamer_url: str | None = None
    data_streamer_interval: float = 1.0
    require_pdp_context: bool = True  # uplinks count only from SIMs with a live PDP context
    coaps_url: str = "coaps://coap.os.1nce.com:5684"
    coap_downlink_timeout: float = 93.0
    psk_rotation_seconds: float = 300.0
    udp_receive_buffer: int = 8 * 1024 * 1024
    extra_allowed_webhook_hosts: list[str] = field(default_factory=list)

    def scaled(self, seconds: float) -> float:
        return seconds * self.time_scale
