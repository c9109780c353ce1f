"""Pieces every command shares: error translation, the model option, progress settings."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..errors import SDGAlignError

F = TypeVar("F", bound=Callable[..., Any])

MODEL_ENV = "SDG_ALIGN_MODEL"


def friendly_errors(func: F) -> F:
    """Turn library errors into one-line click errors (exit 1) instead of tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SDGAlignError as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt as exc:
            raise click.ClickException("interrupted") from exc

    return wrapper  # type: ignore[return-value]


def model_option(func: F) -> F:
    """``--model``: a model directory; defaults to $SDG_ALIGN_MODEL, then the bundled model."""
    return click.option(
        "-m",
        "--model",
        "model_path",
        type=click.Path(path_type=str),
        default=lambda: os.environ.get(MODEL_ENV),
        help="Model directory (default: $SDG_ALIGN_MODEL, else the bundled default model).",
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


def backend_option(func: F) -> F:
    """``--backend``: how the network runs (see sdg_align.modeling.backends)."""
    return click.option(
        "--backend",
        type=click.Choice(["onnx", "float32", "int8"]),
        default="onnx",
        show_default=True,
        help="onnx: the float32 network in ONNX Runtime (same results, no torch import once "
        "exported into the cache, about 10 s once per model); float32: PyTorch; int8: quantised "
        "encoder layers in PyTorch, about 1 macro-F1 point less accurate (see README).",
    )(func)
