"""Does a Korean morphological analyser (kiwipiepy) add to adcheck's character n-grams?

Grouped 5-fold cross-validation on the Korean and mixed rows of the corpus, same folds for both:
(a) adcheck's features alone; (b) adcheck's features plus TF-IDF over kiwipiepy morpheme 1-2-grams
(form/tag). Also times both feature computations on the same texts, in the same process.

    pip install kiwipiepy && python benchmarks/korean_morphemes.py

Writes its section of benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import glob
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from readme_section import write_section  # noqa: E402  (benchmarks/ is the script's folder)
from shipped_recipe import load_recipe
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score

from adcheck.evaluation import binary_metrics, threshold_for_f1
from adcheck.features import Vocabulary, extract_occurrences
from adcheck.readers import load_labeled
from adcheck.training import grouped_folds

ROOT = Path(__file__).resolve().parents[1]


def _identity(tokens):
    return tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--c", type=float, default=16.0)
    args = parser.parse_args()
    from kiwipiepy import Kiwi

    paths = sorted(Path(p) for p in glob.glob(str(ROOT / "training/data/corpus/**/*.jsonl"), recursive=True))
    data = load_labeled(paths, group_col="group", negative=["acceptable"])
    keep = np.flatnonzero(np.isin(data.languages, ["ko", "mixed"]))
    texts = [data.texts[i] for i in keep]
    y = data.labels[keep]
    groups = data.groups[keep]
    spec = load_recipe()[0].config.feature_specs[0]  # the shipped features (training/default.toml)

    started = time.perf_counter()
    occurrences = extract_occurrences(texts, spec)
    adcheck_seconds = time.perf_counter() - started
    started = time.perf_counter()
    kiwi = Kiwi()
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    morphemes = [[f"{t.form}/{t.tag}" for t in kiwi.tokenize(text)] for text in texts]
    kiwi_seconds = time.perf_counter() - started
    morphemes = [m + [f"{a} {b}" for a, b in zip(m, m[1:])] for m in morphemes]

    folds = grouped_folds(y, groups, 5, 13)
    oof = {"adcheck": np.zeros(len(y)), "adcheck + kiwi": np.zeros(len(y))}
    for train_rows, test_rows in folds:
        vocabulary = Vocabulary.fit(occurrences, spec, rows=train_rows)
        base = vocabulary.transform(occurrences)
        morph = TfidfVectorizer(analyzer=_identity, min_df=2, sublinear_tf=True)
        morph.fit([morphemes[i] for i in train_rows])
        both = sp.hstack([base, morph.transform(morphemes)]).tocsr()
        for name, matrix in (("adcheck", base), ("adcheck + kiwi", both)):
            clf = LogisticRegression(C=args.c, solver="liblinear", random_state=13)
            clf.fit(matrix[train_rows], y[train_rows])
            oof[name][test_rows] = clf.predict_proba(matrix[test_rows])[:, 1]

    rows = []
    for name, scores in oof.items():
        f1 = binary_metrics(y, scores, threshold_for_f1(y, scores))["f1"]
        rows.append((name, roc_auc_score(y, scores), average_precision_score(y, scores), f1))
    n = len(texts)
    lines = [
        f"Korean and mixed rows of the corpus: {n} texts ({int(y.sum())} misleading), grouped 5-fold CV, C={args.c}.",
        "",
        "| features | ROC-AUC | PR-AUC | best F1 |",
        "|---|---|---|---|",
        *[f"| {name} | {auc:.4f} | {ap:.4f} | {f1:.4f} |" for name, auc, ap, f1 in rows],
        "",
        f"Feature time on the same {n} texts: adcheck n-grams {adcheck_seconds:.2f} s ({n / adcheck_seconds:,.0f} texts/s); "
        f"kiwipiepy tokenize {kiwi_seconds:.2f} s ({n / kiwi_seconds:,.0f} texts/s, "
        f"{kiwi_seconds / adcheck_seconds:.0f}x slower) plus {load_seconds:.1f} s to load its model.",
        "",
        "Command: `pip install kiwipiepy && python benchmarks/korean_morphemes.py`",
    ]
    section = "\n".join(lines)
    print(section)
    write_section("korean-morphemes", "Korean morphological analysis (kiwipiepy)", section)


if __name__ == "__main__":
    main()
