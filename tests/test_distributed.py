"""The Dask engine writes the same rows and values as the local batch path."""

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("distributed")

from typer.testing import CliRunner  # noqa: E402

from adcheck.batch import BatchOptions, run_batch  # noqa: E402
from adcheck.cli import app  # noqa: E402
from adcheck.distributed import score_with_dask  # noqa: E402
from adcheck.records import ReadOptions  # noqa: E402


@pytest.mark.slow
def test_dask_local_cluster_matches_local_output_row_for_row(tmp_path, tiny_model, tiny_model_dir, sample_rows):
    source = tmp_path / "in"
    source.mkdir()
    table = pa.table({"listing": [r["id"] for r in sample_rows], "text": [r["text"] for r in sample_rows],
                      "lang": [r["lang"] for r in sample_rows]})
    pq.write_table(table, source / "a.parquet", row_group_size=150)
    (source / "b.jsonl").write_text('{"listing": "x1", "text": "오늘만 특가"}\n{"listing": "x2", "text": ""}\n', encoding="utf-8")
    read = ReadOptions(text_cols=["text"], id_col="listing", keep_cols=["lang"])
    local = tmp_path / "local.parquet"
    run_batch(tiny_model, BatchOptions(inputs=[source], out=local, read=read, jobs=1))
    summary = score_with_dask(tiny_model, [str(source)], str(tmp_path / "dask"), read, workers=2)
    parts = sorted((tmp_path / "dask").glob("part-*.parquet"))
    groups = pq.ParquetFile(source / "a.parquet").metadata.num_row_groups
    assert groups > 1
    assert summary.parts == len(parts) == groups + 1  # one task per row group, one for the JSONL file
    distributed = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    expected = pd.read_parquet(local)
    pd.testing.assert_frame_equal(distributed, expected)
    assert {"price_claims", "price_findings"} <= set(distributed.columns)  # price columns by default, as in local runs
    assert summary.rows_read == len(expected) and summary.errored == 1

    result = CliRunner().invoke(app, ["score", "--engine", "dask", "--input", str(source), "--out", str(tmp_path / "dask"),
                                      "--model", str(tiny_model_dir), "--id-col", "listing"])
    assert result.exit_code == 1 and "--overwrite" in result.stderr
    assert json.dumps(summary.output)
