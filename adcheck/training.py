"""Training: grouped cross-validated choice of hyperparameters, thresholds and the final fit."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from adcheck.errors import TrainingError
from adcheck.evaluation import (
    binary_metrics,
    evaluate_predictions,
    footnoted_lawful_flagged,
    threshold_for_f1,
    threshold_for_precision,
)
from adcheck.features import FeatureSpec, Occurrences, Vocabulary, extract_occurrences
from adcheck.model import AdModel, LinearHead
from adcheck.readers import LabeledData
from adcheck.results import BAND_HIGH, BAND_MEDIUM
from adcheck.stage_two import TreeEnsemble, fit_stage_two, fit_trees, logits, stage_two_inputs
from adcheck.taxonomy import CATEGORY_CODES

if TYPE_CHECKING:
    from adcheck.checkpoint import HoldoutCheckpoint

MIN_CATEGORY_EXAMPLES = 10
SOURCE_HOLDOUT_UNITS = ("folder", "file")
STAGE_TWO_KINDS = (None, "trees")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a trained model besides the data."""

    name: str = "adcheck-model"
    c_values: tuple[float, ...] = (1.0, 4.0, 16.0, 64.0)
    feature_specs: tuple[FeatureSpec, ...] = (FeatureSpec(),)
    n_folds: int = 5
    seed: int = 13
    high_precision: float = 0.90
    medium_precision: float = 0.80
    selection_metric: str = "pr_auc"
    # Naive-Bayes log-count-ratio scaling of the features before each logistic regression (the NBSVM
    # recipe): a feature's weight is learned on its value times log(P(feature | class) / P(feature |
    # other)), smoothed by nb_alpha; None leaves the features as they are. The ratio is folded into
    # the stored coefficients, so scoring, the kernel and the model format do not change.
    nb_alpha: float | None = None
    # "folder" or "file": besides grouped CV, hold out each source folder (or file) in turn and score
    # it with a model trained on the others. A folder is one writer's batch in our corpus, so this
    # is closer to meeting copy written by someone else than grouped CV, which mixes every writer
    # into every fold. Reported only; it chooses nothing.
    source_holdout: str | None = None
    # With source_holdout: hold the sources out in this many sets, each set together, instead of one
    # source at a time (None). Each row is still scored by a model that never saw its source, but a
    # run fits this many models instead of one per source: on 150 folders, 20 sets make the hold-out
    # about 7x cheaper. The sets are balanced by rows and fixed by the source names and sizes alone.
    source_holdout_sets: int | None = None
    # "balanced": each category head weights its two classes inversely to their frequency among the
    # misleading texts it is fitted on, so a head's probability 0.5 is a fair line for a category
    # that only a tenth of them carry; None fits them unweighted. The per-category thresholds are
    # chosen on the out-of-fold values either way.
    category_weights: str | None = "balanced"
    # "trees": a second stage, boosted trees over every head's out-of-fold decision value and a few
    # layout signals of the text (adcheck.stage_two), gives the risk; its own grouped cross-validation
    # (on another split) gives the out-of-fold risk that sets the thresholds and the figures. None:
    # the risk head alone gives the risk.
    stage_two: str | None = None

    def __post_init__(self) -> None:
        if self.stage_two not in STAGE_TWO_KINDS:
            raise TrainingError(f"stage_two must be {' or '.join(str(kind) for kind in STAGE_TWO_KINDS)}, not {self.stage_two!r}")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["feature_specs"] = [asdict(s) for s in self.feature_specs]
        return data


@dataclass
class TrainingResult:
    model: AdModel
    cv_candidates: list[dict]
    cv_report: dict
    chosen: dict
    seconds: float
    out_of_fold: dict = field(default_factory=dict)


def log_count_ratio(matrix, y: np.ndarray, alpha: float) -> np.ndarray:
    """Per feature, log of its smoothed document frequency share among positive rows over that among
    negative rows (Wang & Manning's NBSVM ratio)."""
    present = sparse.csr_matrix(matrix, copy=True)
    present.data[:] = 1.0
    p = alpha + np.asarray(present[np.flatnonzero(y)].sum(axis=0)).ravel()
    q = alpha + np.asarray(present[np.flatnonzero(~y)].sum(axis=0)).ravel()
    return np.log((p / p.sum()) / (q / q.sum()))


