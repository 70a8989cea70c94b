"""Scoring: the fitted model (plain NumPy arrays) and its batch scoring with explanations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from adcheck.explain import char_contributions, phrases
from adcheck.features import N_FAMILIES, FeatureSpec, Vocabulary, extract_occurrences
from adcheck.results import BAND_MEDIUM, CategoryScore, Evidence, ScoreResult, band_for
from adcheck.stage_two import DECISION_LIMIT, TreeEnsemble, input_names, layout_signals, stage_two_inputs
from adcheck.taxonomy import get_category

DEFAULT_EXPLAIN = 5


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    ez = np.exp(z[~positive])
    out[~positive] = ez / (1.0 + ez)
    return out


@dataclass
class LinearHead:
    """A logistic-regression head over the shared features: weights and intercept."""

    coef: np.ndarray  # float64, n_features
    intercept: float

    def decision(self, matrix) -> np.ndarray:
        return np.asarray(matrix @ self.coef, dtype=np.float64) + self.intercept


@dataclass
class AdModel:
    """A fitted adcheck model: features, the risk head, category heads, an optional second stage and
    thresholds.

    Without a second stage the risk head gives P(misleading | text). With one (`stage_two`, boosted
    trees over every head's decision value and the text's layout: adcheck.stage_two) the trees give
    it, and the risk head's n-grams remain the evidence shown. Each category head gives P(category |
    misleading, text), so a text's probability for a category is risk x head.
    """

    vocabulary: Vocabulary
    risk_head: LinearHead
    category_heads: dict[str, LinearHead]
    band_thresholds: dict[str, float]
    category_thresholds: dict[str, float]
    metadata: dict = field(default_factory=dict)
    stage_two: TreeEnsemble | None = None

    def __post_init__(self) -> None:
        if self.stage_two is not None and self.stage_two.inputs != input_names(list(self.category_heads)):
            raise ValueError("the second stage's inputs do not match the model's heads")

    @property
    def spec(self) -> FeatureSpec:
        return self.vocabulary.spec

    @property
    def model_id(self) -> str:
        return str(self.metadata.get("model_id", "unsaved"))

    @property
    def flag_threshold(self) -> float:
        return self.band_thresholds[BAND_MEDIUM]

    use_compiled: bool = True  # use the C kernel when it was built (same results, faster)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_compiled_scorer", None)  # rebuilt where the model is used (e.g. on a Dask worker)
        return state

    def _compiled(self):
        from adcheck import fastpath

        if not (self.use_compiled and fastpath.available()):
            return None
        scorer = self.__dict__.get("_compiled_scorer")
        if scorer is None:
            weights = np.vstack([self.risk_head.coef, *[h.coef for h in self.category_heads.values()]])
            scorer = fastpath.CompiledScorer(self.vocabulary, weights)
            self.__dict__["_compiled_scorer"] = scorer
        # a model whose parameters are not float32-exact (made by hand) keeps the NumPy path
        return scorer if scorer.exact else None

    def _decisions(self, texts: list[str], explain: int):
        """Risk and category decision values (with intercepts; the risk's from the second stage when
        the model has one), and with `explain` > 0 the strongest evidence phrases of each text as
        (start, end, value) lists."""
        risk_z, category_z, phrase_spans = self._head_decisions(texts, explain)
        if self.stage_two is not None and len(texts):
            risk_z = self.stage_two.raw(stage_two_inputs(risk_z, list(category_z.values()), texts), self.use_compiled)
        return risk_z, category_z, phrase_spans

    def _head_decisions(self, texts: list[str], explain: int):
        """The linear heads' decision values and the risk head's evidence phrases."""
        compiled = self._compiled()
        if compiled is not None:
            decision, phrase_spans = compiled.decisions(texts, explain)
            risk_z = decision[:, 0] + self.risk_head.intercept
            category_z = {code: decision[:, i + 1] + head.intercept for i, (code, head) in enumerate(self.category_heads.items())}
            return risk_z, category_z, phrase_spans
        occurrences = extract_occurrences(texts, self.spec)
        columns = self.vocabulary.columns(occurrences)
        matrix, block_norms = self.vocabulary.transform_with_norms(occurrences, columns)
        risk_z = self.risk_head.decision(matrix)
        category_z = {code: head.decision(matrix) for code, head in self.category_heads.items()}
        phrase_spans = None
        if explain > 0 and len(texts):
            chars, offsets = self._char_contributions(texts, occurrences, columns, block_norms)
            phrase_spans = [
                [(e.start, e.end, e.contribution) for e in phrases(text, chars[offsets[i] : offsets[i + 1]], explain)]
                for i, text in enumerate(texts)
            ]
        return risk_z, category_z, phrase_spans

    def predict_proba(self, texts: Sequence[str], batch_size: int = 4096) -> np.ndarray:
        """Risk probability of each text (the misleading class)."""
        items = list(texts)
        compiled = self._compiled()
        if compiled is not None and self.stage_two is None:  # the second stage needs every head
            parts = [
                _sigmoid(compiled.decisions(items[i : i + batch_size], 0, risk_only=True)[0][:, 0] + self.risk_head.intercept)
                for i in range(0, len(items), batch_size)
            ]
            return np.concatenate(parts) if parts else np.zeros(0)
        parts = [_sigmoid(self._decisions(items[i : i + batch_size], 0)[0]) for i in range(0, len(items), batch_size)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def category_proba(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        risk_z, category_z, _ = self._decisions(list(texts), 0)
        risk = _sigmoid(risk_z)
        return {code: risk * _sigmoid(z) for code, z in category_z.items()}

    def score(
        self,
        texts: Iterable[str],
        *,
        explain: int = DEFAULT_EXPLAIN,
        threshold: float | None = None,
        batch_size: int = 2048,
        prices: bool = False,
    ) -> list[ScoreResult]:
        """Score texts; returns one `ScoreResult` per text, in order.

        With `prices`, each result also carries the price claims found in its text and the
        arithmetic check of stated discounts (`adcheck.price_claims`).
        """
        items = [t if isinstance(t, str) else str(t) for t in texts]
        results: list[ScoreResult] = []
        for begin in range(0, len(items), batch_size):
            results.extend(self._score_batch(items[begin : begin + batch_size], explain, threshold))
        if prices:
            import dataclasses

            from adcheck.price_claims import check_consistency, extract_price_claims

            for i, result in enumerate(results):
                claims = extract_price_claims(result.text)
                if claims:
                    results[i] = dataclasses.replace(
                        result,
                        price_claims=[c.to_dict() for c in claims],
                        price_findings=[dataclasses.asdict(f) for f in check_consistency(claims)],
                    )
        return results

    def score_rows(self, texts: list[str], *, explain: int = 3, threshold: float | None = None) -> list[tuple]:
        """Scores as flat rows for batch outputs, without building result objects:
        (risk, band, flagged, "code:prob;...", "phrase [start:end] +contribution | ...") per text.
        Holds the same values as `score` (tests compare them)."""
        flag_at = self.flag_threshold if threshold is None else float(threshold)
        risk_z, category_z, phrase_spans = self._decisions(texts, max(explain, 0))
        risk = _sigmoid(risk_z)
        high, medium = self.band_thresholds["high"], self.band_thresholds["medium"]
        bands = np.where(risk >= high, "high", np.where(risk >= medium, "medium", "low")).tolist()
        codes = list(category_z)
        category_text = [""] * len(texts)
        if codes:
            probs = np.column_stack([risk * _sigmoid(category_z[c]) for c in codes])
            cutoffs = np.asarray([self.category_thresholds.get(c, 0.5) for c in codes])
            rows, cols = np.nonzero(probs >= cutoffs)
            grouped: dict[int, list[tuple[float, str]]] = {}
            for i, j in zip(rows.tolist(), cols.tolist()):
                grouped.setdefault(i, []).append((round(float(probs[i, j]), 6), codes[j]))
            for i, items in grouped.items():
                items.sort(key=lambda item: -item[0])
                category_text[i] = ";".join(f"{code}:{p:.4f}" for p, code in items)
        rounded = np.round(risk, 6).tolist()
        flagged = (risk >= flag_at).tolist()
        if phrase_spans is None:
            return list(zip(rounded, bands, flagged, category_text, [""] * len(texts)))
        if hasattr(phrase_spans, "format"):  # the compiled path's flat phrase lists
            evidence = phrase_spans.format(texts)
        else:
            evidence = [
                " | ".join([f"{text[a:b]} [{a}:{b}] {round(v, 6):+.3f}" for a, b, v in spans]) if spans else ""
                for text, spans in zip(texts, phrase_spans)
            ]
        return list(zip(rounded, bands, flagged, category_text, evidence))

    def _score_batch(self, texts: list[str], explain: int, threshold: float | None) -> list[ScoreResult]:
        flag_at = self.flag_threshold if threshold is None else float(threshold)
        risk_z, category_z, phrase_spans = self._decisions(texts, max(explain, 0))
        risk = _sigmoid(risk_z)
        # category heads model P(category | misleading, text); the category's probability is risk x that
        codes = list(category_z)
        if codes:
            probs = np.column_stack([risk * _sigmoid(category_z[c]) for c in codes])
            cutoffs = np.asarray([self.category_thresholds.get(c, 0.5) for c in codes])
            hits = probs >= cutoffs
            any_hit = hits.any(axis=1).tolist()
        results = []
        for i, text in enumerate(texts):
            value = float(risk[i])
            flagged_categories = []
            if codes and any_hit[i]:
                for j in np.flatnonzero(hits[i]).tolist():
                    category = get_category(codes[j])
                    flagged_categories.append(
                        CategoryScore(category.code, category.name_en, category.name_ko, round(float(probs[i, j]), 6), float(cutoffs[j]))
                    )
                flagged_categories.sort(key=lambda c: -c.probability)
            evidence = []
            if phrase_spans is not None:
                evidence = [Evidence(text[s:e], s, e, round(v, 6)) for s, e, v in phrase_spans[i]]
            results.append(
                ScoreResult(
                    text=text,
                    risk=round(value, 6),
                    band=band_for(value, self.band_thresholds),
                    flagged=value >= flag_at,
                    threshold=flag_at,
                    band_thresholds=dict(self.band_thresholds),
                    categories=flagged_categories,
                    evidence=evidence,
                    model_id=self.model_id,
                )
            )
        return results

    def _char_contributions(self, texts, occurrences, columns, block_norms):
        """Contribution of each occurrence = its feature's value x weight, shared by its repeats."""
        known = columns >= 0
        doc = occurrences.doc[known]
        col = columns[known]
        # how many times each (doc, column) occurs, to share the feature's contribution
        key = doc * self.vocabulary.n_features + col
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        vocabulary = self.vocabulary
        families = vocabulary.families[col].astype(np.int64)
        count = counts[inverse].astype(np.float64)
        values = (1.0 + np.log(count)) * vocabulary.idf[col] / block_norms[doc * N_FAMILIES + families]
        weight = values * self.risk_head.coef[col] / count
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        return char_contributions(doc, occurrences.start[known], occurrences.end[known], weight, lengths)


