"""Does labeling the texts `adcheck suggest` picks improve the model faster than labeling random ones?

A simulation on the corpus. The test set is the frozen evaluation set (the corpus groups selected by
`adcheck.retrain.frozen_eval_groups`, never labeled in the simulation). The rest is the pool: its
labels are hidden until a text is "labeled". Each run starts from the same random 200 labeled
texts and labels 100 more per round, by one of three strategies:

- random: 100 unlabeled texts at random;
- uncertainty: the 100 most uncertain texts (risk closest to 0.5), nothing else;
- suggest: what `adcheck suggest` picks (`adcheck.suggest.select`): most uncertain, one per
  near-duplicate cluster, taken in turn from each (language, likely category) stratum.

After each round a model is fitted on the labeled texts (the default model's features, C = 16,
category heads on the misleading rows) and measured on the test set. Three seeds.

    python benchmarks/active_learning.py            # under a minute

Writes benchmarks/active_learning_curves.csv (every point), benchmarks/active_learning.png (when
matplotlib is installed) and its section of benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import time
from pathlib import Path

import numpy as np
from readme_section import write_section
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score

from adcheck.features import FeatureSpec, Vocabulary, extract_occurrences
from adcheck.feedback import near_duplicate_clusters
from adcheck.retrain import frozen_eval_groups
from adcheck.suggest import select
from adcheck.taxonomy import parse_categories

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = FeatureSpec(word_ngram_max=2, char_ngram_min=1, char_ngram_max=3, wb_ngram_max=0, min_df=3)
C_VALUE = 16.0
STRATEGIES = ("random", "uncertainty", "suggest")


def load_corpus() -> list[dict]:
    rows = []
    for path in sorted(glob.glob(str(ROOT / "training" / "data" / "corpus" / "**" / "*.jsonl"), recursive=True)):
        with open(path, encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return rows


def fit(occurrences, labeled: np.ndarray, y: np.ndarray, categories: list[list[str]] | None):
    """Risk (and with `categories`, likely-category) predictions for every text, fitted on `labeled`."""
    vocabulary = Vocabulary.fit(occurrences, SPEC, rows=labeled)
    matrix = vocabulary.transform(occurrences)
    clf = LogisticRegression(C=C_VALUE, solver="liblinear", random_state=13, max_iter=2000)
    clf.fit(matrix[labeled], y[labeled].astype(int))
    risk = clf.predict_proba(matrix)[:, 1]
    if categories is None:
        return risk, [""] * len(risk)
    positives = labeled[y[labeled]]
    codes = sorted({c for i in positives.tolist() for c in categories[i]})
    scores = []
    kept = []
    for code in codes:
        target = np.asarray([code in categories[i] for i in positives.tolist()])
        if target.sum() < 3 or target.all():
            continue
        head = LogisticRegression(C=C_VALUE, solver="liblinear", random_state=13, max_iter=2000)
        head.fit(matrix[positives], target.astype(int))
        scores.append(head.decision_function(matrix))
        kept.append(code)
    likely = [kept[j] for j in np.argmax(np.vstack(scores), axis=0).tolist()] if kept else [""] * len(risk)
    return risk, likely


def run(seeds: int, start: int, batch: int, rounds: int) -> list[dict]:
    rows = load_corpus()
    frozen = frozen_eval_groups(r["group"] for r in rows)
    texts = [r["text"] for r in rows]
    y = np.asarray([r["label"] == "misleading" for r in rows])
    langs = [r["lang"] for r in rows]
    categories = [parse_categories(r["categories"]) for r in rows]
    test = np.asarray([i for i, r in enumerate(rows) if r["group"] in frozen])
    pool_all = np.asarray([i for i, r in enumerate(rows) if r["group"] not in frozen])
    occurrences = extract_occurrences(texts, SPEC)
    clusters = np.asarray(near_duplicate_clusters(texts))
    points = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        initial = rng.choice(pool_all, size=start, replace=False)
        for strategy in STRATEGIES:
            labeled = np.sort(initial)
            strategy_rng = np.random.default_rng(1000 + seed)
            for round_number in range(rounds + 1):
                risk, likely = fit(occurrences, labeled, y, categories if strategy == "suggest" else None)
                points.append({
                    "strategy": strategy, "seed": seed, "labeled": len(labeled),
                    "pr_auc": round(float(average_precision_score(y[test], risk[test])), 4),
                    "roc_auc": round(float(roc_auc_score(y[test], risk[test])), 4),
                })
                if round_number == rounds:
                    break
                unlabeled = np.setdiff1d(pool_all, labeled)
                if strategy == "random":
                    new = strategy_rng.choice(unlabeled, size=batch, replace=False)
                elif strategy == "uncertainty":
                    u = 1.0 - np.abs(2.0 * risk[unlabeled] - 1.0)
                    new = unlabeled[np.argsort(-u, kind="stable")[:batch]]
                else:
                    strata = [f"{langs[i]}|{likely[i]}" for i in unlabeled.tolist()]
                    new = unlabeled[select(risk[unlabeled], clusters[unlabeled], strata, batch)]
                labeled = np.sort(np.concatenate([labeled, new]))
    return points


def summarise(points: list[dict]) -> tuple[list[int], dict]:
    sizes = sorted({p["labeled"] for p in points})
    mean = {}
    for strategy in STRATEGIES:
        for metric in ("pr_auc", "roc_auc"):
            mean[(strategy, metric)] = [
                float(np.mean([p[metric] for p in points if p["strategy"] == strategy and p["labeled"] == n])) for n in sizes
            ]
    return sizes, mean


def labels_to_reach(sizes: list[int], curve: list[float], target: float) -> str:
    for n, value in zip(sizes, curve):
        if value >= target:
            return str(n)
    return f"> {sizes[-1]}"


def plot(sizes: list[int], mean: dict, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(6, 4))
    for strategy in STRATEGIES:
        ax.plot(sizes, mean[(strategy, "pr_auc")], marker="o", markersize=3, label=strategy)
    ax.set_xlabel("labeled texts")
    ax.set_ylabel("PR-AUC on the frozen evaluation set")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--start", type=int, default=200)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite the README section")
    args = parser.parse_args()
    started = time.perf_counter()
    points = run(args.seeds, args.start, args.batch, args.rounds)
    seconds = time.perf_counter() - started
    with open(HERE / "active_learning_curves.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(points[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(points)
    sizes, mean = summarise(points)
    has_plot = plot(sizes, mean, HERE / "active_learning.png")
    header = "| labeled | " + " | ".join(f"{s} PR-AUC" for s in STRATEGIES) + " | " + " | ".join(f"{s} ROC-AUC" for s in STRATEGIES) + " |"
    lines = [header, "|" + "---|" * (1 + 2 * len(STRATEGIES))]
    for k, n in enumerate(sizes):
        lines.append(f"| {n} | " + " | ".join(f"{mean[(s, 'pr_auc')][k]:.3f}" for s in STRATEGIES) + " | "
                     + " | ".join(f"{mean[(s, 'roc_auc')][k]:.3f}" for s in STRATEGIES) + " |")
    final_random = mean[("random", "pr_auc")][-1]
    reach = {s: labels_to_reach(sizes, mean[(s, "pr_auc")], final_random) for s in STRATEGIES}
    area = {s: float(np.mean(mean[(s, "pr_auc")])) for s in STRATEGIES}
    body = "\n".join([
        "`benchmarks/active_learning.py` simulates the labeling loop on the corpus: the frozen evaluation "
        "groups (`training/data/frozen_eval/README.md`) are the test set; the other rows are an \"archive\" "
        "whose labels are revealed only when a text is picked. Every run starts from the same "
        f"{args.start} random labeled texts and labels {args.batch} more per round, {args.rounds} rounds, "
        f"{args.seeds} seeds; after each round a model with the default features (C = {C_VALUE:g}) is fitted "
        "on the labeled texts. `suggest` is `adcheck suggest`'s selection (most uncertain, near duplicates "
        "collapsed, strata of language x likely category taking turns); `uncertainty` is the plain most-"
        "uncertain ablation. Mean over seeds (every point in `benchmarks/active_learning_curves.csv`"
        + ("; the curves are plotted in `benchmarks/active_learning.png`" if has_plot else "") + "):",
        "",
        *lines,
        "",
        f"Labels needed to reach random labeling's final PR-AUC ({final_random:.3f} at {sizes[-1]} labels): "
        + ", ".join(f"{s} {reach[s]}" for s in STRATEGIES) + ". Mean PR-AUC over the curve (area): "
        + ", ".join(f"{s} {area[s]:.3f}" for s in STRATEGIES) + ".",
        "",
        ("Caveats: the pool is our own corpus, written with contrastive siblings, so it is richer in hard "
         "near-misses and poorer in exact repeats than a real archive; the size of the gain on a real archive "
         "is not measured here. The simulation fits one C (no cross-validation) to stay fast. "
         f"Run time {seconds:.0f} s."),
    ])
    if not args.no_readme:
        write_section("active-learning", "Active learning: which texts to label next", body)
    print(body)


if __name__ == "__main__":
    main()
