"""Price histories: reference prices checked against the prices actually charged before an ad."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from adcheck.atomic import atomic_output
from adcheck.errors import InputDataError
from adcheck.price_claims import (  # noqa: F401  (re-exported: the claims API lives in price_claims)
    _CURRENCY_WORDS,
    _KOREAN,
    _PREFIX,
    _PRICE_EPSILON,
    _SUFFIX,
    BASE_RULES,
    CLAIM_KINDS,
    NOT_CHECKABLE,
    NOT_SUPPORTED,
    SUPPORTED,
    VERDICT_STATUSES,
    ConsistencyFinding,
    PriceClaim,
    _currency_code,
    _is_korean_number,
    _Offer,
    check_consistency,
    extract_price_claims,
    group_offers,
    parse_korean_amount,
    parse_number,
    read_amount,
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


def _validate_options(options: HistoryOptions) -> None:
    if options.base_rule not in BASE_RULES:
        raise InputDataError(f"unknown base rule {options.base_rule!r}; use one of {', '.join(BASE_RULES)}")
    if not isinstance(options.window_days, (int, np.integer)) or options.window_days < 1:
        raise InputDataError(f"window_days must be a whole number of days >= 1, not {options.window_days!r}")
    if options.max_gap_days < 0:
        raise InputDataError(f"max_gap_days must be >= 0, not {options.max_gap_days!r}")
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


# --------------------------------------------------------------------------------------------
# Reference prices against the history
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryVerdict:
    """The check of one reference price against what the listing was charged before the ad."""

    status: str
    reason: str
    window_start: str | None
    window_end: str | None
    lowest: float | None
    median: float | None
    highest: float | None
    observations: int
    rule: str | None
    true_discount_percent: float | None
    base: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict | pd.Series) -> HistoryVerdict:
        """The verdict of one row of `check_reference_prices`."""
        def value(key):
            item = row[key]
            return None if item is None or (isinstance(item, float) and np.isnan(item)) or item is pd.NA else item

        return cls(
            status=row["status"], reason=row["reason"], window_start=value("window_start"), window_end=value("window_end"),
            lowest=value("lowest"), median=value("median"), highest=value("highest"),
            observations=int(value("observations") or 0), rule=value("rule"),
            true_discount_percent=value("true_discount_percent"), base=value("base"),
        )


FINDING_COLUMNS = (
    "ad_row", "listing_id", "ad_date", "claim_text", "claim_start", "claim_end", "claim_label", "reference", "currency",
    "currency_source", "sale", "stated_percent", "status", "reason", "window_start", "window_end", "lowest", "median",
    "highest", "observations", "rule", "base", "true_discount_percent",
)


@dataclass
class _ClaimRows:
    """Columns of the reference claims of all ads (one entry per claim, or per ad without one)."""

    ad_row: list[int] = field(default_factory=list)
    text: list[str | None] = field(default_factory=list)
    start: list[int | None] = field(default_factory=list)
    end: list[int | None] = field(default_factory=list)
    label: list[str | None] = field(default_factory=list)
    reference: list[float] = field(default_factory=list)
    currency: list[str] = field(default_factory=list)
    currency_source: list[str] = field(default_factory=list)
    sale: list[float] = field(default_factory=list)
    sale_currency: list[str] = field(default_factory=list)
    stated: list[float] = field(default_factory=list)
    problem: list[str] = field(default_factory=list)

    def add(self, ad_row: int, offer: _Offer | None) -> None:
        ref = offer.reference if offer else None
        sale = offer.sale if offer else None
        values = {
            "ad_row": ad_row,
            "text": ref.text if ref else None,
            "start": ref.start if ref else None,
            "end": ref.end if ref else None,
            "label": ref.label if ref else None,
            "reference": np.nan if ref is None or ref.amount is None else ref.amount,
            "currency": (ref.currency or "") if ref else "",
            "currency_source": "" if ref is None or not ref.currency else "ad text" if ref.currency_inferred else "stated",
            "sale": np.nan if sale is None or sale.amount is None else sale.amount,
            "sale_currency": (sale.currency or "") if sale else "",
            "stated": np.nan if offer is None or offer.discount is None else offer.discount.percent,
            "problem": "no reference price found in the ad text" if ref is None
            else "" if ref.amount is not None else f"reference amount unreadable: {ref.note}",
        }
        for name, value in values.items():
            getattr(self, name).append(value)


def _collect_claims(texts: list[str]) -> _ClaimRows:
    rows = _ClaimRows()
    for index, text in enumerate(texts):
        offers = [o for o in group_offers(extract_price_claims(text)) if o.reference is not None]
        if not offers:
            rows.add(index + 1, None)
        for offer in offers:
            rows.add(index + 1, offer)
    return rows


def _day_numbers(days: pd.Series) -> np.ndarray:
    """UTC days as integers (days since 1970-01-01), with a sentinel for NaT."""
    values = days.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[D]")
    numbers = values.astype("int64")
    numbers[np.isnat(values)] = np.iinfo(np.int64).min
    return numbers


_NO_DAY = np.iinfo(np.int64).min
# Day numbers are shifted so keys stay positive; listing codes are multiplied past any day.
_DAY_SHIFT = 1 << 20
_KEY_STRIDE = 1 << 22


@dataclass
class _WindowStats:
    """Per claim: the window's observations and their statistics (NaN / 0 where none)."""

    observations: np.ndarray
    lowest: np.ndarray
    median: np.ndarray
    highest: np.ndarray
    mode: np.ndarray
    currency: np.ndarray  # code into the history's currency list, -1 none, -2 several
    stale_days: np.ndarray  # longest run of window days with no price known to hold (inf: window start not covered)
    last_before: np.ndarray  # day number of the latest observation before the window (for reasons)
    first_observed: np.ndarray  # day number of the window's first observation (NaN where none)


