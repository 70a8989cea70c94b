import csv
import json
import random
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from adcheck.artifacts import CARD_FILE, verify_model_dir
from adcheck.cli_models import register
from adcheck.datacheck import CORPUS_COLUMNS
from adcheck.errors import InputDataError, ModelFileError
from adcheck.retrain import (
    LabelConflictError,
    RegressionError,
    RetrainOptions,
    frozen_eval_groups,
    is_frozen_group,
    retrain,
    run_gate,
)
from tests.conftest import corpus_rows

runner = CliRunner(env={"COLUMNS": "160", "NO_COLOR": "1"})


def write_rows(path: Path, rows: list[dict]) -> Path:
    if path.suffix == ".csv":
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(CORPUS_COLUMNS), extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    else:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory) -> Path:
    from adcheck.training import TrainConfig
    from adcheck.training_config import TrainingOptions, run_training

    rows = corpus_rows()
    groups = sorted({r["group"] for r in rows})
    chosen = set(random.Random(11).sample(groups, 260))
    folder = tmp_path_factory.mktemp("retrain")
    data = write_rows(folder / "base.jsonl", [r for r in rows if r["group"] in chosen])
    out = folder / "base_model"
    run_training(TrainingOptions(data=[data], out=out, group_col="group", negative=["acceptable"],
                                 config=TrainConfig(name="base", c_values=(8.0,), n_folds=3, seed=5)))
    return out


def base_rows(base_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (base_dir.parent / "base.jsonl").read_text(encoding="utf-8").splitlines()]


def unseen_rows(base_dir: Path, n_groups: int, seed: int = 1) -> list[dict]:
    taken = {r["group"] for r in base_rows(base_dir)}
    rows = corpus_rows()
    groups = sorted({r["group"] for r in rows} - taken)
    chosen = set(random.Random(seed).sample(groups, n_groups))
    return [dict(r) for r in rows if r["group"] in chosen]


def test_frozen_groups_are_stable_and_about_a_tenth():
    groups = [f"g{i:05d}" for i in range(5000)]
    frozen = frozen_eval_groups(groups)
    assert 0.08 < len(frozen) / len(groups) < 0.12
    # membership depends on the id alone: a larger corpus keeps every earlier decision
    bigger = frozen_eval_groups(groups + [f"h{i}" for i in range(3000)])
    assert frozen == {g for g in bigger if g.startswith("g")}
    assert all(is_frozen_group(g) for g in frozen)
    assert frozen_eval_groups(reversed(groups)) == frozen


def test_retrain_writes_a_linked_model(tmp_path, base_dir):
    add = write_rows(tmp_path / "new_labels.csv", unseen_rows(base_dir, 30))
    out = tmp_path / "child"
    messages = []
    result = retrain(RetrainOptions(base=base_dir, add=[add], out=out, tolerance=1.0), progress=messages.append)
    meta = verify_model_dir(out)
    parent = verify_model_dir(base_dir)
    assert meta["parent"]["model_id"] == parent["model_id"]
    assert meta["parent"]["sha256"] == parent["artifact"]["sha256"]
    assert meta["retrain"]["added_rows"] == result.report.added_rows > 0
    assert meta["retrain"]["added"][0]["path"] == str(add)
    assert [s["role"] for s in meta["training_data"]["sources"]] == ["base", "added"]
    frozen = meta["retrain"]["frozen_eval"]
    assert frozen["rows"] > 0 and frozen["groups"] > 0
    # the frozen groups were not trained on
    base_count = len(base_rows(base_dir))
    assert meta["training_data"]["counts"]["rows"] == base_count - frozen["rows"] + meta["retrain"]["added_rows"]
    assert set(meta["retrain"]["comparison"]) == {"frozen_eval", "new_examples"}
    assert meta["retrain"]["gate"]["passed"] and not meta["retrain"]["gate"]["overridden"]
    # the parent saw every group, so the reference is a refit without them, and the output says so
    assert meta["retrain"]["reference"] == "parent-refit"
    text = "\n".join(messages)
    assert "may have seen" in text and "frozen_eval" in text and "new_examples" in text
    assert "Regression gate (pr_auc, tolerance 1.0) passed" in (out / CARD_FILE).read_text(encoding="utf-8")

    # a grandchild rebuilds the corpus from the listed files and compares with its parent directly
    add2 = write_rows(tmp_path / "more.jsonl", unseen_rows(base_dir, 15, seed=2))
    grandchild = retrain(RetrainOptions(base=out, add=[add2], out=tmp_path / "grandchild", tolerance=1.0, baseline="auto"))
    gmeta = grandchild.model.metadata
    assert gmeta["retrain"]["reference"] == "parent"
    assert gmeta["retrain"]["frozen_eval"]["groups_sha256"] == frozen["groups_sha256"]
    assert gmeta["training_data"]["counts"]["rows"] == meta["training_data"]["counts"]["rows"] + gmeta["retrain"]["added_rows"]


