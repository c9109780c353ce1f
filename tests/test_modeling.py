from __future__ import annotations

import json

import numpy as np
import pytest

from sdg_align.errors import ModelError
from sdg_align.modeling import SDGClassifier, mean_pool


def test_layer_by_layer_forward_matches_the_encoder(tiny_encoder_dir):
    import torch

    classifier = SDGClassifier.from_base(str(tiny_encoder_dir), max_length=32)
    windows = classifier.windower.windows(
        ["solar wind battery", "ocean fish coral and more words here"]
    )
    input_ids, mask = map(torch.from_numpy, classifier.windower.pad([w[0] for w in windows]))
    network = classifier.network
    with torch.inference_mode():
        reference = network.encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
        ours = network.run_layers(network.embed_tokens(input_ids), mask, 0)
    assert torch.allclose(mean_pool(reference, mask), mean_pool(ours, mask), atol=1e-5)


def test_labels_thresholds_and_calibration_round_trip(tiny_model_dir, tmp_path):
    model = SDGClassifier.from_pretrained(tiny_model_dir)
    model.config.thresholds = [round(0.1 + 0.04 * i, 2) for i in range(17)]
    model.config.calibration_slope = [1.5] * 17
    model.save_pretrained(tmp_path / "copy")
    again = SDGClassifier.from_pretrained(tmp_path / "copy")
    assert again.config.labels == list(range(1, 18))
    assert again.config.thresholds == model.config.thresholds
    assert again.config.calibration_slope == [1.5] * 17
    texts = ["solar battery grid", "ocean fish"]
    np.testing.assert_allclose(again.predict_proba(texts), model.predict_proba(texts), atol=1e-3)
    files = {p.name for p in (tmp_path / "copy").iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json.gz", "README.md"} <= files
    assert not any(name.endswith((".bin", ".pkl", ".pt")) for name in files)


def test_single_text_in_single_result_out(tiny_model_dir):
    model = SDGClassifier.from_pretrained(tiny_model_dir)
    one = model.predict("solar wind battery")
    many = model.predict(["solar wind battery", "ocean coral"])
    assert one.sdgs == many[0].sdgs and len(many) == 2
    assert model.predict_proba("solar").shape == (17,)
    assert model.predict_proba(["solar", "ocean"]).shape == (2, 17)
    assert set(one.probabilities) == set(range(1, 18))


def test_threshold_and_top_k_override(tiny_model_dir):
    model = SDGClassifier.from_pretrained(tiny_model_dir)
    assert len(model.predict("solar", threshold=0.0).sdgs) == 17
    assert model.predict("solar", threshold=1.0).sdgs == []
    top = model.predict("solar", top_k=3)
    probs = top.probabilities
    assert len(top.sdgs) == 3 and probs[top.sdgs[0]] >= probs[top.sdgs[1]] >= probs[top.sdgs[2]]


def test_long_text_is_windowed_not_truncated(tiny_model_dir):
    model = SDGClassifier.from_pretrained(tiny_model_dir)
    head = " ".join(["the cluster project launches"] * 30)
    prediction = model.predict(head + " ocean fish coral")
    assert prediction.windows > 1
    # the ocean words sit beyond the first window: reading them must change the result
    with_tail = model.predict_proba(head + " ocean fish coral ocean fish coral")
    without_tail = model.predict_proba(head)
    assert with_tail[13] > without_tail[13]


def test_a_sentence_said_again_adds_no_evidence(tiny_model_dir):
    """Windows are pooled as independent evidence, so a sentence pasted 130 times gained tags
    (SDG 3 from 0.10 to 0.61 with the default model); a repeat is read once, in training too."""
    from sdg_align.modeling.windows import drop_repeated_sentences

    said = "Ocean fish coral reefs recover. Solar wind battery grid."
    assert drop_repeated_sentences(said) == said  # nothing repeated: the text as it is
    assert drop_repeated_sentences(f"{said} {said}") == said
    assert drop_repeated_sentences(
        "Ocean fish coral reefs.\nSolar wind.\nOCEAN  fish coral reefs!"
    ) == ("Ocean fish coral reefs.\nSolar wind.")
    assert drop_repeated_sentences("Yes. Yes. Ocean fish.") == "Yes. Yes. Ocean fish."  # too short
    cited = "As in SNF project Nr. 20020-1 we fit. As in SNF project Nr. 20020-2 we test."
    assert drop_repeated_sentences(cited) == cited  # 'As in SNF project Nr.' is no sentence
    model = SDGClassifier.from_pretrained(tiny_model_dir)
    np.testing.assert_allclose(
        model.predict_proba(" ".join([said] * 60)), model.predict_proba(said), atol=1e-6
    )


def test_trained_model_learns_the_toy_topics(tiny_model_dir):
    metrics = json.loads((tiny_model_dir / "metrics.json").read_text())
    assert metrics["validation"]["macro"]["f1"] > 0.5


@pytest.mark.parametrize(
    "breakage", ["missing", "no_config", "bad_json", "bad_weights", "wrong_labels"]
)
def test_unreadable_model_directories_raise_model_error(tiny_model_dir, tmp_path, breakage):
    import shutil

    folder = tmp_path / "broken"
    if breakage != "missing":
        shutil.copytree(tiny_model_dir, folder)
    if breakage == "no_config":
        (folder / "config.json").unlink()
    elif breakage == "bad_json":
        (folder / "config.json").write_text("{not json")
    elif breakage == "bad_weights":
        (folder / "model.safetensors").write_bytes(b"garbage")
    elif breakage == "wrong_labels":
        config = json.loads((folder / "config.json").read_text())
        config["labels"] = [1, 2, 3]
        (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError):
        SDGClassifier.from_pretrained(folder)


def test_continue_training_from_an_existing_model(tiny_model_dir, toy_data_file):
    from sdg_align.data import load_source
    from sdg_align.training import TrainingConfig, train

    config = TrainingConfig(
        init_model=str(tiny_model_dir),
        epochs=1,
        batch_size=16,
        trainable_layers=1,
        validation_fraction=0.2,
        test_fraction=0.0,
    )
    result = train(load_source(str(toy_data_file)), config, progress=False, log=lambda m: None)
    assert (
        result.classifier.config.base_encoder
        == SDGClassifier.from_pretrained(tiny_model_dir).config.base_encoder
    )
    assert "validation" in result.metrics


def test_quantized_model_agrees_with_float(tiny_model_dir):
    model = SDGClassifier.from_pretrained(tiny_model_dir)
    texts = ["solar wind battery", "ocean fish coral", "school training skills"]
    np.testing.assert_allclose(
        model.quantized().predict_proba(texts), model.predict_proba(texts), atol=0.1
    )


def test_predict_refuses_a_blank_text_instead_of_returning_the_prior(tiny_model_dir):
    from sdg_align.errors import DataError

    model = SDGClassifier.from_pretrained(tiny_model_dir)
    with pytest.raises(DataError, match="the text is empty"):
        model.predict("  ")
    with pytest.raises(DataError, match="text 1 .0-based. is empty"):
        model.predict(["solar panels", ""])
    with pytest.raises(DataError, match="text 1 .0-based. is empty"):
        model.predict_proba(["solar panels", ""])  # it returned the prior for the blank text
    for wrong, message in [
        (None, "not NoneType"),
        (123, "not int"),
        (b"solar", "not bytes"),
        (["solar", None], "text 1 .0-based. is NoneType, not a string"),
    ]:
        with pytest.raises(DataError, match=message):
            model.predict(wrong)  # they failed deep inside the tokenizer with a TypeError
    with pytest.raises(ModelError, match="unknown operating point 'nope': choose one of"):
        model.predict("solar", tags="nope")  # it advised retraining the model


def test_default_names_the_bundled_model_wherever_the_user_stands(tmp_path, monkeypatch):
    from sdg_align.modeling.config import default_model_path, resolve_model_path

    monkeypatch.chdir(tmp_path)
    (tmp_path / "default").mkdir()
    assert resolve_model_path("default") == default_model_path()
    assert resolve_model_path("./default") == tmp_path / "default"


def test_sentences_that_differ_only_in_numbers_are_read_once():
    """A report of 300 'In work package k the team insulates N flats' sentences read four SDGs
    at 1.00: each copy was pooled as independent evidence."""
    from sdg_align.modeling.windows import drop_repeated_sentences

    text = (
        "In work package 1 the team insulates 40 flats. In work package 2 the team insulates "
        "52 flats. The city funds 1.5 million euros."
    )
    assert drop_repeated_sentences(text) == (
        "In work package 1 the team insulates 40 flats. The city funds 1.5 million euros."
    )


def test_sentences_in_capitals_are_read_in_lower_case():
    """The README's example in capitals lost SDG 6 (0.81 -> 0.05) and gained SDGs 11 and 13."""
    from sdg_align.modeling.windows import calm_capitals

    assert calm_capitals("SOLAR-POWERED DESALINATION PILOT. The towns pay.") == (
        "Solar-powered desalination pilot. The towns pay."
    )
    assert calm_capitals("The EU funds CO2 cuts. SDG 13") == "The EU funds CO2 cuts. SDG 13"
    assert calm_capitals("a\nHEAT PUMPS FOR SCHOOLS\nok") == "a\nHeat pumps for schools\nok"
