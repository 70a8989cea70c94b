"""Retraining: add reviewed labels to a model's corpus, retrain it, and gate on regressions.

`retrain` validates the new labels (the checks of `adcheck data check`), merges them with the base
model's training corpus (exact duplicates dropped, near duplicates joined to the corpus row's group,
the same text labeled both ways reported and stopped unless told which side wins), retrains with
the base model's configuration with the frozen evaluation groups left out, compares the new model
with its parent on the frozen evaluation set and on the new examples, and writes the new model
folder (atomically) only when no chosen metric dropped by more than the tolerance.

The frozen evaluation set: the corpus groups whose sha256(group id) is 0 modulo 10 (about 10% of
groups), see `training/data/frozen_eval/README.md`. A group's membership depends on its id alone,
so the set never changes as the corpus grows.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from adcheck.errors import InputDataError, ModelFileError, TrainingError

FROZEN_MODULUS = 10
FROZEN_RULE = "sha256(group id, UTF-8) as a big-endian integer, modulo 10, equals 0"
GATE_METRICS = ("pr_auc", "roc_auc", "f1", "precision", "recall")
COMPARED_METRICS = ("n", "positives", "roc_auc", "pr_auc", "f1", "precision", "recall")
MAX_LISTED = 20


class LabelConflictError(InputDataError):
    """The same text carries both labels (in the corpus and the new labels)."""


class RegressionError(TrainingError):
    """The retrained model is worse than its parent by more than the tolerance."""


def is_frozen_group(group: str) -> bool:
    """Whether a corpus group belongs to the frozen evaluation set (a stable hash of its id)."""
    digest = hashlib.sha256(str(group).encode("utf-8")).digest()
    return int.from_bytes(digest, "big") % FROZEN_MODULUS == 0


def frozen_eval_groups(groups: Iterable[str]) -> set[str]:
    """The groups of the frozen evaluation set among `groups` (about 1 in 10, fixed by the id)."""
    return {str(g) for g in set(groups) if is_frozen_group(str(g))}


@dataclass
class Row:
    text: str
    positive: bool
    categories: list[str]
    lang: str
    group: str
    where: str
    key: str
    origin: str  # "base" (the corpus), "new-earlier" (added by an earlier retrain) or "new" (this run)


@dataclass
class RetrainOptions:
    base: Path
    add: list[Path]
    out: Path
    prefer: str | None = None  # None: stop on conflicting labels; "new" or "base": that side wins
    metric: str = "pr_auc"
    tolerance: float = 0.01
    allow_regression: bool = False
    baseline: str = "auto"  # "parent", "refit" or "auto" (refit when the parent saw the frozen groups)
    overwrite: bool = False
    name: str | None = None
    jobs: int = 0  # training threads; 0 = all cores (the result does not depend on it)
    checkpoint: Path | None = None  # keep CV folds and held-out sources here so a stopped run resumes (adcheck.checkpoint)
    source_sets: int | None = None  # hold the sources out in this many sets (0: one at a time); None: as the base model did


@dataclass
class RetrainReport:
    added_rows: int = 0
    duplicates_of_corpus: list[str] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)
    dropped: list[dict] = field(default_factory=list)
    near_duplicates: list[dict] = field(default_factory=list)
    frozen_excluded_new: list[str] = field(default_factory=list)
    source_warnings: list[str] = field(default_factory=list)
    comparison: dict = field(default_factory=dict)
    gate: dict = field(default_factory=dict)
    baseline_note: str = ""


@dataclass
class RetrainResult:
    model: object | None
    report: RetrainReport
    out: Path | None


def _config_from_metadata(meta: dict):
    from adcheck.features import FeatureSpec
    from adcheck.training import TrainConfig

    search = (meta.get("hyperparameters") or {}).get("search")
    if not isinstance(search, dict):
        raise ModelFileError("the base model's metadata has no hyperparameters.search (its training configuration); "
                             "retrain it with `adcheck train` first")
    return TrainConfig(
        name=str(search.get("name", meta.get("name", "adcheck-model"))),
        c_values=tuple(float(c) for c in search["c_values"]),
        feature_specs=tuple(FeatureSpec(**spec) for spec in search["feature_specs"]),
        n_folds=int(search["n_folds"]),
        seed=int(search["seed"]),
        high_precision=float(search["high_precision"]),
        medium_precision=float(search["medium_precision"]),
        selection_metric=str(search["selection_metric"]),
        nb_alpha=None if search.get("nb_alpha") is None else float(search["nb_alpha"]),
        source_holdout=None if search.get("source_holdout") is None else str(search["source_holdout"]),
        source_holdout_sets=_holdout_sets_of(search.get("source_holdout_sets")),
        # models trained before the option existed fitted their category heads unweighted
        category_weights=None if search.get("category_weights") is None else str(search["category_weights"]),
        # models trained before the option existed had no second stage
        stage_two=_stage_two_of(search.get("stage_two")),
    )


def _stage_two_of(value) -> str | None:
    from adcheck.training_config import _stage_two

    try:
        return _stage_two(value)
    except TrainingError as exc:
        raise ModelFileError(f"the base model's metadata is damaged: {exc}") from None


def _holdout_sets_of(value) -> int | None:
    from adcheck.training_config import _source_holdout_sets

    try:
        return _source_holdout_sets(value)
    except TrainingError as exc:
        raise ModelFileError(f"the base model's metadata is damaged: {exc}") from None


def _resolve_source(path_text: str) -> Path:
    path = Path(path_text)
    if path.is_file():
        return path
    raise InputDataError(
        f"the base model's training file {path_text!r} is not found relative to the current directory ({Path.cwd()}); "
        "run retrain from the folder the base model was trained in (the repository root for the shipped model)"
    )


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def load_base_rows(meta: dict, report: RetrainReport) -> list[Row]:
    """The base model's training rows, read from the files its metadata lists (with their labels)."""
    from adcheck.digest import file_sha256
    from adcheck.feedback import key_digest, text_key
    from adcheck.language import detect_language
    from adcheck.readers import read_table
    from adcheck.taxonomy import parse_categories

    data = meta.get("training_data") or {}
    sources = data.get("sources") or []
    if not sources:
        raise ModelFileError("the base model's metadata lists no training files (training_data.sources)")
    columns = data.get("columns") or {}
    dropped = {(d["key_sha256"], bool(d["positive"])) for d in (meta.get("retrain") or {}).get("dropped", [])}
    rows: list[Row] = []
    seen: dict[str, bool] = {}
    for source in sources:
        path = _resolve_source(str(source["path"]))
        if source.get("sha256") and file_sha256(path) != source["sha256"]:
            report.source_warnings.append(f"{path} changed since the base model was trained (sha256 differs); using it as it is now")
        added = source.get("role") == "added"
        text_col = "text" if added else columns.get("text", "text")
        label_col = "label" if added else columns.get("label", "label")
        group_col = "group" if added else columns.get("group")
        categories_col = "categories" if added else columns.get("categories", "categories")
        lang_col = "lang" if added else columns.get("lang", "lang")
        positive = {"misleading"} if added else set(columns.get("positive") or ["misleading"])
        frame = read_table(path)
        for name in (text_col, label_col, group_col):
            if name and name not in frame.columns:
                raise InputDataError(f"{path}: no column {name!r}, which the base model was trained with")
        for number, record in enumerate(frame.to_dict("records"), 1):
            text = _cell(record.get(text_col))
            if not text.strip():
                continue
            is_positive = _cell(record.get(label_col)).strip() in positive
            key = text_key(text)
            if (key_digest(key), is_positive) in dropped:
                continue
            if key in seen:  # a row added earlier that was already in the corpus
                if seen[key] != is_positive:
                    report.source_warnings.append(
                        f"{path}:{number} repeats an earlier corpus text with the other label; the first one is used "
                        "(run `adcheck data check` on the corpus)"
                    )
                continue
            seen[key] = is_positive
            group = _cell(record.get(group_col)) if group_col else ""
            rows.append(Row(
                text=text, positive=is_positive,
                categories=parse_categories(record.get(categories_col)) if categories_col else [],
                lang=_cell(record.get(lang_col)).strip() if lang_col else "",
                group=(f"new:{group}" if added else group) if group else f"{path}:{number}", where=f"{path}:{number}", key=key,
                origin="new-earlier" if added else "base",
            ))
    for row in rows:
        if not row.lang:
            row.lang = detect_language(row.text)
    return rows


