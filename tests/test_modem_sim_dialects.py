"""Every dialect through a real pty: identity, SIM, registration URCs (1NCE roams: stat 5), RAT
read-back, PDP, +CRSM files. Expected identities come from the shared dialect profiles."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from at_commands.dialects.profiles import DIALECT_NAMES, Rat, profile
from at_commands.sim import (
    decode_ef_epsloci,
    decode_ef_fplmn,
    decode_ef_iccid,
    decode_ef_imsi,
    decode_ef_loci,
)
from hil.virtual.modem_sim import ModemSimulator
from hil.virtual.modem_sim.probe import PortProbe

FAST: dict[str, Any] = {"modem": {"boot_s": 1.0}, "network": {"registration_delay_s": 2.0}}
ICCID = "89882280666027595044"
IMSI = "901405100000001"
IMEI = "352656100885188"


@contextlib.contextmanager
def modem(dialect: str, scenario: dict[str, Any] | None = None) -> Iterator[tuple[ModemSimulator, PortProbe]]:
    with (
        ModemSimulator(dialect, scenario or FAST, time_scale=0.01) as sim,
        PortProbe(sim.start_pty()) as probe,
    ):
        assert probe.exchange(b"ATE0\r") == b"ATE0\r\r\nOK\r\n"
        assert probe.exchange(b"AT+CMEE=1\r") == b"\r\nOK\r\n"
        yield sim, probe


def ask(probe: PortProbe, line: str) -> bytes:
    return probe.exchange(line.encode() + b"\r")


ICCID_LINE = {
    "AT+QCCID": f"+QCCID: {ICCID}",
    "AT%XICCID": f"%XICCID: {ICCID}",
    "AT+CCID": f"+CCID: {ICCID}",
    "AT+ICCID": f"+ICCID: {ICCID}",
}


@pytest.mark.parametrize("dialect", DIALECT_NAMES)
def test_identity(dialect: str) -> None:
    facts = profile(dialect)
    with modem(dialect) as (_, probe):
        assert ask(probe, "AT+CGMI") == f"\r\n{facts.manufacturer}\r\n\r\nOK\r\n".encode()
        assert ask(probe, "AT+CGMM") == f"\r\n{facts.model}\r\n\r\nOK\r\n".encode()
        assert ask(probe, "AT+CGMR") == f"\r\n{facts.revision}\r\n\r\nOK\r\n".encode()
        assert ask(probe, "AT+CGSN") == f"\r\n{IMEI}\r\n\r\nOK\r\n".encode()
        assert ask(probe, "AT+GSN") == f"\r\n{IMEI}\r\n\r\nOK\r\n".encode()
        assert ask(probe, "AT+CGSN=1") == f'\r\n+CGSN: "{IMEI}"\r\n\r\nOK\r\n'.encode()
        if facts.ati:
            assert ask(probe, "ATI") == ("\r\n" + "\r\n".join(facts.ati) + "\r\n\r\nOK\r\n").encode()
        if dialect == "nrf91":
            assert ask(probe, "AT+CFUN=1") == b"\r\nOK\r\n"  # the nRF91 boots in CFUN=0: UICC off
        iccid = ICCID_LINE.get(facts.iccid_command, ICCID) if facts.iccid_prefix else ICCID
        assert ask(probe, facts.iccid_command) == f"\r\n{iccid}\r\n\r\nOK\r\n".encode()
        assert ask(probe, "AT+CIMI") == f"\r\n{IMSI}\r\n\r\nOK\r\n".encode()
        assert ask(probe, "AT+CPIN?") == b"\r\n+CPIN: READY\r\n\r\nOK\r\n"


def test_vendor_identity_extras() -> None:
    with modem("bg96") as (_, probe):
        assert ask(probe, "AT+QGMR") == b"\r\nBG96MAR02A07M1G_01.012.01.012\r\n\r\nOK\r\n"
    with modem("me910") as (_, probe):
        assert ask(probe, "AT#CCID") == f"\r\n#CCID: {ICCID}\r\n\r\nOK\r\n".encode()
        assert ask(probe, "AT#CGSN") == f"\r\n#CGSN: {IMEI}\r\n\r\nOK\r\n".encode()
    with modem("sim7000") as (_, probe):
        assert ask(probe, "AT+CICCID") == f"\r\n+ICCID: {ICCID}\r\n\r\nOK\r\n".encode()
    with modem("nrf91") as (_, probe):
        assert ask(probe, "AT+CIMI") == b"\r\n+CME ERROR: 13\r\n"  # CFUN=0: the UICC is off


def _act(dialect: str) -> int:
    return profile(dialect).act[Rat.LTE_M]


@pytest.mark.parametrize("dialect", DIALECT_NAMES)
def test_attach_urc_sequence_roams_with_vendor_act(dialect: str) -> None:
    act = _act(dialect)
    cid = profile(dialect).default_cid
    with modem(dialect) as (sim, probe):
        if dialect != "nrf91":
            assert ask(probe, "AT+CFUN=0") == b"\r\nOK\r\n"
        assert ask(probe, "AT+CEREG=2;+CREG=1;+CGEREP=1") == b"\r\nOK\r\n"
        assert ask(probe, "AT+CEREG?") == b"\r\n+CEREG: 2,0\r\n\r\nOK\r\n"
        assert ask(probe, "AT+CFUN=1") == b"\r\nOK\r\n"
        expected = (
            b"\r\n+CREG: 2\r\n\r\n+CEREG: 2\r\n"
            + f'\r\n+CREG: 5\r\n\r\n+CEREG: 5,"1A2B","01A2B3C4",{act}\r\n'.encode()
            + f"\r\n+CGEV: ME PDN ACT {cid}\r\n".encode()
        )
        assert probe.read_until(b"PDN ACT " + str(cid).encode() + b"\r\n") == expected
        assert ask(probe, "AT+CEREG?") == f'\r\n+CEREG: 2,5,"1A2B","01A2B3C4",{act}\r\n\r\nOK\r\n'.encode()
        assert ask(probe, "AT+CREG?") == b"\r\n+CREG: 1,5\r\n\r\nOK\r\n"
        assert ask(probe, "AT+CGREG?") == b"\r\n+CGREG: 0,5\r\n\r\nOK\r\n"
        assert ask(probe, "AT+COPS?") == f'\r\n+COPS: 0,0,"1NCE",{act}\r\n\r\nOK\r\n'.encode()
        assert ask(probe, "AT+COPS=3,2;+COPS?") == f'\r\n+COPS: 0,2,"90140",{act}\r\n\r\nOK\r\n'.encode()
        assert ask(probe, "AT+CGATT?") == b"\r\n+CGATT: 1\r\n\r\nOK\r\n"
        assert ask(probe, f"AT+CGPADDR={cid}") == f'\r\n+CGPADDR: {cid},"10.64.0.2"\r\n\r\nOK\r\n'.encode()
        assert ask(probe, "AT+CSQ") == b"\r\n+CSQ: 21,99\r\n\r\nOK\r\n"
        assert ask(probe, "AT+CESQ") == b"\r\n+CESQ: 99,99,255,255,20,45\r\n\r\nOK\r\n"
        assert sim.status()["registration"]["stat"] == 5


@pytest.mark.parametrize("n", [3, 4, 5])
def test_cereg_levels_3_to_5(n: int) -> None:
    with modem("nrf91") as (_, probe):
        ask(probe, 'AT+CPSMS=1,,,"00100001","00000011"')
        ask(probe, f"AT+CEREG={n}")
        ask(probe, "AT+CFUN=1")
        probe.read_until(b'"01A2B3C4",7')
        tail = probe.read_until(b"\r\n")
        psm = ',,,"00000011","00100001"' if n >= 4 else ""
        assert tail == f"{psm}\r\n".encode()
        assert ask(probe, "AT+CEREG?") == f'\r\n+CEREG: {n},5,"1A2B","01A2B3C4",7{psm}\r\n\r\nOK\r\n'.encode()


RAT_READBACK = [
    ("bg95", 'AT+QCFG="iotopmode",1,1', 'AT+QCFG="iotopmode"', '+QCFG: "iotopmode",1'),
    ("bg96", 'AT+QCFG="nwscanseq",030201,1', 'AT+QCFG="nwscanseq"', '+QCFG: "nwscanseq",030201'),
    ("bg77", 'AT+QCFG="nwscanmode",3,1', 'AT+QCFG="nwscanmode"', '+QCFG: "nwscanmode",3'),
    ("bg96", 'AT+QCFG="band",F,80084,80084,1', 'AT+QCFG="band"', '+QCFG: "band",0xf,0x80084,0x80084'),
    ("nrf91", "AT%XSYSTEMMODE=0,1,0,0", "AT%XSYSTEMMODE?", "%XSYSTEMMODE: 0,1,0,0"),
    (
        "nrf91",
        'AT%XBANDLOCK=2,"10000000000000000000"',
        "AT%XBANDLOCK?",
        '%XBANDLOCK: "","10000000000000000000"',
    ),
    ("sara-r4", "AT+URAT=8", "AT+URAT?", "+URAT: 8"),
    ("sara-r5", "AT+UBANDMASK=0,524420", "AT+UBANDMASK?", "+UBANDMASK: 0,524420,1,185473183"),
    ("sara-r4", "AT+UMNOPROF=100", "AT+UMNOPROF?", "+UMNOPROF: 100"),
    ("sim7080", "AT+CNMP=38", "AT+CNMP?", "+CNMP: 38"),
    ("sim7000", "AT+CMNB=2", "AT+CMNB?", "+CMNB: 2"),
    ("sim7080", 'AT+CBANDCFG="CAT-M",20,8', "AT+CBANDCFG?", '+CBANDCFG: "CAT-M",20,8'),
    ("me910", "AT#WS46=1", "AT#WS46?", "#WS46: 1"),
    ("me910", "AT#BND=5,0,524420", "AT#BND?", "#BND: 5,0,524420"),
]


@pytest.mark.parametrize(("dialect", "setting", "read", "expected"), RAT_READBACK)
def test_rat_and_band_read_back(dialect: str, setting: str, read: str, expected: str) -> None:
    with modem(dialect) as (_, probe):
        assert ask(probe, "AT+CFUN=0") == b"\r\nOK\r\n"  # %XSYSTEMMODE / UMNOPROF want CFUN 0
        assert ask(probe, setting) == b"\r\nOK\r\n"
        assert ask(probe, read).startswith(f"\r\n{expected}\r\n".encode())


@pytest.mark.parametrize(
    ("dialect", "act"), [("bg95", 9), ("nrf91", 9), ("sara-r4", 9), ("sim7080", 9), ("me910", 9)]
)
def test_rat_selection_decides_the_attach(dialect: str, act: int) -> None:
    select = {
        "bg95": 'AT+QCFG="iotopmode",1,1',
        "nrf91": "AT%XSYSTEMMODE=0,1,0,0",
        "sara-r4": "AT+URAT=8",
        "sim7080": "AT+CNMP=38;+CMNB=2",
        "me910": "AT#WS46=1",
    }[dialect]
    with modem(dialect) as (sim, probe):
        ask(probe, "AT+CFUN=0")
        assert ask(probe, select) == b"\r\nOK\r\n"
        ask(probe, "AT+CFUN=1")
        status = sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert status["registration"]["rat"] == "nb-iot"
        assert ask(probe, "AT+COPS?").endswith(f",{act}\r\n\r\nOK\r\n".encode())


def test_nrf_system_mode_only_when_offline() -> None:
    with modem("nrf91") as (_, probe):
        ask(probe, "AT+CFUN=1")
        assert ask(probe, "AT%XSYSTEMMODE=1,0,0,0") == b"\r\n+CME ERROR: 518\r\n"
        assert ask(probe, "AT+CFUN?") == b"\r\n+CFUN: 1\r\n\r\nOK\r\n"


@pytest.mark.parametrize("dialect", ["bg95", "nrf91", "sara-r4", "sim7080", "me910"])
def test_apn_read_back_and_pdp(dialect: str) -> None:
    cid = profile(dialect).default_cid
    with modem(dialect) as (sim, probe):
        ask(probe, "AT+CFUN=0")
        assert ask(probe, f'AT+CGDCONT={cid},"IP","iot.1nce.net"') == b"\r\nOK\r\n"
        assert f'+CGDCONT: {cid},"IP","iot.1nce.net","0.0.0.0",0,0'.encode() in ask(probe, "AT+CGDCONT?")
        ask(probe, "AT+CFUN=1")
        sim.wait_until(lambda s: any(c["active"] for c in s["pdp"]))
        assert f'+CGDCONT: {cid},"IP","iot.1nce.net","10.64.0.2",0,0'.encode() in ask(probe, "AT+CGDCONT?")
        assert f"+CGACT: {cid},1".encode() in ask(probe, "AT+CGACT?")
        assert ask(probe, f"AT+CGACT=0,{cid}") == b"\r\nOK\r\n"
        assert ask(probe, f"AT+CGPADDR={cid}") == f"\r\n+CGPADDR: {cid}\r\n\r\nOK\r\n".encode()
        assert ask(probe, f"AT+CGACT=1,{cid}") == b"\r\nOK\r\n"
        assert ask(probe, f"AT+CGPADDR={cid}") == f'\r\n+CGPADDR: {cid},"10.64.0.2"\r\n\r\nOK\r\n'.encode()


def test_vendor_pdp_activation_forms() -> None:
    with modem("bg95") as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert ask(probe, 'AT+QICSGP=1,1,"iot.1nce.net","","",0') == b"\r\nOK\r\n"
        assert ask(probe, "AT+QICSGP=1") == b'\r\n+QICSGP: 1,"iot.1nce.net","","",0\r\n\r\nOK\r\n'
        assert ask(probe, "AT+QIACT=1") == b"\r\nOK\r\n"
        assert ask(probe, "AT+QIACT?") == b'\r\n+QIACT: 1,1,1,"10.64.0.2"\r\n\r\nOK\r\n'
    with modem("sim7080") as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert ask(probe, 'AT+CNCFG=0,1,"iot.1nce.net"') == b"\r\nOK\r\n"
        assert ask(probe, "AT+CNACT=0,1") == b"\r\nOK\r\n"
        assert probe.read_until(b"ACTIVE\r\n") == b"\r\n+APP PDP: 0,ACTIVE\r\n"
        assert ask(probe, "AT+CNACT?").startswith(b'\r\n+CNACT: 0,1,"10.64.0.2"\r\n+CNACT: 1,0,"0.0.0.0"\r\n')
        assert ask(probe, "AT+CNACT=0,0") == b"\r\nOK\r\n"
        assert probe.read_until(b"DEACTIVE\r\n") == b"\r\n+APP PDP: 0,DEACTIVE\r\n"
    with modem("sim7080") as (sim, probe):
        # Radio off takes the app context down with the PDP context; after a new attach the host
        # activates it again (a stale "already active" ERROR here failed every second suite round).
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert ask(probe, "AT+CNACT=0,1") == b"\r\nOK\r\n"
        assert probe.read_until(b"ACTIVE\r\n") == b"\r\n+APP PDP: 0,ACTIVE\r\n"
        assert ask(probe, "AT+CFUN=0") == b"\r\nOK\r\n"
        assert probe.read_until(b"DEACTIVE\r\n") == b"\r\n+APP PDP: 0,DEACTIVE\r\n"
        assert ask(probe, "AT+CNACT?").startswith(b'\r\n+CNACT: 0,0,"0.0.0.0"\r\n')
        assert ask(probe, "AT+CFUN=1") == b"\r\nOK\r\n"
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert ask(probe, "AT+CNACT=0,1") == b"\r\nOK\r\n"
        assert probe.read_until(b"ACTIVE\r\n") == b"\r\n+APP PDP: 0,ACTIVE\r\n"
    with modem("sara-r5") as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert ask(probe, "AT+UPSD=0,100,1") == b"\r\nOK\r\n"
        assert ask(probe, "AT+UPSD=0,100") == b"\r\n+UPSD: 0,100,1\r\n\r\nOK\r\n"
        assert ask(probe, "AT+UPSDA=0,3") == b"\r\nOK\r\n"
        assert probe.read_until(b'2"\r\n') == b'\r\n+UUPSDA: 0,"10.64.0.2"\r\n'
        assert ask(probe, "AT+UPSND=0,0") == b'\r\n+UPSND: 0,0,"10.64.0.2"\r\n\r\nOK\r\n'
        assert ask(probe, "AT+UPSND=0,8") == b"\r\n+UPSND: 0,8,1\r\n\r\nOK\r\n"
    with modem("me910") as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert ask(probe, "AT#SGACT=1,1") == b"\r\n#SGACT: 10.64.0.2\r\n\r\nOK\r\n"
        assert b"#SGACT: 1,1" in ask(probe, "AT#SGACT?")
    with modem("sim7000") as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert ask(probe, 'AT+CSTT="iot.1nce.net","",""') == b"\r\nOK\r\n"
        assert ask(probe, "AT+CIICR") == b"\r\nOK\r\n"
        probe.write(b"AT+CIFSR\r")
        assert probe.read_until(b"10.64.0.2\r\n") == b"\r\n10.64.0.2\r\n"  # the bare address, no OK
        assert probe.drain() == b""
        assert ask(probe, "AT+CIFSR;E0") == b"\r\n10.64.0.2\r\n\r\nOK\r\n"  # TinyGSM's trick for an OK
        probe.write(b"AT+CIPSTATUS\r")
        assert probe.read_until(b"STATUS\r\n") == b"\r\nOK\r\n\r\nSTATE: IP STATUS\r\n"
        # Radio off ends the stack's context; after a new attach it stays down until CIPSHUT.
        probe.write(b"AT+CFUN=0\r")
        assert probe.read_until(b"OK\r\n") == b"\r\n+PDP: DEACT\r\n\r\nOK\r\n"
        assert ask(probe, "AT+CFUN=1") == b"\r\nOK\r\n"
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        probe.write(b"AT+CIPSTATUS\r")
        assert probe.read_until(b"DEACT\r\n") == b"\r\nOK\r\n\r\nSTATE: PDP DEACT\r\n"
        assert ask(probe, "AT+CIPMUX=1") == b"\r\nERROR\r\n"
        assert ask(probe, "AT+CIPSHUT") == b"\r\nSHUT OK\r\n"
        assert ask(probe, "AT+CIPMUX=1") == b"\r\nOK\r\n"


def test_crsm_files_match_identity_and_registration() -> None:
    with modem("sara-r4") as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)

        def read(file_id: int, size: int) -> bytes:
            answer = ask(probe, f"AT+CRSM=176,{file_id},0,0,{size}")
            assert answer.startswith(b'\r\n+CRSM: 144,0,"'), answer
            return bytes.fromhex(answer.split(b'"')[1].decode())

        assert decode_ef_iccid(read(12258, 10)) == ICCID
        assert decode_ef_imsi(read(28423, 9)) == IMSI
        assert decode_ef_fplmn(read(28539, 12)) == []
        loci = decode_ef_epsloci(read(28643, 18))
        assert (loci.tai_plmn, loci.tac) == ("90140", 0x1A2B)
        assert loci.guti is not None and loci.guti.plmn == "90140"
        assert decode_ef_loci(read(28542, 11)).plmn == "90140"
        update = 'AT+CRSM=214,28539,0,0,12,"62F22062F010FFFFFFFFFFFF"'
        assert ask(probe, update) == b'\r\n+CRSM: 144,0,""\r\n\r\nOK\r\n'
        assert decode_ef_fplmn(read(28539, 12)) == ["26202", "26001"]
        assert (
            ask(probe, 'AT+CRSM=214,28539,0,0,12,"FFFFFFFFFFFFFFFFFFFFFFFF"')
            == b'\r\n+CRSM: 144,0,""\r\n\r\nOK\r\n'
        )
        assert decode_ef_fplmn(read(28539, 12)) == []
        assert ask(probe, "AT+CRSM=176,28600,0,0,4") == b'\r\n+CRSM: 106,130,""\r\n\r\nOK\r\n'
        assert ask(probe, 'AT+CRSM=214,12258,0,0,1,"00"') == b'\r\n+CRSM: 105,130,""\r\n\r\nOK\r\n'


def test_psm_and_edrx_read_back() -> None:
    with modem("bg95") as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert ask(probe, 'AT+CPSMS=1,,,"00000110","00000000"') == b"\r\nOK\r\n"
        assert ask(probe, "AT+CPSMS?") == b'\r\n+CPSMS: 1,,,"00000110","00000000"\r\n\r\nOK\r\n'
        assert ask(probe, "AT+CPSMS=0") == b"\r\nOK\r\n"
        assert ask(probe, 'AT+CEDRXS=1,4,"0101"') == b"\r\nOK\r\n"
        assert ask(probe, "AT+CEDRXS?") == b'\r\n+CEDRXS: 4,"0101"\r\n\r\nOK\r\n'
        assert ask(probe, "AT+CEDRXRDP") == b'\r\n+CEDRXRDP: 4,"0101","0101","0011"\r\n\r\nOK\r\n'
        assert ask(probe, 'AT+CPSMS=1,,,"0011100"') == b"\r\n+CME ERROR: 50\r\n"


def test_vendor_signal_commands() -> None:
    with modem("bg96") as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert ask(probe, "AT+QCSQ") == b'\r\n+QCSQ: "CAT-M1",-71,-95,160,-10\r\n\r\nOK\r\n'
        assert ask(probe, "AT+QNWINFO") == b'\r\n+QNWINFO: "CAT-M1","90140","LTE BAND 20",6300\r\n\r\nOK\r\n'
        sim.set_signal(rssi_dbm=-91)
        assert ask(probe, "AT+CSQ") == b"\r\n+CSQ: 11,99\r\n\r\nOK\r\n"
    with modem("bg95") as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert ask(probe, "AT+QNWINFO").startswith(b'\r\n+QNWINFO: "eMTC",')
    with modem("nrf91") as (sim, probe):
        ask(probe, "AT+CFUN=1")
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert ask(probe, "AT%XMONITOR") == (
            b'\r\n%XMONITOR: 5,"1NCE","1NCE","90140","1A2B",7,20,"01A2B3C4",321,6300,45,36,"",'
            b'"11100000","11100000"\r\n\r\nOK\r\n'
        )
        assert ask(probe, "AT%XCBAND") == b"\r\n%XCBAND: 20\r\n\r\nOK\r\n"
    with modem("sim7080") as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert ask(probe, "AT+CPSI?") == (
            b"\r\n+CPSI: LTE CAT-M1,Online,901-40,0x1A2B,27440068,321,EUTRAN-BAND20,6300,5,5,-10,-95,-71,12"
            b"\r\n\r\nOK\r\n"
        )
    with modem("me910") as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        assert (
            ask(probe, "AT#SERVINFO")
            == b'\r\n#SERVINFO: 6300,-71,"1NCE","90140",321,"1A2B",64,3,-95\r\n\r\nOK\r\n'
        )
    with modem("sara-r5") as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        answer = ask(probe, "AT+UCGED?")
        assert answer.startswith(b"\r\n+UCGED: 2\r\n6,0,901,40\r\n6300,20,6,6,1a2b,01a2b3c4,321,")


def test_cops_test_is_slow_and_lists_the_network() -> None:
    scenario = {**FAST, "network": {"registration_delay_s": 1.0, "cops_scan_s": 20.0}}
    with modem("me910", scenario) as (sim, probe):
        sim.wait_until(lambda s: s["registration"]["stat"] == 5)
        probe.write(b"AT+COPS=?\r")
        assert probe.drain(quiet=0.1, limit=0.15) == b""  # 20 modem seconds = 0.2 s
        assert probe.read_final() == (
            b'\r\n+COPS: (2,"1NCE","1NCE","90140",8),(1,"1NCE","1NCE","90140",9),(1,"1NCE","1NCE","90140",0)'
            b",,(0-4),(0-2)\r\n\r\nOK\r\n"
        )


@pytest.mark.parametrize(
    ("dialect", "line", "urcs"),
    [
        ("bg95", "AT+CFUN=1,1", [b"\r\nAPP RDY\r\n", b"\r\n+CFUN: 1\r\n", b"\r\n+CPIN: READY\r\n"]),
        ("bg96", "AT+CFUN=1,1", [b"\r\nRDY\r\n"]),
        (
            "sim7080",
            "AT+CREBOOT",
            [b"\r\nRDY\r\n", b"\r\n+CFUN: 1\r\n", b"\r\n+CPIN: READY\r\n", b"\r\nSMS Ready\r\n"],
        ),
        ("nrf91", "AT#XRESET", [b"\r\nReady\r\n"]),
        ("sara-r4", "AT+CFUN=15", []),
        ("sara-r5", "AT+CFUN=16", []),
        ("me910", "AT#REBOOT", []),
    ],
)
def test_vendor_reboots(dialect: str, line: str, urcs: list[bytes]) -> None:
    with modem(dialect) as (sim, probe):
        assert ask(probe, line) == b"\r\nOK\r\n"
        sim.wait_until(lambda s: s["boots"] == 2 and s["power"] == "ready")
        boot = probe.drain()
        assert boot == b"".join(urcs) + (boot[len(b"".join(urcs)) :] if urcs else b"")
        assert ask(probe, "AT") == b"AT\r\r\nOK\r\n"  # echo is back on after the reset


@pytest.mark.parametrize(
    ("dialect", "line", "final"),
    [
        ("bg96", "AT+QPOWD=1", b"\r\nOK\r\n\r\nPOWERED DOWN\r\n"),
        ("sim7000", "AT+CPOWD=1", b"\r\nNORMAL POWER DOWN\r\n"),
        ("sara-r4", "AT+CPWROFF", b"\r\nOK\r\n"),
        ("me910", "AT#SHDN", b"\r\nOK\r\n"),
    ],
)
def test_power_off_then_silence(dialect: str, line: str, final: bytes) -> None:
    with modem(dialect) as (sim, probe):
        probe.write(line.encode() + b"\r")
        assert probe.drain(quiet=0.1) == final
        probe.write(b"AT\r")
        assert probe.drain(quiet=0.1) == b""
        assert sim.status()["power"] == "off"
        sim.power_on()
        sim.wait_until(lambda s: s["power"] == "ready")
        probe.drain()
        assert ask(probe, "AT") == b"AT\r\r\nOK\r\n"
