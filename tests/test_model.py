import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adcheck.model import reference_risk
from adcheck.results import BANDS


def test_batch_path_equals_reference_computation(tiny_model, sample_rows):
    texts = [r["text"] for r in sample_rows[:150]] + ["", "   ", "최 고 의 제품 ＮＯ．１", "x" * 5000]
    fast = tiny_model.predict_proba(texts)
    for text, value in zip(texts, fast):
        assert abs(value - reference_risk(tiny_model, text)) < 1e-9


def test_score_fields(tiny_model):
    result = tiny_model.score(["오늘만 90% 할인! 100% 효과 보장"])[0]
    assert 0.0 <= result.risk <= 1.0
    assert result.band in BANDS
    assert result.flagged == (result.risk >= result.threshold)
    assert set(result.band_thresholds) == {"high", "medium"}
    assert result.model_id == tiny_model.model_id
    data = result.to_dict()
    assert data["schema_version"] == 1 and data["model_id"]
    for category in result.categories:
        assert category.probability >= category.threshold


texts = st.lists(st.text(max_size=300), max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts)
def test_scoring_never_raises_keeps_order_and_batches_equal_singles(tiny_model, items):
    batch = tiny_model.score(items)
    assert [r.text for r in batch] == items
    singles = [tiny_model.score([t])[0] for t in items]
    for a, b in zip(batch, singles):
        assert math.isclose(a.risk, b.risk, abs_tol=1e-9)
        assert a.evidence == b.evidence
        for e in a.evidence:
            assert 0 <= e.start < e.end <= len(a.text)
            assert a.text[e.start : e.end] == e.text


def test_small_batches_equal_one_large_batch(tiny_model, sample_rows):
    items = [r["text"] for r in sample_rows[:64]]
    big = [r.risk for r in tiny_model.score(items, batch_size=64)]
    small = [r.risk for r in tiny_model.score(items, batch_size=5)]
    assert np.allclose(big, small, atol=1e-12)


def test_threshold_override_changes_flag_not_band(tiny_model):
    default = tiny_model.score(["Free returns within 30 days"])[0]
    strict = tiny_model.score(["Free returns within 30 days"], threshold=1.0)[0]
    assert strict.band == default.band and strict.risk == default.risk
    assert strict.flagged is False and strict.threshold == 1.0


def test_score_rows_hold_the_same_values_as_score(tiny_model, sample_rows):
    texts = [r["text"] for r in sample_rows[:120]] + ["", "최 고 ＮＯ．１"]
    rows = tiny_model.score_rows(texts, explain=3, threshold=0.4)
    for result, (risk, band, flagged, categories, evidence) in zip(tiny_model.score(texts, explain=3, threshold=0.4), rows):
        assert (risk, band, flagged) == (result.risk, result.band, result.flagged)
        assert categories == ";".join(f"{c.code}:{c.probability:.4f}" for c in result.categories)
        assert evidence == " | ".join(f"{e.text} [{e.start}:{e.end}] {e.contribution:+.3f}" for e in result.evidence)
