"""Pieces every command shares: error translation, the model option, progress settings."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import Interrupted, SDGAlignError

F = TypeVar("F", bound=Callable[..., Any])

MODEL_ENV = "SDG_ALIGN_MODEL"
DEBUG_ENV = "SDG_ALIGN_DEBUG"  # set: an unexpected error shows its traceback


class InterruptedExit(click.ClickException):
    """Ctrl-C: the shell's convention is exit status 130."""

    exit_code = 130


def friendly_errors(func: F) -> F:
    """Turn library errors into one-line click errors (exit 1) instead of tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with _terminate_as_interrupt():
                return func(*args, **kwargs)
        except Interrupted as exc:
            raise InterruptedExit(str(exc)) from exc
        except SDGAlignError as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt as exc:
            raise InterruptedExit("interrupted; nothing was written") from exc
        except BrokenPipeError:  # `... | head`: the reader left; nothing to say
            raise
        except OSError as exc:  # a disk full or a folder gone mid-run: still one line
            what = f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
            raise click.ClickException(f"cannot read or write {what}") from exc
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # a bug: one line for the user, the traceback on request
            if os.environ.get(DEBUG_ENV):
                raise
            raise click.ClickException(
                f"unexpected error ({type(exc).__name__}: {exc}). This is a bug in sdg-align: "
                f"run the command again with {DEBUG_ENV}=1 to see where, and report it"
            ) from exc

    return wrapper  # type: ignore[return-value]


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (what `timeout`, systemd and `kill` send) stops a run as Ctrl-C does: it says
    what was kept and cleans up. It ended the process silently and left a copy of stdin in /tmp."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except (ValueError, AttributeError):  # not the main thread, or no SIGTERM here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def check_output_locations(
    files: dict[str, str | None], folders: dict[str, str | None] | None = None
) -> None:
    """Refuse, before any work, an output that cannot be written: a file named where a folder
    is (or the reverse), a folder that cannot be made because a file stands in its path, or one
    the user may not write in. A run with several outputs wrote some, then crashed on the next.

    Keys name the options (``--html``); ``-`` (stdout) and unset options are skipped.
    """
    from ..errors import DataError

    wanted = [(name, path, False) for name, path in files.items()]
    wanted += [(name, path, True) for name, path in (folders or {}).items()]
    for name, path, is_folder in wanted:
        if not path or path == "-":
            continue
        target = Path(path).expanduser()
        if target.exists() and target.is_dir() != is_folder:
            kind = "a folder" if target.is_dir() else "a file"
            raise DataError(
                f"{name} {path} is {kind}; give {'a folder' if is_folder else 'a file name'}"
            )
        ancestor = target if is_folder and target.exists() else target.parent
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise DataError(f"{name} {path} cannot be written: {ancestor} is a file, not a folder")
        if not os.access(ancestor, os.W_OK | os.X_OK):
            raise DataError(
                f"{name} {path} cannot be written: no permission to write in {ancestor}"
            )


def model_option(func: F) -> F:
    """``--model``: a model directory; defaults to $SDG_ALIGN_MODEL, then the bundled model."""
    return click.option(
        "-m",
        "--model",
        "model_path",
        type=click.Path(path_type=str),
        default=lambda: os.environ.get(MODEL_ENV),
        callback=_model_from_environment,
        help="Model directory, or 'default' for the bundled model (default: $SDG_ALIGN_MODEL, "
        "else the bundled model).",
    )(func)


def _model_from_environment(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    """A missing folder named by $SDG_ALIGN_MODEL is said to come from there: the user typed none."""
    source = ctx.get_parameter_source(param.name or "")
    from_environment = source is click.core.ParameterSource.DEFAULT and value != "default"
    if value and from_environment and not Path(value).expanduser().is_dir():
        raise click.UsageError(
            f"${MODEL_ENV} names a model directory that does not exist: {value}; "
            "set it to a model folder, or unset it to use the bundled model"
        )
    if value and value != "default":
        _warn_if_thresholds_are_noise(Path(value).expanduser())
    return value


MIN_VALIDATION_TEXTS = 30  # fewer: a new model's thresholds and calibration are noise


def _warn_if_thresholds_are_noise(folder: Path) -> None:
    """A model trained anew on a few texts chose its thresholds on a handful of validation texts
    (a trial: 3 of 70), and scored 103 of 126 projects with SDG 6 or 14 while every command that
    used it said nothing. An adapted model measures out of fold instead, and is not warned of."""
    import json

    try:
        metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
        texts = int(metrics["validation"]["samples"])
    except (OSError, ValueError, KeyError, TypeError):
        return
    if "adaptation" not in metrics and texts < MIN_VALIDATION_TEXTS:
        click.echo(
            f"warning: the model in {folder} chose its thresholds on {texts} validation texts: "
            "too few for tags you can trust; train it from a trained model (--init-model "
            "default) or on more labelled texts",
            err=True,
        )


def input_format_option(func: F) -> F:
    """``--format`` of an input file, for files whose extension does not tell (or stdin: csv)."""
    from ..tables import FORMATS

    return click.option(
        "--format",
        "in_format",
        type=click.Choice(FORMATS),
        help="Input format, when the extension does not tell (stdin: csv).",
    )(func)


def sheet_option(func: F) -> F:
    """``--sheet`` of an Excel input (a workbook may open on a cover or README sheet)."""
    return click.option(
        "--sheet",
        help="Excel input: the sheet to read, by name or number (1 = first; default: the first).",
    )(func)


def quiet_option(func: F) -> F:
    return click.option("-q", "--quiet", is_flag=True, help="No progress bar on stderr.")(func)


def tags_option(func: F) -> F:
    """``--tags``: which of the model's operating points decides the tags."""
    return click.option(
        "--tags",
        type=click.Choice(["balanced", "precise", "broad"]),
        default="balanced",
        show_default=True,
        help="Operating point: balanced (best F1), precise (precision >= 0.9 where reachable, "
        "for reports) or broad (recall >= 0.9 where reachable, for screening).",
    )(func)


