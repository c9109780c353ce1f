"""docs/scale.md's example, run for real on a local Dask cluster (worker processes)."""

from __future__ import annotations

import pandas as pd
import pytest

from sdg_align.modeling import SDGClassifier
from sdg_align.scoring import OUTPUT_COLUMNS, BatchScorer, score_frame

dd = pytest.importorskip("dask.dataframe", reason="dask is not installed (pip install -e '.[dev]')")
distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")


def test_batch_scorer_on_a_local_dask_cluster_matches_local_scoring(tiny_model_dir):
    frame = pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(40)],
            "text": ["solar wind battery", "ocean fish coral", "school training skills", ""] * 10,
        }
    )
    scorer = BatchScorer(str(tiny_model_dir), text_cols=["text"], backend="float32")
    meta = score_frame(frame.head(0), SDGClassifier.from_pretrained(tiny_model_dir))
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        scored = dd.from_pandas(frame, npartitions=4).map_partitions(scorer, meta=meta).compute()
    local = score_frame(frame, SDGClassifier.from_pretrained(tiny_model_dir))
    assert list(scored.columns) == [*frame.columns, *OUTPUT_COLUMNS]
    pd.testing.assert_frame_equal(scored.sort_index(), local, check_dtype=False, atol=1e-3)
