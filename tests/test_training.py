"""The training protocol: thresholds, operating points, calibration, loss, early stopping, recipe."""

from __future__ import annotations

import itertools
import json
import random

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from sdg_align.cli import main
from sdg_align.data import Example, LabelledSet, load_source
from sdg_align.decisions import (
    MIN_SOURCE_ROWS,
    choose_thresholds,
    fit_calibration,
    source_weights,
)
from sdg_align.errors import DataError
from sdg_align.pooling import pool_numpy, pool_texts, pool_torch
from sdg_align.training import (
    TrainingConfig,
    assemble_training_data,
    masked_loss,
    positive_weights,
    train,
)


def _one_sdg(probs, truth, certain=None, sources=None):
    """Helper: a (n, 17) problem where only SDG 1 varies."""
    n = len(probs)
    p = np.zeros((n, 17))
    p[:, 0] = probs
    y = np.zeros((n, 17))
    y[:, 0] = truth
    c = np.ones((n, 17)) if certain is None else certain
    return choose_thresholds(p, y, c, sources)


def test_balanced_threshold_maximises_f1_and_the_others_reach_their_targets():
    # positives score 0.6-0.9, negatives 0.1-0.7: the overlap decides the balanced threshold
    probs = np.array([0.9, 0.8, 0.7, 0.6, 0.65, 0.5, 0.3, 0.2, 0.1, 0.7])
    truth = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    points = _one_sdg(probs, truth)
    balanced, precise, broad = (points[k][0] for k in ("balanced", "precise", "broad"))
    assert 0.51 <= balanced <= 0.60  # all four positives in, two negatives (0.65, 0.7) too
    assert precise > 0.70  # above both negatives: precision 1.0
    assert broad <= balanced
    assert points["balanced"][5] == 0.5  # an SDG without positives keeps 0.5


def test_implied_negatives_do_not_move_thresholds():
    probs = np.array([0.9, 0.8, 0.5, 0.55, 0.6, 0.65, 0.1])
    truth = np.array([1, 1, 0, 0, 0, 0, 0])
    certain = np.ones((7, 17))
    certain[2:6, 0] = 0  # rows 2-5 are implied negatives: a guess, not a label
    with_guesses = _one_sdg(probs, truth)["balanced"][0]
    certain_only = _one_sdg(probs, truth, certain)["balanced"][0]
    assert with_guesses > 0.65 and certain_only < 0.5


def test_every_source_weighs_the_same_when_choosing_thresholds():
    # a big source with few, low-scoring positives; a small one where 0.4 is a false alarm
    big = ([0.3] * 20 + [0.1] * 220, [1] * 20 + [0] * 220)
    small = ([0.6] * 15 + [0.4] * 15, [1] * 15 + [0] * 15)
    probs = np.array(big[0] + small[0])
    truth = np.array(big[1] + small[1])
    sources = ["big"] * 240 + ["small"] * 30
    pooled = _one_sdg(probs, truth)["balanced"][0]
    balanced = _one_sdg(probs, truth, sources=sources)["balanced"][0]
    assert pooled <= 0.3  # raw counts: the big source's 20 positives outvote 15 false alarms
    assert 0.4 < balanced <= 0.6  # each source weighs the same: the false alarms matter
    weights = source_weights(sources)
    assert weights[:240].sum() == pytest.approx(weights[240:].sum())


def test_a_source_with_a_handful_of_rows_weighs_in_proportion_to_its_size():
    sources = ["big"] * 300 + ["tiny"] * 3 + ["enough"] * MIN_SOURCE_ROWS
    weights = source_weights(sources)
    big, tiny, enough = weights[:300].sum(), weights[300:303].sum(), weights[303:].sum()
    assert enough == pytest.approx(big)  # a source with enough rows weighs like any other
    assert tiny == pytest.approx(big * 3 / MIN_SOURCE_ROWS)  # three texts cannot outvote hundreds
    assert weights.sum() == pytest.approx(len(sources))


