"""Small-data adaptation: k-fold decision rules, replay, anchoring, and the whole protocol."""

from __future__ import annotations

import json
import shutil
from typing import Any

import numpy as np
import pytest
import torch

from sdg_align.adaptation import (
    DecisionRule,
    assign_folds,
    base_rule,
    cross_fitted_rules,
    cross_fitted_tags,
    fit_rule,
    replay_sample,
)
from sdg_align.data import Example, LabelledSet, load_source
from sdg_align.modeling import ModelConfig, SDGClassifier
from sdg_align.training import (
    FitRun,
    TrainingConfig,
    snapshot,
    train,
    trainable_parameters,
)
from sdg_align.window_cache import FrozenStates

from .conftest import make_texts


def _base() -> DecisionRule:
    config = ModelConfig(base_encoder="x", base_encoder_version="1")
    config.thresholds = [0.4] * 17
    config.calibration_slope = [0.8] * 17
    config.calibration_intercept = [-1.0] * 17
    config.operating_points = {"balanced": [0.4] * 17, "precise": [0.7] * 17, "broad": [0.2] * 17}
    return base_rule(config)


def _problem(n: int = 80, seed: int = 0) -> tuple[np.ndarray, LabelledSet]:
    """SDG 1: 40 positives whose logits separate them; SDG 2: 3 positives; the rest none."""
    rng = np.random.default_rng(seed)
    examples, logits = [], np.full((n, 17), -3.0)
    for i in range(n):
        sdgs = (1,) if i % 2 == 0 else ()
        if i in (1, 3, 5):
            sdgs = (*sdgs, 2)
        examples.append(Example(f"text {i}", sdgs, "user"))
        logits[i, 0] = (2.0 if 1 in sdgs else -2.0) + rng.normal(0, 0.7)
    return logits, LabelledSet(examples)


def test_thresholds_are_refitted_only_where_the_folds_have_enough_labels():
    logits, labelled = _problem()
    base = _base()
    rule = fit_rule(logits, labelled, base, min_positives=10)
    assert rule.refit == [1]  # 40 positives and 40 negatives
    # SDG 2 (3 positives) and the others keep the base calibration and every operating point.
    for k in range(1, 17):
        assert (rule.slopes[k], rule.intercepts[k]) == (0.8, -1.0)
        assert {name: rule.points[name][k] for name in rule.points} == {
            "balanced": 0.4,
            "precise": 0.7,
            "broad": 0.2,
        }
    assert rule.slopes[0] != 0.8 and rule.points["balanced"][0] != 0.4
    # Separable logits: the refitted rule tags SDG 1 right where the base rule would not.
    assert (rule.tags(logits)[:, 0] == (labelled.label_matrix()[:, 0] > 0)).mean() > 0.95
    assert fit_rule(logits, labelled, base, min_positives=50).refit == []


def test_cross_fitted_rule_never_sees_the_fold_it_tags():
    logits, labelled = _problem()
    folds = assign_folds(labelled, 4, seed=0)
    probs, _tags = cross_fitted_tags(logits, labelled, folds, _base(), 10)
    flipped = LabelledSet(
        [
            Example(e.text, () if (folds[i] == 0 and e.sdgs) else e.sdgs, e.source)
            for i, e in enumerate(labelled.examples)
        ]
    )
    probs_flipped, _ = cross_fitted_tags(logits, flipped, folds, _base(), 10)
    inside = folds == 0
    # Fold 0's labels changed: its own probabilities do not move, every other fold's do.
    assert np.allclose(probs[inside], probs_flipped[inside])
    assert not np.allclose(probs[~inside][:, 0], probs_flipped[~inside][:, 0])


def test_a_fold_of_replay_texts_only_is_tagged_by_the_rule_fitted_on_every_user_text():
    logits, labelled = _problem()
    folds = assign_folds(labelled, 2, seed=0)  # the user's texts fill folds 0 and 1 only
    rules = cross_fitted_rules(logits, labelled, folds, _base(), 10, range(3))
    assert sorted(rules) == [0, 1, 2]
    everything = fit_rule(logits, labelled, _base(), 10)
    assert rules[2].slopes == everything.slopes and rules[2].points == everything.points


def test_folds_are_balanced_and_keep_groups_together():
    examples = [Example(f"t{i}", (1,), "u", group=f"g{i // 2}") for i in range(20)]
    folds = assign_folds(LabelledSet(examples), 5, seed=1)
    assert sorted(np.bincount(folds).tolist()) == [4, 4, 4, 4, 4]
    assert all(folds[i] == folds[i + 1] for i in range(0, 20, 2))


