"""Command line: a thin Typer shell over the adcheck Python API.

Exit codes: 0 success; 1 error (bad input, bad model file, ...); 2 usage error;
3 `--fail-on` gate: at least one text reached the named band.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from adcheck import __version__
from adcheck.cli_prices import (
    BaseRule,
    BaseRuleOption,
    HistoryCurrencyCol,
    HistoryDateCol,
    HistoryListingCol,
    HistoryPriceCol,
    MaxGapDays,
    WindowDays,
    describe_history,
    history_options,
)
from adcheck.errors import AdcheckError

EXIT_GATE = 3
MAX_TEXT_CHARS = 1_000_000

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    help="Find exaggerated or misleading claims in advertising copy (Korean and English).",
)
models_app = typer.Typer(no_args_is_help=True, help="Inspect model folders.")
app.add_typer(models_app, name="models")
data_app = typer.Typer(no_args_is_help=True, help="Check labeled data against the corpus schema and taxonomy.")
app.add_typer(data_app, name="data")


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


class Engine(str, Enum):
    local = "local"
    dask = "dask"


class GateBand(str, Enum):
    high = "high"
    medium = "medium"


class ReportFormat(str, Enum):
    table = "table"
    json = "json"


class SourceHoldout(str, Enum):
    folder = "folder"
    file = "file"
    none = "none"


ModelOption = Annotated[
    Optional[Path],
    typer.Option("--model", "-m", help="Model folder (default: the shipped model).", file_okay=False),
]
TextColOption = Annotated[str, typer.Option("--text-col", help="Column holding the text.")]


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    _err(f"Error: {message}")
    return typer.Exit(code)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"adcheck {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """adcheck scores ad copy for misleading claims and explains each score."""


def _load(model_dir: Optional[Path]):
    from adcheck.artifacts import load_model

    return load_model(model_dir)


def _gather_texts(texts: list[str], input_paths: list[Path], text_cols: list[str], id_col: Optional[str],
                  extra_cols: tuple[str, ...] = ()):
    """Texts, ids and the `extra_cols` of each input row (empty for texts from arguments or stdin), from
    arguments, files or stdin (in memory; use --out for archives)."""
    extra: dict[str, list[str]] = {column: [] for column in extra_cols if column is not None}
    if texts and input_paths:
        raise AdcheckError("give texts as arguments or --input FILE, not both")
    if input_paths:
        from adcheck.price_history import _id_strings
        from adcheck.readers import read_table, require_column, text_column

        values: list[str] = []
        ids: list[str] = []
        for path in input_paths:
            if path.is_dir():
                raise AdcheckError(f"{path} is a folder; score folders and archives with --out RESULT")
            frame = read_table(path)
            columns = [text_column(frame, c) for c in text_cols]
            values.extend("\n".join(p for p in parts if p.strip()) for parts in zip(*columns))
            if id_col:
                require_column(frame, id_col, "--id-col")
                ids.extend(str(v) for v in frame[id_col].tolist())
            else:
                prefix = f"{path.name}:" if len(input_paths) > 1 else ""
                ids.extend(f"{prefix}{i + 1}" for i in range(len(frame)))
            for column, option in zip(extra_cols, ("--listing-col", "--date-col")):
                if column is None:
                    continue
                require_column(frame, column, option)
                extra[column].extend(_id_strings(frame[column]).tolist())  # 300.0 in a numeric column with gaps reads 300
        return values, ids, extra
    if texts:
        return list(texts), [str(i + 1) for i in range(len(texts))], extra
    if sys.stdin is None or sys.stdin.isatty():
        raise AdcheckError("no text to score: pass texts as arguments, --input FILE, or pipe text on stdin")
    raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
    from adcheck.readers import decode_bytes

    decoded, _ = decode_bytes(raw, "stdin")
    lines = [line for line in decoded.splitlines() if line.strip()]
    if not lines:
        raise AdcheckError("stdin held no text: pipe one text per line")
    return lines, [str(i + 1) for i in range(len(lines))], extra


@app.command()
def score(
    texts: Annotated[Optional[list[str]], typer.Argument(help="Texts to score (or use --input / stdin).", show_default=False)] = None,
    input_paths: Annotated[
        Optional[list[str]],
        typer.Option("--input", "-i", help="CSV/TSV/JSONL/Parquet/XLSX/text file (optionally .gz/.zst), folder, or zip/tar archive (repeatable); with --engine dask also fsspec URLs."),
    ] = None,
    text_cols: Annotated[Optional[list[str]], typer.Option("--text-col", help="Column(s) holding the text; several are joined (default: text).")] = None,
    id_col: Annotated[Optional[str], typer.Option("--id-col", help="Column holding a row id (else file:row).")] = None,
    out: Annotated[
        Optional[str], typer.Option("--out", "-o", help="Write results to this .csv/.jsonl/.parquet file (streaming, resumable); with --engine dask, a folder of Parquet parts.")
    ] = None,
    engine: Annotated[Engine, typer.Option("--engine", help="local (this machine) or dask (a Dask cluster; pip install 'adcheck[dask]').")] = Engine.local,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Dask scheduler address (default: start a local cluster).")] = None,
    keep_cols: Annotated[Optional[list[str]], typer.Option("--keep-cols", help="Input columns copied to the output (with --out; repeatable).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted --out run.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing --out file.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=0, help="Scoring threads for --out runs, Dask workers with --engine dask (0: all cores).")] = 0,
    chunk_rows: Annotated[int, typer.Option("--chunk-rows", min=1, help="Rows per chunk (the unit of resumption).")] = 4096,
    no_text: Annotated[bool, typer.Option("--no-text", help="Leave the text out of the --out file.")] = False,
    price_claims: Annotated[
        bool, typer.Option("--prices/--no-prices", help="With --out: price claims and the discount arithmetic check as columns (--no-prices: faster, scores only).")
    ] = True,
    price_history: Annotated[
        Optional[Path], typer.Option("--price-history", help="Check reference prices against this price history (see adcheck prices).", dir_okay=False)
    ] = None,
    listing_col: Annotated[str, typer.Option("--listing-col", help="With --price-history and --input: the ads' listing id column.")] = "listing_id",
    date_col: Annotated[str, typer.Option("--date-col", help="With --price-history and --input: the ads' date column.")] = "date",
    listing_id: Annotated[Optional[str], typer.Option("--listing-id", help="With --price-history: the listing every text advertises (texts as arguments, stdin, or a file without that column).")] = None,
    ad_date: Annotated[Optional[str], typer.Option("--ad-date", help="With --price-history: the date every text ran (YYYY-MM-DD).")] = None,
    history_listing_col: HistoryListingCol = "listing_id",
    history_date_col: HistoryDateCol = "date",
    history_price_col: HistoryPriceCol = "price",
    history_currency_col: HistoryCurrencyCol = "currency",
    window_days: WindowDays = 20,
    base_rule: BaseRuleOption = BaseRule.lowest,
    max_gap_days: MaxGapDays = 3,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary on stderr.")] = False,
    model_dir: ModelOption = None,
    output_format: Annotated[
        Optional[OutputFormat], typer.Option("--format", "-f", help="stdout: table/json/jsonl/csv; with --out: csv/jsonl/parquet (default from the extension).")
    ] = None,
    threshold: Annotated[
        Optional[float], typer.Option("--threshold", min=0.0, max=1.0, help="Flag texts at or above this risk (default: the model's medium band).")
    ] = None,
    explain: Annotated[Optional[int], typer.Option("--explain", min=0, max=50, help="Evidence phrases per text (default 5; 3 with --out).")] = None,
    fail_on: Annotated[
        Optional[GateBand], typer.Option("--fail-on", help=f"Exit {EXIT_GATE} if any text reaches this band (for CI gates).")
    ] = None,
) -> None:
    """Score ad texts: risk, band, categories and the phrases behind the score.

    Examples:
      adcheck score "오늘만 90% 할인! 100% 효과 보장" "Free shipping over $35"
      adcheck score --input archive.zip --text-col title --text-col body --out scored.parquet
    """
    columns = list(text_cols or ["text"])
    history_rules = history_options(history_listing_col, history_date_col, history_price_col, history_currency_col,
                                    window_days, base_rule, max_gap_days) if price_history is not None else None
    if (listing_id is not None or ad_date is not None) and price_history is None:
        raise _fail("--listing-id and --ad-date go with --price-history (which listing the texts advertise, and when they ran)", 2)
    if price_history is not None and out is None and not input_paths and (not listing_id or not ad_date):
        raise _fail("--price-history with texts as arguments or on stdin needs --listing-id and --ad-date "
                    "(which listing the texts advertise, and when they ran)", 2)
    if ad_date is not None:
        import pandas as pd

        from adcheck.price_history import parse_utc_days

        if parse_utc_days(pd.Series([ad_date])).isna().iloc[0]:
            raise _fail(f"--ad-date {ad_date!r} is not a date; use YYYY-MM-DD or ISO 8601", 2)
    if out is not None and (listing_id is not None or ad_date is not None):
        raise _fail("--listing-id and --ad-date are for scoring to stdout; with --out the rows carry their own "
                    "--listing-col and --date-col", 2)
    if engine is Engine.dask:
        if price_history is not None:
            raise _fail("--price-history is not available with --engine dask; score with the local engine", 2)
        _score_dask(input_paths or [], out, columns, id_col, list(keep_cols or []), overwrite, jobs, not no_text, quiet,
                    model_dir, threshold, 3 if explain is None else explain, scheduler, price_claims)
        return
    if out is not None:
        _score_batch(
            [Path(p) for p in input_paths or []], Path(out), columns, id_col, list(keep_cols or []), resume, overwrite, jobs,
            chunk_rows, not no_text, quiet, model_dir, output_format, threshold, 3 if explain is None else explain, fail_on,
            price_claims, price_history, listing_col, date_col, history_rules,
        )
        return
    if output_format is OutputFormat.parquet:
        raise _fail("parquet output needs --out FILE", 2)
    output_format = output_format or OutputFormat.table
    explain = 5 if explain is None else explain
    try:
        model = _load(model_dir)
        history = _load_history(price_history, history_rules)
        # file rows carry their own listing and date, unless --listing-id / --ad-date name one for all of them
        join_cols = (None if listing_id else listing_col, None if ad_date else date_col) if history is not None and input_paths else ()
        items, ids, extra = _gather_texts(texts or [], [Path(p) for p in input_paths or []], columns, id_col, join_cols)
        problems = []
        for i, text in enumerate(items):
            if not text.strip():
                problems.append(f"item {ids[i]}: empty or whitespace-only text; give a non-empty ad text")
            elif len(text) > MAX_TEXT_CHARS:
                problems.append(f"item {ids[i]}: {len(text):,} characters, over the {MAX_TEXT_CHARS:,} limit; split it")
        if problems and not input_paths:
            raise AdcheckError(problems[0])
        keep = [i for i, t in enumerate(items) if t.strip() and len(t) <= MAX_TEXT_CHARS]
        for problem in problems:
            _err(f"Warning: skipped {problem}")
        if not keep:
            raise AdcheckError("no scorable text: every item was empty or too long")
        results = model.score([items[i] for i in keep], explain=explain, threshold=threshold, prices=True)
        kept_ids = [ids[i] for i in keep]
        if history is not None:
            from adcheck.prices import attach_history_verdicts

            listings = [extra[listing_col][i] for i in keep] if not listing_id else [listing_id] * len(keep)
            dates = [extra[date_col][i] for i in keep] if not ad_date else [ad_date] * len(keep)
            results = attach_history_verdicts(results, listings, dates, history, history_rules)
    except AdcheckError as exc:
        raise _fail(str(exc), exc.exit_code) from None
    from adcheck import writers

    if output_format is OutputFormat.table:
        bands = model.band_thresholds
        _err(f"model {model.model_id}: high >= {bands['high']:.3f}, medium >= {bands['medium']:.3f}, flag >= {results[0].threshold:.3f}")
        writers.write_table(results, kept_ids)
    elif output_format is OutputFormat.json:
        writers.write_json(results, kept_ids, model.model_id, sys.stdout)
    elif output_format is OutputFormat.jsonl:
        writers.write_jsonl(results, kept_ids, sys.stdout)
    else:
        writers.write_csv(results, kept_ids, sys.stdout)
    _gate([r.band for r in results], fail_on)


def _load_history(path: Optional[Path], rules):
    """The normalised price history for `score` without --out, or None; says on stderr what it dropped."""
    if path is None:
        return None
    from adcheck.price_history import history_report, load_price_history

    history = load_price_history(path, rules)
    line = describe_history(history_report(history))
    if line:
        _err(line)
    return history


def _gate(bands: list[str], fail_on: Optional[GateBand]) -> None:
    if fail_on is None:
        return
    order = {"high": 2, "medium": 1, "low": 0, "": -1}
    reached = sum(1 for band in bands if order.get(band, -1) >= order[fail_on.value])
    if reached:
        _err(f"{reached} text(s) reached the {fail_on.value} band (exit {EXIT_GATE})")
        raise typer.Exit(EXIT_GATE)


class _Progress:
    """Rows, rate and ETA on one stderr line, redrawn at most twice a second (TTY only)."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, rows: int, done_bytes: int, total_bytes: int, seconds: float) -> None:
        if seconds - self.last < 0.5:
            return
        self.last = seconds
        rate = rows / seconds if seconds > 0 else 0.0
        eta = ""
        if total_bytes and done_bytes and done_bytes < total_bytes:
            eta = f", ETA {seconds * (total_bytes - done_bytes) / done_bytes:,.0f} s"
        sys.stderr.write(f"\r{rows:,} rows, {rate:,.0f} rows/s{eta}   ")
        sys.stderr.flush()


