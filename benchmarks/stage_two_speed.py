"""What a second stage (`stage_two = "trees"`) costs at scoring time.

The shipped model is scored as it is and with a second stage added: trees of the size training
fits (adcheck.stage_two.TREE_SETTINGS: 300 rounds of up to 31 leaves), fitted here on the shipped
heads' own values of corpus texts. What the trees learned does not change their cost, so this
measures speed only, never quality (benchmarks/second_stage.py and the model card measure that).
Both are timed in this same process on the same texts, alternating, and printed as ratios:

  risk only      `predict_proba` (with the trees it needs every head, not just the risk head)
  full rows      `score_rows` with three evidence phrases, as `adcheck score --out` writes them

    python benchmarks/stage_two_speed.py [--rows 20000] [--repeats 3]

Writes its section of benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import random
import statistics
import time
from pathlib import Path

import numpy as np
from readme_section import write_section  # benchmarks/ is the script's folder, so on sys.path

from adcheck import fastpath, load_model
from adcheck.stage_two import fit_stage_two, layout_signals, stage_two_inputs

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="corpus texts to score (default 20000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each, alternating (default 3)")
    args = parser.parse_args()

    rows = []
    for path in sorted(glob.glob(str(ROOT / "training" / "data" / "corpus" / "**" / "*.jsonl"), recursive=True)):
        with open(path, encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    random.Random(1).shuffle(rows)
    texts = [row["text"] for row in rows[: args.rows]]
    labels = np.asarray([row["label"] == "misleading" for row in rows[: args.rows]])

    plain = load_model()
    risk_z, category_z, _ = plain._head_decisions(texts, 0)
    trees = fit_stage_two(stage_two_inputs(risk_z, list(category_z.values()), texts), labels, 13, list(plain.category_heads))
    staged = dataclasses.replace(plain, stage_two=trees)

    timings: dict[str, list[float]] = {}
    work = {
        "risk only": lambda model: model.predict_proba(texts),
        "full rows": lambda model: model.score_rows(texts, explain=3),
    }
    for model in (plain, staged):  # warm the kernel's tables
        model.predict_proba(texts[:2000])
    for _ in range(args.repeats):
        for name, run in work.items():
            for label, model in (("head", plain), ("trees", staged)):
                started = time.perf_counter()
                run(model)
                timings.setdefault(f"{name}/{label}", []).append(time.perf_counter() - started)
    started = time.perf_counter()
    layout_signals(texts)
    layout_seconds = time.perf_counter() - started
    inputs = stage_two_inputs(risk_z, list(category_z.values()), texts)
    started = time.perf_counter()
    trees.raw(inputs)
    tree_seconds = time.perf_counter() - started

    lines = [
        (f"{len(texts):,} corpus texts, {plain.model_id} with and without {trees.n_trees} trees ({len(trees.leaf):,} nodes); "
         f"{'C kernel' if fastpath.available() else 'NumPy path'}; median of {args.repeats} alternating runs, one core."),
        "",
        "| scoring | risk head alone | with the second stage | time ratio |",
        "|---|---|---|---|",
    ]
    for name in work:
        head, with_trees = statistics.median(timings[f"{name}/head"]), statistics.median(timings[f"{name}/trees"])
        lines.append(f"| {name} | {len(texts) / head:,.0f} texts/s | {len(texts) / with_trees:,.0f} texts/s | {with_trees / head:.2f}x |")
    lines += [
        "",
        (f"Of the added time: the layout signals {layout_seconds / len(texts) * 1e6:.1f} µs per text, the trees "
         f"{tree_seconds / len(texts) * 1e6:.1f} µs per text (one run each)."),
        "",
        "Command: `python benchmarks/stage_two_speed.py`",
    ]
    section = "\n".join(lines)
    print(section)
    write_section("stage-two-speed", "What the second stage costs at scoring time", section)


if __name__ == "__main__":
    main()