@pytest.fixture
def base_with_recipe(tmp_path, tiny_model_dir, toy_data_file):
    """The tiny model with a recipe naming two file sources (the toy data and a second file)."""
    folder = tmp_path / "base"
    shutil.copytree(tiny_model_dir, folder)
    other = tmp_path / "other.jsonl"
    rows = make_texts(30, seed=5)
    rows[0]["split"] = "test"  # never replayed
    other.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    recipe = TrainingConfig(sources=[str(toy_data_file), str(other)])
    (folder / "training_config.yaml").write_text(recipe.to_yaml())
    return folder


def test_replay_draws_equal_shares_of_the_base_recipe_and_never_user_or_test_texts(
    base_with_recipe, toy_data_file
):
    user = load_source(str(toy_data_file))
    user = LabelledSet(user.examples[:40])
    config = TrainingConfig(sources=["mine"], init_model=str(base_with_recipe), replay_examples=20)
    messages: list[str] = []
    replay = replay_sample(config, base_with_recipe, user, log=messages.append)
    assert len(replay) == 20
    assert sorted(replay.source_counts().values()) == [10, 10]
    assert not set(replay.texts()) & set(user.texts())
    assert all(e.split == "train" for e in replay.examples)
    assert make_texts(30, seed=5)[0]["text"] not in replay.texts()
    assert any("replay: 20 texts" in m for m in messages)


def test_replay_says_so_when_the_base_model_records_no_recipe(tiny_model_dir, toy_data_file):
    config = TrainingConfig(sources=["mine"], init_model=str(tiny_model_dir))
    messages: list[str] = []
    replay = replay_sample(config, tiny_model_dir, LabelledSet(), log=messages.append)
    assert len(replay) == 0
    assert any("does not record its training data" in m for m in messages)
    config.replay_sources = [str(toy_data_file)]  # named explicitly: used
    assert len(replay_sample(config, tiny_model_dir, LabelledSet(), log=messages.append)) == 160


def test_anchor_keeps_the_weights_near_the_base(tiny_model_dir, toy_data_file):
    labelled = load_source(str(toy_data_file))
    distances = {}
    for weight in (0.0, 100.0):
        torch.manual_seed(0)
        model = SDGClassifier.from_pretrained(tiny_model_dir)
        first = model.network.num_layers - 1
        trainable_parameters(model.network, first)
        anchor = snapshot(model.network)
        frozen = FrozenStates.for_model(model, first)
        config = TrainingConfig(learning_rate=5e-2, encoder_learning_rate=1e-2, batch_size=16)
        run = FitRun(
            model,
            frozen.cache(model, labelled.texts()),
            labelled,
            config,
            first,
            anchor=anchor,
            anchor_weight=weight,
        )
        rng = __import__("random").Random(0)
        for _ in range(3):
            run.epoch(rng, progress=False, desc="")
        now = snapshot(model.network)
        distances[weight] = sum(float(((now[n] - anchor[n]) ** 2).sum()) for n in anchor)
    assert distances[100.0] < distances[0.0] / 5


def test_frozen_states_refuse_another_model(tiny_model_dir):
    model = SDGClassifier.from_pretrained(tiny_model_dir)
    frozen = FrozenStates.for_model(model, 1)
    frozen.check(model, 1)  # the same frozen layers: served
    with pytest.raises(ValueError, match="another model"):
        frozen.check(model, 0)
    with torch.no_grad():  # a frozen layer changed: refused
        for param in model.network.encoder.encoder.layer[0].parameters():
            param.add_(0.1)
    with pytest.raises(ValueError, match="another model"):
        frozen.check(model, 1)


@pytest.mark.parametrize("first", [1, 2])  # token states (bfloat16) or pooled vectors only
def test_frozen_states_round_trip_through_a_file(tiny_model_dir, tmp_path, first):
    model = SDGClassifier.from_pretrained(tiny_model_dir)
    texts = [row["text"] for row in make_texts(6, seed=3)]
    frozen = FrozenStates.for_model(model, first)
    expected = frozen.logits(model, texts)
    frozen.save(tmp_path / "states.safetensors")
    again = FrozenStates.for_model(model, first)
    assert again.load(tmp_path / "states.safetensors") == len(texts)
    np.testing.assert_allclose(again.logits(model, texts), expected, rtol=1e-6)
    other = FrozenStates.for_model(model, 0)  # other frozen layers: the file adds nothing
    assert other.load(tmp_path / "states.safetensors") == 0 and len(other) == 0