def test_conflicting_label_stops_unless_told_which_side_wins(tmp_path, base_dir):
    corpus = base_rows(base_dir)
    frozen = frozen_eval_groups(r["group"] for r in corpus)
    victim = next(r for r in corpus if r["label"] == "misleading" and r["group"] not in frozen)
    flipped = {**victim, "id": "new-1", "label": "acceptable", "categories": "", "group": "new-g1"}
    add = write_rows(tmp_path / "new.csv", [flipped, *unseen_rows(base_dir, 5)])
    out = tmp_path / "child"
    with pytest.raises(LabelConflictError) as info:
        retrain(RetrainOptions(base=base_dir, add=[add], out=out, tolerance=1.0, baseline="parent"))
    message = str(info.value)
    assert f"{add}:1 (acceptable)" in message and "(misleading)" in message and "--prefer" in message
    assert not out.exists()
    result = retrain(RetrainOptions(base=base_dir, add=[add], out=out, tolerance=1.0, baseline="parent", prefer="new"))
    dropped = result.model.metadata["retrain"]["dropped"]
    assert len(dropped) == 1 and dropped[0]["positive"] is True and dropped[0]["where"].endswith(".jsonl:" + str(corpus.index(victim) + 1))


def test_add_file_that_duplicates_the_corpus_is_refused(tmp_path, base_dir):
    rows = base_rows(base_dir)[:20]
    add = write_rows(tmp_path / "dupes.jsonl", rows)
    with pytest.raises(InputDataError, match="add nothing new"):
        retrain(RetrainOptions(base=base_dir, add=[add], out=tmp_path / "child", baseline="parent"))
    assert not (tmp_path / "child").exists()


