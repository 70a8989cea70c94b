"""Suggest what to label next: the most uncertain texts, spread across languages and categories.

Uncertainty sampling with two corrections that make a labeling batch worth more: near duplicates
collapse to one representative (labeling ten copies of one listing teaches the model once), and
picks are taken in turn from each (language, likely category) stratum among the most uncertain
texts, so a batch is not all one kind of ad. The output is a review file: fill `review_label`
(and `review_categories`, `review_note`), then `adcheck feedback collect` turns it into labels.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from adcheck.atomic import write_text_atomic
from adcheck.errors import InputDataError

POOL_FACTOR = 3  # picks come from the POOL_FACTOR x n most uncertain representatives
SUGGEST_COLUMNS = ("id", "source", "position", "text", "lang", "likely_category", "risk", "uncertainty", "duplicates",
                   "review_label", "review_categories", "review_note", "model_id")


@dataclass
class Suggestion:
    id: str
    source: str
    position: int
    text: str
    lang: str
    likely_category: str
    risk: float
    uncertainty: float
    duplicates: int


def uncertainty(risk: np.ndarray) -> np.ndarray:
    """1 at risk 0.5, 0 at risk 0 or 1 (closeness to the decision boundary)."""
    return 1.0 - np.abs(2.0 * np.asarray(risk, dtype=np.float64) - 1.0)


def select(risk: np.ndarray, clusters: list[int] | np.ndarray, strata: list[str] | np.ndarray, n: int,
           pool_factor: int = POOL_FACTOR) -> list[int]:
    """Indices of the texts to label: one per near-duplicate cluster (its most uncertain member),
    taken in turn from each stratum among the `pool_factor * n` most uncertain representatives."""
    if n <= 0:
        return []
    u = uncertainty(risk)
    clusters = np.asarray(clusters)
    order = np.lexsort((np.arange(len(u)), -u))  # most uncertain first, ties by position
    representatives: list[int] = []
    seen: set[int] = set()
    for i in order.tolist():
        cluster = int(clusters[i])
        if cluster not in seen:
            seen.add(cluster)
            representatives.append(i)
    pool = representatives[: max(n * pool_factor, n)]
    queues: dict[str, list[int]] = {}
    for i in pool:
        queues.setdefault(str(strata[i]), []).append(i)
    # strata take turns, the stratum with the most uncertain head first
    picked: list[int] = []
    heads = {name: 0 for name in queues}
    while len(picked) < n and heads:
        for name in sorted(heads, key=lambda s: (-u[queues[s][heads[s]]], s)):
            if len(picked) >= n:
                break
            picked.append(queues[name][heads[name]])
            heads[name] += 1
        heads = {name: h for name, h in heads.items() if h < len(queues[name])}
    return picked


def suggest(model, texts: list[str], n: int, *, ids: list[str] | None = None, sources: list[str] | None = None,
            positions: list[int] | None = None, languages: list[str] | None = None,
            exclude_keys: set[str] | None = None) -> list[Suggestion]:
    """The `n` texts whose labels should help `model` most (see the module docstring)."""
    from adcheck.feedback import near_duplicate_clusters, text_key
    from adcheck.language import detect_language

    keep = list(range(len(texts)))
    if exclude_keys:
        keep = [i for i in keep if text_key(texts[i]) not in exclude_keys]
    items = [texts[i] for i in keep]
    if not items:
        return []
    risk = model.predict_proba(items)
    conditional = model.category_proba(items) if model.category_heads else {}
    codes = list(conditional)
    if codes:
        stacked = np.column_stack([conditional[c] for c in codes])
        likely = [codes[j] for j in np.argmax(stacked, axis=1).tolist()]
    else:
        likely = [""] * len(items)
    langs = [(languages[i] if languages else "") or detect_language(texts[i]) for i in keep]
    clusters = near_duplicate_clusters(items)
    sizes: dict[int, int] = {}
    for c in clusters:
        sizes[c] = sizes.get(c, 0) + 1
    strata = [f"{lang}|{cat}" for lang, cat in zip(langs, likely)]
    u = uncertainty(risk)
    out = []
    for j in select(risk, clusters, strata, n):
        i = keep[j]
        out.append(Suggestion(
            id=ids[i] if ids else str(i + 1), source=sources[i] if sources else "", position=positions[i] if positions else i + 1,
            text=texts[i], lang=langs[j], likely_category=likely[j], risk=round(float(risk[j]), 6),
            uncertainty=round(float(u[j]), 6), duplicates=sizes[clusters[j]],
        ))
    return out


def read_unlabeled(inputs: list[Path], text_cols: list[str], id_col: str | None = None) -> tuple[list, list[str]]:
    """Every scorable record of files, folders and archives; and the reasons rows were skipped."""
    from adcheck.records import ReadOptions, SourceReader
    from adcheck.sources import discover

    skipped: list[str] = []
    records = []
    options = ReadOptions(text_cols=list(text_cols), id_col=id_col)
    for source in discover([Path(p) for p in inputs], skipped):
        for record in SourceReader(source, options).records():
            if record.error is None:
                records.append(record)
            else:
                skipped.append(f"{record.source}:{record.position}: {record.error}")
    if not records:
        raise InputDataError("no scorable text in the input" + (f" ({skipped[0]})" if skipped else ""))
    return records, skipped


def training_keys(meta: dict) -> set[str]:
    """Duplicate keys of the model's training texts (when its files are found), to skip labeled texts."""
    from adcheck.feedback import text_key
    from adcheck.registry import _training_texts

    return {text_key(t) for t in _training_texts(meta, limit=10**7)}


def write_suggestions(suggestions: list[Suggestion], out: Path, model_id: str, *, overwrite: bool = False) -> Path:
    """Write the review file (CSV) atomically."""
    out = Path(out)
    if out.suffix.lower() != ".csv":
        raise InputDataError(f"{out}: write suggestions as a .csv file")
    if out.exists() and not overwrite:
        raise InputDataError(f"{out} exists; choose another --out or pass --overwrite")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(SUGGEST_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for s in suggestions:
        writer.writerow({**s.__dict__, "review_label": "", "review_categories": "", "review_note": "", "model_id": model_id})
    return write_text_atomic(out, buffer.getvalue())
