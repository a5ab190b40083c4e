"""`hil at`: talk AT to a modem port, and decode recorded captures."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import click

from at_commands.capture import CaptureError, DecodedCommand, decode_capture
from at_commands.channel import AtChannel
from at_commands.errors import AtError
from at_commands.session import Response, Urc
from hil.cli.output import EXIT_FAILURE, EXIT_OK, emit_json, fail, stdout

PORT_HELP = "A pyserial URL: /dev/ttyUSB2, /dev/pts/7, socket://127.0.0.1:5000, rfc2217://host:port."


class _PortOrSubcommand(click.Group):
    """`hil at PORT [COMMAND...]` and `hil at decode FILE` side by side: a first argument that is
    not a subcommand name is a port."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = next((a for a in args if not a.startswith("-")), None)
        if first is not None and first not in self.commands and "--help" not in args[: args.index(first)]:
            args = ["port", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_PortOrSubcommand)
def at() -> None:
    """Talk AT to a modem, or decode a recorded capture.

    \b
    hil at PORT                  interactive terminal (history, live URCs)
    hil at PORT 'AT+CSQ' ...     send commands, print the answers, exit
    hil at decode FILE [--json]  decode a capture ("> " host, "< " modem lines)

    PORT is a pyserial URL: /dev/ttyUSB2, /dev/pts/7, socket://127.0.0.1:5000, rfc2217://host:port.
    """


def _response_json(response: Response) -> dict[str, Any]:
    out: dict[str, Any] = {
        "command": response.command,
        "final": response.final,
        "info": response.info,
        "urcs": [u.line for u in response.urcs],
        "elapsed_ms": round(response.elapsed * 1000, 3),
    }
    if response.data is not None:
        out["data_hex"] = response.data.hex()
    if response.error is not None:
        out["error"] = str(response.error)
    return out


def _print_response(response: Response) -> None:
    for urc in response.urcs:
        stdout.print(f"[cyan]URC[/] {urc.line}")
    for line in response.info:
        stdout.print(line, markup=False)
    if response.data is not None:
        stdout.print(f"[dim]({len(response.data)} bytes)[/] {response.data!r}")
    style = "green" if response.error is None else "red"
    stdout.print(f"[{style}]{response.final}[/]")


@at.command("port", hidden=True)
@click.argument("port_url", metavar="PORT")
@click.argument("commands", nargs=-1)
@click.option("--timeout", type=float, default=None, help="Seconds per command (default: by command class).")
@click.option("--baudrate", type=int, default=115200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per command on stdout.")
def port_command(
    port_url: str, commands: tuple[str, ...], timeout: float | None, baudrate: int, as_json: bool
) -> None:
    """Send COMMANDS to PORT (or open an interactive terminal when none are given)."""
    try:
        channel = AtChannel.open(port_url, baudrate=baudrate)
    except AtError as exc:
        fail(str(exc), hint="check the port exists and no other program holds it")
    with channel:
        if not commands:
            _interactive(channel, timeout)
            return
        status = EXIT_OK
        for command in commands:
            try:
                response = channel.command(command, timeout=timeout, check=False)
            except AtError as exc:
                if as_json:
                    emit_json({"command": command, "error": str(exc)})
                else:
                    stdout.print(f"[red]{exc}[/]", markup=True)
                raise SystemExit(EXIT_FAILURE) from None
            if response.error is not None:
                status = EXIT_FAILURE
            emit_json(_response_json(response)) if as_json else _print_response(response)
        raise SystemExit(status)


def _interactive(channel: AtChannel, timeout: float | None) -> None:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())

    def show_urc(urc: Urc) -> None:
        stdout.print(f"\n[cyan]URC[/] {urc.line}" + (f"\n    {urc.body}" if urc.body else ""))

    channel.subscribe(None, show_urc)
    stdout.print(f"[dim]connected to {channel.name}; Ctrl-D to quit[/]")
    while True:
        try:
            line = input("AT> ").strip()
        except (EOFError, KeyboardInterrupt):
            stdout.print()
            return
        if not line:
            continue
        try:
            _print_response(channel.command(line, timeout=timeout, check=False))
        except AtError as exc:
            stdout.print(f"[red]{exc}[/]")
        except ValueError as exc:
            stdout.print(f"[red]{exc}[/]")


@at.command("decode")
@click.argument("capture", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per command / URC (JSON lines).")
def decode(capture: Path, as_json: bool) -> None:
    """Decode a capture: lines starting "> " (host to modem) or "< " (modem to host).

    Prints one object per host command - {"command", "final", "info", "urcs"} with the URCs that
    arrived while it was pending - and the URCs outside any command. Use - for stdin.
    """
    try:
        text = (
            sys.stdin.read() if str(capture) == "-" else capture.read_text(encoding="utf-8", errors="replace")
        )
    except OSError as exc:
        fail(f"cannot read {capture}: {exc}")
    try:
        decoded = list(decode_capture(text.splitlines()))
    except CaptureError as exc:
        fail(f"{capture}: {exc}", hint='every line must start with "> " (host) or "< " (modem)')
    for item in decoded:
        if as_json:
            emit_json(item.to_json())
        elif isinstance(item, DecodedCommand):
            final = item.final or "(no final result code in capture)"
            style = "green" if item.error is None and item.final else "red"
            stdout.print(f"[bold]{item.command}[/]  [{style}]{final}[/]")
            for line in item.info:
                stdout.print(f"    {line}", markup=False)
            for urc in item.urcs:
                stdout.print(f"    [cyan]URC[/] {urc}")
        else:
            stdout.print(f"[cyan]URC[/] {item.urc}")