def _score_dask(inputs, out, text_cols, id_col, keep_cols, overwrite, jobs, include_text, quiet, model_dir, threshold,
                explain, scheduler, prices=True) -> None:
    from adcheck.distributed import score_with_dask
    from adcheck.records import ReadOptions

    if not inputs or not out:
        raise _fail("--engine dask needs --input PATH_OR_URL and --out FOLDER_OR_URL", 2)
    try:
        model = _load(model_dir)
        summary = score_with_dask(
            model, list(inputs), out, ReadOptions(text_cols=text_cols, id_col=id_col, keep_cols=keep_cols),
            scheduler=scheduler, explain=explain, threshold=threshold, include_text=include_text, overwrite=overwrite,
            workers=jobs or None, prices=prices,
        )
    except AdcheckError as exc:
        raise _fail(str(exc), exc.exit_code) from None
    if not quiet:
        _err(f"{summary.rows_read:,} rows read: {summary.scored:,} scored, {summary.errored:,} errors; "
             f"wrote {summary.parts} Parquet part(s) to {summary.output}")
    if summary.scored == 0:
        raise _fail("no row could be scored; see the error rows in the output", 1)


def _score_batch(inputs, out, text_cols, id_col, keep_cols, resume, overwrite, jobs, chunk_rows, include_text, quiet,
                 model_dir, output_format, threshold, explain, fail_on, prices=False, price_history=None,
                 listing_col="listing_id", date_col="date", history_rules=None) -> None:
    from adcheck.batch import BatchOptions, run_batch
    from adcheck.records import ReadOptions

    if not inputs:
        raise _fail("--out needs --input PATH (a file, folder or archive)", 2)
    if output_format is not None and output_format.value not in ("csv", "jsonl", "parquet"):
        raise _fail(f"--format {output_format.value} cannot be written to --out; use csv, jsonl or parquet", 2)
    options = BatchOptions(
        inputs=list(inputs), out=out, read=ReadOptions(text_cols=text_cols, id_col=id_col, keep_cols=keep_cols),
        output_format=output_format.value if output_format else None, chunk_rows=chunk_rows, jobs=jobs,
        resume=resume, overwrite=overwrite, threshold=threshold, explain=explain, include_text=include_text, prices=prices,
        price_history=price_history, listing_col=listing_col, date_col=date_col, history_options=history_rules,
    )
    show_progress = not quiet and sys.stderr.isatty()
    try:
        model = _load(model_dir)
        summary = run_batch(model, options, _Progress() if show_progress else None)
    except AdcheckError as exc:
        raise _fail(str(exc), exc.exit_code) from None
    except KeyboardInterrupt:
        _err("\nInterrupted: finished chunks are kept; rerun the same command with --resume to continue.")
        raise typer.Exit(130) from None
    if show_progress:
        _err("")
    if not quiet:
        bands = ", ".join(f"{k} {v:,}" for k, v in summary.bands.items())
        categories = ", ".join(f"{k} {v:,}" for k, v in summary.categories.items()) or "none"
        _err(f"{summary.rows_read:,} rows read: {summary.scored:,} scored, {summary.errored:,} errors, {summary.truncated:,} truncated "
             f"in {summary.seconds:,.1f} s ({summary.rate:,.0f} rows/s)")
        _err(f"bands: {bands}; categories flagged: {categories}")
        if summary.price_verdicts:
            _err("reference prices: " + ", ".join(f"{k} {v:,}" for k, v in summary.price_verdicts.items()))
        for reason, count in summary.errors_by_reason.items():
            _err(f"  error rows: {count:,} x {reason}")
        for skipped in summary.skipped_files:
            _err(f"  skipped file: {skipped}")
        if summary.resumed_chunks:
            _err(f"resumed after {summary.resumed_chunks} finished chunk(s)")
        _err(f"wrote {summary.output} and {summary.manifest}")
    if summary.scored == 0:
        raise _fail("no row could be scored; see the error rows in the output", 1)
    _gate(["high"] * summary.bands.get("high", 0) + ["medium"] * summary.bands.get("medium", 0), fail_on)