def _window_stats(claim_code: np.ndarray, claim_day: np.ndarray, valid: np.ndarray, history: pd.DataFrame,
                  options: HistoryOptions, listing_index: pd.Index) -> _WindowStats:
    """Statistics of each claim's window, computed for all claims at once.

    History rows are keyed (listing code, day) in one sorted int64 array; each window is a contiguous
    slice found with searchsorted, the slices are flattened into one frame and reduced with groupby.
    """
    n = len(claim_code)
    if history.empty:
        history = pd.DataFrame({"listing_id": [""], "date": pd.to_datetime(["1970-01-01"], utc=True), "price": [np.nan],
                                "currency": [""]})  # one unmatched row keeps the array code below free of special cases
    h_code = listing_index.get_indexer(history["listing_id"]).astype(np.int64)
    h_day = _day_numbers(history["date"])
    h_price = history["price"].to_numpy(dtype=float)
    h_cur, _ = pd.factorize(history["currency"], sort=True)
    order = np.lexsort((h_price, h_day, h_code))
    h_code, h_day, h_price, h_cur = h_code[order], h_day[order], h_price[order], h_cur[order]
    keys = h_code * _KEY_STRIDE + (h_day + _DAY_SHIFT)

    first_day = claim_day - options.window_days
    last_day = claim_day - 1
    base_key = claim_code * _KEY_STRIDE + _DAY_SHIFT
    lo = np.searchsorted(keys, base_key + first_day, "left")
    hi = np.searchsorted(keys, base_key + last_day, "right")
    prev = lo - 1
    has_prev = valid & (prev >= 0) & (h_code[np.maximum(prev, 0)] == claim_code)
    last_before = np.where(has_prev, h_day[np.maximum(prev, 0)], _NO_DAY)
    # The latest price before the window still held when the window opened, if it is recent enough; it is
    # needed only when nothing was observed on the window's first day.
    opens_observed = (lo < hi) & (h_day[np.minimum(lo, len(h_day) - 1)] == first_day) if len(h_day) else np.zeros(n, bool)
    carry = has_prev & (first_day - last_before <= options.max_gap_days) & ~opens_observed
    carry_start = np.searchsorted(keys, keys[np.maximum(prev, 0)], "left")
    start = np.where(carry, carry_start, lo)
    lengths = np.where(valid, hi - start, 0)

    total = int(lengths.sum())
    owner = np.repeat(np.arange(n), lengths)
    position = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(start, lengths)
    flat = pd.DataFrame({"owner": owner, "price": h_price[position], "cur": h_cur[position], "day": h_day[position]})
    grouped = flat.groupby("owner", sort=True)
    stats = grouped.agg(
        obs=("price", "size"), lowest=("price", "min"), highest=("price", "max"), median=("price", "median"),
        cur_min=("cur", "min"), cur_max=("cur", "max"), first=("day", "min"), last=("day", "max"),
    )
    gap = np.diff(flat["day"].to_numpy()) - 1
    same = owner[1:] == owner[:-1]
    inner = pd.Series(gap[same]).groupby(owner[1:][same]).max() if total > 1 else pd.Series(dtype=float)

    def spread(column: pd.Series, fill: float) -> np.ndarray:
        out = np.full(n, fill, dtype=float)
        out[column.index.to_numpy()] = column.to_numpy(dtype=float)
        return out

    observations = spread(stats["obs"], 0).astype(int)
    first_obs = spread(stats["first"], np.nan)
    last_obs = spread(stats["last"], np.nan)
    stale = np.maximum(spread(inner, 0), last_day - last_obs)
    stale = np.where(first_obs > first_day, np.inf, stale)
    currency = np.where(stats["cur_min"] == stats["cur_max"], stats["cur_min"], -2)
    return _WindowStats(
        observations=observations,
        lowest=spread(stats["lowest"], np.nan),
        median=spread(stats["median"], np.nan),
        highest=spread(stats["highest"], np.nan),
        mode=_window_modes(flat, n) if options.base_rule == "most_common" else np.full(n, np.nan),
        currency=spread(pd.Series(currency, index=stats.index), -1).astype(int),
        stale_days=stale,
        last_before=last_before,
        first_observed=first_obs,
    )


