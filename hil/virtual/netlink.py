"""The link between a simulated modem and the emulated core network ("netlink").

A simulated modem is a radio: it asks the network to attach, to open a PDP context, to carry an MO
SMS, and reports the traffic it carried; the network decides (SIM status, IMEI lock, quotas) and
pushes MT SMS, forced detaches and PDP teardowns back. The two run in different processes in the
virtual lab (`hil modem-sim --network tcp://127.0.0.1:PORT` and `hil cloud serve`), so the link is
JSON lines over a TCP connection on loopback; tests may also wire both ends in one process.

Wire format: one JSON object per line (UTF-8, ``\\n``-terminated).

* Requests, modem -> network: ``{"id": <int>, "op": <str>, ...fields}``; the network answers each
  with ``{"id": <same int>, "ok": true, ...}`` or ``{"id": <same>, "ok": false, "error": <text>, ...}``.
* Pushes, network -> modem: ``{"push": <str>, ...fields}``; no answer except where noted.

Requests (modem -> network)
---------------------------
hello            iccid, imsi, imei, msisdn            first message on a connection; binds it to the SIM
claim            iccid (optional)                     instead of hello, for a modem without a SIM
                                                      identity: bind the connection to a free SIM of
                                                      the inventory (Enabled, no modem connected) -
                                                      the given one, or the first free one by ICCID.
                                                      ok: iccid, imsi, msisdn, imei (the inventory's,
                                                      may be ""), protocol_version
                                                      not ok: error, claim_error ("unknown" |
                                                      "taken" | "disabled" | "none_free")
attach           iccid, imsi, imei, rat               ok: stat (1|5), plmn, tac, ci
                                                      not ok: stat 3, reject_cause (24.301 EMM cause)
detach           iccid
pdp_activate     iccid, apn, pdp_type                 ok: ip ("10.a.b.c"), dns ([str])
                                                      not ok: esm_cause (24.301 ESM cause), error text
pdp_deactivate   iccid
usage            iccid, tx_bytes, rx_bytes            bytes on the air, IP + transport headers included
                                                      ok: blocked (bool) - quota now exhausted
sms_mo           iccid, tpdu (hex SMS-SUBMIT TPDU)    ok: mr;  not ok: cms_error (27.005 code)
sms_mt_result    sms_id, delivered (bool)             answer to an "sms_mt" push

Pushes (network -> modem)
-------------------------
sms_mt           sms_id, tpdu (hex SMS-DELIVER TPDU)  modem stores/forwards it, then sends sms_mt_result
sms_status       mr, status (TP-ST int)               status report for an earlier MO SMS
detach           reason                               network-initiated detach ("reset connectivity");
                                                      the modem re-attaches on its own afterwards
pdp_deactivate   reason                               network tears the PDP context down (e.g. quota)

Details the emulated network (hil/virtual/network) adds, all compatible with the above:
``hello`` answers ``protocol_version`` and ``msisdn``; ``attach`` answers ``tac`` and ``ci`` as hex
strings as +CEREG shows them ("1A2B", "01A2B3C4"); ``sms_status`` also carries ``tpdu`` (hex
SMS-STATUS-REPORT); an ICCID may be sent with its Luhn digit (20 digits); a line that is not a
valid message is answered ``{"id": -1, "ok": false, "error": ...}`` and the connection stays up;
a closed connection takes the SIM offline. See docs/virtual-network.md.

Addressing: a SIM whose IP is 10.a.b.c sends its datagrams from 127.a.b.c, so servers on loopback can
tell SIMs apart by source address (``sim_ip_to_loopback`` / ``loopback_to_sim_ip``).
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

PROTOCOL_VERSION = 1

REQUEST_OPS = frozenset(
    {
        "hello",
        "claim",
        "attach",
        "detach",
        "pdp_activate",
        "pdp_deactivate",
        "usage",
        "sms_mo",
        "sms_mt_result",
    }
)
PUSH_KINDS = frozenset({"sms_mt", "sms_status", "detach", "pdp_deactivate"})

# Header bytes a network counts on top of the payload of one IPv4 UDP datagram.
IPV4_UDP_OVERHEAD = 20 + 8


class NetlinkError(ValueError):
    """A netlink line that is not a valid message."""


def encode(message: dict[str, Any]) -> bytes:
    """One message as a JSON line."""
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes | str) -> dict[str, Any]:
    """Parse one JSON line and check it is a request, a response or a push."""
    try:
        message = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NetlinkError(f"netlink: not JSON: {line[:80]!r} ({exc})") from exc
    if not isinstance(message, dict):
        raise NetlinkError(f"netlink: expected a JSON object, got {type(message).__name__}")
    if "op" in message:
        if message["op"] not in REQUEST_OPS:
            raise NetlinkError(f"netlink: unknown op {message['op']!r}; known: {sorted(REQUEST_OPS)}")
        if not isinstance(message.get("id"), int):
            raise NetlinkError(f"netlink: request {message['op']!r} without an integer id")
    elif "push" in message:
        if message["push"] not in PUSH_KINDS:
            raise NetlinkError(f"netlink: unknown push {message['push']!r}; known: {sorted(PUSH_KINDS)}")
    elif not ("id" in message and "ok" in message):
        raise NetlinkError(f"netlink: neither request, push nor response: {message!r}")
    return message


def sim_ip_to_loopback(sim_ip: str) -> str:
    """10.a.b.c -> 127.a.b.c: the loopback address a simulated SIM sends from."""
    address = ipaddress.IPv4Address(sim_ip)
    if address not in ipaddress.IPv4Network("10.0.0.0/8"):
        raise ValueError(f"SIM IP {sim_ip} is not in 10.0.0.0/8; the virtual lab maps only 10.a.b.c")
    return "127." + sim_ip.split(".", 1)[1]


def loopback_to_sim_ip(source_ip: str) -> str:
    """127.a.b.c -> 10.a.b.c: which SIM a datagram on loopback came from."""
    address = ipaddress.IPv4Address(source_ip)
    if address not in ipaddress.IPv4Network("127.0.0.0/8"):
        raise ValueError(f"{source_ip} is not a loopback address")
    return "10." + source_ip.split(".", 1)[1]
