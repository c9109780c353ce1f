"""The ``sdg-align`` command line: a thin click layer over the Python API.

Each command lives in its own module in this package; this root group only wires them together.
Commands parse options, call one library function and format its result; library errors
(:class:`sdg_align.errors.SDGAlignError`) become one-line ``click.ClickException`` errors here.
"""

from __future__ import annotations

import click

from .. import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sdg-align")
def main() -> None:
    """Tag cluster projects with the UN Sustainable Development Goals they advance.

    \b
    Examples:
      sdg-align classify "A reskilling academy for battery-cell technicians"
      sdg-align score examples/portfolio.csv --text-col title --text-col description -o scored.csv
      sdg-align profile scored.csv --by cluster --time-col year --html report.html
    """


def _register() -> None:
    from .classify import classify
    from .evaluate import evaluate
    from .profile import profile
    from .score import score
    from .train import train

    for command in (classify, train, evaluate, score, profile):
        main.add_command(command)


_register()
