import json
import shutil

import pytest
from typer.testing import CliRunner

from adcheck import __version__
from adcheck.cli import EXIT_GATE, app

runner = CliRunner(env={"COLUMNS": "160", "NO_COLOR": "1"})


def invoke(*args, input=None):
    return runner.invoke(app, list(map(str, args)), input=input)


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"adcheck {__version__}"


def test_score_json_carries_schema_and_model(tiny_model_dir):
    result = invoke("score", "오늘만 90% 할인! 100% 효과 보장", "Free returns within 30 days", "--model", tiny_model_dir, "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schema_version"] == 1
    assert document["model_id"].startswith("tiny-")
    assert [r["text"] for r in document["results"]] == ["오늘만 90% 할인! 100% 효과 보장", "Free returns within 30 days"]
    first = document["results"][0]
    assert {"risk", "band", "flagged", "threshold", "band_thresholds", "categories", "evidence", "model_id"} <= set(first)
    for evidence in first["evidence"]:
        assert first["text"][evidence["start"] : evidence["end"]] == evidence["text"]
    assert result.stderr == ""


def test_score_formats_from_file(tmp_path, tiny_model_dir):
    path = tmp_path / "ads.csv"
    path.write_text("listing,body\nA1,최 고 의 다이어트 보조제 부작용 없음\nB2,보습 크림 50ml\n", encoding="cp949")
    result = invoke("score", "--input", path, "--text-col", "body", "--id-col", "listing", "--model", tiny_model_dir, "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["A1", "B2"]
    result = invoke("score", "--input", path, "--text-col", "body", "--model", tiny_model_dir, "--format", "csv")
    assert result.stdout.splitlines()[0].startswith("id,risk,band,flagged")
    assert len(result.stdout.splitlines()) == 3
    result = invoke("score", "--input", path, "--text-col", "body", "--model", tiny_model_dir)
    assert result.exit_code == 0 and "risk" in result.stdout and "high >=" in result.stderr


def test_stdin_one_text_per_line(tiny_model_dir):
    result = invoke("score", "--model", tiny_model_dir, "--format", "jsonl", input="first ad\n\nsecond ad\n")
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2


def test_fail_on_gate(tiny_model_dir):
    # the shipped model: the tiny one is fitted on a sample of the corpus that moves as the corpus grows
    result = invoke("score", "이 크림 하나로 아토피 완치, 부작용 0%, 100% 효과 보장", "--fail-on", "medium", "--format", "jsonl")
    assert result.exit_code == EXIT_GATE
    assert "reached the medium band" in result.stderr
    assert json.loads(result.stdout)["band"] in ("medium", "high")
    result = invoke("score", "보습 크림 50ml", "--model", tiny_model_dir, "--fail-on", "high", "--threshold", "0.99", "--format", "jsonl")
    assert result.exit_code in (0, EXIT_GATE)


@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_empty_text_is_an_error(tiny_model_dir, text):
    result = invoke("score", text, "--model", tiny_model_dir)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and "empty" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_file_with_empty_rows_warns_and_scores_the_rest(tmp_path, tiny_model_dir):
    path = tmp_path / "ads.jsonl"
    path.write_text('{"text": "good ad"}\n{"text": "  "}\n{"text": "another"}\n', encoding="utf-8")
    result = invoke("score", "--input", path, "--model", tiny_model_dir, "--format", "jsonl")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2
    assert "Warning: skipped item 2" in result.stderr


def test_huge_text_is_scored(tiny_model_dir):
    result = invoke("score", "가" * 500_000 + " best", "--model", tiny_model_dir, "--format", "jsonl", "--explain", "1")
    assert result.exit_code == 0, result.stderr


def test_missing_column_and_bad_model(tmp_path, tiny_model_dir):
    path = tmp_path / "ads.csv"
    path.write_text("body\nhello\n", encoding="utf-8")
    result = invoke("score", "--input", path, "--model", tiny_model_dir)
    assert result.exit_code == 1 and "no column 'text' (columns: body)" in result.stderr
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model_dir, broken)
    (broken / "model.joblib").write_bytes(b"not a model")
    result = invoke("score", "hello", "--model", broken)
    assert result.exit_code == 1 and "altered or replaced" in result.stderr and result.stdout == ""


def test_usage_errors_exit_2(tiny_model_dir):
    assert invoke("score", "x", "--format", "xml").exit_code == 2
    assert invoke("score", "x", "--threshold", "1.5").exit_code == 2
    assert invoke("nonsense").exit_code == 2