def test_small_data_adaptation_keeps_the_base_rule_and_measures_out_of_fold(
    base_with_recipe, tmp_path
):
    rows = make_texts(40, seed=11)
    rows[-1]["split"] = "test"
    path = tmp_path / "ours.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    config = TrainingConfig(
        sources=[str(path)],
        init_model=str(base_with_recipe),
        replay_examples=16,
        refit_min_positives=100,  # nothing can be refitted on 39 texts
        epochs=2,
        batch_size=16,
        cv_folds=3,
    )
    messages: list[str] = []
    result = train(load_source(str(path)), config, progress=False, log=messages.append)
    base = SDGClassifier.from_pretrained(base_with_recipe)
    model = result.classifier
    assert model.config.thresholds == base.config.thresholds
    assert model.config.calibration_slope == base.config.calibration_slope
    assert result.sizes == {"train": 39, "validation": 39, "test": 1, "replay": 16}
    adaptation = result.metrics["adaptation"]
    assert adaptation["folds"] == 3 and adaptation["refit_sdgs"] == []
    assert [h["epoch"] for h in result.metrics["history"]][0] == 0  # the base is a candidate
    assert result.metrics["validation"]["samples"] == 39  # out of fold
    assert adaptation["out_of_fold"]["base"]["samples"] == 39
    learned = 39 + 16 if adaptation["epochs_chosen"] else 0  # kept weights learned nothing
    assert len(result.trained_texts) == learned and rows[-1]["text"] not in result.trained_texts
    assert result.metrics["test"]["samples"] == 1
    assert model.error_rates is not None
    if adaptation["epochs_chosen"]:  # new weights: the refitted SDGs counted out of fold
        assert model.error_rates["adaptation_texts"] == 39
        assert model.error_rates["adapted_sdgs"] == adaptation["refit_sdgs"] == []
        assert model.error_rates["texts"] == base.error_rates["texts"]  # the others: the base's
    else:  # the base kept keeps the error rates measured on its own validation texts
        assert model.error_rates == base.error_rates
    assert any("3-fold cross-validation" in m for m in messages)
    # The replay texts were held out in turn too: the chosen model forgets at most the tolerance.
    replay = adaptation["replay_out_of_fold"]
    assert replay["new"]["samples"] == 16
    assert replay["new"]["macro"]["f1"] >= replay["base"]["macro"]["f1"] - 0.01 - 1e-9
    if adaptation["epochs_chosen"] == 0:  # then the weights are the base model's exactly
        assert model.weights_hash() == base.weights_hash()


def test_adaptation_refuses_epochs_that_forget_the_base_models_data(base_with_recipe, tmp_path):
    rows = make_texts(60, seed=12)
    for row in rows:  # labels that contradict the base model's data
        row["sdgs"] = [{7: 14, 14: 7, 6: 4, 4: 6, 3: 13, 13: 3}[s] for s in row["sdgs"]]
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    config = TrainingConfig(
        sources=[str(path)],
        init_model=str(base_with_recipe),
        replay_examples=40,
        replay_tolerance=0.0,
        adapt_learning_rate=0.05,
        epochs=3,
        patience=3,
        batch_size=16,
        cv_folds=3,
    )
    messages: list[str] = []
    result = train(load_source(str(path)), config, progress=False, log=messages.append)
    history = result.metrics["history"]
    base_replay = history[0]["replay_oof_macro_f1"]
    trained = history[2:]  # epochs 1..3 (0: the base as it is, 1: its thresholds refitted)
    assert any(h["replay_oof_macro_f1"] < base_replay for h in trained)  # it does forget ...
    chosen = history[result.metrics["adaptation"]["chosen"]]
    assert chosen["replay_oof_macro_f1"] >= base_replay - 1e-9  # ... and keeps no epoch that does
    assert any("loses too much on the replayed texts" in m for m in messages)


def test_large_data_or_no_init_model_keeps_the_old_protocol(toy_data_file, tiny_model_dir):
    config = TrainingConfig(init_model=str(tiny_model_dir), small_data_limit=100, epochs=1)
    result = train(load_source(str(toy_data_file)), config, progress=False, log=lambda m: None)
    assert "adaptation" not in result.metrics and result.sizes["validation"] > 0


