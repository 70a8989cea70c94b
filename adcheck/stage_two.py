"""The second stage: gradient-boosted trees over the linear heads' scores and a few layout signals.

The linear risk head reads each n-gram on its own. The second stage reads every head's score (the
risk head's and each category head's) together with how the text is laid out (a footnote mark, a bracket, line breaks, length, digits, a
currency sign beside a number, the share of Hangul among its letters), so it can learn, say, that a
strong price score means less in a text whose footnote states the terms. It is fitted by
scikit-learn's HistGradientBoostingClassifier on out-of-fold head scores (a head never scores a text
it was fitted on) and stored as plain arrays: scoring needs NumPy only, like the rest of the model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from adcheck.errors import ModelFileError, TrainingError

KIND = "gradient-boosted-trees"
LAYOUT_SIGNALS = (
    "footnote mark", "bracket", "line breaks", "log length", "digit share", "currency beside a number", "hangul share",
)
# a head's decision value enters the trees clipped to the logit of 1e-12 .. 1 - 1e-12: training reads
# the heads' out-of-fold probabilities back as logits, and beyond that a float64 probability loses them
DECISION_LIMIT = 27.631021
TREE_SETTINGS = {"max_iter": 300, "learning_rate": 0.05, "max_leaf_nodes": 31, "min_samples_leaf": 20}

_CURRENCY = re.compile(r"[$₩€£¥]\s*[0-9０-９]|[0-9０-９]\s*(?:원|[$₩€£¥])")
# each character's kind for counting: h Hangul (syllables, jamo, compatibility jamo), l Latin letter
# (ASCII or fullwidth), d digit (ASCII or fullwidth); one str.translate per text, then str.count
_KINDS = {code: kind for low, high, kind in (
    (0xAC00, 0xD7A3, "h"), (0x1100, 0x11FF, "h"), (0x3130, 0x318F, "h"), (0x41, 0x5A, "l"), (0x61, 0x7A, "l"),
    (0xFF21, 0xFF3A, "l"), (0xFF41, 0xFF5A, "l"), (0x30, 0x39, "d"), (0xFF10, 0xFF19, "d"),
) for code in range(low, high + 1)}


def layout_signals(texts: Sequence[str]) -> np.ndarray:
    """The layout signals of each text (rows x len(LAYOUT_SIGNALS)), from the text alone."""
    n = len(texts)
    if not n:
        return np.zeros((0, len(LAYOUT_SIGNALS)))
    counts = np.asarray([
        (kinds.count("h"), kinds.count("l"), kinds.count("d"), text.count("\n"), len(text),
         "*" in text or "※" in text, "(" in text or "（" in text or "[" in text or "【" in text,
         _CURRENCY.search(text) is not None)
        for text, kinds in ((text, text.translate(_KINDS)) for text in texts)
    ], dtype=np.float64)
    hangul, latin, digits, breaks, length, footnote, bracket, currency = counts.T
    letters = hangul + latin
    return np.column_stack([
        footnote, bracket, breaks, np.log1p(length), np.divide(digits, length, out=np.zeros(n), where=length > 0),
        currency, np.divide(hangul, letters, out=np.zeros(n), where=letters > 0),
    ])


def stage_two_inputs(risk_z: np.ndarray, category_z: Sequence[np.ndarray], texts: Sequence[str]) -> np.ndarray:
    """The trees' inputs: the risk head's and each category head's decision value (with intercept),
    clipped to +-DECISION_LIMIT, then the layout signals."""
    heads = np.column_stack([risk_z, *category_z]) if len(category_z) else np.asarray(risk_z, dtype=np.float64)[:, None]
    return np.column_stack([np.clip(heads, -DECISION_LIMIT, DECISION_LIMIT), layout_signals(texts)])


def logits(probabilities: np.ndarray) -> np.ndarray:
    """Decision values back from out-of-fold probabilities, clipped like `stage_two_inputs`."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1 - 1e-12)
    return np.clip(np.log(p) - np.log1p(-p), -DECISION_LIMIT, DECISION_LIMIT)


