"""The model card (README.md of a model folder), rendered from a template with measured metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader

from .labels import GOALS

if TYPE_CHECKING:
    from .modeling import ModelConfig


def render_model_card(config: ModelConfig, metrics: dict[str, Any], card: dict[str, Any]) -> str:
    """Fill ``templates/model_card.md.j2``; ``card`` adds training data, settings and notes."""
    env = Environment(
        loader=PackageLoader("sdg_align", "templates"),
        autoescape=False,  # Markdown, not HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("model_card.md.j2")
    return template.render(config=config, metrics=metrics, card=card, goals=GOALS)
