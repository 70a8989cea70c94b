"""Evaluation: precision, recall, F1, ROC-AUC, PR-AUC and confusion, overall and by slice."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from adcheck.taxonomy import CATEGORY_CODES


def _safe_auc(y: np.ndarray, scores: np.ndarray) -> tuple[float | None, float | None]:
    from sklearn.metrics import average_precision_score, roc_auc_score

    if y.all() or not y.any():
        return None, None
    return float(roc_auc_score(y, scores)), float(average_precision_score(y, scores))


def binary_metrics(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    """Metrics of a binary decision `scores >= threshold` against `y` (bool)."""
    y = np.asarray(y, dtype=bool)
    predicted = np.asarray(scores) >= threshold
    tp = int((predicted & y).sum())
    fp = int((predicted & ~y).sum())
    fn = int((~predicted & y).sum())
    tn = int((~predicted & ~y).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    roc_auc, pr_auc = _safe_auc(y, scores)
    return {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "threshold": round(float(threshold), 6),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "roc_auc": None if roc_auc is None else round(roc_auc, 4),
        "pr_auc": None if pr_auc is None else round(pr_auc, 4),
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
    }


def threshold_for_precision(y: np.ndarray, scores: np.ndarray, target: float) -> float:
    """Lowest threshold whose precision on (y, scores) reaches `target` (else the highest score)."""
    from sklearn.metrics import precision_recall_curve

    precision, _, thresholds = precision_recall_curve(y, scores)
    ok = np.flatnonzero(precision[:-1] >= target)
    if len(ok) == 0:
        return float(np.max(scores)) if len(scores) else 1.0
    return float(thresholds[ok[0]])


def threshold_for_f1(y: np.ndarray, scores: np.ndarray) -> float:
    """The threshold that maximises F1 on (y, scores)."""
    from sklearn.metrics import precision_recall_curve

    if not np.asarray(y).any():
        return 0.5
    precision, recall, thresholds = precision_recall_curve(y, scores)
    f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
    return float(thresholds[int(np.argmax(f1))])


def evaluate_predictions(
    y: np.ndarray,
    risk: np.ndarray,
    threshold: float,
    languages: Sequence[str],
    true_categories: list[list[str]] | None = None,
    category_probs: dict[str, np.ndarray] | None = None,
    category_thresholds: dict[str, float] | None = None,
) -> dict:
    """Full report: overall, per language, per category (risk recall and category heads)."""
    y = np.asarray(y, dtype=bool)
    languages = np.asarray(languages)
    report: dict = {"overall": binary_metrics(y, risk, threshold), "by_language": {}}
    for lang in sorted(set(languages.tolist())):
        mask = languages == lang
        report["by_language"][lang] = binary_metrics(y[mask], risk[mask], threshold)
    if true_categories is not None:
        by_category = {}
        f1s = []
        for code in CATEGORY_CODES:
            has = np.asarray([code in cats for cats in true_categories])
            entry: dict = {"examples": int(has.sum())}
            if has.any():
                entry["risk_recall"] = round(float((risk[has] >= threshold).mean()), 4)
            if category_probs is not None and code in category_probs:
                cut = (category_thresholds or {}).get(code, 0.5)
                entry["head"] = binary_metrics(has, category_probs[code], cut)
                if has.any():
                    f1s.append(entry["head"]["f1"])
            by_category[code] = entry
        report["by_category"] = by_category
        if f1s:
            report["category_macro_f1"] = round(float(np.mean(f1s)), 4)
    return report


def footnoted_lawful_flagged(y: np.ndarray, risk: np.ndarray, threshold: float, texts: Sequence[str]) -> dict:
    """How often acceptable texts are flagged at `threshold`, with and without a "*" or ※ footnote mark.

    The labelling guideline lets the fact below the line decide (a footnote that only adds a basis or
    a benefit leaves a true claim acceptable; one that takes it back makes it misleading), so a model
    that flags footnoted lawful copy more often than the rest reads the mark rather than the fact."""
    y = np.asarray(y, dtype=bool)
    marked = np.asarray(["*" in text or "※" in text for text in texts], dtype=bool)
    out = {}
    for name, rows in (("footnoted", ~y & marked), ("not_footnoted", ~y & ~marked)):
        out[name] = {"acceptable": int(rows.sum()),
                     "flagged": round(float((risk[rows] >= threshold).mean()), 4) if rows.any() else None}
    return out


def evaluate_model(model, data, threshold: float | None = None) -> dict:
    """Score labeled data with a model and report its quality."""
    cut = model.flag_threshold if threshold is None else threshold
    risk = model.predict_proba(data.texts)
    category_probs = model.category_proba(data.texts) if data.categories is not None else None
    report = evaluate_predictions(
        data.labels, risk, cut, data.languages, data.categories, category_probs, model.category_thresholds
    )
    report["model_id"] = model.model_id
    return report


def format_report(report: dict) -> str:
    """A plain-text rendering of an evaluation report."""
    lines = [f"model {report.get('model_id', '')}"]
    header = f"{'slice':<22}{'n':>7}{'pos':>7}{'prec':>8}{'recall':>8}{'F1':>8}{'ROC-AUC':>9}{'PR-AUC':>8}"
    lines.append(header)

    def row(name: str, m: dict) -> str:
        def f(v):
            return "   n/a" if v is None else f"{v:.3f}"
        return f"{name:<22}{m['n']:>7}{m['positives']:>7}{f(m['precision']):>8}{f(m['recall']):>8}{f(m['f1']):>8}{f(m['roc_auc']):>9}{f(m['pr_auc']):>8}"

    lines.append(row("all", report["overall"]))
    for lang, m in report.get("by_language", {}).items():
        lines.append(row(f"lang={lang}", m))
    c = report["overall"]["confusion"]
    lines.append("")
    lines.append(f"confusion at threshold {report['overall']['threshold']:.3f}:  predicted+  predicted-")
    lines.append(f"  actual misleading      {c['tp']:>10}  {c['fn']:>10}")
    lines.append(f"  actual acceptable      {c['fp']:>10}  {c['tn']:>10}")
    if report.get("by_category"):
        lines.append("")
        lines.append(f"{'category head':<22}{'n':>7}{'pos':>7}{'prec':>8}{'recall':>8}{'F1':>8}{'ROC-AUC':>9}{'PR-AUC':>8}  risk recall")
        for code, entry in report["by_category"].items():
            if "head" in entry:
                lines.append(row(code, entry["head"]) + f"  {entry.get('risk_recall', float('nan')):.3f}")
        if "category_macro_f1" in report:
            lines.append(f"category macro-F1: {report['category_macro_f1']:.3f}")
    return "\n".join(lines)
