"""The compiled kernel gives what the NumPy path and the plain-Python reference give."""

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adcheck import fastpath
from adcheck.model import reference_risk

pytestmark = pytest.mark.skipif(not fastpath.available(), reason="the C kernel was not built")


def _numpy_twin(model):
    return dataclasses.replace(model, use_compiled=False)


@pytest.fixture(scope="module")
def wide_model(sample_rows):
    """A model with every feature family on (the default leaves the word-boundary one off)."""
    from adcheck.features import FeatureSpec
    from adcheck.training import TrainConfig, train
    from tests.test_training import _data

    spec = FeatureSpec(word_ngram_max=3, char_ngram_min=2, char_ngram_max=4, wb_ngram_min=1, wb_ngram_max=3, min_df=2)
    return train(_data(sample_rows), TrainConfig(c_values=(8.0,), feature_specs=(spec,), n_folds=3, seed=2)).model


@pytest.fixture(scope="module")
def space_model(sample_rows):
    """A model with the optional rules: the word-boundary family over non-space runs (punctuation
    included), and only currency signs as symbol tokens (the kernel reads the other class table)."""
    from adcheck.features import FeatureSpec
    from adcheck.training import TrainConfig, train
    from tests.test_training import _data

    spec = FeatureSpec(word_ngram_max=2, char_ngram_min=1, char_ngram_max=3, wb_ngram_min=2, wb_ngram_max=4, min_df=2, wb_tokens="space", symbols="currency")
    return train(_data(sample_rows), TrainConfig(c_values=(8.0,), feature_specs=(spec,), n_folds=3, seed=2)).model


@pytest.fixture(scope="module")
def body_model(sample_rows):
    """The shipped recipe's rules plus the body family: word n-grams after the first line break."""
    from adcheck.features import FeatureSpec
    from adcheck.training import TrainConfig, train
    from tests.test_training import _data

    rows = [dict(r, text=r["text"].replace(". ", ".\n", 1)) for r in sample_rows]  # give many texts a body
    spec = FeatureSpec(word_ngram_max=2, char_ngram_min=1, char_ngram_max=3, wb_ngram_min=2, wb_ngram_max=4, min_df=2,
                       wb_tokens="space", symbols="currency", body_ngram_max=2)
    model = train(_data(rows), TrainConfig(c_values=(8.0,), feature_specs=(spec,), n_folds=3, seed=2)).model
    assert (model.vocabulary.families == 3).any()
    return model


@pytest.mark.parametrize("name", ["wide_model", "space_model", "body_model"])
def test_compiled_equals_numpy_with_every_family(name, request, sample_rows):
    wide_model = request.getfixturevalue(name)
    texts = [r["text"] for r in sample_rows[:200]] + ["", "🔥🔥 최 고 ＮＯ．１ 1+1 100% ₩39,900!!", "a" * 5000]
    texts += [t.replace(". ", ".\n", 1) for t in texts[:60]] + ["\n", "headline\n\n*fee extra\r\nrenews", "첫 줄\n둘째 줄 ₩9,900 별도"]
    assert np.allclose(wide_model.predict_proba(texts), _numpy_twin(wide_model).predict_proba(texts), rtol=0, atol=1e-9)
    for text in texts[:30]:
        assert abs(wide_model.predict_proba([text])[0] - reference_risk(wide_model, text)) < 1e-9
    fast = wide_model.score(texts, explain=4)
    slow = _numpy_twin(wide_model).score(texts, explain=4)
    assert [[(e.start, e.end) for e in r.evidence] for r in fast] == [[(e.start, e.end) for e in r.evidence] for r in slow]


def test_compiled_equals_numpy_and_reference(tiny_model, sample_rows):
    texts = [r["text"] for r in sample_rows[:200]] + ["", " ", "🔥🔥 최 고 ＮＯ．１ 1+1 100% ₩39,900", "a" * 20000, "\x00\ud800x"]
    twin = _numpy_twin(tiny_model)
    compiled = tiny_model.predict_proba(texts)
    plain = twin.predict_proba(texts)
    assert np.allclose(compiled, plain, rtol=0, atol=1e-9)
    for text, value in zip(texts[:40], compiled[:40]):
        assert abs(value - reference_risk(tiny_model, text)) < 1e-9
    a = tiny_model.category_proba(texts)
    b = twin.category_proba(texts)
    for code in a:
        assert np.allclose(a[code], b[code], rtol=0, atol=1e-9)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab 가나최고!%+1 0🔥.,ＡＢ①\u200b\n")) | st.characters(codec="utf-8"), max_size=60), max_size=8))
