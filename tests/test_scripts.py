"""Behaviour of the helper scripts' small parsers (the scripts themselves are run by hand)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("tomllib", reason="scripts/device_train.py needs Python 3.11's tomllib")


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_device_variant_settings_keep_lists_and_quoted_commas_whole() -> None:
    parse_variant = load_script("device_train").parse_variant
    assert parse_variant("base0") == ("base0", {})
    assert parse_variant('seed1:seed=1,disputed_source_labels="unknown"') == (
        "seed1",
        {"seed": 1, "disputed_source_labels": "unknown"},
    )
    assert parse_variant('contrast:sources=["corpus","contrast"],seed=2') == (
        "contrast",
        {"sources": ["corpus", "contrast"], "seed": 2},
    )
    assert parse_variant('note:comment="a, b"') == ("note", {"comment": "a, b"})
