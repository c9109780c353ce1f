"""Weak SDG labels for unlabelled texts from published keyword query systems (training time only).

The text2sdg project collects the Boolean queries that bibliometric SDG mappings use (Aurora, Elsevier,
Auckland, SIRIS, SDSN, the OSDG ontology). Each system alone is noisy: the systems disagree a lot,
and agreement between several of them is a much more precise signal than any one. So a text is a
weak positive for an SDG when at least ``min_votes`` systems fire for it, a weak negative when none
does, and unknown (no loss) in between. The queries are read from ``../shared/data/keywords/`` by
path and are never stored in a model: they only label training texts.

The query language (as in text2sdg): terms are ``"quoted"``, ``{braced}``, ``<angled>`` or bare
words, ``*`` ends a word prefix and ``?`` stands for zero or one character; operators are ``OR``,
``AND``, ``NOT`` / ``AND NOT`` (and not), ``W/n`` (both sides within n words) and parentheses.
Matching is case-insensitive on words split at anything that is not a letter or digit.
"""

from __future__ import annotations

import bisect
import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .data.types import Example, LabelledSet
from .errors import DataError
from .labels import NUM_SDGS

# Systems that query whole abstracts with Boolean logic; SDSN and OSDG are plain keyword lists.
SYSTEMS = ("aurora", "elsevier", "auckland", "siris", "sdsn", "OSDG")
WEAK_WEIGHT = 0.5  # loss weight of a weakly labelled text relative to a human label

_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(
    r'"[^"]*"|\{[^}]*\}|<[^>]*>|\(|\)|W/\d+|AND\s+NOT\b|AND\b|OR\b|NOT\b|[^\s(){}<>"]+'
)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


# ------------------------------------------------------------------------------ the query tree
@dataclass(frozen=True)
class Phrase:
    """Consecutive words; each word may end in ``*`` (prefix) or hold ``?`` (0-1 characters)."""

    parts: tuple[str, ...]


@dataclass(frozen=True)
class Operation:
    op: str  # "or", "and", "not" (left and not right) or "within"
    left: Node
    right: Node
    distance: int = 0


Node = Phrase | Operation


def parse_query(query: str) -> Node:
    """Parse one query string into a tree; raises DataError on unbalanced or empty input."""
    query = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), query)
    tokens = _TOKEN.findall(query.replace("\\", ""))
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def parse_or() -> Node:
        node = parse_and()
        while peek() == "OR":
            take()
            node = Operation("or", node, parse_and())
        return node

    def parse_and() -> Node:
        node = parse_within()
        while True:
            token = peek()
            if token is None or token in (")", "OR"):
                return node
            if token == "AND":
                take()
                node = Operation("and", node, parse_within())
            elif token == "NOT" or token.startswith("AND"):  # "NOT" or "AND NOT"
                take()
                node = Operation("not", node, parse_within())
            else:  # two terms side by side: both must occur
                node = Operation("and", node, parse_within())

    def parse_within() -> Node:
        node = parse_atom()
        while (token := peek()) is not None and token.startswith("W/"):
            take()
            node = Operation("within", node, parse_atom(), distance=int(token[2:]))
        return node

    def parse_atom() -> Node:
        token = peek()
        if token is None or token == ")":
            raise DataError(f"query ends too early: {query[:80]!r}")
        take()
        if token == "(":
            node = parse_or()
            if peek() != ")":
                raise DataError(f"unbalanced parentheses in query: {query[:80]!r}")
            take()
            return node
        parts = tuple(_WORD_WITH_WILDCARDS.findall(token.lower()))
        if not parts:
            raise DataError(f"empty term {token!r} in query: {query[:80]!r}")
        return Phrase(parts)

    tree = parse_or()
    if peek() is not None:
        raise DataError(f"unexpected {peek()!r} in query: {query[:80]!r}")
    return tree


_WORD_WITH_WILDCARDS = re.compile(r"[^\W_]+[*?]*(?:[?*]?[^\W_]+[*?]*)*|[*]")