def test_validation_figures_weigh_each_source_the_same_beside_the_pooled_figures():
    from sdg_align.evaluation import validation_figures

    class Fixed:  # a model with threshold 0.5 for every SDG
        def cut(self, tags="balanced", threshold=None):
            return np.full(17, 0.5)

    # SDG 1 only: 'big' (60 texts) is tagged right, 'small' (30) always wrong
    examples = [Example(f"b{i}", (1,) if i % 2 else (), "big") for i in range(60)]
    examples += [Example(f"s{i}", (1,) if i % 2 else (), "small") for i in range(30)]
    probs = np.zeros((90, 17))
    probs[:60, 0] = [0.9 if i % 2 else 0.1 for i in range(60)]
    probs[60:, 0] = [0.1 if i % 2 else 0.9 for i in range(30)]
    figures = validation_figures(Fixed(), LabelledSet(examples), probs)
    assert figures["by_source"]["big"] == {
        "samples": 60,
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
    }
    assert figures["by_source"]["small"]["f1"] == 0.0
    assert figures["f1_sources_weighed_equally"] < figures["all"]["f1"]  # 'big' outvotes 'small'


def test_calibration_fits_a_monotone_scaling_and_keeps_identity_when_unsure():
    rng = np.random.default_rng(0)
    truth = rng.random(400) < 0.3
    logits = np.where(truth, 2.0, -2.0) + rng.normal(0, 1.5, 400)
    y = np.zeros((400, 17))
    y[:, 0] = truth
    x = np.zeros((400, 17))
    x[:, 0] = logits
    slopes, intercepts = fit_calibration(x, y, np.ones((400, 17)))
    assert slopes[0] > 0 and intercepts[0] < 0  # 30% prevalence pulls the intercept down
    assert (slopes[1], intercepts[1]) == (1.0, 0.0)  # no positives: identity


def test_masked_loss_ignores_unknown_labels_and_scales_by_weight():
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none")
    logits = torch.zeros(2, 17)
    labels = torch.zeros(2, 17)
    mask = torch.ones(2, 17)
    base = masked_loss(loss_fn, logits, labels, mask, torch.ones(2))
    assert base.item() == pytest.approx(np.log(2), rel=1e-5)
    wild = logits.clone()
    wild[0, 3] = 50.0  # a confident mistake on a label that is unknown ...
    unknown = mask.clone()
    unknown[0, 3] = 0.0
    assert masked_loss(loss_fn, wild, labels, unknown, torch.ones(2)).item() < base.item() * 1.01
    # ... costs nothing; the same mistake on a known label costs a lot
    assert masked_loss(loss_fn, wild, labels, mask, torch.ones(2)).item() > base.item() * 2
    halved = masked_loss(loss_fn, logits, labels, mask, torch.tensor([0.5, 0.5]))
    assert halved.item() == pytest.approx(base.item() / 2, rel=1e-5)


def test_positive_weights_favour_rare_goals_within_the_cap():
    labels = torch.zeros(100, 17)
    labels[:50, 0] = 1  # common
    labels[:1, 1] = 1  # rare
    weights = positive_weights(labels, torch.ones(100, 17), cap=8.0)
    assert weights[0] == pytest.approx(1.0)
    assert weights[1] == pytest.approx(8.0)  # sqrt(99) capped
    assert weights[2] == pytest.approx(8.0)  # no positives at all: the cap


def test_poolings_agree_between_numpy_and_torch_and_keep_a_one_window_topic():
    windows = np.array([[3.0, -4.0], [-4.0, -4.0], [-4.0, -4.0], [-4.0, -4.0]])
    for method in ("mean", "max", "mean-max", "noisy-or"):
        expected = pool_numpy(windows, method)
        assert np.allclose(pool_torch(torch.tensor(windows), method).numpy(), expected, atol=1e-5)
    assert pool_numpy(windows, "mean")[0] < 0  # a topic in one window of four is diluted away
    assert pool_numpy(windows, "noisy-or")[0] > 2.9 and pool_numpy(windows, "max")[0] == 3.0
    pooled = pool_texts(np.vstack([windows, windows[:1]]), [4, 1], "max")
    assert pooled.shape == (2, 2) and pooled[1, 0] == 3.0


