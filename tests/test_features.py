import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adcheck.features import (
    FAMILY_CHAR,
    FeatureSpec,
    Vocabulary,
    _HashIndex,
    extract_occurrences,
    reference_ngrams,
)

SPEC = FeatureSpec(word_ngram_max=3, char_ngram_min=1, char_ngram_max=5, wb_ngram_min=1, wb_ngram_max=4, min_df=1)
SPACE_SPEC = FeatureSpec(word_ngram_max=2, char_ngram_min=1, char_ngram_max=3, wb_ngram_min=2, wb_ngram_max=5, min_df=1, wb_tokens="space")
CURRENCY_SPEC = FeatureSpec(word_ngram_max=2, char_ngram_min=1, char_ngram_max=2, wb_ngram_min=1, wb_ngram_max=3, min_df=1, symbols="currency")
BOTH_SPEC = FeatureSpec(word_ngram_max=2, char_ngram_min=1, char_ngram_max=3, wb_ngram_min=2, wb_ngram_max=4, min_df=1, wb_tokens="space", symbols="currency")
BODY_SPEC = FeatureSpec(word_ngram_max=3, char_ngram_min=1, char_ngram_max=2, wb_ngram_min=2, wb_ngram_max=4, min_df=1, wb_tokens="space", symbols="currency", body_ngram_max=2)


def _batch_grams(texts, spec):
    occ = extract_occurrences(texts, spec)
    out = []
    for i in range(len(texts)):
        m = occ.doc == i
        out.append(sorted(zip(occ.family[m].tolist(), occ.hash[m].tolist(), occ.start[m].tolist(), occ.end[m].tolist())))
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab 가나최고!%+1 0🔥.,ＡＢ\u200b\ufe0f\u20e3❤₩\n\r*")) | st.characters(codec="utf-8"), max_size=40), max_size=6))
def test_batch_occurrences_equal_reference(texts):
    for spec in (SPEC, SPACE_SPEC, CURRENCY_SPEC, BOTH_SPEC, BODY_SPEC):
        got = _batch_grams(texts, spec)
        for i, text in enumerate(texts):
            ref = sorted((g.family, g.hash, g.start, g.end) for g in reference_ngrams(text, spec))
            assert got[i] == ref


def _char_hashes(text):
    return {g.hash for g in reference_ngrams(text, FeatureSpec(char_ngram_min=2, char_ngram_max=4)) if g.family == FAMILY_CHAR}


def test_obfuscated_spellings_share_character_ngrams():
    assert _char_hashes("최고") <= _char_hashes("최 고")
    assert _char_hashes("free") <= _char_hashes("f.r.e.e")
    assert _char_hashes("무료") <= _char_hashes("무.료")
    assert _char_hashes("no1") == _char_hashes("ＮＯ．１")


def test_word_boundary_ngrams_are_padded_word_tokens():
    from adcheck.features import FAMILY_WB, _hash_int

    spec = FeatureSpec(wb_ngram_min=1, wb_ngram_max=3)
    text = "Only  TODAY! 할인"
    hashes = {g.hash for g in reference_ngrams(text, spec) if g.family == FAMILY_WB}

    def h(piece):
        return _hash_int([ord(c) for c in piece], FAMILY_WB)

    assert {h(p) for p in (" o", "ly ", " to", "ay ", " 할", "할인 ")} <= hashes
    assert h("y t") not in hashes  # never across tokens
    assert h("!") not in hashes and h("y! ") not in hashes  # punctuation is not part of a token
    first = next(g for g in reference_ngrams(text, spec) if g.family == FAMILY_WB and g.hash == h(" to"))
    assert text[first.start : first.end] == "TO"


def test_word_boundary_ngrams_over_space_runs_keep_punctuation():
    from adcheck.features import FAMILY_WB, _hash_int

    spec = FeatureSpec(wb_ngram_min=2, wb_ngram_max=4, wb_tokens="space")
    text = "Only  TODAY!! (VAT 포함)"
    grams = [g for g in reference_ngrams(text, spec) if g.family == FAMILY_WB]
    hashes = {g.hash for g in grams}

    def h(piece):
        return _hash_int([ord(c) for c in piece], FAMILY_WB)

    assert {h(p) for p in (" o", "y!! ", "!! ", " (v", "함) ", "포함)")} <= hashes
    assert h("! (") not in hashes and h("y t") not in hashes  # never across a space
    bang = next(g for g in grams if g.hash == h("!! "))
    assert text[bang.start : bang.end] == "!!"  # the closing pad stands for the last character
    # the default reads word tokens only, as models trained before the option do
    assert FeatureSpec().wb_tokens == "word"


