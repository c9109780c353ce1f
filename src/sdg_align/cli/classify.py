"""``sdg-align classify``: tag one text (argument, --file or stdin) with the SDGs it advances."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from typing import TYPE_CHECKING, Any

import click

from ..errors import DataError
from ._common import (
    backend_option,
    check_dialect_options,
    check_tags_or_threshold,
    friendly_errors,
    model_option,
    quiet_option,
    tags_option,
    threshold_option,
)

if TYPE_CHECKING:
    from ..modeling import Prediction

QUOTE_CHARS = 300  # a quoted sentence is shown whole up to this length, wrapped to the terminal


def _read_input(text: str | None, file: str | None, encoding: str | None = None) -> tuple[str, str]:
    """The raw input and where it came from: the argument, else --file (``-`` = stdin), else stdin.

    Bytes are decoded as ``score`` decodes a table: UTF-8 or UTF-16 (with or without its byte order mark),
    else cp1252 with a note, unless ``encoding`` says otherwise.
    """
    if text is not None and file is not None:
        raise click.UsageError("give a text or --file, not both")
    if text == "-":  # the shell convention for stdin, not a one-character project
        text, file = None, "-"
    if text is not None:
        if encoding:  # the shell decoded the argument already; a silent no-op would mislead
            raise click.UsageError("--encoding is for --file or stdin; a TEXT argument is decoded")
        return text, "the argument"
    if file is None and sys.stdin.isatty():
        raise click.UsageError("give a text, --file FILE, or pipe text on stdin")
    source = "stdin" if file in (None, "-") else str(file)
    try:
        if file in (None, "-"):
            raw = sys.stdin.buffer.read()
        else:
            with open(str(file), "rb") as handle:
                raw = handle.read()
    except OSError as exc:
        raise DataError(f"cannot read {source}: {exc.strerror}") from exc
    from ..tables import LEGACY_ENCODINGS, detect_encoding

    chosen = encoding or detect_encoding(raw)
    if raw.startswith((b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # PDF, zipped, old Office
        raise DataError(
            f"{source} is a PDF, Word, Excel or other packed file, not text: save a document's "
            "text as a .txt file, or score a table with 'sdg-align score'"
        )
    if b"\x00" in raw and not chosen.startswith("utf-16"):
        raise DataError(f"{source} looks like a binary file, not text")
    if chosen in LEGACY_ENCODINGS and not encoding:
        content, as_utf8, as_fallback = _decode_by_line(raw, chosen)
        code_page = f"{chosen} ({LEGACY_ENCODINGS[chosen]})"
        how = (
            f"mixes encodings: {as_utf8} line(s) read as UTF-8, {as_fallback} as {code_page}"
            if as_utf8
            else f"is not UTF-8; read as {code_page}"
        )
        click.echo(f"note: {source} {how}. Pass --encoding if that is wrong", err=True)
        return content.lstrip("\ufeff"), source
    try:
        content = raw.decode(chosen)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{source} is not {chosen} text (byte {exc.start}); pass its encoding with --encoding"
        ) from exc
    return content.lstrip("\ufeff"), source


def _decode_by_line(raw: bytes, code_page: str) -> tuple[str, int, int]:
    """Each line as UTF-8 where it is, else as the Windows code page: a file put together from
    two sources (a UTF-8 line, a Windows-1252 line) reads right. Returns the text and how many
    non-ASCII lines were read each way."""
    parts, as_utf8, as_fallback = [], 0, 0
    for line in raw.splitlines(keepends=True):
        try:
            parts.append(line.decode("utf-8"))
            as_utf8 += not line.isascii()
        except UnicodeDecodeError:
            parts.append(line.decode(code_page, errors="replace"))
            as_fallback += 1
    return "".join(parts), as_utf8, as_fallback


def _texts(content: str, source: str, lines: bool) -> list[tuple[int | None, str]]:
    """(line number, text) pairs: every non-blank line with --lines, else the whole input."""
    from ..modeling.windows import MAX_TEXT_CHARS, too_long_message

    pairs: list[tuple[int | None, str]] = (
        [(n, line.strip()) for n, line in enumerate(content.splitlines(), start=1)]
        if lines
        else [(None, content.strip())]
    )
    pairs = [(n, t) for n, t in pairs if t]
    if not pairs:
        raise DataError(f"{source} is empty: nothing to classify")
    pairs = _without_placeholders(pairs, source)
    for number, body in pairs:
        if len(body) > MAX_TEXT_CHARS:
            where = f"{source} line {number}" if number else source
            raise DataError(f"{where}: {too_long_message(len(body))}")
    return pairs


def _without_placeholders(
    pairs: list[tuple[int | None, str]], source: str
) -> list[tuple[int | None, str]]:
    """The texts that are not a stand-in such as 'TBD' or 'n/a' ('TBD' was tagged SDG 3, read as
    tuberculosis); the lines left out are named, as score names its failed rows."""
    from ..scoring import is_placeholder

    left_out = [(n, t) for n, t in pairs if is_placeholder(t)]
    if not left_out:
        return pairs
    if len(left_out) == len(pairs):
        where = f"{source} holds" if len(pairs) == 1 else f"every line of {source} is"
        raise DataError(
            f"{where} a placeholder ({left_out[0][1][:40]!r}), not a description: nothing to "
            "classify"
        )
    named = ", ".join(str(n) for n, _t in left_out[:10]) + (", ..." if len(left_out) > 10 else "")
    click.echo(
        f"warning: {len(left_out)} line{'s' if len(left_out) > 1 else ''} ({named}) "
        f"{'hold' if len(left_out) > 1 else 'holds'} a placeholder such as "
        f"{left_out[0][1][:40]!r}, not a description: not classified",
        err=True,
    )
    return [(n, t) for n, t in pairs if not is_placeholder(t)]


class _TextCommand(click.Command):
    """``classify``, whose unknown-option error says how to give a text that starts with '-'."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as error:
            if error.possibilities:  # '--tops' has its '--top-k?' hint already
                raise
            raise click.NoSuchOption(
                error.option_name,
                f"{error.message} A text that starts with '-' goes after '--': "
                "sdg-align classify -- '- Solar panels for ...'",
                ctx=ctx,
            ) from None


