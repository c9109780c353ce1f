"""Adapting a trained model to a cluster's own few labelled projects without making it worse.

A cluster that corrected the tags of 40 projects cannot spare 4 of them for validation and 4 for a
test: thresholds fitted on 4 texts fall back to 0.5, calibration to identity, and the model gets
worse without a word. With fewer than ``small_data_limit`` examples, continuing from a model
(``init_model``) therefore works differently:

- **k-fold cross-validation** over the user's texts: every text is predicted once by a model that
  did not train on it (out of fold). The out-of-fold predictions choose the number of epochs
  (epoch 0, the base model unchanged, is a candidate), decide which SDGs have enough positives to
  refit calibration and thresholds, and measure the result against the base model on the same
  texts. The decision rule is *cross-fitted* for that measure: each fold's tags come from a rule
  fitted on the other folds only.
- **The base decision rule is kept** (calibration and the thresholds of every operating point) for
  each SDG with fewer than ``refit_min_positives`` out-of-fold positives or negatives.
- **A gain must be convincing.** Out-of-fold macro-F1 on 30-300 texts moves by a point or two from
  noise alone, and taking the best of several such figures makes a model worse (measured:
  docs/training.md). A candidate replaces the base model only if it beats it in at least
  ``adapt_min_confidence`` (0.9) of paired bootstrap resamples of the user's texts
  (:func:`sdg_align.evaluation.paired_macro_f1_gain`); otherwise the base model is kept as it is.
- **Replay**: ``replay_examples`` texts of the base model's own training data (the sources of its
  ``training_config.yaml``, equal shares per source) are mixed into the training, so goals the
  user's texts never mention are not forgotten. They take part in the folds like the user's texts:
  held out in turn, they measure what adapting forgets, and a candidate (an epoch count) that
  loses more than ``replay_tolerance`` out-of-fold macro-F1 on them is never chosen. The decision
  rule is fitted on the user's texts only; the replay texts just watch it.
- **Anchoring**: an L2 penalty pulls the trainable weights toward the base model's.
- **A gentle default**: the head and the top encoder layer learn (``adapt_trainable_layers`` 1,
  ``adapt_learning_rate`` 1e-3 for the head; chosen on development data, docs/training.md); when an
  encoder layer changed, saving rebuilds the evidence index. ``adapt_trainable_layers`` 0 keeps the
  encoder, and so the evidence index, the base model's.

The final model trains on all the user's texts (and the replay sample) for the chosen number of
epochs. Rows marked ``split: test`` are held out of everything and reported.
"""

from __future__ import annotations

from .protocol import adapt, refit_sentence
from .replay import replay_sample
from .rules import (
    DecisionRule,
    apply_rule,
    assign_folds,
    base_rule,
    cross_fitted_rules,
    cross_fitted_tags,
    fit_rule,
)

__all__ = [
    "DecisionRule",
    "adapt",
    "apply_rule",
    "assign_folds",
    "base_rule",
    "cross_fitted_rules",
    "cross_fitted_tags",
    "fit_rule",
    "refit_sentence",
    "replay_sample",
]