class _SolverLock:
    """Lets primal liblinear fits run side by side but a dual fit only alone.

    scikit-learn's liblinear keeps one random generator for the whole process: every fit reseeds it
    (with the GIL held, before the fit), and the dual solver draws its coordinate order from it while
    the fit runs without the GIL. Two fits at once would reseed or draw from a dual fit's stream and
    change its result with the timing of the threads. The primal solver draws nothing, so primal fits
    may share; a dual fit holds the lock alone, from its reseeding to its last draw."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._shared = 0
        self._exclusive = False

    def acquire(self, exclusive: bool) -> None:
        with self._condition:
            if exclusive:
                self._condition.wait_for(lambda: not self._exclusive and self._shared == 0)
                self._exclusive = True
            else:
                self._condition.wait_for(lambda: not self._exclusive)
                self._shared += 1

    def release(self, exclusive: bool) -> None:
        with self._condition:
            if exclusive:
                self._exclusive = False
            else:
                self._shared -= 1
            self._condition.notify_all()


_SOLVER_LOCK = _SolverLock()


def _fit_head(matrix, y: np.ndarray, c_value: float, seed: int, nb_alpha: float | None = None,
              class_weight: str | None = None, dual: bool = False, precision: type = np.float32) -> LinearHead:
    """L2-regularised logistic regression by liblinear: its primal trust-region Newton solver, or with
    `dual` its dual coordinate descent. Both minimise the same loss; which is faster depends on the
    shape of the matrix and on C (benchmarks/training_solver.py). The weights are rounded to
    `precision` (float32, or float16 for the category heads), the type the model file stores."""
    from sklearn.linear_model import LogisticRegression

    y = y.astype(bool)
    ratio = log_count_ratio(matrix, y, nb_alpha) if nb_alpha is not None else None
    clf = LogisticRegression(C=c_value, solver="liblinear", dual=dual, random_state=seed, max_iter=2000, class_weight=class_weight)
    scaled = matrix @ sparse.diags(ratio) if ratio is not None else matrix
    _SOLVER_LOCK.acquire(exclusive=dual)
    try:
        clf.fit(scaled, y.astype(int))
    finally:
        _SOLVER_LOCK.release(exclusive=dual)
    coef = clf.coef_[0] * ratio if ratio is not None else clf.coef_[0]  # x·(r∘w) = (x∘r)·w
    # parameters are rounded once, here: the model file stores them in this precision and every
    # scoring path computes with exactly these values (in float64); intercepts stay float32
    rounded = coef.astype(precision)
    if not np.isfinite(rounded).all():
        raise TrainingError(f"a weight does not fit in {np.dtype(precision).name} (largest |w| {np.abs(coef).max():.3g}); lower C")
    return LinearHead(coef=rounded.astype(np.float64), intercept=float(np.float32(clf.intercept_[0])))


def _fit_category_head(matrix, target: np.ndarray, c_value: float, config: TrainConfig) -> LinearHead:
    """P(category | misleading, text): fitted on the misleading rows only (``matrix`` and ``target``).

    By liblinear's dual solver: the misleading rows are fewer than half the corpus against the same
    features, and on the shipped recipe the dual fitted the ten heads 2.6-2.9x faster than the primal
    (two runs), with the same macro ROC-AUC (benchmarks/training_solver.py). The risk head stays
    primal: at the C the shipped model uses and above, the dual was as fast or slower.

    Its weights are rounded to float16: ten heads of float32 weights were four fifths of the model
    file. On adcheck-default-f9ac886c959b (547,624 features, float32 heads), float16 heads moved
    category probabilities over 19,300 corpus texts by at most 0.00055 (mean under 0.000003) and
    changed no decision at the category thresholds; its file would fall from 25.6 to 16.4 MiB
    (benchmarks/category_precision.py). The risk head keeps float32."""
    return _fit_head(matrix, target, c_value, config.seed, config.nb_alpha, config.category_weights, dual=True,
                     precision=np.float16)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def resolve_jobs(jobs: int) -> int:
    """Workers (threads or forked processes) for training: 0 means every core."""
    if jobs < 0:
        raise TrainingError(f"jobs must be 0 (all cores) or more, not {jobs}")
    return jobs or os.cpu_count() or 1


def _in_order(function: Callable, items: Iterable, jobs: int, processes: bool = False) -> Iterator:
    """function(item) for each item, yielded in the items' order, computed on up to `jobs` threads, or
    with `processes` on up to `jobs` forked worker processes where this process may fork (`_can_fork`).

    The fits are independent and liblinear and NumPy's large array operations release the GIL, so
    threads use the cores without copying the features into other processes. Each fit is
    deterministic (dual fits run one at a time in a process: `_SolverLock`), so the result does not
    depend on the number of threads. Work made mostly of dual fits (the category heads) would run one
    fit at a time on threads; each forked process has its own liblinear generator, so there they run
    side by side, with the same results."""
    items = list(items)
    if jobs <= 1 or len(items) <= 1:
        yield from map(function, items)
        return
    if processes and _can_fork():
        yield from _in_forked_processes(function, items, jobs)
        return
    with ThreadPoolExecutor(min(jobs, len(items)), thread_name_prefix="adcheck-train") as pool:
        yield from pool.map(function, items)


def _can_fork() -> bool:
    """Fork only on Linux (macOS can fork, but its system libraries are not safe in a forked child) and
    only from a process with no other thread: a lock another thread holds at the fork (the solver
    lock of a second training, a notebook kernel's I/O threads) would stay held in the child."""
    return (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1)


# what a forked worker computes: given to it by the pool's initializer, which a forked child inherits
# with its arguments (nothing is pickled), so the function, a closure over the features, never travels;
# only item numbers and results do
_WORKER_TASK: tuple[Callable, list] | None = None


def _set_worker_task(function: Callable, items: list) -> None:
    global _WORKER_TASK
    _WORKER_TASK = (function, items)


def _run_forked(index: int):
    assert _WORKER_TASK is not None
    function, items = _WORKER_TASK
    return function(items[index])


def _in_forked_processes(function: Callable, items: list, jobs: int) -> Iterator:
    try:
        with ProcessPoolExecutor(min(jobs, len(items)), mp_context=multiprocessing.get_context("fork"),
                                 initializer=_set_worker_task, initargs=(function, items)) as pool:
            yield from pool.map(_run_forked, range(len(items)))
    except BrokenProcessPool as error:
        raise TrainingError(
            f"a training worker process ended abruptly ({error}); if it ran out of memory, retry with fewer --jobs"
        ) from error


def grouped_folds(labels: np.ndarray, groups: np.ndarray, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds that never split a group (near-duplicate variants stay together)."""
    from sklearn.model_selection import StratifiedGroupKFold

    n_groups = len(set(groups.tolist()))
    if n_groups < n_folds:
        raise TrainingError(f"only {n_groups} groups; grouped cross-validation needs at least {n_folds}")
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(labels)), labels.astype(int), groups))


def _category_targets(data: LabeledData) -> dict[str, np.ndarray]:
    if data.categories is None:
        return {}
    targets = {}
    for code in CATEGORY_CODES:
        has = np.asarray([code in cats for cats in data.categories])
        if has.sum() >= MIN_CATEGORY_EXAMPLES:
            targets[code] = has
    return targets


def train(data: LabeledData, config: TrainConfig = TrainConfig(), progress: Callable[[str], None] | None = None,
          jobs: int = 1, checkpoint: Path | str | None = None) -> TrainingResult:
    """Train a model on labeled data; choose hyperparameters by grouped cross-validation.

    `jobs` workers (0: all cores) fit the cross-validation folds and held-out sources side by side
    (`_in_order`); the model and every reported figure are the same for any number of workers.
    With a `checkpoint` folder each grouped-CV fold's and each held-out source's predictions are kept
    there as soon as they are made and reused by a later run on the same rows and settings
    (adcheck.checkpoint), so a stopped run resumes where it stopped, with the same figures."""
    say = progress or (lambda message: None)
    jobs = resolve_jobs(jobs)
    started = time.perf_counter()
    y = data.labels.astype(bool)
    if y.all() or not y.any():
        raise TrainingError("the training data has one class only; it needs misleading and acceptable examples")
    if int(min(y.sum(), (~y).sum())) < config.n_folds:
        raise TrainingError(f"each class needs at least {config.n_folds} examples for {config.n_folds}-fold cross-validation")
    for spec in config.feature_specs:
        spec.validate()
    folds = grouped_folds(y, data.groups, config.n_folds, config.seed)
    category_targets = _category_targets(data)
    used_folders: list[Path] = []  # the checkpoint's key folders this run reads and writes
    fold_of = np.zeros(len(y), dtype=np.int64)
    for number, (_, test_rows) in enumerate(folds):
        fold_of[test_rows] = number

    def cv_store(stage: str, spec: FeatureSpec, c_values) -> HoldoutCheckpoint | None:
        """Where this stage of the grouped-CV folds is kept (adcheck.checkpoint), if anywhere."""
        if checkpoint is None:
            return None
        from adcheck.checkpoint import HoldoutCheckpoint, cv_settings_of, holdout_key

        key = holdout_key(data.texts, y, data.groups, fold_of, data.categories, cv_settings_of(stage, spec, c_values, config))
        store = HoldoutCheckpoint(checkpoint, key, say, under="cv")
        used_folders.append(store.folder)
        say(f"cross-validation folds ({stage}) are kept in {store.folder}")
        return store

    candidates: list[dict] = []
    best: tuple[float, int, float] | None = None
    best_oof: np.ndarray | None = None
    occurrences_by_spec: dict[int, Occurrences] = {}
    for spec_index, spec in enumerate(config.feature_specs):
        occurrences = extract_occurrences(data.texts, spec)
        occurrences_by_spec[spec_index] = occurrences
        oof = {c: np.zeros(len(y)) for c in config.c_values}
        risk_store = cv_store("risk", spec, config.c_values)

        def fold_predictions(item: tuple[int, tuple[np.ndarray, np.ndarray]], spec=spec, occurrences=occurrences,
                             store=risk_store) -> tuple[dict[float, np.ndarray], bool]:
            number, (train_rows, test_rows) = item
            stored = store.load_named(f"fold {number + 1}", test_rows) if store is not None else None
            if stored is not None and set(stored[1]) == {repr(c) for c in config.c_values}:
                return {c_value: stored[1][repr(c_value)] for c_value in config.c_values}, True
            matrix = Vocabulary.fit(occurrences, spec, rows=train_rows).transform(occurrences)
            predictions = {
                c_value: _sigmoid(_fit_head(matrix[train_rows], y[train_rows], c_value, config.seed, config.nb_alpha).decision(matrix[test_rows]))
                for c_value in config.c_values
            }
            if store is not None:
                store.save(f"fold {number + 1}", (test_rows, predictions[config.c_values[0]], {repr(c): v for c, v in predictions.items()}))
            return predictions, False

        for fold, ((_, test_rows), (predictions, reused)) in enumerate(zip(folds, _in_order(fold_predictions, enumerate(folds), jobs))):
            for c_value, values in predictions.items():
                oof[c_value][test_rows] = values
            say(f"features {spec_index + 1}/{len(config.feature_specs)}: fold {fold + 1}/{len(folds)} done"
                f"{' (read back from the checkpoint)' if reused else ''}")
        for c_value in config.c_values:
            metrics = evaluate_predictions(y, oof[c_value], 0.5, data.languages)["overall"]
            value = metrics[config.selection_metric] or 0.0
            candidates.append({"feature_spec": asdict(spec), "C": c_value, "roc_auc": metrics["roc_auc"], "pr_auc": metrics["pr_auc"]})
            if best is None or value > best[0] + 1e-12:
                best = (value, spec_index, c_value)
                best_oof = oof[c_value]
    assert best is not None and best_oof is not None
    _, spec_index, c_value = best
    spec = config.feature_specs[spec_index]
    occurrences = occurrences_by_spec[spec_index]
    say(f"chosen: features {spec_index + 1}, C={c_value}")

    # category heads: P(category | misleading, text), fitted on the misleading rows; a text's category
    # probability is its risk times that. Out-of-fold values set the thresholds and the metrics.
    category_oof = {code: np.zeros(len(y)) for code in category_targets}
    conditional_oof = {code: np.zeros(len(y)) for code in category_targets}
    if category_targets:
        category_store = cv_store("categories", spec, [c_value])

        def fold_categories(item: tuple[int, tuple[np.ndarray, np.ndarray]]) -> tuple[dict[str, np.ndarray], bool]:
            number, (train_rows, test_rows) = item
            stored = category_store.load_named(f"fold {number + 1}", test_rows) if category_store is not None else None
            if stored is not None and set(stored[1]) == set(category_targets):
                return stored[1], True
            matrix = Vocabulary.fit(occurrences, spec, rows=train_rows).transform(occurrences)
            predictions = _category_predictions(matrix, train_rows[y[train_rows]], test_rows, category_targets, c_value, config)
            if category_store is not None:
                category_store.save(f"fold {number + 1}", (test_rows, best_oof[test_rows], predictions))
            return predictions, False

        read_back = 0
        for (_, test_rows), (predictions, reused) in zip(folds, _in_order(fold_categories, enumerate(folds), jobs, processes=True)):
            read_back += reused
            for code, values in predictions.items():
                conditional_oof[code][test_rows] = values
                category_oof[code][test_rows] = values * best_oof[test_rows]
        say(f"category heads cross-validated{f' ({read_back} of {len(folds)} folds read back from the checkpoint)' if read_back else ''}")

    # the heads the final model has, in its order: the second stage reads them in this order
    head_codes = [code for code, target in category_targets.items() if target[y].any() and not target[y].all()]
    head_oof = best_oof
    stage_two_rows = None
    if config.stage_two:
        stage_two_rows = stage_two_inputs(logits(best_oof), [logits(conditional_oof[code]) for code in head_codes], data.texts)
        best_oof = _stage_two_out_of_fold(stage_two_rows, y, data.groups, config, jobs)
        for code in category_targets:
            category_oof[code] = conditional_oof[code] * best_oof
        say("second stage cross-validated")

    high = threshold_for_precision(y, best_oof, config.high_precision)
    medium = min(threshold_for_precision(y, best_oof, config.medium_precision), high)
    band_thresholds = {BAND_HIGH: round(high, 6), BAND_MEDIUM: round(medium, 6)}
    category_thresholds = {code: round(threshold_for_f1(target, category_oof[code]), 6) for code, target in category_targets.items()}
    cv_report = evaluate_predictions(
        y, best_oof, medium, data.languages, data.categories, category_oof or None, category_thresholds
    )
    cv_report["category_given_misleading"] = _conditional_report(y, category_targets, conditional_oof)
    cv_report["at_best_f1"] = _at_best_f1(y, best_oof, data.languages)
    cv_report["footnoted_lawful"] = footnoted_lawful_flagged(y, best_oof, medium, data.texts)
    if config.stage_two:
        cv_report["risk_head_alone"] = _at_best_f1(y, head_oof, data.languages)
    if config.source_holdout:
        if config.source_holdout_sets:
            say(f"holding out the source {config.source_holdout}s in {config.source_holdout_sets} sets, each set in turn")
        else:
            say(f"holding out each source {config.source_holdout} in turn")
        cv_report["across_sources"] = _across_sources(
            data, occurrences, spec, c_value, config, category_targets, medium, category_thresholds, say, jobs,
            checkpoint, used_folders, head_codes,
        )
    else:
        if config.source_holdout_sets:
            say(f"source_holdout_sets {config.source_holdout_sets} is not used: this run holds out no sources (source_holdout is off)")
    cv_report["bands"] = {
        BAND_HIGH: _band_summary(y, best_oof, high, config.high_precision),
        BAND_MEDIUM: _band_summary(y, best_oof, medium, config.medium_precision),
    }

    vocabulary = Vocabulary.fit(occurrences, spec)
    matrix = vocabulary.transform(occurrences)
    risk_head = _fit_head(matrix, y, c_value, config.seed, config.nb_alpha)
    positive_rows = np.flatnonzero(y)
    category_heads = {
        code: _fit_category_head(matrix[positive_rows], target[positive_rows], c_value, config)
        for code, target in category_targets.items()
        if target[positive_rows].any() and not target[positive_rows].all()
    }
    assert list(category_heads) == head_codes
    stage_two = fit_stage_two(stage_two_rows, y, config.seed, head_codes) if stage_two_rows is not None else None
    model = AdModel(vocabulary, risk_head, category_heads, band_thresholds, category_thresholds, stage_two=stage_two)
    if checkpoint is not None:
        from adcheck.checkpoint import other_runs

        count, size = other_runs(checkpoint, used_folders)
        if count:
            say(f"checkpoint {checkpoint} also holds {count} folder{'s' if count > 1 else ''} of other runs (other rows, "
                f"settings or code; {size / 1e6:.1f} MB), kept for a run that comes back; delete them when no longer needed")
    seconds = time.perf_counter() - started
    chosen = {"feature_spec": asdict(spec), "C": c_value, "selection_metric": config.selection_metric, "nb_alpha": config.nb_alpha,
              "category_weights": config.category_weights, "stage_two": config.stage_two}
    return TrainingResult(model, candidates, cv_report, chosen, seconds, {"risk": best_oof, **category_oof})


def across_sources_summary(report: dict) -> str | None:
    """One line for people about a training report's per-source hold-out, or None when it did not run."""
    across = report.get("across_sources") or {}
    skipped = across.get("skipped_sources") or {}
    extra = f" ({len(skipped)} skipped: without them the rest has one class only)" if skipped else ""
    if "overall" in across:
        held = (f"{across['sources']} source {across['unit']}s in {across['sets']} sets, each set" if across.get("sets")
                else f"each of {across['sources']} source {across['unit']}s")
        return (
            f"holding out {held} in turn{extra}: ROC-AUC "
            f"{across['overall']['roc_auc']}, F1 {across['overall']['f1']} at the medium band"
        )
    if across.get("skipped"):
        return f"no per-source hold-out: {across['skipped']}"
    return None


def display_source(path: str) -> str:
    """A source path as the reports show it: relative to the working directory when under it, with '/'."""
    candidate = Path(path)
    try:
        candidate = candidate.resolve().relative_to(Path.cwd().resolve())
    except (OSError, ValueError):
        pass
    return candidate.as_posix()


def source_units(data: LabeledData, unit: str) -> np.ndarray | None:
    """Each row's source: its file, or the folder of its file (as `display_source` shows them); None
    when the rows carry no file."""
    if unit not in SOURCE_HOLDOUT_UNITS:
        raise TrainingError(f"source_holdout must be one of {', '.join(SOURCE_HOLDOUT_UNITS)}, not {unit!r}")
    if data.files is None:
        return None
    if len(data.files) != len(data):
        raise TrainingError(f"internal error: {len(data.files)} source files recorded for {len(data)} rows")
    shown: dict[str, str] = {}
    for name in set(data.files.tolist()):
        path = display_source(str(name))
        shown[name] = path if unit == "file" else (path.rsplit("/", 1)[0] if "/" in path else ".")
    return np.asarray([shown[name] for name in data.files.tolist()])


def _across_sources(data: LabeledData, occurrences: Occurrences, spec: FeatureSpec, c_value: float, config: TrainConfig,
                    category_targets: dict[str, np.ndarray], medium: float, category_thresholds: dict[str, float],
                    say: Callable[[str], None], jobs: int = 1, checkpoint: Path | str | None = None,
                    used_folders: list[Path] | None = None, head_codes: list[str] | None = None) -> dict:
    """Leave-one-source-out predictions with the chosen features and C, judged at the thresholds that
    grouped CV chose (as the shipped model would be); with `source_holdout_sets` the sources leave in
    sets (`source_sets`). A group that spans sources leaves training with the held-out source, so no
    near-duplicate of a held-out text is trained on."""
    unit = str(config.source_holdout)
    units = source_units(data, unit)
    if units is None:
        return {"unit": unit, "skipped": "the rows do not record the file they came from"}
    names = sorted(set(units.tolist()))
    if len(names) < 2:
        return {"unit": unit, "skipped": f"only one source {unit}"}
    y = data.labels.astype(bool)
    risk = np.zeros(len(y))
    scored = np.zeros(len(y), dtype=bool)
    category = {code: np.zeros(len(y)) for code in category_targets}
    conditional = {code: np.zeros(len(y)) for code in category_targets}
    skipped_sources = []
    sets = source_sets(units, names, config.source_holdout_sets)
    members = {label: held for label, held in sets}
    # as many sets as sources, or more, is one source at a time: reported, keyed and shown as such
    in_sets = len(sets) < len(names)
    if not in_sets:
        config = replace(config, source_holdout_sets=None)
    store = None
    if checkpoint is not None:
        from adcheck.checkpoint import HoldoutCheckpoint, holdout_key, settings_of

        key = holdout_key(data.texts, y, data.groups, units, data.categories, settings_of(spec, c_value, config))
        store = HoldoutCheckpoint(checkpoint, key, say)
        if used_folders is not None:
            used_folders.append(store.folder)
        say(f"held-out sources are kept in {store.folder}")

    def held_out_predictions(name: str) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], bool] | None:
        held = np.isin(units, members[name])
        test_rows = np.flatnonzero(held)
        train_rows = np.flatnonzero(~held & ~np.isin(data.groups, data.groups[test_rows]))
        if y[train_rows].all() or not y[train_rows].any():
            return None
        stored = store.load(name, test_rows) if store is not None else None
        if stored is not None:
            return (*stored, True)
        matrix = Vocabulary.fit(occurrences, spec, rows=train_rows).transform(occurrences)
        source_risk = _sigmoid(_fit_head(matrix[train_rows], y[train_rows], c_value, config.seed, config.nb_alpha).decision(matrix[test_rows]))
        # a head that cannot be fitted without this source stays at 0 for it: counted as misses, not skipped
        by_code = _category_predictions(matrix, train_rows[y[train_rows]], test_rows, category_targets, c_value, config)
        if store is not None:
            store.save(name, (test_rows, source_risk, by_code))
        return test_rows, source_risk, by_code, False

    labels = [label for label, _ in sets]
    set_of = np.full(len(y), -1)
    for number, (name, predictions) in enumerate(zip(labels, _in_order(held_out_predictions, labels, jobs, processes=True)), 1):
        if predictions is None:
            skipped_sources.extend(members[name])
            continue
        test_rows, source_risk, by_code, reused = predictions
        risk[test_rows] = source_risk
        scored[test_rows] = True
        set_of[test_rows] = number
        for code, values in by_code.items():
            conditional[code][test_rows] = values
            category[code][test_rows] = values * risk[test_rows]
        if in_sets:
            shown = f"set {number}/{len(labels)} held out: {len(members[name])} {unit}{'s' if len(members[name]) > 1 else ''}, {len(test_rows):,} rows"
        else:
            shown = f"source {number}/{len(labels)} held out: {name}"
        say(f"{shown}{' (from the checkpoint)' if reused else ''}")
    result: dict = {"unit": unit, "sources": len(names) - len(skipped_sources)}
    if in_sets:
        result["sets"] = len(labels)
    if skipped_sources:
        why = "without its set the rest has one class only" if in_sets else "without it the rest has one class only"
        result["skipped_sources"] = {name: why for name in skipped_sources}
    if not scored.any():
        return {**result, "skipped": "every source left one class only when held out"}
    rows = np.flatnonzero(scored)
    head_alone = None
    without_trees: list[str] = []
    if config.stage_two:
        # the second stage too is fitted without each held-out set: on the other sets' held-out scores
        head_alone = risk.copy()
        inputs = stage_two_inputs(logits(risk), [logits(conditional[code]) for code in head_codes or []], data.texts)
        held_sets = sorted(set(set_of[rows].tolist()))

        def stage_two_held_out(number: int) -> tuple[np.ndarray, np.ndarray | None]:
            test_rows = np.flatnonzero(set_of == number)
            train_rows = np.flatnonzero(scored & (set_of != number) & ~np.isin(data.groups, data.groups[test_rows]))
            if y[train_rows].all() or not y[train_rows].any():  # no rows, or one class: no trees to fit
                return test_rows, None
            return test_rows, _sigmoid(_trees_raw(inputs[train_rows], y[train_rows], config.seed, inputs[test_rows]))

        fitted = list(_in_order(stage_two_held_out, held_sets, jobs))  # every fit reads `scored` as it was
        for number, (test_rows, values) in zip(held_sets, fitted):
            if values is None:
                without_trees.append(labels[number - 1])
                scored[test_rows] = False
            else:
                risk[test_rows] = values
        for code in category:
            category[code] = conditional[code] * risk
        say("second stage held out with each set")
        if without_trees:
            # their texts have no second-stage risk that leaves them out: not pooled with the rest
            result["second_stage_skipped"] = {label: "without it the rest has one class only" for label in without_trees}
            rows = np.flatnonzero(scored)
            if not len(rows):
                return {**result, "skipped": "no held-out set left rows of both classes to fit the second stage on"}
    report = evaluate_predictions(
        y[rows], risk[rows], medium, data.languages[rows],
        None if data.categories is None else [data.categories[i] for i in rows.tolist()],
        {code: values[rows] for code, values in category.items()} or None, category_thresholds,
    )
    report["category_given_misleading"] = _conditional_report(
        y[rows], {code: target[rows] for code, target in category_targets.items()},
        {code: values[rows] for code, values in conditional.items()},
    )
    left_out = set(skipped_sources) | {source for label in without_trees for source in members[label]}
    by_source = {name: binary_metrics(y[units == name], risk[units == name], medium) for name in names if name not in left_out}
    report["footnoted_lawful"] = footnoted_lawful_flagged(y[rows], risk[rows], medium, [data.texts[i] for i in rows.tolist()])
    if head_alone is not None:
        report["risk_head_alone"] = _at_best_f1(y[rows], head_alone[rows], data.languages[rows])
    return {**result, **report, "by_source": by_source}


