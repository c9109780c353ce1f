"""``sdg-align classify``: tag one text (argument, --file or stdin) with the SDGs it advances."""

from __future__ import annotations

import json
import sys

import click

from ..errors import DataError
from ._common import backend_option, friendly_errors, model_option, tags_option


def _read_texts(text: str | None, file: str | None, lines: bool) -> list[str]:
    """The text(s) to classify: the argument, else --file (``-`` = stdin), else stdin."""
    if text is not None and file is not None:
        raise click.UsageError("give a text or --file, not both")
    if text is not None:
        raw = text.encode("utf-8", errors="surrogateescape")
        source = "the argument"
    else:
        if file is None and sys.stdin.isatty():
            raise click.UsageError("give a text, --file FILE, or pipe text on stdin")
        source = "stdin" if file in (None, "-") else file
        try:
            if file in (None, "-"):
                raw = sys.stdin.buffer.read()
            else:
                with open(file, "rb") as handle:
                    raw = handle.read()
        except OSError as exc:
            raise DataError(f"cannot read {source}: {exc.strerror}") from exc
    if b"\x00" in raw:
        raise DataError(f"{source} looks like a binary file, not text")
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{source} is not UTF-8 text (byte {exc.start})") from exc
    texts = [t.strip() for t in content.splitlines()] if lines else [content.strip()]
    texts = [t for t in texts if t]
    if not texts:
        raise DataError(f"{source} is empty: nothing to classify")
    return texts


@click.command()
@click.argument("text", required=False)
@click.option("-f", "--file", "file", type=str, help="Read the text from a file ('-' = stdin).")
@click.option(
    "--lines",
    is_flag=True,
    help="Treat each line as a separate text (default: the whole input is one document).",
)
@model_option
@tags_option
@backend_option
@click.option("--threshold", type=click.FloatRange(0, 1), help="One threshold for all SDGs.")
@click.option("--top-k", type=click.IntRange(1, 17), help="Show the k most probable SDGs.")
@click.option("--explain", is_flag=True, help="Show the closest SDG targets and sentences.")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout, with all 17 probabilities.")
@friendly_errors
def classify(
    text: str | None,
    file: str | None,
    lines: bool,
    model_path: str | None,
    tags: str,
    backend: str,
    threshold: float | None,
    top_k: int | None,
    explain: bool,
    as_json: bool,
) -> None:
    """Tag TEXT with the SDGs it advances.

    \b
    Examples:
      sdg-align classify "Solar-powered desalination pilot for three coastal towns"
      sdg-align classify --file project.txt --explain
      cat projects.txt | sdg-align classify --lines --json
    """
    texts = _read_texts(text, file, lines)
    from ..modeling import load_classifier

    classifier = load_classifier(model_path, backend)
    predictions = classifier.predict(texts, threshold=threshold, top_k=top_k, tags=tags)
    evidence = None
    if explain:
        from ..evidence import explain_texts

        evidence = explain_texts(classifier, texts, [p.sdgs for p in predictions])
    if as_json:
        records = []
        for i, (body, prediction) in enumerate(zip(texts, predictions, strict=True)):
            record = {"text": body, **prediction.to_dict()}
            if evidence is not None:
                record["evidence"] = evidence[i]
            records.append(record)
        click.echo(
            json.dumps(records[0] if len(records) == 1 else records, ensure_ascii=False, indent=2)
        )
        return
    from ..labels import goal

    for i, (body, prediction) in enumerate(zip(texts, predictions, strict=True)):
        if len(texts) > 1:
            click.echo(f"[{i + 1}] {body[:70]}{'...' if len(body) > 70 else ''}")
        if not prediction.sdgs:
            best = max(prediction.probabilities, key=lambda n: prediction.probabilities[n])
            click.echo(
                f"  no SDG above threshold (most likely: SDG {best} "
                f"{goal(best).short_name}, p={prediction.probabilities[best]:.2f})"
            )
        for number in prediction.sdgs:
            p = prediction.probabilities[number]
            click.echo(f"  SDG {number:<2} {goal(number).short_name:<40} {p:5.2f}")
            if evidence is not None:
                block = evidence[i].get(str(number), {})
                for target in block.get("targets", []):
                    click.echo(
                        f"      target {target['target']:<6} {target['title']} ({target['score']:.2f})"
                    )
                for sentence in block.get("sentences", [])[:2]:
                    click.echo(
                        f"      \u201c{sentence['text'][:100]}\u201d ({sentence['score']:.2f})"
                    )
        if prediction.windows > 1:
            click.echo(f"  (long text: read in {prediction.windows} overlapping windows)")
    if evidence is not None and not classifier.config.multilingual:
        click.echo("(evidence is English-only: this model's encoder is not multilingual)", err=True)