@app.command()
def train(
    data: Annotated[Optional[list[Path]], typer.Option("--data", "-d", help="Labeled CSV/JSONL/Parquet file (repeatable).", dir_okay=False)] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Model folder to write.", file_okay=False)] = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="TOML training config (e.g. training/default.toml).", dir_okay=False)] = None,
    text_col: TextColOption = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="Column holding the label.")] = "label",
    positive: Annotated[Optional[list[str]], typer.Option("--positive", help="Label value(s) of the misleading / positive class.")] = None,
    negative: Annotated[Optional[list[str]], typer.Option("--negative", help="Label value(s) of the negative class (else: the one other value).")] = None,
    group_col: Annotated[Optional[str], typer.Option("--group-col", help="Column grouping near-duplicates; groups never split across folds.")] = None,
    categories_col: Annotated[str, typer.Option("--categories-col", help="Column of ';'-separated category codes, used when present.")] = "categories",
    lang_col: Annotated[str, typer.Option("--lang-col", help="Column with the language, used when present (else detected).")] = "lang",
    name: Annotated[Optional[str], typer.Option("--name", help="Model name (prefix of the model id).")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Random seed for folds and solver.")] = None,
    folds: Annotated[Optional[int], typer.Option("--folds", min=2, max=20, help="Cross-validation folds.")] = None,
    c_values: Annotated[Optional[list[float]], typer.Option("--c", help="Regularisation values to try (repeatable).")] = None,
    nb_alpha: Annotated[
        Optional[float], typer.Option("--nb-alpha", min=0.001, help="Scale features by their Naive-Bayes log-count ratio with this smoothing (NBSVM; the shipped model uses 1.0).")
    ] = None,
    source_holdout: Annotated[
        Optional[SourceHoldout], typer.Option("--source-holdout", help="Also hold out each source folder (or file) in turn and report how the model does on sources it never saw (reported only; 'none' turns off the config's).")
    ] = None,
    source_holdout_sets: Annotated[
        Optional[int], typer.Option("--source-sets", min=0, help="Hold the sources out in this many sets of about equal size, each set in turn, instead of one source at a time: far fewer fits on a corpus of many sources (0: each source alone).")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing model folder.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=0, help="Training workers, threads or forked processes (0: all cores); the model is the same for any number.")] = 0,
    checkpoint: Annotated[
        Optional[Path], typer.Option("--checkpoint", help="Keep each cross-validation fold's and held-out source's predictions in this folder as they finish; a run stopped part-way and started again on the same data and settings resumes there, with the same figures.", file_okay=False)
    ] = None,
) -> None:
    """Train a model on labeled data, choosing hyperparameters by grouped cross-validation.

    Example: adcheck train --data labeled.csv --positive misleading --group-col group --out models/mine
    """
    from adcheck.training import across_sources_summary
    from adcheck.training_config import resolve_training_options, run_training

    try:
        options = resolve_training_options(
            config=config, data=data, out=out, text_col=text_col, label_col=label_col, positive=positive,
            negative=negative, group_col=group_col, categories_col=categories_col, lang_col=lang_col,
            name=name, seed=seed, folds=folds, c_values=c_values, nb_alpha=nb_alpha,
            source_holdout=source_holdout.value if source_holdout else None, source_holdout_sets=source_holdout_sets,
        )
        model = run_training(options, overwrite=overwrite, progress=None if quiet else _err, jobs=jobs, checkpoint=checkpoint)
    except AdcheckError as exc:
        raise _fail(str(exc), exc.exit_code) from None
    report = model.metadata["cv"]["report"]["overall"]
    _err(
        f"wrote {options.out} ({model.model_id}): grouped-CV ROC-AUC {report['roc_auc']}, PR-AUC {report['pr_auc']}, "
        f"F1 {report['f1']} at the medium band"
    )
    summary = across_sources_summary(model.metadata["cv"]["report"])
    if summary:
        _err(summary)


