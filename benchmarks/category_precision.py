"""What does storing the category heads as float16 cost? A model's float32 heads against the same
heads rounded to float16, on the corpus texts, in one process.

Training rounds the category heads to float16 and the risk head to float32 (adcheck/training.py,
`_fit_category_head`). This script takes a model folder whose category heads are float32 (one
trained before that change, e.g. the shipped model of commit 1e6716b) and prints:

- how far the rounding moves each category's probability (largest and mean change) over the
  corpus texts, and how many flag decisions at the model's category thresholds change;
- the model file's size and load time with each precision (zlib 6, as `save_model` writes), and
  their ratios.

    git worktree add /tmp/m1e67 1e6716b
    python benchmarks/category_precision.py /tmp/m1e67/adcheck/default_model [--every 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np

from shipped_recipe import load_recipe  # benchmarks/ is the script's folder

from adcheck import load_model
from adcheck.artifacts import _model_payload
from adcheck.model import LinearHead


def _size_and_load(payload: dict, folder: Path, name: str) -> tuple[int, float]:
    path = folder / name
    joblib.dump(payload, path, compress=("zlib", 6))
    times = []
    for _ in range(3):
        started = time.perf_counter()
        joblib.load(path)
        times.append(time.perf_counter() - started)
    return path.stat().st_size, min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="a model folder with float32 category heads")
    parser.add_argument("--every", type=int, default=3, help="score every n-th corpus text (default 3)")
    args = parser.parse_args()

    model = load_model(args.model)
    coef = np.stack([head.coef for head in model.category_heads.values()])
    if np.array_equal(coef.astype(np.float16).astype(np.float64), coef):
        raise SystemExit(f"{args.model}: its category heads are float16 already; pass a model trained before the change")
    half = dataclasses.replace(model, category_heads={
        code: LinearHead(head.coef.astype(np.float16).astype(np.float64), head.intercept)
        for code, head in model.category_heads.items()
    })

    texts = list(load_recipe()[1].texts)[:: args.every]  # the corpus training/default.toml names
    started = time.perf_counter()
    full_p = model.category_proba(texts)
    half_p = half.category_proba(texts)
    print(f"{model.model_id}: {model.vocabulary.n_features:,} features, {len(texts):,} corpus texts "
          f"(1 in {args.every}), scored twice in {time.perf_counter() - started:.1f} s")
    print("| category | largest change | mean change | decisions changed at its threshold |")
    print("|---|---|---|---|")
    for code in full_p:
        change = np.abs(full_p[code] - half_p[code])
        threshold = model.category_thresholds[code]
        flips = int(((full_p[code] >= threshold) != (half_p[code] >= threshold)).sum())
        print(f"| {code} | {change.max():.6f} | {change.mean():.7f} | {flips} |")

    with tempfile.TemporaryDirectory() as tmp:
        full_payload = _model_payload(model)
        half_payload = dict(full_payload, category_coef=full_payload["category_coef"].astype(np.float16))
        full_bytes, full_load = _size_and_load(full_payload, Path(tmp), "float32.joblib")
        half_bytes, half_load = _size_and_load(half_payload, Path(tmp), "float16.joblib")
    print(f"model file: float32 heads {full_bytes / 2**20:.1f} MiB, float16 heads {half_bytes / 2**20:.1f} MiB "
          f"({half_bytes / full_bytes:.2f}x)")
    print(f"load (joblib, best of 3): float32 heads {full_load:.3f} s, float16 heads {half_load:.3f} s "
          f"({half_load / full_load:.2f}x)")


if __name__ == "__main__":
    main()