def reference_risk(model: AdModel, text: str) -> float:
    """The risk of one text computed the plain way (dictionaries and loops); tests hold the
    batch path equal to it."""
    import math
    from collections import Counter

    from adcheck.features import reference_ngrams

    vocabulary = model.vocabulary
    lookup = getattr(vocabulary, "_reference_lookup", None)
    if lookup is None:
        lookup = {h: i for i, h in enumerate(vocabulary.hashes.tolist())}
        vocabulary._reference_lookup = lookup
    counts = Counter(lookup[g.hash] for g in reference_ngrams(text, model.spec) if g.hash in lookup)
    weights = {col: (1.0 + math.log(n)) * float(vocabulary.idf[col]) for col, n in counts.items()}
    norms = [0.0] * N_FAMILIES
    for col, w in weights.items():
        norms[int(vocabulary.families[col])] += w * w
    norms = [math.sqrt(v) or 1.0 for v in norms]

    def decision(head: LinearHead) -> float:
        return head.intercept + sum(w / norms[int(vocabulary.families[col])] * float(head.coef[col]) for col, w in weights.items())

    z = decision(model.risk_head)
    if model.stage_two is not None:
        heads = [z] + [decision(head) for head in model.category_heads.values()]
        inputs = [min(max(value, -DECISION_LIMIT), DECISION_LIMIT) for value in heads] + layout_signals([text])[0].tolist()
        z = model.stage_two.raw_one(inputs)
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