@app.command()
def evaluate(
    data: Annotated[list[Path], typer.Option("--data", "-d", help="Labeled file(s) to evaluate on.", dir_okay=False)],
    model_dir: ModelOption = None,
    text_col: TextColOption = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="Column holding the label.")] = "label",
    positive: Annotated[Optional[list[str]], typer.Option("--positive", help="Label value(s) of the positive class.")] = None,
    negative: Annotated[Optional[list[str]], typer.Option("--negative", help="Label value(s) of the negative class.")] = None,
    categories_col: Annotated[str, typer.Option("--categories-col", help="Column of category codes, used when present.")] = "categories",
    lang_col: Annotated[str, typer.Option("--lang-col", help="Column with the language (else detected).")] = "lang",
    threshold: Annotated[Optional[float], typer.Option("--threshold", min=0.0, max=1.0, help="Decision threshold (default: medium band).")] = None,
    output_format: Annotated[ReportFormat, typer.Option("--format", "-f", help="table or json on stdout.")] = ReportFormat.table,
) -> None:
    """Measure a model on labeled data: precision, recall, F1, ROC-AUC, PR-AUC per language and category.

    Example: adcheck evaluate --data held_out.csv --model models/mine
    """
    from adcheck.evaluation import evaluate_model, format_report
    from adcheck.readers import load_labeled

    try:
        model = _load(model_dir)
        labeled = load_labeled(
            list(data), text_col=text_col, label_col=label_col, positive=positive, negative=negative,
            categories_col=categories_col, lang_col=lang_col,
        )
        report = evaluate_model(model, labeled, threshold)
    except AdcheckError as exc:
        raise _fail(str(exc), exc.exit_code) from None
    if output_format is ReportFormat.json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        typer.echo(format_report(report))


