"""Does a change to the feature spec pay? The shipped recipe against the same recipe with some spec
fields changed, on grouped cross-validation, in one process.

    python benchmarks/feature_variant.py --set word_ngram_max=2 [--set body_ngram_max=1] [--jobs 2]

For the shipped spec (training/default.toml's [[features]]) and the variant, on the recipe's grouped
folds (twins never straddle a fold), at the C in the shipped model's metadata
(adcheck/default_model/metadata.json):

- the risk head's ROC-AUC and F1 at the F1-best threshold, per language and overall;
- category macro-F1 end to end (risk x head fitted on the misleading texts, each category's threshold
  chosen for F1 on its own out-of-fold values, as training does; a little optimistic, alike for both);
- features kept by each recipe's fold-1 vocabulary, the size of the model file those features would
  make (float32 risk head and IDF, float16 category heads, zlib 6), and the compiled kernel's
  throughput with each fold-1 model on the corpus (best of three alternating runs), with ratios:
  the risk head alone (`predict_proba`) and full scoring with every head (`score_rows`, no
  explanations), as `adcheck score` computes it.

With --section NAME the table is also written to benchmarks/README.md between
`<!-- NAME:start -->` and `<!-- NAME:end -->`.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
from readme_section import write_section  # benchmarks/ is the script's folder
from shipped_recipe import best_f1, load_recipe
from sklearn.metrics import f1_score, roc_auc_score

from adcheck.artifacts import _model_payload
from adcheck.evaluation import threshold_for_f1
from adcheck.features import FeatureSpec, Vocabulary, extract_occurrences
from adcheck.model import AdModel
from adcheck.training import _category_targets, _fit_category_head, _fit_head, _in_order, _sigmoid, grouped_folds


def _parse_set(value: str) -> tuple[str, int | str]:
    key, sep, raw = value.partition("=")
    if not sep or key not in {f.name for f in dataclasses.fields(FeatureSpec)}:
        raise argparse.ArgumentTypeError(f"expected FIELD=VALUE with a FeatureSpec field, got {value!r}")
    return key, int(raw) if raw.lstrip("-").isdigit() else raw


def _file_bytes(model: AdModel) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.joblib"
        joblib.dump(_model_payload(model), path, compress=("zlib", 6))
        return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="changes", type=_parse_set, action="append", required=True, metavar="FIELD=VALUE")
    parser.add_argument("--jobs", type=int, default=2, help="folds computed side by side (forked processes)")
    parser.add_argument("--section", help="also write the table to this section of benchmarks/README.md")
    args = parser.parse_args()

    options, data, shipped_c = load_recipe()
    config = options.config
    shipped = config.feature_specs[0]
    variant = dataclasses.replace(shipped, **dict(args.changes))
    variant.validate()
    if variant == shipped:
        parser.error(f"the variant is the shipped spec itself ({shipped}); change a field to another value")
    specs = {"shipped": shipped, "variant": variant}
    texts = list(data.texts)
    y = data.labels.astype(bool)
    languages = np.asarray(data.languages)
    targets = _category_targets(data)
    folds = grouped_folds(y, data.groups, config.n_folds, config.seed)
    started = time.perf_counter()

    out_of_fold: dict[str, dict[str, np.ndarray]] = {}
    fold_models: dict[str, AdModel] = {}
    for name, spec in specs.items():
        occurrences = extract_occurrences(texts, spec)

        def fold_values(fold, spec=spec, occurrences=occurrences):
            train_rows, test_rows = fold
            vocabulary = Vocabulary.fit(occurrences, spec, rows=train_rows)
            matrix = vocabulary.transform(occurrences)
            risk = _fit_head(matrix[train_rows], y[train_rows], shipped_c, config.seed, config.nb_alpha)
            positive_rows = train_rows[y[train_rows]]
            # as training does, a category that the fold's misleading texts all carry, or none, has no head
            heads = {code: _fit_category_head(matrix[positive_rows], target[positive_rows], shipped_c, config)
                     for code, target in targets.items() if 0 < target[positive_rows].sum() < len(positive_rows)}
            values = {"risk": _sigmoid(risk.decision(matrix[test_rows]))}
            values.update({code: _sigmoid(head.decision(matrix[test_rows])) for code, head in heads.items()})
            values.update({code: np.zeros(len(test_rows)) for code in targets if code not in heads})
            return values, AdModel(vocabulary, risk, heads, {"high": 0.5, "medium": 0.3}, {code: 0.5 for code in heads})

        columns: dict[str, np.ndarray] = {}
        for number, ((_, test_rows), (values, model)) in enumerate(zip(folds, _in_order(fold_values, folds, args.jobs, processes=True)), 1):
            for key, column in values.items():
                columns.setdefault(key, np.zeros(len(y)))[test_rows] = column
            if number == 1:
                fold_models[name] = model
            print(f"{name}: fold {number} of {len(folds)} done ({time.perf_counter() - started:.0f} s)", flush=True)
        out_of_fold[name] = columns

    changes = ", ".join(f"{key} = {value}" for key, value in args.changes)
    lines = [
        f"{len(texts)} texts, {config.n_folds}-fold grouped CV at the shipped model's C ({shipped_c:g}); the shipped spec against "
        f"the same spec with {changes}.",
        "",
        "| texts | n | ROC-AUC shipped | ROC-AUC variant | F1-best shipped | F1-best variant |",
        "|---|---|---|---|---|---|",
    ]
    for label in ("en", "ko", "mixed", "all"):
        mask = np.ones(len(y), dtype=bool) if label == "all" else languages == label
        auc = {name: roc_auc_score(y[mask], out_of_fold[name]["risk"][mask]) for name in specs}
        f1 = {name: best_f1(y[mask], out_of_fold[name]["risk"][mask]) for name in specs}
        lines.append(f"| {label} | {int(mask.sum())} | {auc['shipped']:.4f} | {auc['variant']:.4f} | {f1['shipped']:.3f} | {f1['variant']:.3f} |")

    macro = {}
    for name in specs:
        risk = out_of_fold[name]["risk"]
        per = [f1_score(target, risk * out_of_fold[name][code] >= threshold_for_f1(target, risk * out_of_fold[name][code]))
               for code, target in targets.items()]
        macro[name] = float(np.mean(per))
    lines += ["", f"Category macro-F1 end to end: shipped {macro['shipped']:.4f}, variant {macro['variant']:.4f}."]

    timings = {"risk": lambda model: model.predict_proba(texts), "full": lambda model: model.score_rows(texts, explain=0)}
    seconds: dict[tuple[str, str], list[float]] = {(name, kind): [] for name in specs for kind in timings}
    for _ in range(3):  # alternate, so drift on a shared machine hits both alike
        for name, model in fold_models.items():
            model.predict_proba(texts[:2000])  # warm the tables
            for kind, run in timings.items():
                tick = time.perf_counter()
                run(model)
                seconds[name, kind].append(time.perf_counter() - tick)
    rate = {key: len(texts) / min(values) for key, values in seconds.items()}
    features = {name: model.vocabulary.n_features for name, model in fold_models.items()}
    size = {name: _file_bytes(model) for name, model in fold_models.items()}
    lines += [
        "",
        (
            f"Fold-1 models: features {features['shipped']:,} shipped, {features['variant']:,} variant "
            f"({features['variant'] / features['shipped']:.2f}x); model file {size['shipped'] / 2**20:.1f} MiB and "
            f"{size['variant'] / 2**20:.1f} MiB ({size['variant'] / size['shipped']:.2f}x). Scoring the corpus (compiled kernel, "
            f"best of 3), every head: {rate['shipped', 'full']:,.0f} and {rate['variant', 'full']:,.0f} texts/s "
            f"({rate['variant', 'full'] / rate['shipped', 'full']:.2f}x); risk head alone: {rate['shipped', 'risk']:,.0f} and "
            f"{rate['variant', 'risk']:,.0f} texts/s ({rate['variant', 'risk'] / rate['shipped', 'risk']:.2f}x)."
        ),
        "",
        f"Command: `python benchmarks/feature_variant.py {' '.join(f'--set {k}={v}' for k, v in args.changes)} --jobs {args.jobs}` "
        f"({time.perf_counter() - started:.0f} s).",
    ]
    body = "\n".join(lines)
    print(body)
    if args.section:
        write_section(args.section, f"Feature spec variant: {changes}", body)


if __name__ == "__main__":
    main()
