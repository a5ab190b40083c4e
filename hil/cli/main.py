"""Entry point of the `hil` console script."""

from __future__ import annotations

import click

from hil import __version__
from hil.cli.lazy import LazyGroup

# One line per top-level subcommand: name -> "module:click object". Keep sorted.
SUBCOMMANDS: dict[str, str] = {
    "at": "hil.cli.at_cmd:at",
    "bcl": "hil.cli.bcl:bcl",
    "lab": "hil.cli.lab:lab",
    "cloud": "hil.cli.cloud:cloud",
    "fw": "hil.cli.fw:fw",
    "image": "hil.cli.image:image",
    "modem": "hil.cli.modem_cmd:modem",
    "modem-sim": "hil.cli.modem_sim:modem_sim",
    "report": "hil.cli.report:report",
    "rigs": "hil.cli.rigs:rigs",
    "runs": "hil.cli.runs:runs",
    "run": "hil.cli.run:run",
    "sdk": "hil.cli.sdk:sdk",
}


@click.group(
    cls=LazyGroup,
    lazy_subcommands=SUBCOMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="hil")
def cli() -> None:
    """nce-hil: drive modems, SIMs, firmware and the 1NCE cloud, on real rigs or the virtual lab."""


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
