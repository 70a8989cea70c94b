"""Model files: save a model folder atomically, and verify hash and versions before loading it."""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import numpy as np

from adcheck import __version__
from adcheck.digest import file_sha256
from adcheck.errors import ModelFileError
from adcheck.features import FAMILY_BODY, N_FAMILIES, FeatureSpec, Vocabulary
from adcheck.model import AdModel, LinearHead
from adcheck.stage_two import KIND as STAGE_TWO_KIND
from adcheck.stage_two import TreeEnsemble, input_names

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
CARD_FILE = "MODEL_CARD.md"
MODEL_FORMAT = "adcheck-model"
# 2: the feature spec carries wb_tokens and symbols, which format-1 readers cannot parse. A model
# whose spec keeps both at their defaults is still written as format 1, without the two keys.
# 3: the spec carries body_ngram_max (the body family, a fourth block of features). A model without
# the family is still written as format 2 or 1, without the key, so older adcheck versions read it.
# 4: the model holds a second stage (boosted trees over the heads' scores: adcheck.stage_two). A model
# without one is still written as format 3 or lower.
MODEL_FORMAT_VERSION = 4
_FORMAT_2_KEYS = {"wb_tokens": "word", "symbols": "all"}  # with their format-1 meaning
_FORMAT_3_KEYS = {"body_ngram_max": 0}  # with its format-1 and format-2 meaning


def _format_version(spec: FeatureSpec, stage_two: bool = False) -> int:
    if stage_two:
        return 4
    if any(getattr(spec, key) != default for key, default in _FORMAT_3_KEYS.items()):
        return 3
    return 2 if any(getattr(spec, key) != default for key, default in _FORMAT_2_KEYS.items()) else 1
METADATA_SCHEMA_VERSION = 1
DEFAULT_MODEL_PACKAGE_DIR = "default_model"


def default_model_dir() -> Path:
    """The shipped default model, installed with the package."""
    return Path(str(resources.files("adcheck") / DEFAULT_MODEL_PACKAGE_DIR))


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _float32_exact(values: np.ndarray) -> np.ndarray:
    """Store parameters as float32; training already rounded them, so nothing changes."""
    stored = np.asarray(values).astype(np.float32)
    if not np.array_equal(stored.astype(np.float64), values):
        raise ModelFileError("model parameters are not float32-exact; retrain the model with this adcheck")
    return stored


def _category_weights(values: np.ndarray) -> np.ndarray:
    """Category head weights as float16 when training rounded them so (this version does), else as
    float32 (a model trained by an older version keeps its exact weights when saved again)."""
    values = np.asarray(values)
    half = values.astype(np.float16)
    if np.array_equal(half.astype(np.float64), values):
        return half
    return _float32_exact(values)


def _model_payload(model: AdModel) -> dict:
    codes = list(model.category_heads)
    n = model.vocabulary.n_features
    version = _format_version(model.spec, model.stage_two is not None)
    spec = model.spec.__dict__.copy()
    if version < 3:
        for key in _FORMAT_3_KEYS:
            del spec[key]
    if version == 1:
        for key in _FORMAT_2_KEYS:
            del spec[key]
    payload = {
        "format": MODEL_FORMAT,
        "format_version": version,
        "feature_spec": spec,
        "vocabulary_hashes": model.vocabulary.hashes,
        "vocabulary_families": model.vocabulary.families,
        "idf": _float32_exact(model.vocabulary.idf),
        "risk_coef": _float32_exact(model.risk_head.coef),
        "risk_intercept": model.risk_head.intercept,
        "category_codes": codes,
        "category_coef": _category_weights(np.stack([model.category_heads[c].coef for c in codes])) if codes else np.zeros((0, n), np.float16),
        "category_intercepts": [model.category_heads[c].intercept for c in codes],
        "band_thresholds": dict(model.band_thresholds),
        "category_thresholds": dict(model.category_thresholds),
    }
    if model.stage_two is not None:
        payload["stage_two"] = model.stage_two.to_payload()
    return payload


def _model_from_payload(payload: dict, metadata: dict) -> AdModel:
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise ModelFileError("the model file is not an adcheck model; retrain it with `adcheck train`")
    try:
        spec = FeatureSpec(**payload["feature_spec"])
        spec.validate()
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"the model's feature spec is not one this adcheck ({__version__}) reads: {exc}") from exc
    families = np.asarray(payload["vocabulary_families"])
    # the scoring kernel indexes its per-family norms by these values: a family this version does not
    # compute, or body features in a model whose spec has the family off, are a broken file
    if len(families) and (families.max() >= N_FAMILIES or (families.max() == FAMILY_BODY and not spec.body_ngram_max)):
        raise ModelFileError("the model's vocabulary names a feature family its spec does not compute; retrain it with `adcheck train`")
    vocabulary = Vocabulary(payload["vocabulary_hashes"], payload["vocabulary_families"], np.asarray(payload["idf"], dtype=np.float64), spec)
    heads = {
        code: LinearHead(np.asarray(payload["category_coef"][i], dtype=np.float64), float(payload["category_intercepts"][i]))
        for i, code in enumerate(payload["category_codes"])
    }
    # format 4 is exactly the models with a second stage: one without it would score with the risk head
    # alone against thresholds chosen for the trees
    if (payload.get("stage_two") is not None) != (int(payload.get("format_version") or 0) >= 4):
        raise ModelFileError("the model file's second stage does not match its format version; restore the model folder or retrain")
    stage_two = TreeEnsemble.from_payload(payload["stage_two"]) if payload.get("stage_two") is not None else None
    if stage_two is not None and stage_two.inputs != input_names(list(heads)):
        raise ModelFileError("the model's second stage reads other heads than the model has; retrain it with `adcheck train`")
    return AdModel(
        vocabulary=vocabulary,
        risk_head=LinearHead(np.asarray(payload["risk_coef"], dtype=np.float64), float(payload["risk_intercept"])),
        category_heads=heads,
        band_thresholds=dict(payload["band_thresholds"]),
        category_thresholds=dict(payload["category_thresholds"]),
        metadata=metadata,
        stage_two=stage_two,
    )


