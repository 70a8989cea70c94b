"""How much faster does `adcheck train --jobs` make training, and is the model the same?

Trains the shipped recipe (training/default.toml: every C it tries, the category heads and the
per-folder hold-out) twice in this process on the same part of the corpus: once on one thread and
once on --jobs workers (threads for the risk head's folds, forked processes on Linux for the category
heads and the held-out sources). Prints both times, their ratio, and whether the two results are identical
(cross-validation report, chosen C, out-of-fold values and weights). Only part of the corpus is
used so that the serial run takes minutes, not the hour of the full corpus; --folders sets how many
writers' folders (spread over the sorted list), so the hold-out has that many sources.

    python benchmarks/training_threads.py
    python benchmarks/training_threads.py --folders 24 --jobs 2
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from readme_section import write_section  # benchmarks/ is the script's folder
from shipped_recipe import load_recipe

from adcheck.readers import LabeledData
from adcheck.training import train


def _subset(data: LabeledData, keep: np.ndarray) -> LabeledData:
    rows = np.flatnonzero(keep)
    return LabeledData(
        texts=[data.texts[i] for i in rows], labels=data.labels[rows], groups=data.groups[rows],
        languages=data.languages[rows],
        categories=None if data.categories is None else [data.categories[i] for i in rows],
        sources=data.sources, files=None if data.files is None else data.files[rows],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folders", type=int, default=16, help="writers' folders to train on (default 16)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="workers of the second run (default: all cores)")
    args = parser.parse_args()
    options, data, _ = load_recipe()
    folder = np.asarray([Path(f).parent.name for f in data.files])
    names = sorted(set(folder.tolist()))
    if not 2 <= args.folders <= len(names):
        raise SystemExit(f"--folders must be 2..{len(names)}")
    step = len(names) / args.folders
    chosen = [names[int(k * step)] for k in range(args.folders)]
    part = _subset(data, np.isin(folder, chosen))
    config = replace(options.config, source_holdout="folder")

    timings = {}
    results = {}
    for jobs in (1, args.jobs):
        started = time.perf_counter()
        results[jobs] = train(part, config, jobs=jobs)
        timings[jobs] = time.perf_counter() - started
    one, many = results[1], results[args.jobs]
    same = (
        one.cv_report == many.cv_report and one.chosen == many.chosen
        and all(np.array_equal(one.out_of_fold[k], many.out_of_fold[k]) for k in one.out_of_fold)
        and np.array_equal(one.model.risk_head.coef, many.model.risk_head.coef)
        and all(np.array_equal(h.coef, many.model.category_heads[c].coef) for c, h in one.model.category_heads.items())
    )
    lines = [
        (
            f"{len(part)} texts from {len(chosen)} of the corpus's {len(names)} folders; the shipped recipe "
            f"({len(config.c_values)} values of C, {config.n_folds} grouped folds, category heads, each folder held out); "
            f"{os.cpu_count()} cores."
        ),
        "",
        "| workers | training time | speed against 1 worker |",
        "|---|---|---|",
        f"| 1 | {timings[1]:.1f} s | 1.00x |",
        f"| {args.jobs} | {timings[args.jobs]:.1f} s | {timings[1] / timings[args.jobs]:.2f}x |",
        "",
        "Same model and figures on both runs (CV report, chosen C, out-of-fold values, every head's weights): "
        f"{'yes' if same else 'NO'}.",
        "",
        f"Command: `python benchmarks/training_threads.py --folders {args.folders} --jobs {args.jobs}`",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("training-threads", "Training on several workers (`adcheck train --jobs`)", body)
    if not same:
        raise SystemExit("the run on several workers differs from the serial one")


if __name__ == "__main__":
    main()
