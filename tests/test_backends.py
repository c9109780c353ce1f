"""Backends: ONNX Runtime without torch, caches keyed by the weights, corrupt caches rebuilt."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sdg_align.modeling import SDGClassifier, load_classifier
from sdg_align.onnx_backend import cache_entry, with_onnx

TEXTS = ["solar wind battery grid", "ocean fish coral", "school training skills"]


def _run(code: str, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SDG_ALIGN_CACHE": str(cache)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )


def test_classify_and_score_never_import_torch_once_exported(tiny_model_dir, tmp_path):
    cache = tmp_path / "cache"
    source = tmp_path / "in.csv"
    source.write_text("text\nsolar wind battery\nocean fish coral\n")
    check = (
        "import sys; from sdg_align.cli import main\n"
        "try:\n"
        "    main({args}, standalone_mode=False)\n"
        "finally:\n"
        "    print('TORCH' if 'torch' in sys.modules else 'NO-TORCH',"
        " 'TRANSFORMERS' if 'transformers' in sys.modules else 'NO-TRANSFORMERS', file=sys.stderr)"
    )
    classify = ["classify", "solar wind battery", "-m", str(tiny_model_dir), "--explain"]
    first = _run(check.format(args=classify), cache)
    assert first.returncode == 0, first.stderr
    assert "exporting the model to ONNX" in first.stderr and "TORCH" in first.stderr
    for args in (
        classify,
        ["score", str(source), "-o", str(tmp_path / "out.csv"), "-m", str(tiny_model_dir)],
    ):
        again = _run(check.format(args=args), cache)
        assert again.returncode == 0, again.stderr
        assert "NO-TORCH NO-TRANSFORMERS" in again.stderr, again.stderr


def test_onnx_gives_the_float32_probabilities(tiny_model_dir):
    float32 = load_classifier(tiny_model_dir, "float32")
    onnx = load_classifier(tiny_model_dir, "onnx")
    assert onnx.backend == "onnx" and float32.backend == "float32"
    assert onnx.weights_hash() == float32.weights_hash()  # from the files, and from the tensors
    np.testing.assert_allclose(onnx.predict_proba(TEXTS), float32.predict_proba(TEXTS), atol=1e-5)
    np.testing.assert_allclose(onnx.embed(TEXTS), float32.embed(TEXTS), atol=1e-5)


def test_with_onnx_needs_no_folder_and_never_serves_another_model(tiny_model_dir, tmp_path):
    import torch

    other_dir = tmp_path / "other"
    shutil.copytree(tiny_model_dir, other_dir)
    other = SDGClassifier.from_pretrained(other_dir)
    with torch.no_grad():
        other.network.head.bias += 1.0  # a different model in a folder of the same name shape
    other.forget_hash()
    mine = SDGClassifier.from_pretrained(tiny_model_dir)
    expected_mine, expected_other = mine.predict_proba(TEXTS), other.predict_proba(TEXTS)
    assert mine.weights_hash() != other.weights_hash()
    with_onnx(other)  # no folder argument at all
    with_onnx(mine)
    assert cache_entry(mine.weights_hash()) != cache_entry(other.weights_hash())
    np.testing.assert_allclose(mine.predict_proba(TEXTS), expected_mine, atol=1e-5)
    np.testing.assert_allclose(other.predict_proba(TEXTS), expected_other, atol=1e-5)


def test_a_corrupt_cache_entry_is_rebuilt(tiny_model_dir, capfd):
    reference = load_classifier(tiny_model_dir, "onnx").predict_proba(TEXTS)
    entry = cache_entry(load_classifier(tiny_model_dir, "onnx").weights_hash())
    for graph in entry.glob("*.onnx"):  # the exported graph and its optimised copy
        graph.write_bytes(b"half a file")
    capfd.readouterr()
    rebuilt = load_classifier(tiny_model_dir, "onnx")
    assert "unreadable; re-exporting" in capfd.readouterr().err
    np.testing.assert_allclose(rebuilt.predict_proba(TEXTS), reference, atol=1e-6)


def test_a_relative_model_path_works_from_anywhere(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tiny_model_dir.parent)
    model = load_classifier(tiny_model_dir.name, "onnx")
    assert model.source_dir == tiny_model_dir.resolve()
    monkeypatch.chdir(tmp_path)
    assert model.predict("solar wind battery").probabilities


def test_unknown_backend_is_a_model_error(tiny_model_dir):
    from sdg_align.errors import ModelError

    with pytest.raises(ModelError, match="unknown backend"):
        load_classifier(tiny_model_dir, "gpu")


def test_error_rates_travel_with_the_model(tiny_model_dir):
    rates = json.loads((tiny_model_dir / "error_rates.json").read_text())
    assert set(rates["operating_points"]) == {"balanced", "precise", "broad"}
    block = rates["operating_points"]["balanced"]
    assert len(block["positives"]) == 17
    assert all(tp <= p for tp, p in zip(block["true_positives"], block["positives"], strict=True))
