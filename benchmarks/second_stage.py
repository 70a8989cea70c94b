"""Does a second stage over the linear heads' scores read the corpus better than the risk head alone?

The linear part of the model scores a text with one risk head and ten category heads. This
benchmark asks whether a small model over those eleven scores and a few layout signals of the text
(adcheck.stage_two.layout_signals: a "*" or ※ footnote mark, a bracket, the number of line breaks,
the length, the share of digits, a currency sign beside a number, the share of Hangul among the
letters) ranks misleading copy better than the risk score alone. Stage one is the recipe's own
grouped cross-validation (training/default.toml, the shipped C): each text's eleven scores come from
heads that never saw its fold, exactly as `adcheck train` computes them. Stage two is then
cross-validated on those out-of-fold scores with another grouped split (groups never split), so no
stage-two model is measured on a text it was fitted on:
(a) the risk score alone (the risk head's out-of-fold scores);
(b) a logistic regression on all the signals (a linear second stage);
(c) gradient-boosted trees (adcheck.stage_two.fit_trees: scikit-learn's HistGradientBoostingClassifier,
    300 rounds) on the eleven scores;
(d) the same trees on the eleven scores and the layout signals: adcheck's second stage
    (`stage_two = "trees"` in a training config; `adcheck train` then reports it on its own folds and
    across sources in the model card; training/default.toml says why the shipped model leaves it off);
(e) the same trees with two more stage-one heads, the recipe's risk head fitted on the headline alone
    (the text up to its first line break) and on the rest of the text alone: not shipped, as it
    needs two more vocabularies in the model and twice the feature work at scoring.

    python benchmarks/second_stage.py --jobs 2 [--cache stage_one.npz]

Writes its section of benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
from readme_section import write_section  # benchmarks/ is the script's folder, so on sys.path
from shipped_recipe import best_f1, recipe_folds
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold

from adcheck.atomic import atomic_output
from adcheck.evaluation import threshold_for_precision
from adcheck.features import Vocabulary, extract_occurrences
from adcheck.stage_two import fit_trees, layout_signals, logits
from adcheck.training import _category_predictions, _fit_head, _in_order, _sigmoid

LANGUAGES = ("en", "ko", "mixed")


def _stage_one(recipe, jobs: int) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities on the recipe's grouped folds: the risk and category heads (rows x 11),
    and risk heads fitted on the headline alone and on the rest of the text alone (rows x 2)."""
    config, data, y, spec = recipe.config, recipe.data, recipe.y, recipe.spec
    codes = sorted(recipe.targets)
    occurrences = extract_occurrences(data.texts, spec)
    headlines = extract_occurrences([text.split("\n", 1)[0] for text in data.texts], spec)
    rests = extract_occurrences([text.split("\n", 1)[1] if "\n" in text else "" for text in data.texts], spec)

    def risk_head(occurrences_of, train_rows, test_rows) -> np.ndarray:
        matrix = Vocabulary.fit(occurrences_of, spec, rows=train_rows).transform(occurrences_of)
        return _sigmoid(_fit_head(matrix[train_rows], y[train_rows], recipe.c_value, config.seed, config.nb_alpha)
                        .decision(matrix[test_rows]))

    def fold(item):
        train_rows, test_rows = item
        matrix = Vocabulary.fit(occurrences, spec, rows=train_rows).transform(occurrences)
        risk = _sigmoid(_fit_head(matrix[train_rows], y[train_rows], recipe.c_value, config.seed, config.nb_alpha)
                        .decision(matrix[test_rows]))
        heads = _category_predictions(matrix, train_rows[y[train_rows]], test_rows, recipe.targets, recipe.c_value, config)
        parts = [risk_head(headlines, train_rows, test_rows), risk_head(rests, train_rows, test_rows)]
        return test_rows, np.column_stack([risk] + [heads.get(code, np.zeros(len(test_rows))) for code in codes]), np.column_stack(parts)

    scores = np.zeros((len(y), 1 + len(codes)))
    parts = np.zeros((len(y), 2))
    for number, (test_rows, values, part_values) in enumerate(_in_order(fold, list(recipe.folds), jobs, processes=True)):
        scores[test_rows] = values
        parts[test_rows] = part_values
        print(f"stage one: fold {number + 1}/{len(recipe.folds)} done", flush=True)
    return scores, parts


