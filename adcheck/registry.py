"""Model registry: the model folders under a models directory, their lineage, diffs and the default.

`promote` writes `MODELS_DIR/DEFAULT`, a small JSON pointer (the model folder and its file's sha256),
atomically (a temporary file and a rename), so a reader sees the old pointer or the new one, never
half of one. `resolve_default_model_dir` returns the promoted folder when the pointer exists and the
folder verifies with that sha256, and the shipped default model otherwise.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from adcheck.atomic import write_json_atomic
from adcheck.errors import AdcheckError, ModelFileError

POINTER_FILE = "DEFAULT"
MODELS_DIR_ENV = "ADCHECK_MODELS_DIR"
log = logging.getLogger(__name__)


def models_dir(root: Path | str | None = None) -> Path:
    """The models directory: `root`, else $ADCHECK_MODELS_DIR, else ./models."""
    if root is not None:
        return Path(root)
    return Path(os.environ.get(MODELS_DIR_ENV) or "models")


def pointer_path(root: Path | str | None = None) -> Path:
    return models_dir(root) / POINTER_FILE


def read_pointer(root: Path | str | None = None) -> dict | None:
    """The promotion pointer, or None when there is none. Raises ModelFileError when it is unreadable."""
    path = pointer_path(root)
    if not path.is_file():
        return None
    try:
        pointer = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: unreadable promotion pointer ({exc}); run `adcheck models promote MODEL` again") from None
    if not isinstance(pointer, dict) or not isinstance(pointer.get("path"), str) or not isinstance(pointer.get("sha256"), str):
        raise ModelFileError(f"{path}: not a promotion pointer (needs path and sha256); run `adcheck models promote MODEL` again")
    return pointer


def _pointer_target(pointer: dict, root: Path) -> Path:
    target = Path(pointer["path"])
    return target if target.is_absolute() else root / target


def check_pointer(root: Path | str | None = None) -> Path | None:
    """The promoted model folder after verifying it against the pointer; None without a pointer."""
    from adcheck.artifacts import verify_model_dir

    root = models_dir(root)
    pointer = read_pointer(root)
    if pointer is None:
        return None
    target = _pointer_target(pointer, root)
    meta = verify_model_dir(target)
    if meta["artifact"]["sha256"] != pointer["sha256"]:
        raise ModelFileError(
            f"{target}: its model file (sha256 {meta['artifact']['sha256'][:12]}...) is not the one promoted "
            f"({pointer['sha256'][:12]}...); promote it again or restore the folder"
        )
    return target


def resolve_default_model_dir(root: Path | str | None = None) -> Path:
    """The model used when none is named: the promoted folder if its pointer verifies, else the shipped one."""
    from adcheck.artifacts import default_model_dir

    try:
        target = check_pointer(root)
    except AdcheckError as exc:
        log.warning("ignoring the promoted default model: %s; using the shipped model", exc)
        return default_model_dir()
    return target if target is not None else default_model_dir()


def promote(model_dir: Path | str, root: Path | str | None = None) -> dict:
    """Make a verified model folder the default (write the pointer atomically); return the pointer."""
    from adcheck.artifacts import verify_model_dir

    root = models_dir(root)
    model_dir = Path(model_dir)
    meta = verify_model_dir(model_dir)
    root.mkdir(parents=True, exist_ok=True)
    resolved = model_dir.resolve()
    try:
        stored = str(resolved.relative_to(root.resolve()))
    except ValueError:
        stored = str(resolved)
    pointer = {
        "path": stored,
        "model_id": meta.get("model_id"),
        "sha256": meta["artifact"]["sha256"],
        "promoted_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    write_json_atomic(root / POINTER_FILE, pointer)
    return pointer


@dataclass
class ModelEntry:
    path: str
    model_id: str | None = None
    parent: str | None = None
    created_at: str | None = None
    sha256: str | None = None
    rows: int | None = None
    added_rows: int | None = None
    metrics: dict = field(default_factory=dict)
    gate: str | None = None
    is_default: bool = False
    problem: str | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _entry(path: Path, meta: dict) -> ModelEntry:
    parent = meta.get("parent")
    overall = ((meta.get("cv") or {}).get("report") or {}).get("overall") or {}
    retrain = meta.get("retrain") or {}
    frozen = (retrain.get("comparison") or {}).get("frozen_eval", {}).get("new") or {}
    metrics = {f"cv_{k}": overall.get(k) for k in ("roc_auc", "pr_auc", "f1")}
    if frozen:
        metrics.update({f"frozen_{k}": frozen.get(k) for k in ("roc_auc", "pr_auc", "f1")})
    gate = retrain.get("gate") or {}
    gate_text = None
    if gate:
        gate_text = "passed" if gate.get("passed") else ("overridden" if gate.get("overridden") else "failed")
    return ModelEntry(
        path=str(path), model_id=meta.get("model_id"),
        parent=parent.get("model_id") if isinstance(parent, dict) else parent,
        created_at=meta.get("created_at"), sha256=(meta.get("artifact") or {}).get("sha256"),
        rows=((meta.get("training_data") or {}).get("counts") or {}).get("rows"),
        added_rows=retrain.get("added_rows"), metrics=metrics, gate=gate_text,
    )


def list_models(root: Path | str | None = None) -> list[ModelEntry]:
    """Every model folder directly under the models directory (verified), oldest first."""
    from adcheck.artifacts import METADATA_FILE, verify_model_dir

    root = models_dir(root)
    if not root.is_dir():
        raise ModelFileError(f"{root}: no such models directory; pass --models-dir or create it")
    try:
        default = check_pointer(root)
    except AdcheckError:
        default = None
    entries = []
    for path in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not (path / METADATA_FILE).is_file():
            continue
        try:
            meta = verify_model_dir(path)
        except AdcheckError as exc:
            entries.append(ModelEntry(path=str(path), problem=str(exc)))
            continue
        entry = _entry(path, meta)
        entry.is_default = default is not None and default.resolve() == path.resolve()
        entries.append(entry)
    entries.sort(key=lambda e: (e.created_at or "", e.path))
    return entries


def _flat_metrics(meta: dict) -> dict:
    report = ((meta.get("cv") or {}).get("report") or {})
    flat = {}
    for key in ("roc_auc", "pr_auc", "f1", "precision", "recall"):
        flat[f"cv {key}"] = (report.get("overall") or {}).get(key)
    for lang, m in (report.get("by_language") or {}).items():
        flat[f"cv {lang} pr_auc"] = m.get("pr_auc")
    flat["cv category macro-F1"] = report.get("category_macro_f1")
    frozen = (((meta.get("retrain") or {}).get("comparison") or {}).get("frozen_eval") or {}).get("new") or {}
    for key in ("roc_auc", "pr_auc", "f1"):
        if frozen:
            flat[f"frozen {key}"] = frozen.get(key)
    flat["training rows"] = ((meta.get("training_data") or {}).get("counts") or {}).get("rows")
    flat["features"] = meta.get("feature_count")
    return flat


def diff_models(old_dir: Path | str, new_dir: Path | str, *, top: int = 15, texts: list[str] | None = None) -> dict:
    """Metric changes and the n-grams whose risk weights changed most from `old_dir` to `new_dir`.

    N-gram names are recovered from `texts` (default: the new model's training files, when found);
    n-grams not seen there are named by their hash.
    """
    from adcheck.artifacts import load_model
    from adcheck.features import describe_features

    old, new = load_model(old_dir), load_model(new_dir)
    a, b = _flat_metrics(old.metadata), _flat_metrics(new.metadata)
    metrics = []
    for key in dict.fromkeys([*a, *b]):
        before, after = a.get(key), b.get(key)
        if before is None or after is None:
            change = None
        elif isinstance(before, int) and isinstance(after, int):
            change = after - before
        else:
            change = round(after - before, 4)
        metrics.append({"metric": key, "old": before, "new": after, "change": change})
    if old.spec != new.spec:
        note = "the models use different feature settings; weights are compared by n-gram hash"
    else:
        note = ""
    old_weights = dict(zip(old.vocabulary.hashes.tolist(), old.risk_head.coef.tolist()))
    new_weights = dict(zip(new.vocabulary.hashes.tolist(), new.risk_head.coef.tolist()))
    hashes = np.asarray(sorted(set(old_weights) | set(new_weights)), dtype=np.uint64)
    before = np.asarray([old_weights.get(h, 0.0) for h in hashes.tolist()])
    after = np.asarray([new_weights.get(h, 0.0) for h in hashes.tolist()])
    order = np.argsort(-np.abs(after - before), kind="stable")[:top]
    if texts is None:
        texts = _training_texts(new.metadata)
    names: dict[int, str] = {}
    if texts:
        for model in (new, old):
            for h, name in zip(model.vocabulary.hashes.tolist(), describe_features(model.vocabulary, texts)):
                if name != "?":
                    names.setdefault(h, name)
    ngrams = []
    for i in order.tolist():
        h = int(hashes[i])
        ngrams.append({
            "ngram": names.get(h, f"#{h:016x}"), "old": round(float(before[i]), 4), "new": round(float(after[i]), 4),
            "change": round(float(after[i] - before[i]), 4),
            "status": "added" if h not in old_weights else ("removed" if h not in new_weights else "changed"),
        })
    return {"old": old.model_id, "new": new.model_id, "metrics": metrics, "ngrams": ngrams, "note": note}


def _training_texts(meta: dict, limit: int = 20000) -> list[str]:
    from adcheck.readers import read_table

    texts: list[str] = []
    columns = (meta.get("training_data") or {}).get("columns") or {}
    for source in (meta.get("training_data") or {}).get("sources") or []:
        path = Path(str(source.get("path")))
        if not path.is_file():
            continue
        column = "text" if source.get("role") == "added" else columns.get("text", "text")
        try:
            frame = read_table(path)
        except AdcheckError:
            continue
        if column in frame.columns:
            texts.extend(str(v) for v in frame[column].tolist() if isinstance(v, str))
        if len(texts) >= limit:
            break
    return texts[:limit]
