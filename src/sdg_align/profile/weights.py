"""Budgets as cluster offices write them: ``80.000 €``, ``1,2 Mio.``, ``€ 45 000``, ``1.234,56``.

A weight cell may carry a currency (sign or code), spaces or apostrophes between digit groups, a
scale word before or after the number (``k``, ``Tsd.``, ``Mio.``, ``mln``, ``million``, ``Mrd.``,
``bn``; ``TEUR``, ``T€`` and ``TEUR 45`` are thousands of euros), the ``,-`` of a whole amount (``120.000,-``) and either decimal mark. The
decimal mark is read from the cell when the cell says it (``1.234,56``; ``1,2``; ``1.000.000``) and
otherwise from the rest of the column: ``80.000`` is eighty thousand in a column that writes
``1.234,56`` and also on its own, because budgets are almost never written with three decimals.
Cells that still make no sense are reported, never guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..tables import is_missing

SCALES = {
    "k": 1e3,
    "t": 1e3,  # what is left of 'T€' and 'TEUR' (thousands of euros) once the currency is read
    "tsd": 1e3,
    "tsd.": 1e3,
    "tausend": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "mio": 1e6,
    "mio.": 1e6,
    "mill.": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "millionen": 1e6,
    "millones": 1e6,
    "milioni": 1e6,
    "mln": 1e6,  # Polish, Dutch, Italian
    "mln.": 1e6,
    "tys": 1e3,  # Polish
    "tys.": 1e3,
    "md": 1e9,
    "mld": 1e9,
    "mld.": 1e9,
    "mrd": 1e9,
    "mrd.": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "billions": 1e9,
    "milliarden": 1e9,
    "milliard": 1e9,
    "milliards": 1e9,
}
# A code may follow a scale letter without a space: TEUR, kEUR, MEUR.
_CURRENCY = re.compile(
    r"[€$£¥₹]|(?:\b|(?<=[tkm]))"
    r"(?:eur|euro|euros|usd|gbp|chf|sfr|fr|dkk|sek|nok|pln|zł|czk|huf|ron|bgn|kr)(?!\w)\.?"
)
# The currency each sign or code names, so a column that mixes currencies can be told apart.
_CURRENCY_NAMES = {
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "$": "USD", "usd": "USD",
    "£": "GBP", "gbp": "GBP", "chf": "CHF", "sfr": "CHF", "fr": "CHF", "¥": "JPY", "₹": "INR",
    "zł": "PLN", "kr": "kr (SEK, DKK or NOK)",
}  # fmt: skip
_WHOLE_AMOUNT = re.compile(r"[.,]-+$")  # '120.000,-': German for a whole amount
_SPACES = re.compile(r"[\s\u00a0\u202f'’]")
# the scale after the number ('45 TEUR') or before it ('TEUR 45', 'kEUR 450')
_CELL = re.compile(r"^(?P<prefix>[a-z]*\.?)(?P<number>[0-9.,]+)(?P<scale>[a-z.]*)$")


@dataclass(frozen=True)
class Weights:
    """Parsed weights (NaN where a cell is blank or unreadable) and which cells were which."""

    values: np.ndarray
    blank: np.ndarray  # bool
    bad: np.ndarray  # bool: not blank, but not a number of at least 0
    # bool: one mark before three digits ('300,000') read as a decimal mark because the rest of
    # the column writes decimals with it; worth a warning, since it may mean thousands
    ambiguous: np.ndarray
    currencies: list[str | None] | None = None  # the currency each cell names, if any


def parse_weights(series: pd.Series) -> Weights:
    """Read a weight column cell by cell; numbers stay numbers, text is read as written above."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=float)
        blank = np.isnan(values)
        bad = ~blank & ~(np.isfinite(values) & (values >= 0))
        return Weights(np.where(blank | bad, np.nan, values), blank, bad, np.zeros_like(blank))
    raw = series.tolist()
    cells = [_prepare(v) for v in raw]
    decimal = _column_decimal_mark([c for c in cells if c])
    values = np.array([_read(c, decimal) if c else np.nan for c in cells], dtype=float)
    blank = np.array([not c for c in cells], dtype=bool)
    bad = ~blank & ~(np.isfinite(values) & (values >= 0))
    ambiguous = np.array([bool(c) and _read_as_decimal_by_column(c, decimal) for c in cells])
    currencies = [_currency(v) for v in raw]
    return Weights(np.where(bad, np.nan, values), blank, bad, ambiguous & ~bad, currencies)