def test_body_ngrams_are_the_word_ngrams_after_the_first_line_break():
    from adcheck.features import FAMILY_BODY, FAMILY_WORD

    spec = FeatureSpec(body_ngram_max=2)
    text = "Only $9 today\n*Fee extra\nRenews monthly"
    grams = reference_ngrams(text, spec)
    body = [g for g in grams if g.family == FAMILY_BODY]
    assert sorted(text[g.start : g.end] for g in body) == sorted(
        ["Fee", "extra", "Fee extra", "extra\nRenews", "Renews", "monthly", "Renews monthly"]
    )
    # each is a word n-gram of the same span, hashed apart: "Fee" below the line is not "Fee" above it
    words = {(g.start, g.end): g.hash for g in grams if g.family == FAMILY_WORD}
    assert all((g.start, g.end) in words and words[(g.start, g.end)] != g.hash for g in body)
    headline_fee = {g.hash for g in reference_ngrams("Fee extra", spec) if g.family == FAMILY_WORD}
    assert headline_fee.isdisjoint(g.hash for g in body)
    # a text without a line break has no body; the family is off by default, as models trained before it read text
    assert not [g for g in reference_ngrams("Only $9 today *Fee extra", spec) if g.family == FAMILY_BODY]
    assert not [g for g in reference_ngrams(text, FeatureSpec()) if g.family == FAMILY_BODY]
    assert FeatureSpec().body_ngram_max == 0
    with pytest.raises(ValueError, match="body_ngram_max"):
        FeatureSpec(word_ngram_max=2, body_ngram_max=3).validate()


def test_wb_tokens_and_symbols_must_be_known():
    with pytest.raises(ValueError, match="wb_tokens"):
        FeatureSpec(wb_tokens="chars").validate()
    with pytest.raises(ValueError, match="symbols"):
        FeatureSpec(symbols="none").validate()


def test_currency_only_symbols_skip_emoji_and_keep_currency_signs():
    from adcheck.features import FAMILY_WORD, _hash_int

    text = "🔥 오늘만 ₩9,900 ★"

    def words(spec):
        return {g.hash for g in reference_ngrams(text, spec) if g.family == FAMILY_WORD}

    def h(token):
        return _hash_int([ord(c) for c in token], FAMILY_WORD)

    every = words(FeatureSpec())
    currency = words(FeatureSpec(symbols="currency"))
    assert {h("🔥"), h("★"), h("₩"), h("오늘만")} <= every
    assert h("₩") in currency and h("오늘만") in currency
    assert h("🔥") not in currency and h("★") not in currency
    assert FeatureSpec().symbols == "all"  # models trained before the option tokenise as they did
    # the marks that style emoji are not word characters either: "❤️" and "✔️무료배송" leave nothing
    # of the heart or the check mark behind
    spec = FeatureSpec(symbols="currency")
    plain = {g.hash for g in reference_ngrams("무료배송 sale", spec)}
    assert {g.hash for g in reference_ngrams("✔️무료배송 ❤️ sale", spec)} == plain
    assert {g.hash for g in reference_ngrams("1️⃣ sale", spec)} == {g.hash for g in reference_ngrams("1 sale", spec)}


def test_spans_cover_the_ngram_in_the_original_text():
    text = "Only TODAY: 최 고 deal"
    grams = reference_ngrams(text, FeatureSpec())
    assert any(text[g.start : g.end] == "최 고" for g in grams if g.family == FAMILY_CHAR)
    assert any(text[g.start : g.end] == "TODAY" for g in grams)


def test_vocabulary_min_df_and_lookup():
    texts = ["best price ever", "best price today", "unique words only"]
    spec = FeatureSpec(char_ngram_min=2, char_ngram_max=4, wb_ngram_min=3, wb_ngram_max=3, min_df=2)
    occ = extract_occurrences(texts, spec)
    vocab = Vocabulary.fit(occ, spec)
    columns = vocab.columns(occ)
    # words seen in one document only are dropped
    assert (columns[occ.doc == 2] == -1).all()
    assert (columns[occ.doc == 0] >= 0).any()
    matrix = vocab.transform(occ)
    assert matrix.shape == (3, vocab.n_features)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    assert np.allclose(norms[:2], np.sqrt(3))  # three families, each L2-normalised
    assert norms[2] == 0
    # the body family is a block of its own, normalised apart from the headline's words
    body_spec = FeatureSpec(char_ngram_min=2, char_ngram_max=4, min_df=2, body_ngram_max=1)
    texts = ["best price\nfee extra", "best price\nfee extra today", "nothing alike"]
    occ = extract_occurrences(texts, body_spec)
    matrix = Vocabulary.fit(occ, body_spec).transform(occ)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    assert np.allclose(norms[:2], np.sqrt(3))  # word, char and body (the wb family is off)


def test_hash_index_finds_every_key_and_rejects_others():
    rng = np.random.default_rng(0)
    keys = np.unique(rng.integers(0, 2**63, size=5000, dtype=np.uint64))
    index = _HashIndex(keys)
    assert (index.lookup(keys) == np.arange(len(keys))).all()
    assert (index.lookup(keys + np.uint64(1)) == -1).sum() >= len(keys) - 5
