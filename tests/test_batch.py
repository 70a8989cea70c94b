"""Batch scoring: every row accounted for, resumable, atomic, byte-identical."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from adcheck.batch import BatchOptions, run_batch
from adcheck.cli import app
from adcheck.errors import AdcheckError, InputDataError
from adcheck.records import ReadOptions


def _options(inputs, out, **kw):
    read = ReadOptions(text_cols=kw.pop("text_cols", ["text"]), id_col=kw.pop("id_col", None), keep_cols=kw.pop("keep_cols", []))
    return BatchOptions(inputs=list(inputs), out=out, read=read, jobs=kw.pop("jobs", 1), **kw)


@pytest.fixture
def ads_file(tmp_path, sample_rows):
    path = tmp_path / "ads.jsonl"
    path.write_text("".join(json.dumps({"id": r["id"], "text": r["text"], "label": r["label"]}, ensure_ascii=False) + "\n" for r in sample_rows[:700]), encoding="utf-8")
    return path


def test_broken_file_every_row_accounted_for(tmp_path, tiny_model):
    path = tmp_path / "broken.csv"
    path.write_bytes(
        b"id,text,note\n"
        b"1,ok text one,a\n"
        b'2,"embedded\nnewline ad",b\n'
        b"3,too,many,fields\n"
        b"4,,empty\n"
        b"5,bad \xff\xfe bytes,c\n"
        b"6,nul \x00 inside,d\n"
        b"7,short\n"
        b"8,last good ad,e\n"
    )
    out = tmp_path / "out.csv"
    summary = run_batch(tiny_model, _options([path], out, id_col="id", keep_cols=["note"]))
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert frame["id"].tolist() == ["1", "2", "3", "4", "5", "6", "7", "8"]
    assert summary.rows_read == 8 == summary.scored + summary.errored
    errors = dict(zip(frame["id"], frame["error"]))
    assert errors["3"].startswith("ragged row") and errors["7"].startswith("ragged row")
    assert errors["4"] == "empty text"
    assert errors["5"].startswith("undecodable bytes")
    assert frame.loc[frame["id"] == "2", "text"].item() == "embedded\nnewline ad"
    assert frame.loc[frame["id"] == "6", "status"].item() == "scored"
    assert set(frame.columns) >= {"review_label", "review_note", "note", "risk", "band", "categories", "evidence"}
    manifest = json.loads((tmp_path / "out.csv.manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["rows_read"] == 8
    assert manifest["counts"]["scored"] + manifest["counts"]["errored"] == 8
    assert manifest["inputs"][0]["sha256"] and manifest["model"]["sha256"]
    assert not (tmp_path / "out.csv.adcheck-partial").exists()


def test_formats_encodings_compression_folders_and_archives(tmp_path, tiny_model):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_bytes("text\n오늘만 특가 90% 할인\n정품 보장\n".encode("cp949"))
    (folder / "b.tsv").write_bytes("title\ttext\nx\tFree trial, cancel anytime\n".encode("utf-16"))
    (folder / "c.txt.gz").write_bytes(gzip.compress("첫 번째 광고\n두 번째 광고\n".encode("utf-8-sig")))
    pd.DataFrame({"text": ["parquet ad one", "parquet ad two"]}).to_parquet(folder / "d.parquet")
    (folder / "e.bin").write_bytes(b"\x00\x01")
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as archive:
        archive.writestr("inner/f.jsonl", '{"text": "zip ad"}\n{"text": 5}\n')
    out = tmp_path / "out.jsonl"
    summary = run_batch(tiny_model, _options([folder, tmp_path / "z.zip"], out))
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in lines] == [
        "a.csv:1", "a.csv:2", "b.tsv:1", "c.txt.gz:1", "c.txt.gz:2", "d.parquet:1", "d.parquet:2", "z.zip!/inner/f.jsonl:1", "z.zip!/inner/f.jsonl:2",
    ]
    assert lines[0]["text"] == "오늘만 특가 90% 할인" and lines[3]["text"] == "첫 번째 광고"
    assert lines[-1]["status"] == "error" and "int" in lines[-1]["error"]
    encodings = {s["name"]: s["encoding"] for s in summary.sources}
    assert encodings["a.csv"] == "cp949" and encodings["b.tsv"] == "utf-16" and encodings["c.txt.gz"] == "utf-8-sig"
    assert any("e.bin" in s for s in summary.skipped_files)


def test_parquet_output_and_joined_text_columns(tmp_path, tiny_model):
    path = tmp_path / "in.csv"
    path.write_text("title,body\n최고의 크림,아토피 완치\nplain,words\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    run_batch(tiny_model, _options([path], out, text_cols=["title", "body"]))
    frame = pd.read_parquet(out)
    assert frame["text"].tolist() == ["최고의 크림\n아토피 완치", "plain\nwords"]
    assert frame["risk"].dtype == "float64"


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_interrupted_run_resumes_byte_identical(tmp_path, tiny_model, ads_file, fmt):
    reference = tmp_path / f"reference.{fmt}"
    run_batch(tiny_model, _options([ads_file], reference, chunk_rows=64))
    out = tmp_path / f"out.{fmt}"
    calls = []

    def interrupt(rows, *_):
        calls.append(rows)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(tiny_model, _options([ads_file], out, chunk_rows=64), progress=interrupt)
    assert not out.exists()
    partial = tmp_path / f"out.{fmt}.adcheck-partial"
    assert len(list(partial.glob("part-*"))) == 3
    with pytest.raises(InputDataError, match="--resume"):
        run_batch(tiny_model, _options([ads_file], out, chunk_rows=64))
    summary = run_batch(tiny_model, _options([ads_file], out, chunk_rows=64, resume=True))
    assert summary.resumed_chunks == 3
    assert summary.rows_read == len(ads_file.read_text(encoding="utf-8").splitlines())
    assert out.read_bytes() == reference.read_bytes()
    assert not partial.exists()


def test_resume_refuses_changed_input_or_options(tmp_path, tiny_model, ads_file):
    out = tmp_path / "out.csv"

    def interrupt(*_):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(tiny_model, _options([ads_file], out, chunk_rows=64), progress=interrupt)
    with pytest.raises(InputDataError, match="differ from the interrupted run"):
        run_batch(tiny_model, _options([ads_file], out, chunk_rows=32, resume=True))


def test_full_disk_keeps_state_for_resume(tmp_path, tiny_model, ads_file, monkeypatch):
    import adcheck.batch as batch

    reference = tmp_path / "reference.csv"
    run_batch(tiny_model, _options([ads_file], reference, chunk_rows=100))
    original = batch._write_part
    written = []

    def failing(rows, columns, fmt, path):
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        written.append(path)
        original(rows, columns, fmt, path)

    monkeypatch.setattr(batch, "_write_part", failing)
    out = tmp_path / "out.csv"
    with pytest.raises(AdcheckError, match="No space left on device.*--resume"):
        run_batch(tiny_model, _options([ads_file], out, chunk_rows=100))
    monkeypatch.setattr(batch, "_write_part", original)
    run_batch(tiny_model, _options([ads_file], out, chunk_rows=100, resume=True))
    assert out.read_bytes() == reference.read_bytes()


def test_parallel_jobs_equal_single_process(tmp_path, tiny_model, ads_file):
    one = tmp_path / "one.jsonl"
    two = tmp_path / "two.jsonl"
    run_batch(tiny_model, _options([ads_file], one, chunk_rows=50, jobs=1))
    run_batch(tiny_model, _options([ads_file], two, chunk_rows=50, jobs=2))
    assert one.read_bytes() == two.read_bytes()
    assert any(json.loads(line)["price_claims"] for line in two.read_text(encoding="utf-8").splitlines())


def test_cli_ctrl_c_with_two_jobs_then_resume(tmp_path, tiny_model_dir, ads_file):
    big = tmp_path / "big.jsonl"
    big.write_text(ads_file.read_text(encoding="utf-8") * 30, encoding="utf-8")
    command = [sys.executable, "-m", "adcheck", "score", "--input", str(big), "--model", str(tiny_model_dir), "--chunk-rows", "40"]
    reference = tmp_path / "reference.csv"
    subprocess.run([*command, "--jobs", "1", "--quiet", "--out", str(reference)], check=True)
    out = tmp_path / "out.csv"
    # Ctrl-C in a terminal reaches the whole process group
    # SIGINT back to its default in the child: a shell that starts this suite in the background
    # leaves SIGINT ignored, the child would inherit that and finish normally
    process = subprocess.Popen([*command, "--jobs", "2", "--out", str(out)], stderr=subprocess.PIPE, text=True,
                               start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    partial = tmp_path / "out.csv.adcheck-partial"
    deadline = time.time() + 60
    while time.time() < deadline and not list(partial.glob("part-*.csv")):
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "--resume" in stderr and "Traceback" not in stderr
    assert not out.exists()
    result = subprocess.run([*command, "--jobs", "2", "--quiet", "--resume", "--out", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == reference.read_bytes()


def test_bad_inputs_fail_before_writing(tmp_path, tiny_model):
    path = tmp_path / "ads.csv"
    path.write_text("title,body\nx,y\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"no column 'text' \(columns: title, body\)"):
        run_batch(tiny_model, _options([path], tmp_path / "out.csv"))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputDataError, match="no rows"):
        run_batch(tiny_model, _options([empty], tmp_path / "out.csv"))
    numbers = tmp_path / "n.parquet"
    pd.DataFrame({"text": [1, 2]}).to_parquet(numbers)
    with pytest.raises(InputDataError, match="not text"):
        run_batch(tiny_model, _options([numbers], tmp_path / "out.csv"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ads.csv", "empty.csv", "n.parquet"]
    existing = tmp_path / "exists.csv"
    existing.write_text("keep me", encoding="utf-8")
    with pytest.raises(InputDataError, match="--overwrite"):
        run_batch(tiny_model, _options([path], existing, text_cols=["body"]))
    assert existing.read_text(encoding="utf-8") == "keep me"


def test_oversize_line_becomes_an_error_row(tmp_path, tiny_model):
    path = tmp_path / "big.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('{"text": "first"}\n')
        handle.write('{"text": "' + "가" * 3000 + '"}\n')
        handle.write('{"text": "last"}\n')
    out = tmp_path / "out.jsonl"
    options = _options([path], out)
    options.read.max_line_chars = 1000
    options.read.max_text_chars = 500
    run_batch(tiny_model, options)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["status"] for x in lines] == ["scored", "error", "scored"]
    assert "longer than" in lines[1]["error"]


def test_cli_kill_9_then_resume(tmp_path, tiny_model_dir, ads_file):
    big = tmp_path / "big.jsonl"
    big.write_text(ads_file.read_text(encoding="utf-8") * 6, encoding="utf-8")
    command = [sys.executable, "-m", "adcheck", "score", "--input", str(big), "--model", str(tiny_model_dir),
               "--chunk-rows", "40", "--jobs", "1", "--quiet"]
    reference = tmp_path / "reference.csv"
    subprocess.run([*command, "--out", str(reference)], check=True)
    out = tmp_path / "out.csv"
    process = subprocess.Popen([*command, "--out", str(out)])
    partial = tmp_path / "out.csv.adcheck-partial"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(partial.glob("part-*.csv"))) < 3:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not out.exists()
    result = subprocess.run([*command, "--out", str(out), "--resume"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == reference.read_bytes()


def test_cli_sigterm_says_how_to_resume(tmp_path, tiny_model_dir, ads_file):
    big = tmp_path / "big.jsonl"
    big.write_text(ads_file.read_text(encoding="utf-8") * 6, encoding="utf-8")
    out = tmp_path / "out.csv"
    process = subprocess.Popen([sys.executable, "-m", "adcheck", "score", "--input", str(big), "--model", str(tiny_model_dir),
                                "--chunk-rows", "40", "--jobs", "1", "--out", str(out)], stderr=subprocess.PIPE, text=True)
    partial = tmp_path / "out.csv.adcheck-partial"
    deadline = time.time() + 60
    while time.time() < deadline and not list(partial.glob("part-*.csv")):
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "--resume" in stderr and not out.exists()


def test_xlsx_and_zstd_inputs(tmp_path, tiny_model):
    import openpyxl
    import zstandard

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["sku", "text"])
    sheet.append([101, "엑셀 광고 문구 최저가 보장"])
    sheet.append([102, None])
    book.save(tmp_path / "ads.xlsx")
    (tmp_path / "ads.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(b'{"text": "zstd ad"}\n'))
    out = tmp_path / "out.csv"
    run_batch(tiny_model, _options([tmp_path / "ads.xlsx", tmp_path / "ads.jsonl.zst"], out, id_col="sku"))
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert frame["id"].tolist() == ["101", "102", "ads.jsonl.zst:1"]
    assert frame["status"].tolist() == ["scored", "error", "scored"]


def test_price_claims_columns_by_default_and_off_with_no_prices(tmp_path, tiny_model, tiny_model_dir):
    path = tmp_path / "ads.csv"
    path.write_text('text\n"정가 660,000원 → 270,000원 65% 할인"\n보습 크림\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    run_batch(tiny_model, _options([path], out))
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert "reference 660000 KRW [3:11]" in frame["price_claims"][0]
    assert frame["price_findings"][0].startswith("inconsistent") and "59.1%" in frame["price_findings"][0]
    assert frame["price_claims"][1] == "" and frame["price_findings"][1] == ""
    fast = tmp_path / "fast.csv"
    result = CliRunner().invoke(app, ["score", "--input", str(path), "--out", str(fast), "--model", str(tiny_model_dir), "--no-prices", "--quiet"])
    assert result.exit_code == 0, result.stderr
    columns = pd.read_csv(fast, dtype=str, keep_default_na=False).columns
    assert "price_claims" not in columns and "risk" in columns


def test_price_history_verdicts_in_the_output(tmp_path, tiny_model):
    ads = tmp_path / "ads.csv"
    ads.write_text(
        'listing_id,date,text\n'
        'L1,2026-03-21,"정가 189,000원 → 39,900원 79% 할인"\n'
        'L2,2026-03-21,"Was $120, now $60 - 50% off"\n'
        'L3,2026-03-21,보습 크림 50ml\n', encoding="utf-8")
    history = tmp_path / "history.csv"
    history.write_text("listing_id,date,price,currency\n" + "".join(
        f"L1,2026-03-{d:02d},39900,KRW\nL2,2026-03-{d:02d},120,USD\n" for d in range(1, 21)), encoding="utf-8")
    out = tmp_path / "out.csv"
    summary = run_batch(tiny_model, _options([ads], out, price_history=history))
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert frame["price_verdicts"][0].startswith("not_supported: reference 189,000 KRW was not the price charged")
    assert frame["price_verdicts"][1].startswith("supported:")
    assert frame["price_verdicts"][2] == ""
    assert {"listing_id", "date"} <= set(frame.columns)
    assert summary.price_verdicts == {"not_supported": 1, "supported": 1}


def test_review_findings_damaged_gzip_same_path_late_cp949_and_typos(tmp_path, tiny_model):
    import gzip as gz

    good = tmp_path / "ads.jsonl"
    good.write_text("".join(json.dumps({"text": f"ad number {i}"}) + "\n" for i in range(3000)), encoding="utf-8")
    truncated = tmp_path / "trunc.jsonl.gz"
    truncated.write_bytes(gz.compress(good.read_bytes())[:2000])
    with pytest.raises(InputDataError, match="damaged or truncated"):
        run_batch(tiny_model, _options([truncated], tmp_path / "o1.csv"))
    with pytest.raises(InputDataError, match="write the results somewhere else"):
        run_batch(tiny_model, _options([good], good, overwrite=True))
    assert good.read_text(encoding="utf-8").startswith('{"text": "ad number 0"}')
    late = tmp_path / "late.csv"
    late.write_bytes(("text\n" + "plain ascii row\n" * 20000).encode() + "오늘만 특가\n".encode("cp949"))
    out = tmp_path / "late_out.csv"
    summary = run_batch(tiny_model, _options([late], out))
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert frame["text"].iloc[-1] == "오늘만 특가" and summary.errored == 0
    assert summary.sources[0]["encoding"] == "cp949"
    with pytest.raises(InputDataError, match="--id-col"):
        run_batch(tiny_model, _options([good], tmp_path / "o2.csv", id_col="nope"))
    with pytest.raises(InputDataError, match="--keep-cols"):
        run_batch(tiny_model, _options([good], tmp_path / "o3.csv", keep_cols=["nope"]))


def test_oversize_members_are_skipped_in_zip_and_tar_alike(tmp_path, monkeypatch):
    import tarfile

    import adcheck.sources as sources

    monkeypatch.setattr(sources, "MAX_MEMBER_BYTES", 10)
    big = tmp_path / "big.csv"
    big.write_text("text\n" + "an ad\n" * 10, encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as archive:
        archive.write(big, "big.csv")
    with tarfile.open(tmp_path / "a.tar", "w") as archive:
        archive.add(big, "big.csv")
    for name in ("a.zip", "a.tar"):
        skipped: list[str] = []
        assert sources.discover([tmp_path / name], skipped) == []
        assert skipped == [f"{name}!/big.csv: {big.stat().st_size:,} bytes, over the member limit"]


def test_resume_refuses_another_price_history_or_rules(tmp_path, tiny_model):
    from adcheck.price_history import HistoryOptions

    ads = tmp_path / "ads.csv"
    ads.write_text("listing_id,date,text\n" + "".join(f'L1,2026-03-21,"정가 {i},000원 → 9,900원"\n' for i in range(20, 80)), encoding="utf-8")
    history = tmp_path / "history.csv"
    history.write_text("listing_id,date,price,currency\n" + "".join(f"L1,2026-03-{d:02d},9900,KRW\n" for d in range(1, 21)), encoding="utf-8")
    out = tmp_path / "out.csv"

    def interrupt(*_):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(tiny_model, _options([ads], out, price_history=history, chunk_rows=10), progress=interrupt)
    for changed in (
        _options([ads], out, price_history=history, chunk_rows=10, resume=True, history_options=HistoryOptions(window_days=5)),
        _options([ads], out, price_history=history, chunk_rows=10, resume=True, history_options=HistoryOptions(base_rule="median")),
    ):
        with pytest.raises(InputDataError, match="differ from the interrupted run"):
            run_batch(tiny_model, changed)
    history.write_text(history.read_text(encoding="utf-8").replace("9900", "8900"), encoding="utf-8")  # same path, new content
    with pytest.raises(InputDataError, match="differ from the interrupted run"):
        run_batch(tiny_model, _options([ads], out, price_history=history, chunk_rows=10, resume=True))
    history.write_text(history.read_text(encoding="utf-8").replace("8900", "9900"), encoding="utf-8")
    summary = run_batch(tiny_model, _options([ads], out, price_history=history, chunk_rows=10, resume=True))
    assert summary.resumed_chunks >= 1
    manifest = json.loads(Path(summary.manifest).read_text(encoding="utf-8"))
    assert manifest["parameters"]["price_rules"]["window_days"] == 20 and len(manifest["parameters"]["price_history_sha256"]) == 64