def validate_new_labels(paths: list[Path]) -> list[Row]:
    """Check the --add files as `adcheck data check` does; return their rows."""
    from adcheck.datacheck import check_files
    from adcheck.feedback import text_key
    from adcheck.language import detect_language
    from adcheck.readers import read_table
    from adcheck.taxonomy import LABEL_MISLEADING, parse_categories

    if not paths:
        raise InputDataError("no --add file given")
    report = check_files(list(paths))
    if report.errors:
        listed = "\n  ".join(str(f) for f in report.errors[:MAX_LISTED])
        more = f"\n  ... and {len(report.errors) - MAX_LISTED} more" if len(report.errors) > MAX_LISTED else ""
        raise InputDataError(f"the new labels fail `adcheck data check` ({len(report.errors)} error(s)):\n  {listed}{more}")
    rows: list[Row] = []
    for path in paths:
        frame = read_table(Path(path))
        for number, record in enumerate(frame.to_dict("records"), 1):
            text = _cell(record.get("text"))
            group = _cell(record.get("group")) or _cell(record.get("id")) or f"{path}:{number}"
            rows.append(Row(
                text=text, positive=_cell(record.get("label")).strip() == LABEL_MISLEADING,
                categories=parse_categories(record.get("categories")),
                lang=_cell(record.get("lang")).strip() or detect_language(text),
                group=f"new:{group}", where=f"{path}:{number}", key=text_key(text), origin="new",
            ))
    return rows


