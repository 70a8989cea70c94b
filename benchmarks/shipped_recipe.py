"""Shared by the benchmark scripts: the labeled corpus and the shipped model's training recipe."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from adcheck.features import FeatureSpec
from adcheck.readers import LabeledData, load_labeled
from adcheck.training import TrainConfig
from adcheck.training_config import TrainingOptions, resolve_training_options

ROOT = Path(__file__).resolve().parents[1]


def load_recipe() -> tuple[TrainingOptions, LabeledData, float]:
    """training/default.toml's options, the corpus it names, and the C the shipped model chose."""
    options = resolve_training_options(
        config=ROOT / "training" / "default.toml", data=None, out=None, text_col="text", label_col="label", positive=None,
        negative=None, group_col=None, categories_col="categories", lang_col="lang", name=None, seed=None, folds=None,
        c_values=None,
    )
    data = load_labeled(options.data, text_col="text", label_col="label", positive=options.positive, negative=options.negative,
                        group_col=options.group_col, categories_col=options.categories_col, lang_col=options.lang_col)
    meta = json.loads((ROOT / "adcheck" / "default_model" / "metadata.json").read_text(encoding="utf-8"))
    return options, data, float(meta["hyperparameters"]["C"])


class RecipeFolds(NamedTuple):
    """The recipe's pieces a cross-validated benchmark needs, loaded once."""

    config: TrainConfig
    data: LabeledData
    c_value: float  # the shipped model's C
    spec: FeatureSpec  # the recipe's (first) feature spec
    y: np.ndarray  # bool: misleading
    folds: list[tuple[np.ndarray, np.ndarray]]  # the recipe's grouped folds
    targets: dict[str, np.ndarray]  # per category, the rows that carry it


def recipe_folds() -> RecipeFolds:
    """training/default.toml's corpus and options, the shipped C, and the grouped folds training uses."""
    from adcheck.training import _category_targets, grouped_folds

    options, data, c_value = load_recipe()
    config = options.config
    y = data.labels.astype(bool)
    return RecipeFolds(config, data, c_value, config.feature_specs[0], y,
                       grouped_folds(y, data.groups, config.n_folds, config.seed), _category_targets(data))


def best_f1(y: np.ndarray, scores: np.ndarray) -> float:
    """The highest F1 of the positive class over every threshold on (y, scores)."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, _ = precision_recall_curve(y, scores)
    return float((2 * precision * recall / np.maximum(precision + recall, 1e-12)).max())
