"""Price histories: reading and normalising what each listing was charged, day by day.

`load_price_history` / `normalise_price_history` turn a CSV/JSONL/Parquet/XLSX history (listing id,
date or timestamp, price, currency) into one clean frame, with the rules for dates, prices,
currencies and duplicates stated in their docstrings and a `HistoryReport` of what was dropped and why.
`adcheck.prices` checks reference prices against it.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from adcheck.errors import InputDataError
from adcheck.price_claims import (
    _CURRENCY_WORDS,
    _KOREAN,
    _PREFIX,
    _SUFFIX,
    BASE_RULES,
    _currency_code,
    _is_korean_number,
    parse_korean_amount,
    parse_number,
)
from adcheck.readers import read_table, require_column

# --------------------------------------------------------------------------------------------
# Price histories
# --------------------------------------------------------------------------------------------


@dataclass
class HistoryOptions:
    """Column names and rules for a price history.

    `window_days`: days before the ad's date that make the comparison window. `base_rule`: the true base
    price in the window: 'lowest' (Korean and EU rule), 'median', or 'most_common' (closest to US
    'regular price'). `max_gap_days`: how long an observed price is taken to hold without a new
    observation; raise it for change-log histories that have a row only when the price changes.
    `default_currency`: for rows with no currency. `naive_timezone`: zone of timestamps without an
    offset. `max_bad_fraction`: above this share of unusable rows the file, not some rows, is wrong.
    """

    listing_col: str = "listing_id"
    date_col: str = "date"
    price_col: str = "price"
    currency_col: str = "currency"
    window_days: int = 20
    base_rule: str = "lowest"
    max_gap_days: int = 3
    default_currency: str | None = None
    naive_timezone: str = "UTC"
    max_bad_fraction: float = 0.5


# ten years: longer windows mean nothing for a price comparison, and the window arithmetic keys days
# in a range of about a million per listing (adcheck.prices), which a huge window would overrun
MAX_WINDOW_DAYS = 3650


def _validate_options(options: HistoryOptions) -> None:
    if options.base_rule not in BASE_RULES:
        raise InputDataError(f"unknown base rule {options.base_rule!r}; use one of {', '.join(BASE_RULES)}")
    if not isinstance(options.window_days, (int, np.integer)) or not 1 <= options.window_days <= MAX_WINDOW_DAYS:
        raise InputDataError(f"window_days must be a whole number of days from 1 to {MAX_WINDOW_DAYS}, not {options.window_days!r}")
    if not 0 <= options.max_gap_days <= MAX_WINDOW_DAYS:
        raise InputDataError(f"max_gap_days must be from 0 to {MAX_WINDOW_DAYS}, not {options.max_gap_days!r}")
    if not 0 <= options.max_bad_fraction <= 1:
        raise InputDataError(f"max_bad_fraction must be between 0 and 1, not {options.max_bad_fraction!r}")
    try:
        zoneinfo.ZoneInfo(options.naive_timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise InputDataError(f"unknown time zone {options.naive_timezone!r}; use an IANA name such as 'Asia/Seoul' or 'UTC'") from None
    if options.default_currency is not None and _currency_value(options.default_currency) in ("", "?"):
        raise InputDataError(f"unknown default currency {options.default_currency!r}; use an ISO code such as KRW or USD")


_HISTORY_MARK = "adcheck_price_history"
_DATE_PARTS = re.compile(r"^(\d{4})[./-](\d{1,2})[./-](\d{1,2})(.*)$")
_HAS_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")
_HAS_OFFSET = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)


def _strings(values: pd.Series) -> np.ndarray:
    """A column as stripped strings, with missing values as ''."""
    missing = values.isna().to_numpy()
    text = values.astype(str).str.strip().to_numpy(dtype=object)
    text[missing] = ""
    return text


def _map_unique(values: np.ndarray, function) -> np.ndarray:
    """`function` applied to each distinct value once (columns repeat a few values many times)."""
    codes, uniques = pd.factorize(values)
    return np.asarray([function(u) for u in uniques], dtype=object)[codes] if len(values) else np.asarray([], dtype=object)


def _id_strings(values: pd.Series) -> np.ndarray:
    """Listing ids as strings; whole floats (123.0, from a numeric column with gaps) read as '123'."""
    if pd.api.types.is_float_dtype(values):
        array = values.to_numpy(dtype=float, na_value=np.nan)
        return np.asarray(["" if np.isnan(v) else str(int(v)) if v.is_integer() else repr(float(v)) for v in array], dtype=object)
    return _strings(values)


def _iso_date_text(value: str) -> str:
    match = _DATE_PARTS.match(value)
    if not match:
        return value
    year, month, day, rest = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}{rest}"


def parse_utc_days(values: pd.Series, naive_timezone: str = "UTC") -> pd.Series:
    """Dates and timestamps as UTC calendar days (tz-aware midnights; NaT where unreadable).

    Rule: accepted forms are ISO 8601 (2024-03-01, 2024-03-01T10:00:00+09:00, ...Z) and YYYY.MM.DD or
    YYYY/MM/DD. A value with a time of day and an offset is converted to UTC, one without an offset is
    taken in `naive_timezone` and converted; either is then cut to its UTC date. A date without a time
    is that calendar date. Day-first or month-first forms (01/03/2024) are rejected as ambiguous.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = pd.Series(values)
        if stamps.dt.tz is None:
            if bool((stamps.dropna() == stamps.dropna().dt.normalize()).all()):
                return stamps.dt.tz_localize("UTC")
            stamps = stamps.dt.tz_localize(naive_timezone, ambiguous="NaT", nonexistent="NaT")
        return stamps.dt.tz_convert("UTC").dt.floor("D")
    codes, uniques = pd.factorize(pd.Series(_strings(values)))
    texts = pd.Series([_iso_date_text(u) for u in uniques], dtype=object)
    has_time = texts.map(lambda t: bool(_HAS_TIME.match(t)))
    naive = has_time & ~texts.map(lambda t: bool(_HAS_OFFSET.search(t)))
    parsed = pd.to_datetime(texts, format="ISO8601", utc=True, errors="coerce")
    if naive.any() and naive_timezone != "UTC":
        local = pd.to_datetime(texts[naive], format="ISO8601", errors="coerce")
        parsed[naive] = local.dt.tz_localize(naive_timezone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    days = pd.to_datetime(parsed, utc=True).dt.floor("D")
    return pd.Series(days.array.take(codes, allow_fill=True), index=values.index)


def _currency_value(value: str) -> str:
    """ISO code of a currency cell: '' when empty, '?' when unknown; other 3-letter codes pass as given."""
    text = value.strip()
    if not text:
        return ""
    code = _CURRENCY_WORDS.get(text.lower())
    if code:
        return code
    if re.fullmatch(r"[A-Za-z]{3}", text):
        return text.upper()
    return "?"


_PRICE_CELL = re.compile(rf"^(?P<sign>[-−])?\s*(?:(?P<pre>{_PREFIX})\s?)?(?P<sign2>[-−])?\s*(?P<body>.+?)\s*(?P<suf>{_SUFFIX})?$", re.IGNORECASE)


def _split_price_cell(value: str) -> tuple[str, str, bool, str | None]:
    """A price cell as (number text, currency code or '', negative, problem)."""
    match = _PRICE_CELL.match(value)
    if not match or not value:
        return "", "", False, "missing price" if not value else f"unreadable price {value!r}"
    # In a history cell '¥' has no text around it to tell yuan from yen: it is read as JPY.
    currency = _currency_code(match.group("pre") or match.group("suf"), False)[0] or ""
    negative = bool(match.group("sign") or match.group("sign2"))
    return match.group("body"), currency, negative, None


def _read_price(body: str, currency: str) -> tuple[float | None, str | None]:
    if _is_korean_number(body):
        if re.fullmatch(_KOREAN, body):
            return parse_korean_amount(body, currency or None)
        return None, f"unreadable price {body!r}"
    return parse_number(body, currency or None)


@dataclass(frozen=True)
class HistoryReport:
    """What loading a price history kept, dropped and collapsed."""

    rows_read: int
    rows_used: int
    listings: int
    dropped: dict[str, int] = field(default_factory=dict)
    first_problem: str | None = None
    duplicates_collapsed: int = 0
    currencies_filled: int = 0
    out_of_order: bool = False
    currencies: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return asdict(self)


def _history_currencies(frame: pd.DataFrame, options: HistoryOptions, cell_currency: np.ndarray,
                        listing: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Currency per row and a problem per row; rule: column, else price-cell sign, else the listing's only
    currency in its other rows, else `default_currency`, else the row is dropped."""
    n = len(frame)
    if options.currency_col in frame.columns:
        column = _map_unique(_strings(frame[options.currency_col]), _currency_value)
    else:
        column = np.full(n, "", dtype=object)
    problems = np.full(n, "", dtype=object)
    conflict = (column != "") & (cell_currency != "") & (column != cell_currency)
    problems[conflict] = "currency column and price sign disagree"
    problems[column == "?"] = "unknown currency"
    currency = np.where(column != "", column, cell_currency)
    currency[column == "?"] = ""
    missing = currency == ""
    filled = 0
    if missing.any():
        known = pd.DataFrame({"listing": listing[~missing], "currency": currency[~missing]}).drop_duplicates()
        per_listing = known.groupby("listing")["currency"].agg(["first", "size"])
        single = per_listing.loc[per_listing["size"] == 1, "first"]
        guess = pd.Series(listing[missing]).map(single).fillna("").to_numpy(dtype=object)
        if options.default_currency:
            guess = np.where(guess == "", _currency_value(options.default_currency), guess)
        currency[missing] = guess
        filled = int((guess != "").sum())
    problems[(currency == "") & (problems == "")] = "missing currency"
    return currency, problems, filled


def _history_prices(values: pd.Series, currency: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prices as floats, the currency sign in each cell, and a problem per row; parsed once per distinct cell."""
    n = len(values)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        prices = values.to_numpy(dtype=float, na_value=np.nan)
        problems = np.where(np.isnan(prices), "missing price", "").astype(object)
        return prices, np.full(n, "", dtype=object), problems
    cells = _strings(values)
    codes, uniques = pd.factorize(pd.Series(cells))
    split = [_split_price_cell(u) for u in uniques]
    bodies = np.asarray([s[0] for s in split], dtype=object)[codes]
    signs = np.asarray([s[1] for s in split], dtype=object)[codes]
    negative = np.asarray([s[2] for s in split], dtype=bool)[codes]
    problems = np.asarray([s[3] or "" for s in split], dtype=object)[codes]
    # The same cell can read differently by currency (1.234 is 1,234 KRW but ambiguous in USD).
    keys = pd.Series(bodies) + "\x00" + pd.Series(np.where(currency != "", currency, signs))
    kcodes, kuniques = pd.factorize(keys)
    read = [_read_price(*k.split("\x00")) if k.split("\x00")[0] else (None, None) for k in kuniques]
    prices = np.asarray([np.nan if r[0] is None else r[0] for r in read], dtype=float)[kcodes]
    notes = np.asarray([r[1] or "" for r in read], dtype=object)[kcodes]
    problems = np.where((problems == "") & np.isnan(prices), np.where(notes != "", notes, "unreadable price"), problems)
    prices = np.where(negative, -prices, prices)
    return prices, signs, problems


def _problem_key(problem: str) -> str:
    """Problem text without the cell value, for counting."""
    return problem.split(" '")[0].split(" {")[0]


def normalise_price_history(frame: pd.DataFrame, options: HistoryOptions | None = None, *, name: str | None = None) -> pd.DataFrame:
    """Validate and normalise a price history table; see `load_price_history` for the rules."""
    options = options or HistoryOptions()
    _validate_options(options)
    name = name or frame.attrs.get("path", "price history")
    require_column(frame, options.listing_col, "--history-listing-col")
    require_column(frame, options.date_col, "--history-date-col")
    require_column(frame, options.price_col, "--history-price-col")
    if options.currency_col not in frame.columns and not options.default_currency:
        raise InputDataError(
            f"{name}: no column {options.currency_col!r} (columns: {', '.join(map(str, frame.columns))}); "
            "name the currency column or set a default currency"
        )
    n = len(frame)
    listing = _id_strings(frame[options.listing_col])
    days = parse_utc_days(frame[options.date_col], options.naive_timezone)
    prices, signs, price_problems = _history_prices(frame[options.price_col], np.full(n, "", dtype=object))
    currency, currency_problems, filled = _history_currencies(frame, options, signs, listing)
    # Parse again where the currency decides how a cell reads (only the ambiguous ones differ).
    ambiguous = np.zeros(n, dtype=bool)
    flagged = np.flatnonzero(price_problems != "")
    ambiguous[flagged] = [price_problems[i].startswith("ambiguous") for i in flagged]
    if ambiguous.any():
        again, _, again_problems = _history_prices(frame[options.price_col][ambiguous], currency[ambiguous])
        prices[ambiguous], price_problems[ambiguous] = again, again_problems
    problems = np.full(n, "", dtype=object)
    # The first problem of a row is the one reported for it.
    for mask, message in (
        (listing == "", "missing listing id"),
        (days.isna().to_numpy(), "missing or unreadable date (use YYYY-MM-DD or ISO 8601)"),
        (price_problems != "", price_problems),
        (~np.isnan(prices) & (prices <= 0), "non-positive price"),
        (currency_problems != "", currency_problems),
    ):
        problems = np.where((problems == "") & mask, message, problems).astype(object)
    bad = problems != ""
    report_dropped = pd.Series([_problem_key(p) for p in problems[bad]]).value_counts().to_dict() if bad.any() else {}
    first = None
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        first = f"row {row + 1}: {problems[row]}"
    if n == 0:
        raise InputDataError(f"{name}: no rows found")
    if bad.all() or bad.mean() > options.max_bad_fraction:
        counts = ", ".join(f"{k}: {v}" for k, v in report_dropped.items())
        raise InputDataError(
            f"{name}: {int(bad.sum())} of {n} rows unusable ({counts}; first {first}); "
            "fix the file or check the column names, time zone and currency options"
        )
    kept = pd.DataFrame({
        "listing_id": listing[~bad],
        "date": days[~bad].reset_index(drop=True),
        "price": prices[~bad],
        "currency": currency[~bad],
        "row": np.flatnonzero(~bad) + 1,
    })
    out_of_order = bool((kept.groupby("listing_id", sort=False)["date"].diff().dt.days < 0).any())
    # Rows repeating a listing, UTC day, currency and price are one observation; different prices on one day
    # are all kept, as each was charged that day.
    unique = kept.drop_duplicates(["listing_id", "date", "currency", "price"])
    collapsed = len(kept) - len(unique)
    result = unique.sort_values(["listing_id", "date", "price"], kind="stable").reset_index(drop=True)
    report = HistoryReport(
        rows_read=n,
        rows_used=len(result),
        listings=int(result["listing_id"].nunique()),
        dropped={str(k): int(v) for k, v in report_dropped.items()},
        first_problem=first,
        duplicates_collapsed=collapsed,
        currencies_filled=filled,
        out_of_order=out_of_order,
        currencies=tuple(sorted(result["currency"].unique().tolist())),
    )
    result.attrs[_HISTORY_MARK] = report.to_dict()
    return result


def load_price_history(path: Path | str, options: HistoryOptions | None = None) -> pd.DataFrame:
    """Read a price history file (CSV/TSV/JSONL/Parquet) into a validated table.

    Result columns: listing_id (str), date (UTC calendar day, tz-aware), price (float, > 0), currency (ISO
    code), row (1-based data row in the file), sorted by listing and date; `attrs['adcheck_price_history']`
    holds a `HistoryReport` dict. Rules: dates as in `parse_utc_days`; prices as in `parse_number` (with
    the row's currency deciding 1.234); zero and negative prices are dropped (a 0 is a data error or a
    give-away, never a price charged for the comparison); currency from the column, else the price cell's
    sign, else the listing's only currency, else `default_currency`; unusable rows are dropped and
    counted, and more than `max_bad_fraction` of them (or all) is an error; exact duplicates (listing, UTC
    day, currency, price) collapse to one row; unsorted rows are sorted.
    """
    frame = read_table(Path(path))
    return normalise_price_history(frame, options, name=str(path))


def history_report(history: pd.DataFrame) -> HistoryReport | None:
    data = history.attrs.get(_HISTORY_MARK)
    if not data:
        return None
    return HistoryReport(**{**data, "currencies": tuple(data.get("currencies", ()))})


def _is_normalised(frame: pd.DataFrame) -> bool:
    needed = {"listing_id", "date", "price", "currency"}
    return (
        _HISTORY_MARK in frame.attrs
        and needed <= set(frame.columns)
        and isinstance(frame["date"].dtype, pd.DatetimeTZDtype)
        and pd.api.types.is_float_dtype(frame["price"])
    )


