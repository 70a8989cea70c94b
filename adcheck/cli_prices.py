"""Price-history options shared by `adcheck score`, `adcheck review` and `adcheck prices`, and the
`prices` command itself (a thin shell over `adcheck.prices`). `register(app)` adds the command.

The history's columns (`--history-listing-col` ...) and the window rules (`--window-days`,
`--base-rule`, `--max-gap-days`) mean the same in every command, so they are declared once here.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from adcheck.errors import AdcheckError


class BaseRule(str, Enum):
    lowest = "lowest"
    median = "median"
    most_common = "most_common"


HistoryListingCol = Annotated[str, typer.Option("--history-listing-col", help="Price history: listing id column.")]
HistoryDateCol = Annotated[str, typer.Option("--history-date-col", help="Price history: date or timestamp column.")]
HistoryPriceCol = Annotated[str, typer.Option("--history-price-col", help="Price history: price charged column.")]
HistoryCurrencyCol = Annotated[str, typer.Option("--history-currency-col", help="Price history: currency column.")]
WindowDays = Annotated[int, typer.Option("--window-days", min=1, max=3650, help="Days before the ad's date that form the comparison window.")]
BaseRuleOption = Annotated[BaseRule, typer.Option("--base-rule", help="The true base price in the window (lowest: the Korean and EU rule).")]
MaxGapDays = Annotated[int, typer.Option("--max-gap-days", min=0, max=3650, help="How long an observed price holds without a new observation.")]


def history_options(listing_col: str = "listing_id", date_col: str = "date", price_col: str = "price", currency_col: str = "currency",
                    window_days: int = 20, base_rule: BaseRule = BaseRule.lowest, max_gap_days: int = 3):
    """The `adcheck.price_history.HistoryOptions` the options above describe."""
    from adcheck.price_history import HistoryOptions

    return HistoryOptions(listing_col=listing_col, date_col=date_col, price_col=price_col, currency_col=currency_col,
                          window_days=window_days, base_rule=BaseRule(base_rule).value, max_gap_days=max_gap_days)


def describe_history(report) -> str | None:
    """One stderr line on what a history lost in normalisation, or None when nothing was dropped."""
    if report is None or not (report.dropped or report.duplicates_collapsed):
        return None
    dropped = ", ".join(f"{v:,} {k}" for k, v in report.dropped.items()) or "none"
    return (f"price history: {report.rows_used:,} of {report.rows_read:,} rows used; dropped: {dropped}; "
            f"{report.duplicates_collapsed:,} duplicates collapsed"
            + (f" (first problem: {report.first_problem})" if report.first_problem else ""))


def _err(message: str) -> None:
    typer.echo(message, err=True)


def prices_command(
    ads: Annotated[Path, typer.Option("--ads", help="Ads file (CSV/JSONL/Parquet) with listing id, date and text.", dir_okay=False)],
    history: Annotated[Path, typer.Option("--history", help="Price history: listing id, date or timestamp, price charged, currency.", dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Findings CSV to write (one row per reference-price claim, every ad accounted for).", dir_okay=False)],
    text_col: Annotated[str, typer.Option("--text-col", help="Column holding the text.")] = "text",
    listing_col: Annotated[str, typer.Option("--listing-col", help="Ads: listing id column.")] = "listing_id",
    date_col: Annotated[str, typer.Option("--date-col", help="Ads: date column.")] = "date",
    history_listing_col: HistoryListingCol = "listing_id",
    history_date_col: HistoryDateCol = "date",
    history_price_col: HistoryPriceCol = "price",
    history_currency_col: HistoryCurrencyCol = "currency",
    window_days: WindowDays = 20,
    base_rule: BaseRuleOption = BaseRule.lowest,
    max_gap_days: MaxGapDays = 3,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing --out file.")] = False,
) -> None:
    """Check reference prices ("정가", "was", strike-through) against the prices actually charged.

    Example: adcheck prices --ads ads.csv --history prices.csv --out findings.csv
    """
    from adcheck.prices import run_price_check

    options = history_options(history_listing_col, history_date_col, history_price_col, history_currency_col,
                              window_days, base_rule, max_gap_days)
    try:
        summary = run_price_check(ads, history, out, text_col=text_col, ad_listing_col=listing_col, ad_date_col=date_col,
                                  history=options, overwrite=overwrite)
    except AdcheckError as exc:
        _err(f"Error: {exc}")
        raise typer.Exit(exc.exit_code) from None
    counts = ", ".join(f"{k} {v:,}" for k, v in summary.counts.items())
    line = describe_history(summary.history)
    if line:
        _err(line)
    _err(f"{summary.ads:,} ads, {summary.reference_claims:,} reference-price claims: {counts}; wrote {summary.out_path}")


def register(app: typer.Typer) -> None:
    app.command("prices")(prices_command)
