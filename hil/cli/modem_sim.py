"""`hil modem-sim`: run a simulated modem on a pty or TCP port, and poke a running one.

hil modem-sim --dialect bg95 --pty [--link /tmp/ttyBG95] [--scenario lab.yaml] [--time-scale 0.1]
hil modem-sim --dialect nrf91 --tcp 127.0.0.1:7000 --network tcp://127.0.0.1:7001   (claims a free SIM)
hil modem-sim --dialect bg95 --pty --network tcp://127.0.0.1:7001 --iccid 8988280666000000011
hil modem-sim sms --control 127.0.0.1:PORT --from +4917012345678 "hello"
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from at_commands.dialects.profiles import DIALECT_NAMES
from hil.cli.output import EXIT_FAILURE, EXIT_USAGE, emit_json, fail

CONTROL_HELP = "The control endpoint HOST:PORT the simulator printed at start-up."


def _endpoint(value: str, option: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise click.BadParameter(f"expected HOST:PORT, got {value!r}", param_hint=option)
    return host, int(port)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--dialect", type=click.Choice(DIALECT_NAMES, case_sensitive=False), help="Module to simulate.")
@click.option("--pty", "use_pty", is_flag=True, help="Serve on a new pseudo-terminal (its path is printed).")
@click.option("--link", type=click.Path(dir_okay=False, path_type=Path), help="Also symlink the pty here.")
@click.option("--tcp", metavar="HOST:PORT", help="Serve on TCP (pyserial socket://); port 0 picks one.")
@click.option(
    "--scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Scenario YAML."
)
@click.option("--time-scale", type=float, default=1.0, show_default=True, help="Multiply every modem delay.")
@click.option(
    "--network", metavar="tcp://HOST:PORT", help="Emulated core network (netlink); default built-in."
)
@click.option(
    "--iccid",
    metavar="ICCID",
    help="With --network: claim this SIM of the network's inventory (default: the first free one).",
)
@click.option(
    "--control", metavar="HOST:PORT", default="127.0.0.1:0", show_default=True, help="Control channel."
)
@click.option(
    "--log", type=click.Path(dir_okay=False, path_type=Path), help="Write the byte transcript here."
)
@click.pass_context
def modem_sim(
    ctx: click.Context,
    dialect: str | None,
    use_pty: bool,
    link: Path | None,
    tcp: str | None,
    scenario: Path | None,
    time_scale: float,
    network: str | None,
    iccid: str | None,
    control: str,
    log: Path | None,
) -> None:
    """Simulate a cellular module (any of the nine dialects) until SIGINT/SIGTERM.

    With --network and no SIM identity in the scenario, the modem claims a free SIM (Enabled, no
    modem connected) of the network's inventory, so it attaches to `hil cloud serve` as it is.
    The first line on stdout is one JSON object: dialect, port, control endpoint, SIM identity.
    Subcommands talk to a running simulator through its control channel.
    """
    if ctx.invoked_subcommand is not None:
        return
    if dialect is None:
        raise click.UsageError("--dialect is required to run a simulator (or give a subcommand)")
    if not use_pty and tcp is None:
        raise click.UsageError("give --pty and/or --tcp HOST:PORT")
    if link is not None and not use_pty:
        raise click.UsageError("--link needs --pty")
    if time_scale <= 0:
        raise click.BadParameter("must be positive", param_hint="--time-scale")
    tcp_endpoint = _endpoint(tcp, "--tcp") if tcp is not None else None
    control_endpoint = _endpoint(control, "--control")
    if network is not None and not network.startswith("tcp://"):
        raise click.BadParameter("expected tcp://HOST:PORT", param_hint="--network")
    if iccid is not None and network is None:
        raise click.UsageError("--iccid picks a SIM of a network's inventory: give --network tcp://HOST:PORT")
    if iccid is not None and not iccid.isdigit():
        raise click.BadParameter(f"an ICCID is 19 or 20 digits, got {iccid!r}", param_hint="--iccid")

    from hil.virtual.modem_sim.scenario import ScenarioError, load_scenario

    try:
        loaded = load_scenario(scenario) if scenario is not None else None
    except ScenarioError as exc:
        fail(str(exc), code=EXIT_USAGE)
    try:
        asyncio.run(
            _serve(
                dialect.lower(),
                loaded,
                use_pty,
                link,
                tcp_endpoint,
                time_scale,
                network,
                iccid,
                control_endpoint,
                log,
            )
        )
    except (OSError, ValueError) as exc:
        fail(str(exc), code=EXIT_FAILURE)


async def _serve(
    dialect: str,
    scenario: Any,
    use_pty: bool,
    link: Path | None,
    tcp: tuple[str, int] | None,
    time_scale: float,
    network: str | None,
    iccid: str | None,
    control: tuple[str, int],
    log: Path | None,
) -> None:
    from hil.virtual.modem_sim.control import ControlServer
    from hil.virtual.modem_sim.modem import SimulatedModem

    modem = SimulatedModem(
        dialect, scenario, time_scale=time_scale, network=network, transcript=log, iccid=iccid
    )
    server = ControlServer(modem)
    try:
        await modem.start()
        ports = []
        if use_pty:
            ports.append(await modem.open_pty(link))
        if tcp is not None:
            ports.append(await modem.open_tcp(*tcp))
        endpoint = await server.open(*control)
        emit_json(
            {
                "dialect": dialect,
                "port": ports[0],
                "ports": ports,
                "pty": modem.ports[0].path if use_pty else None,  # type: ignore[union-attr]
                "control": endpoint,
                "sim": modem.identity(),
                "sim_claimed": modem.claimed is not None,
                "network": network or "standalone",
                "time_scale": time_scale,
                "log": str(log) if log else None,
                "pid": os.getpid(),
            }
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await server.close()
        await modem.close()


# ------------------------------------------------------------------ control
def _control_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option("--json", "as_json", is_flag=True, help="Print the raw JSON answer.")(function)
    return click.option("--control", required=True, metavar="HOST:PORT", help=CONTROL_HELP)(function)


def _send(
    control: str, message: dict[str, Any], as_json: bool, describe: Callable[[dict[str, Any]], str]
) -> None:
    from hil.virtual.modem_sim.control import request

    _endpoint(control, "--control")
    try:
        answer = request(control, message)
    except (OSError, ValueError) as exc:
        fail(f"cannot reach the simulator at {control}: {exc}", hint="is `hil modem-sim` running?")
    if as_json:
        emit_json(answer)
    elif answer.get("ok"):
        click.echo(describe(answer))
    if not answer.get("ok"):
        if not as_json:
            fail(str(answer.get("error")))
        raise SystemExit(EXIT_FAILURE)


@modem_sim.command("sms")
@_control_options
@click.option("--from", "sender", required=True, help="Originating number, e.g. +4917012345678.")
@click.option("--pdu", is_flag=True, help="TEXT is a hex SMS-DELIVER TPDU, not text.")
@click.argument("text")
def sms(control: str, as_json: bool, sender: str, pdu: bool, text: str) -> None:
    """Deliver an MT SMS to the simulated modem (+CMTI / +CMT per its AT+CNMI)."""
    message: dict[str, Any] = {"cmd": "sms", "from": sender, ("pdu" if pdu else "text"): text}
    _send(control, message, as_json, lambda a: f"delivered (sms ids {a.get('sms_ids')})")


@modem_sim.command("fault")
@_control_options
@click.argument("fault_json", metavar="FAULT")
def fault(control: str, as_json: bool, fault_json: str) -> None:
    """Switch a fault on; FAULT is JSON like '{"type": "sim_busy", "count": 3}'."""
    try:
        spec = json.loads(fault_json)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="FAULT") from None
    _send(control, {"cmd": "fault", "fault": spec}, as_json, lambda a: f"fault on: {a.get('id')}")


@modem_sim.command("clear-fault")
@_control_options
@click.argument("key")
def clear_fault(control: str, as_json: bool, key: str) -> None:
    """Switch faults off by id or by type."""
    _send(control, {"cmd": "clear_fault", "id": key}, as_json, lambda a: f"cleared: {a.get('cleared')}")


@modem_sim.command("signal")
@_control_options
@click.option("--rssi", type=int, help="RSSI in dBm (-113..-51).")
@click.option("--rsrp", type=int, help="RSRP in dBm (-140..-44).")
@click.option("--rsrq", type=float, help="RSRQ in dB (-20..-3).")
@click.option("--sinr", type=float, help="SINR in dB.")
def signal_command(
    control: str, as_json: bool, rssi: int | None, rsrp: int | None, rsrq: float | None, sinr: float | None
) -> None:
    """Change the signal the modem reports (+CSQ, +CESQ, vendor commands)."""
    values = {"rssi_dbm": rssi, "rsrp_dbm": rsrp, "rsrq_db": rsrq, "sinr_db": sinr}
    message: dict[str, Any] = {"cmd": "signal", **{k: v for k, v in values.items() if v is not None}}
    if len(message) == 1:
        raise click.UsageError("give at least one of --rssi --rsrp --rsrq --sinr")
    _send(control, message, as_json, lambda a: f"signal: {a.get('signal')}")


def _simple(name: str, command: str, help_text: str, done: str) -> None:
    @modem_sim.command(name, help=help_text)
    @_control_options
    def action(control: str, as_json: bool) -> None:
        _send(control, {"cmd": command}, as_json, lambda a: done)


_simple("reboot", "reboot", "Reset the modem now (boot URCs follow, echo back on).", "rebooting")
_simple("detach", "detach", "Network-initiated detach; the modem re-attaches by itself.", "detached")
_simple("pdp-deactivate", "pdp_deactivate", "The network tears the PDP context down.", "PDP deactivated")
_simple("wake", "wake", "Wake the modem from PSM (the wake-up pin).", "awake")


@modem_sim.command("power")
@_control_options
@click.argument("state", type=click.Choice(["on", "off"]))
def power(control: str, as_json: bool, state: str) -> None:
    """Switch the module off or on (as a power switch would)."""
    _send(control, {"cmd": "power", "on": state == "on"}, as_json, lambda a: f"power {state}")


@modem_sim.command("status")
@_control_options
def status(control: str, as_json: bool) -> None:
    """Show the simulator's state: power, SIM, registration, PDP, sockets, faults."""
    _send(control, {"cmd": "status"}, as_json, lambda a: json.dumps(a.get("status"), indent=2))
