"""Named data sources: each declared once, with where its file lives and how it may be used.

``load_source(NAME)`` reads a named source from the shared data folder (``$SDG_ALIGN_DATA``, else
``../shared/data`` beside the checkout) and joins our own annotations to it
(``training_data/annotations/``); anything else is a path in the generic table format or OSDG's.
Sources marked ``eval_only`` are for ``sdg-align evaluate`` alone: ``train`` refuses them and drops
their texts from every training set by content (:mod:`sdg_align.data.policy`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import DataError
from ..tables import detect_format, read_table
from .annotations import apply_annotations, read_annotations
from .formats import load_generic, load_osdg, looks_like_osdg
from .types import Example, LabelledSet, clean_cell, join_parts, parse_or_report, parse_sdgs

DATA_ENV = "SDG_ALIGN_DATA"
PROJECT_ROOT = Path(__file__).resolve().parents[3]
TRAINING_DATA = PROJECT_ROOT / "training_data"
CORPUS_FILE = TRAINING_DATA / "cluster_projects.jsonl"
PARALLEL_FILE = TRAINING_DATA / "parallel_test.jsonl"
CONTRAST_FILE = TRAINING_DATA / "contrast_test.jsonl"
CONTRAST_TRAIN_FILE = TRAINING_DATA / "contrast_train.jsonl"
ANNOTATIONS_DIR = TRAINING_DATA / "annotations"
# Loss weight of the goals a single-goal research label leaves unnamed (see Example).
IMPLIED = 0.5


def shared_data_dir() -> Path:
    """``$SDG_ALIGN_DATA``, else ``../shared/data`` beside the project checkout."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    return PROJECT_ROOT.parent / "shared" / "data"


def require(path: Path, *, folder: bool = False) -> Path:
    """``path`` if the data is there, else an error that says where to get it."""
    if not (path.is_dir() if folder else path.is_file()):
        raise DataError(
            f"data {'folder' if folder else 'file'} not found: {path}. See training_data/README.md "
            f"for how to obtain it, or point ${DATA_ENV} at the folder that holds it."
        )
    return path


@dataclass(frozen=True)
class Source:
    """One named data set: how to load it and what it may be used for."""

    name: str
    description: str
    load: Callable[[], LabelledSet]
    eval_only: bool = False  # never trained or tuned on; its texts are removed from training data
    validate: bool = True  # False: always in the training split (titles, reference texts)
    opt_in: bool = False  # not part of the default recipe


# ----------------------------------------------------------------------- loaders
def load_title_abstract_tsv(
    path: Path,
    source: str,
    *,
    with_abstract: bool | None = None,
    implied: float = 0.0,
    id_col: str = "doi",
) -> LabelledSet:
    """A TSV of ``title``, ``abstract`` and ``labels`` (Aurora survey, ORO gold).

    ``with_abstract`` keeps only rows with (True) or without (False) an abstract; ``implied`` > 0
    makes the labels partial: the named goals are known, the others implied negatives.
    """
    frame = read_table(require(path), "tsv")
    result = LabelledSet()
    for row_number, row in enumerate(frame.to_dict("records"), start=1):
        has_abstract = bool(clean_cell(row.get("abstract")))
        if with_abstract is not None and has_abstract != with_abstract:
            continue
        text = join_parts(row.get("title"), row.get("abstract"))
        sdgs = parse_or_report(row.get("labels"), f"{path.name} row {row_number}", result.problems)
        if sdgs is None:
            continue
        if not text or (implied and not sdgs):
            result.problems.append(f"{path.name} row {row_number}: no text or no label")
            continue
        result.examples.append(
            Example(
                text,
                sdgs,
                source,
                known=sdgs if implied else None,
                lang="en",
                implied_negative_weight=implied,
                source_id=clean_cell(row.get(id_col)) or f"row-{row_number}",
            )
        )
    return result


def load_dpga(path: Path, *, source: str = "dpga") -> LabelledSet:
    """Digital Public Goods registry: name, description and self-declared SDGs."""
    frame = read_table(require(path), "csv")
    result = LabelledSet()
    for row_number, row in enumerate(frame.to_dict("records"), start=1):
        text = join_parts(row.get("name"), row.get("description"))
        sdgs = parse_or_report(row.get("sdgs"), f"{path.name} row {row_number}", result.problems)
        if sdgs is None:
            continue
        if not clean_cell(row.get("description")):
            result.problems.append(f"{path.name} row {row_number}: empty description")
            continue
        source_id = f"{clean_cell(row.get('status'))}/{clean_cell(row.get('slug'))}"
        result.examples.append(Example(text, sdgs, source, lang="en", source_id=source_id))
    return result


