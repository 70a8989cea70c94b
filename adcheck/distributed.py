"""Distributed scoring: the batch path run partition by partition on a Dask cluster.

Each Parquet row group (or each CSV/JSONL file) is one task. A task reads its rows with the same
reader as the local path, scores them with the model, which is shipped to every worker once
(scattered, broadcast), and writes one Parquet part. The output folder holds the parts in input
order (`part-FFFFF-GGGGG.parquet`) with the same columns and values as `adcheck score --out`.
Paths may be local or any fsspec URL that Dask can reach.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from adcheck.errors import InputDataError
from adcheck.records import ReadOptions


@dataclass
class DaskSummary:
    output: str
    parts: int = 0
    rows_read: int = 0
    scored: int = 0
    errored: int = 0
    sources: list = field(default_factory=list)


def _require_dask():
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
        import fsspec  # noqa: F401
    except ImportError:
        raise InputDataError("the Dask engine needs dask and distributed: pip install 'adcheck[dask]'") from None


def _expand(inputs: list[str]):
    """(filesystem, sorted file paths with their display names) for files or folders/globs."""
    import fsspec

    files = []
    for item in inputs:
        fs, _, paths = fsspec.get_fs_token_paths(item)
        for path in paths:
            if fs.isdir(path):
                for found in sorted(fs.find(path)):
                    files.append((fs, found, posixpath.relpath(found, path)))
            else:
                files.append((fs, path, posixpath.basename(path)))
    return files


def _tasks(inputs: list[str]) -> list[tuple]:
    """One task per Parquet row group, or per other table file."""
    import pyarrow.parquet as pq

    from adcheck.sources import table_format

    tasks = []
    for index, (fs, path, name) in enumerate(_expand(inputs)):
        fmt, compression = table_format(name)
        if fmt is None:
            continue
        if fmt == "parquet" and compression is None:
            with fs.open(path, "rb") as handle:
                groups = pq.ParquetFile(handle).metadata.num_row_groups
            tasks.extend((fs, path, name, index, group) for group in range(max(groups, 1)))
        elif fmt in ("csv", "jsonl", "text"):
            tasks.append((fs, path, name, index, None))
        else:
            raise InputDataError(f"{name}: the Dask engine reads Parquet, CSV, TSV, JSONL and text files")
    if not tasks:
        raise InputDataError("no readable table found in the input")
    return tasks


def _score_part(task: tuple, model, read: ReadOptions, out_dir: str, options: dict) -> dict:
    """Read, score and write one partition (runs on a worker)."""
    import fsspec

    from adcheck.batch import BatchOptions, _rows, _score_texts, _write_part, output_columns
    from adcheck.records import SourceReader
    from adcheck.sources import Source, _decompressing, _delimiter_hint, table_format

    fs, path, name, index, group = task
    fmt, compression = table_format(name)
    source = Source(name, fmt, None, _decompressing(lambda: fs.open(path, "rb"), compression), compression, _delimiter_hint(name))
    records = list(SourceReader(source, read, row_group=group).records())
    texts = [r.text for r in records if r.error is None]
    batch_options = BatchOptions(inputs=[], out=None, read=read, explain=options["explain"], threshold=options["threshold"],  # type: ignore[arg-type]
                                 include_text=options["include_text"], prices=options["prices"])
    rows, stats = _rows(records, _score_texts(model, texts, options["explain"], options["threshold"], options["prices"]), batch_options)
    columns = output_columns(batch_options)
    import tempfile
    from pathlib import Path

    part_name = f"part-{index:05d}-{(group or 0):05d}.parquet"
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / part_name
        _write_part(rows, columns, "parquet", local)
        out_fs, _, (out_path,) = fsspec.get_fs_token_paths(out_dir)
        out_fs.put_file(str(local), posixpath.join(out_path, part_name))
    return {"rows": stats["rows"], "scored": stats["scored"], "errored": stats["errored"], "part": part_name}


def score_with_dask(model, inputs: list[str], out_dir: str, read: ReadOptions, *, scheduler: str | None = None,
                    explain: int = 3, threshold: float | None = None, include_text: bool = True,
                    overwrite: bool = False, workers: int | None = None, prices: bool = True) -> DaskSummary:
    """Score every row of the inputs on a Dask cluster into a folder of Parquet parts.

    Without `scheduler` a local cluster is started (one worker process per core) and closed after.
    """
    _require_dask()
    import fsspec
    from distributed import Client, LocalCluster

    out_fs, _, (out_path,) = fsspec.get_fs_token_paths(out_dir)
    if out_fs.exists(out_path) and out_fs.ls(out_path) and not overwrite:
        raise InputDataError(f"{out_dir} exists and is not empty; choose another --out or pass --overwrite")
    tasks = _tasks(inputs)
    staging = out_path.rstrip("/") + ".adcheck-partial"
    if out_fs.exists(staging):
        out_fs.rm(staging, recursive=True)
    out_fs.makedirs(staging, exist_ok=True)
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        import os

        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        shipped = client.scatter(model, broadcast=True)  # once per worker, not per partition
        options = {"explain": explain, "threshold": threshold, "include_text": include_text, "prices": prices}
        staging_url = out_fs.unstrip_protocol(staging)
        futures = [client.submit(_score_part, task, shipped, read, staging_url, options, pure=False) for task in tasks]
        results = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    if out_fs.exists(out_path):
        out_fs.rm(out_path, recursive=True)
    out_fs.mv(staging, out_path, recursive=True)
    summary = DaskSummary(output=out_dir, parts=len(results))
    for result in results:
        summary.rows_read += result["rows"]
        summary.scored += result["scored"]
        summary.errored += result["errored"]
    return summary
