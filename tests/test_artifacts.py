import json
import shutil

import numpy as np
import pytest

from adcheck import load_model
from adcheck.artifacts import save_model, verify_model_dir
from adcheck.errors import ModelFileError


@pytest.fixture
def model_copy(tmp_path, tiny_model_dir):
    target = tmp_path / "copy"
    shutil.copytree(tiny_model_dir, target)
    return target


def test_save_load_round_trip_gives_identical_probabilities(tiny_model, tmp_path, sample_rows):
    texts = [r["text"] for r in sample_rows[:100]]
    saved = save_model(tiny_model, tmp_path / "again", dict(tiny_model.metadata))
    reloaded = load_model(tmp_path / "again")
    assert np.array_equal(tiny_model.predict_proba(texts), reloaded.predict_proba(texts))
    assert saved.model_id == reloaded.model_id


def test_metadata_records_versions_hashes_and_counts(tiny_model_dir):
    meta = json.loads((tiny_model_dir / "metadata.json").read_text(encoding="utf-8"))
    for key in ("adcheck", "scikit_learn", "numpy", "python"):
        assert meta["versions"][key]
    assert len(meta["artifact"]["sha256"]) == 64
    assert len(meta["training_data"]["sha256"]) == 64
    assert meta["training_data"]["counts"]["rows"] > 0
    assert meta["thresholds"]["bands"]["high"] >= meta["thresholds"]["bands"]["medium"]
    assert meta["cv"]["report"]["overall"]["roc_auc"] > 0.5
    card = (tiny_model_dir / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert meta["model_id"] in card and "not legal advice" in card.lower()
    # F1 at the F1-best threshold, beside the medium band's (set for precision, which caps its F1)
    best = meta["cv"]["report"]["at_best_f1"]
    assert best["overall"]["f1"] >= meta["cv"]["report"]["overall"]["f1"]
    assert set(best["by_language"]) == set(meta["cv"]["report"]["by_language"])
    assert "caps F1 there at 0.889" in card and f"({best['threshold']:.3f}, chosen on them" in card
    footnoted = meta["cv"]["report"]["footnoted_lawful"]["footnoted"]
    assert f"of the {footnoted['acceptable']:,} acceptable texts with a \"*\" or ※ mark, {footnoted['flagged']:.1%} are flagged" in card


def test_tampered_model_file_is_refused_before_unpickling(model_copy):
    path = model_copy / "model.joblib"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="altered or replaced"):
        load_model(model_copy)


def test_foreign_pickle_is_never_loaded(model_copy, tmp_path):
    marker = tmp_path / "pwned"
    import pickle

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (model_copy / "model.joblib").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(ModelFileError):
        load_model(model_copy)
    assert not marker.exists()


def test_missing_files(model_copy):
    (model_copy / "model.joblib").unlink()
    with pytest.raises(ModelFileError, match="missing model.joblib"):
        load_model(model_copy)
    (model_copy / "metadata.json").unlink()
    with pytest.raises(ModelFileError, match="missing metadata.json"):
        load_model(model_copy)
    with pytest.raises(ModelFileError, match="no such model folder"):
        load_model(model_copy / "nope")


def test_newer_format_and_incompatible_numpy_are_clear_errors(model_copy):
    meta_path = model_copy / "metadata.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["format_version"] = 99
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelFileError, match="upgrade adcheck"):
        verify_model_dir(model_copy)
    meta["format_version"] = 1
    meta["compatible"]["numpy"] = ">=99.0,<100.0"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelFileError, match="needs numpy"):
        verify_model_dir(model_copy)


def test_save_refuses_to_overwrite_and_leaves_nothing_half_written(tiny_model, tmp_path, monkeypatch):
    target = tmp_path / "m"
    save_model(tiny_model, target, dict(tiny_model.metadata))
    with pytest.raises(ModelFileError, match="--overwrite"):
        save_model(tiny_model, target, dict(tiny_model.metadata))

    import adcheck.card

    def broken(meta):
        raise KeyboardInterrupt

    monkeypatch.setattr(adcheck.card, "render_model_card", broken)
    with pytest.raises(KeyboardInterrupt):
        save_model(tiny_model, tmp_path / "interrupted", dict(tiny_model.metadata))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    with pytest.raises(KeyboardInterrupt):
        save_model(tiny_model, target, dict(tiny_model.metadata), overwrite=True)
    load_model(target)  # the previous model is untouched


