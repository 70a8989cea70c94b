"""What does holding the sources out in sets (`--source-sets N`) save, and what does it change?

The per-source hold-out of the shipped recipe fits one model per corpus folder: on the full corpus
that is most of a training run. With `source_holdout_sets` the folders leave in N sets of about equal
size, so a run fits N models. This script holds out the same part of the corpus both ways in this
process, with the shipped recipe's features and C, judged at the shipped model's thresholds, and
prints the two times, their ratio, and the figures side by side: overall and per-language ROC-AUC,
F1 at the medium band, category macro-F1 end to end and given misleading, and how far each folder's
ROC-AUC moves. A set trains on less of the corpus than a single folder's hold-out does, so its
figures may be a little lower; they stay figures on writers the model never saw.

--folders sets how many writers' folders (spread over the sorted list) to use, --sets how many sets;
their ratio is the number of folders per set (the shipped recipe: 150 folders in 20 sets, 7.5).

    python benchmarks/source_sets.py
    python benchmarks/source_sets.py --folders 60 --sets 8 --jobs 2
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
from training_threads import _subset

from adcheck import load_model
from adcheck.features import extract_occurrences
from adcheck.model import BAND_MEDIUM
from adcheck.training import _across_sources, _category_targets


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folders", type=int, default=60, help="writers' folders to hold out (default 60)")
    parser.add_argument("--sets", type=int, default=8, help="sets to hold them out in (default 8)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="workers (default: all cores)")
    args = parser.parse_args()
    options, data, c_value = load_recipe()
    folder = np.asarray([Path(f).parent.name for f in data.files])
    names = sorted(set(folder.tolist()))
    if not 2 <= args.folders <= len(names):
        raise SystemExit(f"--folders must be 2..{len(names)}")
    if not 2 <= args.sets < args.folders:
        raise SystemExit(f"--sets must be 2..{args.folders - 1}")
    step = len(names) / args.folders
    chosen = [names[int(k * step)] for k in range(args.folders)]
    part = _subset(data, np.isin(folder, chosen))
    model = load_model()
    medium = model.band_thresholds[BAND_MEDIUM]
    category_thresholds = dict(model.category_thresholds)
    spec = options.config.feature_specs[0]
    occurrences = extract_occurrences(part.texts, spec)
    targets = _category_targets(part)

    reports, timings = {}, {}
    for label, sets in (("each folder alone", None), (f"{args.sets} sets", args.sets)):
        config = replace(options.config, source_holdout="folder", source_holdout_sets=sets)
        started = time.perf_counter()
        reports[label] = _across_sources(part, occurrences, spec, c_value, config, targets, medium, category_thresholds,
                                         lambda message: None, jobs=args.jobs)
        timings[label] = time.perf_counter() - started
    alone, in_sets = reports["each folder alone"], reports[f"{args.sets} sets"]
    # rows each fit trains on, on average (groups reaching into the held-out rows leave with them)
    from adcheck.training import source_sets

    units = np.asarray([Path(f).parent.name for f in part.files])
    trained = {}
    for label, sets in (("each folder alone", None), (f"{args.sets} sets", args.sets)):
        sizes = []
        for _, held in source_sets(units, sorted(set(units.tolist())), sets):
            out = np.isin(units, held)
            sizes.append(int((~out & ~np.isin(part.groups, part.groups[out])).sum()))
        trained[label] = float(np.mean(sizes))
    langs = [lang for lang in ("en", "ko", "mixed") if lang in alone.get("by_language", {})]
    rows = [("ROC-AUC, all", alone["overall"]["roc_auc"], in_sets["overall"]["roc_auc"])]
    rows += [(f"ROC-AUC, {lang}", alone["by_language"][lang]["roc_auc"], in_sets["by_language"][lang]["roc_auc"]) for lang in langs]
    rows += [("F1 at the medium band, all", alone["overall"]["f1"], in_sets["overall"]["f1"])]
    rows += [(f"F1 at the medium band, {lang}", alone["by_language"][lang]["f1"], in_sets["by_language"][lang]["f1"]) for lang in langs]
    rows += [("Category macro-F1, end to end", alone.get("category_macro_f1"), in_sets.get("category_macro_f1")),
             ("Category macro-F1, given misleading", alone["category_given_misleading"]["macro_f1"],
              in_sets["category_given_misleading"]["macro_f1"])]
    moves = [in_sets["by_source"][name]["roc_auc"] - m["roc_auc"] for name, m in alone["by_source"].items()
             if m.get("roc_auc") is not None and in_sets["by_source"].get(name, {}).get("roc_auc") is not None]
    lines = [
        (f"{len(part)} texts from {len(chosen)} of the corpus's {len(names)} folders; the shipped recipe's features and "
         f"C {c_value:g}, the risk head and every category head, judged at the shipped model's thresholds; "
         f"{args.jobs} workers on {os.cpu_count()} cores."),
        "",
        f"| | each folder alone | {args.sets} sets |",
        "|---|---|---|",
        f"| models fitted | {len(chosen)} | {args.sets} |",
        f"| rows each model trains on (mean) | {trained['each folder alone']:,.0f} | {trained[f'{args.sets} sets']:,.0f} |",
        f"| hold-out time | {timings['each folder alone']:.1f} s | {timings[f'{args.sets} sets']:.1f} s "
        f"({timings['each folder alone'] / timings[f'{args.sets} sets']:.2f}x faster) |",
        *[f"| {name} | {_fmt(a)} | {_fmt(b)} |" for name, a, b in rows],
        "",
        (f"Each folder's ROC-AUC, sets minus alone: mean {np.mean(moves):+.4f}, median {np.median(moves):+.4f}, "
         f"largest fall {min(moves):+.4f}, largest rise {max(moves):+.4f} ({len(moves)} folders)."),
        "",
        ("The time ratio can exceed the ratio of fits: a set's model also trains on fewer rows. The two runs "
         "follow each other in one process, so other work on the machine can tilt the ratio; repeat it for a firmer figure."),
        "",
        f"Command: `python benchmarks/source_sets.py --folders {args.folders} --sets {args.sets} --jobs {args.jobs}`",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("source-sets", "Held-out sources in sets (`adcheck train --source-sets`)", body)


if __name__ == "__main__":
    main()