@models_app.command("show")
def models_show(
    model_dir: Annotated[Optional[Path], typer.Argument(help="Model folder (default: the shipped model).", file_okay=False)] = None,
    output_format: Annotated[ReportFormat, typer.Option("--format", "-f", help="table or json.")] = ReportFormat.table,
) -> None:
    """Print a model's metadata after verifying its files (default: the promoted or shipped model).

    Example: adcheck models show models/mine
    """
    from adcheck.artifacts import verify_model_dir
    from adcheck.registry import resolve_default_model_dir

    try:
        meta = verify_model_dir(model_dir or resolve_default_model_dir())
    except AdcheckError as exc:
        raise _fail(str(exc), exc.exit_code) from None
    if output_format is ReportFormat.json:
        typer.echo(json.dumps(meta, ensure_ascii=False, indent=2))
        return
    counts = meta.get("training_data", {}).get("counts", {})
    overall = meta.get("cv", {}).get("report", {}).get("overall", {})
    rows = [
        ("model id", meta.get("model_id")),
        ("created", meta.get("created_at")),
        ("adcheck / scikit-learn / numpy / python", " / ".join(str(v) for v in meta.get("versions", {}).values())),
        ("file", f"{meta['artifact']['file']} ({meta['artifact']['bytes']:,} bytes, sha256 {meta['artifact']['sha256']})"),
        ("features", meta.get("feature_count")),
        ("hyperparameters", json.dumps(meta.get("hyperparameters", {}).get("feature_spec", {})) + f" C={meta.get('hyperparameters', {}).get('C')}"),
        ("training rows", f"{counts.get('rows')} ({counts.get('positive')} positive, {counts.get('negative')} negative)"),
        ("languages", json.dumps(counts.get("languages", {}), ensure_ascii=False)),
        ("band thresholds", json.dumps(meta.get("thresholds", {}).get("bands", {}))),
        ("grouped CV", f"ROC-AUC {overall.get('roc_auc')}, PR-AUC {overall.get('pr_auc')}, F1 {overall.get('f1')}"),
        ("parent", meta.get("parent") or "-"),
    ]
    for key, value in rows:
        typer.echo(f"{key:<40} {value}")


