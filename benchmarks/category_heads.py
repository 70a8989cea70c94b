"""Can the category heads do better end to end? Variants of the shipped recipe's heads on grouped CV.

The shipped model flags a category when risk x P(category | misleading, text) reaches the category's
threshold; the heads are fitted on the misleading texts only, at the risk head's C. Category macro-F1
end to end sits below the issue's 0.80, so this script asks whether the heads, not the corpus, hold
it back. It compares, on the recipe's grouped folds (twins never straddle a fold), in one process:

- the shipped heads at other values of C (the risk head's C is the shipped model's);
- heads fitted on every text (a category's positives against all other texts, acceptable ones
  included, so that near-miss twins teach the head directly; classes weighted as the recipe's
  `category_weights` says), alone, times the risk, and times the risk and the shipped head together.

Each variant's threshold per category is chosen for F1 on its own out-of-fold values (as training
does), so every figure is a little optimistic, alike for all. Also prints, for the shipped heads,
the F1 given misleading (probability 0.5), the model card's second view.

    python benchmarks/category_heads.py [--jobs 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from readme_section import write_section  # benchmarks/ is the script's folder
from shipped_recipe import recipe_folds
from sklearn.metrics import f1_score

from adcheck.evaluation import threshold_for_f1
from adcheck.features import Vocabulary, extract_occurrences
from adcheck.training import _fit_head, _in_order, _sigmoid

HEAD_C_FACTORS = (0.5, 1.0, 2.0)  # times the shipped C


def _macro_f1(targets: dict[str, np.ndarray], scores: dict[str, np.ndarray]) -> tuple[float, dict[str, float]]:
    per = {}
    for code, target in targets.items():
        values = scores[code]
        per[code] = float(f1_score(target, values >= threshold_for_f1(target, values)))
    return float(np.mean(list(per.values()))), per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="folds fitted side by side (forked workers on Linux)")
    args = parser.parse_args()
    config, data, shipped_c, spec, y, folds, targets = recipe_folds()
    head_cs = [shipped_c * factor for factor in HEAD_C_FACTORS]
    started = time.perf_counter()
    occurrences = extract_occurrences(list(data.texts), spec)

    def fold_values(fold: tuple[np.ndarray, np.ndarray]) -> dict[str, np.ndarray]:
        train_rows, test_rows = fold
        matrix = Vocabulary.fit(occurrences, spec, rows=train_rows).transform(occurrences)
        risk = _fit_head(matrix[train_rows], y[train_rows], shipped_c, config.seed, config.nb_alpha)
        values = {"risk": _sigmoid(risk.decision(matrix[test_rows]))}
        positive_rows = train_rows[y[train_rows]]
        for code, target in targets.items():
            for c_value in head_cs:
                head = _fit_head(matrix[positive_rows], target[positive_rows], c_value, config.seed, config.nb_alpha,
                                 config.category_weights, dual=True, precision=np.float16)
                values[f"given:{c_value:g}:{code}"] = _sigmoid(head.decision(matrix[test_rows]))
            head = _fit_head(matrix[train_rows], target[train_rows], shipped_c, config.seed, config.nb_alpha,
                             config.category_weights, dual=True, precision=np.float16)
            values[f"every:{code}"] = _sigmoid(head.decision(matrix[test_rows]))
        return values

    out_of_fold: dict[str, np.ndarray] = {}
    for number, ((_, test_rows), values) in enumerate(zip(folds, _in_order(fold_values, folds, args.jobs, processes=True)), 1):
        for key, column in values.items():
            out_of_fold.setdefault(key, np.zeros(len(y)))[test_rows] = column
        print(f"fold {number} of {len(folds)} done ({time.perf_counter() - started:.0f} s)", flush=True)

    risk = out_of_fold["risk"]
    shipped = {code: risk * out_of_fold[f"given:{shipped_c:g}:{code}"] for code in targets}
    rows: list[tuple[str, dict[str, np.ndarray]]] = [
        (f"risk x head fitted on misleading texts, head C {c_value:g}" + (" (shipped)" if c_value == shipped_c else ""),
         {code: risk * out_of_fold[f"given:{c_value:g}:{code}"] for code in targets})
        for c_value in head_cs
    ]
    rows += [
        ("head fitted on every text, alone", {code: out_of_fold[f"every:{code}"] for code in targets}),
        ("risk x head fitted on every text", {code: risk * out_of_fold[f"every:{code}"] for code in targets}),
        ("risk x shipped head x head fitted on every text", {code: shipped[code] * out_of_fold[f"every:{code}"] for code in targets}),
    ]
    _, shipped_per = _macro_f1(targets, shipped)
    codes = list(targets)
    lines = [
        f"{len(y)} texts ({int(y.sum())} misleading), {config.n_folds}-fold grouped CV; risk head at the shipped C ({shipped_c:g}); "
        f"category macro-F1 end to end (each variant's thresholds chosen on its own out-of-fold values).",
        "",
        "| category heads | macro-F1 | " + " | ".join(codes) + " |",
        "|---|---|" + "---|" * len(codes),
    ]
    for label, scores in rows:
        macro, per = _macro_f1(targets, scores)
        lines.append(f"| {label} | {macro:.4f} | " + " | ".join(f"{per[code]:.3f}" for code in codes) + " |")
    given = [
        float(np.mean([f1_score(targets[code][y], out_of_fold[f"given:{c_value:g}:{code}"][y] >= 0.5) for code in codes]))
        for c_value in head_cs
    ]
    lines += [
        "",
        "F1 given misleading (probability 0.5), macro: "
        + ", ".join(f"head C {c_value:g}: {value:.4f}" for c_value, value in zip(head_cs, given))
        + f". Weakest category end to end with the shipped heads: {min(shipped_per, key=shipped_per.get)} "
        f"({min(shipped_per.values()):.3f}).",
        "",
        f"Command: `python benchmarks/category_heads.py --jobs {args.jobs}` ({time.perf_counter() - started:.0f} s).",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("category-heads", "Category heads: other C values, heads fitted on every text", body)


if __name__ == "__main__":
    main()
