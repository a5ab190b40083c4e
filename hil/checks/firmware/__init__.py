"""Firmware-mode checks: the firmware does the work; checks verify from its console and the cloud.

firmware_boot, sim_ready, attach, apn, device_auth (bring-up, hil/checks/firmware/bringup.py);
uplink_udp, uplink_coap, sms_mt, data_usage (traffic, hil/checks/firmware/traffic.py). The
firmware logs no signal or downlink events, so `signal`, `sms_mo` and `downlink` are modem-mode only.
"""

from hil.checks.firmware import bringup, traffic

__all__ = ["bringup", "traffic"]
