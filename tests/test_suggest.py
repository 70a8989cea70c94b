import csv
import random
import zipfile

import numpy as np
import typer
from typer.testing import CliRunner

from adcheck.cli_models import register
from adcheck.feedback import collect_feedback, near_duplicate_clusters, text_key
from adcheck.suggest import SUGGEST_COLUMNS, select, suggest, uncertainty
from tests.conftest import corpus_rows

runner = CliRunner(env={"COLUMNS": "160", "NO_COLOR": "1"})


def app():
    main, models_app = typer.Typer(), typer.Typer()
    main.add_typer(models_app, name="models")
    register(main, models_app)
    return main


def unlabeled(sample_rows, n=300, seed=2):
    taken = {r["group"] for r in sample_rows}
    rows = [r for r in corpus_rows() if r["group"] not in taken]
    return random.Random(seed).sample(rows, n)


def test_select_collapses_duplicates_and_spreads_strata():
    risk = np.asarray([0.5, 0.5, 0.49, 0.9, 0.45, 0.05, 0.55, 0.6])
    clusters = [0, 0, 0, 3, 4, 5, 6, 7]  # 0, 1, 2 are near duplicates
    strata = ["ko", "ko", "ko", "en", "ko", "en", "ko", "ko"]
    picked = select(risk, clusters, strata, 3)
    assert picked[0] == 0 and 1 not in picked and 2 not in picked
    assert "en" in {strata[i] for i in picked}  # the best English text gets a turn
    assert len(select(risk, clusters, strata, 50)) == 6  # one per cluster at most
    assert uncertainty(np.asarray([0.5, 0.0, 1.0])).tolist() == [1.0, 0.0, 0.0]


def test_suggest_picks_uncertain_varied_unique_texts(tiny_model, sample_rows):
    rows = unlabeled(sample_rows)
    texts = [r["text"] for r in rows]
    texts = texts + [texts[0] + " 오늘만!", texts[0]]  # near and exact duplicates of one text
    picks = suggest(tiny_model, texts, 40, ids=[str(i) for i in range(len(texts))])
    assert len(picks) == 40
    chosen = [int(p.id) for p in picks]
    clusters = near_duplicate_clusters(texts)
    assert len({clusters[i] for i in chosen}) == 40
    assert {p.lang for p in picks} >= {"ko", "en"}
    assert len({p.likely_category for p in picks}) >= 4
    all_u = uncertainty(tiny_model.predict_proba(texts))
    assert np.mean([p.uncertainty for p in picks]) > np.mean(all_u) + 0.1
    skipped = suggest(tiny_model, texts, 10, exclude_keys={text_key(texts[0])})
    assert texts[0] not in {p.text for p in skipped}


def test_suggest_cli_then_collect(tmp_path, tiny_model_dir, sample_rows):
    rows = unlabeled(sample_rows, 120)
    table = tmp_path / "archive.csv"
    with open(table, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["listing", "title"])
        writer.writerows((f"L{i}", r["text"]) for i, r in enumerate(rows))
    archive = tmp_path / "dump.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(table, "dump/listings.csv")
    out = tmp_path / "to_label.csv"
    result = runner.invoke(app(), ["suggest", "--model", str(tiny_model_dir), "--input", str(archive), "--text-col", "title",
                                   "--id-col", "listing", "--n", "25", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "model tiny-" in result.stderr and "wrote 25 suggestion(s)" in result.stderr
    with open(out, encoding="utf-8") as handle:
        suggested = list(csv.DictReader(handle))
    assert len(suggested) == 25 and list(suggested[0]) == list(SUGGEST_COLUMNS)
    assert suggested[0]["source"].endswith("listings.csv") and suggested[0]["id"].startswith("L")
    # a reviewer labels a few; feedback collect turns the file into labels
    truth = {f"L{i}": r for i, r in enumerate(rows)}
    for row in suggested[:6]:
        original = truth[row["id"]]
        row["review_label"] = original["label"]
        row["review_categories"] = original["categories"]
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(SUGGEST_COLUMNS))
        writer.writeheader()
        writer.writerows(suggested)
    collected = collect_feedback([out])
    assert collected.reviewed == 6 and collected.unreviewed == 19
    assert {r["claim_id"] for r in collected.rows} == {r["id"] for r in suggested[:6]}
    bad = runner.invoke(app(), ["suggest", "--model", str(tiny_model_dir), "--input", str(tmp_path / "none.csv"), "--out", str(tmp_path / "x.csv")])
    assert bad.exit_code == 1 and "no such file" in bad.stderr
