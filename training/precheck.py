"""Before retraining the shipped model, check in a few minutes that the corpus as it stands still
passes the shipped model's behaviour tests (tests/test_default_model.py).

`adcheck train --config training/default.toml` takes well over an hour on two cores: it chooses C
by grouped cross-validation, holds out each corpus folder in turn, and sets the band thresholds from
the out-of-fold values. The risk head it ships is then a single fit on every row at the chosen C.
This script makes that same final fit for each C given and runs the behaviour tests against it:

- the risk of every text is exactly what the retrained model will give, if it chooses that C;
- the band thresholds are the shipped model's (a retrain moves them a little: the medium band
  went from 0.291 to 0.287 between two of them), so a text within a few hundredths of a
  threshold is reported as close, and should be treated as a warning.

    python training/precheck.py              # the shipped model's C and its neighbours in the grid
    python training/precheck.py --c 8 --c 16

Exit 0 when every test passes at every C, 1 when one fails, 2 with a one-line error on bad input
(an unreadable config or corpus, a missing or tampered model). Category heads are not fitted, so the
tests that read categories or the model files are not run here.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests" / "test_default_model.py"
# the tests of tests/test_default_model.py that need only the risk head and the band thresholds
BEHAVIOUR_TESTS = (
    "test_default_model_separates_clear_cases",
    "test_default_model_reads_claims_not_punctuation",
    "test_default_model_reads_the_footnote_under_the_same_headline",
    "test_default_model_leaves_plain_listings_low",
)
CLOSE = 0.03  # a risk this near a band threshold is reported as close


def load_tests(path: Path = TESTS):
    spec = importlib.util.spec_from_file_location("precheck_default_model_tests", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"error: cannot read {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    missing = [name for name in BEHAVIOUR_TESTS if not hasattr(module, name)]
    if missing:
        raise SystemExit(f"error: {path.name} has no {', '.join(missing)}; update BEHAVIOUR_TESTS in {Path(__file__).name}")
    return module


def test_texts(module) -> list[str]:
    """Every text in the test module's module-level lists (and lists of pairs)."""
    texts: list[str] = []
    for value in vars(module).values():
        if isinstance(value, list):
            for item in value:
                texts.extend(x for x in (item if isinstance(item, tuple) else (item,)) if isinstance(x, str))
    return list(dict.fromkeys(texts))


def default_c_values(grid: tuple[float, ...], shipped_c: float) -> list[float]:
    """The shipped C and its neighbours in the config's grid."""
    values = sorted(grid)
    if shipped_c not in values:
        return values
    i = values.index(shipped_c)
    return values[max(i - 1, 0): i + 2]


def run_tests(module, model) -> dict[str, str | None]:
    """Run each behaviour test with `load_model` returning `model`: None when it passes, else the
    assertion's message."""
    module.load_model = lambda *args, **kwargs: model
    outcome: dict[str, str | None] = {}
    for name in BEHAVIOUR_TESTS:
        test: Callable[[], None] = getattr(module, name)
        try:
            test()
            outcome[name] = None
        except AssertionError as exc:
            outcome[name] = str(exc)[:300] or "assertion failed"
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "training" / "default.toml")
    parser.add_argument("--c", type=float, action="append", help="C to fit (repeatable); default: the shipped C and its neighbours")
    parser.add_argument("--model", type=Path, default=ROOT / "adcheck" / "default_model", help="where the band thresholds come from")
    args = parser.parse_args(argv)

    from adcheck.artifacts import verify_model_dir
    from adcheck.features import Vocabulary, extract_occurrences
    from adcheck.model import AdModel
    from adcheck.readers import load_labeled
    from adcheck.training import _fit_head, _sigmoid
    from adcheck.training_config import resolve_training_options

    meta = verify_model_dir(args.model)  # the one-line ModelFileError for a missing or tampered model
    thresholds = {band: float(value) for band, value in meta["thresholds"]["bands"].items()}
    options = resolve_training_options(
        config=args.config, data=None, out=None, text_col="text", label_col="label", positive=None, negative=None,
        group_col=None, categories_col="categories", lang_col="lang", name=None, seed=None, folds=None, c_values=None,
    )
    config = options.config
    if len(config.feature_specs) != 1:
        raise SystemExit("error: the config tries several feature tables; precheck fits one (the shipped recipe has one)")
    c_values = args.c or default_c_values(tuple(config.c_values), float(meta["hyperparameters"]["C"]))
    data = load_labeled(options.data, text_col=options.text_col, label_col=options.label_col, positive=options.positive,
                        negative=options.negative, group_col=options.group_col, categories_col=options.categories_col,
                        lang_col=options.lang_col)
    module = load_tests()
    texts = test_texts(module)
    spec = config.feature_specs[0]
    print(f"{len(data)} rows; band thresholds of {meta['model_id']}: medium {thresholds['medium']:.3f}, "
          f"high {thresholds['high']:.3f}", file=sys.stderr)
    occurrences = extract_occurrences(data.texts, spec)
    vocabulary = Vocabulary.fit(occurrences, spec)
    matrix = vocabulary.transform(occurrences)
    probes = vocabulary.transform(extract_occurrences(texts, spec))
    y = data.labels.astype(bool)

    failed = False
    for c_value in c_values:
        head = _fit_head(matrix, y, c_value, config.seed, config.nb_alpha)
        model = AdModel(vocabulary, head, {}, thresholds, {})
        risks = _sigmoid(head.decision(probes))
        close = [(text, risk) for text, risk in zip(texts, risks)
                 if min(abs(risk - thresholds["medium"]), abs(risk - thresholds["high"])) < CLOSE]
        outcome = run_tests(module, model)
        print(f"C={c_value:g}")
        for name, message in outcome.items():
            print(f"  {'PASS' if message is None else 'FAIL'} {name}" + ("" if message is None else f": {message}"))
            failed |= message is not None
        for text, risk in close:
            print(f"  close to a band threshold: {risk:.3f} {' / '.join(text.splitlines())[:90]!r}")
        print(f"  risks: min {np.min(risks):.3f}, max {np.max(risks):.3f} over {len(texts)} test texts")
    return 1 if failed else 0


if __name__ == "__main__":
    from adcheck.errors import AdcheckError

    try:
        sys.exit(main())
    except AdcheckError as exc:  # bad config, unreadable corpus, missing or tampered model: one line
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
