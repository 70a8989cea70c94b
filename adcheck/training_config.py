"""Training runs: options from a TOML config and the command line, then train, describe and save."""

from __future__ import annotations

import glob
import hashlib
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from adcheck.errors import InputDataError, TrainingError
from adcheck.features import FeatureSpec
from adcheck.model import AdModel
from adcheck.training import SOURCE_HOLDOUT_UNITS, TrainConfig


@dataclass
class TrainingOptions:
    data: list[Path]
    out: Path
    text_col: str = "text"
    label_col: str = "label"
    positive: list[str] = field(default_factory=lambda: ["misleading"])
    negative: list[str] | None = None
    group_col: str | None = None
    categories_col: str = "categories"
    lang_col: str = "lang"
    config: TrainConfig = field(default_factory=TrainConfig)
    notes: str | None = None


def _expand(patterns: list[str], base: Path) -> list[Path]:
    paths: list[Path] = []
    for pattern in patterns:
        full = str(base / pattern) if not Path(pattern).is_absolute() else pattern
        matches = sorted(glob.glob(full, recursive=True))
        if not matches:
            raise InputDataError(f"no file matches {pattern!r} (looked in {base})")
        paths.extend(Path(m) for m in matches)
    return paths


def _source_holdout(value) -> str | None:
    """The per-source hold-out unit; "none" or false turns it off (so the command line can override a config)."""
    if value is None or value is False or value == "none":
        return None
    if value not in SOURCE_HOLDOUT_UNITS:
        raise TrainingError(f"source_holdout must be one of {', '.join(SOURCE_HOLDOUT_UNITS)} or none, not {value!r}")
    return str(value)


def _source_holdout_sets(value) -> int | None:
    """How many sets the held-out sources leave in; none, false or 0: each source alone."""
    if value is None or value is False or value == "none" or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise TrainingError(f"source_holdout_sets must be a whole number of at least 2 (or 0 for each source alone), not {value!r}")
    return value


def _category_weights(value) -> str | None:
    """How the category heads weight their classes: "balanced", or "none" (false) for unweighted."""
    if value is None or value is False or value == "none":
        return None
    if value != "balanced":
        raise TrainingError(f"category_weights must be balanced or none, not {value!r}")
    return "balanced"


def _stage_two(value) -> str | None:
    """The second stage: "trees", or "none" (false) for the risk head alone."""
    if value is None or value is False or value == "none":
        return None
    if value != "trees":
        raise TrainingError(f"stage_two must be trees or none, not {value!r}")
    return "trees"


def _feature_spec(number: int, settings: dict) -> FeatureSpec:
    """One [[features]] table of the config, checked before any data is read."""
    try:
        spec = FeatureSpec(**settings)
        spec.validate()
    except (TypeError, ValueError) as exc:
        raise TrainingError(f"[[features]] table {number} of the config: {exc}") from None
    return spec


