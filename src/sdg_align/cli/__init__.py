"""The ``sdg-align`` command line: a thin click layer over the Python API.

Each command lives in its own module in this package and is imported only when it runs, so
``sdg-align classify`` never pays for the report's chart libraries. Commands parse options, call one
library function and format its result; library errors (:class:`sdg_align.errors.SDGAlignError`)
become one-line ``click.ClickException`` errors.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from .. import __version__

COMMANDS = {
    "classify": "classify",
    "train": "train",
    "evaluate": "evaluate",
    "score": "score",
    "profile": "profile",
    "review": "review",
}


class LazyGroup(click.Group):
    """A group whose commands are imported from ``sdg_align.cli.<module>`` on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"{__name__}.{COMMANDS[cmd_name]}")
        command: Any = getattr(module, cmd_name)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sdg-align")
def main() -> None:
    """Tag cluster projects with the UN Sustainable Development Goals they advance.

    \b
    Examples:
      sdg-align classify "A reskilling academy for battery-cell technicians"
      sdg-align score examples/portfolio.csv --text-col title --text-col description -o scored.csv
      sdg-align profile scored.csv --by cluster --time-col year --html report.html
    """
    import warnings

    from ..errors import SDGAlignWarning

    warnings.simplefilter("ignore", SDGAlignWarning)  # each command prints its own lines