@dataclass
class TreeEnsemble:
    """Boosted regression trees on the log-odds scale, flattened into arrays.

    Node i of the flat arrays splits on input `feature[i]` at `threshold[i]` (a value at or below it
    goes to `left[i]`, above it to `right[i]`, both absolute node numbers) or, where `leaf[i]`, adds
    `value[i]`. Tree t starts at node `roots[t]`. The log-odds are `baseline` plus one leaf value per
    tree, added in tree order."""

    inputs: list[str]
    baseline: float
    roots: np.ndarray  # int32, trees
    feature: np.ndarray  # int32, nodes
    threshold: np.ndarray  # float64, nodes
    left: np.ndarray  # int32, nodes
    right: np.ndarray  # int32, nodes
    leaf: np.ndarray  # bool, nodes
    value: np.ndarray  # float64, nodes

    def __post_init__(self) -> None:
        self.validate(ValueError)

    @classmethod
    def from_sklearn(cls, model, inputs: Sequence[str]) -> TreeEnsemble:
        """From a fitted binary HistGradientBoostingClassifier on numeric inputs without missing values."""
        parts = []
        offset = 0
        roots = []
        for (predictor,) in model._predictors:
            nodes = predictor.nodes
            if nodes["is_categorical"].any():
                raise TrainingError("the second stage's trees split on a categorical input, which adcheck does not store")
            inner = ~nodes["is_leaf"].astype(bool)
            roots.append(offset)
            parts.append((nodes["feature_idx"].astype(np.int32), np.where(inner, nodes["num_threshold"], 0.0),
                          np.where(inner, nodes["left"] + offset, 0).astype(np.int32),
                          np.where(inner, nodes["right"] + offset, 0).astype(np.int32),
                          ~inner, np.where(inner, 0.0, nodes["value"])))
            offset += len(nodes)
        feature, threshold, left, right, leaf, value = (np.concatenate(column) for column in zip(*parts))
        return cls(list(inputs), float(np.asarray(model._baseline_prediction).ravel()[0]), np.asarray(roots, dtype=np.int32),
                   np.where(leaf, 0, feature).astype(np.int32), threshold.astype(np.float64), left, right, leaf.astype(bool),
                   value.astype(np.float64))

    @property
    def n_trees(self) -> int:
        return len(self.roots)

    def validate(self, error: type[Exception] = ModelFileError) -> None:
        """Check that every tree is well formed (children after their parent, inside the arrays, each
        path ending in a leaf) so that scoring cannot loop or read out of bounds."""
        arrays = (self.roots, self.feature, self.threshold, self.left, self.right, self.leaf, self.value)
        kinds = (np.int32, np.int32, np.float64, np.int32, np.int32, np.bool_, np.float64)
        if any(not isinstance(a, np.ndarray) or a.ndim != 1 or a.dtype != kind for a, kind in zip(arrays, kinds)):
            raise error("the second stage's tree arrays are not flat arrays of the expected types")
        n = len(self.leaf)
        if any(len(a) != n for a in arrays[1:]) or not len(self.roots) or not n:
            raise error("the second stage's tree arrays do not fit together")
        if not (np.isfinite(self.threshold).all() and np.isfinite(self.value).all() and np.isfinite(self.baseline)):
            raise error("the second stage holds a value that is not a finite number")
        inner = ~self.leaf
        nodes = np.arange(n)
        if ((self.feature < 0) | (self.feature >= len(self.inputs))).any():
            raise error("the second stage splits on an input it does not name")
        if ((self.roots < 0) | (self.roots >= n)).any():
            raise error("a tree of the second stage starts outside its arrays")
        for child in (self.left, self.right):
            if (inner & ((child <= nodes) | (child >= n))).any():
                raise error("a node of the second stage points outside its tree")

    def raw(self, inputs: np.ndarray, use_compiled: bool = True) -> np.ndarray:
        """Log-odds for each row of `inputs` (rows x len(self.inputs)): by the C kernel when it was
        built, else by NumPy, one tree at a time over all rows (the same values: tests hold them equal)."""
        inputs = np.ascontiguousarray(inputs, dtype=np.float64)
        if inputs.ndim != 2 or inputs.shape[1] != len(self.inputs):
            raise ValueError(f"the second stage takes {len(self.inputs)} inputs per row, not shape {inputs.shape}")
        if not np.isfinite(inputs).all():  # the trees were fitted without missing values: no branch is right for them
            raise ValueError("the second stage's inputs hold a value that is not a finite number")
        from adcheck import fastpath

        if use_compiled and fastpath.available() and len(inputs):
            out = np.empty(len(inputs), dtype=np.float64)
            fastpath._fastscore.tree_raw(inputs, inputs.shape[1], self.roots, self.feature, self.threshold, self.left, self.right,
                                         self.leaf.view(np.uint8), self.value, self.baseline, out)
            return out
        rows = np.arange(len(inputs))
        total = np.full(len(inputs), self.baseline)
        for root in self.roots.tolist():
            node = np.full(len(inputs), root, dtype=np.int64)
            inner = ~self.leaf[node]
            while inner.any():
                at = node[inner]
                goes_left = inputs[rows[inner], self.feature[at]] <= self.threshold[at]
                node[inner] = np.where(goes_left, self.left[at], self.right[at])
                inner = ~self.leaf[node]
            total += self.value[node]
        return total

    def raw_one(self, inputs: Sequence[float]) -> float:
        """The same for one row, node by node (tests hold `raw` equal to it)."""
        total = self.baseline
        for root in self.roots.tolist():
            node = root
            while not self.leaf[node]:
                node = int(self.left[node] if float(inputs[int(self.feature[node])]) <= float(self.threshold[node]) else self.right[node])
            total += float(self.value[node])
        return total

    def to_payload(self) -> dict:
        return {
            "kind": KIND, "inputs": list(self.inputs), "baseline": self.baseline, "roots": self.roots, "feature": self.feature,
            "threshold": self.threshold, "left": self.left, "right": self.right, "leaf": self.leaf, "value": self.value,
        }

    @classmethod
    def from_payload(cls, payload: dict) -> TreeEnsemble:
        if not isinstance(payload, dict) or payload.get("kind") != KIND:
            raise ModelFileError("the model's second stage is not one this adcheck reads; upgrade adcheck or retrain")
        try:
            arrays = [_exact(payload[key], kind) for key, kind in (
                ("roots", np.int32), ("feature", np.int32), ("threshold", np.float64), ("left", np.int32), ("right", np.int32),
                ("leaf", np.bool_), ("value", np.float64))]
            return cls([str(name) for name in payload["inputs"]], float(payload["baseline"]), *arrays)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ModelFileError(f"the model's second stage is broken ({exc}); restore the model folder or retrain it") from None


