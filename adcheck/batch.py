"""Batch scoring: stream any number of rows through the model into one output file.

Rows are read in order, scored in fixed-size chunks (in worker processes with `jobs` > 1), and each
finished chunk is written to a part file in a sidecar folder (`RESULT.adcheck-partial/`) with a
state file. An interrupted run resumes from the last finished chunk; at the end the parts are
joined into RESULT through a temporary file and a rename, so RESULT appears complete or not at all,
byte-identical whether or not the run was interrupted.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from adcheck import __version__
from adcheck.atomic import atomic_output, write_json_atomic
from adcheck.digest import file_sha256
from adcheck.errors import AdcheckError, InputDataError
from adcheck.records import ReadOptions, Record, SourceReader
from adcheck.results import SCHEMA_VERSION
from adcheck.sources import CountingReader, Source, discover, fingerprint

OUTPUT_FORMATS = ("csv", "jsonl", "parquet")
STATE_FILE = "state.json"
PARTIAL_SUFFIX = ".adcheck-partial"
MANIFEST_SUFFIX = ".manifest.json"
DEFAULT_CHUNK_ROWS = 4096



@dataclass
class BatchOptions:
    inputs: list[Path]
    out: Path
    read: ReadOptions
    output_format: str | None = None
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    jobs: int = 0  # 0 = all cores
    resume: bool = False
    overwrite: bool = False
    threshold: float | None = None
    explain: int = 3
    include_text: bool = True
    prices: bool = True  # add the price claims and the discount arithmetic check (off for the fastest runs)
    price_history: Path | None = None  # check reference prices against the prices charged
    listing_col: str = "listing_id"  # with price_history: the ads' listing id and date columns
    date_col: str = "date"
    history_options: object = None  # adcheck.price_history.HistoryOptions (default when None)


@dataclass
class BatchSummary:
    output: str
    manifest: str
    rows_read: int = 0
    scored: int = 0
    errored: int = 0
    truncated: int = 0
    bands: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)
    errors_by_reason: dict = field(default_factory=dict)
    skipped_files: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    price_verdicts: dict = field(default_factory=dict)
    seconds: float = 0.0
    resumed_chunks: int = 0

    @property
    def rate(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0


def output_format_for(out: Path, explicit: str | None) -> str:
    if explicit:
        if explicit not in OUTPUT_FORMATS:
            raise InputDataError(f"output format {explicit!r} is not one of {', '.join(OUTPUT_FORMATS)}")
        return explicit
    suffix = out.suffix.lower().lstrip(".")
    if suffix in OUTPUT_FORMATS:
        return suffix
    raise InputDataError(f"{out}: cannot tell the output format from the extension; use .csv, .jsonl or .parquet, or --format")


def output_columns(options: BatchOptions) -> list[str]:
    columns = ["id", "source", "position", *options.read.keep_cols]
    if options.include_text:
        columns.append("text")
    columns += ["status", "error", "truncated", "risk", "band", "flagged", "categories", "evidence"]
    if options.prices:
        columns += ["price_claims", "price_findings"]
    if options.price_history is not None:
        columns += ["price_verdicts"]
    return columns + [
                      "review_label", "review_categories", "review_note"]


def _score_texts(model, texts: list[str], explain: int, threshold: float | None, prices: bool = False) -> list[tuple]:
    """Score rows for a chunk, with the price columns (adcheck.price_claims.price_fields) when `prices`."""
    rows: list[tuple] = []
    for begin in range(0, len(texts), 4096):
        rows.extend(model.score_rows(texts[begin : begin + 4096], explain=explain, threshold=threshold))
    if prices:
        from adcheck.price_claims import price_fields

        rows = [row + extra for row, extra in zip(rows, price_fields(texts))]
    return rows


def _price_verdicts(records: list[Record], history, options: BatchOptions) -> list[str]:
    """Per record, its reference prices checked against the history: "status: reason" joined."""
    from adcheck.prices import describe_verdict, texts_history_verdicts

    usable = [i for i, r in enumerate(records) if r.error is None]
    verdicts = [""] * len(records)
    found = texts_history_verdicts(
        [records[i].text for i in usable],
        [records[i].keep.get(options.listing_col, "") for i in usable],
        [records[i].keep.get(options.date_col, "") for i in usable],
        history, options.history_options,
    )
    for i, claims in zip(usable, found):
        verdicts[i] = " | ".join(describe_verdict(v) for v in claims)
    return verdicts


def _rows(records: list[Record], scores: list[tuple], options: BatchOptions) -> tuple[list[dict], Counter]:
    stats: Counter = Counter()
    rows = []
    it = iter(scores)
    for record in records:
        row: dict = {"id": record.id, "source": record.source, "position": record.position}
        for column in options.read.keep_cols:
            row[column] = record.keep.get(column, "")
        if options.include_text:
            row["text"] = record.text
        stats["rows"] += 1
        if record.error is None:
            scored = next(it)
            risk, band, flagged, categories, evidence = scored[:5]
            row.update(status="scored", error="", truncated=record.truncated, risk=risk, band=band, flagged=flagged,
                       categories=categories, evidence=evidence)
            if options.prices:
                row.update(price_claims=scored[5], price_findings=scored[6])
            stats["scored"] += 1
            stats[f"band:{band}"] += 1
            for item in filter(None, categories.split(";")):
                stats[f"category:{item.split(':')[0]}"] += 1
        else:
            row.update(status="error", error=record.error, truncated=record.truncated, risk=None, band="", flagged=None,
                       categories="", evidence="")
            if options.prices:
                row.update(price_claims="", price_findings="")
            stats["errored"] += 1
            stats[f"reason:{record.error.split(' (')[0]}"] += 1
        if record.truncated:
            stats["truncated"] += 1
        if options.price_history is not None:
            row["price_verdicts"] = ""
        row["review_label"] = ""
        row["review_categories"] = ""
        row["review_note"] = ""
        rows.append(row)
    return rows, stats


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _write_part(rows: list[dict], columns: list[str], fmt: str, path: Path) -> None:
    temporary = path.with_name(path.name + ".tmp")
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(_arrow_table(rows, columns, pa), temporary)
    else:
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            if fmt == "csv":
                writer = csv.writer(handle, lineterminator="\n")
                for row in rows:
                    writer.writerow([_csv_value(row[c]) for c in columns])
            else:
                for row in rows:
                    handle.write(json.dumps({c: row[c] for c in columns}, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(temporary, path)


def _arrow_table(rows: list[dict], columns: list[str], pa):
    types = {"position": pa.int64(), "truncated": pa.bool_(), "risk": pa.float64(), "flagged": pa.bool_()}
    arrays = [pa.array([row[c] for row in rows], type=types.get(c, pa.string())) for c in columns]
    return pa.Table.from_arrays(arrays, names=columns)


def _atomic_json(path: Path, data: dict) -> None:
    write_json_atomic(path, data)


def _finalize(parts: list[Path], columns: list[str], fmt: str, out: Path) -> None:
    with atomic_output(out) as temporary:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            writer = None
            for part in parts:
                table = pq.read_table(part)
                if writer is None:
                    writer = pq.ParquetWriter(temporary, table.schema)
                writer.write_table(table)
            if writer is None:
                import pyarrow as pa

                pq.write_table(_arrow_table([], columns, pa), temporary)
            else:
                writer.close()
        else:
            with open(temporary, "wb") as handle:
                if fmt == "csv":
                    buffer = io.StringIO()
                    csv.writer(buffer, lineterminator="\n").writerow(columns)
                    handle.write(buffer.getvalue().encode("utf-8"))
                for part in parts:
                    with open(part, "rb") as source:
                        shutil.copyfileobj(source, handle, 1 << 20)


def _chunks(sources: list[Source], read: ReadOptions, chunk_rows: int, summary: BatchSummary,
            byte_counter: list[int]) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for source in sources:
        counting = Source(source.name, source.format, source.size,
                          (lambda s=source: CountingReader(s.open(), byte_counter)), source.compression, source.delimiter_hint)
        reader = SourceReader(counting, read)
        info = {"name": source.name, "format": source.format, "compression": source.compression}
        try:
            for record in reader.records():
                chunk.append(record)
                if len(chunk) >= chunk_rows:
                    yield chunk
                    chunk = []
        finally:
            info["encoding"] = reader.encoding
            info["columns"] = reader.columns
            summary.sources.append(info)
    if chunk:
        yield chunk


def _preflight(sources: list[Source], read: ReadOptions) -> None:
    """Fail before writing anything when no source has the text column or any row, or when an
    --id-col / --keep-cols column is in none of the sources (a typo would pass silently)."""
    missing: list[tuple[str, list[str]]] = []
    any_rows = False
    seen_columns: set[str] = set()
    tabular = False
    for source in sources:
        reader = SourceReader(source, read)
        records = reader.records()
        try:
            first = next(records, None)
        finally:
            records.close()
        if first is None:
            continue
        any_rows = True
        if source.format != "text":
            tabular = True
            seen_columns.update(reader.columns)
        if reader.missing:
            missing.append((source.name, reader.columns))
    if not any_rows:
        raise InputDataError("the input has no rows (empty files only)")
    if missing and len(missing) == len(sources):
        name, columns = missing[0]
        wanted = ", ".join(repr(c) for c in read.text_cols)
        raise InputDataError(f"{name}: no column {wanted} (columns: {', '.join(columns)}); choose one with --text-col")
    if tabular:
        for column, option in [(read.id_col, "--id-col"), *[(c, "--keep-cols") for c in read.keep_cols]]:
            if column and column not in seen_columns:
                raise InputDataError(f"no input has the column {column!r} given with {option} (columns: {', '.join(sorted(seen_columns))})")


def _handle_sigterm(signum, frame):
    raise KeyboardInterrupt


def run_batch(model, options: BatchOptions, progress: Callable[[int, int, int, float], None] | None = None) -> BatchSummary:
    """Score every row of the inputs into `options.out`; see the module docstring."""
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    out = Path(options.out)
    fmt = output_format_for(out, options.output_format)
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InputDataError("writing Parquet needs pyarrow: pip install 'adcheck[parquet]'") from None
    if not options.read.text_cols:
        raise InputDataError("no text column given")
    history = None
    if options.price_history is not None:
        from adcheck.price_history import HistoryOptions, load_price_history

        options.history_options = options.history_options or HistoryOptions()
        history = load_price_history(options.price_history, options.history_options)
        for column in (options.listing_col, options.date_col):
            if column not in options.read.keep_cols:
                options.read.keep_cols.append(column)  # read (and keep) what the history check joins on
    resolved_out = out.resolve()
    for given in options.inputs:
        given = Path(given).resolve()
        if resolved_out == given or given in resolved_out.parents:
            raise InputDataError(f"{out} is (inside) the input {given}; write the results somewhere else")
    if out.exists() and not options.overwrite:
        raise InputDataError(f"{out} exists; choose another --out or pass --overwrite")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputDataError(f"cannot create the folder for {out} ({exc.strerror or exc}); choose another --out") from None
    partial = out.with_name(out.name + PARTIAL_SUFFIX)
    columns = output_columns(options)
    skipped: list[str] = []
    sources = discover(options.inputs, skipped)
    if not sources:
        raise InputDataError("no readable table found in the input (" + "; ".join(skipped[:5]) + ")")
    _preflight(sources, options.read)
    inputs = fingerprint(options.inputs)
    model_meta = getattr(model, "metadata", {}) or {}
    parameters = {
        "text_cols": options.read.text_cols, "id_col": options.read.id_col, "keep_cols": options.read.keep_cols,
        "max_text_chars": options.read.max_text_chars, "max_line_chars": options.read.max_line_chars,
        "format": fmt, "chunk_rows": options.chunk_rows, "threshold": options.threshold, "explain": options.explain,
        "include_text": options.include_text, "prices": options.prices,
        "price_history": str(options.price_history) if options.price_history else None,
        "listing_col": options.listing_col, "date_col": options.date_col,
        # the history's content and rules decide the verdicts: a resumed run must use the same ones
        "price_history_sha256": file_sha256(options.price_history) if options.price_history else None,
        "price_rules": asdict(options.history_options) if options.price_history else None,
    }
    identity = {
        "inputs": [{k: v for k, v in i.items() if k != "path"} | {"path": i["path"]} for i in inputs],
        "model_sha256": (model_meta.get("artifact") or {}).get("sha256"),
        "parameters": parameters, "schema_version": SCHEMA_VERSION,
    }
    identity_hash = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    state: dict = {"identity": identity_hash, "chunks": []}
    if partial.exists():
        if not options.resume:
            raise InputDataError(f"an interrupted run left {partial}; rerun with --resume, or delete that folder to start over")
        try:
            state = json.loads((partial / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            raise InputDataError(f"{partial}: its state file is unreadable; delete the folder to start over") from None
        if state.get("identity") != identity_hash:
            raise InputDataError(
                f"the input, model or options differ from the interrupted run in {partial}; rerun it with the same "
                "command, or delete that folder to start over"
            )
    else:
        partial.mkdir()
        _atomic_json(partial / STATE_FILE, state)

    summary = BatchSummary(output=str(out), manifest=str(out) + MANIFEST_SUFFIX, skipped_files=skipped)
    done = len(state["chunks"])
    summary.resumed_chunks = done
    totals: Counter = Counter()
    for chunk_stats in state["chunks"]:
        totals.update(chunk_stats)
    total_bytes = sum(s.size or 0 for s in sources)
    byte_counter = [0]
    jobs = options.jobs or os.cpu_count() or 1
    ext = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}[fmt]
    previous_handler = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, _handle_sigterm)
    except ValueError:  # not in the main thread
        previous_handler = None
    pool = None
    try:
        chunks = _chunks(sources, options.read, options.chunk_rows, summary, byte_counter)
        pending: list = []

        def emit(index: int, records: list[Record], scores: list[tuple]) -> None:
            rows, stats = _rows(records, scores, options)
            if history is not None:
                for row, verdict in zip(rows, _price_verdicts(records, history, options)):
                    row["price_verdicts"] = verdict
                    if verdict:
                        for part in verdict.split(" | "):
                            stats[f"price:{part.split(':', 1)[0]}"] += 1
            try:
                _write_part(rows, columns, fmt, partial / f"part-{index:07d}.{ext}")
                state["chunks"].append(dict(stats))
                _atomic_json(partial / STATE_FILE, state)
            except OSError as exc:
                raise AdcheckError(f"cannot write to {partial} ({exc.strerror or exc}); free space and rerun with --resume") from None
            totals.update(stats)
            if progress:
                progress(int(totals["rows"]), byte_counter[0], total_bytes, time.perf_counter() - started)

        if jobs > 1:
            # threads share the one loaded model; the C kernel releases the GIL while it scores, so
            # they run on all cores (forked processes could deadlock on locks held by other threads)
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor(jobs)
        for index, records in enumerate(chunks):
            if index < done:
                continue
            texts = [r.text for r in records if r.error is None]
            if pool is None:
                emit(index, records, _score_texts(model, texts, options.explain, options.threshold, options.prices))
                continue
            pending.append((index, records, pool.submit(_score_texts, model, texts, options.explain, options.threshold, options.prices)))
            while len(pending) > 2 * jobs or (pending and pending[0][2].done()):
                i, recs, job = pending.pop(0)
                emit(i, recs, job.result())
        for i, recs, job in pending:
            emit(i, recs, job.result())
        parts = sorted(partial.glob(f"part-*.{ext}"))
        if len(parts) != len(state["chunks"]):
            raise AdcheckError(f"{partial}: {len(parts)} part files for {len(state['chunks'])} recorded chunks; delete it and rerun")
        try:
            _finalize(parts, columns, fmt, out)
        except OSError as exc:
            raise AdcheckError(f"cannot write {out} ({exc.strerror or exc}); the finished chunks are kept: free space and "
                               "rerun with --resume") from None
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)

    summary.rows_read = int(totals["rows"])
    summary.scored = int(totals["scored"])
    summary.errored = int(totals["errored"])
    summary.truncated = int(totals["truncated"])
    summary.bands = {b: int(totals[f"band:{b}"]) for b in ("high", "medium", "low")}
    summary.categories = {k.split(":", 1)[1]: int(v) for k, v in sorted(totals.items()) if k.startswith("category:")}
    summary.errors_by_reason = {k.split(":", 1)[1]: int(v) for k, v in sorted(totals.items()) if k.startswith("reason:")}
    summary.price_verdicts = {k.split(":", 1)[1]: int(v) for k, v in sorted(totals.items()) if k.startswith("price:")}
    summary.seconds = time.perf_counter() - started
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "adcheck_version": __version__,
        "output": {"path": str(out), "format": fmt, "sha256": fingerprint([out])[0]["sha256"], "columns": columns},
        "inputs": inputs,
        "sources": summary.sources,
        "skipped_files": skipped,
        "model": {"id": model_meta.get("model_id"), "sha256": (model_meta.get("artifact") or {}).get("sha256"),
                  "band_thresholds": getattr(model, "band_thresholds", None)},
        "parameters": parameters,
        "counts": {k: v for k, v in asdict(summary).items() if k in ("rows_read", "scored", "errored", "truncated", "bands", "categories", "errors_by_reason", "price_verdicts")},
        "started_at": started_at,
        "finished_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "seconds": round(summary.seconds, 3),
        "resumed_chunks": summary.resumed_chunks,
    }
    _atomic_json(Path(summary.manifest), manifest)
    shutil.rmtree(partial, ignore_errors=True)
    return summary
