"""The shipped recipe against the scikit-learn pipeline of benchmarks/batch_scoring.py, on our corpus.

Risk head only, two protocols: grouped 5-fold CV (the model card's) and holding out each corpus
folder in turn (one writer's batch; groups that reach into it leave training too). ROC-AUC per
language. adcheck: the features, C 8 and NB scaling of training/default.toml. scikit-learn: word
1-2-gram and char_wb 2-4-gram TF-IDF (min_df 2, punctuation and case kept), logistic regression C 16.

    python benchmarks/recipe_vs_sklearn.py        (about 6 minutes on 2 cores)
"""
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline, make_union

from adcheck.features import Vocabulary, extract_occurrences
from adcheck.training import _fit_head, _sigmoid, grouped_folds
from shipped_recipe import load_recipe  # benchmarks/ is the script's folder

o, d, _ = load_recipe()
y = d.labels.astype(bool); langs = np.asarray(d.languages); texts = np.asarray(d.texts, dtype=object)
src = np.asarray([Path(f).parent.name for f in d.files]); spec = o.config.feature_specs[0]; occ = extract_occurrences(d.texts, spec)
def sk():
    return make_pipeline(make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2)), LogisticRegression(C=16, solver="liblinear"))
for scheme in ("grouped", "lofo"):
    A = np.zeros(len(y)); B = np.zeros(len(y))
    splits = grouped_folds(y, d.groups, 5, 13) if scheme == "grouped" else [
        (np.flatnonzero((src != n) & ~np.isin(d.groups, d.groups[src == n])), np.flatnonzero(src == n)) for n in sorted(set(src))]
    for tr, te in splits:
        m = Vocabulary.fit(occ, spec, rows=tr).transform(occ)
        A[te] = _sigmoid(_fit_head(m[tr], y[tr], 8.0, 13, 1.0).decision(m[te]))
        B[te] = sk().fit(list(texts[tr]), y[tr]).predict_proba(list(texts[te]))[:, 1]
    print(scheme, " | ".join(f"{l or 'all'} adcheck {roc_auc_score(y[s], A[s]):.4f} sklearn {roc_auc_score(y[s], B[s]):.4f}"
          for l in ["en", "ko", "mixed", None] for s in [(langs == l) if l else np.ones(len(y), bool)]), flush=True)