def test_training_fits_its_decisions_on_the_logits_inference_computes(
    tiny_encoder_dir, toy_data_file
):
    labelled = load_source(str(toy_data_file))
    long_text = " ".join(["solar wind battery grid energy"] * 12)  # several 32-token windows
    labelled.examples += [Example(long_text, (7,), "toy", split="dev")] * 2
    config = TrainingConfig(
        sources=[str(toy_data_file)],
        base_encoder=str(tiny_encoder_dir),
        epochs=2,
        batch_size=16,
        max_length=32,
        trainable_layers=1,
        pooling="noisy-or",
        validation_fraction=0.2,
        test_fraction=0.1,
    )
    result = train(labelled, config, progress=False, log=lambda m: None)
    model = result.classifier
    assert model.config.pooling == "noisy-or"
    assert set(model.config.operating_points) == {"balanced", "precise", "broad"}
    assert model.config.thresholds == model.config.operating_points["balanced"]
    # The validation figures were computed from the same pooled, calibrated probabilities that
    # predict_proba gives now (all windows, the model's pooling, float16-rounded layers).
    from sdg_align.data import split_holdout

    _train, dev, _test = split_holdout(labelled, validation_fraction=0.2, test_fraction=0.1, seed=0)
    from sdg_align.evaluation import metrics_from_probs

    probs = model.predict_proba(dev.texts())
    # Training computes them from cached frozen-layer states, inference runs the whole network:
    # the same arithmetic in another order, so a probability that sits at a threshold may fall on
    # the other side (seen under CPU load: macro-F1 0.436 against 0.434, 0.447 against 0.459,
    # 0.504 against 0.495).
    # Such near ties may go either way; any other difference fails.
    recorded = result.metrics["validation"]["macro"]["f1"]
    cut = np.broadcast_to(model.cut("balanced", None), probs.shape)
    distance = np.abs(probs - cut)
    near = np.argwhere(distance < 0.02)  # the two orders of summation differ by up to ~0.01
    ties = near[np.argsort(distance[tuple(near.T)], kind="stable")][:12]
    reachable = []
    for flips in itertools.product((-1.0, 1.0), repeat=len(ties)):
        nudged = probs.copy()
        for (row, column), sign in zip(ties, flips, strict=True):
            nudged[row, column] = cut[row, column] + sign * 0.01
        reachable.append(metrics_from_probs(model, dev, nudged)["macro"]["f1"])
    assert min(abs(recorded - f1) for f1 in reachable) < 1e-9, (recorded, reachable[:4])
    assert model.predict(long_text).windows > 1


def test_early_stopping_stops_after_patience(tiny_encoder_dir, toy_data_file):
    config = TrainingConfig(
        base_encoder=str(tiny_encoder_dir),
        epochs=10,
        batch_size=16,
        max_length=32,
        trainable_layers=1,
        learning_rate=1e-9,  # nothing is learned, so validation never improves
        encoder_learning_rate=1e-9,
        patience=2,
    )
    messages: list[str] = []
    result = train(load_source(str(toy_data_file)), config, progress=False, log=messages.append)
    assert len(result.metrics["history"]) == 3  # the first epoch, then two without gain
    assert any("early stop" in m for m in messages)
    # 160 texts are too few for a new model: the log points to adapting a trained one
    assert any("warning" in m and "--init-model default" in m for m in messages)


def test_too_few_texts_for_a_new_model_say_how_to_adapt_one(tiny_encoder_dir, toy_data_file):
    config = TrainingConfig(base_encoder=str(tiny_encoder_dir), max_length=32)
    twelve = LabelledSet(load_source(str(toy_data_file)).examples[:12])
    with pytest.raises(DataError, match="validation set of 12 examples is empty.*--init-model"):
        train(twelve, config, progress=False, log=lambda _m: None)


def test_recipe_files_round_trip_and_typos_are_refused(tmp_path):
    config = TrainingConfig(sources=["corpus", "aurora"], source_weights={"aurora": 0.5}, epochs=3)
    yaml_file = tmp_path / "recipe.yaml"
    yaml_file.write_text(config.to_yaml())
    assert TrainingConfig.from_file(yaml_file) == config
    toml_file = tmp_path / "recipe.toml"
    toml_file.write_text('sources = ["corpus"]\nepochs = 3\n[source_weights]\ncorpus = 2.0\n')
    assert TrainingConfig.from_file(toml_file).source_weights == {"corpus": 2.0}
    bad = tmp_path / "bad.toml"
    bad.write_text('sources = ["corpus"]\nepoch = 3\n')
    with pytest.raises(DataError, match="unknown training setting"):
        TrainingConfig.from_file(bad)