def test_format_follows_the_spec_and_format_1_payloads_load(tiny_model, sample_rows, tmp_path):
    """A default spec is written as format 1 (older readers load it); the new spec keys make it
    format 2. A format-1 payload, without the keys, loads with their format-1 meaning."""
    import dataclasses

    from adcheck.artifacts import _model_from_payload, _model_payload
    from adcheck.features import Vocabulary

    payload = _model_payload(tiny_model)
    assert payload["format_version"] == 1 and "symbols" not in payload["feature_spec"] and "wb_tokens" not in payload["feature_spec"]
    old = _model_from_payload(payload, dict(tiny_model.metadata))
    assert (old.spec.wb_tokens, old.spec.symbols) == ("word", "all")
    texts = [r["text"] for r in sample_rows[:50]]
    assert np.array_equal(old.predict_proba(texts), tiny_model.predict_proba(texts))

    vocab = tiny_model.vocabulary
    currency = dataclasses.replace(tiny_model, vocabulary=Vocabulary(vocab.hashes, vocab.families, vocab.idf,
                                                                     dataclasses.replace(vocab.spec, symbols="currency")))
    assert _model_payload(currency)["format_version"] == 2
    saved = save_model(currency, tmp_path / "m2", dict(tiny_model.metadata))
    meta = json.loads((tmp_path / "m2" / "metadata.json").read_text(encoding="utf-8"))
    assert meta["format_version"] == 2
    assert load_model(tmp_path / "m2").spec.symbols == "currency" and saved.spec.symbols == "currency"


def test_a_spec_with_the_body_family_is_format_3_and_loads(tiny_model, sample_rows, tmp_path):
    """The body family changes which n-grams a text has, so a reader that does not know the key must
    refuse the model (format 3); a spec without it stays format 1 or 2 and omits the key."""
    import dataclasses

    from adcheck.artifacts import _model_payload
    from adcheck.features import Vocabulary

    assert "body_ngram_max" not in _model_payload(tiny_model)["feature_spec"]
    vocab = tiny_model.vocabulary
    body = dataclasses.replace(tiny_model, vocabulary=Vocabulary(vocab.hashes, vocab.families, vocab.idf,
                                                                 dataclasses.replace(vocab.spec, body_ngram_max=1)))
    payload = _model_payload(body)
    assert payload["format_version"] == 3 and payload["feature_spec"]["body_ngram_max"] == 1
    save_model(body, tmp_path / "m3", dict(tiny_model.metadata))
    assert json.loads((tmp_path / "m3" / "metadata.json").read_text(encoding="utf-8"))["format_version"] == 3
    assert load_model(tmp_path / "m3").spec.body_ngram_max == 1


@pytest.mark.parametrize("family", [3, 7])
def test_a_vocabulary_family_the_spec_does_not_compute_is_a_model_file_error(tiny_model, family):
    """Family 3 (the body) in a model whose spec has it off, or a family no version computes: the
    kernel indexes its norms by family, so such a file is refused before anything scores with it."""
    from adcheck.artifacts import _model_from_payload, _model_payload

    payload = _model_payload(tiny_model)
    families = np.array(payload["vocabulary_families"], copy=True)
    families[0] = family
    payload["vocabulary_families"] = families
    with pytest.raises(ModelFileError, match="feature family its spec does not compute"):
        _model_from_payload(payload, dict(tiny_model.metadata))


@pytest.mark.parametrize("change", [{"symbols": "emoji"}, {"wb_tokens": "chars"}, {"future_key": 1}, {"body_ngram_max": -1}])
def test_a_feature_spec_this_version_cannot_read_is_a_model_file_error(tiny_model, change):
    from adcheck.artifacts import _model_from_payload, _model_payload

    payload = _model_payload(tiny_model)
    payload["feature_spec"].update(change)
    with pytest.raises(ModelFileError, match="feature spec is not one this adcheck"):
        _model_from_payload(payload, dict(tiny_model.metadata))


def test_category_heads_are_stored_as_float16_and_older_float32_heads_stay_exact(tiny_model, sample_rows, tmp_path):
    """Training rounds the category heads to float16 (the risk head to float32), and the file stores
    them so; a model whose heads are float32 (trained by an older version) is saved without loss."""
    import dataclasses

    from adcheck.artifacts import _model_payload
    from adcheck.model import LinearHead

    payload = _model_payload(tiny_model)
    assert payload["category_coef"].dtype == np.float16 and payload["risk_coef"].dtype == np.float32
    risk = tiny_model.risk_head.coef
    assert not np.array_equal(risk.astype(np.float16).astype(np.float64), risk)  # the risk head is not rounded to float16
    texts = [r["text"] for r in sample_rows[:80]]
    save_model(tiny_model, tmp_path / "again", dict(tiny_model.metadata))
    again = load_model(tmp_path / "again").category_proba(texts)
    assert all(np.array_equal(again[code], values) for code, values in tiny_model.category_proba(texts).items())

    rng = np.random.default_rng(0)
    older = dataclasses.replace(tiny_model, category_heads={
        code: LinearHead((head.coef + rng.normal(0, 1e-3, head.coef.shape)).astype(np.float32).astype(np.float64), head.intercept)
        for code, head in tiny_model.category_heads.items()
    })
    assert _model_payload(older)["category_coef"].dtype == np.float32
    save_model(older, tmp_path / "older", dict(tiny_model.metadata))
    reloaded = load_model(tmp_path / "older").category_proba(texts)
    expected = older.category_proba(texts)
    assert all(np.array_equal(reloaded[code], expected[code]) for code in expected)
    assert any(not np.array_equal(expected[code], tiny_model.category_proba(texts)[code]) for code in expected)