def _window_modes(flat: pd.DataFrame, n: int) -> np.ndarray:
    """Most often charged price per window; ties go to the lower price (the conservative base)."""
    modes = np.full(n, np.nan)
    if flat.empty:
        return modes
    counts = flat.groupby(["owner", "price"]).size().reset_index(name="count")
    counts = counts.sort_values(["owner", "count", "price"], ascending=[True, False, True]).drop_duplicates("owner")
    modes[counts["owner"].to_numpy()] = counts["price"].to_numpy()
    return modes


def _money(value: float, currency: str | None) -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return f"{text} {currency}" if currency else text


def _iso_day(number: int) -> str:
    return str(np.datetime64(int(number), "D"))


_RULE_TEXT = {"lowest": "lowest", "median": "median", "most_common": "most common"}


def _verdict_reason(status: str, ref: float, cur: str, base: float, rule: str, lows: tuple[float, float, float],
                    obs: int, window: str, true_discount: float, stated: float, implied: bool, assumed: str) -> str:
    lowest, median, highest = lows
    figures = f"lowest {_money(lowest, cur)}, median {_money(median, cur)}, highest {_money(highest, cur)}; {obs} observation(s)"
    if rule == "only_price":
        base_text = f"the only price charged in {window} ({_money(base, cur)})"
    else:
        base_text = f"the {_RULE_TEXT[rule]} price charged in {window} ({_money(base, cur)})"
    if status == SUPPORTED:
        reason = f"reference {_money(ref, cur)} is not above {base_text}; {figures}"
        if ref < lowest:
            reason += "; the reference is below every price charged, so the real discount is larger than stated"
    else:
        reason = f"reference {_money(ref, cur)} was not the price charged: {base_text} is lower; {figures}"
        if not np.isnan(true_discount):
            claimed = f", not {stated:g}%" if not np.isnan(stated) else ""
            source = " (sale price implied by the stated percent)" if implied else ""
            reason += f"; against that base the discount is {true_discount:.1f}%{claimed}{source}"
    return reason + assumed


