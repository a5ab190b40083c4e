"""`hil cloud`: run the 1NCE network + cloud emulator, or query the 1NCE API (real or emulated)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.table import Table

from hil.cli.output import print_table
from hil.cloud.client import CloudApiError, CloudClient
from hil.cloud.config import ConfigError, load_settings

F = TypeVar("F", bound=Callable[..., Any])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cloud() -> None:
    """The 1NCE cloud: `serve` runs the emulator on loopback; the other commands query an API."""


@cloud.command()
@click.option(
    "--sims", "sims_file", type=click.Path(dir_okay=False, path_type=Path), help="SIM inventory (.yaml/.csv)."
)
@click.option(
    "--demo-sims",
    type=click.IntRange(1, 65000),
    default=4,
    show_default=True,
    help="SIMs of the demo organisation when --sims is not given.",
)
@click.option(
    "--http-port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0: any free port."
)
@click.option("--netlink-port", type=click.IntRange(0, 65535), default=0, show_default=True)
@click.option("--udp-port", type=click.IntRange(0, 65535), default=0, show_default=True)
@click.option("--coap-port", type=click.IntRange(0, 65535), default=0, show_default=True)
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), help="Keep state in this SQLite file.")
@click.option(
    "--token-ttl", type=click.IntRange(1), default=3600, show_default=True, help="Bearer token lifetime (s)."
)
@click.option(
    "--sims-rate-limit",
    type=click.FloatRange(0),
    default=10.0,
    show_default=True,
    help="Requests/s on /v1/sims per customer; 0 = off.",
)
@click.option(
    "--time-scale",
    type=click.FloatRange(0.0001),
    default=1.0,
    show_default=True,
    help="Multiplies 1NCE's delays (webhook retries ...).",
)
@click.option("--sms-forwarder", help="URL for MO SMS (POST) and delivery reports (PATCH).")
@click.option("--data-streamer", help="URL for Data Streamer event records (bulk POST).")
@click.option(
    "--endpoints-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the endpoints JSON here (mode 600).",
)
def serve(
    sims_file: Path | None,
    demo_sims: int,
    http_port: int,
    netlink_port: int,
    udp_port: int,
    coap_port: int,
    db: Path | None,
    token_ttl: int,
    sims_rate_limit: float,
    time_scale: float,
    sms_forwarder: str | None,
    data_streamer: str | None,
    endpoints_file: Path | None,
) -> None:
    """Run the emulated 1NCE network and cloud on 127.0.0.1 until interrupted.

    The first line printed is one JSON object with every endpoint ("api" is the base URL with the
    paths of https://api.1nce.com/management-api) and, for a generated organisation, the API-user
    credentials of this run.
    """
    from hil.virtual.cloud.config import EmulatorConfig
    from hil.virtual.cloud.server import EmulatorServer
    from hil.virtual.network.inventory import InventoryError, demo_inventory, load_inventory

    try:
        inventory = load_inventory(sims_file) if sims_file else demo_inventory(demo_sims)
    except InventoryError as exc:
        raise click.ClickException(str(exc)) from None
    config = EmulatorConfig(
        http_port=http_port,
        netlink_port=netlink_port,
        udp_port=udp_port,
        coap_port=coap_port,
        db_path=db,
        token_ttl=token_ttl,
        sims_rate_limit=sims_rate_limit,
        time_scale=time_scale,
        sms_forwarder_url=sms_forwarder,
        data_streamer_url=data_streamer,
    )

    def ready(endpoints: dict[str, Any]) -> None:
        line = json.dumps(endpoints, separators=(",", ":"))
        if endpoints_file is not None:
            endpoints_file.touch(mode=0o600)
            endpoints_file.write_text(line + "\n", encoding="utf-8")
        click.echo(line)
        sys.stdout.flush()
        click.echo(f"emulator running; API at {endpoints['api']} - Ctrl-C stops it", err=True)

    try:
        asyncio.run(EmulatorServer(inventory, config).serve_forever(ready))
    except OSError as exc:
        raise click.ClickException(f"cannot start the emulator: {exc}") from None
    except KeyboardInterrupt:
        pass


def api_options(function: F) -> F:
    function = click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")(function)
    function = click.option(
        "--emulator",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Endpoints file of `hil cloud serve`.",
    )(function)
    function = click.option("--api", help="API base URL (default: $NCE_API_URL or api.1nce.com).")(function)
    return function


def _client(api: str | None, emulator: Path | None) -> CloudClient:
    try:
        return CloudClient(load_settings(api_url=api, emulator_file=emulator))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _run(api: str | None, emulator: Path | None, action: Callable[[CloudClient], Any]) -> Any:
    with _client(api, emulator) as client:
        try:
            return action(client)
        except CloudApiError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(f"cannot reach {client.settings.api_url}: {exc}") from None
        except Exception as exc:  # httpx transport errors carry the cause
            if type(exc).__module__.startswith("httpx"):
                raise click.ClickException(f"cannot reach {client.settings.api_url}: {exc}") from None
            raise


def _emit(data: Any, as_json: bool, table: Callable[[], Table] | None = None) -> None:
    if as_json or table is None:
        click.echo(json.dumps(data, indent=None if as_json else 2, default=str))
        return
    print_table(table())


@cloud.command()
@api_options
@click.option(
    "--limit", type=click.IntRange(1), default=100, show_default=True, help="Show at most this many SIMs."
)
def sims(api: str | None, emulator: Path | None, as_json: bool, limit: int) -> None:
    """List the organisation's SIMs."""
    items = _run(api, emulator, lambda c: [s.model_dump(exclude_none=True) for s in islice(c.sims(), limit)])

    def table() -> Table:
        view = Table("ICCID", "IMSI", "MSISDN", "IP", "status", "label")
        for s in items:
            view.add_row(
                s["iccid"],
                s.get("imsi", ""),
                s.get("msisdn", ""),
                s.get("ip_address", ""),
                s["status"],
                s.get("label", ""),
            )
        return view

    _emit(items, as_json, table)


@cloud.command()
@api_options
@click.argument("iccid")
def sim(api: str | None, emulator: Path | None, as_json: bool, iccid: str) -> None:
    """Show one SIM."""
    _emit(_run(api, emulator, lambda c: c.sim(iccid).model_dump(exclude_none=True)), as_json)


@cloud.command()
@api_options
@click.argument("iccid")
def status(api: str | None, emulator: Path | None, as_json: bool, iccid: str) -> None:
    """Show a SIM's session state (ONLINE / ATTACHED / OFFLINE) and PDP context."""
    data = _run(api, emulator, lambda c: c.status(iccid).model_dump(exclude_none=True))

    def table() -> Table:
        view = Table("ICCID", "status", "RAT", "IP", "services")
        pdp = data.get("pdp_context") or {}
        view.add_row(
            iccid,
            data["status"],
            (pdp.get("rat_type") or {}).get("description", ""),
            pdp.get("ue_ip_address", ""),
            ", ".join(data.get("services", [])),
        )
        return view

    _emit(data, as_json, table)


@cloud.command()
@api_options
@click.argument("iccid")
@click.option("--start", help="YYYY-MM-DD (default: 29 days before --end).")
@click.option("--end", help="YYYY-MM-DD (default: today).")
def usage(
    api: str | None, emulator: Path | None, as_json: bool, iccid: str, start: str | None, end: str | None
) -> None:
    """Data (MB) and SMS usage per day."""
    days = _run(
        api, emulator, lambda c: [d.model_dump(exclude_none=True) for d in c.usage(iccid, start, end)]
    )

    def table() -> Table:
        view = Table("date", "data MB", "up MB", "down MB", "SMS", "MO", "MT")
        for d in days:
            data, sms_usage = d.get("data") or {}, d.get("sms") or {}
            view.add_row(
                d["date"][:10],
                data.get("volume", ""),
                data.get("volume_tx", ""),
                data.get("volume_rx", ""),
                sms_usage.get("volume", ""),
                sms_usage.get("volume_rx", ""),
                sms_usage.get("volume_tx", ""),
            )
        return view

    _emit(days, as_json, table)


@cloud.group()
def sms() -> None:
    """Send and list SMS of a SIM."""


@sms.command("send")
@api_options
@click.argument("iccid")
@click.argument("text")
@click.option("--source", default="1NCE", show_default=True, help="Source address shown to the device.")
def sms_send(
    api: str | None, emulator: Path | None, as_json: bool, iccid: str, text: str, source: str
) -> None:
    """Send an MT SMS to a SIM."""
    sms_id = _run(api, emulator, lambda c: c.send_sms(iccid, text, source_address=source))
    _emit({"iccid": iccid, "id": sms_id, "submitted": True}, as_json)


@sms.command("list")
@api_options
@click.argument("iccid")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
def sms_list(api: str | None, emulator: Path | None, as_json: bool, iccid: str, limit: int) -> None:
    """List a SIM's SMS, newest first."""
    items = _run(
        api, emulator, lambda c: [s.model_dump(exclude_none=True) for s in islice(c.sms_list(iccid), limit)]
    )

    def table() -> Table:
        view = Table("id", "type", "status", "submitted", "from", "payload")
        for s in items:
            view.add_row(
                str(s["id"]),
                s["sms_type"]["description"],
                s["status"]["description"],
                s.get("submit_date", ""),
                s.get("source_address", ""),
                s.get("payload", ""),
            )
        return view

    _emit(items, as_json, table)


@cloud.command()
@api_options
@click.argument("iccid")
@click.option(
    "--limit", type=click.IntRange(1), default=20, show_default=True, help="History messages to show."
)
def inspect(api: str | None, emulator: Path | None, as_json: bool, iccid: str, limit: int) -> None:
    """Device Inspector: the device's last state and its newest messages."""

    def fetch(c: CloudClient) -> dict[str, Any]:
        return {
            "telemetry": c.telemetry(iccid),
            "history": [m.model_dump(exclude_none=True) for m in c.history(iccid, limit=limit)],
        }

    data = _run(api, emulator, fetch)

    def table() -> Table:
        view = Table("time", "protocol", "topic", "payload")
        for m in data["history"]:
            view.add_row(m["time"], m["protocol"], m.get("topic", ""), m["payload"])
        return view

    _emit(data, as_json, table)
