"""The closed trigger-word list read the way the guideline's decisions settle it."""

import pytest

from adcheck.triggers import find_triggers


@pytest.mark.parametrize("text, word", [
    ("Best-selling blender of the season", "best"),           # D25: a hyphenated compound
    ("Our #1 bestseller", "best"),                            # a settled solid compound
    ("Results GUARANTEED or your money back", "guaranteed"),  # D25: case and regular endings
    ("We guarantee it", "guaranteed"),
    ("Applies to online orders only.", "only"),                # D32: in a footnote, in any sense
    ("Are you free this weekend?", "free"),
    ("Risk-free for 30 days", "free"),
    ("Eco-friendly refills", "eco"),
    ("Designed in Oslo, made in Vietnam", "made in"),         # a two-word entry with both words
    ("Lowest prices of the year", "lowest price"),            # D32: in any inflection
    ("No. 1 in customer service", "No.1"),                    # D43: typographic spacing
    ("$0 down, then $49/mo", "$0"),                           # D29: the whole number
    ("가입비 0원", "0원"),
    ("판매량 1위 달성", "1위"),
    ("최고급 한우 선물세트", "최고"),                           # a Korean entry inside a longer word
    ("무료배송 이벤트", "무료"),
    ("딱 3개 남았어요!", "N개 남음"),                           # D29: the same word with another ending
    ("마감 임박했어요", "마감임박"),                            # D25: normal spacing
    ("부작용 없는 순한 크림", "부작용 없음"),
    ("비정품 주의", "정품"),
    ("Handmade in Japan", "made in"),                         # a solid compound of the first word
    ("Get pre-approved today", "approved"),
    ("순면,100% 코튼", "100%"),                                # a comma is not part of a number
    ("배송비,0원", "0원"),
    ("업계No.1 보습크림", "No.1"),                             # glued to Korean or a hashtag
    ("#No1브랜드", "No.1"),
    ("부작용 없었어요", "부작용 없음"),                         # D29: any ending of the same word
])
def test_listed_words_count(text, word):
    assert word in find_triggers(text).found


@pytest.mark.parametrize("text", [
    "Recommended by stylists",            # D25: a translation of 추천 does not count
    "Non-toxic paint, no side effects",   # nor of 무독성 and 부작용 없음
    "Now ¥980, was ¥1,200",
    "Was $0.99, now $0.49",               # D29: "$0.99" holds no "$0"
    "129,000원 / 10원 적립",               # nor "129,000원" and "10원" a "0원"
    "Ranked #14 in the region",           # nor "#14" a "#1"
    "₩0 delivery",                        # D36: not a listed form
    "전국 11위 맛집",                      # nor "11위" a "1위"
    "구매 고객께 증정품을 드려요",          # D25: 증정품 holds no 정품
    "순정품 필터와 호환",
    "2석 남음, 잔여 좌석 확인",             # D29: another word for the same thing
    "베스트셀러 3권 세트",                  # D25: a transliteration
    "Fifteen seconds to set up",          # "seconds" holds no "eco"
    "FDA approval pending",               # D25: the noun "approval" is a derived word
    "Naturally sweet, secure checkout",   # nor "naturally"; "secure" merely holds "cure"
    "본인증명서와 예약확인증 지참",          # letters that only meet across two words
    "특정품목 보유일수 30일, 오늘만큼은 쉬어요",
    "최저 1위안부터, 제1위원회",            # 1위안 (yuan) is another word
    "부작용을 없애는 법",                   # 없애- is another verb
    "쿠폰 1\n위치: 강남역",                 # spacing, not a line break
    "There's no 1-year lock-in",
])
def test_words_off_the_list_do_not_count(text):
    assert find_triggers(text).found == []


def test_words_the_rules_leave_open_are_reported_apart():
    hits = find_triggers("Freestyle #plasticfree kits, preapproved, with our lowest ever price #1주년")
    assert hits.found == []
    assert {"freestyle", "plasticfree", "preapproved", "lowest ... price", "#1"} <= set(hits.unsure)


def test_each_found_word_keeps_the_text_it_was_read_from():
    hits = find_triggers("Cozy socks, handmade in Peru")
    assert hits.where == {"made in": "socks, handmade in Peru"}


def test_each_word_is_reported_once_in_the_lists_spelling():
    assert find_triggers("FREE shipping, free returns, 무료 교환").found == ["free", "무료"]
