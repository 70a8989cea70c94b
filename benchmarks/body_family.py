"""Does the body family pay: word n-grams after a text's first line break, as their own features?

Real ads put the claim in the first line and the terms, footnotes and small print below it. With the
body family the same words can weigh differently below the line ("별도", "renews at") than in the
headline. This script compares the shipped recipe with and without the family, in this process:

- grouped cross-validation of the risk head at the shipped model's C (the recipe's folds, so twins
  never straddle a fold): ROC-AUC and F1 at the F1-best threshold per language, and for the texts
  with and without a line break;
- the scoring kernel's throughput with each recipe's fold-1 model on the whole corpus (texts per
  second, best of three alternating runs), and the number of features each model keeps.

    python benchmarks/body_family.py
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from readme_section import write_section  # benchmarks/ is the script's folder
from shipped_recipe import best_f1, load_recipe
from sklearn.metrics import roc_auc_score

from adcheck.features import Vocabulary, extract_occurrences
from adcheck.model import AdModel
from adcheck.training import _fit_head, _sigmoid, grouped_folds

BODY_NGRAM_MAX = 2  # the recipe's value when training/default.toml leaves the family off


def main() -> None:
    options, data, shipped_c = load_recipe()
    config = options.config
    recipe = config.feature_specs[0]
    body_max = recipe.body_ngram_max or BODY_NGRAM_MAX
    specs = {"without": dataclasses.replace(recipe, body_ngram_max=0), "with": dataclasses.replace(recipe, body_ngram_max=body_max)}
    texts = list(data.texts)
    y = data.labels.astype(bool)
    languages = np.asarray(data.languages)
    has_body = np.array(["\n" in text for text in texts])
    folds = grouped_folds(y, data.groups, config.n_folds, config.seed)
    out_of_fold = {name: np.zeros(len(texts)) for name in specs}
    fold_models: dict[str, AdModel] = {}
    for name, spec in specs.items():
        occurrences = extract_occurrences(texts, spec)
        for number, (train_rows, test_rows) in enumerate(folds, 1):
            vocabulary = Vocabulary.fit(occurrences, spec, rows=train_rows)
            matrix = vocabulary.transform(occurrences)
            head = _fit_head(matrix[train_rows], y[train_rows], shipped_c, config.seed, config.nb_alpha)
            out_of_fold[name][test_rows] = _sigmoid(head.decision(matrix[test_rows]))
            if number == 1:
                fold_models[name] = AdModel(vocabulary, head, {}, {"high": 0.5, "medium": 0.3}, {})
            print(f"{name} body family: fold {number} of {len(folds)} done", flush=True)

    subsets = [(lang, languages == lang) for lang in ("en", "ko", "mixed")]
    subsets += [("with a line break", has_body), ("without one", ~has_body), ("all", np.ones(len(texts), dtype=bool))]
    lines = [
        f"{len(texts)} texts ({int(has_body.sum())} with a line break), {config.n_folds}-fold grouped CV of the risk head at the "
        f"shipped model's C ({shipped_c:g}); the recipe with and without word 1-{body_max}-grams of the body.",
        "",
        "| texts | n | ROC-AUC without | ROC-AUC with | F1-best without | F1-best with |",
        "|---|---|---|---|---|---|",
    ]
    for label, mask in subsets:
        auc = {name: roc_auc_score(y[mask], out_of_fold[name][mask]) for name in specs}
        f1 = {name: best_f1(y[mask], out_of_fold[name][mask]) for name in specs}
        lines.append(f"| {label} | {int(mask.sum())} | {auc['without']:.4f} | {auc['with']:.4f} | {f1['without']:.3f} | {f1['with']:.3f} |")

    seconds = {name: [] for name in specs}
    for _ in range(3):  # alternate, so drift on a shared machine hits both alike
        for name, model in fold_models.items():
            model.predict_proba(texts[:2000])  # warm the tables
            started = time.perf_counter()
            model.predict_proba(texts)
            seconds[name].append(time.perf_counter() - started)
    rate = {name: len(texts) / min(values) for name, values in seconds.items()}
    features = {name: model.vocabulary.n_features for name, model in fold_models.items()}
    lines += [
        "",
        (
            f"Scoring the corpus with each fold-1 model (compiled kernel, best of 3): {rate['without']:,.0f} texts/s without, "
            f"{rate['with']:,.0f} with ({rate['with'] / rate['without']:.2f}x); features {features['without']:,} without, "
            f"{features['with']:,} with ({features['with'] / features['without']:.2f}x)."
        ),
        "",
        "Command: `python benchmarks/body_family.py`",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("body-family", "The body family: word n-grams below the first line", body)


if __name__ == "__main__":
    main()
