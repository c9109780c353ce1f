"""Reading a scored (or raw) table for a profile: which columns, which rows, and what they hold.

Everything a user can get wrong in their table is caught here, before any figure is computed, and
becomes one :class:`~sdg_align.errors.DataError` line that names the column and the first rows
(counted from 1 as in a spreadsheet, with their id when there is one).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import re
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from ..corrections import AUDIT_COLUMN, CORRECTED_COLUMN, MODEL_PROBABILITY_COLUMNS
from ..errors import DataError
from ..labels import NUM_SDGS
from ..tables import blank_rows, decimal_numbers, did_you_mean, guess_id_column, is_missing
from .figures import BLANK_GROUP, MAX_LISTED_ERRORS, PROB_COLS, SCORED_COLS
from .weights import parse_weights

# Partner types as exports and people write them, in English, German, French, Italian and
# Spanish, and CORDIS's codes (PRC, PUB, HES, REC, OTH). Private: for-profit firms; public: public
# bodies, research and education; other: neither (NGOs, associations, chambers, clusters), counted
# but never a mix.
PRIVATE_TYPES = frozenset({
    "company", "sme", "startup", "start-up", "investor", "industry", "industrial", "firm",
    "enterprise", "business", "corporate", "corporation", "private", "cooperative",
    "co-operative", "prc", "kmu", "unternehmen", "firma", "industrie", "genossenschaft",
    "entreprise", "pme", "industriel", "privé", "coopérative", "impresa", "azienda", "pmi",
    "società", "cooperativa", "empresa", "pyme",
    "bedrijf", "onderneming", "mkb", "coöperatie", "cooperatie",  # Dutch
    "przedsiębiorstwo", "mśp", "msp", "spółka", "spółdzielnia",  # Polish
    "företag", "bolag", "smf", "kooperativ",  # Swedish
})  # fmt: skip
PUBLIC_TYPES = frozenset({
    "public", "university", "research", "education", "academia", "academic", "rto",
    "municipality", "city", "region", "government", "agency", "authority", "pub", "hes", "rec",
    "hochschule", "universität", "forschung", "öffentlich", "kommune", "gemeinde", "land",
    "behörde", "université", "recherche", "collectivité", "région", "commune", "gouvernement",
    "università", "ricerca", "regione", "comune", "provincia", "ente pubblico",
    "universidad", "investigación", "ayuntamiento", "municipio", "gobierno", "público",
    "istruzione", "pubblico", "universidade", "investigação", "município", "governo",
    "agenzia", "scuola", "agencia", "escuela", "agence", "école", "schule",
    "universiteit", "hogeschool", "gemeente", "provincie", "overheid", "onderzoek",
    "kennisinstelling", "waterschap",  # Dutch
    "uczelnia", "uniwersytet", "politechnika", "gmina", "powiat", "województwo", "samorząd",
    "instytut badawczy", "jst",  # Polish
    "universitet", "högskola", "kommun", "myndighet", "forskningsinstitut",  # Swedish
})  # fmt: skip
OTHER_TYPES = frozenset({
    "ngo", "association", "chamber", "cluster", "foundation", "nonprofit", "non-profit", "npo",
    "charity", "union", "oth", "verband", "verein", "kammer", "stiftung", "fondation",
    "chambre", "pôle", "associazione", "fondazione", "camera", "consorzio", "asociación",
    "fundación", "ong", "onlus", "associação", "fundação",
    "stichting", "vereniging", "brancheorganisatie",  # Dutch
    "fundacja", "stowarzyszenie", "izba", "klaster",  # Polish
    "stiftelse", "förening", "ideell",  # Swedish
})  # fmt: skip
# A partner without a type in its brackets is private when its name ends in a company's legal
# form ('Acme B.V.', 'Chłodnie sp. z o.o.'), public when it starts as a university or a
# municipality does ('Politechnika Poznańska', 'Gemeente Venlo'); else its type stays unknown.
_LEGAL_FORM = re.compile(
    r"(?:\b(?:gmbh|ag|kg|se|ug|ohg|kgaa|gbr|ltd|limited|plc|inc|llc|sarl|sas|srl|spa|bv|nv|ab|oy"
    r"|oyj|as|a/s|aps|sa|sl|slu|lda|haftungsbeschränkt)|\be\.\s?k\.?|\bb\.v\.?|\bn\.v\.?"
    r"|\bs\.a\.?|\bs\.l\.?|\bs\.r\.l\.?|\bs\.p\.a\.?|\bsp\.? z o\.? ?o\.?|\bsp\.? k\.?"
    r"|\bs\.a\.s\.?)\s*$",
    re.IGNORECASE,
)
_ASSOCIATION_FORM = re.compile(r"\b(?:e\.\s?v\.?|asbl|vzw|onlus|ry)\s*$", re.IGNORECASE)
_PUBLIC_NAME = re.compile(
    r"^(?:university|universit[äaàé]t?|universit[ée]|universidad|universidade|universiteit"
    r"|universitet|uniwersytet|politechnika|polytechnic|politecnico|hochschule|hogeschool"
    r"|högskola|fachhochschule|technische universität|city of|municipality|gemeente|gmina"
    r"|provincie|province|provincia|comune|ayuntamiento|stadt|ville de|kommun|region|regione"
    r"|región|région|land|technische hochschule|tu|th|oth|hs|fraunhofer|dlr|max-planck"
    r"|helmholtz|leibniz|landkreis|landeshauptstadt|markt|bezirk|freistaat|gemeinde|ministerium"
    r"|bundesministerium|kreis|stadtwerke)\b"
    r"|\b(?:kommun|kommune|gemeinde|universitet|university|universität)$",
    re.IGNORECASE,
)
# Three-letter country codes (ISO 3166 alpha-3) read as their two-letter ones, so that 'AUT' and
# 'AT' are one country; a three-letter word not listed here is no country (it may be an acronym).
# fmt: off
ISO3_COUNTRIES = {
    "AUT": "at", "BEL": "be", "BGR": "bg", "HRV": "hr", "CYP": "cy", "CZE": "cz", "DNK": "dk",
    "EST": "ee", "FIN": "fi", "FRA": "fr", "DEU": "de", "GRC": "gr", "HUN": "hu", "IRL": "ie",
    "ITA": "it", "LVA": "lv", "LTU": "lt", "LUX": "lu", "MLT": "mt", "NLD": "nl", "POL": "pl",
    "PRT": "pt", "ROU": "ro", "SVK": "sk", "SVN": "si", "ESP": "es", "SWE": "se", "CHE": "ch",
    "LIE": "li", "NOR": "no", "ISL": "is", "GBR": "gb", "UKR": "ua", "SRB": "rs", "BIH": "ba",
    "MNE": "me", "MKD": "mk", "ALB": "al", "TUR": "tr", "MDA": "md", "ISR": "il", "USA": "us",
    "CAN": "ca", "MEX": "mx", "BRA": "br", "ARG": "ar", "CHN": "cn", "JPN": "jp", "KOR": "kr",
    "IND": "in", "ZAF": "za", "KEN": "ke", "NGA": "ng", "EGY": "eg", "MAR": "ma", "TUN": "tn",
    "ETH": "et", "AUS": "au", "NZL": "nz", "SGP": "sg",
}
# fmt: on
PARTNER_TYPES = PRIVATE_TYPES | PUBLIC_TYPES | OTHER_TYPES
TITLE_COLUMNS = ("title", "name", "project_title")


@dataclass(frozen=True)
class ProfileColumns:
    """The input columns a profile reads, one field per CLI option (``--by``, ``--weight-col``...).

    One value travels from the command line to the computations, so adding a column choice touches
    one place instead of three signatures.
    """

    by: str | None = None
    weight_col: str | None = None
    time_col: str | None = None
    partners_col: str | None = None
    id_col: str | None = None
    title_col: str | None = None

    def __post_init__(self) -> None:
        for option, column in self.named().items():
            if column is not None and not isinstance(column, str):
                raise DataError(
                    f"{option} names one column, not {type(column).__name__} "
                    f"({column!r}): profile one grouping at a time"
                )

    @classmethod
    def from_dict(cls, choices: dict[str, str | None]) -> ProfileColumns:
        """``{'by': 'cluster', 'time_col': 'year'}``, with an unknown key named in the error."""
        unknown = sorted(set(choices) - {f.name for f in fields(cls)})
        if unknown:
            raise DataError(
                f"unknown column choice(s) {', '.join(unknown)}; choose from "
                f"{', '.join(f.name for f in fields(cls))}"
            )
        return cls(**choices)

    def named(self) -> dict[str, str | None]:
        return asdict(self)

    def check(self, frame: pd.DataFrame) -> None:
        """Each column named by an option must exist; the error lists those that do."""
        found = ", ".join(map(str, frame.columns))
        for option, column in self.named().items():
            if column is not None and column not in frame.columns:
                flag = option_name(option)
                raise DataError(
                    f"{flag} column '{column}' not found{did_you_mean(frame.columns, column)}; "
                    f"the input has: {found}"
                )

    def resolve(self, frame: pd.DataFrame) -> ProfileColumns:
        """The same choices, with the id and title columns guessed when not given."""
        return replace(
            self,
            id_col=self.id_col or guess_id_column(list(frame.columns)),
            title_col=self.title_col or _guess(frame, TITLE_COLUMNS),
        )


def option_name(field_name: str) -> str:
    """The command-line option of a ``ProfileColumns`` field: ``weight_col`` -> ``--weight-col``."""
    return "--" + field_name.replace("_", "-")


def _guess(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    return next((n for n in names if n in frame.columns), None)


def is_scored(frame: pd.DataFrame) -> bool:
    """Whether the table holds ``sdg-align score`` output (probability columns), else raw text.

    A labelled dataset with only an ``sdgs`` column counts as raw: it has no probabilities.
    """
    return any(c in frame.columns for c in PROB_COLS)


_NESTED = (list, tuple, dict, np.ndarray)  # what a JSON Lines or Parquet cell may hold


def text_cells(series: pd.Series) -> pd.Series:
    """Cells as strings, missing ones as ''; whole floats lose their '.0' (JSON Lines input).

    A list (a JSON Lines array, a Parquet list, or its JSON text in a CSV that ``score`` wrote
    from such a file) becomes its items joined by '; ', as a partners list is written in a CSV;
    an object becomes JSON, not Python's spelling of it.
    """
    if pd.api.types.is_float_dtype(series.dtype) and bool((series.dropna() % 1 == 0).all()):
        series = series.astype("Int64")
    if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
        series = series.astype(object).map(_json_array)
        if series.map(lambda v: isinstance(v, _NESTED)).any():
            series = series.map(_nested_text)
    return series.astype(object).where(series.notna(), "").astype(str)


def _json_array(value: Any) -> Any:
    """The list a cell's JSON array text stands for ('["Acme (DE)", "Uni Graz (AT)"]' was one
    partner), else the cell as it is."""
    if isinstance(value, str) and value.startswith("[") and value.rstrip().endswith("]"):
        with contextlib.suppress(ValueError):
            parsed = json.loads(value)
            if isinstance(parsed, list):
                return parsed
    return value


# The keys of a record that names an organisation, as CRMs export partners: {"name": ..., "country":
# "IT", "type": "impresa"} reads as 'name (IT, impresa)', the form the partner figures read.
_NAME_KEYS = ("name", "partner", "organisation", "organization", "org", "nome", "nombre", "nom")
_META_KEYS = (
    ("country", "country_code", "cc", "land", "pays", "paese", "pais", "país"),
    ("type", "kind", "category", "tipo", "typ", "categoria"),
)


def _nested_text(value: Any) -> Any:
    if isinstance(value, dict):
        keys = {str(k).lower(): v for k, v in value.items()}
        name = next((keys[k] for k in _NAME_KEYS if keys.get(k)), None)
        if name is not None:  # a list of them was read as JSON text split at its commas
            meta = [
                str(found)
                for options in _META_KEYS
                if (found := next((keys[k] for k in options if keys.get(k)), None))
            ]
            return f"{name} ({', '.join(meta)})" if meta else str(name)
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, (list, tuple, np.ndarray)):
        return "; ".join(str(_nested_text(v)) for v in value if not is_missing(v))
    return value


@dataclass(frozen=True)
class RowNames:
    """How error messages name rows: input row numbers (data rows from 1) and ids when known."""

    numbers: np.ndarray
    ids: Sequence[str] | None = None

    def where(self, mask: np.ndarray, series: pd.Series) -> str:
        """Quote the first offending cells: 'n/a' in row 3 (P-03), ..."""
        positions = np.flatnonzero(mask)
        values = text_cells(series.iloc[positions[:5]]).tolist()
        parts = []
        for pos, value in zip(positions[:5], values, strict=False):
            label = f" ({self.ids[pos]})" if self.ids is not None and self.ids[pos] else ""
            shown = value if len(value) <= 30 else value[:27] + "..."
            parts.append(f"{shown!r} in row {self.numbers[pos]}{label}")
        more = len(positions) - 5
        return ", ".join(parts) + (f" and {more} more rows" if more > 0 else "")


def parse_tags(series: pd.Series, rows: RowNames) -> np.ndarray:
    """The ``sdgs`` cells ('7;13') as a boolean (rows, 17) matrix."""
    text = text_cells(series).str.replace(r"\s+", "", regex=True)
    dummies = text.str.get_dummies(sep=";")
    tags = np.zeros((len(series), NUM_SDGS), dtype=bool)
    bad = np.zeros(len(series), dtype=bool)
    for token in dummies.columns:
        hit = dummies[token].to_numpy(dtype=bool)
        try:
            number = float(token)
        except ValueError:
            number = math.nan
        if number.is_integer() and 1 <= number <= NUM_SDGS:
            tags[:, int(number) - 1] |= hit
        elif token:
            bad |= hit
    if bad.any():
        raise DataError(
            "column 'sdgs' must hold SDG numbers 1-17 separated by ';'; found "
            + rows.where(bad, series)
        )
    return tags


def parse_numbers(
    series: pd.Series, column: str, rows: RowNames, *, low: float, high: float
) -> np.ndarray:
    """Numbers in [low, high] (0.83 or 0,83); empty or other cells raise an error naming the rows."""
    array = decimal_numbers(series)
    bad = ~np.isfinite(array) | (array < low) | (array > high)
    if bad.any():
        limits = f"between {low:g} and {high:g}" if math.isfinite(high) else f"of at least {low:g}"
        raise DataError(
            f"column '{column}' must hold numbers {limits} in every scored row; found "
            + rows.where(bad, series)
            + ". Fix those cells (numbers like 0.83, as `sdg-align score` writes them) or drop "
            "the rows."
        )
    return array


def parse_primary(series: pd.Series, rows: RowNames) -> np.ndarray:
    """``primary_sdg`` as ints, 0 where empty."""
    text = text_cells(series).str.strip()
    values = pd.to_numeric(text.replace("", np.nan), errors="coerce").to_numpy(dtype=float)
    empty = (text == "").to_numpy()
    bad = ~empty & ~(np.isfinite(values) & (values >= 1) & (values <= NUM_SDGS))
    if bad.any():
        raise DataError(
            "column 'primary_sdg' must hold one SDG number (1-17) or nothing; found "
            + rows.where(bad, series)
        )
    return np.where(empty, 0, np.nan_to_num(values)).astype(int)


NO_PERIOD = 0  # a project whose time cell is blank or unreadable: in every figure but the trends
# A year with a label before it (FY, Q1, H2, a month's name) or a second year after it (2021/22).
_YEAR_IN_LABEL = re.compile(
    r"^(?:fy|gj|wj|q[1-4]|h[12]|[^\W\d_]+\.?)?\s*[-/]?\s*((?:19|20)\d{2})"
    r"(?:\s*[-/–—]\s*(?:\d{2}|(?:19|20)\d{2}))?$",  # '2023–24': Excel makes the dash long
    re.IGNORECASE,
)
# Two dates or months joined into a period; the first is its start.
_PERIOD_RANGE = re.compile(
    r"^(.{4,25}?)\s+(?:-|–|—|bis|to|till|until|au|al|à|a|tot|do)\s+\D{0,12}\d.*$", re.IGNORECASE
)
_YEAR_OF_MONTH = re.compile(
    r"^(?:([12][.,' ]\d{3})|(?:0?[1-9]|1[0-2])\s*[./-]\s*((?:19|20)\d{2}))$"
)  # '2.023' (group 1) or '03.2024' (group 2)
FIRST_YEAR = 1950  # earlier or
YEARS_AHEAD = 15  # later than this many years from now: a typo (2203), not a project's year


def parse_periods(
    series: pd.Series, column: str, rows: RowNames, found: list[str] | None = None
) -> np.ndarray:
    """Years (2021, or 2021.0 as spreadsheets export them) or dates (2021-03-15, read as their year)
    as ints; :data:`NO_PERIOD` where a cell is blank or unreadable, counted in ``found``.

    A year with a label or a second year ('FY2023', 'Q1 2021', 'März 2021', '2021/22') is read as
    the (first) year it names, and ``found`` says how such cells were read.
    """
    text = text_cells(series).str.strip()
    # a duration ('01.03.2021 - 28.02.2024', '03/2021 bis 02/2024') is read as the year it
    # starts: a CRM's 'Laufzeit' column left 1,353 of 1,470 projects out of the trends
    start = text.str.extract(_PERIOD_RANGE, expand=False)
    ranged = start.notna() & start.str.contains(r"(?:19|20)\d{2}", regex=True).fillna(False)
    if ranged.any() and found is not None:
        found.append(
            f"--time-col '{column}': {int(ranged.sum())} cell(s) hold a period "
            f"('{text[ranged].iloc[0]}'), read as the year it starts"
        )
    text = text.where(~ranged, start.str.strip())
    years = pd.Series(np.nan, index=text.index)
    is_year = text.str.fullmatch(r"\d{4}(?:\.0+)?")
    years[is_year] = text[is_year].str.slice(0, 4).astype(int)
    # a year in a number format ('2.023') or a month and year ('03.2024', as DACH and Polish
    # exports write a start month): pandas reads '03.2024' as the year 1
    formatted, of_month = (text.str.extract(_YEAR_OF_MONTH, expand=True)[i] for i in (0, 1))
    shaped = ~is_year & (formatted.notna() | of_month.notna())
    digits = formatted.str.replace(r"\D", "", regex=True).fillna(of_month)
    years[shaped] = digits[shaped].astype(int)
    is_year = is_year | shaped
    rest = ~is_year & (text != "")
    if rest.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # a date's own year, whatever its zone: a zone offset ('+01:00', '+02:00' across the
            # summer change, 'Z') is dropped, as mixed offsets made pandas raise, not coerce
            local = text[rest].str.replace(r"(?<=\d)\s*(?:[+-]\d{2}:?\d{2}|Z|UTC)$", "", regex=True)
            dates = pd.to_datetime(local, errors="coerce", format="mixed")
        years[rest] = dates.dt.year
    labelled = (years.isna() & rest).to_numpy()
    if labelled.any():
        named = text[labelled].str.extract(_YEAR_IN_LABEL, expand=False).astype(float)
        years[labelled] = named
        read = labelled & years.notna().to_numpy()
        if read.any() and found is not None:
            # each spelling once: "'2024/25' as 2024" three times told nothing more
            readings = dict.fromkeys(
                f"'{cell}' as {int(year)}"
                for cell, year in zip(text[read], years[read], strict=True)
            )
            first = ", ".join(list(readings)[:3])
            found.append(
                f"--time-col '{column}': {int(read.sum())} cell(s) with a label or a second year "
                f"were read as the (first) year they name ({first}"
                f"{', ...' if len(readings) > 3 else ''})"
            )
    last_year = datetime.date.today().year + YEARS_AHEAD
    implausible = (years.notna() & ((years < FIRST_YEAR) | (years > last_year))).to_numpy()
    years[implausible] = np.nan
    missing = years.isna().to_numpy()
    if missing.all():
        raise DataError(
            f"--time-col column '{column}' holds no year (2021) or date (2021-03-15) we can read; "
            "found " + rows.where(missing, series)
        )
    blank = (text == "").to_numpy()
    for kind, where in (
        ("have no value", blank),
        ("are not a year or a date", missing & ~blank & ~implausible),
        (f"hold a year outside {FIRST_YEAR}-{last_year}", implausible),
    ):
        if where.any() and found is not None:
            found.append(
                f"--time-col '{column}': {int(where.sum())} of {len(series)} scored rows {kind} "
                f"({rows.where(where, series)}); they count in every figure except the trends"
            )
    return years.fillna(NO_PERIOD).to_numpy(dtype=int)


@dataclass
class Partners:
    source: str
    count: np.ndarray
    countries: np.ndarray | None  # distinct country codes per project
    public_private: np.ndarray | None
    # projects whose partners are listed by name; the others gave a number (countries and types
    # unknown), and the shares of international and public-private projects leave them out
    listed: np.ndarray | None = None


_COMMA = r",(?![^()]*\))"  # a comma outside the brackets of 'Name (CC, type)'
_JOINED_AFTER_BRACKET = r"\)\s*(?:[/+&|]|\b(?:and|und|et|e|y|i|en|og|och|oraz|a)\b)\s*(?=[^\W\d_])"


def parse_partners(
    series: pd.Series,
    column: str = "partners",
    rows: RowNames | None = None,
    found: list[str] | None = None,
) -> Partners:
    """A count per project, or a '; '-separated list of 'Name (CC, type)' entries (a cell
    without ';' is split at its commas).

    A column of counts stays one when some cells hold no count ('n/a', '?'): those count as no
    partner, as blank cells do, and are named in ``found``; one 'n/a' made it a list of names.
    """
    text = text_cells(series).str.strip().reset_index(drop=True)
    as_number = pd.to_numeric(text, errors="coerce")
    is_count = as_number.notna() & (as_number % 1 == 0) & (as_number >= 0)
    filled = text != ""
    odd = filled & ~is_count
    looks_listed = text[odd].str.contains(r"[;()]", regex=True).any()
    mostly_counts = not filled.any() or is_count[filled].mean() >= 0.5
    if mostly_counts and not looks_listed:
        if odd.any() and found is not None:
            quoted = rows.where(odd.to_numpy(), series) if rows is not None else ""
            found.append(
                f"--partners-col '{column}': {int(odd.sum())} of {len(text)} scored rows hold no "
                f"number of partners ({quoted}); they count as no partner, as blank cells do"
            )
        counts = as_number.where(is_count, 0).fillna(0).to_numpy(dtype=int)
        return Partners("count", counts, None, None)
    # a bare number in a list column is a count: one cluster of a merged portfolio sends counts
    # ('3'), the others lists, and each count was read as one partner named '3'
    counted = is_count & ~text.str.contains(r"[;,()\n]", regex=True)
    if counted.any() and found is not None:
        quoted = rows.where(counted.to_numpy(), series) if rows is not None else ""
        found.append(
            f"--partners-col '{column}': {int(counted.sum())} of {len(text)} scored rows give a "
            f"number of partners, not a list ({quoted}); they count that many partners, of "
            "unknown countries and types, and stay out of the international and public-private "
            "shares"
        )
    text = text.where(~counted, "")
    # a line break (Alt+Enter in Excel) separates partners, as does '/', '+', '&' or 'and' after
    # an entry's '(CC, type)': such a list counted as one partner without a word
    text = text.str.replace(r"\s*[\r\n]+\s*|\s+[/|]\s+", "; ", regex=True)  # 'BMW AG / Audi AG'

    text = text.str.replace(_JOINED_AFTER_BRACKET, "); ", regex=True)
    # a cell without ';' is split at its commas outside the '(CC, type)' brackets: exports write
    # 'Acme GmbH, TU Graz', and each such list counted as one partner
    by_comma = ~text.str.contains(";", regex=False) & text.str.replace(
        r"\([^()]*\)", "", regex=True
    ).str.contains(",", regex=False)
    if by_comma.any() and found is not None:
        example = text[by_comma].iloc[0]
        found.append(
            f"--partners-col '{column}': {int(by_comma.sum())} cell(s) separate partners with "
            f"commas, not ';' ('{example[:60]}' counts {len(re.split(_COMMA, example))}); a "
            "name with a comma in it would count twice: separate partners with ';' to be sure"
        )
    items = text.where(~by_comma, text.str.replace(_COMMA, ";", regex=True))
    items = items.str.split(";").explode().str.strip()
    items = items[items.notna() & (items != "")]
    owner = items.index.to_numpy()  # the row of each partner
    items = items.reset_index(drop=True)
    twice = items[items.str.count(r"\([^()]*\)") > 1]
    if len(twice) and found is not None:
        found.append(
            f"--partners-col '{column}': {len(twice)} entr{'y holds' if len(twice) == 1 else 'ies hold'} "
            f"two '(...)' groups ('{twice.iloc[0][:60]}') and count as one partner: "
            "separate partners with ';' or a line break"
        )
    meta = items.str.extract(r"\(([^()]*)\)\s*$", expand=False).fillna("")
    words = meta.str.split(",").explode().str.strip()
    words = words[words != ""]
    words = words.map(lambda w: ISO3_COUNTRIES.get(w, w))  # 'AUT' -> 'at'
    is_country = words.str.fullmatch(r"[A-Za-z]{2}")
    country = words[is_country].str.lower().groupby(level=0).first().reindex(items.index)
    named = words[~is_country]
    # a legal form in the brackets ('Fendt (AGCO GmbH)', 'Start UG (haftungsbeschränkt)') says
    # a company, as at the end of a name
    named = named.where(~named.str.contains(_LEGAL_FORM, regex=True), "company")
    known = named.str.lower().isin(PARTNER_TYPES)
    kind = named[known].str.lower().groupby(level=0).first().reindex(items.index)
    kind = kind.fillna(_kind_from_name(items.str.replace(r"\([^()]*\)\s*$", "", regex=True)))
    unknown = named[~known & ~named.str.fullmatch(r"[A-Z0-9&.\-]+")]  # not an acronym: 'TU', 'WCS'
    if len(unknown) and found is not None:
        common = unknown.value_counts()
        listed = ", ".join(f"'{word}' ({n})" for word, n in common.head(6).items())
        found.append(
            f"--partners-col '{column}': {len(unknown)} partner(s) have a type sdg-align does "
            f"not know ({listed}{', ...' if len(common) > 6 else ''}); they count as partners "
            "but not in the public-private mix. Known: company, sme, startup, industry, "
            "cooperative (private); public, university, research, education, municipality "
            "(public); ngo, association, chamber, foundation (neither), and these in German, "
            "French, Italian, Spanish, Portuguese, Dutch, Polish and Swedish (docs/profile.md "
            "lists them)"
        )
    table = pd.DataFrame(
        {
            "owner": owner,
            "country": country,
            "private": kind.isin(PRIVATE_TYPES),
            "public": kind.isin(PUBLIC_TYPES),
        }
    )
    by_owner = table.groupby("owner")
    rows = pd.RangeIndex(len(text))
    counts = by_owner.size().reindex(rows, fill_value=0).to_numpy(dtype=int, copy=True)
    counts[counted.to_numpy()] = as_number[counted].to_numpy(dtype=int)
    countries = by_owner["country"].nunique().reindex(rows, fill_value=0).to_numpy(dtype=int)
    private = by_owner["private"].any().reindex(rows, fill_value=False).to_numpy(dtype=bool)
    public = by_owner["public"].any().reindex(rows, fill_value=False).to_numpy(dtype=bool)
    typed = kind.notna().mean() if len(kind) else 0.0
    if 0 < typed < 0.5 and found is not None:  # 5 typed of 97 partners gave a 'mix' of 3%
        found.append(
            f"--partners-col '{column}': only {int(kind.notna().sum())} of {len(kind)} partners "
            "have a type sdg-align knows, too few for the public-private mix: it is not shown"
        )
    return Partners(
        "list",
        counts,
        countries if country.notna().any() else None,
        (private & public) if typed >= 0.5 else None,
        ~counted.to_numpy() if counted.any() else None,
    )


def _kind_from_name(names: pd.Series) -> pd.Series:
    """'company' for a name ending in a legal form, 'public' for one that starts as a university
    or a municipality does, else missing (see ``_LEGAL_FORM`` and ``_PUBLIC_NAME``)."""
    names = names.str.strip().str.rstrip(",;")
    kind = pd.Series(pd.NA, index=names.index, dtype=object)
    kind[names.str.contains(_ASSOCIATION_FORM, regex=True)] = "association"
    kind[names.str.contains(_PUBLIC_NAME, regex=True)] = "public"  # 'DLR e.V.' is research
    kind[names.str.contains(_LEGAL_FORM, regex=True)] = "company"
    return kind


def group_labels(series: pd.Series) -> np.ndarray:
    labels = text_cells(series).str.strip()
    return labels.where(labels != "", BLANK_GROUP).to_numpy(dtype=object)


_JOINER = re.compile(r"\s*[&/+]\s*|\s+(?:and|und|et|y|e|i|en|och|oraz|og)\s+")


def merge_group_spellings(series: pd.Series, column: str) -> tuple[pd.Series, str | None]:
    """Group names that differ only in case, spacing or joiners ('North', 'north ', 'NORTH'; 'R&D',
    'R and D') as one group,
    spelt as most rows spell it, and the warning that says so. Typed by hand, one cluster became
    three groups, each with its own shares and gaps."""
    written = text_cells(series).str.strip()
    labels = written.str.replace(r"\s+", " ", regex=True)
    # '&', '/', '+' and 'and' in the languages read join the same words: 'Wasserstoff &
    # Brennstoffzelle', 'Wasserstoff/Brennstoffzelle' and '... und ...' were three groups
    keys = labels.str.casefold().str.replace(_JOINER, " & ", regex=True)
    spellings = labels[labels != ""].groupby(keys[labels != ""], sort=False)
    chosen = {key: names.value_counts().index[0] for key, names in spellings}
    merged = {
        chosen[key]: sorted(set(written[keys == key]))
        for key, names in spellings
        if names.nunique() > 1
    }
    if not merged:
        return series, None
    named = "; ".join(
        f"{', '.join(repr(n) for n in names)} as '{name}'"
        for name, names in list(merged.items())[:3]
    )
    more = "; ..." if len(merged) > 3 else ""
    warning = (
        f"--by '{column}': group names that differ only in case, spacing or how they join words "
        f"('&', '/', 'and') are read as one group ({named}{more})"
    )
    return keys.map(chosen).fillna("").where(labels != "", ""), warning


@dataclass
class Projects:
    """The scored rows as arrays, one row per project kept."""

    tags: np.ndarray  # bool (n, 17)
    probs: np.ndarray  # float (n, 17)
    primary: np.ndarray  # int (n,), 0 = none
    rows: np.ndarray  # 1-based row numbers in the input
    ids: list[str] | None
    titles: list[str] | None
    evidence: list[Any] | None
    groups: np.ndarray | None
    weights: np.ndarray | None  # 0 where the cell was blank or unreadable (see weight_known)
    weight_known: np.ndarray | None
    periods: np.ndarray | None
    partners: Partners | None
    # True where a person's labels replaced the model's tags (profile --corrections)
    labelled: np.ndarray | None = None
    # True where that person's project was picked at random (an audit), and the model's own
    # probabilities of every project (kept by the corrections beside the person's labels)
    audited: np.ndarray | None = None
    model_probs: np.ndarray | None = None
    bad_evidence: set[int] = field(default_factory=set)  # rows whose evidence is not JSON


@dataclass
class ProfileInput:
    """A checked input: the projects kept, and what was left out and why."""

    columns: ProfileColumns  # with id and title columns resolved
    projects: Projects
    rows: int  # rows in the input
    failed: np.ndarray  # bool per input row: a non-empty error cell
    all_groups: np.ndarray | None  # the group of every input row, kept or not
    excluded_rows: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)


def _repeated_ids(ids: Sequence[str], column: str) -> list[str]:
    """A warning when a project id names several rows: each row counts as a project, so a project
    pasted twice counts twice (review refuses such a table; a profile can still be read)."""
    seen: dict[str, list[int]] = {}
    for row, project in enumerate(ids, start=1):
        if project.strip():
            seen.setdefault(project.strip(), []).append(row)
    repeated = {project: rows for project, rows in seen.items() if len(rows) > 1}
    if not repeated:
        return []
    named = "; ".join(
        f"'{project}' in rows {', '.join(map(str, rows))}"
        for project, rows in list(repeated.items())[:3]
    )
    more = "; ..." if len(repeated) > 3 else ""
    return [
        f"column '{column}' names {len(repeated)} project(s) in more than one row ({named}{more}); "
        "each row counts as a project: remove the copies if they are the same project"
    ]


# the columns score and --corrections add to a table: the rest are the user's own
_ADDED = frozenset(
    {*SCORED_COLS, "primary_sdg", "windows", "error", "evidence"}
    | {*MODEL_PROBABILITY_COLUMNS, CORRECTED_COLUMN, AUDIT_COLUMN}
)


def _repeated_rows(frame: pd.DataFrame) -> list[str]:
    """The warning for rows that repeat another row in every input cell, in a table without an
    id column: a project pasted twice counted twice (its budget too) without a word."""
    inputs = frame[[c for c in frame.columns if c not in _ADDED]]
    if inputs.empty or not len(inputs.columns):
        return []
    text = inputs.apply(text_cells)
    repeated = text.duplicated(keep="first") & ~blank_rows(inputs)
    if not repeated.any():
        return []
    rows = [str(i + 1) for i in np.flatnonzero(repeated.to_numpy())]
    more = ", ..." if len(rows) > 5 else ""
    return [
        f"{len(rows)} row(s) repeat an earlier row in every cell (row {', '.join(rows[:5])}{more}); "
        "each counts as a project: remove the copies if they are the same project"
    ]


def _blank_input_rows(frame: pd.DataFrame) -> np.ndarray:
    """True for rows whose input cells (not those score added) are all empty: no project."""
    inputs = [c for c in frame.columns if c not in _ADDED]
    return blank_rows(frame[inputs]) if inputs else np.zeros(len(frame), dtype=bool)


def _without_trailing_blank_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The table without the rows at its end whose input cells are all empty (spreadsheets
    export ';;;;' lines there); they showed as failed projects. Rows further up stay, so every
    other row keeps its number."""
    blank = _blank_input_rows(frame)
    if blank.all():  # nothing but blank rows: the usual 'no row was scored' error says so
        return frame, 0
    kept = len(blank) - int(np.argmin(blank[::-1]))
    return frame.iloc[:kept], len(frame) - kept