@data_app.command("check")
def data_check(
    paths: Annotated[list[Path], typer.Argument(help="Labeled files, or folders searched for .jsonl/.csv/.tsv/.parquet files.")],
    output_format: Annotated[ReportFormat, typer.Option("--format", "-f", help="table (findings and statistics) or json.")] = ReportFormat.table,
    update_card: Annotated[
        Optional[Path], typer.Option("--update-card", help="Rewrite the statistics block of this data card.", dir_okay=False)
    ] = None,
    max_findings: Annotated[int, typer.Option("--max-findings", min=1, help="Findings printed at most.")] = 200,
) -> None:
    """Validate labeled files: schema, labels, categories, duplicates, near-duplicates, balance,
    and note tags against the guideline's closed trigger-word list (warnings).

    Exits 1 when any error is found. Example: adcheck data check training/data/corpus
    """
    from adcheck.datacheck import check_files
    from adcheck.datacheck import update_card as write_card

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in (".jsonl", ".csv", ".tsv", ".parquet")))
        else:
            files.append(path)
    if not files:
        raise _fail("no labeled files found in the given paths")
    report = check_files(files)
    if output_format is ReportFormat.json:
        typer.echo(json.dumps({
            "files": report.files, "rows": report.rows,
            "errors": [f.__dict__ for f in report.errors], "warnings": [f.__dict__ for f in report.warnings],
            "stats": report.stats,
        }, ensure_ascii=False, indent=2))
    else:
        from adcheck.datacheck import render_statistics

        for finding in report.findings[:max_findings]:
            _err(str(finding))
        if len(report.findings) > max_findings:
            _err(f"... and {len(report.findings) - max_findings} more findings")
        typer.echo(render_statistics(report.stats))
    _err(f"{report.rows} rows in {len(files)} file(s): {len(report.errors)} error(s), {len(report.warnings)} warning(s)")
    if report.errors:
        raise typer.Exit(1)
    if update_card is not None:
        try:
            write_card(update_card, report.stats)
        except AdcheckError as exc:
            raise _fail(str(exc), exc.exit_code) from None
        _err(f"updated the statistics in {update_card}")


from adcheck.cli_models import register as _register_loop_commands  # noqa: E402  (commands kept in their own modules)
from adcheck.cli_prices import register as _register_prices  # noqa: E402
from adcheck.cli_review import register as _register_review  # noqa: E402

_register_review(app)
_register_prices(app)
_register_loop_commands(app, models_app)


def run() -> None:
    """Console-script entry point."""
    app()