@click.command(cls=_TextCommand)
@click.argument("text", required=False)
@click.option("-f", "--file", "file", type=str, help="Read the text from a file ('-' = stdin).")
@click.option(
    "--lines",
    is_flag=True,
    help="Treat each line as a separate text (default: the whole input is one document); "
    "the output names each text's line.",
)
@model_option
@tags_option
@backend_option
@threshold_option
@click.option(
    "--top-k",
    type=click.IntRange(1, 17),
    help="Also show the k most probable SDGs, each marked as a tag or not.",
)
@click.option(
    "--encoding",
    help="Encoding of --file or stdin (default: UTF-8 or UTF-16, else cp1252 with a note).",
)
@click.option("--explain", is_flag=True, help="Show the closest SDG targets and sentences.")
@click.option("--json", "as_json", is_flag=True, help="A JSON list on stdout, one object per text.")
@quiet_option
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
    encoding: str | None,
    explain: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Tag TEXT with the SDGs it advances.

    \b
    Examples:
      sdg-align classify "Solar-powered desalination pilot for three coastal towns."
      sdg-align classify --file project.txt --explain
      cat projects.txt | sdg-align classify --lines --json
      cat project.txt | sdg-align classify -     # '-' (or no TEXT): read stdin
    """
    check_tags_or_threshold(threshold)
    _sep, encoding = check_dialect_options(None, encoding)
    content, source = _read_input(text, file, encoding)
    pairs = _texts(content, source, lines)
    from ..modeling import load_classifier

    classifier = load_classifier(model_path, backend)
    bodies = [body for _n, body in pairs]
    predictions = classifier.predict(
        bodies, threshold=threshold, tags=tags, progress=not quiet and not as_json
    )
    cut = classifier.cut(tags, threshold)
    _warn_short_texts(pairs)  # a warning, not progress: --quiet keeps it
    evidence = None
    if explain:
        from ..evidence import explain_texts

        shown = [p.sdgs or [_most_likely(p)] for p in predictions]  # evidence even without a tag
        evidence = explain_texts(classifier, bodies, shown)
    if as_json:
        records = [
            _record(number, body, prediction, cut, tags, threshold, top_k, evidence, i)
            for i, ((number, body), prediction) in enumerate(zip(pairs, predictions, strict=True))
        ]
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    for i, ((number, body), prediction) in enumerate(zip(pairs, predictions, strict=True)):
        if len(pairs) > 1:
            label = f"line {number}" if number else f"[{i + 1}]"
            click.echo(f"{label}: {body[:70]}{'…' if len(body) > 70 else ''}")
        _print_prediction(prediction, cut, top_k, evidence[i] if evidence else None)
    if evidence is not None and not classifier.config.multilingual:
        click.echo("(evidence is English-only: this model's encoder is not multilingual)", err=True)


def _apart(probability: float, threshold: float) -> tuple[str, str]:
    """Both to two decimals, or to three when two would show them equal ('0.19 below its
    threshold 0.19' for 0.187 and 0.191)."""
    digits = 2 if f"{probability:.2f}" != f"{threshold:.2f}" else 3
    return f"{probability:.{digits}f}", f"{threshold:.{digits}f}"


def _warn_short_texts(pairs: list[tuple[int | None, str]]) -> None:
    from ..modeling.windows import is_short_text, short_texts_message

    short = [number for number, body in pairs if is_short_text(body)]
    if short:
        lines = [str(n) for n in short if n is not None][:10]
        click.echo(f"warning: {short_texts_message(len(short), lines, 'line')}", err=True)


def _most_likely(prediction: Prediction) -> int:
    return max(prediction.probabilities, key=lambda n: prediction.probabilities[n])


def _record(
    number: int | None,
    body: str,
    prediction: Prediction,
    cut: Any,
    tags: str,
    threshold: float | None,
    top_k: int | None,
    evidence: list[dict[str, Any]] | None,
    index: int,
) -> dict[str, Any]:
    record: dict[str, Any] = {"index": index}
    if number is not None:
        record["line"] = number
    record["text"] = body
    record.update(prediction.to_dict())
    record["tags"] = "threshold" if threshold is not None else tags
    record["thresholds"] = {str(n): round(float(cut[n - 1]), 4) for n in prediction.probabilities}
    if top_k:
        ranked = sorted(prediction.probabilities, key=lambda n: -prediction.probabilities[n])
        record["top_k"] = [
            {
                "sdg": n,
                "probability": round(prediction.probabilities[n], 4),
                "tagged": n in prediction.sdgs,
            }
            for n in ranked[:top_k]
        ]
    if evidence is not None:
        record["evidence"] = evidence[index]
    return record


def _print_prediction(
    prediction: Prediction, cut: Any, top_k: int | None, evidence: dict[str, Any] | None
) -> None:
    from ..evidence import quote
    from ..labels import goal

    width = max(60, min(120, shutil.get_terminal_size((100, 24)).columns))
    shown = list(prediction.sdgs)
    if top_k:  # the tags and the k most probable SDGs: --top-k 1 hid the second tag
        ranked = sorted(prediction.probabilities, key=lambda n: -prediction.probabilities[n])
        shown = [n for n in ranked if n in prediction.sdgs or n in ranked[:top_k]]
    if not prediction.sdgs:
        best = _most_likely(prediction)
        p, t = _apart(prediction.probabilities[best], cut[best - 1])
        click.echo(
            f"  no SDG reaches its threshold (most likely: SDG {best} {goal(best).short_name}, "
            f"p={p}, threshold {t})"
        )
        if not top_k:
            shown = [best] if evidence else []
    for number in shown:
        p, t = _apart(prediction.probabilities[number], cut[number - 1])
        mark = "tag" if number in prediction.sdgs else f"below its threshold {t}"
        click.echo(f"  SDG {number:<2} {goal(number).short_name:<40} {p:>5}   {mark}")
        block = (evidence or {}).get(str(number), {})
        for target in block.get("targets", []):
            click.echo(
                f"      target {target['target']:<6} {target['title']} ({target['score']:.2f})"
            )
        if block and not block.get("sentences"):
            click.echo("      (no sentence carries this tag alone: the text as a whole does)")
        for sentence in block.get("sentences", [])[:2]:
            said = f"\u201c{quote(sentence['text'], QUOTE_CHARS)}\u201d ({sentence['score']:.2f})"
            click.echo(
                textwrap.fill(said, width, initial_indent=" " * 6, subsequent_indent=" " * 7)
            )
    if prediction.windows > 1:
        click.echo(f"  (long text: read in {prediction.windows} overlapping windows)")
