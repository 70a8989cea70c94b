"""Which liblinear solver should training use: the primal trust-region Newton or dual coordinate descent?

Both minimise the same L2-regularised logistic loss; liblinear (and scikit-learn's documentation)
advise the dual when there are more features than rows, which text features nearly always are.
This script fits the shipped recipe's heads on one grouped fold of the corpus with each solver, in
this process, and prints the fit times, their ratio and the held-out ROC-AUC of each: the risk head
at every C the recipe tries (grouped CV fits each of them per fold) and the ten category heads at
the shipped model's C (fitted on the misleading training rows and judged on the misleading test rows,
as the training's category report is). Training fits these heads in every CV fold and for every
held-out folder, so their time is most of `adcheck train`'s.

    python benchmarks/training_solver.py
    python benchmarks/training_solver.py --fold 2
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from readme_section import write_section  # benchmarks/ is the script's folder
from shipped_recipe import load_recipe
from sklearn.metrics import roc_auc_score

from adcheck.features import Vocabulary, extract_occurrences
from adcheck.training import _category_targets, _fit_head, _sigmoid, grouped_folds

SOLVERS = {"primal": False, "dual": True}


def _timed_fit(matrix, y: np.ndarray, c_value: float, seed: int, nb_alpha, class_weight, dual: bool):
    # both solvers' weights are kept at float32 here so they can be compared closely; training rounds
    # the category heads to float16 afterwards, which costs no solver time
    started = time.perf_counter()
    head = _fit_head(matrix, y, c_value, seed, nb_alpha, class_weight, dual=dual)
    return head, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fold", type=int, default=1, help="which of the recipe's grouped folds to hold out (default 1)")
    args = parser.parse_args()
    options, data, shipped_c = load_recipe()
    config = options.config
    spec = config.feature_specs[0]
    folds = grouped_folds(data.labels.astype(bool), data.groups, config.n_folds, config.seed)
    if not 1 <= args.fold <= len(folds):
        raise SystemExit(f"--fold must be 1..{len(folds)}")
    train_rows, test_rows = folds[args.fold - 1]
    y = data.labels.astype(bool)
    occurrences = extract_occurrences(data.texts, spec)
    matrix = Vocabulary.fit(occurrences, spec, rows=train_rows).transform(occurrences)
    train_matrix, test_matrix = matrix[train_rows], matrix[test_rows]
    languages = np.asarray(data.languages)[test_rows]

    lines = [
        (
            f"{len(data.texts)} texts, grouped fold {args.fold} of {config.n_folds} held out ({len(test_rows)} texts); "
            f"{train_matrix.shape[1]} features, so {train_matrix.shape[1] / len(train_rows):.1f} features per training row."
        ),
        "",
        "| head | C | primal fit | dual fit | dual speed | ROC-AUC primal | ROC-AUC dual | largest probability gap |",
        "|---|---|---|---|---|---|---|---|",
    ]
    totals = {name: 0.0 for name in SOLVERS}
    for c_value in config.c_values:
        fits = {name: _timed_fit(train_matrix, y[train_rows], c_value, config.seed, config.nb_alpha, None, dual)
                for name, dual in SOLVERS.items()}
        scores = {name: _sigmoid(head.decision(test_matrix)) for name, (head, _) in fits.items()}
        for name, (_, seconds) in fits.items():
            totals[name] += seconds
        by_language = {
            name: " / ".join(f"{roc_auc_score(y[test_rows][languages == lang], s[languages == lang]):.4f}" for lang in ("en", "ko", "mixed"))
            for name, s in scores.items()
        }
        lines.append(
            f"| risk (en / ko / mixed) | {c_value:g} | {fits['primal'][1]:.1f} s | {fits['dual'][1]:.1f} s | "
            f"{fits['primal'][1] / fits['dual'][1]:.2f}x | {by_language['primal']} | {by_language['dual']} | "
            f"{np.abs(scores['primal'] - scores['dual']).max():.4f} |"
        )

    targets = _category_targets(data)
    positive_train = train_rows[y[train_rows]]
    positive_test = test_rows[y[test_rows]]
    category_seconds = {name: 0.0 for name in SOLVERS}
    aucs: dict[str, list[float]] = {name: [] for name in SOLVERS}
    gap = 0.0
    for target in targets.values():
        values = {}
        for name, dual in SOLVERS.items():
            head, seconds = _timed_fit(matrix[positive_train], target[positive_train], shipped_c, config.seed, config.nb_alpha,
                                       config.category_weights, dual)
            category_seconds[name] += seconds
            values[name] = _sigmoid(head.decision(matrix[positive_test]))
            aucs[name].append(roc_auc_score(target[positive_test], values[name]))
        gap = max(gap, float(np.abs(values["primal"] - values["dual"]).max()))
    lines.append(
        f"| {len(targets)} category heads, together (macro ROC-AUC given misleading) | {shipped_c:g} | "
        f"{category_seconds['primal']:.1f} s | {category_seconds['dual']:.1f} s | "
        f"{category_seconds['primal'] / category_seconds['dual']:.2f}x | {np.mean(aucs['primal']):.4f} | {np.mean(aucs['dual']):.4f} | {gap:.4f} |"
    )
    all_primal = totals["primal"] + category_seconds["primal"]
    all_dual = totals["dual"] + category_seconds["dual"]
    lines += [
        "",
        (
            f"Every fit above together: primal {all_primal:.1f} s, dual {all_dual:.1f} s ({all_primal / all_dual:.2f}x). "
            "Training fits the risk head with the primal solver and the category heads with the dual: "
            f"{totals['primal'] + category_seconds['dual']:.1f} s for these fits "
            f"({all_primal / (totals['primal'] + category_seconds['dual']):.2f}x all-primal)."
        ),
        "",
        f"Command: `python benchmarks/training_solver.py --fold {args.fold}`",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("training-solver", "Training's solver: primal or dual liblinear", body)


if __name__ == "__main__":
    main()