def test_paired_bootstrap_gain_is_macro_f1_and_doubts_small_samples():
    from sdg_align.evaluation import multilabel_metrics, paired_macro_f1_gain

    rng = np.random.default_rng(3)
    truth = rng.random((300, 17)) < 0.15
    base = truth ^ (rng.random(truth.shape) < 0.12)  # a noisy tagger
    better = truth ^ (rng.random(truth.shape) < 0.04)  # a much less noisy one
    mask = rng.random(truth.shape) < 0.9
    result = paired_macro_f1_gain(truth, better, base, mask, seed=0)
    expected = (
        multilabel_metrics(truth, better, mask)["macro"]["f1"]
        - multilabel_metrics(truth, base, mask)["macro"]["f1"]
    )
    assert result["gain"] == pytest.approx(expected)
    assert result["confidence"] > 0.99
    assert paired_macro_f1_gain(truth, base, better, mask)["confidence"] < 0.01
    assert paired_macro_f1_gain(truth, base, base, mask) == {
        "gain": 0.0,
        "confidence": 0.5,
        "low": 0.0,
        "high": 0.0,
    }
    # One more right tag among 30 texts is a real but unconvincing gain.
    small, small_base = truth[:30], base[:30].copy()
    row, goal = np.argwhere(small & ~small_base)[0]
    one_better = small_base.copy()
    one_better[row, goal] = True
    small_result = paired_macro_f1_gain(small, one_better, small_base)
    assert small_result["gain"] > 0 and 0.5 < small_result["confidence"] < 0.9


def test_adaptation_keeps_the_base_model_unless_a_gain_is_convincing(
    base_with_recipe, tmp_path, monkeypatch
):
    import sdg_align.adaptation.protocol as protocol

    rows = make_texts(45, seed=13)
    for row in rows:  # six goals swapped: training gains a lot, beyond doubt
        row["sdgs"] = sorted(
            {7: 14, 14: 7, 6: 4, 4: 6, 3: 13, 13: 3}.get(s, s) for s in row["sdgs"]
        )
    path = tmp_path / "ours.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")

    def adapt_with(level: float) -> tuple[dict, list[str]]:
        config = TrainingConfig(
            sources=[str(path)],
            init_model=str(base_with_recipe),
            replay_examples=0,
            adapt_learning_rate=0.05,
            adapt_min_confidence=level,
            epochs=2,
            patience=2,
            batch_size=16,
            cv_folds=3,
        )
        messages: list[str] = []
        result = train(load_source(str(path)), config, progress=False, log=messages.append)
        return result.metrics, messages

    measured, _ = adapt_with(0.9)
    history = measured["history"]
    assert all({"gain_vs_base", "confidence"} <= set(h) for h in history)
    chosen = measured["adaptation"]["chosen"]
    convincing = [h["oof_macro_f1"] for h in history if h["confidence"] >= 0.9]
    if chosen:
        assert history[chosen]["confidence"] >= 0.9
        assert history[chosen]["oof_macro_f1"] == max(convincing)
    else:
        assert not convincing or max(convincing) <= history[0]["oof_macro_f1"] + 1e-4

    # The same training with the bootstrap certain, then doubtful, of every gain.
    def judged(confidence: float) -> Any:
        return lambda *args, **kwargs: {"gain": 0.1, "confidence": confidence}

    monkeypatch.setattr(protocol, "paired_macro_f1_gain", judged(1.0))
    certain, _ = adapt_with(0.9)
    best = max(h["oof_macro_f1"] for h in certain["history"])
    assert certain["history"][certain["adaptation"]["chosen"]]["oof_macro_f1"] == best
    assert best > certain["history"][0]["oof_macro_f1"]  # swapped goals: training gains
    assert certain["adaptation"]["chosen"] > 0
    monkeypatch.setattr(protocol, "paired_macro_f1_gain", judged(0.8))
    doubted, messages = adapt_with(0.9)
    assert doubted["adaptation"]["chosen"] == 0 and doubted["adaptation"]["epochs_chosen"] == 0
    assert any("is not sure at the confidence of 0.9" in m for m in messages)
    assert any("nothing beat the base model convincingly" in m for m in messages)
    taking_any, _ = adapt_with(0.0)  # 0: any gain, however small, as before the gate
    assert taking_any["adaptation"]["chosen"] > 0