def _cache_key(recipe) -> str:
    """A digest of everything stage one depends on: a cache made for other rows, labels, categories,
    groups, folds or settings is not read back."""
    digest = hashlib.sha256(json.dumps({"spec": asdict(recipe.spec), "C": recipe.c_value, "seed": recipe.config.seed,
                                        "nb_alpha": recipe.config.nb_alpha, "weights": recipe.config.category_weights},
                                       sort_keys=True, default=str).encode("utf-8"))
    for text in recipe.data.texts:
        digest.update(text.encode("utf-8") + b"\0")
    for array in (recipe.y, np.asarray(recipe.data.groups, dtype=str), *[recipe.targets[code] for code in sorted(recipe.targets)],
                  *[test_rows for _, test_rows in recipe.folds]):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="stage-one folds computed side by side (forked processes)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="an .npz file to keep the stage-one scores in and read them back from on a later run")
    args = parser.parse_args()

    recipe = recipe_folds()
    y, data = recipe.y, recipe.data
    languages = np.asarray(data.languages)
    scores = parts = None
    key = _cache_key(recipe)
    if args.cache is not None and args.cache.exists():
        stored = np.load(args.cache)
        if {"scores", "parts", "key"} <= set(stored.files) and str(stored["key"]) == key:
            scores, parts = stored["scores"], stored["parts"]
    if scores is None or parts is None:
        started = time.perf_counter()
        scores, parts = _stage_one(recipe, args.jobs)
        print(f"stage one took {time.perf_counter() - started:.0f} s", flush=True)
        if args.cache is not None:
            with atomic_output(args.cache) as temporary, open(temporary, "wb") as handle:  # a file object: no suffix added
                np.savez(handle, scores=scores, parts=parts, key=np.array(key))

    heads = logits(scores)
    both = np.column_stack([heads, layout_signals(data.texts)])
    split = StratifiedGroupKFold(n_splits=recipe.config.n_folds, shuffle=True, random_state=recipe.config.seed + 1)
    stage_two_folds = list(split.split(both, y.astype(int), data.groups))

    class Trees:
        """adcheck's second-stage trees (adcheck.stage_two.fit_trees: fixed rounds, one thread)."""

        def fit(self, features, target):
            self.model = fit_trees(features, target, recipe.config.seed)
            return self

        def predict_proba(self, features):
            return self.model.predict_proba(features)

    variants = [
        ("logistic regression, scores and layout", lambda: LogisticRegression(C=1.0, max_iter=2000), both),
        ("trees, the eleven scores", Trees, heads),
        ("trees, scores and layout (`stage_two = \"trees\"`)", Trees, both),
        ("trees, scores, layout, headline and rest heads", Trees, np.column_stack([both, logits(parts)])),
    ]
    results = [(f"risk head alone (shipped recipe, C {recipe.c_value:g})", scores[:, 0])]
    for name, make, features in variants:
        predicted = np.zeros(len(y))
        for train_rows, test_rows in stage_two_folds:
            predicted[test_rows] = make().fit(features[train_rows], y[train_rows]).predict_proba(features[test_rows])[:, 1]
        results.append((name, predicted))

    def cell(values: np.ndarray, rows: np.ndarray) -> str:
        return f"{roc_auc_score(y[rows], values[rows]):.4f} / {best_f1(y[rows], values[rows]):.4f}"

    groups = [("all", np.ones(len(y), dtype=bool))] + [(language, languages == language) for language in LANGUAGES]
    # honest copy with a footnote: the guideline lets the fact below the line decide (D20, D46), so a
    # footnote mark alone must not make lawful copy riskier; each column flags at its own medium band
    footnoted = np.asarray([("*" in text or "※" in text) for text in data.texts])
    acceptable = ~y.astype(bool)

    def flagged(values: np.ndarray) -> str:
        medium = threshold_for_precision(y.astype(bool), values, recipe.config.medium_precision)
        return (f"{(values[acceptable & footnoted] >= medium).mean():.1%} / "
                f"{(values[acceptable & ~footnoted] >= medium).mean():.1%}")

    lines = [
        (f"The corpus: {len(y)} texts ({int(y.sum())} misleading); stage one on the recipe's grouped {recipe.config.n_folds}-fold CV, "
         f"stage two on another grouped split of the out-of-fold scores. Each cell: ROC-AUC / best F1 "
         f"(at the threshold best for that column, so a language's F1 can differ from the model card's, which uses one threshold)."),
        "",
        "| stage two | " + " | ".join(name for name, _ in groups) + " | acceptable flagged: footnoted / not |",
        "|---|" + "---|" * (len(groups) + 1),
        *[f"| {name} | " + " | ".join(cell(values, rows) for _, rows in groups) + f" | {flagged(values)} |" for name, values in results],
        "",
        (f"Last column: the share of acceptable texts flagged at the medium band (precision {recipe.config.medium_precision:g}, "
         f"chosen on each column's own values), among the {int((acceptable & footnoted).sum()):,} with a \"*\" or ※ footnote mark "
         f"and the {int((acceptable & ~footnoted).sum()):,} without. The trees raise the first: they learn that laid-out, "
         "footnoted copy is more often misleading in the corpus, so an honest disclosure below the line raises the risk; "
         "this is why training/default.toml leaves the second stage off."),
        "",
        "Command: `python benchmarks/second_stage.py --jobs 2`",
    ]
    section = "\n".join(lines)
    print(section)
    write_section("second-stage", "A second stage over the heads' scores", section)


if __name__ == "__main__":
    main()