def test_bad_new_labels_fail_the_data_check(tmp_path, base_dir):
    rows = unseen_rows(base_dir, 3)
    rows[0]["label"] = "maybe"
    add = write_rows(tmp_path / "bad.csv", rows)
    with pytest.raises(InputDataError, match="unknown label 'maybe'"):
        retrain(RetrainOptions(base=base_dir, add=[add], out=tmp_path / "child"))
    missing = tmp_path / "missing.csv"
    missing.write_text("text,label\nhello there,acceptable\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="missing column"):
        retrain(RetrainOptions(base=base_dir, add=[missing], out=tmp_path / "child"))
    assert not (tmp_path / "child").exists()


def test_base_model_failing_its_integrity_check(tmp_path, base_dir):
    broken = tmp_path / "broken"
    shutil.copytree(base_dir, broken)
    with open(broken / "model.joblib", "ab") as handle:
        handle.write(b"tampered")
    add = write_rows(tmp_path / "new.csv", unseen_rows(base_dir, 3))
    with pytest.raises(ModelFileError, match="integrity check"):
        retrain(RetrainOptions(base=broken, add=[add], out=tmp_path / "child"))
    assert not (tmp_path / "child").exists()


def test_missing_training_file_is_a_clear_error(tmp_path, base_dir):
    moved = tmp_path / "moved"
    shutil.copytree(base_dir, moved)
    meta = json.loads((moved / "metadata.json").read_text(encoding="utf-8"))
    meta["training_data"]["sources"][0]["path"] = "nowhere/corpus.jsonl"
    (moved / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    add = write_rows(tmp_path / "new.csv", unseen_rows(base_dir, 3))
    with pytest.raises(InputDataError, match="not found relative to the current directory"):
        retrain(RetrainOptions(base=moved, add=[add], out=tmp_path / "child"))


def test_interrupted_retrain_leaves_no_folder(tmp_path, base_dir, monkeypatch):
    import joblib

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(joblib, "dump", interrupted)
    add = write_rows(tmp_path / "new.csv", unseen_rows(base_dir, 5))
    models = tmp_path / "models"
    models.mkdir()
    (models / "DEFAULT").write_text('{"path": "v1", "sha256": "x"}\n', encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        retrain(RetrainOptions(base=base_dir, add=[add], out=models / "v2", tolerance=1.0, baseline="parent"))
    assert sorted(p.name for p in models.iterdir()) == ["DEFAULT"]
    assert (models / "DEFAULT").read_text(encoding="utf-8") == '{"path": "v1", "sha256": "x"}\n'


def test_gate_refuses_a_regression_unless_allowed(tmp_path, base_dir):
    comparison = {"frozen_eval": {"reference": {"pr_auc": 0.9}, "new": {"pr_auc": 0.85}},
                  "new_examples": {"reference": {"pr_auc": None}, "new": {"pr_auc": 0.7}}}
    gate = run_gate(comparison, "pr_auc", 0.02)
    assert not gate["passed"] and gate["checks"][0]["change"] == -0.05 and gate["checks"][1]["passed"]
    assert run_gate(comparison, "pr_auc", 0.06)["passed"]

    # labels flipped on many new rows make the child worse on the frozen set
    rows = unseen_rows(base_dir, 160, seed=3)
    for row in rows:
        if row["label"] == "misleading":
            row["label"], row["categories"] = "acceptable", ""
        else:
            row["label"], row["categories"] = "misleading", "price"
    add = write_rows(tmp_path / "flipped.csv", rows)
    out = tmp_path / "child"
    with pytest.raises(RegressionError, match="no model was written"):
        retrain(RetrainOptions(base=base_dir, add=[add], out=out, tolerance=0.0, baseline="parent"))
    assert not out.exists()
    result = retrain(RetrainOptions(base=base_dir, add=[add], out=out, tolerance=0.0, baseline="parent", allow_regression=True))
    gate = result.model.metadata["retrain"]["gate"]
    assert gate["overridden"] and not gate["passed"]
    assert "overridden with --allow-regression" in (out / CARD_FILE).read_text(encoding="utf-8")


def test_retrain_cli(tmp_path, base_dir):
    app, models_app = typer.Typer(), typer.Typer()
    app.add_typer(models_app, name="models")
    register(app, models_app)
    add = write_rows(tmp_path / "new.csv", unseen_rows(base_dir, 10))
    out = tmp_path / "child"
    result = runner.invoke(app, ["retrain", "--base", str(base_dir), "--add", str(add), "--out", str(out),
                                 "--tolerance", "1", "--baseline", "parent", "--quiet"])
    assert result.exit_code == 0, result.stderr
    assert "frozen_eval" in result.stderr and "new_examples" in result.stderr
    assert f"wrote {out}" in result.stderr and "parent base-" in result.stderr
    again = runner.invoke(app, ["retrain", "--base", str(base_dir), "--add", str(add), "--out", str(out)])
    assert again.exit_code == 1 and "exists and is not empty" in again.stderr


def test_a_stopped_retrain_resumes_its_source_holdout_from_a_checkpoint(tmp_path):
    from adcheck.training import TrainConfig
    from adcheck.training_config import TrainingOptions, run_training

    rows = corpus_rows()
    groups = sorted({r["group"] for r in rows})
    chosen = set(random.Random(12).sample(groups, 200))
    data = write_rows(tmp_path / "base.jsonl", [r for r in rows if r["group"] in chosen])
    base = tmp_path / "base_model"
    run_training(TrainingOptions(data=[data], out=base, group_col="group", negative=["acceptable"],
                                 config=TrainConfig(name="base", c_values=(8.0,), n_folds=3, seed=5, source_holdout="file")))
    taken = {r["group"] for r in rows if r["group"] in chosen}
    extra = sorted({r["group"] for r in rows} - taken)
    more = set(random.Random(2).sample(extra, 40))
    add = write_rows(tmp_path / "new_labels.jsonl", [dict(r) for r in rows if r["group"] in more])
    runs = []
    for out in ("first", "second"):
        messages = []
        retrain(RetrainOptions(base=base, add=[add], out=tmp_path / out, tolerance=1.0, jobs=1, checkpoint=tmp_path / "ck"),
                progress=messages.append)
        runs.append(messages)
    assert not any("(from the checkpoint)" in m for m in runs[0])
    assert sum("(from the checkpoint)" in m for m in runs[1]) == 2  # the base file and the added one
    reports = [verify_model_dir(tmp_path / out)["cv"]["report"]["across_sources"] for out in ("first", "second")]
    assert reports[0] == reports[1] and reports[0]["sources"] == 2


def test_retrain_takes_another_number_of_source_sets_and_refuses_a_bad_one(tmp_path):
    from adcheck.artifacts import default_model_dir
    from adcheck.errors import TrainingError

    add = write_rows(tmp_path / "new_labels.jsonl", corpus_rows()[:5])
    options = RetrainOptions(base=default_model_dir(), add=[add], out=tmp_path / "out", source_sets=1)
    with pytest.raises(TrainingError, match="source_holdout_sets must be a whole number of at least 2"):
        retrain(options)
    assert not (tmp_path / "out").exists()
    app, models_app = typer.Typer(), typer.Typer()
    app.add_typer(models_app, name="models")
    register(app, models_app)
    result = runner.invoke(app, ["retrain", "--base", str(default_model_dir()), "--add", str(add), "--out", str(tmp_path / "out"),
                                 "--source-sets", "1"])
    assert result.exit_code != 0 and "source_holdout_sets must be a whole number of at least 2" in result.stderr
