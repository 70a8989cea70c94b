import csv
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from adcheck.cli_models import register
from adcheck.datacheck import CORPUS_COLUMNS, check_files
from adcheck.errors import InputDataError
from adcheck.feedback import collect_feedback, near_duplicate_clusters, write_feedback

runner = CliRunner(env={"COLUMNS": "160", "NO_COLOR": "1"})

ADS = [
    ("a1", "오늘만 90% 할인! 100% 효과 보장, 부작용 전혀 없는 다이어트 보조제"),
    ("a2", "보습 크림 50ml, 피부 타입에 따라 결과가 다를 수 있습니다"),
    ("a3", "Doctors hate this: lose 20 pounds in 3 days, guaranteed results or double your money back"),
    ("a4", "Free returns within 30 days of delivery; see the returns page for details"),
    ("a5", "Doctors hate this: lose 20 pounds in 3 days, guaranteed results or double your money back today only"),
]


def app():
    main, models_app = typer.Typer(), typer.Typer()
    main.add_typer(models_app, name="models")
    register(main, models_app)
    return main


@pytest.fixture
def batch_output(tmp_path, tiny_model) -> Path:
    from adcheck.batch import BatchOptions, run_batch
    from adcheck.records import ReadOptions

    source = tmp_path / "ads.csv"
    with open(source, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows(ADS)
    out = tmp_path / "scored.csv"
    run_batch(tiny_model, BatchOptions(inputs=[source], out=out, read=ReadOptions(text_cols=["text"], id_col="id"), jobs=1))
    return out


def fill(path: Path, decisions: dict[str, tuple], out: Path | None = None, encoding: str = "utf-8") -> Path:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0]) + (["review_categories"] if "review_categories" not in rows[0] else [])
    for row in rows:
        label, categories, note = decisions.get(row["id"], ("", "", ""))
        row.update(review_label=label, review_categories=categories, review_note=note)
    target = out or path
    with open(target, "w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return target


def test_collect_batch_output_into_corpus_schema(tmp_path, batch_output):
    fill(batch_output, {
        "a1": ("misleading", "health_efficacy;price", "claims no side effects"),
        "a2": ("acceptable", "", ""),
        "a3": ("misleading", "guarantee", ""),
        "a5": ("misleading", "guarantee", "variant of a3"),
    })
    result = collect_feedback([batch_output])
    assert result.reviewed == 4 and result.unreviewed == 1
    by_claim = {r["claim_id"]: r for r in result.rows}
    assert by_claim["a1"]["categories"] == "health_efficacy;price" and by_claim["a1"]["note"] == "claims no side effects"
    assert by_claim["a1"]["claim_source"] == "ads.csv" and by_claim["a1"]["claim_position"] == "1"
    assert by_claim["a1"]["feedback_file"] == str(batch_output) and by_claim["a1"]["feedback_row"] == 1
    assert by_claim["a2"]["label"] == "acceptable" and by_claim["a2"]["categories"] == ""
    assert by_claim["a1"]["lang"] == "ko" and by_claim["a3"]["lang"] == "en"
    # near-duplicate variants share a group, so the file passes the data check
    assert by_claim["a3"]["group"] == by_claim["a5"]["group"] != by_claim["a1"]["group"]
    out = write_feedback(result.rows, tmp_path / "new_labels.csv")
    report = check_files([out])
    assert not report.errors, [str(f) for f in report.errors]
    with open(out, encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header[: len(CORPUS_COLUMNS)] == list(CORPUS_COLUMNS)


def test_model_categories_fill_in_for_a_confirmed_flag(tmp_path):
    review = tmp_path / "review.json"
    review.write_text(json.dumps({"model_id": "m", "results": [
        {"id": "x1", "text": "최저가 보장! 지금 아니면 이 가격 없습니다", "categories": [{"code": "price", "probability": 0.4}],
         "review_label": "misleading"},
        {"id": "x2", "text": "Ships in 2-3 business days", "categories": [], "review_label": "Acceptable"},
    ]}, ensure_ascii=False), encoding="utf-8")
    rows = collect_feedback([review]).rows
    assert rows[0]["categories"] == "price" and rows[0]["categories_from"] == "model"
    assert rows[1]["label"] == "acceptable"


def test_unknown_labels_missing_columns_and_conflicts(tmp_path, batch_output):
    fill(batch_output, {"a1": ("maybe", "", ""), "a2": ("misleading", "", ""), "a3": ("misleading", "nonsense", "")})
    with pytest.raises(InputDataError) as info:
        collect_feedback([batch_output])
    message = str(info.value)
    assert f"{batch_output}:1: unknown review_label 'maybe'" in message
    assert f"{batch_output}:3: unknown category ['nonsense']" in message
    no_label = tmp_path / "plain.csv"
    no_label.write_text("id,text\n1,hello\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"missing column\(s\) \['review_label'\]"):
        collect_feedback([no_label])
    first = tmp_path / "one.csv"
    second = tmp_path / "two.csv"
    first.write_text("id,text,review_label\n1,Free returns within 30 days,acceptable\n", encoding="utf-8")
    second.write_text("id,text,review_label,review_categories\n9,Free returns within 30 days!,misleading,guarantee\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="conflicting label"):
        collect_feedback([first, second])


def test_encodings_per_file_and_undecodable_files(tmp_path):
    korean = tmp_path / "cp949.csv"
    korean.write_bytes("id,text,review_label,review_categories\n1,최고의 효과 보장,misleading,health_efficacy\n".encode("cp949"))
    english = tmp_path / "utf16.csv"
    english.write_bytes("id,text,review_label\n2,Free returns within 30 days,acceptable\n".encode("utf-16"))
    result = collect_feedback([korean, english])
    assert [r["text"] for r in result.rows] == ["최고의 효과 보장", "Free returns within 30 days"]
    assert [f["encoding"] for f in result.files] == ["cp949", "utf-16"]
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes("id,text,review_label\n1,최고의 효과 보장,misleading\n".encode() + "2,무료 배송,acceptable\n".encode("cp949"))
    with pytest.raises(InputDataError, match="cannot decode"):
        collect_feedback([mixed])


def test_nothing_reviewed_is_an_error(batch_output):
    with pytest.raises(InputDataError, match="no reviewed row"):
        collect_feedback([batch_output])


def test_near_duplicate_clusters():
    texts = ["a b c d e f g h i", "x a b c d e f g h", "totally different words here", "A B C D E F G H I"]
    clusters = near_duplicate_clusters(texts)
    assert clusters[0] == clusters[1] == clusters[3] != clusters[2]


def test_collect_cli(tmp_path, batch_output):
    fill(batch_output, {"a2": ("acceptable", "", ""), "a4": ("acceptable", "", "")})
    out = tmp_path / "labels.jsonl"
    result = runner.invoke(app(), ["feedback", "collect", str(batch_output), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "wrote 2 labeled row(s)" in result.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    again = runner.invoke(app(), ["feedback", "collect", str(batch_output), "--out", str(out)])
    assert again.exit_code == 1 and "exists" in again.stderr
