from hypothesis import given, settings
from hypothesis import strategies as st

from adcheck.normalize import normalize_batch, normalize_text, normalize_with_offsets


def test_rule_examples():
    assert normalize_text("오늘만 90% 할인! 100% 효과 보장") == "오늘만 00% 할인! 100% 효과 보장"
    assert normalize_text("  ＮＯ．１  Best\u200bSeller ①위  ") == "no.1 bestseller 1위"
    assert normalize_text("1+1 행사 39,900원") == "1+1 행사 00,000원"
    assert normalize_text("a\t\n\u00a0 b") == "a b"
    assert normalize_text("") == ""


def test_offsets_point_back_to_original_characters():
    text = "  ＦＲＥＥ  배송\u200b!"
    normalized, offsets = normalize_with_offsets(text)
    assert normalized == "free 배송!"
    assert [text[i] for i in offsets] == ["Ｆ", "Ｒ", "Ｅ", "Ｅ", " ", "배", "송", "!"]


def test_expanding_characters_keep_offsets():
    normalized, offsets = normalize_with_offsets("㈜한국")
    assert normalized == "(주)한국"
    assert offsets == [0, 0, 0, 1, 2]


text_strategy = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list("0123456789 ,.%+가나다최고ＡＢ①\u200b\t\n")),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(text_strategy, max_size=8))
def test_batch_equals_reference(texts):
    batch = normalize_batch(texts)
    assert batch.n_docs == len(texts)
    for i, text in enumerate(texts):
        expected, offsets = normalize_with_offsets(text)
        assert batch.text(i) == expected
        assert batch.original_index[batch.doc_starts[i] : batch.doc_starts[i + 1]].tolist() == offsets