def test_a_model_that_kept_its_base_knows_what_the_base_knew_and_nothing_more(
    base_with_recipe, toy_data_file, tmp_path, monkeypatch
):
    """evaluate warned that a user's texts were training data of a model they did not change."""
    from click.testing import CliRunner

    import sdg_align.adaptation.protocol as protocol
    from sdg_align.cli import main
    from sdg_align.trained_texts import TrainedTexts

    TrainedTexts.of(load_source(str(toy_data_file)).texts()).write(base_with_recipe)
    ours = tmp_path / "ours.jsonl"
    ours.write_text("\n".join(json.dumps(r) for r in make_texts(40, seed=21)) + "\n")
    monkeypatch.setattr(  # no epoch convinces: the new model is the base model
        protocol, "paired_macro_f1_gain", lambda *a, **k: {"gain": 0.1, "confidence": 0.0}
    )
    out = tmp_path / "kept"
    trained = CliRunner().invoke(
        main,
        ["train", "-d", str(ours), "--init-model", str(base_with_recipe), "-o", str(out),
         "--epochs", "1", "--cv-folds", "3", "--replay-examples", "0", "-q"],
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert json.loads((out / "metrics.json").read_text())["adaptation"]["epochs_chosen"] == 0
    card = (out / "README.md").read_text()  # it said 'chosen on validation data' of refits too
    assert "adapted to a user's texts: every SDG keeps the base model's calibration" in card
    # its error rates stay the base model's (they were remeasured on the user's 40 texts)
    rates = "error_rates.json"
    assert (base_with_recipe / rates).is_file()
    assert (out / rates).read_text() == (base_with_recipe / rates).read_text()

    on_ours = CliRunner().invoke(main, ["evaluate", str(out), str(ours), "--json"])
    assert on_ours.exit_code == 0, on_ours.output
    assert json.loads(on_ours.stdout)[str(ours)]["seen_in_training"]["trained_on"] == 0
    assert "training data" not in on_ours.stderr
    on_base_texts = CliRunner().invoke(main, ["evaluate", str(out), str(toy_data_file)])
    assert "160 of its 160 texts were in the model's training data" in on_base_texts.stderr


def test_the_refit_sentence_says_none_some_or_every_sdg():
    """The card said 'refitted for SDG none', and 'kept for the others' when all 17 were refitted."""
    from sdg_align.adaptation import refit_sentence

    assert refit_sentence([]).endswith("kept from the base model for every SDG.")
    assert refit_sentence([3, 7]).startswith(
        "Calibration and thresholds were refitted for SDG 3, 7"
    )
    assert refit_sentence(list(range(1, 18))) == (
        "Calibration and thresholds were refitted for every SDG."
    )


def test_min_confidence_must_be_a_share():
    with pytest.raises(ValueError, match="adapt_min_confidence"):
        TrainingConfig(adapt_min_confidence=1.0)


def test_an_adapted_model_counts_on_the_users_texts_only_the_sdgs_it_refitted():
    """All 17 SDGs' error rates were counted on 70 texts that review had picked as hard cases: a
    trial's corrected prevalence got worse than the raw shares (SDG 14 and 15: 0-100%)."""
    from sdg_align.decisions import adapted_error_rates
    from sdg_align.profile.error_rates import ErrorRates
    from sdg_align.report.format import correction_sentence

    def block(value, means=0.5):
        counts = {key: [value] * 17 for key in ("positives", "negatives", "true_positives",
                                                 "false_positives")}  # fmt: skip
        return counts | {"mean_probability_positives": [means] * 17,
                         "mean_probability_negatives": [means] * 17}  # fmt: skip

    base = {"version": 1, "texts": 900, "operating_points": {"balanced": block(40)}}
    base["operating_points"]["balanced"]["by_source"] = {"a": block(20), "b": block(20)}
    measured = {"version": 1, "texts": 70, "operating_points": {"balanced": block(3, 0.9)}}
    merged = adapted_error_rates(base, measured, [3, 9])
    point = merged["operating_points"]["balanced"]
    assert point["positives"][2] == point["positives"][8] == 3  # SDGs 3 and 9: the user's
    assert point["positives"][0] == point["positives"][16] == 40  # the others: the base's
    assert point["by_source"]["a"]["positives"][2] == 0  # no spread claimed for SDG 3
    assert base["operating_points"]["balanced"]["positives"][2] == 40  # the base is untouched
    assert (merged["texts"], merged["adapted_sdgs"], merged["adaptation_texts"]) == (
        900,
        [3, 9],
        70,
    )
    rates = ErrorRates.from_dict(merged)
    assert rates.adapted_sdgs == (3, 9) and rates.adaptation_texts == 70
    sentence = correction_sentence({"prevalence": rates.to_settings()})
    assert (
        "900 validation texts (for SDG 3, SDG 9: out of fold on the 70 texts the model" in sentence
    )
