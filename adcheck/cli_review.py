"""`adcheck review`: the evidence report over a seized set of documents (a thin shell over
`adcheck.review`). `register(app)` adds the command to the main Typer app.

Exit codes: 0 the review completed (even with unreadable files, which the report lists);
1 nothing could be reviewed, the model could not be loaded or an output could not be written;
2 usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adcheck.cli_prices import (
    BaseRule,
    BaseRuleOption,
    HistoryCurrencyCol,
    HistoryDateCol,
    HistoryListingCol,
    HistoryPriceCol,
    MaxGapDays,
    WindowDays,
    history_options,
)
from adcheck.errors import AdcheckError


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    _err(f"Error: {message}")
    return typer.Exit(code)


def review_command(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders, zip or tar archives of the seized material.", show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="HTML report to write (one self-contained file).", dir_okay=False)] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="The same content as JSON.", dir_okay=False)] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="A flat CSV of all claims (and unread files).", dir_okay=False)] = None,
    model_dir: Annotated[Path | None, typer.Option("--model", "-m", help="Model folder (default: the shipped model).", file_okay=False)] = None,
    threshold: Annotated[float | None, typer.Option("--threshold", min=0.0, max=1.0, help="Flag claims at this risk (default: the model's medium band).")] = None,
    explain: Annotated[int, typer.Option("--explain", min=0, max=20, help="Evidence phrases per claim.")] = 5,
    max_file_mb: Annotated[float, typer.Option("--max-file-mb", min=0.001, help="Largest document read (uncompressed); larger ones are listed as not read.")] = 50.0,
    max_archive_mb: Annotated[float, typer.Option("--max-archive-mb", min=0.001, help="Largest total uncompressed size read from one archive.")] = 500.0,
    max_depth: Annotated[int, typer.Option("--max-depth", min=0, max=10, help="How deep archives (and e-mail attachments) may nest.")] = 3,
    price_history: Annotated[Path | None, typer.Option("--price-history", help="Check reference prices against this price history (see adcheck prices).", dir_okay=False)] = None,
    listings: Annotated[Path | None, typer.Option("--listings", help="With --price-history: CSV/JSONL of path, listing_id, date: which listing each document shows, and when.", dir_okay=False)] = None,
    history_listing_col: HistoryListingCol = "listing_id",
    history_date_col: HistoryDateCol = "date",
    history_price_col: HistoryPriceCol = "price",
    history_currency_col: HistoryCurrencyCol = "currency",
    window_days: WindowDays = 20,
    base_rule: BaseRuleOption = BaseRule.lowest,
    max_gap_days: MaxGapDays = 3,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing output files.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
) -> None:
    """Review seized material (web pages, PDFs, Word files, e-mails, spreadsheets, archives) and
    write an evidence report of the flagged claims.

    Example: adcheck review seized/ dump.zip --out report.html --json report.json --csv claims.csv

    With --price-history prices.csv --listings listings.csv, every reference price ("정가", "was") in a
    document mapped to a listing is checked against what that listing was charged before the ad ran.
    """
    from adcheck.documents import Limits
    from adcheck.report_html import render
    from adcheck.review import ReviewOptions, review, to_csv, to_json, write_atomic

    outputs = [(p, kind) for p, kind in ((out, "html"), (json_out, "json"), (csv_out, "csv")) if p is not None]
    if not outputs:
        raise _fail("nothing to write: pass --out report.html, --json report.json and/or --csv claims.csv", 2)
    if len({p.resolve() for p, _ in outputs}) < len(outputs):
        raise _fail("--out, --json and --csv must name different files", 2)
    for path, _ in outputs:
        if path.exists() and not overwrite:
            raise _fail(f"{path} exists; pass --overwrite to replace it or choose another file")
        if not path.parent.is_dir():
            raise _fail(f"{path.parent}: no such folder for the output {path.name}")
    limits = Limits(max_file_bytes=int(max_file_mb * (1 << 20)), max_archive_bytes=int(max_archive_mb * (1 << 20)), max_depth=max_depth)
    options = ReviewOptions(explain=explain, threshold=threshold, limits=limits)
    if listings is not None and price_history is None:
        raise _fail("--listings goes with --price-history (it says which listing and date each document shows)", 2)
    try:
        from adcheck.artifacts import load_model

        prices = None
        if price_history is not None:
            from adcheck.review_prices import load_review_prices

            rules = history_options(history_listing_col, history_date_col, history_price_col, history_currency_col,
                                    window_days, base_rule, max_gap_days)
            prices = load_review_prices(price_history, listings, rules)
        model = load_model(model_dir)
        report = review(paths, model, options, prices)
    except AdcheckError as exc:
        raise _fail(str(exc), exc.exit_code) from None
    summary = report.summary
    if not quiet:
        bands = ", ".join(f"{k} {v}" for k, v in summary["flagged_by_band"].items())
        _err(f"{summary['documents']} document(s) from {summary['input_files']} input file(s): {summary['documents_read']} read, "
             f"{summary['documents_not_read']} not read; {summary['claims']} claims, {summary['claims_flagged']} flagged ({bands})")
        for entry in summary["not_read"]:
            _err(f"  not read: {entry['path']}: {entry['reason']}")
        if prices is not None:
            counts = ", ".join(f"{k} {v}" for k, v in summary["price_verdicts"].items()) or "none found"
            _err(f"reference prices: {counts}")
            for path in summary["listings_unmatched"]:
                _err(f"  warning: the listings file names {path!r}, which is no document of this review")
    content = {"html": lambda: render(report.to_dict()), "json": lambda: to_json(report), "csv": lambda: to_csv(report)}
    for path, kind in outputs:
        try:
            write_atomic(path, content[kind]())
        except OSError as exc:
            raise _fail(f"{path}: cannot write the {kind} report ({exc.strerror or exc}); check the folder and free space") from None
        if not quiet:
            _err(f"wrote {path}")
    if summary["documents_read"] == 0:
        raise _fail("no document could be reviewed; the report lists why each file was not read")


def register(app: typer.Typer) -> None:
    """Add the `review` command to `app`."""
    app.command("review")(review_command)