def _currency(value: object) -> str | None:
    """The currency a cell names ('EUR' for '80.000 €' or '45 TEUR'), or None."""
    if is_missing(value):
        return None
    found = _CURRENCY.search(str(value).strip().lower())
    if not found:
        return None
    code = found.group(0).rstrip(".")
    return _CURRENCY_NAMES.get(code, code.upper())


# 'ca. 1,67 Mio EUR' is the amount it names: 69 rows of a trial's workbook (5% of the budget)
# fell out of the weighted figures as unreadable
_ABOUT = re.compile(
    r"^(?:ca\.?|circa|approx\.?|approximately|about|around|rund|etwa|ungef[äa]hr|env\.?|environ"
    r"|oko[łl]o|ok\.|ongeveer|cirka|~|≈)\s*"
)


def _prepare(value: object) -> str:
    """The cell without an 'about', currency, spaces and digit-group apostrophes, in lower case."""
    if is_missing(value):
        return ""
    text = _CURRENCY.sub("", _ABOUT.sub("", str(value).strip().lower()))
    return _WHOLE_AMOUNT.sub("", _SPACES.sub("", text))


def _split(cell: str) -> tuple[str, float] | None:
    """The digits-and-marks part and the scale factor, or None when the cell is not that shape."""
    found = _CELL.match(cell)
    if not found or not any(ch.isdigit() for ch in found["number"]):
        return None
    scale = found["scale"] or found["prefix"]
    if (found["scale"] and found["prefix"]) or (scale and scale not in SCALES):
        return None
    return found["number"].rstrip(".,") or found["number"], SCALES.get(scale, 1.0)


def _decimal_mark_of(number: str) -> str | None:
    """The decimal mark a cell shows unambiguously ('.' or ','), or None."""
    marks = [ch for ch in number if ch in ".,"]
    if not marks:
        return None
    if len(set(marks)) == 2:
        return marks[-1]  # 1.234,56 / 1,234.56: the last mark is the decimal one
    if len(marks) > 1:
        return "," if marks[0] == "." else "."  # 1.000.000: the repeated mark groups digits
    digits_after = len(number) - number.index(marks[0]) - 1
    return marks[0] if digits_after != 3 else None


def _column_decimal_mark(cells: list[str]) -> str | None:
    """The decimal mark most unambiguous cells of the column use.

    Only cells without a scale word vote: ``2.5 Mio`` has decimals in either convention, so it
    says nothing about ``80.000 €`` beside it (it made that 80).
    """
    votes: Counter[str] = Counter()
    for cell in cells:
        split = _split(cell)
        mark = _decimal_mark_of(split[0]) if split and split[1] == 1.0 else None
        if mark:
            votes[mark] += 1
    if not votes or (len(votes) == 2 and votes["."] == votes[","]):
        return None
    return votes.most_common(1)[0][0]


def _read_as_decimal_by_column(cell: str, column_decimal: str | None) -> bool:
    """Whether the cell's one mark before three digits is read as the column's decimal mark."""
    split = _split(cell)
    if split is None or column_decimal is None:
        return False
    number = split[0]
    marks = [ch for ch in number if ch in ".,"]
    return marks == [column_decimal] and _decimal_mark_of(number) is None


def _scientific(cell: str) -> float:
    """'1.5e6' as exported by some tools; anything else is not a number."""
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?e[+-]?[0-9]+", cell):
        return float(cell)
    return np.nan


def _read(cell: str, column_decimal: str | None) -> float:
    """One prepared cell as a number; NaN when it cannot be read."""
    split = _split(cell)
    if split is None:
        return _scientific(cell)
    number, scale = split
    decimal = _decimal_mark_of(number) or column_decimal
    if decimal is None:  # a single mark before exactly three digits: digit grouping
        decimal = "," if "." in number else "."
    group = "," if decimal == "." else "."
    whole, _, fraction = number.partition(decimal)
    if decimal in fraction or group in fraction:
        return np.nan
    parts = whole.split(group)
    if len(parts) > 1 and (not 1 <= len(parts[0]) <= 3 or any(len(p) != 3 for p in parts[1:])):
        return np.nan  # '1.23.4' is not digit grouping
    return float("".join(parts) + ("." + fraction if fraction else "")) * scale