def _decide(rows: _ClaimRows, claim_day: np.ndarray, listing_id: np.ndarray, listing_known: np.ndarray, stats: _WindowStats,
            currencies: list[str], options: HistoryOptions) -> dict[str, list]:
    """Status, reason and figures per claim; vectorised inputs, one small Python step per claim for the text."""
    out: dict[str, list] = {k: [] for k in ("status", "reason", "rule", "base", "true_discount_percent", "currency", "currency_source")}
    window_text = f"the {options.window_days} days before the ad"
    for i in range(len(rows.ad_row)):
        ref, cur, source = rows.reference[i], rows.currency[i], rows.currency_source[i]
        status, reason, rule, base, discount = NOT_CHECKABLE, rows.problem[i], None, np.nan, np.nan
        window_cur = currencies[stats.currency[i]] if stats.currency[i] >= 0 else None
        assumed = ""
        if not reason:
            reason = _unavailable(i, claim_day, listing_id, listing_known, stats, cur, window_cur, options)
        if not reason and not cur:
            cur, source = window_cur, "history"
            assumed = f"; the ad states no currency, {window_cur} taken from the listing's history"
        elif source == "ad text":
            assumed = f"; no currency at the figure, {cur} taken from the rest of the ad"
        if not reason:
            rule = options.base_rule if stats.lowest[i] < stats.highest[i] else "only_price"
            base = {"lowest": stats.lowest, "median": stats.median, "most_common": stats.mode}[options.base_rule][i]
            supported = ref <= base * (1 + _PRICE_EPSILON)
            status = SUPPORTED if supported else NOT_SUPPORTED
            sale, implied = rows.sale[i], False
            if np.isnan(sale) or (rows.sale_currency[i] and rows.sale_currency[i] != cur):
                sale, implied = (ref * (1 - rows.stated[i] / 100), True) if not np.isnan(rows.stated[i]) else (np.nan, False)
            discount = (1 - sale / base) * 100 if not np.isnan(sale) else np.nan
            covered = stats.stale_days[i] <= options.max_gap_days
            # Missing days can only lower a window's lowest price, so a reference above the observed lowest
            # stays unsupported; any other verdict needs the whole window observed.
            if not covered and not (status == NOT_SUPPORTED and options.base_rule == "lowest"):
                status, rule, base, discount = NOT_CHECKABLE, None, np.nan, np.nan
                if np.isinf(stats.stale_days[i]):
                    gap = f"no price is known for the window's first days (first observation {_iso_day(stats.first_observed[i])})"
                else:
                    gap = f"the window has {int(stats.stale_days[i])} day(s) in a row without an observed price"
                reason = (f"{gap}, more than max_gap_days={options.max_gap_days}; a lower price may have been charged "
                          "on the missing days")
            else:
                lows = (stats.lowest[i], stats.median[i], stats.highest[i])
                reason = _verdict_reason(status, ref, cur, base, rule, lows, int(stats.observations[i]), window_text,
                                         discount, rows.stated[i], implied, assumed)
        out["status"].append(status)
        out["reason"].append(reason)
        out["rule"].append(rule)
        out["base"].append(base)
        out["true_discount_percent"].append(discount)
        out["currency"].append(cur or None)
        out["currency_source"].append(source or None)
    return out


def _unavailable(i: int, claim_day: np.ndarray, listing_id: np.ndarray, listing_known: np.ndarray, stats: _WindowStats,
                 cur: str, window_cur: str | None, options: HistoryOptions) -> str:
    """Why claim i cannot be checked against the history, or '' when it can."""
    if claim_day[i] == _NO_DAY:
        return "the ad's date is missing or unreadable (use YYYY-MM-DD or ISO 8601)"
    if listing_id[i] == "":
        return "the ad has no listing id"
    if not listing_known[i]:
        return "no price history for this listing"
    if stats.observations[i] == 0:
        last = stats.last_before[i]
        before = f"; latest earlier observation {_iso_day(last)}" if last != _NO_DAY else ""
        return f"no price observed in the {options.window_days} days before the ad{before}"
    if stats.currency[i] == -2:
        return "the listing was charged in several currencies in the window; prices are not converted"
    if cur and window_cur and cur != window_cur:
        return f"the ad states {cur} but the listing was charged in {window_cur}; prices are not converted"
    return ""


