"""Does more of our own writing help on copy by a writer the model has never seen?

Each corpus folder is one writer's batch. For every folder whose name starts with --prefix (the
newer batches), the risk head (the shipped recipe: features, C and NB scaling from
training/default.toml) is fitted twice and scores that folder:

  older only    trained on the folders without the prefix (the corpus before those batches)
  with others   trained on every other folder, the other new ones included

Neither model sees the held-out folder or any group that has a row in it. ROC-AUC is printed per
folder and pooled per language over all new folders. A gain in the second column says that the
added writing carries over to a writer it does not include.

With --score, the held-out folders are those of another batch instead (an earlier one, say s6_, or
a later one), and the two models differ only in whether the --prefix folders are in the training
data: the first is fitted on every folder but the held-out one and the --prefix ones, the second on
every folder but the held-out one. A gain says that the --prefix batch helps on copy by writers
outside it, which that batch's own slices (written to be hard) cannot say.

    python benchmarks/new_writers.py --prefix s4_
    python benchmarks/new_writers.py --prefix s7_ --score s6_
    python benchmarks/new_writers.py --prefix s8_ --score s9_

With --together the --score folders are held out all at once (two fits in all instead of two per
folder): each model then also lacks the other held-out writers, so the figures are a little lower
than folder by folder, and both columns lose the same rows. Besides ROC-AUC it prints the share of
acceptable texts flagged at the threshold that finds 92% of the misleading ones (the model's
false alarms at its working recall).

    python benchmarks/new_writers.py --prefix s27_ --score s20_ --together

Both options take several prefixes separated by commas (--prefix s29_,s30_,s31_).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from shipped_recipe import load_recipe  # benchmarks/ is the script's folder
from sklearn.metrics import roc_auc_score

from adcheck.features import Vocabulary, extract_occurrences
from adcheck.training import _fit_head, _sigmoid


def _false_alarms(y: np.ndarray, scores: np.ndarray, recall: float = 0.92) -> float:
    """The share of acceptable texts at or above the highest threshold that still finds `recall` of the misleading ones."""
    positives = np.sort(scores[y])[::-1]
    threshold = positives[int(np.ceil(recall * len(positives))) - 1]
    return float((scores[~y] >= threshold).mean())


def _starting_with(names: list[str], prefixes: str) -> list[str]:
    """The names that start with one of the comma-separated `prefixes`."""
    return [name for name in names if name.startswith(tuple(p for p in prefixes.split(",") if p))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", default="s4_", help="folder-name prefix of the newer batches, or several separated by commas (default: s4_)")
    parser.add_argument("--score", default=None,
                        help="hold out the folders with this prefix instead (another batch); default: --prefix")
    parser.add_argument("--c", type=float, default=None, help="C (default: the shipped model's)")
    parser.add_argument("--together", action="store_true", help="hold the --score folders out all at once")
    args = parser.parse_args()
    started = time.perf_counter()
    options, data, shipped_c = load_recipe()
    c_value = shipped_c if args.c is None else args.c
    folder = np.asarray([Path(f).parent.name for f in data.files])
    names = sorted(set(folder.tolist()))
    new = _starting_with(names, args.prefix)
    if not new:
        raise SystemExit(f"no corpus folder starts with {args.prefix!r}")
    older = ~np.isin(folder, new)
    scored = new if args.score is None else _starting_with(names, args.score)
    if not scored:
        raise SystemExit(f"no corpus folder starts with {args.score!r}")
    y = data.labels.astype(bool)
    spec = options.config.feature_specs[0]
    occurrences = extract_occurrences(data.texts, spec)
    pooled = {"older": np.zeros(len(y)), "others": np.zeros(len(y))}
    print(f"{len(new)} new folders, {int((~older).sum())} rows; older corpus {int(older.sum())} rows; C={c_value}")
    # column names: without / with the --prefix folders in the training data
    first, second = ("older only", "with others") if args.score is None else (f"no {args.prefix}*", f"with {args.prefix}*")
    if args.score is not None:
        print(f"held out in turn: the {len(scored)} folders starting with {args.score!r}; "
              f"'{second}' adds the {args.prefix!r} folders to the training data")
    w1, w2 = max(12, len(first) + 2), max(13, len(second) + 2)  # long prefix lists widen the columns
    print(f"{'held-out folder':32}{'rows':>6}{first:>{w1}}{second:>{w2}}")
    units = [(f"all {len(scored)} {args.score or args.prefix}* folders", scored)] if args.together else [(n, [n]) for n in scored]
    for name, members in units:
        held = np.isin(folder, members)
        shared = np.isin(data.groups, data.groups[held])
        scores = []
        for key, allowed in (("older", older), ("others", ~held)):
            train_rows = np.flatnonzero(allowed & ~held & ~shared)
            matrix = Vocabulary.fit(occurrences, spec, rows=train_rows).transform(occurrences)
            head = _fit_head(matrix[train_rows], y[train_rows], c_value, options.config.seed, options.config.nb_alpha)
            pooled[key][held] = _sigmoid(head.decision(matrix[held]))
            scores.append(roc_auc_score(y[held], pooled[key][held]) if 0 < y[held].sum() < held.sum() else None)
        if scores[0] is None:  # one label only (a folder of plain acceptable copy): no AUC, but it counts below
            print(f"{name:32}{int(held.sum()):>6}{'one label':>{w1}}{'one label':>{w2}}", flush=True)
        else:
            print(f"{name:32}{int(held.sum()):>6}{scores[0]:>{w1}.4f}{scores[1]:>{w2}.4f}", flush=True)
    languages = np.asarray(data.languages)
    print("\npooled over the held-out folders (each row scored by models that never saw its folder):")
    held_out = np.isin(folder, scored)
    for lang in ["en", "ko", "mixed", None]:
        rows = held_out & ((languages == lang) if lang else True)
        if rows.sum() == 0 or y[rows].all() or not y[rows].any():
            continue
        print(f"  {lang or 'all':6}{int(rows.sum()):>6} rows: {first} {roc_auc_score(y[rows], pooled['older'][rows]):.4f}, "
              f"{second} {roc_auc_score(y[rows], pooled['others'][rows]):.4f}; acceptable flagged at 92% recall "
              f"{_false_alarms(y[rows], pooled['older'][rows]):.3f}, {_false_alarms(y[rows], pooled['others'][rows]):.3f}")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