def _stage_two_out_of_fold(inputs: np.ndarray, y: np.ndarray, groups: np.ndarray, config: TrainConfig, jobs: int) -> np.ndarray:
    """The second stage's out-of-fold risk: its trees cross-validated on the heads' out-of-fold inputs,
    on grouped folds of another seed than the heads' (a group is never split either way)."""
    folds = grouped_folds(y, groups, config.n_folds, config.seed + 1)

    def fold(item: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        train_rows, test_rows = item
        return _sigmoid(_trees_raw(inputs[train_rows], y[train_rows], config.seed, inputs[test_rows]))

    out = np.zeros(len(y))
    for (_, test_rows), values in zip(folds, _in_order(fold, folds, jobs)):
        out[test_rows] = values
    return out


def _trees_raw(train_inputs: np.ndarray, train_y: np.ndarray, seed: int, test_inputs: np.ndarray) -> np.ndarray:
    """Fit the second stage's trees and give the test rows' log-odds, computed as the saved model
    computes them (TreeEnsemble). On threads, never in forked processes: scikit-learn's trees use
    OpenMP, whose thread pool does not survive a fork (a forked child that uses it can hang)."""
    return TreeEnsemble.from_sklearn(fit_trees(train_inputs, train_y, seed), [f"input {i}" for i in range(train_inputs.shape[1])]).raw(test_inputs)


def source_sets(units: np.ndarray, names: list[str], n_sets: int | None) -> list[tuple[str, list[str]]]:
    """The sources held out together, as (label, sources) pairs: each source alone without `n_sets`;
    with it, the sources split into that many sets of about equal rows (largest source first, each
    into the set with the fewest rows so far, the first such set on a tie). The sets depend only on
    the sources' names and sizes, so a rerun, a checkpoint and any number of workers see the same."""
    if not n_sets or n_sets >= len(names):
        return [(name, [name]) for name in names]
    found, counts = np.unique(units, return_counts=True)
    size = dict(zip(found.tolist(), counts.tolist()))
    held: list[list[str]] = [[] for _ in range(n_sets)]
    rows = [0] * n_sets
    for name in sorted(names, key=lambda n: (-size.get(n, 0), n)):
        target = min(range(n_sets), key=lambda i: (rows[i], i))
        held[target].append(name)
        rows[target] += size.get(name, 0)
    return [(f"set {i + 1} of {n_sets}", sorted(sources)) for i, sources in enumerate(held)]


def _category_predictions(matrix, positive_rows: np.ndarray, test_rows: np.ndarray, category_targets: dict[str, np.ndarray],
                          c_value: float, config: TrainConfig) -> dict[str, np.ndarray]:
    """P(category | misleading) for the test rows from heads fitted on the positive training rows; a
    category that those rows all carry, or none of them, has no head and is left out."""
    predictions = {}
    for code, target in category_targets.items():
        if target[positive_rows].all() or not target[positive_rows].any():
            continue
        head = _fit_category_head(matrix[positive_rows], target[positive_rows], c_value, config)
        predictions[code] = _sigmoid(head.decision(matrix[test_rows]))
    return predictions


def _at_best_f1(y: np.ndarray, oof: np.ndarray, languages: np.ndarray) -> dict:
    """F1 overall and per language at the one threshold that maximises F1 on these out-of-fold values.
    The medium band is set for precision, which caps its F1 (at precision 0.80, F1 cannot pass 0.89);
    this shows what a flag line chosen for F1 gives, chosen on the same values (so a little optimistic)."""
    threshold = threshold_for_f1(y, oof)
    return {"threshold": round(threshold, 6), **evaluate_predictions(y, oof, threshold, languages)}


def _conditional_report(y: np.ndarray, targets: dict[str, np.ndarray], conditional: dict[str, np.ndarray]) -> dict:
    """How well the heads name the categories of texts known to be misleading (threshold 0.5)."""
    per_category = {code: binary_metrics(target[y], conditional[code][y], 0.5) for code, target in targets.items()}
    f1s = [m["f1"] for m in per_category.values()]
    return {"macro_f1": round(float(np.mean(f1s)), 4) if f1s else None, "by_category": per_category}


def _band_summary(y: np.ndarray, oof: np.ndarray, threshold: float, target: float) -> dict:
    at_or_above = oof >= threshold
    tp = int((at_or_above & y).sum())
    return {
        "threshold": round(float(threshold), 6),
        "precision_target": target,
        "precision": round(tp / max(int(at_or_above.sum()), 1), 4),
        "recall": round(tp / max(int(y.sum()), 1), 4),
        "share_of_texts": round(float(at_or_above.mean()), 4),
    }
