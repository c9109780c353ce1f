"""Labelled SDG data: the types, the table formats, the named sources and how they are combined.

- :mod:`.types`: :class:`Example`, :class:`LabelledSet`, label parsing and text keys
- :mod:`.formats`: the generic labelled table and the OSDG Community Dataset
- :mod:`.sources`: the registry of named sources (``load_source``)
- :mod:`.annotations`: our full labels for external texts, joined by id and text hash
- :mod:`.policy`: the evaluation-only rule
- :mod:`.assembly`: merging duplicates (conflicts become unknown) and held-out splits
"""

from .annotations import Annotation, apply_annotations, read_annotations
from .assembly import MergeReport, deduplicate, merge_duplicates, split_holdout
from .formats import load_generic, load_osdg
from .policy import check_trainable, drop_evaluation_texts, evaluation_keys
from .sources import (
    ANNOTATIONS_DIR,
    CORPUS_FILE,
    DATA_ENV,
    EVALUATION_ONLY,
    EVALUATION_SOURCES,
    PROJECT_ROOT,
    REAL_SOURCES,
    SOURCES,
    TRAINING_SOURCES,
    Source,
    check_reading_options,
    load_corpus,
    load_source,
    shared_data_dir,
)
from .types import (
    Example,
    LabelledSet,
    clean_cell,
    content_keys,
    join_parts,
    normalise_text,
    parse_sdgs,
    text_hash,
    text_key,
)

__all__ = [
    "ANNOTATIONS_DIR",
    "CORPUS_FILE",
    "DATA_ENV",
    "EVALUATION_ONLY",
    "EVALUATION_SOURCES",
    "PROJECT_ROOT",
    "REAL_SOURCES",
    "SOURCES",
    "TRAINING_SOURCES",
    "Annotation",
    "Example",
    "LabelledSet",
    "MergeReport",
    "Source",
    "apply_annotations",
    "check_reading_options",
    "check_trainable",
    "clean_cell",
    "content_keys",
    "deduplicate",
    "drop_evaluation_texts",
    "evaluation_keys",
    "join_parts",
    "load_corpus",
    "load_generic",
    "load_osdg",
    "load_source",
    "merge_duplicates",
    "normalise_text",
    "parse_sdgs",
    "read_annotations",
    "shared_data_dir",
    "split_holdout",
    "text_hash",
    "text_key",
]
