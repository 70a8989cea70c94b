"""The second stage: boosted trees over the heads' scores, stored as arrays, equal on every path."""

import dataclasses
import json
import shutil

import joblib
import numpy as np
import pytest

from adcheck import load_model
from adcheck.artifacts import save_model
from adcheck.errors import ModelFileError
from adcheck.model import reference_risk
from adcheck.stage_two import LAYOUT_SIGNALS, TreeEnsemble, fit_trees, layout_signals, stage_two_inputs

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.RandomState(0)
    inputs = rng.randn(3000, 6)
    y = (inputs[:, 0] + inputs[:, 1] ** 2 + 0.5 * rng.randn(3000) > 1).astype(int)
    trees = fit_trees(inputs, y, 13)
    return trees, TreeEnsemble.from_sklearn(trees, [f"x{i}" for i in range(6)]), rng.randn(500, 6)


def test_flat_trees_give_exactly_scikit_learns_log_odds_on_every_path(fitted):
    trees, ensemble, inputs = fitted
    expected = trees.decision_function(inputs)
    assert np.array_equal(ensemble.raw(inputs), expected)
    assert np.array_equal(ensemble.raw(inputs, use_compiled=False), expected)
    assert all(ensemble.raw_one(row) == value for row, value in zip(inputs[:50], expected[:50]))
    assert ensemble.n_trees == trees.n_iter_ == 300


def test_payload_round_trip_and_broken_trees_are_refused(fitted):
    _, ensemble, inputs = fitted
    again = TreeEnsemble.from_payload(ensemble.to_payload())
    assert np.array_equal(again.raw(inputs), ensemble.raw(inputs))
    inner = int(np.flatnonzero(~ensemble.leaf)[3])
    for change, message in [
        (lambda p: p["left"].__setitem__(inner, inner), "points outside its tree"),  # a loop
        (lambda p: p["right"].__setitem__(inner, len(p["leaf"]) + 5), "points outside its tree"),
        (lambda p: p["feature"].__setitem__(inner, 6), "an input it does not name"),
        (lambda p: p["value"].__setitem__(0, np.nan), "not a finite number"),
        (lambda p: p.__setitem__("threshold", p["threshold"][:-1]), "do not fit together"),
        (lambda p: p.__setitem__("kind", "forest"), "not one this adcheck reads"),
        (lambda p: p.pop("roots"), "broken"),
        (lambda p: p.__setitem__("roots", np.int32(0)), "broken"),  # not flat
        (lambda p: p.__setitem__("left", np.stack([p["left"], p["left"]])), "broken"),
        (lambda p: p.__setitem__("feature", p["feature"].astype(np.int64) + 2**32), "broken"),  # would wrap around
        (lambda p: p.__setitem__("threshold", p["threshold"].astype(str)), "broken"),
    ]:
        payload = {key: (value.copy() if isinstance(value, np.ndarray) else value) for key, value in ensemble.to_payload().items()}
        change(payload)
        with pytest.raises(ModelFileError, match=message):
            TreeEnsemble.from_payload(payload)


def test_the_kernel_refuses_broken_trees_instead_of_reading_past_them(fitted):
    from adcheck import fastpath

    if not fastpath.available():
        pytest.skip("the C kernel was not built")
    _, ensemble, inputs = fitted
    inner = int(np.flatnonzero(~ensemble.leaf)[0])
    for key, value in [("left", inner), ("right", len(ensemble.leaf)), ("feature", 6), ("feature", -1)]:
        broken = dataclasses.replace(ensemble, **{key: getattr(ensemble, key).copy()})
        getattr(broken, key)[inner] = value  # changed after the checks a new ensemble gets
        with pytest.raises(ValueError, match="do not fit their arrays"):
            broken.raw(inputs)
    broken = dataclasses.replace(ensemble, roots=ensemble.roots.copy())
    broken.roots[1] = len(ensemble.leaf)
    with pytest.raises(ValueError, match="do not fit their arrays"):
        broken.raw(inputs)
    with pytest.raises(ValueError, match="do not fit their arrays"):  # a leaf array shorter than the others
        fastpath._fastscore.tree_raw(inputs, 6, ensemble.roots, ensemble.feature, ensemble.threshold, ensemble.left,
                                     ensemble.right, ensemble.leaf[:-1].view(np.uint8), ensemble.value, 0.0, np.empty(len(inputs)))


def test_an_ensemble_is_checked_when_made_and_refuses_missing_inputs(fitted):
    _, ensemble, inputs = fitted
    left = ensemble.left.copy()
    left[int(np.flatnonzero(~ensemble.leaf)[0])] = 0
    with pytest.raises(ValueError, match="points outside its tree"):
        dataclasses.replace(ensemble, left=left)
    with pytest.raises(ValueError, match="not flat arrays of the expected types"):
        dataclasses.replace(ensemble, roots=ensemble.roots.astype(np.int64))
    holed = inputs.copy()
    holed[3, 2] = np.nan
    for compiled in (True, False):
        with pytest.raises(ValueError, match="not a finite number"):
            ensemble.raw(holed, use_compiled=compiled)