def load_swisstext(path: Path, *, source: str = "swisstext") -> LabelledSet:
    """SwissText 2024 task 1: abstracts with one SDG, where 0 means the text advances none.

    A "no SDG" verdict covers all goals; a single-SDG verdict names one goal and implies the others
    softly. The test file's ``SDGS`` field (all relevant goals) makes its labels complete.
    """
    result = LabelledSet()
    for row_number, line in enumerate(require(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            sdg = int(row["SDG"])
            every = parse_sdgs(row["SDGS"]) if "SDGS" in row else None
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            result.problems.append(f"{path.name} row {row_number}: malformed JSON or SDG")
            continue
        text = join_parts(row.get("TITLE"), row.get("ABSTRACT"))
        if not text or not 0 <= sdg <= 17:
            result.problems.append(f"{path.name} row {row_number}: empty text or SDG out of range")
            continue
        if every is not None:  # complete labels (the test set)
            sdgs, known, implied = every, None, 0.0
        else:
            sdgs = (sdg,) if sdg else ()
            known, implied = (None, 0.0) if not sdg else (sdgs, IMPLIED)
        result.examples.append(
            Example(
                text,
                sdgs,
                source,
                known=known,
                lang="en",
                implied_negative_weight=implied,
                source_id=str(row.get("ID") or f"row-{row_number}"),
                primary=sdg or None,
            )
        )
    return result


def load_zora(path: Path) -> LabelledSet:
    """University of Zurich publications with one SDG; rows without an abstract are skipped."""
    frame = read_table(require(path), "tsv")
    result = LabelledSet()
    for row_number, row in enumerate(frame.to_dict("records"), start=1):
        abstract = clean_cell(row.get("Abstract"))
        if not abstract:
            result.problems.append(f"{path.name} row {row_number}: no abstract (citation only)")
            continue
        sdgs = parse_or_report(row.get("SDG"), f"{path.name} row {row_number}", result.problems)
        if sdgs is None:
            continue
        title = clean_cell(row.get("Citation")).split(". ")[0]
        result.examples.append(
            Example(
                join_parts(title, abstract),
                sdgs,
                "zora",
                known=sdgs,
                implied_negative_weight=IMPLIED,
                source_id=f"row-{row_number}",
            )
        )
    return result


def load_snsf(path: Path) -> LabelledSet:
    """SNSF project summaries: unlabelled text (our annotations give them labels)."""
    frame = read_table(require(path), "csv")
    result = LabelledSet()
    for row_number, value in enumerate(frame["projects"], start=1):
        text = clean_cell(value)
        if text:
            result.examples.append(
                Example(text, (), "snsf", known=(), lang="en", source_id=f"row-{row_number}")
            )
    return result


def load_reference_titles(folder: Path) -> LabelledSet:
    """The official goal, target and indicator titles as labelled examples in several languages."""
    from ..labels import load_reference

    result = LabelledSet()
    for lang in sorted(p.name for p in require(folder, folder=True).iterdir() if p.is_dir()):
        for key, title in load_reference(folder, lang).items():
            sdg = int(key.split(".")[0])
            result.examples.append(
                Example(title, (sdg,), "sdg-reference", lang=lang, source_id=f"{lang}:{key}")
            )
    return result


def load_corpus(path: Path = CORPUS_FILE) -> LabelledSet:
    """The project's own cluster-project corpus, with its fixed train/dev/test split."""
    return load_generic(require(path), source="corpus")


def load_parallel(path: Path = PARALLEL_FILE) -> LabelledSet:
    """The parallel test set: the same texts in nine languages, one label set per text."""
    return load_generic(require(path), source="parallel-test")


def load_contrast(path: Path = CONTRAST_FILE) -> LabelledSet:
    """Minimal pairs: a text that advances an SDG and one in the same words that does not."""
    return load_generic(require(path), source="contrast-test")


def load_snsf_weak(base: Path) -> LabelledSet:
    from ..weak_labels import QuerySystems, weak_label

    systems = QuerySystems.load(require(base / "keywords" / "all_query_systems.csv"))
    frame = read_table(require(base / "snsf-projects" / "snsf_projects.csv"), "csv")
    texts = [t for t in (clean_cell(v) for v in frame["projects"]) if t]
    labelled = weak_label(texts, systems, source="snsf-weak")
    labelled.problems.extend(systems.problems)
    return labelled


def annotated(labelled: LabelledSet, name: str, *, keep_unannotated: bool = True) -> LabelledSet:
    """Join ``training_data/annotations/<name>.jsonl`` to a loaded source."""
    return apply_annotations(
        labelled,
        read_annotations(ANNOTATIONS_DIR / f"{name}.jsonl"),
        keep_unannotated=keep_unannotated,
    )


def as_eval_only(labelled: LabelledSet) -> LabelledSet:
    labelled.examples = [replace(e, split="eval-only") for e in labelled.examples]
    return labelled


def held_out(labelled: LabelledSet) -> LabelledSet:
    """Only the examples of a fixed test split (never trained on).

    The rows the whole source skipped while loading (ZORA's 308 citations without an abstract)
    are not rows of the split, whose records are locked and checked apart: `evaluate real-test`
    said '308 row(s) skipped' of a set it had scored whole."""
    return LabelledSet([e for e in labelled.examples if e.split == "test"])


def _combined(*parts: LabelledSet) -> LabelledSet:
    combined = LabelledSet()
    for part in parts:
        combined.extend(part)
    return combined


def _real_texts() -> LabelledSet:
    combined = LabelledSet()
    for name in REAL_SOURCES:
        combined.extend(SOURCES[name].load())
    return combined


# ----------------------------------------------------------------------- the registry
def _registry() -> dict[str, Source]:
    base = shared_data_dir
    sources = [
        Source("corpus", "the project's cluster-project corpus (fixed splits)", load_corpus),
        Source(
            "aurora",
            "Aurora survey papers with an abstract (our full labels where annotated)",
            lambda: annotated(
                load_title_abstract_tsv(
                    base() / "aurora-survey" / "aurora_survey.tsv",
                    "aurora",
                    with_abstract=True,
                    implied=IMPLIED,
                ),
                "aurora",
            ),
        ),
        Source(
            "aurora-titles",
            "Aurora survey papers known by title only (one survey label, others implied)",
            lambda: load_title_abstract_tsv(
                base() / "aurora-survey" / "aurora_survey.tsv",
                "aurora-titles",
                with_abstract=False,
                implied=IMPLIED,
            ),
            validate=False,
        ),
        Source(
            "dpga",
            "Digital Public Goods registry, training part (our labels where annotated)",
            lambda: annotated(load_dpga(base() / "dpga" / "dpga_train.csv"), "dpga"),
        ),
        Source(
            "swisstext",
            "SwissText 2024 task-1 training abstracts (our labels where annotated)",
            lambda: annotated(
                load_swisstext(base() / "swisstext2024" / "task1_train.jsonl"), "swisstext"
            ),
        ),
        Source(
            "zora",
            "University of Zurich publications with an abstract (our labels where annotated)",
            lambda: annotated(load_zora(base() / "zora" / "zora_original.tsv"), "zora"),
        ),
        Source(
            "snsf",
            "SNSF project summaries that we annotated (the others have no labels)",
            lambda: annotated(
                load_snsf(base() / "snsf-projects" / "snsf_projects.csv"),
                "snsf",
                keep_unannotated=False,
            ),
        ),
        Source(
            "contrast",
            "contrast pairs and minimal edits written for training (train and dev splits)",
            lambda: load_generic(require(CONTRAST_TRAIN_FILE), source="contrast"),
        ),
        Source(
            "sdg-reference",
            "official goal, target and indicator titles in seven languages",
            lambda: load_reference_titles(base() / "sdg-reference"),
            validate=False,
        ),
        Source(
            "snsf-weak",
            "SNSF summaries weakly labelled by keyword query systems (opt-in)",
            lambda: load_snsf_weak(base()),
            opt_in=True,
        ),
        # Held-out test splits of training-side data: never trained on, fine to report.
        Source("corpus-test", "the corpus's fixed test split", lambda: held_out(load_corpus())),
        Source(
            "real-test",
            "the locked test split of our annotated real texts (double-annotated, adjudicated)",
            lambda: held_out(_real_texts()),
        ),
        Source("parallel-test", "the parallel test set in nine languages", load_parallel),
        Source(
            "contrast-test",
            "minimal pairs: a project that advances an SDG and one in the same words that does not",
            load_contrast,
        ),
        Source(
            "multilingual-test",
            "the corpus test split and the parallel test set together, for per-language figures",
            lambda: _combined(held_out(load_corpus()), load_parallel()),
        ),
        # Evaluation only: refused by train, removed from training data by content.
        Source(
            "oro-gold",
            "Open University research abstracts, manually annotated (eval-only)",
            lambda: as_eval_only(
                load_title_abstract_tsv(
                    base() / "eval-only" / "oro-gold" / "oro_gold.tsv", "oro-gold", id_col="id"
                )
            ),
            eval_only=True,
        ),
        Source(
            "dpga-test",
            "Digital Public Goods registry, held-out part (eval-only)",
            lambda: as_eval_only(
                load_dpga(base() / "eval-only" / "dpga" / "dpga_test.csv", source="dpga-test")
            ),
            eval_only=True,
        ),
        Source(
            "swisstext-test",
            "SwissText 2024 task-1 test abstracts with gold labels (eval-only)",
            lambda: as_eval_only(
                load_swisstext(
                    base() / "eval-only" / "swisstext2024-test" / "task1_test_gold.jsonl",
                    source="swisstext-test",
                )
            ),
            eval_only=True,
        ),
    ]
    return {s.name: s for s in sources}


SOURCES = _registry()
REAL_SOURCES = ("aurora", "dpga", "swisstext", "zora", "snsf")
TRAINING_SOURCES = ("corpus", *REAL_SOURCES, "aurora-titles", "sdg-reference")
EVALUATION_ONLY = tuple(name for name, s in SOURCES.items() if s.eval_only)
EVALUATION_SOURCES = (
    "corpus-test",
    "real-test",
    "parallel-test",
    "multilingual-test",
    "contrast-test",
    *EVALUATION_ONLY,
)


def _folder_advice(path: Path, name: str) -> str:
    """Why a folder is no labelled data: a second model given where data belongs (evaluate
    takes one model per run), or a folder whose files were meant."""
    from ..modeling.config import CONFIG_FILE

    if (path / CONFIG_FILE).is_file():
        return (
            f"'{name}' is a model folder, not labelled data: a run takes one model, then the "
            "data (`sdg-align evaluate MODEL DATA...`); run once per model to compare them"
        )
    return f"'{name}' is a folder, not a data file: name the file(s) in it"


def load_source(
    name_or_path: str,
    *,
    text_col: str | Sequence[str] | None = None,
    sdgs_col: str = "sdgs",
    sheet: str | None = None,
    sep: str | None = None,
    encoding: str | None = None,
) -> LabelledSet:
    """Load a named source (``corpus``, ``aurora``, ..., ``oro-gold``) or a file by path.

    ``sheet`` applies to Excel files only, ``sep`` and ``encoding`` to CSV/TSV files only (other
    sources ignore them; see :func:`check_reading_options`).
    """
    if name_or_path in SOURCES:
        source = SOURCES[name_or_path]
        labelled = source.load()
        if not source.validate:
            labelled.examples = [replace(e, split="train") for e in labelled.examples]
        return labelled
    path = Path(name_or_path)
    if not path.exists():
        raise DataError(
            f"'{name_or_path}' is neither a file nor a named source ({', '.join(SOURCES)})"
        )
    if path.is_dir():
        raise DataError(_folder_advice(path, name_or_path))
    eval_only = "eval-only" in path.resolve().parts
    if path.suffix.lower() in (".tsv", ".tab") and looks_like_osdg(path):
        labelled = load_osdg(path)
    elif path.name == "oro_gold.tsv":
        labelled = load_title_abstract_tsv(path, "oro-gold", id_col="id")
    elif path.name.startswith("dpga") and path.suffix == ".csv":
        labelled = load_dpga(path, source=path.stem)
    else:
        fmt = _format(path)
        delimited = fmt in ("csv", "tsv")
        labelled = load_generic(
            path,
            text_col=text_col,
            sdgs_col=sdgs_col,
            sheet=sheet if fmt == "xlsx" else None,
            sep=sep if delimited else None,
            encoding=encoding if delimited else None,
        )
    return as_eval_only(labelled) if eval_only else labelled


def _format(path: Path) -> str | None:
    try:
        return detect_format(path)
    except DataError:
        return None


def check_reading_options(
    names: Sequence[str],
    *,
    sheet: str | None = None,
    sep: str | None = None,
    encoding: str | None = None,
) -> None:
    """Refuse ``--sheet`` when none of the data is an Excel file, and ``--sep``/``--encoding``
    when none is a CSV/TSV file: each would be ignored silently."""
    formats = {_format(Path(n)) for n in names if n not in SOURCES}
    listed = ", ".join(names)
    if sheet is not None and "xlsx" not in formats:
        raise DataError(f"--sheet is for Excel data files; none of {listed} is one")
    for option, value in (("--sep", sep), ("--encoding", encoding)):
        if value is not None and not formats & {"csv", "tsv"}:
            raise DataError(f"{option} is for CSV/TSV data files; none of {listed} is one")
