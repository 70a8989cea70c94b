"""Checkpoints of a training run's grouped-CV folds and per-source hold-out, so that a run stopped
part-way resumes.

Holding out each source folder in turn is most of a training run on a large corpus (each source is
one more fit on nearly all rows: about two of 2 h 13 min for 150 folders on two cores; holding them out
in sets, `source_holdout_sets`, needs far fewer fits).
With a checkpoint folder every finished source's predictions are written there at once, and a later
run on the same rows with the same settings and training code reads them back instead of fitting
again. The predictions are stored exactly as computed, so the figures are the same with or without it.

A source's file (or a set's, when the sources leave in sets) is named by a key over everything that
decides its predictions: every row's text, label, group, source and categories, the chosen features
and C, the seed, the NB smoothing, the category weights and the number of sets, and the versions of
the training code, NumPy, SciPy and scikit-learn. Anything
else (a corpus edit, a new C, another release) gives another key, so a stale file is never read.
A file that cannot be read is reported and computed again.

The grouped cross-validation's folds (the risk head's out-of-fold values for every C, then the
category heads' for the chosen C) are kept the same way under `cv/` in the checkpoint folder, keyed
by the rows, each row's fold, the features, the C values and the rest of the settings above, so a run
stopped after the folds goes straight on to the hold-out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from adcheck.atomic import atomic_output
from adcheck.errors import TrainingError

FORMAT = "adcheck-holdout-checkpoint-1"
# the modules whose code decides a held-out source's predictions (model.py: the heads' decision)
_CODE = ("training.py", "features.py", "normalize.py", "model.py", "checkpoint.py")

Predictions = tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]


def _code_digest() -> str:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in _CODE:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    return digest.hexdigest()


def holdout_key(texts, labels: np.ndarray, groups: np.ndarray, units: np.ndarray, categories, settings: dict) -> str:
    """The key of one run's hold-out: a SHA-256 over the rows and everything that decides a fit."""
    import scipy
    import sklearn

    digest = hashlib.sha256()
    header = {
        "format": FORMAT, "code": _code_digest(), "numpy": np.__version__, "scipy": scipy.__version__,
        "sklearn": sklearn.__version__, "settings": settings,
    }
    digest.update(json.dumps(header, sort_keys=True, default=str).encode())
    for i, text in enumerate(texts):
        cats = ";".join(categories[i]) if categories is not None else "-"
        row = f"\x1e{text}\x1f{int(labels[i])}\x1f{groups[i]}\x1f{units[i]}\x1f{cats}"
        digest.update(row.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def cv_settings_of(stage: str, spec, c_values, config) -> dict:
    """The settings that decide one stage of the grouped-CV folds (`risk`: every C; `categories`: the
    chosen C)."""
    return {
        "stage": stage, "features": asdict(spec), "C": list(c_values), "seed": config.seed, "nb_alpha": config.nb_alpha,
        "category_weights": config.category_weights, "folds": config.n_folds,
    }


def settings_of(spec, c_value: float, config) -> dict:
    """The training settings that decide a held-out source's predictions."""
    return {
        "features": asdict(spec), "C": c_value, "seed": config.seed, "nb_alpha": config.nb_alpha,
        "category_weights": config.category_weights, "unit": config.source_holdout,
        "sets": config.source_holdout_sets,
    }


def other_runs(root: Path | str, used) -> tuple[int, int]:
    """The key folders under a checkpoint folder (`root/<key>/` and `root/cv/<key>/`) that this run did
    not use, as (count, bytes): kept for a run that may come back, never deleted by adcheck."""
    root = Path(root)
    used = {Path(folder).resolve() for folder in used}
    count = size = 0
    for parent in (root, root / "cv"):
        if not parent.is_dir():
            continue
        for folder in parent.iterdir():
            if folder.is_dir() and folder.name != "cv" and folder.resolve() not in used:
                count += 1
                size += sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    return count, size


class HoldoutCheckpoint:
    """The finished held-out sources of one run, one .npz file each under `folder/<key>/` (and the
    finished CV folds, under `folder/cv/<key>/`)."""

    def __init__(self, folder: Path | str, key: str, say: Callable[[str], None] | None = None, under: str = "") -> None:
        self.root = Path(folder)
        self.key = key
        self.say = say or (lambda message: None)
        if self.root.exists() and not self.root.is_dir():
            raise TrainingError(f"checkpoint {self.root} is not a folder")
        self.folder = (self.root / under if under else self.root) / key[:24]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TrainingError(f"cannot create the checkpoint folder {self.folder}: {exc.strerror or exc}") from None

    def path(self, source: str) -> Path:
        return self.folder / (hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".npz")

    def load(self, source: str, test_rows: np.ndarray) -> Predictions | None:
        """The stored predictions for `source` (whose rows are `test_rows`), or None when there are
        none or they cannot be used."""
        stored = self.load_named(source, test_rows, "holding it out again")
        if stored is None:
            return None
        risk, by_code = stored
        return test_rows, risk, by_code

    def load_named(self, source: str, test_rows: np.ndarray, again: str = "computing it again") -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
        """The stored main array and named arrays for `source` (a held-out source, or a CV fold),
        or None when there are none or they cannot be used (reported, ending with `again`)."""
        path = self.path(source)
        if not path.exists():
            return None
        try:
            with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as stored:
                if str(stored["key"]) != self.key or str(stored["source"]) != source:
                    raise ValueError("it belongs to another run")
                if not np.array_equal(stored["test_rows"], test_rows):
                    raise ValueError("it holds other rows")
                risk = stored["risk"]
                codes = [str(code) for code in stored["codes"]]
                by_code = {code: stored[f"code_{i}"] for i, code in enumerate(codes)}
            if len(risk) != len(test_rows) or any(len(v) != len(test_rows) for v in by_code.values()):
                raise ValueError("its arrays differ in length")
        except Exception as exc:  # a damaged or foreign file is recomputed, never trusted
            self.say(f"checkpoint file {path} for {source} cannot be used ({exc}); {again}")
            return None
        return risk, by_code

    def save(self, source: str, predictions: Predictions) -> None:
        test_rows, risk, by_code = predictions
        codes = sorted(by_code)
        arrays = {
            "key": np.asarray(self.key), "source": np.asarray(source), "test_rows": np.asarray(test_rows, dtype=np.int64),
            "risk": np.asarray(risk), "codes": np.asarray(codes, dtype=str),
            **{f"code_{i}": np.asarray(by_code[code]) for i, code in enumerate(codes)},
        }
        try:
            with atomic_output(self.path(source)) as temporary:
                with open(temporary, "wb") as handle:
                    np.savez(handle, **arrays)
        except OSError as exc:
            raise TrainingError(f"cannot write the checkpoint file {self.path(source)}: {exc.strerror or exc}") from None