def test_train_evaluate_and_show(tmp_path, sample_file):
    out = tmp_path / "model"
    result = invoke("train", "--data", sample_file, "--positive", "misleading", "--negative", "acceptable",
                    "--group-col", "group", "--out", out, "--folds", "3", "--c", "8", "--name", "cli", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert "wrote" in result.stderr and result.stdout == ""
    assert (out / "model.joblib").exists() and (out / "MODEL_CARD.md").exists()
    again = invoke("train", "--data", sample_file, "--negative", "acceptable", "--out", out, "--quiet")
    assert again.exit_code == 1 and "--overwrite" in again.stderr

    result = invoke("evaluate", "--model", out, "--data", sample_file, "--negative", "acceptable")
    assert result.exit_code == 0, result.stderr
    assert "lang=ko" in result.stdout and "ROC-AUC" in result.stdout and "category macro-F1" in result.stdout
    result = invoke("evaluate", "--model", out, "--data", sample_file, "--negative", "acceptable", "--format", "json")
    report = json.loads(result.stdout)
    assert report["overall"]["roc_auc"] > 0.8

    result = invoke("models", "show", out)
    assert result.exit_code == 0 and "cli-" in result.stdout and "sha256" in result.stdout
    assert json.loads(invoke("models", "show", out, "--format", "json").stdout)["name"] == "cli"


def test_train_bad_inputs(tmp_path):
    one_class = tmp_path / "one.csv"
    one_class.write_text("text,label\na,misleading\nb,misleading\n", encoding="utf-8")
    result = invoke("train", "--data", one_class, "--negative", "acceptable", "--out", tmp_path / "m")
    assert result.exit_code == 1 and "one class" in result.stderr
    assert not (tmp_path / "m").exists()
    result = invoke("train", "--data", one_class, "--text-col", "body", "--out", tmp_path / "m")
    assert result.exit_code == 1 and "no column 'body'" in result.stderr


def test_score_json_carries_price_claims_and_the_arithmetic_check(tiny_model_dir):
    result = invoke("score", "정가 660,000원 → 270,000원 65% 할인", "--model", tiny_model_dir, "--format", "json")
    document = json.loads(result.stdout)["results"][0]
    assert [c["kind"] for c in document["price_claims"]][:2] == ["reference", "sale"]
    finding = document["price_findings"][0]
    assert finding["status"] == "inconsistent" and round(finding["computed_percent"], 1) == 59.1


def test_prices_command(tmp_path):
    ads = tmp_path / "ads.csv"
    ads.write_text('listing_id,date,text\nL1,2026-03-21,"정가 189,000원 → 39,900원"\nL2,2026-03-21,보습 크림\n', encoding="utf-8")
    history = tmp_path / "history.csv"
    history.write_text("listing_id,date,price,currency\n" + "".join(f"L1,2026-03-{d:02d},39900,KRW\n" for d in range(1, 21)), encoding="utf-8")
    out = tmp_path / "findings.csv"
    result = invoke("prices", "--ads", ads, "--history", history, "--out", out)
    assert result.exit_code == 0, result.stderr
    import csv

    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["status"] for r in rows] == ["not_supported", "not_checkable"]
    assert "not_supported 1" in result.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("listing,when,amount\nx,y,z\n", encoding="utf-8")
    result = invoke("prices", "--ads", ads, "--history", bad, "--out", tmp_path / "f2.csv")
    assert result.exit_code == 1 and result.stderr.startswith("Error: ") and not (tmp_path / "f2.csv").exists()


def _history(tmp_path, name="history.csv", listing="L1", price="39900", days=range(1, 21), header="listing_id,date,price,currency"):
    path = tmp_path / name
    path.write_text(header + "\n" + "".join(f"{listing},2026-03-{d:02d},{price},KRW\n" for d in days), encoding="utf-8")
    return path


