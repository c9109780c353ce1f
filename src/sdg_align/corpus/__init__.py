"""The project's own labelled corpus: its records, its checker, its statistics and how to add to it.

- :mod:`.records`: reading the corpus and its split lock; the schema's vocabularies
- :mod:`.check`: every rule the corpus and the annotation files must satisfy (``scripts/check_corpus.py``)
- :mod:`.stats`: the statistics tables of ``training_data/README.md`` (``scripts/corpus_stats.py``)
- :mod:`.add`: adding new records with stratified, scenario-grouped splits (``scripts/add_to_corpus.py``)
"""

from .check import check_annotations, check_corpus
from .records import CONTRAST, CONTRAST_TRAIN, CORPUS, LOCK, PARALLEL, read_lock, read_records
from .stats import stats_markdown

__all__ = [
    "CONTRAST",
    "CONTRAST_TRAIN",
    "CORPUS",
    "LOCK",
    "PARALLEL",
    "check_annotations",
    "check_corpus",
    "read_lock",
    "read_records",
    "stats_markdown",
]
