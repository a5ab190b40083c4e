"""A command sent while the modem boots: a boot banner before its final does not fail it at once.

Live, over real ptys: a scripted peer (the final after the banner, none at all, or one too late) and
the simulated modem (a banner printed inside an answer that comes late). A reboot with no final
still fails with ModemRebootedError - after the short grace time, not the command's timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from at_commands.channel import AtChannel
from at_commands.errors import CmeError, ModemRebootedError
from at_commands.modem import Modem
from hil.virtual.modem_sim import ModemSimulator, SimulatorHost
from tests.support.pty_peer import PtyPeer, script, wait_until

OK = b"\r\nOK\r\n"


CGSN: dict[bytes, bytes | Callable[[], bytes]] = {b"AT+CGSN": b"\r\n867730051234567\r\n" + OK}


@pytest.fixture
def peer() -> Iterator[PtyPeer]:
    with PtyPeer(script(CGSN), echo=True) as scripted:
        yield scripted


def answering(peer: PtyPeer, command: bytes, now: bytes, after: bytes = b"", delay: float = 0.1) -> None:
    """`command` gets `now` at once and `after` `delay` seconds later (the modem still booting);
    AT+CGSN is answered as usual."""

    def respond(line: bytes) -> bytes | None:
        if line.rstrip(b"\r") != command:
            return script(CGSN)(line)
        if after:
            threading.Timer(delay, peer.send, (after,)).start()
        return now

    peer.responder = respond


def test_final_after_the_banner_belongs_to_the_command(peer: PtyPeer) -> None:
    answering(peer, b"AT+CSQ", b"\r\nRDY\r\n\r\n+CFUN: 1\r\n", b"\r\n+CSQ: 20,99\r\n" + OK)
    with AtChannel.open(peer.path) as channel:
        boots: list[str] = []
        channel.on_reboot(boots.append)
        response = channel.command("AT+CSQ", timeout=5)
        assert (response.final, response.info, response.error) == ("OK", ["+CSQ: 20,99"], None)
        assert [u.line for u in response.urcs] == ["RDY", "+CFUN: 1"]
        assert response.echoed
        assert wait_until(lambda: boots == ["RDY"]), boots  # the reboot is still reported
        assert channel.command("AT+CGSN").info == ["867730051234567"]


def test_error_final_after_the_banner_is_the_commands_typed_error(peer: PtyPeer) -> None:
    answering(peer, b"AT+CPIN?", b"\r\nAPP RDY\r\n", b"\r\n+CME ERROR: 14\r\n")
    with AtChannel.open(peer.path) as channel:
        with pytest.raises(CmeError) as error:
            channel.command("AT+CPIN?", timeout=5)
        assert error.value.name == "SIM_BUSY" and error.value.command == "AT+CPIN?"


def test_no_final_after_the_banner_fails_after_the_grace_not_the_timeout(peer: PtyPeer) -> None:
    answering(peer, b"AT+QIACT=1", b"\r\nRDY\r\n\r\n+CPIN: READY\r\n")
    with AtChannel.open(peer.path) as channel:
        channel.boot_grace = 0.2
        with pytest.raises(ModemRebootedError) as error:
            channel.command("AT+QIACT=1", timeout=60)  # waiting 60 s would time the test out
        assert error.value.boot_line == "RDY" and error.value.command == "AT+QIACT=1"
        # A final that comes after the grace is a stray one: the next command gets its own answer.
        peer.send(b"\r\nOK\r\n\r\n+CSCON: 0\r\n")
        assert wait_until(lambda: any(u.line == "+CSCON: 0" for u in channel.recent_urcs()))
        assert channel.command("AT+CGSN").info == ["867730051234567"]


def test_simulated_modem_prints_its_banner_inside_a_late_answer() -> None:
    """The simulator prints APP RDY between the echo and a slow answer (two line faults)."""
    faults = [
        {"type": "urc_in_response", "command": "AT+CSQ", "urc": "APP RDY", "times": 1},
        {"type": "slow", "command": "AT+CSQ", "delay_s": 10, "times": 1},  # 0.1 s at scale 0.01
    ]
    host = SimulatorHost()
    try:
        with (
            ModemSimulator("bg95", {"faults": faults}, time_scale=0.01, host=host) as sim,
            Modem.open(sim.start_pty(), "bg95") as modem,
        ):
            modem.initialize()
            reboots = modem.channel.reboots
            signal = modem.signal()  # no ModemRebootedError: the answer follows the banner
            assert signal.csq is not None and signal.rssi_dbm is not None
            assert modem.channel.reboots == reboots + 1
            assert any(u.line == "APP RDY" for u in modem.channel.recent_urcs())
            assert modem.info().imei  # the channel goes on
    finally:
        host.close()