def test_layout_signals_read_the_text_alone():
    rows = layout_signals(["첫 줄\n둘째 줄 ₩9,900 (VAT)", "Only 3 left!* $19.99", "", "Price 100 won, no sign"])
    signals = dict(zip(LAYOUT_SIGNALS, rows[0].tolist()))
    assert signals["footnote mark"] == 0 and signals["bracket"] == 1 and signals["line breaks"] == 1
    assert signals["currency beside a number"] == 1 and signals["digit share"] == pytest.approx(4 / 21)
    assert signals["hangul share"] == pytest.approx(5 / 8) and signals["log length"] == pytest.approx(np.log1p(21))
    second = dict(zip(LAYOUT_SIGNALS, rows[1].tolist()))
    assert second["footnote mark"] == 1 and second["currency beside a number"] == 1 and second["hangul share"] == 0
    assert rows[2].tolist() == [0.0] * len(LAYOUT_SIGNALS)
    assert rows[3][LAYOUT_SIGNALS.index("currency beside a number")] == 0  # a number alone is not a price


def test_a_staged_model_scores_the_same_on_every_path(staged_model, sample_rows):
    assert staged_model.stage_two is not None and staged_model.metadata["format_version"] == 4
    texts = [r["text"] for r in sample_rows[:150]] + ["", "🔥 최 고 ＮＯ．１ ₩39,900!!\n*조건 별도", "a" * 3000]
    compiled = staged_model.predict_proba(texts)
    twin = dataclasses.replace(staged_model, use_compiled=False)
    assert np.allclose(compiled, twin.predict_proba(texts), rtol=0, atol=1e-9)
    for text, value in zip(texts[:40] + texts[-3:], list(compiled[:40]) + list(compiled[-3:])):
        assert abs(value - reference_risk(staged_model, text)) < 1e-9
    rows = staged_model.score_rows(texts, explain=3)
    results = staged_model.score(texts, explain=3)
    assert [row[0] for row in rows] == [r.risk for r in results] == np.round(compiled, 6).tolist()
    # the trees give the risk: it is not the risk head's own probability
    head = staged_model._head_decisions(texts, 0)[0]
    assert not np.allclose(compiled, 1 / (1 + np.exp(-head)), atol=1e-3)
    # the evidence is still the risk head's phrases
    assert any(r.evidence for r in results)


def test_a_staged_model_saves_loads_and_records_its_trees(staged_model, staged_model_dir, sample_rows, tmp_path):
    texts = [r["text"] for r in sample_rows[:100]]
    save_model(staged_model, tmp_path / "again", dict(staged_model.metadata))
    again = load_model(tmp_path / "again")
    assert np.array_equal(again.predict_proba(texts), staged_model.predict_proba(texts))
    meta = json.loads((staged_model_dir / "metadata.json").read_text(encoding="utf-8"))
    assert meta["stage_two"]["trees"] == 300 and meta["stage_two"]["inputs"][0] == "risk head"
    assert meta["stage_two"]["inputs"][-len(LAYOUT_SIGNALS):] == list(LAYOUT_SIGNALS)
    report = meta["cv"]["report"]
    assert report["risk_head_alone"]["overall"]["roc_auc"] > 0.5 and report["overall"]["roc_auc"] > 0.5
    card = (staged_model_dir / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Second stage: 300 gradient-boosted trees" in card and "The risk head alone, without the second stage" in card


@pytest.mark.parametrize(("change", "message"), [
    (lambda p: p["stage_two"].__setitem__("inputs", p["stage_two"]["inputs"][1:] + ["risk head"]), "reads other heads than the model has"),
    (lambda p: p.pop("stage_two"), "does not match its format version"),  # would score against the trees' thresholds
    (lambda p: p.__setitem__("format_version", 3), "does not match its format version"),
])
def test_a_second_stage_that_does_not_fit_the_model_is_a_model_file_error(staged_model_dir, tmp_path, change, message):
    from adcheck.digest import file_sha256

    target = tmp_path / "copy"
    shutil.copytree(staged_model_dir, target)
    payload = joblib.load(target / "model.joblib")
    change(payload)
    joblib.dump(payload, target / "model.joblib")
    meta = json.loads((target / "metadata.json").read_text(encoding="utf-8"))
    meta["artifact"]["sha256"] = file_sha256(target / "model.joblib")  # re-hashed: past the tamper check
    (target / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelFileError, match=message):
        load_model(target)


def test_a_model_without_a_second_stage_keeps_its_older_format(tiny_model):
    from adcheck.artifacts import _model_payload

    payload = _model_payload(tiny_model)
    assert "stage_two" not in payload and payload["format_version"] < 4


def test_stage_two_inputs_are_the_clipped_head_values_then_the_layout():
    inputs = stage_two_inputs(np.array([1.5, 99.0]), [np.array([-2.0, -1e9])], ["a", "b (c)"])
    assert inputs.shape == (2, 2 + len(LAYOUT_SIGNALS))
    assert inputs[:, 0].tolist() == [1.5, pytest.approx(27.631021)] and inputs[1, 1] == pytest.approx(-27.631021)
    assert inputs[1, 2 + LAYOUT_SIGNALS.index("bracket")] == 1
