"""Do punctuation features learn the claims, or our writers' style?

Most of the corpus was written with hype punctuation ("!", emoji) far more common in misleading
texts and careful punctuation (";", parentheses) far more common in acceptable ones
(`adcheck data check` warns about it). The folders starting with --prefix were written to break
that link: each keeps one register for both labels (loud: "!" and emoji in every text; sober: none).

Each recipe is fitted on the rest of the corpus (no row of a group that reaches into the new
folders) and scores the new folders:

  shipped        the shipped model's features, C and NB scaling (training/default.toml)
  + wb words     plus word-boundary character 2-4-grams inside word tokens (no punctuation):
                 the added capacity alone
  + wb spaces    plus word-boundary character 2-4-grams over runs of non-space characters
                 (punctuation kept): the scikit-learn char_wb family

Printed: grouped 5-fold CV ROC-AUC on the training part (what our own writing says) next to
ROC-AUC on the new folders, per folder and pooled per language, and the mean risk of the new
folders' acceptable texts with and without "!" (a recipe that learned the style scores loud
lawful copy higher).

    python benchmarks/style_shortcut.py --prefix s5_        (about 5 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np
from shipped_recipe import load_recipe  # benchmarks/ is the script's folder
from sklearn.metrics import roc_auc_score

from adcheck.features import Vocabulary, extract_occurrences
from adcheck.training import _fit_head, _sigmoid, grouped_folds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", default="s5_", help="folder-name prefix of the register-balanced batches (default: s5_)")
    args = parser.parse_args()
    started = time.perf_counter()
    options, data, c_value = load_recipe()
    seed, nb_alpha = options.config.seed, options.config.nb_alpha
    folder = np.asarray([Path(f).parent.name for f in data.files])
    new = sorted(name for name in set(folder.tolist()) if name.startswith(args.prefix))
    if not new:
        raise SystemExit(f"no corpus folder starts with {args.prefix!r}")
    held = np.isin(folder, new)
    train_rows = np.flatnonzero(~held & ~np.isin(data.groups, data.groups[held]))
    test_rows = np.flatnonzero(held)
    y = data.labels.astype(bool)
    languages = np.asarray(data.languages)
    loud = np.asarray(["!" in t for t in data.texts])
    base = options.config.feature_specs[0]
    recipes = {
        "shipped": base,
        "+ wb words": dataclasses.replace(base, wb_ngram_min=2, wb_ngram_max=4, wb_tokens="word"),
        "+ wb spaces": dataclasses.replace(base, wb_ngram_min=2, wb_ngram_max=4, wb_tokens="space"),
    }
    print(f"training part {len(train_rows)} rows; new folders ({', '.join(new)}) {len(test_rows)} rows; C={c_value}")
    scores: dict[str, np.ndarray] = {}
    cv: dict[str, float] = {}
    for name, spec in recipes.items():
        occurrences = extract_occurrences(data.texts, spec)
        oof = np.zeros(len(y))
        for fold_train, fold_test in grouped_folds(y[train_rows], data.groups[train_rows], 5, seed):
            rows_in, rows_out = train_rows[fold_train], train_rows[fold_test]
            matrix = Vocabulary.fit(occurrences, spec, rows=rows_in).transform(occurrences)
            oof[rows_out] = _fit_head(matrix[rows_in], y[rows_in], c_value, seed, nb_alpha).decision(matrix[rows_out])
        cv[name] = roc_auc_score(y[train_rows], oof[train_rows])
        matrix = Vocabulary.fit(occurrences, spec, rows=train_rows).transform(occurrences)
        head = _fit_head(matrix[train_rows], y[train_rows], c_value, seed, nb_alpha)
        scores[name] = _sigmoid(head.decision(matrix))
        print(f"  fitted {name} ({time.perf_counter() - started:.0f} s)", flush=True)

    names = list(recipes)
    print(f"\n{'ROC-AUC':34}" + "".join(f"{n:>14}" for n in names))
    print(f"{'grouped CV, training part':34}" + "".join(f"{cv[n]:>14.4f}" for n in names))
    for lang in ["en", "ko", "mixed", None]:
        rows = held & ((languages == lang) if lang else True)
        if rows.sum() and 0 < y[rows].sum() < rows.sum():
            print(f"{'new folders, ' + (lang or 'all'):34}" + "".join(f"{roc_auc_score(y[rows], scores[n][rows]):>14.4f}" for n in names))
    for name in new:
        rows = folder == name
        if 0 < y[rows].sum() < rows.sum():
            print(f"{'  ' + name:34}" + "".join(f"{roc_auc_score(y[rows], scores[n][rows]):>14.4f}" for n in names))
    print("\nmean risk of the new folders' texts, by label and '!':")
    for label, want in (("acceptable", False), ("misleading", True)):
        for bang in (True, False):
            rows = held & (y == want) & (loud == bang)
            if rows.sum():
                print(f"{label + (' with !' if bang else ' without !'):34}" + "".join(f"{scores[n][rows].mean():>14.3f}" for n in names)
                      + f"   ({int(rows.sum())} texts)")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