def read_input(
    frame: pd.DataFrame,
    columns: ProfileColumns,
    exchange_rates: Mapping[str, float] | None = None,
) -> ProfileInput:
    """Check a scored table and parse every column the profile uses; errors name columns and rows.

    ``exchange_rates`` ({'PLN': 0.23}: one zloty in the budgets' main currency) converts the
    budgets that name those currencies (see :func:`read_weights`)."""
    if len(frame) == 0:
        raise DataError("the input has no rows")
    missing = [c for c in SCORED_COLS if c not in frame.columns]
    if missing:
        raise DataError(
            f"the input lacks the scored column(s) {', '.join(missing)}; the input has: "
            f"{', '.join(map(str, frame.columns))}. Score it with `sdg-align score` first, or give "
            "raw text columns with --text-col."
        )
    columns.check(frame)
    columns = columns.resolve(frame)
    frame = frame.reset_index(drop=True)
    found: list[str] = []
    frame, trailing = _without_trailing_blank_rows(frame)
    if trailing:
        found.append(
            f"{trailing} row{'s' if trailing > 1 else ''} at the end of the table with every cell "
            "empty (a spreadsheet's blank lines) left out: no project"
        )
    if columns.by:
        frame[columns.by], merged = merge_group_spellings(frame[columns.by], columns.by)
        found.extend([merged] if merged else [])
    all_ids = text_cells(frame[columns.id_col]).tolist() if columns.id_col else None
    # a blank line further up is no project either: it showed as a failed row and a '(blank)'
    # group; it is left out and counted, and every other row keeps its number
    blank = _blank_input_rows(frame)
    if blank.any() and not blank.all():
        where = ", ".join(str(i + 1) for i in np.flatnonzero(blank)[:5])
        found.append(
            f"{int(blank.sum())} row(s) with every cell empty (row {where}"
            f"{', ...' if blank.sum() > 5 else ''}) left out: no project"
        )
    else:
        blank = np.zeros(len(frame), dtype=bool)
    failed = (
        (text_cells(frame["error"]).str.strip() != "").to_numpy() & ~blank
        if "error" in frame.columns
        else np.zeros(len(frame), dtype=bool)
    )
    excluded_rows = [
        {
            "row": int(pos) + 1,
            "id": all_ids[pos] if all_ids else None,
            "error": str(frame.at[pos, "error"]),
        }
        for pos in np.flatnonzero(failed)[:MAX_LISTED_ERRORS]
    ]
    kept = frame[~failed & ~blank].reset_index(drop=True)
    if kept.empty:
        first = excluded_rows[0]["error"]
        raise DataError(
            f"none of the {len(frame)} rows was scored; every row has an error (row 1: {first!r})"
        )
    if all_ids is not None and columns.id_col is not None:
        found.extend(_repeated_ids(all_ids, columns.id_col))
    else:
        found.extend(_repeated_rows(frame))
    return ProfileInput(
        columns=columns,
        projects=_parse_projects(
            kept, np.flatnonzero(~failed & ~blank) + 1, columns, found, exchange_rates or {}
        ),
        rows=len(frame) - int(blank.sum()),
        failed=failed,
        all_groups=group_labels(frame[columns.by]) if columns.by else None,
        excluded_rows=excluded_rows,
        warnings=found,
    )