def test_train_drops_evaluation_texts_by_content(toy_data_file, monkeypatch):
    import sdg_align.training.assemble as assemble
    from sdg_align.data import content_keys

    first = json.loads(toy_data_file.read_text().splitlines()[0])["text"]
    monkeypatch.setattr(
        assemble, "evaluation_keys", lambda: (set(content_keys(first.upper() + "!")), [])
    )
    messages: list[str] = []
    config = TrainingConfig(sources=[str(toy_data_file)])
    labelled = assemble_training_data(config, log=messages.append)
    assert first not in labelled.texts() and len(labelled) == 159
    assert any("1 texts also in evaluation-only sets dropped" in m for m in messages)


def test_cli_train_from_a_recipe_stores_it_and_its_operating_points(
    tiny_encoder_dir, toy_data_file, tmp_path
):
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(
        f'sources = ["{toy_data_file}"]\nbase_encoder = "{tiny_encoder_dir}"\n'
        "epochs = 2\nbatch_size = 16\nmax_length = 32\ntrainable_layers = 1\n"
    )
    out = tmp_path / "model"
    result = CliRunner().invoke(main, ["train", "--config", str(recipe), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    stored = TrainingConfig.from_file(out / "training_config.yaml")
    assert stored.sources == [str(toy_data_file)] and stored.epochs == 2
    config = json.loads((out / "config.json").read_text())
    assert set(config["operating_points"]) == {"balanced", "precise", "broad"}
    again = CliRunner().invoke(
        main,
        ["train", "--config", str(out / "training_config.yaml"), "-o", str(tmp_path / "m2"), "-q"],
    )
    assert again.exit_code == 0, again.output
    config2 = json.loads((tmp_path / "m2" / "config.json").read_text())
    assert config2["thresholds"] == config["thresholds"]  # the recipe reproduces the model


# ----------------------------------------------------------------------- honest reports
def test_comparison_warns_when_too_few_texts_when_worse_and_when_the_base_saw_them():
    from sdg_align.evaluation import base_comparison, multilabel_metrics

    truth = np.zeros((40, 17))
    truth[:20, 6] = 1
    good = multilabel_metrics(truth, truth > 0)
    bad = multilabel_metrics(truth, np.zeros_like(truth, dtype=bool))
    fine = base_comparison(good, bad, kind="held-out test split", base_model="b")
    assert fine["warnings"] == [] and fine["macro_f1_change"] == pytest.approx(1.0)
    worse = base_comparison(bad, good, kind="held-out test split", base_model="b", base_seen=3)
    assert any("WORSE than the base model" in w for w in worse["warnings"])
    assert any(
        "3 of these texts were in the base model's training data" in w for w in worse["warnings"]
    )
    few = base_comparison(
        multilabel_metrics(truth[:12], truth[:12] > 0),
        multilabel_metrics(truth[:12], truth[:12] > 0),
        kind="out of fold",
        base_model="b",
    )
    assert len(few["warnings"]) == 1 and "only 12 held-out texts" in few["warnings"][0]
    assert "too few to trust" in few["warnings"][0]
    # a loss adaptation allows by design (its replay tolerance) is said as such, not as WORSE
    slightly = good | {"macro": {**good["macro"], "f1": good["macro"]["f1"] - 0.005}}
    allowed = base_comparison(slightly, good, kind="replayed", base_model="b", tolerance=0.01)
    assert allowed["warnings"] == [
        "the new model loses 0.005 macro-F1 on these 40 texts (replayed): 0.995 vs 1.000, within "
        "the 0.01 that adapting may cost (--replay-tolerance)"
    ]


def test_train_says_when_the_new_model_is_worse_than_its_base(tiny_model_dir, tmp_path):
    from .conftest import make_texts

    rows = make_texts(120, seed=4)
    shuffled = [r["sdgs"] for r in rows[:80]]
    random.Random(0).shuffle(shuffled)
    for row, sdgs in zip(rows[:80], shuffled, strict=True):
        row["sdgs"] = [s for s in (7, 6, 14, 4, 3, 13) if s not in sdgs][: len(sdgs)]
    for row in rows[80:]:
        row["split"] = "test"  # true labels, held out
    data = tmp_path / "wrong.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = CliRunner().invoke(
        main,
        ["train", "-d", str(data), "--init-model", str(tiny_model_dir), "-o", str(tmp_path / "m"),
         "--small-data-limit", "0", "--epochs", "3", "--learning-rate", "0.05",
         "--test-fraction", "0", "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "held-out test split (40 texts): new model against the base model" in result.stdout
    assert "the new model is WORSE than the base model on these 40 texts" in result.stderr
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["comparison"][0]["macro_f1_change"] < 0


def test_a_trained_model_folder_has_the_default_models_files_and_knows_its_texts(
    tiny_encoder_dir, toy_data_file, tmp_path
):
    import re

    from sdg_align.modeling import default_model_path
    from sdg_align.trained_texts import TrainedTexts

    out = tmp_path / "model"
    result = CliRunner().invoke(
        main,
        ["train", "-d", str(toy_data_file), "-o", str(out), "--base-encoder", str(tiny_encoder_dir),
         "--epochs", "1", "--max-length", "32", "--trainable-layers", "1", "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = {p.name for p in out.iterdir()}
    assert {p.name for p in default_model_path().iterdir()} <= written
    assert {"error_rates.json", "training_config.yaml", "training_texts.json.gz"} <= written
    record = TrainedTexts.read(out)
    sizes = json.loads((out / "metrics.json").read_text())["sizes"]
    assert record is not None and len(record.train) == sizes["train"]
    assert len(record.validation) == sizes["validation"]
    assert (out / "training_texts.json.gz").stat().st_size < 3000  # 144 hashes, compact
    card = (out / "README.md").read_text()
    for target in re.findall(r"\]\(([^)]+)\)", card):  # every link leads somewhere real
        assert not target.startswith("http") and (out / target).exists(), target
    assert "training_config.yaml" in card and "training_texts.json.gz" in card

    evaluated = CliRunner().invoke(main, ["evaluate", str(out), str(toy_data_file), "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    seen = json.loads(evaluated.stdout)[str(toy_data_file)]["seen_in_training"]
    assert seen == {
        "texts": 160,
        "trained_on": sizes["train"],
        "validation": sizes["validation"],
    }
    assert f"{sizes['train']} of its 160 texts were in the model's training data" in (
        evaluated.stderr
    )


def test_train_refuses_a_folder_of_other_files_before_training(
    toy_data_file, tiny_model_dir, tmp_path
):
    """train -o into a folder of the user's own files wrote its README.md over theirs."""
    from sdg_align.training import check_output_folder

    mine = tmp_path / "mydocs"
    mine.mkdir()
    (mine / "README.md").write_text("my own notes")
    result = CliRunner().invoke(
        main, ["train", "-d", str(toy_data_file), "-o", str(mine), "--epochs", "1"]
    )
    assert result.exit_code == 1 and "already holds files that are not an sdg-align model" in (
        result.output
    )
    assert (mine / "README.md").read_text() == "my own notes"
    assert check_output_folder(tiny_model_dir)  # a model folder may be replaced by a new model
    assert not check_output_folder(tmp_path / "new")  # and a new folder is made
    empty = tmp_path / "no-rows.csv"
    empty.write_text("text,sdgs\n")
    args = ["train", "-d", str(empty), "-o", str(tiny_model_dir), "--epochs", "1", "-q"]
    refused = CliRunner().invoke(main, args)  # a warning scrolled away and a model was lost
    assert refused.exit_code == 2 and "holds a model: add --overwrite to replace it" in (
        refused.output
    )
    replaced = CliRunner().invoke(main, [*args, "--overwrite"])
    assert replaced.exit_code == 1  # no rows: nothing was trained over the fixture
    assert f"note: {tiny_model_dir} holds a model; this run replaces it" in replaced.stderr


def test_paths_resolve_from_where_the_user_stands(
    tiny_model_dir, toy_data_file, tmp_path, monkeypatch
):
    import shutil

    from sdg_align.modeling import default_model_path
    from sdg_align.training import resolve_init_model

    assert resolve_init_model("default") == default_model_path()
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(tiny_model_dir, work / "base")
    shutil.copy(toy_data_file, work / "ours.jsonl")
    runner = CliRunner()
    monkeypatch.chdir(work)
    result = runner.invoke(
        main,
        ["train", "-d", "ours.jsonl", "--init-model", "base", "-o", "out", "--epochs", "1",
         "--small-data-limit", "0", "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    missing = runner.invoke(
        main, ["train", "-d", "ours.jsonl", "--init-model", "nowhere", "-o", "x"]
    )
    assert missing.exit_code == 2 and "no model folder at nowhere" in missing.output
    same = runner.invoke(main, ["train", "-d", "ours.jsonl", "--init-model", "base", "-o", "base"])
    assert same.exit_code == 2 and "must differ" in same.output
    stored = TrainingConfig.from_file(work / "out" / "training_config.yaml")
    assert stored.sources == [str(work / "ours.jsonl")]
    assert stored.init_model == str(work / "base")


def test_disputed_source_labels_are_negative_or_unknown_as_the_recipe_says(monkeypatch):
    import sdg_align.training.assemble as assemble
    from sdg_align.data import Annotation, LabelledSet, apply_annotations, text_hash

    text = "A registry project: open-source clinic records for rural health posts."
    registry = Example(text=text, sdgs=(3, 9), source="dpga", source_id="p1")
    ours = Annotation(
        source="dpga", source_id="p1", text_sha256=text_hash(text), sdgs=(3,), primary=3
    )
    annotated = apply_annotations(LabelledSet(examples=[registry]), {"p1": ours})
    assert annotated.examples[0].sdgs == (3,) and annotated.examples[0].disputed == (9,)

    monkeypatch.setattr(assemble, "load_source", lambda name, **kwargs: annotated)
    monkeypatch.setattr(assemble, "check_trainable", lambda labelled: None)
    for choice, certain_on_9 in (("negative", 1.0), ("unknown", 0.0)):
        messages: list[str] = []
        config = TrainingConfig(
            sources=["dpga"], disputed_source_labels=choice, exclude_evaluation_texts=False
        )
        (example,) = assemble_training_data(config, log=messages.append).examples
        mask = example.certain_mask()
        assert mask[8] == certain_on_9 and mask[2] == 1.0 and mask.sum() == 16 + certain_on_9
        assert example.known_mask()[8] == certain_on_9  # no loss at all when unknown
        assert example.label_vector()[2] == 1.0 and example.label_vector()[8] == 0.0
        assert any("1 disputed source labels" in m for m in messages) == (choice == "unknown")
    with pytest.raises(ValueError, match="disputed_source_labels"):
        TrainingConfig(disputed_source_labels="maybe")


def test_the_training_device_is_the_gpu_only_when_there_is_one(monkeypatch, toy_data_file):
    from sdg_align.runtime import torch_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert torch_device("auto") == torch.device("cpu") == torch_device("cpu")
    with pytest.raises(ValueError, match="sees no CUDA GPU"):
        torch_device("cuda")
    with pytest.raises(ValueError, match="device must be one of"):
        TrainingConfig(device="gpu")
    runner = CliRunner()
    for flag, message in (("cuda:0", "sees no CUDA GPU"), ("tpu", "device must be one of")):
        refused = runner.invoke(
            main, ["train", "-d", str(toy_data_file), "-o", "x", "--device", flag]
        )
        assert refused.exit_code == 2 and message in refused.output
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert torch_device("auto") == torch.device("cuda") and torch_device("cuda:1").index == 1


def test_the_metrics_table_names_sdgs_never_predicted():
    """A trial read precise's macro precision (0.759) below balanced's (0.854) although precise
    was more precise on every goal it predicted: two goals it never predicted counted as 0."""
    import numpy as np

    from sdg_align.evaluation import format_metrics_table, multilabel_metrics

    gold = np.zeros((4, 17), dtype=bool)
    gold[:, 8] = True  # SDG 9 in every text
    gold[:2, 6] = True
    predicted = np.zeros_like(gold)
    predicted[:2, 6] = True  # SDG 7 right, SDG 9 never predicted
    table = format_metrics_table(multilabel_metrics(gold, predicted))
    assert "never predicted here" in table and "SDG 9" in table.splitlines()[-1]
