"""+CME ERROR and +CMS ERROR codes (3GPP TS 27.007 §9.2, TS 27.005 §3.2.5, vendor extras), so
numeric and verbose forms map to one named error. Source: modem-at-reference.md §1.9."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    code: int
    name: str  # stable symbolic name, e.g. SIM_NOT_INSERTED
    text: str  # the 3GPP wording


def _table(rows: list[tuple[int, str]]) -> dict[int, ErrorCode]:
    table: dict[int, ErrorCode] = {}
    for code, text in rows:
        name = re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")
        table[code] = ErrorCode(code, name, text)
    return table


CME_ERRORS: dict[int, ErrorCode] = _table(
    [
        (0, "phone failure"),
        (1, "no connection to phone"),
        (2, "phone-adaptor link reserved"),
        (3, "operation not allowed"),
        (4, "operation not supported"),
        (5, "PH-SIM PIN required"),
        (6, "PH-FSIM PIN required"),
        (7, "PH-FSIM PUK required"),
        (10, "SIM not inserted"),
        (11, "SIM PIN required"),
        (12, "SIM PUK required"),
        (13, "SIM failure"),
        (14, "SIM busy"),
        (15, "SIM wrong"),
        (16, "incorrect password"),
        (17, "SIM PIN2 required"),
        (18, "SIM PUK2 required"),
        (20, "memory full"),
        (21, "invalid index"),
        (22, "not found"),
        (23, "memory failure"),
        (24, "text string too long"),
        (25, "invalid characters in text string"),
        (26, "dial string too long"),
        (27, "invalid characters in dial string"),
        (30, "no network service"),
        (31, "network timeout"),
        (32, "network not allowed - emergency calls only"),
        (40, "network personalization PIN required"),
        (41, "network personalization PUK required"),
        (42, "network subset personalization PIN required"),
        (43, "network subset personalization PUK required"),
        (44, "service provider personalization PIN required"),
        (45, "service provider personalization PUK required"),
        (46, "corporate personalization PIN required"),
        (47, "corporate personalization PUK required"),
        (50, "incorrect parameters"),
        (51, "command implemented but currently disabled"),
        (52, "command aborted by user"),
        (53, "not attached to network due to MT functionality restrictions"),
        (54, "modem not allowed - MT restricted to emergency calls only"),
        (55, "operation not allowed because of MT functionality restrictions"),
        (58, "language/alphabet not supported"),
        (60, "system failure"),
        (100, "unknown"),
        (103, "illegal MS"),
        (106, "illegal ME"),
        (107, "GPRS services not allowed"),
        (111, "PLMN not allowed"),
        (112, "location area not allowed"),
        (113, "roaming not allowed in this location area"),
        (114, "GPRS services not allowed in this PLMN"),
        (115, "no suitable cells in location area"),
        (122, "congestion"),
        (126, "insufficient resources"),
        (127, "missing or unknown APN"),
        (128, "unknown PDP address or PDP type"),
        (129, "user authentication failed"),
        (130, "activation rejected by GGSN, Serving GW or PDN GW"),
        (131, "activation rejected, unspecified"),
        (132, "service option not supported"),
        (133, "requested service option not subscribed"),
        (134, "service option temporarily out of order"),
        (148, "unspecified GPRS error"),
        (149, "PDP authentication failure"),
        (150, "invalid mobile class"),
        (171, "last PDN disconnection not allowed"),
        # Vendor extras seen on the modules we support.
        (515, "device busy"),
        (518, "not allowed in active state"),
        (550, "unknown error"),
        (551, "operation blocked"),
        (552, "invalid parameters"),
        (553, "memory not enough"),
        (554, "create socket failed"),
        (555, "operation not supported"),
        (556, "socket bind failed"),
        (557, "socket listen failed"),
        (558, "socket write failed"),
        (559, "socket read failed"),
        (560, "socket accept failed"),
        (561, "open PDP context failed"),
        (562, "close PDP context failed"),
        (563, "socket identity has been used"),
        (564, "DNS busy"),
        (565, "DNS parse failed"),
        (566, "socket connect failed"),
        (567, "socket has been closed"),
        (568, "operation busy"),
        (569, "operation timeout"),
        (570, "PDP context broken down"),
        (571, "cancel send"),
        (572, "operation not allowed"),
        (573, "APN not configured"),
        (574, "port busy"),
    ]
)

CMS_ERRORS: dict[int, ErrorCode] = _table(
    [
        # RP / CP causes (24.011) that modems pass through.
        (1, "unassigned number"),
        (8, "operator determined barring"),
        (10, "call barred"),
        (21, "short message transfer rejected"),
        (27, "destination out of service"),
        (38, "network out of order"),
        (41, "temporary failure"),
        (42, "congestion"),
        (47, "resources unavailable"),
        (50, "requested facility not subscribed"),
        (69, "requested facility not implemented"),
        (96, "invalid mandatory information"),
        (111, "protocol error"),
        (127, "interworking unspecified"),
        # TP-FCS values (23.040).
        (176, "TPDU not supported"),
        (192, "SC busy"),
        (193, "no SC subscription"),
        (194, "SC system failure"),
        (195, "invalid SME address"),
        (196, "destination SME barred"),
        (197, "SM rejected - duplicate SM"),
        (198, "TP-VPF not supported"),
        (199, "TP-VP not supported"),
        (208, "SIM SMS storage full"),
        (210, "error in MS"),
        (211, "memory capacity exceeded"),
        (255, "unspecified error cause"),
        # 27.005 ME/TA errors.
        (300, "ME failure"),
        (301, "SMS service of ME reserved"),
        (302, "operation not allowed"),
        (303, "operation not supported"),
        (304, "invalid PDU mode parameter"),
        (305, "invalid text mode parameter"),
        (310, "SIM not inserted"),
        (311, "SIM PIN required"),
        (312, "PH-SIM PIN required"),
        (313, "SIM failure"),
        (314, "SIM busy"),
        (315, "SIM wrong"),
        (316, "SIM PUK required"),
        (317, "SIM PIN2 required"),
        (318, "SIM PUK2 required"),
        (320, "memory failure"),
        (321, "invalid memory index"),
        (322, "memory full"),
        (330, "SMSC address unknown"),
        (331, "no network service"),
        (332, "network timeout"),
        (340, "no +CNMA acknowledgement expected"),
        (500, "unknown error"),
        (524, "no SMS client registered"),
    ]
)

# Verbose texts differ a little between vendors; compare them folded to letters and digits.
_ALIASES = {
    "phonefailure": 0,
    "simnotinserted": 10,
    "nosim": 10,
    "simpinrequired": 11,
    "simpukrequired": 12,
    "simfailure": 13,
    "simbusy": 14,
    "incorrectpassword": 16,
    "operationnotallowed": 3,
    "operationnotsupported": 4,
    "invalidindex": 21,
    "notfound": 22,
    "nonetworkservice": 30,
    "networktimeout": 31,
    "incorrectparameters": 50,
    "invalidparameter": 50,
    "invalidparameters": 50,
    "unknownerror": 100,
    "unknown": 100,
    "missingorunknownapn": 127,
    "unknownapn": 127,
}


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_CME_BY_TEXT = {_fold(e.text): e for e in CME_ERRORS.values() if e.code < 550} | {
    alias: CME_ERRORS[code] for alias, code in _ALIASES.items()
}
_CMS_BY_TEXT = {_fold(e.text): e for e in CMS_ERRORS.values()}


def _lookup(value: str, by_code: dict[int, ErrorCode], by_text: dict[str, ErrorCode]) -> ErrorCode | None:
    value = value.strip().strip('"')
    if value.isdigit():
        return by_code.get(int(value))
    return by_text.get(_fold(value))


def lookup_cme(value: str) -> ErrorCode | None:
    """The CME error for the text after "+CME ERROR: " (a number or a verbose text), if known."""
    return _lookup(value, CME_ERRORS, _CME_BY_TEXT)


def lookup_cms(value: str) -> ErrorCode | None:
    """The CMS error for the text after "+CMS ERROR: " (a number or a verbose text), if known."""
    return _lookup(value, CMS_ERRORS, _CMS_BY_TEXT)