def read_weights(
    series: pd.Series,
    column: str,
    rows: RowNames,
    found: list[str],
    exchange_rates: Mapping[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Weights (0 where unknown) and which are known; skipped cells are counted in ``found``.

    A cell that names a currency of ``exchange_rates`` is converted at its rate into the main
    currency (the one without a rate; a cell naming none is taken to be in it): zloty and euro
    budgets were added up as written, with only a warning.
    """
    weights = parse_weights(series)
    known = ~(weights.blank | weights.bad)
    values = weights.values.copy()
    rates = {code.upper(): rate for code, rate in (exchange_rates or {}).items()}
    currencies = weights.currencies or [None] * len(values)
    converted: Counter[str] = Counter()
    for index, code in enumerate(currencies):
        if code in rates and known[index]:
            values[index] *= rates[code]
            converted[code] += 1
    if converted:
        found.append(
            f"--weight-col '{column}': "
            + ", ".join(
                f"{n} budget{'' if n == 1 else 's'} in {code} converted at {rates[code]:g}"
                for code, n in converted.most_common()
            )
            + " (--exchange-rate) into the main currency"
        )
    unused = sorted(set(rates) - set(converted))
    if unused:
        found.append(
            f"--exchange-rate {', '.join(unused)}: no budget of '{column}' names "
            f"{'that currency' if len(unused) == 1 else 'those currencies'}"
        )
    if not known.any():
        raise DataError(
            f"--weight-col column '{column}' holds no number we can read; found "
            + rows.where(weights.bad | weights.blank, series)
            + ". Choose a budget column with --weight-col (1200, 80.000 €, 1,2 Mio. all read)."
        )
    effect = "they count in every figure except the weighted ones"
    if weights.blank.any():
        count = int(weights.blank.sum())
        found.append(
            f"--weight-col '{column}': {count} of {len(series)} scored rows have no value "
            f"({rows.where(weights.blank, series)}); {effect}"
        )
    if weights.bad.any():
        count = int(weights.bad.sum())
        found.append(
            f"--weight-col '{column}': {count} of {len(series)} scored rows are not an amount "
            f"we can read (a number of at least 0, with a currency and a scale such as 'Mio' "
            f"or 'k' if any) ({rows.where(weights.bad, series)}); {effect}"
        )
    if weights.ambiguous.any():
        example = series[weights.ambiguous].iloc[0]
        value = weights.values[weights.ambiguous][0]
        found.append(
            f"--weight-col '{column}': {int(weights.ambiguous.sum())} cell(s) with one mark before "
            f"three digits were read as decimals, because the column writes decimals that way "
            f"({rows.where(weights.ambiguous, series)}): '{example}' is {value:g}; if they mean "
            "thousands, write them without the mark"
        )
    named = Counter(
        c for c, k in zip(currencies, known, strict=False) if c and k and c not in rates
    )
    if len(named) > 1:
        others = [code for code, _ in named.most_common()][1:]
        found.append(
            f"--weight-col '{column}': the budgets name {len(named)} currencies ("
            + ", ".join(
                f"{code} in {count} row{'' if count == 1 else 's'}"
                for code, count in named.most_common()
            )
            + "); they are added up as written: convert them to one currency first, or give "
            + " ".join(f"--exchange-rate {code}=RATE" for code in others)
            + f" (one {others[0]} in {named.most_common(1)[0][0]})"
        )
    return np.where(known, values, 0.0), known


def model_probabilities(kept: pd.DataFrame, where: RowNames) -> np.ndarray | None:
    """The model's own probabilities, which corrections keep beside a person's labels."""
    if not all(c in kept.columns for c in MODEL_PROBABILITY_COLUMNS):
        return None
    return np.column_stack(
        [parse_numbers(kept[c], c, where, low=0.0, high=1.0) for c in MODEL_PROBABILITY_COLUMNS]
    )


def _parse_projects(
    kept: pd.DataFrame,
    rows: np.ndarray,
    columns: ProfileColumns,
    found: list[str],
    exchange_rates: Mapping[str, float],
) -> Projects:
    """Parse and check every column the profile uses on the rows that were scored."""
    ids = text_cells(kept[columns.id_col]).tolist() if columns.id_col else None
    where = RowNames(rows, ids)
    probs = np.column_stack(
        [parse_numbers(kept[c], c, where, low=0.0, high=1.0) for c in PROB_COLS]
    )
    tags = parse_tags(kept["sdgs"], where)
    if "primary_sdg" in kept.columns:
        primary = parse_primary(kept["primary_sdg"], where)
    else:  # the most probable tagged SDG, as `score` defines it
        masked = np.where(tags, probs, -1.0)
        primary = np.where(tags.any(axis=1), masked.argmax(axis=1) + 1, 0)
    weight_col, time_col = columns.weight_col, columns.time_col
    weights, known = (
        read_weights(kept[weight_col], weight_col, where, found, exchange_rates)
        if weight_col
        else (None, None)
    )
    return Projects(
        tags=tags,
        probs=probs,
        primary=primary,
        rows=rows,
        ids=ids,
        titles=text_cells(kept[columns.title_col]).tolist() if columns.title_col else None,
        evidence=kept["evidence"].tolist() if "evidence" in kept.columns else None,
        groups=group_labels(kept[columns.by]) if columns.by else None,
        weights=weights,
        weight_known=known,
        periods=parse_periods(kept[time_col], time_col, where, found) if time_col else None,
        partners=(
            parse_partners(kept[columns.partners_col], columns.partners_col, where, found)
            if columns.partners_col
            else None
        ),
        labelled=yes_column(kept, CORRECTED_COLUMN),
        audited=yes_column(kept, AUDIT_COLUMN),
        model_probs=model_probabilities(kept, where),
    )


def yes_column(kept: pd.DataFrame, name: str) -> np.ndarray | None:
    """A yes/no column that ``apply_corrections`` adds, as booleans (None when it is absent)."""
    from ..data.formats import is_yes

    if name not in kept.columns:
        return None
    column = kept[name]
    if column.dtype == bool:
        return column.to_numpy()
    return np.array([is_yes(value) for value in column], dtype=bool)
