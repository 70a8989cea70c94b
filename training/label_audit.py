"""Which corpus rows does the model, never having seen them, read most against their labels?

Fits the shipped recipe (training/default.toml, the shipped model's C) on the recipe's grouped folds
and scores every row out of fold: the risk head, and for misleading rows the category heads
(P(category | misleading), as the model card's second view). It then writes, for a blind re-label:

- `candidates.jsonl`: the rows it disagrees with most. An acceptable row with risk >= --risk-high,
  a misleading row with risk <= --risk-low, a misleading row with a labelled category below
  --cat-low, or one without a category that reaches --cat-high. At most --per-kind rows of each kind
  (--take KIND=N for one kind), the strongest disagreements first; rows in the --skip files (an
  earlier audit's) are left out.
- `controls.jsonl`: rows drawn at random from those that passed no cut, so that labellers'
  disagreement with the corpus on the candidates can be set against the base rate.
- `blind.jsonl`: candidates and controls shuffled together with id, text, lang, channel and domain
  only: the one file to give the labellers.

The first two hold each row as the corpus has it (id, file, label, categories, ...) and the
out-of-fold values; the labellers must not see them. A disagreement by the model is not a label
error; only the blind re-label decides, against the guideline, and any change is recorded in the
data card.

    python training/label_audit.py --out /tmp/audit [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from shipped_recipe import recipe_folds  # noqa: E402

from adcheck.atomic import write_text_atomic  # noqa: E402
from adcheck.features import Vocabulary, extract_occurrences  # noqa: E402
from adcheck.training import _category_predictions, _fit_head, _in_order, _sigmoid  # noqa: E402


def _corpus_rows(files: np.ndarray) -> dict[tuple[str, str], dict]:
    """Every corpus row keyed by (file, text), as written."""
    rows = {}
    for name in sorted(set(files.tolist())):
        with open(name, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    row = json.loads(line)
                    rows[(name, row["text"])] = row
    return rows


BLIND_KEYS = ("id", "text", "lang", "channel", "domain")
KINDS = ("acceptable_read_misleading", "misleading_read_acceptable", "category_missed", "category_added")


@dataclass
class Picked:
    """What `pick_candidates` chose: row index -> the kind it was picked for, how many rows of each
    kind passed the cut before the cap, and every row that passed some cut (picked or not), which
    must not serve as a control."""

    kinds: dict[int, str]
    past_the_cut: dict[str, int]
    flagged: set[int] = field(default_factory=set)


def pick_candidates(y: np.ndarray, oof: dict[str, np.ndarray], categories: list[list[str]], codes: list[str],
                    risk_high: float, risk_low: float, cat_low: float, cat_high: float, per_kind: int | dict[str, int],
                    skip: set[int] = frozenset()) -> Picked:
    """The strongest disagreements of each kind, at most `per_kind` of each (one number, or one per
    kind); ties go to the earlier row. A row that qualifies for several kinds is picked for the first
    and does not use up a later kind's places. Rows in `skip` are never picked; a category value that
    is NaN (no head in that fold) never passes a cut."""
    kinds: dict[str, list[tuple[float, int]]] = {kind: [] for kind in KINDS}
    caps = per_kind if isinstance(per_kind, dict) else dict.fromkeys(KINDS, per_kind)
    for i in range(len(y)):
        if i in skip:
            continue
        risk = float(oof["risk"][i])
        if not y[i]:
            if risk >= risk_high:
                kinds["acceptable_read_misleading"].append((risk, i))
            continue
        if risk <= risk_low:
            kinds["misleading_read_acceptable"].append((1 - risk, i))
        labelled = set(categories[i])
        low = [float(oof[code][i]) for code in codes if code in labelled and oof[code][i] <= cat_low]
        high = [float(oof[code][i]) for code in codes if code not in labelled and oof[code][i] >= cat_high]
        if low:
            kinds["category_missed"].append((1 - min(low), i))
        if high:
            kinds["category_added"].append((max(high), i))
    chosen: dict[int, str] = {}
    for kind, items in kinds.items():
        taken = 0
        for _, i in sorted(items, key=lambda item: (-item[0], item[1])):
            if taken >= caps.get(kind, 0):
                break
            if i not in chosen:
                chosen[i] = kind
                taken += 1
    flagged = {i for items in kinds.values() for _, i in items}
    return Picked(chosen, {kind: len(items) for kind, items in kinds.items()}, flagged)


def _write_jsonl(path: Path, rows) -> None:
    """One JSON object per line, written atomically (the file is complete or absent)."""
    write_text_atomic(path, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))


def _skipped_ids(names: list[Path]) -> set[str]:
    """The ids in the --skip files; a missing file or a line without an id is a one-line error."""
    ids: set[str] = set()
    for name in names:
        try:
            with open(name, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if line.strip():
                        row = json.loads(line)
                        if not isinstance(row, dict) or "id" not in row:
                            raise ValueError(f"{name}:{number}: no id")
                        ids.add(row["id"])
        except (OSError, ValueError) as exc:
            raise SystemExit(f"label_audit: --skip {name}: {exc}") from None
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for candidates.jsonl, controls.jsonl and blind.jsonl")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--risk-high", type=float, default=0.85)
    parser.add_argument("--risk-low", type=float, default=0.10)
    parser.add_argument("--cat-low", type=float, default=0.10)
    parser.add_argument("--cat-high", type=float, default=0.90)
    parser.add_argument("--per-kind", type=int, default=150)
    parser.add_argument("--take", action="append", default=[], metavar="KIND=N",
                        help="take N rows of this kind instead of --per-kind (repeatable), e.g. category_missed=300")
    parser.add_argument("--controls", type=int, default=None, help="how many controls (default: as many as candidates)")
    parser.add_argument("--skip", type=Path, action="append", default=[],
                        help="a JSONL file whose rows' ids are never picked (rows an earlier audit already re-labelled)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.per_kind < 0 or (args.controls is not None and args.controls < 0):
        parser.error("--per-kind and --controls must be 0 or more")
    per_kind = {kind: args.per_kind for kind in KINDS}
    for item in args.take:
        kind, _, count = item.partition("=")
        if kind not in KINDS or not count.isdigit():
            parser.error(f"--take wants KIND=N with KIND one of {', '.join(KINDS)}; got {item!r}")
        per_kind[kind] = int(count)
    skipped_ids = _skipped_ids(args.skip)

    config, data, c_value, spec, y, folds, targets = recipe_folds()
    started = time.perf_counter()
    occurrences = extract_occurrences(list(data.texts), spec)

    def fold_values(fold):
        train_rows, test_rows = fold
        matrix = Vocabulary.fit(occurrences, spec, rows=train_rows).transform(occurrences)
        risk = _fit_head(matrix[train_rows], y[train_rows], c_value, config.seed, config.nb_alpha)
        values = {"risk": _sigmoid(risk.decision(matrix[test_rows]))}
        positive_rows = train_rows[y[train_rows]]
        values.update(_category_predictions(matrix, positive_rows, test_rows, targets, c_value, config))
        return values

    oof: dict[str, np.ndarray] = {}
    for number, ((_, test_rows), values) in enumerate(zip(folds, _in_order(fold_values, folds, args.jobs, processes=True)), 1):
        for key, column in values.items():
            oof.setdefault(key, np.full(len(y), np.nan))[test_rows] = column
        print(f"fold {number} of {len(folds)} done ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)

    written = _corpus_rows(data.files)
    codes = list(targets)
    records = []
    for i, text in enumerate(data.texts):
        row = dict(written[(str(data.files[i]), text)])
        row["file"] = str(Path(data.files[i]).relative_to(ROOT)) if Path(data.files[i]).is_absolute() else str(data.files[i])
        row["oof_risk"] = round(float(oof["risk"][i]), 4)
        if y[i]:
            row["oof_categories"] = {code: (round(float(oof[code][i]), 4) if math.isfinite(oof[code][i]) else None)
                                     for code in codes}
        records.append(row)

    skip = {i for i, row in enumerate(records) if row.get("id") in skipped_ids}
    unscored = sum(1 for row in records if None in row.get("oof_categories", {}).values())
    picked = pick_candidates(y, oof, data.categories, codes, args.risk_high, args.risk_low, args.cat_low, args.cat_high,
                             per_kind, skip)
    pool = [i for i in range(len(records)) if i not in picked.kinds and i not in skip and i not in picked.flagged]
    wanted = len(picked.kinds) if args.controls is None else args.controls
    if wanted > len(pool):
        print(f"label_audit: only {len(pool)} rows can serve as controls; taking them all", file=sys.stderr)
    controls = random.Random(args.seed).sample(pool, min(wanted, len(pool)))

    args.out.mkdir(parents=True, exist_ok=True)
    # what the labellers may see: candidates and controls shuffled together, without labels or values
    shown = list(picked.kinds) + controls
    random.Random(args.seed + 1).shuffle(shown)
    _write_jsonl(args.out / "candidates.jsonl", ({**records[i], "audit_kind": kind} for i, kind in picked.kinds.items()))
    _write_jsonl(args.out / "controls.jsonl", ({**records[i], "audit_kind": "control"} for i in controls))
    _write_jsonl(args.out / "blind.jsonl", ({key: records[i].get(key) for key in BLIND_KEYS} for i in shown))
    print(f"{len(records)} rows scored out of fold in {time.perf_counter() - started:.0f} s; "
          + ", ".join(f"{kind}: {count} past the cut" for kind, count in picked.past_the_cut.items())
          + f"; {len(picked.kinds)} candidates and {len(controls)} controls written to {args.out}"
          + f" (blind.jsonl holds them shuffled, with {', '.join(BLIND_KEYS)} only); "
          + f"{len(skip)} rows skipped, {len(skipped_ids) - len(skip)} --skip ids not in the corpus"
          + (f"; {unscored} misleading rows lack a category value (no head in their fold)" if unscored else ""),
          file=sys.stderr)


if __name__ == "__main__":
    main()