def _label(positive: bool) -> str:
    return "misleading" if positive else "acceptable"


def merge_rows(base: list[Row], new: list[Row], prefer: str | None, report: RetrainReport) -> list[Row]:
    """Merge new rows into the corpus: drop exact duplicates, settle conflicts, join near duplicates."""
    from adcheck.datacheck import NEAR_DUPLICATE_RUN
    from adcheck.feedback import key_digest, shingles

    if prefer not in (None, "new", "base"):
        raise InputDataError("prefer must be 'new' or 'base'")
    by_key: dict[str, list[int]] = {}
    for i, row in enumerate(base):
        by_key.setdefault(row.key, []).append(i)
    kept_new: list[Row] = []
    conflicts: list[tuple[Row, list[int]]] = []
    for row in new:
        matches = by_key.get(row.key, [])
        if not matches:
            kept_new.append(row)
        elif all(base[i].positive == row.positive for i in matches):
            report.duplicates_of_corpus.append(f"{row.where} duplicates {base[matches[0]].where}")
        else:
            conflicts.append((row, matches))
    for row, matches in conflicts:
        report.conflicts.append({
            "text": row.text,
            "new": {"where": row.where, "label": _label(row.positive)},
            "base": [{"where": base[i].where, "label": _label(base[i].positive)} for i in matches],
        })
    if conflicts and prefer is None:
        lines = []
        for entry in report.conflicts[:MAX_LISTED]:
            others = "; ".join(f"{b['where']} ({b['label']})" for b in entry["base"])
            lines.append(f"{entry['new']['where']} ({entry['new']['label']}) vs corpus {others}: {entry['text'][:80]!r}")
        more = f"\n  ... and {len(conflicts) - MAX_LISTED} more" if len(conflicts) > MAX_LISTED else ""
        raise LabelConflictError(
            f"{len(conflicts)} text(s) labeled both ways (new label vs corpus):\n  " + "\n  ".join(lines) + more
            + "\nfix the labels, or pass --prefer new (the new labels win) or --prefer base (the corpus wins)"
        )
    drop_base: set[int] = set()
    for row, matches in conflicts:
        if prefer == "new":
            drop_base.update(matches)
            kept_new.append(row)
            for i in matches:
                report.dropped.append({"where": base[i].where, "key_sha256": key_digest(base[i].key), "positive": base[i].positive})
        else:
            report.dropped.append({"where": row.where, "key_sha256": key_digest(row.key), "positive": row.positive})
    if not kept_new:
        raise InputDataError(
            "the --add file(s) add nothing new: every row duplicates the base model's corpus"
            + (f" (e.g. {report.duplicates_of_corpus[0]})" if report.duplicates_of_corpus else "")
        )
    merged = [row for i, row in enumerate(base) if i not in drop_base]
    # near duplicates of corpus rows join that row's group, so grouped folds keep them together (rows
    # added by an earlier retrain are joined again, the same way)
    shingle_group: dict[str, tuple[str, str]] = {}
    for row in merged:
        if row.origin == "base":
            for item in shingles(row.key, NEAR_DUPLICATE_RUN):
                shingle_group.setdefault(item, (row.group, row.where))
    regroup: dict[str, str] = {}
    joining = [row for row in merged if row.origin != "base"] + kept_new
    for row in joining:
        for item in shingles(row.key, NEAR_DUPLICATE_RUN):
            hit = shingle_group.get(item)
            if hit is not None:
                regroup.setdefault(row.group, hit[0])
                if row.origin == "new":
                    report.near_duplicates.append({"new": row.where, "corpus": hit[1], "group": hit[0]})
                break
    for row in joining:
        row.group = regroup.get(row.group, row.group)
    merged = merged + kept_new
    report.added_rows = len(kept_new)
    return merged