def _exact(values, kind) -> np.ndarray:
    """A stored array as `kind`, refused when it is not flat or the conversion would change a value."""
    array = np.asarray(values)
    converted = array.astype(kind)
    if array.ndim != 1 or not np.array_equal(converted, array, equal_nan=converted.dtype.kind == "f"):
        raise ValueError(f"an array of shape {array.shape} and type {array.dtype} where flat {np.dtype(kind).name} values belong")
    return converted


def input_names(category_codes: Sequence[str]) -> list[str]:
    return ["risk head", *[f"{code} head" for code in category_codes], *LAYOUT_SIGNALS]


def fit_trees(inputs: np.ndarray, y: np.ndarray, seed: int):
    """The fitted scikit-learn trees. A fixed number of rounds: the built-in early stopping holds out
    rows at random, which would part near-duplicate twins. One OpenMP thread: the histogram sums are
    then the same on every machine, so a model rebuilds byte for byte whatever its core count."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        return HistGradientBoostingClassifier(**TREE_SETTINGS, early_stopping=False, random_state=seed).fit(inputs, y.astype(int))


def fit_stage_two(inputs: np.ndarray, y: np.ndarray, seed: int, category_codes: Sequence[str]) -> TreeEnsemble:
    """Fit the second stage on out-of-fold head inputs (`stage_two_inputs` of them) and flatten it."""
    return TreeEnsemble.from_sklearn(fit_trees(inputs, y, seed), input_names(category_codes))