def check_reference_prices(ads: pd.DataFrame, history: pd.DataFrame, options: HistoryOptions | None = None, *,
                           text_col: str = "text", ad_listing_col: str = "listing_id", ad_date_col: str = "date") -> pd.DataFrame:
    """Check every reference price in the ads against what its listing was charged before the ad's date.

    One row per reference claim (columns FINDING_COLUMNS), plus one not_checkable row for each ad with no
    reference price, so every ad is accounted for. Rules: the ad's date is a UTC day (`parse_utc_days`);
    the window is the `window_days` days before it (the ad's own day is left out, as the sale price may
    already apply); the latest observation before the window counts if it is at most `max_gap_days` old.
    The base is the window's lowest price (or the median / most common, by `base_rule`); a reference not
    above the base is supported, above it not supported (with the window's figures and the discount
    recomputed against the base, from the stated sale price or else the stated percent). Not checkable:
    no reference amount, no ad date, no history, no observation in the window, several currencies in the
    window, a currency other than the history's, or a window with a run of unobserved days longer than
    `max_gap_days` (except a reference above the observed lowest under 'lowest', which missing days
    cannot rescue). A reference without a currency takes the history's, and the reason says so.
    """
    options = options or HistoryOptions()
    _validate_options(options)
    for column, option in ((text_col, "--text-col"), (ad_listing_col, "--listing-col"), (ad_date_col, "--date-col")):
        require_column(ads, column, option)
    if not _is_normalised(history):
        history = normalise_price_history(history, options)
    texts = _strings(ads[text_col]).tolist()
    ad_listing = _id_strings(ads[ad_listing_col])
    ad_days = _day_numbers(parse_utc_days(ads[ad_date_col], options.naive_timezone))
    rows = _collect_claims(texts)

    index = np.asarray(rows.ad_row) - 1
    claim_listing = ad_listing[index] if len(index) else np.asarray([], dtype=object)
    claim_day = ad_days[index] if len(index) else np.asarray([], dtype=np.int64)
    listing_index = pd.Index(pd.unique(history["listing_id"]))
    claim_code = listing_index.get_indexer(claim_listing).astype(np.int64)
    listing_known = (claim_code >= 0) & (claim_listing != "")
    valid = listing_known & (claim_day != _NO_DAY) & ~np.isnan(np.asarray(rows.reference, dtype=float))
    safe_day = np.where(claim_day == _NO_DAY, 0, claim_day)
    stats = _window_stats(np.where(valid, claim_code, -1), safe_day, valid, history, options, listing_index)
    currencies = sorted(history["currency"].unique().tolist())
    decided = _decide(rows, claim_day, claim_listing, listing_known, stats, currencies, options)

    has_window = claim_day != _NO_DAY
    result = pd.DataFrame({
        "ad_row": rows.ad_row,
        "listing_id": claim_listing,
        "ad_date": [_iso_day(d) if d != _NO_DAY else None for d in claim_day],
        "claim_text": rows.text,
        "claim_start": pd.array(rows.start, dtype="Int64"),
        "claim_end": pd.array(rows.end, dtype="Int64"),
        "claim_label": rows.label,
        "reference": np.asarray(rows.reference, dtype=float),
        "currency": decided["currency"],
        "currency_source": decided["currency_source"],
        "sale": np.asarray(rows.sale, dtype=float),
        "stated_percent": np.asarray(rows.stated, dtype=float),
        "status": decided["status"],
        "reason": decided["reason"],
        "window_start": [_iso_day(d - options.window_days) if ok else None for d, ok in zip(claim_day, has_window)],
        "window_end": [_iso_day(d - 1) if ok else None for d, ok in zip(claim_day, has_window)],
        "lowest": stats.lowest,
        "median": stats.median,
        "highest": stats.highest,
        "observations": stats.observations,
        "rule": decided["rule"],
        "base": np.asarray(decided["base"], dtype=float),
        "true_discount_percent": np.round(np.asarray(decided["true_discount_percent"], dtype=float), 2),
    })
    return result[list(FINDING_COLUMNS)]


# --------------------------------------------------------------------------------------------
# Batch
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceCheckSummary:
    """What `run_price_check` read, found and wrote."""

    ads: int
    rows: int
    reference_claims: int
    counts: dict[str, int]
    history: HistoryReport | None
    out_path: str

    def to_dict(self) -> dict:
        return asdict(self)


def _write_csv_atomic(frame: pd.DataFrame, out: Path) -> None:
    with atomic_output(out) as temporary:
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            frame.to_csv(handle, index=False, lineterminator="\n")


def run_price_check(ads_path: Path | str, history_path: Path | str, out_path: Path | str, *, text_col: str = "text",
                    ad_listing_col: str = "listing_id", ad_date_col: str = "date", history: HistoryOptions | None = None,
                    overwrite: bool = False) -> PriceCheckSummary:
    """`adcheck prices --ads ads.csv --history prices.csv --out findings.csv`: check and write findings as CSV.

    Everything is read and checked before anything is written; the CSV is written to a temporary file
    and renamed over `out_path`, so a failure (malformed history, missing column) leaves no output and
    an existing file is untouched. `history` defaults to `HistoryOptions()`.
    """
    options = history or HistoryOptions()
    out = Path(out_path)
    if out.is_dir():
        raise InputDataError(f"{out}: is a directory; give a file name for the findings")
    if out.exists() and not overwrite:
        raise InputDataError(f"{out}: already exists; pass --overwrite to replace it")
    if not out.parent.exists():
        raise InputDataError(f"{out.parent}: no such folder for the findings; create it first")
    ads = read_table(Path(ads_path))
    for column, option in ((text_col, "--text-col"), (ad_listing_col, "--listing-col"), (ad_date_col, "--date-col")):
        require_column(ads, column, option)
    prices = load_price_history(history_path, options)
    findings = check_reference_prices(ads, prices, options, text_col=text_col, ad_listing_col=ad_listing_col, ad_date_col=ad_date_col)
    _write_csv_atomic(findings, out)
    counts = {status: int((findings["status"] == status).sum()) for status in VERDICT_STATUSES}
    return PriceCheckSummary(
        ads=len(ads),
        rows=len(findings),
        reference_claims=int(findings["claim_text"].notna().sum()),
        counts=counts,
        history=history_report(prices),
        out_path=str(out),
    )