def resolve_training_options(*, config: Path | None, data, out, text_col, label_col, positive, negative, group_col,
                             categories_col, lang_col, name, seed, folds, c_values, nb_alpha=None, source_holdout=None,
                             source_holdout_sets=None) -> TrainingOptions:
    """Merge a TOML config (paths relative to it) with command-line values, which win when given."""
    settings: dict = {}
    base = Path.cwd()
    if config is not None:
        try:
            settings = tomllib.loads(Path(config).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputDataError(f"{config}: cannot read the training config ({exc})") from None
        base = Path(config).resolve().parent
    data_cfg = settings.get("data", {})
    model_cfg = settings.get("model", {})
    train_cfg = settings.get("training", {})
    specs = tuple(_feature_spec(number, spec) for number, spec in enumerate(settings.get("features", []), 1)) or (FeatureSpec(),)
    paths = list(data) if data else _expand(list(data_cfg.get("files", [])), base)
    if not paths:
        raise InputDataError("no training data: pass --data FILE or a --config with [data] files")
    out_dir = out if out is not None else (base / model_cfg["out"] if "out" in model_cfg else None)
    if out_dir is None:
        raise InputDataError("no output folder: pass --out DIR or set [model] out in the config")
    defaults = TrainConfig()
    train_config = TrainConfig(
        name=name or model_cfg.get("name", defaults.name),
        c_values=tuple(c_values or train_cfg.get("c_values", defaults.c_values)),
        feature_specs=specs,
        n_folds=folds or train_cfg.get("folds", defaults.n_folds),
        seed=seed if seed is not None else train_cfg.get("seed", defaults.seed),
        high_precision=train_cfg.get("high_precision", defaults.high_precision),
        medium_precision=train_cfg.get("medium_precision", defaults.medium_precision),
        selection_metric=train_cfg.get("selection_metric", defaults.selection_metric),
        nb_alpha=nb_alpha if nb_alpha is not None else train_cfg.get("nb_alpha", defaults.nb_alpha),
        source_holdout=_source_holdout(source_holdout if source_holdout is not None else train_cfg.get("source_holdout", defaults.source_holdout)),
        source_holdout_sets=_source_holdout_sets(
            source_holdout_sets if source_holdout_sets is not None else train_cfg.get("source_holdout_sets", defaults.source_holdout_sets)
        ),
        category_weights=_category_weights(train_cfg.get("category_weights", defaults.category_weights)),
        stage_two=_stage_two(train_cfg.get("stage_two", defaults.stage_two)),
    )

    alpha = train_config.nb_alpha
    if alpha is not None and (isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not math.isfinite(alpha) or alpha < 0.001):
        raise TrainingError(f"nb_alpha must be a number of at least 0.001 (or left out to train without NB scaling), not {alpha!r}")
    if alpha is not None:
        train_config = replace(train_config, nb_alpha=float(alpha))
    if train_config.selection_metric not in ("pr_auc", "roc_auc"):
        raise TrainingError("selection_metric must be pr_auc or roc_auc")
    return TrainingOptions(
        data=paths,
        out=Path(out_dir),
        text_col=text_col if text_col != "text" else data_cfg.get("text_col", "text"),
        label_col=label_col if label_col != "label" else data_cfg.get("label_col", "label"),
        positive=list(positive or data_cfg.get("positive", ["misleading"])),
        negative=list(negative) if negative else data_cfg.get("negative"),
        group_col=group_col or data_cfg.get("group_col"),
        categories_col=categories_col if categories_col != "categories" else data_cfg.get("categories_col", "categories"),
        lang_col=lang_col if lang_col != "lang" else data_cfg.get("lang_col", "lang"),
        config=train_config,
        notes=model_cfg.get("notes"),
    )


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def run_training(options: TrainingOptions, *, overwrite: bool = False, progress: Callable[[str], None] | None = None,
                 jobs: int = 1, checkpoint: Path | None = None) -> AdModel:
    """Load the data, train with grouped cross-validation and write the model folder (with a
    `checkpoint` folder, a stopped run's CV folds and held-out sources are reused: see adcheck.checkpoint)."""
    from adcheck.artifacts import save_model
    from adcheck.readers import load_labeled
    from adcheck.training import train

    say = progress or (lambda message: None)
    data = load_labeled(
        options.data, text_col=options.text_col, label_col=options.label_col, positive=options.positive,
        negative=options.negative, group_col=options.group_col, categories_col=options.categories_col,
        lang_col=options.lang_col,
    )
    say(f"training on {len(data)} rows from {len(options.data)} file(s)")
    result = train(data, options.config, progress=say, jobs=jobs, checkpoint=checkpoint)
    for source in data.sources:
        source["path"] = _display_path(Path(source["path"]))
    combined = hashlib.sha256("\n".join(f"{s['sha256']}" for s in data.sources).encode()).hexdigest()
    metadata = {
        "name": options.config.name,
        "training_data": {
            "sha256": combined,
            "sources": data.sources,
            "counts": data.counts(),
            "columns": {
                "text": options.text_col, "label": options.label_col, "positive": options.positive,
                "negative": options.negative, "group": options.group_col, "categories": options.categories_col,
                "lang": options.lang_col,
            },
        },
        "hyperparameters": {**result.chosen, "n_folds": options.config.n_folds, "seed": options.config.seed,
                            "search": options.config.to_dict()},
        "cv": {"candidates": result.cv_candidates, "report": result.cv_report, "seconds": round(result.seconds, 1)},
        "parent": None,
        "notes": options.notes,
    }
    return save_model(result.model, options.out, metadata, overwrite=overwrite)
