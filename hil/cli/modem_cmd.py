"""`hil modem`: drive a modem of any supported dialect through the Modem API."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from at_commands.dialects.profiles import Rat
from at_commands.dialects.registry import CHOICES
from at_commands.errors import AtError
from at_commands.modem import Modem
from hil.cli.output import emit_json, fail, stderr, stdout
from hil.cli.shared_options import SharedOption, SharedOptionsGroup

T = TypeVar("T")


def _record(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _record(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, list):
        return [_record(v) for v in value]
    if isinstance(value, Rat):
        return value.value
    return value


def _show(value: Any, as_json: bool) -> None:
    record = _record(value)
    if as_json:
        emit_json(record)
        return
    items = record.items() if isinstance(record, dict) else enumerate(record)
    for key, item in items:
        stdout.print(
            f"[bold]{key}[/]: {json.dumps(item, default=str) if isinstance(item, dict | list) else item}"
        )


@click.group(cls=SharedOptionsGroup)
@click.option(
    "--port",
    "port_url",
    cls=SharedOption,
    envvar="HIL_MODEM_PORT",
    metavar="URL",
    help="Modem port as a pyserial URL (/dev/ttyUSB2, /dev/pts/7, socket://127.0.0.1:5000); "
    "or set HIL_MODEM_PORT.",
)
@click.option(
    "--dialect",
    cls=SharedOption,
    type=click.Choice(CHOICES),
    default="auto",
    show_default=True,
    help="Module dialect; auto asks the module (AT+CGMM).",
)
@click.option("--json", "as_json", cls=SharedOption, is_flag=True, help="Machine-readable output.")
@click.pass_context
def modem(ctx: click.Context, port_url: str | None, dialect: str, as_json: bool) -> None:
    """Drive a modem: info, attach, signal, SMS and UDP, on real hardware or the virtual lab.

    --port, --dialect and --json go before or after the subcommand
    (`hil modem attach --port URL --json`)."""
    ctx.obj = {"port_url": port_url, "dialect": dialect, "as_json": as_json}


@contextmanager
def _opened(ctx: click.Context) -> Iterator[Modem]:
    if not ctx.obj["port_url"]:
        fail(
            "no modem port given",
            hint="pass --port URL (e.g. --port /dev/ttyUSB2) or set HIL_MODEM_PORT",
            code=2,
        )
    try:
        with Modem.open(ctx.obj["port_url"], ctx.obj["dialect"]) as handle:
            handle.initialize()
            yield handle
    except AtError as exc:
        fail(str(exc), hint=_hint(exc))


def _hint(error: AtError) -> str | None:
    name = type(error).__name__
    return {
        "PortError": "check --port: the device exists, no other program holds it, the modem is powered",
        "SimError": "check the SIM is inserted and unlocked (AT+CPIN?)",
        "RegistrationDeniedError": "the network refused the SIM: is it enabled in the portal? IMEI lock?",
        "NoCoverageError": "no network found: antenna, bands and RAT (try --rat lte-m / nb-iot)",
        "AttachTimeoutError": "still searching: give it longer (--timeout) or check bands and RAT",
    }.get(name)


def _run(ctx: click.Context, action: Callable[[Modem], T], *, status: str | None = None) -> T:
    with _opened(ctx) as handle:
        try:
            if status and not ctx.obj["as_json"]:
                with stderr.status(status):
                    return action(handle)
            return action(handle)
        except AtError as exc:
            fail(str(exc), hint=_hint(exc))


@modem.command()
@click.pass_context
def info(ctx: click.Context) -> None:
    """Identity: dialect, manufacturer, model, firmware, IMEI, ICCID, IMSI."""
    _show(_run(ctx, Modem.info), ctx.obj["as_json"])


@modem.command()
@click.option(
    "--rat", type=click.Choice([r.value for r in Rat]), default=None, help="Radio access technology."
)
@click.option("--band", "bands", type=int, multiple=True, help="Band to allow (repeatable).")
@click.option("--apn", default="iot.1nce.net", show_default=True)
@click.option(
    "--timeout", type=float, default=180.0, show_default=True, help="Seconds to wait for registration."
)
@click.pass_context
def attach(ctx: click.Context, rat: str | None, bands: tuple[int, ...], apn: str, timeout: float) -> None:
    """Configure RAT/bands/APN, switch the radio on and wait for registration (stat 1 or 5)."""

    def go(handle: Modem) -> dict[str, Any]:
        registration = handle.attach(
            rat=Rat(rat) if rat else None, bands=list(bands) or None, apn=apn, timeout=timeout
        )
        return {"registration": _record(registration), "roaming": registration.roaming, "apn": handle.apn()}

    _show(_run(ctx, go, status="attaching..."), ctx.obj["as_json"])


@modem.command()
@click.pass_context
def signal(ctx: click.Context) -> None:
    """Signal quality: CSQ and, on LTE, RSRP/RSRQ from CESQ."""
    _show(_run(ctx, Modem.signal), ctx.obj["as_json"])


@modem.group()
def sms() -> None:
    """Send and read SMS."""


@sms.command("send")
@click.argument("number")
@click.argument("text")
@click.option("--mode", type=click.Choice(["pdu", "text"]), default="pdu", show_default=True)
@click.pass_context
def sms_send(ctx: click.Context, number: str, text: str, mode: str) -> None:
    """Send TEXT to NUMBER (1NCE delivers MO SMS to the portal / SMS forwarder whatever the number)."""
    root = ctx
    references = _run(root, lambda m: m.send_sms(number, text, mode=mode), status="sending...")
    _show({"message_references": references, "parts": len(references)}, root.obj["as_json"])


@sms.command("read")
@click.option("--index", type=int, default=None, help="Read the message stored at this index.")
@click.option(
    "--wait",
    "wait",
    type=float,
    default=60.0,
    show_default=True,
    help="Otherwise wait this many seconds for the next incoming SMS.",
)
@click.pass_context
def sms_read(ctx: click.Context, index: int | None, wait: float) -> None:
    """Read a stored SMS, or wait for the next incoming one."""
    root = ctx

    def go(handle: Modem) -> Any:
        if index is not None:
            return handle.read_sms(index)
        handle.enable_sms()
        return handle.wait_sms(wait)

    _show(_run(root, go, status="waiting for SMS..."), root.obj["as_json"])


@modem.group()
def udp() -> None:
    """Send UDP datagrams through the modem's data session."""


@udp.command("send")
@click.argument("host")
@click.argument("port", type=int)
@click.argument("data")
@click.option("--hex", "is_hex", is_flag=True, help="DATA is hex.")
@click.option("--reply", "reply_wait", type=float, default=None, help="Wait this many seconds for a reply.")
@click.pass_context
def udp_send(
    ctx: click.Context, host: str, port: int, data: str, is_hex: bool, reply_wait: float | None
) -> None:
    """Activate the PDP context if needed and send DATA to HOST:PORT."""
    root = ctx
    try:
        payload = bytes.fromhex(data) if is_hex else data.encode()
    except ValueError:
        fail(f"--hex given but DATA is not hex: {data!r}", code=2)

    def go(handle: Modem) -> dict[str, Any]:
        context = handle.activate_pdp()
        with handle.open_udp(host, port) as socket:
            socket.send(payload)
            result: dict[str, Any] = {"ip": context.ip, "sent_bytes": len(payload), "to": f"{host}:{port}"}
            if reply_wait is not None:
                reply = socket.receive(reply_wait)
                result["reply_hex"] = reply.data.hex()
        return result

    _show(_run(root, go, status="sending..."), root.obj["as_json"])
