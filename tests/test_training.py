import numpy as np
import pytest

from adcheck.errors import InputDataError, TrainingError
from adcheck.readers import LabeledData
from adcheck.training import TrainConfig, grouped_folds, train


def _data(rows):
    return LabeledData(
        texts=[r["text"] for r in rows],
        labels=np.asarray([r["label"] == "misleading" for r in rows]),
        groups=np.asarray([r["group"] for r in rows]),
        languages=np.asarray([r["lang"] for r in rows]),
        categories=[[c for c in r["categories"].split(";") if c] for r in rows],
    )


def test_grouped_folds_never_split_a_group(sample_rows):
    data = _data(sample_rows)
    for train_rows, test_rows in grouped_folds(data.labels, data.groups, 5, 1):
        assert not set(data.groups[train_rows]) & set(data.groups[test_rows])


def test_training_is_deterministic(sample_rows):
    data = _data(sample_rows[:300])
    config = TrainConfig(c_values=(4.0,), n_folds=3, seed=3)
    first = train(data, config).model
    second = train(data, config).model
    texts = [r["text"] for r in sample_rows[300:360]]
    assert np.array_equal(first.predict_proba(texts), second.predict_proba(texts))
    assert first.band_thresholds == second.band_thresholds


def test_bands_are_ordered_and_cv_report_has_slices(tiny_model):
    meta = tiny_model.metadata
    bands = meta["thresholds"]["bands"]
    assert 0 < bands["medium"] <= bands["high"] < 1
    report = meta["cv"]["report"]
    assert set(report["by_language"]) >= {"ko", "en"}
    assert "category_macro_f1" in report
    assert all(c["C"] in (4.0, 16.0) for c in meta["cv"]["candidates"])


def test_one_class_is_refused(sample_rows):
    rows = [r for r in sample_rows if r["label"] == "acceptable"][:50]
    with pytest.raises(TrainingError, match="one class"):
        train(_data(rows))


def test_one_class_file_is_refused_by_the_reader(tmp_path):
    from adcheck.readers import load_labeled

    path = tmp_path / "one.csv"
    path.write_text("text,label\nhello,misleading\nworld,misleading\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="one class"):
        load_labeled([path], negative=["acceptable"])


def test_nb_scaling_is_folded_into_the_weights(sample_rows):
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    from adcheck.features import FeatureSpec, Vocabulary, extract_occurrences
    from adcheck.training import _fit_head, log_count_ratio

    data = _data(sample_rows)
    occurrences = extract_occurrences(data.texts, FeatureSpec())
    matrix = Vocabulary.fit(occurrences, FeatureSpec()).transform(occurrences)
    y = data.labels.astype(bool)
    ratio = log_count_ratio(matrix, y, 1.0)
    present = (matrix > 0).toarray()
    # a feature seen only in misleading rows leans positive, one seen only in acceptable rows negative
    assert (ratio[present[y].any(axis=0) & ~present[~y].any(axis=0)] > 0).all()
    assert (ratio[~present[y].any(axis=0) & present[~y].any(axis=0)] < 0).all()
    head = _fit_head(matrix, y, 4.0, 13, nb_alpha=1.0)
    scaled = LogisticRegression(C=4.0, solver="liblinear", random_state=13, max_iter=2000).fit(matrix @ sparse.diags(ratio), y.astype(int))
    # the stored weights are the scaled model's, folded: x·(r∘w) + b == (x∘r)·w + b (float32 storage)
    assert np.allclose(head.decision(matrix), scaled.decision_function(matrix @ sparse.diags(ratio)), atol=1e-4)
    assert not np.allclose(head.coef, _fit_head(matrix, y, 4.0, 13).coef)


def test_nb_alpha_is_recorded_and_reused_by_retrain(sample_rows):
    from adcheck.retrain import _config_from_metadata

    result = train(_data(sample_rows), TrainConfig(c_values=(4.0,), n_folds=3, nb_alpha=0.5))
    assert result.chosen["nb_alpha"] == 0.5
    meta = {"hyperparameters": {**result.chosen, "search": TrainConfig(c_values=(4.0,), n_folds=3, nb_alpha=0.5).to_dict()}}
    assert _config_from_metadata(meta).nb_alpha == 0.5
    del meta["hyperparameters"]["search"]["nb_alpha"]  # a model trained before the option existed
    assert _config_from_metadata(meta).nb_alpha is None