def test_compiled_matches_on_arbitrary_text(tiny_model, space_model, texts):
    for model in (tiny_model, space_model):
        twin = _numpy_twin(model)
        assert np.allclose(model.predict_proba(texts), twin.predict_proba(texts), rtol=0, atol=1e-9)
        fast = model.score(texts, explain=3)
        slow = twin.score(texts, explain=3)
        for x, y in zip(fast, slow):
            assert [(e.start, e.end) for e in x.evidence] == [(e.start, e.end) for e in y.evidence]
            for e, f in zip(x.evidence, y.evidence):
                assert abs(e.contribution - f.contribution) < 1e-6


def test_threads_share_one_model_safely(tiny_model):
    """Fresh code points arriving in several threads at once fill the shared tables safely."""
    import random
    from concurrent.futures import ThreadPoolExecutor

    rng = random.Random(3)
    batches = [["".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(40)) + " 최고 best" for _ in range(50)] for _ in range(8)]
    twin = _numpy_twin(tiny_model)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(tiny_model.predict_proba, batches))
    for batch, got in zip(batches, results):
        assert np.allclose(got, twin.predict_proba(batch), rtol=0, atol=1e-9)


def test_a_fresh_process_scores_digits_like_the_reference(tiny_model_dir):
    """Scores must not depend on what the process scored before (digit shapes read '0')."""
    import subprocess
    import sys

    code = (
        "import sys, json; from adcheck import load_model; from adcheck.model import reference_risk\n"
        f"m = load_model({str(tiny_model_dir)!r})\n"
        "texts = ['Free shipping on orders over $35', '$35', '90%']\n"
        "print(json.dumps([[float(m.predict_proba([t])[0]), reference_risk(m, t)] for t in texts]))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    for fast, reference in json.loads(output):
        assert abs(fast - reference) < 1e-9


def test_numpy_path_first_then_kernel_with_either_symbols_rule(tiny_model_dir, tmp_path):
    """Characters first met by the NumPy path (or by `normalize_batch`) are classified in every
    class table before their mapping is published; the kernel, which trusts published entries,
    then reads the right class whichever `symbols` rule the model uses. A fresh process, so no
    earlier test has filled the tables."""
    import subprocess
    import sys

    code = (
        "import dataclasses, json; from adcheck import load_model; from adcheck.features import FeatureSpec, extract_occurrences\n"
        "from adcheck.normalize import normalize_batch\n"
        f"m = load_model({str(tiny_model_dir)!r})\n"
        "texts = ['오늘만 특가! 🔥 최저가 보장', '뷁 쀍 ❤️ 무료배송 ₩9,900', 'Ｃｌｉｎｉｃａｌｌｙ proven 100% 효과']\n"
        "extract_occurrences(texts[:1], FeatureSpec(symbols='currency'))\n"
        "normalize_batch(texts[1:])\n"
        "other = dataclasses.replace(m, vocabulary=m.vocabulary.__class__(m.vocabulary.hashes, m.vocabulary.families, m.vocabulary.idf,\n"
        "    dataclasses.replace(m.vocabulary.spec, symbols='currency')))\n"
        "out = []\n"
        "for model in (m, other):\n"
        "    fast = model.predict_proba(texts).tolist()\n"
        "    slow = dataclasses.replace(model, use_compiled=False).predict_proba(texts).tolist()\n"
        "    out.append([fast, slow])\n"
        "print(json.dumps(out))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    for fast, slow in json.loads(output):
        assert np.allclose(fast, slow, rtol=0, atol=1e-9), (fast, slow)


def test_phrase_spans_index_like_a_list(wide_model, sample_rows):
    from adcheck.fastpath import PhraseSpans

    texts = [r["text"] for r in sample_rows[:5]]
    _, spans = wide_model._compiled().decisions(texts, 3)
    assert isinstance(spans, PhraseSpans)
    as_list = list(spans)
    assert len(spans) == 5 and spans[-1] == as_list[-1] and spans[-5] == as_list[0] and spans[1:3] == as_list[1:3]
    with pytest.raises(IndexError):
        spans[5]


def test_kernel_formats_evidence_exactly_like_python():
    """The kernel's evidence strings equal f"{text[a:b]} [{a}:{b}] {round(v, 6):+.3f}", also for values
    whose 6-place rounding lands on a 3-place midpoint, negative values and astral characters."""
    from adcheck.fastpath import PhraseSpans

    rng = np.random.default_rng(5)
    values = [0.0004999996, -0.0004999996, 0.0015, 0.0025, 1.2345, -2.0005, 0.1235, 1e-7, 3.0]
    values += (rng.normal(0, 0.6, 400) + rng.integers(0, 2000, 400) * 0.0005).tolist()
    texts, k = [], 3
    start, end, value, count = [], [], [], []
    for i in range(0, len(values), 2):
        texts.append("최저가 🎉 boost 오늘만 ⏰ zero-fee " * (1 + i % 3))
        n = 0 if i % 10 == 8 else min(2, len(values) - i)
        for j in range(k):
            a = (i * 7 + j * 3) % 20
            start.append(a), end.append(a + 1 + j * 4), value.append(values[i + j] if j < n else 0.0)
        count.append(n)
    spans = PhraseSpans(np.asarray(start, np.int64).reshape(-1, k), np.asarray(end, np.int64).reshape(-1, k),
                        np.asarray(value).reshape(-1, k), np.asarray(count, np.int64), k)
    expected = [
        " | ".join(f"{text[a:b]} [{a}:{b}] {round(v, 6):+.3f}" for a, b, v in spans[i]) for i, text in enumerate(texts)
    ]
    assert spans.format(texts) == expected
    assert "" in expected and any("🎉" in line for line in expected)


def test_kernel_evidence_formatting_rejects_bad_spans():
    from adcheck import _fastscore

    one = np.zeros((1, 1), np.int64)
    with pytest.raises(ValueError, match="outside its text"):
        _fastscore.format_phrases(["abc"], one, one + 9, np.ones((1, 1)), np.ones(1, np.int64), 1)
    with pytest.raises(ValueError, match="sizes"):
        _fastscore.format_phrases(["abc", "d"], one, one, np.ones((1, 1)), np.ones(1, np.int64), 1)
    with pytest.raises(TypeError, match="strings"):
        _fastscore.format_phrases([b"abc"], one, one, np.ones((1, 1)), np.ones(1, np.int64), 1)


def test_kernel_refuses_a_table_naming_columns_the_model_lacks(wide_model):
    """A vocabulary table inconsistent with the column arrays is an error, not a write out of bounds."""
    from adcheck import _fastscore
    from adcheck.features import _CHAR_CLASS
    from adcheck.normalize import _MAPPING, texts_to_codepoints

    scorer = wide_model._compiled()
    scorer.decisions(["warm the tables: 최저가 100% guaranteed"], 0)
    codepoints, starts = texts_to_codepoints(["최저가 100% guaranteed"])
    spec = scorer.vocabulary.spec
    with pytest.raises(ValueError, match="column the model does not have"):
        _fastscore.score_batch(
            codepoints, starts, _MAPPING.known.view(np.uint8), _MAPPING.length, _MAPPING.first, _MAPPING.flat,
            _CHAR_CLASS._values, scorer.pairs, scorer.shift, scorer.filter, scorer.risk_columns[:1].copy(),
            scorer.families[:1].copy(), 1, spec.word_ngram_max, spec.char_ngram_min, spec.char_ngram_max,
            spec.wb_ngram_min, spec.wb_ngram_max, 0, 0, np.zeros((1, 1)), None,
        )


def test_scores_do_not_depend_on_what_the_thread_scored_before(wide_model, tiny_model_dir, sample_rows):
    """The kernel keeps its per-column slots between calls (per thread); scoring with another model
    in between, or from another thread, changes nothing."""
    import concurrent.futures

    from adcheck.artifacts import load_model

    texts = [r["text"] for r in sample_rows[:40]]
    first = wide_model._compiled().decisions(texts, 3)
    other = load_model(tiny_model_dir)
    other.score(texts, explain=3)
    again = wide_model._compiled().decisions(texts, 3)
    assert np.array_equal(first[0], again[0]) and list(first[1]) == list(again[1])
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: wide_model._compiled().decisions(texts, 3)[0], range(4)))
    assert all(np.array_equal(first[0], r) for r in results)
