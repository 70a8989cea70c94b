"""Reference prices checked against the prices actually charged before an ad.

`check_reference_prices` checks every reference price ("정가", "was", strike-through) in a frame of ads
against a price history (`adcheck.price_history`); `texts_history_verdicts` does the same for texts
scored by `adcheck score` and `adcheck review`; `run_price_check` is the batch command.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from adcheck.atomic import atomic_output
from adcheck.errors import InputDataError
from adcheck.price_claims import (
    _PRICE_EPSILON,
    NOT_CHECKABLE,
    NOT_SUPPORTED,
    SUPPORTED,
    VERDICT_STATUSES,
    _Offer,
    extract_price_claims,
    group_offers,
)
from adcheck.price_history import (
    HistoryOptions,
    HistoryReport,
    _id_strings,
    _is_normalised,
    _strings,
    _validate_options,
    history_report,
    load_price_history,
    normalise_price_history,
    parse_utc_days,
)
from adcheck.readers import read_table, require_column

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
        return NO_DATE_REASON
    if listing_id[i] == "":
        return NO_LISTING_REASON
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


# the reasons a claim is not checkable because the ad itself lacks its date or listing
NO_DATE_REASON = "the ad's date is missing or unreadable (use YYYY-MM-DD or ISO 8601)"
NO_LISTING_REASON = "the ad has no listing id"

# the per-claim fields a scored text carries (ScoreResult.price_verdicts, review claims)
VERDICT_FIELDS = (
    "claim_text", "claim_start", "claim_end", "reference", "currency", "sale", "stated_percent", "status", "reason",
    "listing_id", "ad_date", "window_start", "window_end", "lowest", "median", "highest", "observations", "rule", "base",
    "true_discount_percent",
)


def _plain(value):
    """A JSON-ready value: NaN / NA become None, NumPy scalars Python ones."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def texts_history_verdicts(texts: list[str], listing_ids: list[str], dates: list[str], history: pd.DataFrame,
                           options: HistoryOptions | None = None) -> list[list[dict]]:
    """For each text, its reference prices checked against `history` (one dict of VERDICT_FIELDS each).

    `listing_ids[i]` and `dates[i]` say which listing text i advertises and when it ran (same rules as
    `check_reference_prices`); a text with no reference price gets an empty list, and one whose listing
    or date is missing gets not_checkable verdicts that say so.
    """
    if not (len(texts) == len(listing_ids) == len(dates)):
        raise ValueError("texts, listing_ids and dates must have the same length")
    verdicts: list[list[dict]] = [[] for _ in texts]
    if not texts:
        return verdicts
    ads = pd.DataFrame({"text": list(texts), "listing_id": [str(v or "") for v in listing_ids], "date": [str(v or "") for v in dates]})
    found = check_reference_prices(ads, history, options)
    for row in found.to_dict("records"):
        if not isinstance(row["claim_text"], str) or not row["claim_text"]:
            continue  # the row that accounts for a text without any reference price
        verdicts[int(row["ad_row"]) - 1].append({key: _plain(row[key]) for key in VERDICT_FIELDS})
    return verdicts


def attach_history_verdicts(results: list, listing_ids: list[str], dates: list[str], history: pd.DataFrame,
                            options: HistoryOptions | None = None) -> list:
    """`ScoreResult`s with `price_verdicts` filled: result i's text advertises `listing_ids[i]` on `dates[i]`."""
    from dataclasses import replace

    found = texts_history_verdicts([r.text for r in results], listing_ids, dates, history, options)
    return [replace(result, price_verdicts=verdicts) for result, verdicts in zip(results, found)]


def describe_verdict(verdict: dict) -> str:
    """One line for people: "not_supported: reference 189,000 KRW was not the price charged: …"."""
    return f"{verdict['status']}: {verdict['reason']}"


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
