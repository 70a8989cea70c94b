"""Claim splitting: sentences, lines, bullets, emoji separators, banners, table cells, pages."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from adcheck.claims import MAX_CLAIM_CHARS, split_claims


def texts(text: str, pages=None) -> list[str]:
    return [c.text for c in split_claims(text, pages)]


def check_offsets(text: str, claims) -> None:
    for claim in claims:
        assert text[claim.start : claim.end].replace("\n", " ") == claim.text
        assert claim.text == claim.text.strip() and claim.text


def test_english_sentences():
    text = "The best product ever. Dr. Kim says it is No. 1! Only $3.50 today? Buy now."
    assert texts(text) == ["The best product ever.", "Dr. Kim says it is No. 1!", "Only $3.50 today?", "Buy now."]


def test_korean_sentence_endings_without_punctuation():
    text = "국내 최초 특허 기술입니다 부작용이 전혀 없어요 지금 바로 구매하세요"
    assert texts(text) == ["국내 최초 특허 기술입니다", "부작용이 전혀 없어요", "지금 바로 구매하세요"]
    assert texts("효과 보장합니다. 오늘만 특가! 재고가 있을까요? 서두르세요…") == [
        "효과 보장합니다.", "오늘만 특가!", "재고가 있을까요?", "서두르세요…",
    ]


def test_bullets_list_items_and_emoji_separators():
    text = "• 부작용 없음\n- 100% 천연\n1. 의사 추천\n(2) 임상 완료\n② 특허 등록\n가. 정품 보장\n🔥오늘만 90% 할인🔥✅무료배송✅ 한정수량 | 최저가"
    assert texts(text) == ["부작용 없음", "100% 천연", "의사 추천", "임상 완료", "특허 등록", "정품 보장", "오늘만 90% 할인", "무료배송", "한정수량", "최저가"]


def test_numbers_are_not_list_markers():
    assert texts("2.5배 빠른 효과\n\n-10% extra off") == ["2.5배 빠른 효과", "-10% extra off"]


def test_line_broken_banner_is_one_claim():
    text = "오늘만\n전 품목\n90% 할인\n\n정상가 대비 최대 할인율을 적용한 금액입니다."
    claims = split_claims(text)
    assert [c.text for c in claims] == ["오늘만 전 품목 90% 할인", "정상가 대비 최대 할인율을 적용한 금액입니다."]
    assert (claims[0].start, claims[0].end) == (0, 15)
    check_offsets(text, claims)


def test_table_cells_are_claims():
    assert texts("상품\t문구\n크림\t주름 100% 개선\t1위") == ["상품", "문구", "크림", "주름 100% 개선", "1위"]


def test_offsets_and_pages():
    page1 = "Best price ever.\nGuaranteed results!"
    page2 = "Limited stock. Order now."
    text = page1 + "\n\n" + page2
    claims = split_claims(text, [0, len(page1) + 2])
    assert [(c.text, c.page) for c in claims] == [
        ("Best price ever.", 1), ("Guaranteed results!", 1), ("Limited stock.", 2), ("Order now.", 2),
    ]
    check_offsets(text, claims)
    assert all(c.page is None for c in split_claims(text))


def test_noise_and_long_runs():
    assert texts("★★★\n---\n\n   \n🔥🔥") == []
    long = " ".join(["word"] * 400)
    claims = split_claims(long)
    assert len(claims) > 1 and all(len(c.text) <= MAX_CLAIM_CHARS for c in claims)
    check_offsets(long, claims)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab 가나다요.!?\n\t•🔥-1)|")), max_size=120))
def test_claims_always_map_back_to_the_text(text):
    claims = split_claims(text)
    check_offsets(text, claims)
    ends = [c.start for c in claims]
    assert ends == sorted(ends)
    for a, b in zip(claims, claims[1:]):
        assert a.end <= b.start


def test_price_arrows_do_not_split_a_claim():
    from adcheck.claims import split_claims

    text = "정가 189,000원 → 39,900원 79% 할인! ➤ 오늘만"
    claims = [c.text for c in split_claims(text)]
    assert "정가 189,000원 → 39,900원 79% 할인!" in claims
