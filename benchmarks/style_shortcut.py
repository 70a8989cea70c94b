"""Do our features learn the claims, or our writers' style?

Most of the corpus was written with hype marks ("!", emoji) far more common in misleading texts
and careful punctuation (";", parentheses) far more common in acceptable ones (`adcheck data
check` warns about it). The folders starting with --prefix were written to break that link: each
group keeps one register for both labels (loud: "!" and emoji in every text; sober: none).

Three recipes, each with the shipped model's C and NB scaling (training/default.toml):

  shipped        the shipped features
  emoji ⇄        the same with the other `symbols` rule (emoji and pictographs as word tokens,
                 or skipped like punctuation)
  + wb spaces    plus word-boundary character 2-4-grams over runs of non-space characters
                 (punctuation kept): the scikit-learn char_wb family. When the shipped features
                 already have that family (since the session-10 corpus), this column is
                 "- wb spaces": the shipped features without it

Two protocols, ROC-AUC on the new folders:

  A  fitted on the older corpus only (no row of a group that reaches into the new folders), next
     to grouped 5-fold CV on that older corpus: what our older writing teaches, and what CV on
     it claims
  B  each new folder held out in turn, fitted on everything else (the other new folders
     included): the situation of a model trained on the whole corpus

Also printed for protocol A: the mean risk of the new folders' texts by label, with and without
"!" (a recipe that learned the style scores loud lawful copy higher).

    python benchmarks/style_shortcut.py --prefix s5_        (about 15 minutes on 2 cores)

The s5_ folders are the register-balanced ones; their results go to the README section "Style
shortcuts". Any other prefix (say the newest batch, s10_) measures the same recipes on copy by
writers the older corpus does not include, and goes to a section of its own.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from readme_section import write_section  # benchmarks/ is the script's folder
from shipped_recipe import load_recipe
from sklearn.metrics import roc_auc_score

from adcheck.features import Vocabulary, extract_occurrences
from adcheck.training import _fit_head, _sigmoid, grouped_folds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", default="s5_", help="folder-name prefix of the register-balanced batches (default: s5_)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="threads for the fits (default: all cores)")
    parser.add_argument("--no-readme", action="store_true", help="do not write the section of benchmarks/README.md")
    args = parser.parse_args()
    report: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        report.append(line)

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
        "emoji ⇄": dataclasses.replace(base, symbols="currency" if base.symbols == "all" else "all"),
    }
    if base.wb_ngram_max and base.wb_tokens == "space":
        recipes["- wb spaces"] = dataclasses.replace(base, wb_ngram_min=1, wb_ngram_max=0, wb_tokens="word")
    else:
        recipes["+ wb spaces"] = dataclasses.replace(base, wb_ngram_min=2, wb_ngram_max=4, wb_tokens="space")
    say(f"older corpus {len(train_rows)} rows; new folders ({', '.join(new)}) {len(test_rows)} rows; C={c_value}; "
          f"shipped symbols = {base.symbols!r}")

    def fit_score(occurrences, spec, rows_in: np.ndarray) -> np.ndarray:
        matrix = Vocabulary.fit(occurrences, spec, rows=rows_in).transform(occurrences)
        return _fit_head(matrix[rows_in], y[rows_in], c_value, seed, nb_alpha).decision(matrix)

    older: dict[str, np.ndarray] = {}
    each: dict[str, np.ndarray] = {}
    cv: dict[str, float] = {}
    for name, spec in recipes.items():
        occurrences = extract_occurrences(data.texts, spec)
        oof = np.zeros(len(y))
        folds = grouped_folds(y[train_rows], data.groups[train_rows], 5, seed)
        outs = [folder == folder_name for folder_name in new]
        # every fit is independent: the CV folds, the older-corpus fit and each held-out folder run
        # side by side on threads (liblinear and NumPy release the GIL)
        fits = [train_rows[fold_train] for fold_train, _ in folds] + [train_rows]
        fits += [np.flatnonzero(~out & ~np.isin(data.groups, data.groups[out])) for out in outs]
        with ThreadPoolExecutor(args.jobs) as pool:
            scores = list(pool.map(lambda rows_in, spec=spec, occurrences=occurrences: fit_score(occurrences, spec, rows_in), fits))
        for (_, fold_test), fold_scores in zip(folds, scores):
            oof[train_rows[fold_test]] = fold_scores[train_rows[fold_test]]
        cv[name] = roc_auc_score(y[train_rows], oof[train_rows])
        older[name] = _sigmoid(scores[len(folds)])
        each[name] = np.zeros(len(y))
        for out, out_scores in zip(outs, scores[len(folds) + 1 :]):
            each[name][out] = out_scores[out]
        print(f"  fitted {name} ({time.perf_counter() - started:.0f} s)", flush=True)

    names = list(recipes)

    def auc_rows(label: str, scores: dict[str, np.ndarray], rows: np.ndarray) -> None:
        if rows.sum() and 0 < y[rows].sum() < rows.sum():
            say(f"{label:36}" + "".join(f"{roc_auc_score(y[rows], scores[n][rows]):>13.4f}" for n in names))

    say()
    say(f"{'ROC-AUC':36}" + "".join(f"{n:>13}" for n in names))
    say(f"{'A: grouped CV on the older corpus':36}" + "".join(f"{cv[n]:>13.4f}" for n in names))
    for protocol, scores in (("A", older), ("B", each)):
        for lang in ["en", "ko", "mixed", None]:
            auc_rows(f"{protocol}: new folders, {lang or 'all'}", scores, held & ((languages == lang) if lang else True))
        for folder_name in new:
            auc_rows(f"   {folder_name}", scores, folder == folder_name)
    say()
    say("A: mean risk of the new folders' texts, by label and '!':")
    for label, want in (("acceptable", False), ("misleading", True)):
        for bang in (True, False):
            rows = held & (y == want) & (loud == bang)
            if rows.sum():
                say(f"{label + (' with !' if bang else ' without !'):36}" + "".join(f"{older[n][rows].mean():>13.3f}" for n in names)
                      + f"   ({int(rows.sum())} texts)")
    print(f"({time.perf_counter() - started:.0f} s)")
    if not args.no_readme:
        balanced = args.prefix == "s5_"
        write_section("style-shortcut" if balanced else f"style-shortcut-{args.prefix.rstrip('_')}",
                      "Style shortcuts: punctuation and emoji on register-balanced copy" if balanced
                      else f"Feature recipes on copy by new writers (the {args.prefix}* folders)",
                      f"`python benchmarks/style_shortcut.py --prefix {args.prefix}` (what each recipe is: the script's docstring)\n\n"
                      "```\n" + "\n".join(report) + "\n```\n")


if __name__ == "__main__":
    main()