def _labeled(rows: list[Row]):
    from adcheck.readers import LabeledData

    return LabeledData(
        texts=[r.text for r in rows],
        labels=np.asarray([r.positive for r in rows], dtype=bool),
        groups=np.asarray([r.group for r in rows]),
        languages=np.asarray([r.lang for r in rows]),
        categories=[list(r.categories) for r in rows],
        files=np.asarray([r.where.rsplit(":", 1)[0] for r in rows]),
    )


def _metrics(y: np.ndarray, risk: np.ndarray, threshold: float) -> dict:
    from adcheck.evaluation import binary_metrics

    if len(y) == 0:
        return {"n": 0, "positives": 0, "roc_auc": None, "pr_auc": None, "f1": None, "precision": None, "recall": None}
    m = binary_metrics(y, risk, threshold)
    return {k: m[k] for k in COMPARED_METRICS}


def run_gate(comparison: dict, metric: str, tolerance: float) -> dict:
    """Which sets' `metric` dropped by more than `tolerance` from the reference to the new model."""
    if metric not in GATE_METRICS:
        raise InputDataError(f"--metric must be one of {', '.join(GATE_METRICS)}")
    checks = []
    for name, entry in comparison.items():
        before, after = entry["reference"].get(metric), entry["new"].get(metric)
        if before is None or after is None:
            checks.append({"set": name, "reference": before, "new": after, "change": None, "passed": True,
                           "note": "not defined on this set (one class only or no rows)"})
            continue
        change = round(after - before, 4)
        checks.append({"set": name, "reference": before, "new": after, "change": change, "passed": change >= -tolerance})
    return {"metric": metric, "tolerance": tolerance, "checks": checks, "passed": all(c["passed"] for c in checks)}


def format_comparison(report: RetrainReport) -> str:
    """The side-by-side table of reference and new model, and the gate's verdict."""
    lines = [f"{'set':<16}{'model':<14}{'n':>6}{'pos':>6}{'ROC-AUC':>9}{'PR-AUC':>8}{'F1':>7}{'prec':>7}{'recall':>8}"]

    def f(v) -> str:
        return "n/a" if v is None else f"{v:.3f}"

    for name, entry in report.comparison.items():
        for who in ("reference", "new"):
            m = entry[who]
            label = entry.get(f"{who}_label", who)
            lines.append(f"{name:<16}{label:<14}{m['n']:>6}{m['positives']:>6}{f(m['roc_auc']):>9}{f(m['pr_auc']):>8}"
                         f"{f(m['f1']):>7}{f(m['precision']):>7}{f(m['recall']):>8}")
    gate = report.gate
    if gate:
        for check in gate["checks"]:
            change = "n/a" if check["change"] is None else f"{check['change']:+.4f}"
            verdict = "ok" if check["passed"] else f"DROP beyond {gate['tolerance']}"
            lines.append(f"gate {gate['metric']} on {check['set']}: {f(check['reference'])} -> {f(check['new'])} ({change}) {verdict}")
    if report.baseline_note:
        lines.append(report.baseline_note)
    return "\n".join(lines)