def threshold_option(func: F) -> F:
    """``--threshold``: one cut for all SDGs, instead of an operating point's per-SDG cuts."""
    return click.option(
        "--threshold",
        type=click.FloatRange(0, 1),
        help="One threshold for all SDGs (instead of --tags).",
    )(func)


def check_tags_or_threshold(threshold: float | None) -> None:
    """Refuse ``--tags`` beside ``--threshold``: the threshold wins, so the choice would be lost."""
    from click.core import ParameterSource

    context = click.get_current_context()
    if threshold is not None and context.get_parameter_source("tags") in (
        ParameterSource.COMMANDLINE,
        ParameterSource.ENVIRONMENT,
    ):
        raise click.UsageError(
            "--tags and --threshold both choose the tags' thresholds: give one of them"
        )


def check_outputs_spare_inputs(
    outputs: dict[str, str | None], inputs: dict[str, str | None]
) -> None:
    """Refuse an output file that is one of the inputs, or another output: nothing is lost.

    Keys name the options (``--csv``); ``-`` (stdin or stdout) and unset options are skipped.
    """
    from pathlib import Path

    from ..errors import DataError

    def resolved(paths: dict[str, str | None]) -> list[tuple[str, Path]]:
        return [
            (name, Path(path).resolve()) for name, path in paths.items() if path and path != "-"
        ]

    seen: dict[Path, str] = {}
    for name, path in resolved(outputs):
        for what, source in resolved(inputs):
            if path == source:
                raise DataError(
                    f"{name} names the {what} file itself ({outputs[name]}); writing it would "
                    "replace what was read: write to another file"
                )
        if path in seen:
            raise DataError(f"{seen[path]} and {name} name the same file ({outputs[name]})")
        seen[path] = name


def backend_option(func: F) -> F:
    """``--backend``: how the network runs (see sdg_align.modeling.backends)."""
    return click.option(
        "--backend",
        type=click.Choice(["onnx", "float32", "int8"]),
        default="onnx",
        show_default=True,
        help="onnx: the float32 network in ONNX Runtime (same results, no torch import once "
        "exported into the cache, about 10 s once per model); float32: PyTorch; int8: quantised "
        "encoder layers in PyTorch, macro-F1 up to 3 points off on one set (see README).",
    )(func)


def check_dialect_options(sep: str | None, encoding: str | None) -> tuple[str | None, str | None]:
    """--sep is one character (``\\t`` for a tab); --encoding a codec Python knows."""
    import codecs

    if sep in ("\\t", "tab"):
        sep = "\t"
    if sep is not None and len(sep) != 1:
        raise click.UsageError(f"--sep takes one character such as ';' or '\\t', not {sep!r}")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise click.UsageError(
                f"unknown --encoding {encoding!r} (e.g. utf-8, cp1252, cp1250)"
            ) from exc
    return sep, encoding


def dialect_options(func: F) -> F:
    """``--sep`` and ``--encoding`` of a CSV/TSV input (both detected by default)."""
    func = click.option(
        "--encoding",
        help="Text encoding of a CSV input (default: UTF-8 or UTF-16, else Windows-1252; e.g. cp1250).",
    )(func)
    return click.option(
        "--sep",
        help="Column separator of a CSV input (default: detected; e.g. ';' for Excel's "
        "European CSV, '\\t' for a tab).",
    )(func)


def say_which_sheet(path: str | Path, fmt: str | None, sheet: str | None) -> None:
    """Name the sheet read from a workbook of several when none was chosen, even with --quiet
    (it silences progress): a second year's sheet left unread must not pass unseen."""
    from ..tables import header_note, sheet_note

    for note in (sheet_note(path, fmt, sheet), header_note(path, fmt, sheet)):
        if note:
            click.echo(note, err=True)
