"""How often the evidence quotes a heading or a record row instead of a sentence that says something.

For every labelled text of a split and every SDG it advances, the sentences quoted as evidence for
that SDG are computed twice: as the tool does (headings such as 'Work packages' and record rows such
as 'Partners: ...' are passed over when the text has any other sentence, and a sentence the model
gives less than MIN_SENTENCE_SUPPORT alone is not quoted) and with every piece allowed (the rule
before). Reports the share of (text, SDG) pairs left with no quoted sentence, whose first quoted
sentence is such a fragment, the mean words and support of that sentence, and examples.

    python scripts/eval_evidence_fragments.py                 # corpus and real validation texts
    python scripts/eval_evidence_fragments.py --split test

Writes results/eval_evidence_fragments.json (or _test.json).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from eval_evidence import texts_for  # noqa: E402

import sdg_align.evidence as evidence  # noqa: E402
from sdg_align.modeling import load_classifier  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402


def first_quotes(model: Any, examples: list[Any], allow_fragments: bool) -> list[dict[str, Any]]:
    """The first quoted sentence for each (text, labelled SDG)."""
    rule, floor = evidence.is_fragment, evidence.MIN_SENTENCE_SUPPORT
    if allow_fragments:  # the rule before: every piece, whatever the model gives it alone
        evidence.is_fragment = lambda sentence: False  # type: ignore[assignment]
        evidence.MIN_SENTENCE_SUPPORT = 0.0
    try:
        wanted = [sorted(e.sdgs) for e in examples]
        blocks = evidence.explain_texts(model, [e.text for e in examples], wanted)
    finally:
        evidence.is_fragment, evidence.MIN_SENTENCE_SUPPORT = rule, floor  # type: ignore[assignment]
    firsts = []
    for sdgs, block in zip(wanted, blocks, strict=True):
        for sdg in sdgs:
            quoted = block[str(sdg)]["sentences"]
            if quoted:
                firsts.append({"sdg": sdg, "text": quoted[0]["text"], "score": quoted[0]["score"]})
            else:  # no sentence reaches MIN_SENTENCE_SUPPORT alone
                firsts.append({"sdg": sdg, "text": None, "score": None})
    return firsts


def summary(firsts: list[dict[str, Any]]) -> dict[str, Any]:
    quoted = [f for f in firsts if f["text"] is not None]
    fragments = [f for f in quoted if evidence.is_fragment(f["text"])]
    words = [len(re.findall(r"[^\W\d_]+", f["text"])) for f in quoted]
    return {
        "pairs": len(firsts),
        "no_sentence_quoted": (len(firsts) - len(quoted)) / max(1, len(firsts)),
        "first_quote_is_fragment": len(fragments) / max(1, len(firsts)),
        "mean_words_of_first_quote": sum(words) / max(1, len(words)),
        "mean_support_of_first_quote": sum(f["score"] for f in quoted) / max(1, len(quoted)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--split", choices=["dev", "test"], default="dev")
    args = parser.parse_args()
    configure_threads()
    model = load_classifier(args.model)
    kinds = texts_for(args.split, args.model)
    results: dict[str, Any] = {}
    for kind, examples in kinds.items():
        examples = [e for e in examples if e.sdgs]
        before = first_quotes(model, examples, allow_fragments=True)
        after = first_quotes(model, examples, allow_fragments=False)
        quoted_fragments = sorted(
            {f["text"].strip() for f in before if evidence.is_fragment(f["text"])}
        )
        unsupported = sorted(
            {
                f"{b['text'].strip()[:80]} ({b['score']:.3f})"
                for b, a in zip(before, after, strict=True)
                if a["text"] is None
            }
        )
        results[kind] = {
            "texts": len(examples),
            "every_piece_allowed": summary(before),
            "as_shipped": summary(after),
            "changed_first_quotes": sum(
                b["text"] != a["text"] for b, a in zip(before, after, strict=True)
            ),
            "fragments_quoted_first_before": quoted_fragments[:40],
            "first_quotes_now_dropped_for_low_support": unsupported[:40],
        }
        for name in ("every_piece_allowed", "as_shipped"):
            row = results[kind][name]
            print(
                f"{kind:<7} {name:<22} pairs {row['pairs']:>5}  no sentence quoted "
                f"{row['no_sentence_quoted']:.1%}  first quote a fragment "
                f"{row['first_quote_is_fragment']:.1%}  mean words "
                f"{row['mean_words_of_first_quote']:.1f}  mean support "
                f"{row['mean_support_of_first_quote']:.3f}"
            )
    output = (
        ROOT
        / "results"
        / (
            "eval_evidence_fragments.json"
            if args.split == "dev"
            else "eval_evidence_fragments_test.json"
        )
    )
    output.write_text(
        json.dumps({"model": "models/sdg-align-base", "split": args.split, **results}, indent=2)
        + "\n"
    )


if __name__ == "__main__":
    main()
