import json
import random
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from adcheck.artifacts import default_model_dir, verify_model_dir
from adcheck.cli_models import register
from adcheck.errors import ModelFileError
from adcheck.registry import (
    POINTER_FILE,
    check_pointer,
    diff_models,
    list_models,
    promote,
    read_pointer,
    resolve_default_model_dir,
)
from tests.conftest import corpus_rows

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


def app():
    main, models_app = typer.Typer(), typer.Typer()
    main.add_typer(models_app, name="models")
    register(main, models_app)
    return main


@pytest.fixture(scope="module")
def models(tmp_path_factory, tiny_model_dir, sample_rows) -> Path:
    """models/v1 (the tiny model) and models/v2, retrained from it with new labels."""
    from adcheck.retrain import RetrainOptions, retrain

    root = tmp_path_factory.mktemp("registry") / "models"
    root.mkdir()
    shutil.copytree(tiny_model_dir, root / "v1")
    taken = {r["group"] for r in sample_rows}
    rows = corpus_rows()
    groups = sorted({r["group"] for r in rows} - taken)
    chosen = set(random.Random(4).sample(groups, 25))
    add = root.parent / "new.jsonl"
    add.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows if r["group"] in chosen), encoding="utf-8")
    retrain(RetrainOptions(base=root / "v1", add=[add], out=root / "v2", tolerance=1.0, baseline="parent"))
    return root


def test_promote_and_resolve(tmp_path, models):
    root = tmp_path / "models"
    shutil.copytree(models, root)
    assert resolve_default_model_dir(root) == default_model_dir()
    pointer = promote(root / "v2", root)
    assert pointer["path"] == "v2" and pointer["sha256"] == verify_model_dir(root / "v2")["artifact"]["sha256"]
    assert read_pointer(root)["model_id"] == pointer["model_id"]
    assert resolve_default_model_dir(root) == root / "v2"
    assert not [p for p in root.iterdir() if p.name.startswith(".DEFAULT")]
    # the pointer's folder altered: score and review fall back to the shipped model
    with open(root / "v2" / "model.joblib", "ab") as handle:
        handle.write(b"x")
    with pytest.raises(ModelFileError):
        check_pointer(root)
    assert resolve_default_model_dir(root) == default_model_dir()
    (root / POINTER_FILE).write_text("{not json", encoding="utf-8")
    assert resolve_default_model_dir(root) == default_model_dir()


def test_promote_refuses_a_broken_folder_and_keeps_the_previous_default(tmp_path, models):
    root = tmp_path / "models"
    shutil.copytree(models, root)
    promote(root / "v1", root)
    before = (root / POINTER_FILE).read_bytes()
    broken = root / "v3"
    shutil.copytree(root / "v2", broken)
    (broken / "model.joblib").write_bytes(b"garbage")
    with pytest.raises(ModelFileError):
        promote(broken, root)
    assert (root / POINTER_FILE).read_bytes() == before


def test_list_shows_lineage_and_default(tmp_path, models):
    root = tmp_path / "models"
    shutil.copytree(models, root)
    (root / "junk").mkdir()
    shutil.copytree(root / "v2", root / "v9")
    (root / "v9" / "model.joblib").write_bytes(b"garbage")
    promote(root / "v2", root)
    entries = {Path(e.path).name: e for e in list_models(root)}
    assert set(entries) == {"v1", "v2", "v9"}
    v1, v2 = entries["v1"], entries["v2"]
    assert v2.parent == v1.model_id and v1.parent is None
    assert v2.is_default and not v1.is_default
    assert v2.added_rows > 0 and v2.rows and v2.gate == "passed"
    assert v2.metrics["frozen_pr_auc"] is not None and v1.metrics["cv_pr_auc"] is not None
    assert entries["v9"].problem and "sha256" in entries["v9"].problem


def test_diff_names_changed_ngrams(models):
    diff = diff_models(models / "v1", models / "v2", top=10)
    assert len(diff["ngrams"]) == 10
    changes = [abs(g["change"]) for g in diff["ngrams"]]
    assert changes == sorted(changes, reverse=True) and changes[0] > 0
    assert any(g["ngram"].startswith(("w:", "c:")) for g in diff["ngrams"])
    metrics = {m["metric"]: m for m in diff["metrics"]}
    assert metrics["training rows"]["change"] is not None


def test_models_cli(tmp_path, models):
    root = tmp_path / "models"
    shutil.copytree(models, root)
    promoted = runner.invoke(app(), ["models", "promote", str(root / "v2"), "--models-dir", str(root)])
    assert promoted.exit_code == 0, promoted.stderr
    assert "promoted" in promoted.stderr
    listed = runner.invoke(app(), ["models", "list", "--models-dir", str(root)])
    assert listed.exit_code == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if "v2" in line]
    assert lines and lines[0].startswith("* ")
    assert f"default model: {root / 'v2'}" in listed.stderr
    as_json = json.loads(runner.invoke(app(), ["models", "list", "--models-dir", str(root), "--format", "json"]).stdout)
    assert [Path(m["path"]).name for m in as_json["models"]] == ["v1", "v2"]
    diffed = runner.invoke(app(), ["models", "diff", str(root / "v1"), str(root / "v2"), "--top", "5"])
    assert diffed.exit_code == 0, diffed.stderr
    assert "cv pr_auc" in diffed.stdout and "n-gram" in diffed.stdout
    missing = runner.invoke(app(), ["models", "list", "--models-dir", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "no such models directory" in missing.stderr


def test_models_dir_from_the_environment(tmp_path, models, monkeypatch):
    root = tmp_path / "elsewhere"
    shutil.copytree(models, root)
    promote(root / "v1", root)
    monkeypatch.setenv("ADCHECK_MODELS_DIR", str(root))
    assert resolve_default_model_dir() == root / "v1"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ADCHECK_MODELS_DIR")
    assert resolve_default_model_dir() == default_model_dir()