def retrain(options: RetrainOptions, progress: Callable[[str], None] | None = None) -> RetrainResult:
    """Merge new labels into the base model's corpus, retrain, gate, and write the new model folder."""
    from adcheck.artifacts import load_model, save_model, verify_model_dir
    from adcheck.training import train

    say = progress or (lambda message: None)
    report = RetrainReport()
    base_dir, out = Path(options.base), Path(options.out)
    if options.metric not in GATE_METRICS:
        raise InputDataError(f"--metric must be one of {', '.join(GATE_METRICS)}")
    if options.tolerance < 0:
        raise InputDataError("--tolerance must be >= 0")
    if options.baseline not in ("auto", "parent", "refit"):
        raise InputDataError("--baseline must be auto, parent or refit")
    try:
        meta = verify_model_dir(base_dir)
    except ModelFileError as exc:
        raise ModelFileError(f"the base model fails its integrity check: {exc}") from None
    if out.exists() and out.resolve() == base_dir.resolve():
        raise InputDataError("--out is the base model's folder; write the new model to a new folder")
    if out.exists() and any(out.iterdir()) and not options.overwrite:
        raise ModelFileError(f"{out} exists and is not empty; choose another --out or pass --overwrite")
    say(f"base model {meta.get('model_id')} ({base_dir})")
    config = _config_from_metadata(meta)
    if options.name:
        config = replace(config, name=options.name)
    if options.source_sets is not None:
        from adcheck.training_config import _source_holdout_sets

        config = replace(config, source_holdout_sets=_source_holdout_sets(options.source_sets))

    new_rows = validate_new_labels([Path(p) for p in options.add])
    base_rows = load_base_rows(meta, report)
    for warning in report.source_warnings:
        say(f"warning: {warning}")
    rows = merge_rows(base_rows, new_rows, options.prefer, report)
    say(f"corpus {len(base_rows)} rows; adding {report.added_rows} new row(s); {len(report.duplicates_of_corpus)} duplicate(s) "
        f"of the corpus dropped; {len(report.near_duplicates)} near duplicate(s) joined to corpus groups; "
        f"{len(report.conflicts)} conflict(s) settled for the {options.prefer or '-'} side")

    frozen = frozen_eval_groups(r.group for r in rows if r.origin == "base")
    eval_rows = [r for r in rows if r.group in frozen and r.origin == "base"]
    train_rows = [r for r in rows if r.group not in frozen]
    report.frozen_excluded_new = [r.where for r in rows if r.group in frozen and r.origin == "new"]
    if report.frozen_excluded_new:
        say(f"{len(report.frozen_excluded_new)} new row(s) are near duplicates of frozen evaluation texts; kept out of training")
    say(f"frozen evaluation set: {len(eval_rows)} rows in {len(frozen)} groups (never trained on); training on {len(train_rows)} rows")

    data = _labeled(train_rows)
    result = train(data, config, progress=say, jobs=options.jobs, checkpoint=options.checkpoint)
    child = result.model
    parent = load_model(base_dir)
    parent_saw_frozen = not (meta.get("retrain") or {}).get("frozen_eval")
    use_refit = options.baseline == "refit" or (options.baseline == "auto" and parent_saw_frozen)
    reference_label = "parent"
    reference = parent
    if use_refit:
        reference_rows = [r for r in train_rows if r.origin != "new"]
        say(f"refitting the parent's configuration on its own corpus without the frozen groups ({len(reference_rows)} rows)")
        reference = train(_labeled(reference_rows), replace(config, source_holdout=None), jobs=options.jobs).model  # only its model is used
        reference_label = "parent-refit"
        report.baseline_note = (
            "reference: the parent's configuration refit on the parent's corpus without the frozen groups, because the "
            "parent was trained on all groups and may have seen the frozen evaluation texts (its own figures are shown as "
            "'parent', for information)"
        )
    elif parent_saw_frozen:
        report.baseline_note = ("note: the parent was trained on all corpus groups and may have seen the frozen evaluation "
                                "texts; its figures on them are optimistic")

    y_eval = np.asarray([r.positive for r in eval_rows], dtype=bool)
    eval_texts = [r.text for r in eval_rows]
    comparison: dict = {}
    if eval_rows:
        comparison["frozen_eval"] = {
            "reference": _metrics(y_eval, reference.predict_proba(eval_texts), reference.flag_threshold),
            "new": _metrics(y_eval, child.predict_proba(eval_texts), child.flag_threshold),
            "reference_label": reference_label, "new_label": "new",
        }
        if use_refit:
            comparison["frozen_eval"]["parent_as_shipped"] = _metrics(y_eval, parent.predict_proba(eval_texts), parent.flag_threshold)
    new_index = [i for i, r in enumerate(train_rows) if r.origin == "new"]
    if new_index:
        y_new = data.labels[new_index]
        new_texts = [train_rows[i].text for i in new_index]
        comparison["new_examples"] = {
            "reference": _metrics(y_new, parent.predict_proba(new_texts), parent.flag_threshold),
            "new": _metrics(y_new, result.out_of_fold["risk"][new_index], child.flag_threshold),
            "reference_label": "parent", "new_label": "new (CV)",
        }
    report.comparison = comparison
    report.gate = run_gate(comparison, options.metric, options.tolerance)
    say(format_comparison(report))
    if use_refit and "frozen_eval" in comparison:
        m = comparison["frozen_eval"]["parent_as_shipped"]
        say(f"frozen_eval       parent (as shipped, may have seen these texts): ROC-AUC {m['roc_auc']}, PR-AUC {m['pr_auc']}, F1 {m['f1']}")
    if not report.gate["passed"] and not options.allow_regression:
        failed = [c for c in report.gate["checks"] if not c["passed"]]
        details = "; ".join(f"{c['set']} {c['reference']} -> {c['new']} ({c['change']:+.4f})" for c in failed)
        raise RegressionError(
            f"the new model is worse than the {reference_label} on {options.metric} beyond the tolerance {options.tolerance}: "
            f"{details}; no model was written. Review the new labels, or pass --allow-regression to write it anyway"
        )
    overridden = not report.gate["passed"]

    added_sources = []
    for path in options.add:
        from adcheck.digest import file_sha256

        rows_from = sum(1 for r in rows if r.origin == "new" and r.where.startswith(f"{path}:"))
        added_sources.append({"path": str(path), "sha256": file_sha256(Path(path)), "rows_added": rows_from, "role": "added"})
    base_sources = [dict(s) for s in meta["training_data"]["sources"]]
    for source in base_sources:
        source.setdefault("role", "base")
    sources = base_sources + [{"path": s["path"], "sha256": s["sha256"], "rows": s["rows_added"], "role": "added"} for s in added_sources]
    combined = hashlib.sha256("\n".join(s["sha256"] for s in sources).encode()).hexdigest()
    gate_text = (f"Regression gate ({options.metric}, tolerance {options.tolerance}) "
                 + ("passed." if not overridden else "FAILED and was overridden with --allow-regression: "
                    + "; ".join(f"{c['set']} {c['reference']} -> {c['new']}" for c in report.gate["checks"] if not c["passed"]) + "."))
    notes = (
        f"Retrained from {meta.get('model_id')} with {report.added_rows} new labeled row(s) from "
        + ", ".join(f"`{s['path']}`" for s in added_sources) + f". {gate_text} "
        f"The frozen evaluation groups ({len(frozen)} groups, {len(eval_rows)} rows; {FROZEN_RULE}) were left out of training."
    )
    if meta.get("notes"):
        notes += "\n\nParent's notes: " + str(meta["notes"])
    metadata = {
        "name": config.name,
        "training_data": {
            "sha256": combined, "sources": sources, "counts": data.counts(),
            "columns": meta["training_data"].get("columns"),
        },
        "hyperparameters": {**result.chosen, "n_folds": config.n_folds, "seed": config.seed, "search": config.to_dict()},
        "cv": {"candidates": result.cv_candidates, "report": result.cv_report, "seconds": round(result.seconds, 1)},
        "parent": {"model_id": meta.get("model_id"), "sha256": meta["artifact"]["sha256"], "path": str(base_dir)},
        "retrain": {
            "added": added_sources,
            "added_rows": report.added_rows,
            "duplicates_of_corpus": len(report.duplicates_of_corpus),
            "near_duplicates_joined": report.near_duplicates[:200],
            "conflicts": len(report.conflicts),
            "prefer": options.prefer,
            # kept from every ancestor, so a descendant rebuilds the same corpus from the listed files
            "dropped": list((meta.get("retrain") or {}).get("dropped", []))
            + [{"where": d["where"], "key_sha256": d["key_sha256"], "positive": d["positive"]} for d in report.dropped],
            "frozen_eval": {"rule": FROZEN_RULE, "groups": len(frozen), "rows": len(eval_rows),
                            "groups_sha256": hashlib.sha256("\n".join(sorted(frozen)).encode()).hexdigest()},
            "new_rows_kept_out_as_frozen": len(report.frozen_excluded_new),
            "comparison": comparison,
            "reference": reference_label,
            "gate": {**report.gate, "overridden": overridden, "allow_regression": options.allow_regression},
        },
        "notes": notes,
    }
    saved = save_model(child, out, metadata, overwrite=options.overwrite)
    return RetrainResult(saved, report, out)
