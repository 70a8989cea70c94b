"""Shared fixtures: a small sample of the corpus and a tiny model trained once per session."""

from __future__ import annotations

import glob
import importlib.util
import json
import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS_GLOB = str(ROOT / "training" / "data" / "corpus" / "**" / "*.jsonl")


def load_training_script(name: str):
    """A script of training/ (which is not a package) imported as a module, for its tests."""
    path = ROOT / "training" / f"{name}.py"
    if not path.exists():
        raise FileNotFoundError(f"no training script {path}")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the script runs
    saved = list(sys.path)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved  # a script may put its own folders on the path; keep them out of other tests
    return module


def corpus_rows() -> list[dict]:
    rows = []
    for path in sorted(glob.glob(CORPUS_GLOB, recursive=True)):
        with open(path, encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return rows


@pytest.fixture(scope="session")
def shared_cv_checkpoint(tmp_path_factory) -> Path:
    """One checkpoint folder (adcheck.checkpoint) for the two tests that cross-validate the whole corpus
    at the shipped C: the notebook's and the rebuild of the shipped model run the same folds, so the
    second reads back the first's predictions instead of fitting them again (each still fits when run
    alone)."""
    return tmp_path_factory.mktemp("cv-checkpoint")


@pytest.fixture(scope="session")
def sample_rows() -> list[dict]:
    """About 600 corpus rows, whole groups, both labels and languages."""
    rows = corpus_rows()
    groups = sorted({r["group"] for r in rows})
    chosen = set(random.Random(7).sample(groups, min(len(groups), 420)))
    return [r for r in rows if r["group"] in chosen]


@pytest.fixture(scope="session")
def sample_file(tmp_path_factory, sample_rows) -> Path:
    path = tmp_path_factory.mktemp("data") / "sample.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in sample_rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, sample_file) -> Path:
    from adcheck.training import TrainConfig
    from adcheck.training_config import TrainingOptions, run_training

    out = tmp_path_factory.mktemp("models") / "tiny"
    options = TrainingOptions(
        data=[sample_file], out=out, group_col="group", negative=["acceptable"],
        config=TrainConfig(name="tiny", c_values=(4.0, 16.0), n_folds=3, seed=5),
    )
    run_training(options)
    return out


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    from adcheck import load_model

    return load_model(tiny_model_dir)


@pytest.fixture(scope="session")
def staged_model_dir(tmp_path_factory, sample_file) -> Path:
    """A tiny model with the second stage (boosted trees over the heads: adcheck.stage_two)."""
    from adcheck.training import TrainConfig
    from adcheck.training_config import TrainingOptions, run_training

    out = tmp_path_factory.mktemp("models") / "staged"
    options = TrainingOptions(
        data=[sample_file], out=out, group_col="group", negative=["acceptable"],
        config=TrainConfig(name="staged", c_values=(4.0,), n_folds=3, seed=5, stage_two="trees"),
    )
    run_training(options)
    return out


@pytest.fixture(scope="session")
def staged_model(staged_model_dir):
    from adcheck import load_model

    return load_model(staged_model_dir)