def test_score_checks_reference_prices_against_a_history_for_argument_texts(tmp_path, tiny_model_dir):
    history = _history(tmp_path)
    args = ("score", "정가 189,000원 → 39,900원 79% 할인", "보습 크림 50ml", "--model", tiny_model_dir, "--price-history", history,
            "--listing-id", "L1", "--ad-date", "2026-03-21")
    result = invoke(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    first, second = json.loads(result.stdout)["results"]
    verdict = first["price_verdicts"][0]
    assert verdict["status"] == "not_supported" and verdict["reference"] == 189000 and verdict["lowest"] == 39900
    assert verdict["window_start"] == "2026-03-01" and verdict["window_end"] == "2026-03-20" and verdict["true_discount_percent"] == 0.0
    assert first["text"][verdict["claim_start"]:verdict["claim_end"]] == verdict["claim_text"] == "189,000원"
    assert second["price_verdicts"] == []
    table = invoke(*args)
    assert table.exit_code == 0 and "Price checks:" in table.stdout and "#1 189,000원" in table.stdout and "not_supported" in table.stdout
    rows = invoke(*args, "--format", "csv").stdout.splitlines()
    assert rows[0].endswith("price_claims,price_findings,price_verdicts") and "not_supported: reference 189,000 KRW" in rows[1]


def test_score_joins_input_rows_on_their_listing_and_date_columns(tmp_path, tiny_model_dir):
    history = _history(tmp_path, header="item,day,won,cur")
    ads = tmp_path / "ads.csv"
    ads.write_text('sku,ran,text\nL1,2026-03-21,"정가 39,900원 → 29,900원"\nL1,,"정가 189,000원 → 39,900원"\nL9,2026-03-21,"정가 50,000원"\n',
                   encoding="utf-8")
    result = invoke("score", "--input", ads, "--model", tiny_model_dir, "--format", "json", "--price-history", history,
                    "--listing-col", "sku", "--date-col", "ran", "--history-listing-col", "item", "--history-date-col", "day",
                    "--history-price-col", "won", "--history-currency-col", "cur")
    assert result.exit_code == 0, result.stderr
    verdicts = [r["price_verdicts"][0] for r in json.loads(result.stdout)["results"]]
    assert [v["status"] for v in verdicts] == ["supported", "not_checkable", "not_checkable"]
    assert "date is missing" in verdicts[1]["reason"] and verdicts[2]["reason"] == "no price history for this listing"


def test_score_price_history_usage_errors(tmp_path, tiny_model_dir):
    history = _history(tmp_path)
    missing = invoke("score", "정가 189,000원", "--model", tiny_model_dir, "--price-history", history)
    assert missing.exit_code == 2 and "--listing-id and --ad-date" in missing.stderr
    stray = invoke("score", "정가 189,000원", "--model", tiny_model_dir, "--listing-id", "L1")
    assert stray.exit_code == 2 and "go with --price-history" in stray.stderr
    bad_date = invoke("score", "정가 189,000원", "--model", tiny_model_dir, "--price-history", history, "--listing-id", "L1", "--ad-date", "21/03/2026")
    assert bad_date.exit_code == 2 and "is not a date" in bad_date.stderr and not bad_date.stdout
    huge = invoke("score", "정가 189,000원", "--model", tiny_model_dir, "--price-history", history, "--listing-id", "L1",
                  "--ad-date", "2026-03-21", "--window-days", "5000000")
    assert huge.exit_code == 2 and not huge.stdout
    ads = tmp_path / "ads.csv"
    ads.write_text('text\n"정가 10,000원"\n', encoding="utf-8")
    no_column = invoke("score", "--input", ads, "--model", tiny_model_dir, "--price-history", history)
    assert no_column.exit_code == 1 and "listing_id" in no_column.stderr and not no_column.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("listing,when,amount\nx,y,z\n", encoding="utf-8")
    broken = invoke("score", "정가 10,000원", "--model", tiny_model_dir, "--price-history", bad, "--listing-id", "x", "--ad-date", "2026-01-01")
    assert broken.exit_code == 1 and broken.stderr.startswith("Error: ") and not broken.stdout


def test_score_input_with_numeric_ids_and_one_listing_for_all_rows(tmp_path, tiny_model_dir):
    history = _history(tmp_path, listing="300")
    ads = tmp_path / "ads.jsonl"
    # a numeric id column with a gap reads as floats in pandas: 300.0 must still match the history's 300
    ads.write_text('{"listing_id": 300, "date": "2026-03-21", "text": "정가 189,000원 → 39,900원"}\n'
                   '{"listing_id": null, "date": "2026-03-21", "text": "정가 50,000원"}\n', encoding="utf-8")
    result = invoke("score", "--input", ads, "--model", tiny_model_dir, "--format", "json", "--price-history", history)
    assert result.exit_code == 0, result.stderr
    first, second = [r["price_verdicts"][0] for r in json.loads(result.stdout)["results"]]
    assert first["listing_id"] == "300" and first["status"] == "not_supported"
    assert second["status"] == "not_checkable" and "no listing id" in second["reason"]
    plain = tmp_path / "ads.txt"
    plain.write_text("정가 189,000원 → 39,900원\n", encoding="utf-8")
    one = invoke("score", "--input", plain, "--model", tiny_model_dir, "--format", "json", "--price-history", history,
                 "--listing-id", "300", "--ad-date", "2026-03-21")
    assert one.exit_code == 0, one.stderr
    assert json.loads(one.stdout)["results"][0]["price_verdicts"][0]["status"] == "not_supported"