# ------------------------------------------------------------------------------ matching
class Document:
    """A text's words with their positions, and a sorted vocabulary for prefix look-ups."""

    def __init__(self, text: str) -> None:
        self.positions: dict[str, list[int]] = {}
        for index, word in enumerate(words(text)):
            self.positions.setdefault(word, []).append(index)
        self.vocabulary = sorted(self.positions)
        self._cache: dict[str, set[int]] = {}

    def word_positions(self, pattern: str) -> set[int]:
        """Positions of the words that match one pattern word (with ``*`` / ``?`` wildcards)."""
        if pattern in self._cache:
            return self._cache[pattern]
        if "*" not in pattern and "?" not in pattern:
            found = set(self.positions.get(pattern, ()))
        else:
            stem = re.split(r"[*?]", pattern, maxsplit=1)[0]
            regex = re.compile(
                re.escape(pattern).replace(r"\*", r"\w*").replace(r"\?", r"\w?") + "$"
            )
            start = bisect.bisect_left(self.vocabulary, stem)
            found = set()
            for word in self.vocabulary[start:]:
                if not word.startswith(stem):
                    break
                if regex.match(word):
                    found.update(self.positions[word])
        self._cache[pattern] = found
        return found

    def match(self, node: Node) -> set[int]:
        """The word positions where ``node`` matches (empty when it does not)."""
        if isinstance(node, Phrase):
            starts = self.word_positions(node.parts[0])
            for offset, part in enumerate(node.parts[1:], start=1):
                if not starts:
                    break
                following = self.word_positions(part)
                starts = {s for s in starts if s + offset in following}
            return starts
        left = self.match(node.left)
        if node.op == "or":
            return left | self.match(node.right)
        if not left:
            return left
        right = self.match(node.right)
        if node.op == "and":
            return left | right if right else set()
        if node.op == "not":
            return set() if right else left
        near = {a for a in left if any(abs(a - b) <= node.distance for b in right)}
        return near | {b for b in right if any(abs(a - b) <= node.distance for a in near)}


# ------------------------------------------------------------------------------ the systems
@dataclass
class QuerySystems:
    """Parsed queries per system and SDG."""

    queries: dict[str, dict[int, list[Node]]]
    problems: list[str]  # "system SDG n: why", one per query that could not be parsed

    @classmethod
    def load(cls, path: str | Path, systems: Iterable[str] = SYSTEMS) -> QuerySystems:
        """Read text2sdg's ``all_query_systems.csv`` (columns ``system, sdg, query``)."""
        path = Path(path)
        if not path.is_file():
            raise DataError(
                f"keyword query file not found: {path} (see training_data/README.md, 'keywords')"
            )
        wanted = set(systems)
        queries: dict[str, dict[int, list[Node]]] = {}
        problems: list[str] = []
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["system"] not in wanted:
                    continue
                sdg = int(re.sub(r"\D", "", row["sdg"]) or 0)
                if not 1 <= sdg <= NUM_SDGS:
                    continue
                try:
                    tree = parse_query(row["query"])
                except DataError as exc:
                    problems.append(f"{row['system']} SDG {sdg}: {exc}")
                    continue
                queries.setdefault(row["system"], {}).setdefault(sdg, []).append(tree)
        if not queries:
            raise DataError(f"no queries of the systems {sorted(wanted)} in {path}")
        return cls(queries, problems)

    def votes(self, text: str) -> list[int]:
        """For each SDG (index 0 = SDG 1), how many systems have a query that matches the text."""
        document = Document(text)
        counts = [0] * NUM_SDGS
        for per_sdg in self.queries.values():
            for sdg, trees in per_sdg.items():
                if any(document.match(tree) for tree in trees):
                    counts[sdg - 1] += 1
        return counts


def weak_label(
    texts: Sequence[str],
    systems: QuerySystems,
    *,
    min_votes: int = 2,
    source: str = "weak",
    lang: str | None = "en",
) -> LabelledSet:
    """Label texts by agreement of query systems; texts that no SDG reaches are kept as negatives."""
    result = LabelledSet()
    for text in texts:
        counts = systems.votes(text)
        positives = tuple(k + 1 for k, c in enumerate(counts) if c >= min_votes)
        known = tuple(sorted(set(positives) | {k + 1 for k, c in enumerate(counts) if c == 0}))
        result.examples.append(
            Example(text, positives, source, known=known, lang=lang, weight=WEAK_WEIGHT)
        )
    return result
