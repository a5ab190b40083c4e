"""Facts about each supported module, as data.

Both sides use these: the host-side dialects (to identify a module and parse what it says) and the
simulated modem (to say it). Behaviour - which commands, which response shapes - lives in code on
each side; this module holds only identities and numbering that differ per module. Sources:
../shared/docs/modem-at-reference.md §1.2 (ICCID), §1.3 (AcT), §2 (per vendor).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class Rat(StrEnum):
    """Radio access technology as the user selects it."""

    LTE_M = "lte-m"
    NB_IOT = "nb-iot"
    GSM = "gsm"


class SocketFamily(StrEnum):
    QUECTEL_QI = "quectel-qi"  # AT+QIOPEN / QISEND / QIRD
    NRF_SLM = "nrf-slm"  # AT#XSOCKET / #XSENDTO / #XRECVFROM
    UBLOX_USO = "ublox-uso"  # AT+USOCR / USOST / USORF
    SIMCOM_CA = "simcom-ca"  # AT+CAOPEN / CASEND / CARECV
    SIMCOM_CIP = "simcom-cip"  # AT+CIPSTART / CIPSEND / CIPRXGET
    TELIT_SD = "telit-sd"  # AT#SD / #SSENDEXT / #SRECV


@dataclass(frozen=True)
class DialectProfile:
    name: str  # the name on the command line: bg95, nrf91, sara-r4 ...
    vendor: str
    manufacturer: str  # AT+CGMI
    model: str  # AT+CGMM
    revision: str  # AT+CGMR (or the vendor's revision command)
    model_pattern: re.Pattern[str]  # matches AT+CGMM / ATI output of this module
    iccid_command: str  # the vendor's ICCID read
    iccid_prefix: str | None  # response prefix, None for a bare number line
    act: dict[Rat, int]  # AcT value the module reports in +COPS / +CEREG per RAT
    rats: tuple[Rat, ...]  # RATs the module supports
    boot_urcs: tuple[str, ...]  # lines printed after power-on / reboot
    socket_family: SocketFamily
    default_cid: int = 1  # PDP context the module attaches with
    text_mode_sms: bool = True  # AT+CMGF=1 supported
    cnmi: str = "2,1,0,0,0"  # how the host asks for new-message indications
    needs_cnma: bool = False  # +CMT must be acknowledged with AT+CNMA
    verbose_cme: bool = True  # accepts AT+CMEE=2
    ati: tuple[str, ...] = field(default_factory=tuple)  # ATI response lines (empty: ERROR)
    max_sockets: int = 6


def _quectel(
    name: str, model: str, revision: str, rats: tuple[Rat, ...], boot: tuple[str, ...]
) -> DialectProfile:
    return DialectProfile(
        name=name,
        vendor="Quectel",
        manufacturer="Quectel",
        model=model,
        revision=revision,
        model_pattern=re.compile(rf"\b{re.escape(model.split('-', maxsplit=1)[0])}", re.IGNORECASE),
        iccid_command="AT+QCCID",
        iccid_prefix="+QCCID:",
        # Quectel reports 8 for Cat-M1 (reference §1.3).
        act={Rat.LTE_M: 8, Rat.NB_IOT: 9, Rat.GSM: 0},
        rats=rats,
        boot_urcs=boot,
        socket_family=SocketFamily.QUECTEL_QI,
        ati=("Quectel", model, f"Revision: {revision}"),
        max_sockets=12,
    )


def _simcom(
    name: str, model: str, pattern: str, revision: str, rats: tuple[Rat, ...], sockets: SocketFamily
) -> DialectProfile:
    return DialectProfile(
        name=name,
        vendor="SIMCom",
        manufacturer="SIMCOM_Ltd",
        model=f"SIMCOM_{model}",
        revision=f"Revision:{revision}",
        model_pattern=re.compile(pattern, re.IGNORECASE),
        iccid_command="AT+CCID",
        iccid_prefix=None,  # SIMCom prints the bare number
        act={Rat.LTE_M: 7, Rat.NB_IOT: 9, Rat.GSM: 0},
        rats=rats,
        boot_urcs=("RDY", "+CFUN: 1", "+CPIN: READY", "SMS Ready"),
        socket_family=sockets,
        ati=(f"{model} R{revision[:5]}",),
    )


def _ublox(name: str, model: str, pattern: str, revision: str, rats: tuple[Rat, ...]) -> DialectProfile:
    return DialectProfile(
        name=name,
        vendor="u-blox",
        manufacturer="u-blox",
        model=model,
        revision=revision,
        model_pattern=re.compile(pattern, re.IGNORECASE),
        iccid_command="AT+CCID",
        iccid_prefix="+CCID:",
        act={Rat.LTE_M: 7, Rat.NB_IOT: 9, Rat.GSM: 0},
        rats=rats,
        boot_urcs=(),  # u-blox prints no reliable boot URC; hosts poll AT
        socket_family=SocketFamily.UBLOX_USO,
        ati=("Manufacturer: u-blox", f"Model: {model}", f"Revision: {revision}"),
        max_sockets=7,
    )


PROFILES: dict[str, DialectProfile] = {
    p.name: p
    for p in (
        _quectel("bg96", "BG96", "BG96MAR02A07M1G", (Rat.LTE_M, Rat.NB_IOT, Rat.GSM), ("RDY",)),
        _quectel("bg95", "BG95-M3", "BG95M3LAR02A03", (Rat.LTE_M, Rat.NB_IOT, Rat.GSM), ("APP RDY",)),
        _quectel("bg77", "BG77", "BG77LAR02A04", (Rat.LTE_M, Rat.NB_IOT), ("APP RDY",)),
        DialectProfile(
            name="nrf91",
            vendor="Nordic",
            manufacturer="Nordic Semiconductor ASA",
            model="nRF9160-SICA",
            revision="mfw_nrf9160_1.3.5",
            model_pattern=re.compile(r"nRF91", re.IGNORECASE),
            iccid_command="AT%XICCID",
            iccid_prefix="%XICCID:",
            act={Rat.LTE_M: 7, Rat.NB_IOT: 9},
            rats=(Rat.LTE_M, Rat.NB_IOT),
            boot_urcs=("Ready",),  # the Serial LTE Modem application's start-up line
            socket_family=SocketFamily.NRF_SLM,
            default_cid=0,
            text_mode_sms=False,  # nRF91 exposes PDU mode only
            cnmi="3,2,0,1",
            needs_cnma=True,
            verbose_cme=False,
            max_sockets=8,
        ),
        _ublox("sara-r4", "SARA-R410M-02B", r"SARA-R4", "L0.0.00.00.05.12", (Rat.LTE_M, Rat.NB_IOT)),
        _ublox("sara-r5", "SARA-R510M8S", r"SARA-R5", "03.15", (Rat.LTE_M,)),
        _simcom(
            "sim7000",
            "SIM7000G",
            r"SIM7000",
            "1529B11SIM7000G",
            (Rat.LTE_M, Rat.NB_IOT, Rat.GSM),
            SocketFamily.SIMCOM_CIP,
        ),
        _simcom(
            "sim7080",
            "SIM7080G",
            r"SIM70[789]0",
            "1951B16SIM7080",
            (Rat.LTE_M, Rat.NB_IOT),
            SocketFamily.SIMCOM_CA,
        ),
        DialectProfile(
            name="me910",
            vendor="Telit",
            manufacturer="Telit",
            model="ME910C1-E2",
            revision="M0B.730006",
            model_pattern=re.compile(r"ME910", re.IGNORECASE),
            iccid_command="AT+ICCID",
            iccid_prefix="+ICCID:",
            # Telit reports 8 for Cat-M1 (reference §1.3).
            act={Rat.LTE_M: 8, Rat.NB_IOT: 9, Rat.GSM: 0},
            rats=(Rat.LTE_M, Rat.NB_IOT, Rat.GSM),
            boot_urcs=(),  # Telit prints no boot URC; hosts poll AT
            socket_family=SocketFamily.TELIT_SD,
            ati=("Telit", "ME910C1-E2"),
        ),
    )
}

DIALECT_NAMES: tuple[str, ...] = tuple(PROFILES)


def profile(name: str) -> DialectProfile:
    """The profile for a command-line dialect name, with a helpful error for a typo."""
    try:
        return PROFILES[name.lower()]
    except KeyError:
        raise KeyError(f"unknown dialect {name!r}; known: {', '.join(DIALECT_NAMES)}") from None


def identify(model_text: str) -> DialectProfile | None:
    """Which profile a module's AT+CGMM (or ATI) text belongs to; None if no profile matches.

    The most specific pattern wins, so "BG95-M3" does not match a shorter "BG9" style pattern first.
    """
    matches = [p for p in PROFILES.values() if p.model_pattern.search(model_text)]
    if not matches:
        return None
    return max(matches, key=lambda p: len(p.model_pattern.pattern))