def installed_versions() -> dict:
    import sklearn

    return {
        "adcheck": __version__,
        "scikit_learn": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def save_model(model: AdModel, out_dir: Path, metadata: dict, *, overwrite: bool = False) -> AdModel:
    """Write a model folder (joblib file, metadata.json, MODEL_CARD.md) atomically.

    The folder appears complete or not at all. Returns the model with its final metadata.
    """
    import joblib

    from adcheck.card import render_model_card

    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise ModelFileError(f"{out_dir} exists and is not empty; choose another --out or pass --overwrite")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    try:
        model_path = staging / MODEL_FILE
        joblib.dump(_model_payload(model), model_path, compress=("zlib", 6))
        digest = file_sha256(model_path)
        versions = installed_versions()
        numpy_major = _version_tuple(np.__version__)[0]
        meta = {
            "schema_version": METADATA_SCHEMA_VERSION,
            "format": MODEL_FORMAT,
            "format_version": _format_version(model.spec, model.stage_two is not None),
            "model_id": f"{metadata.get('name', 'adcheck-model')}-{digest[:12]}",
            "created_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "versions": versions,
            "compatible": {
                "numpy": f">={numpy_major}.0,<{numpy_major + 1}.0",
                "scikit_learn": f">={'.'.join(versions['scikit_learn'].split('.')[:2])},<2",
                "scikit_learn_note": "the model file holds NumPy arrays only; scikit-learn is needed to retrain, not to score",
            },
            "artifact": {"file": MODEL_FILE, "sha256": digest, "bytes": model_path.stat().st_size},
            "feature_count": model.vocabulary.n_features,
            **({"stage_two": {"kind": STAGE_TWO_KIND, "trees": model.stage_two.n_trees,
                              "nodes": len(model.stage_two.leaf), "inputs": list(model.stage_two.inputs)}}
               if model.stage_two is not None else {}),
            "thresholds": {"bands": model.band_thresholds, "categories": model.category_thresholds},
        }
        # the caller describes the model (name, data, hyperparameters, ...); what this function
        # computes (format, hashes, versions) is never taken from it, even from a copied metadata
        meta.update({key: value for key, value in metadata.items() if key not in meta})
        (staging / METADATA_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        (staging / CARD_FILE).write_text(render_model_card(meta), encoding="utf-8")
        if out_dir.exists():
            backup = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            os.replace(out_dir, backup)
            os.replace(staging, out_dir)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    model.metadata = meta
    return model


def read_metadata(model_dir: Path) -> dict:
    """Read and check a model folder's metadata (no unpickling)."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ModelFileError(f"{model_dir}: no such model folder; pass a folder written by `adcheck train`")
    meta_path = model_dir / METADATA_FILE
    if not meta_path.is_file():
        raise ModelFileError(f"{model_dir}: missing {METADATA_FILE}; the folder is incomplete: restore it or retrain")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{meta_path}: unreadable metadata ({exc}); restore the folder or retrain") from None
    if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"{model_dir}: not an adcheck model folder (metadata format is {meta.get('format') if isinstance(meta, dict) else None!r})")
    return meta


def verify_model_dir(model_dir: Path) -> dict:
    """Check metadata, file hash and versions; return the metadata. Never unpickles."""
    model_dir = Path(model_dir)
    meta = read_metadata(model_dir)
    if int(meta.get("format_version", 0)) > MODEL_FORMAT_VERSION:
        raise ModelFileError(
            f"{model_dir}: model format {meta.get('format_version')} is newer than this adcheck "
            f"({__version__}) reads; upgrade adcheck"
        )
    artifact = meta.get("artifact") or {}
    model_path = model_dir / str(artifact.get("file", MODEL_FILE))
    if not model_path.is_file():
        raise ModelFileError(f"{model_dir}: missing {model_path.name}; restore the model folder or retrain")
    digest = file_sha256(model_path)
    if digest != artifact.get("sha256"):
        raise ModelFileError(
            f"{model_path}: sha256 {digest[:12]}... does not match metadata.json ({str(artifact.get('sha256'))[:12]}...): "
            "the file was altered or replaced; restore the original folder or retrain"
        )
    wanted = str((meta.get("compatible") or {}).get("numpy", ""))
    if wanted.startswith(">="):
        low_text, _, high_text = wanted[2:].partition(",<")
        installed = _version_tuple(np.__version__)
        if installed < _version_tuple(low_text) or (high_text and installed >= _version_tuple(high_text)):
            raise ModelFileError(
                f"{model_dir}: the model needs numpy {wanted} but {np.__version__} is installed; "
                f"install numpy{wanted} or retrain the model with this installation"
            )
    return meta


def load_model(model_dir: Path | str | None = None) -> AdModel:
    """Load a model folder after verifying it (default: the promoted model, else the shipped one)."""
    import joblib

    if model_dir is None:
        from adcheck.registry import resolve_default_model_dir

        path = resolve_default_model_dir()  # a model promoted with `adcheck models promote`, else the shipped one
    else:
        path = Path(model_dir)
    meta = verify_model_dir(path)
    try:
        payload = joblib.load(path / str(meta["artifact"]["file"]))
    except Exception as exc:  # a verified file should load; anything else is a broken installation
        raise ModelFileError(f"{path}: the model file could not be read ({exc}); reinstall adcheck or retrain") from None
    return _model_from_payload(payload, meta)
