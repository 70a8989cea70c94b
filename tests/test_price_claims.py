"""Price claims in ad text (numbers, currencies, reference and sale prices, spans) and the arithmetic
check of stated discounts."""

import pytest

from adcheck.price_claims import ConsistencyFinding, PriceClaim, check_consistency, extract_price_claims, parse_number


def kinds(text):
    return [(c.kind, c.amount, c.currency) for c in extract_price_claims(text)]


def only(text, kind):
    found = [c for c in extract_price_claims(text) if c.kind == kind]
    assert len(found) == 1, found
    return found[0]




# ---------------------------------------------------------------- numbers and extraction


@pytest.mark.parametrize(
    "text, amount",
    [
        ("15,000원", 15_000),
        ("1만 5천원", 15_000),
        ("1만5천원", 15_000),
        ("1.5만원", 15_000),
        ("만오천원", 15_000),
        ("만 오천원", 15_000),
        ("15만원", 150_000),
        ("39만 9천원", 399_000),
        ("3만9천9백원", 39_900),
        ("1만 5,000원", 15_000),
        ("1억 2천만원", 120_000_000),
        ("오천원", 5_000),
        ("15,000 원", 15_000),
    ],
)
def test_korean_number_forms(text, amount):
    claim = only(f"오늘만 {text} 특가", "sale")
    assert claim.amount == amount
    assert claim.currency == "KRW"
    assert claim.text == text


def test_arrow_pair_is_reference_then_sale_with_spans():
    text = "[단독] 무선 이어폰 189,000→39,900 한정수량"
    ref, sale = extract_price_claims(text)
    assert (ref.kind, ref.amount, ref.label) == ("reference", 189_000, "→")
    assert (sale.kind, sale.amount) == ("sale", 39_900)
    assert text[ref.start:ref.end] == "189,000"
    assert text[sale.start:sale.end] == "39,900"
    assert ref.currency is None and sale.currency is None  # nothing in the text names a currency


def test_arrow_partner_lends_its_currency():
    ref, sale = extract_price_claims("189,000 ▶ 39,900원")
    assert ref.currency == "KRW" and ref.currency_inferred
    assert sale.currency == "KRW" and not sale.currency_inferred


def test_a_hangul_numeral_does_not_continue_a_word():
    # "지금만" is "only now"; the price is 5,000 won, not 15,000.
    assert kinds("지금만 오천원") == [("sale", 5_000, "KRW")]
    assert kinds("고객 만족 1위") == []


def test_spans_point_at_the_right_characters_in_a_full_listing():
    text = (
        "🔥역대 최저가🔥 프리미엄 무선청소기\n"
        "정가 189,000원 → 할인가 39,900원 (79% 할인)\n"
        "1+1 이벤트, 3만원 이상 무료배송"
    )
    claims = extract_price_claims(text)
    got = [(c.kind, text[c.start:c.end]) for c in claims]
    assert got == [
        ("lowest_price", "역대 최저가"),
        ("reference", "189,000원"),
        ("sale", "39,900원"),
        ("discount", "79%"),
        ("quantity_offer", "1+1"),
    ]
    assert all(c.text == text[c.start:c.end] for c in claims)
    labels = {c.kind: c.label for c in claims}
    assert labels["reference"] == "정가" and labels["sale"] == "할인가" and labels["discount"] == "할인"


def test_spans_survive_full_width_forms_and_strike_overlays():
    struck = "".join(ch + "\u0336" for ch in "189,000")
    text = f"정상가 {struck}원 지금 ￦３９，９００ (５８％ 할인)"
    ref, sale, disc = extract_price_claims(text)
    assert (ref.kind, ref.amount, ref.label) == ("reference", 189_000, "정상가")
    assert text[ref.start:ref.end] == f"{struck}원"
    assert (sale.amount, sale.currency, text[sale.start:sale.end]) == (39_900, "KRW", "￦３９，９００")
    assert (disc.percent, text[disc.start:disc.end]) == (58, "５８％")


@pytest.mark.parametrize(
    "text, label",
    [
        ("정가 50,000원 / 할인가 30,000원", "정가"),
        ("시중가 50,000원 → 30,000원", "시중가"),
        ("소비자가 50,000원 특가 30,000원", "소비자가"),
        ("권장소비자가격: 50,000원, 특가 30,000원", "권장소비자가격"),
        ("Was $50.00, now $30.00", "Was"),
        ("RRP £50 - our price £30", "RRP"),
        ("MSRP: $50 | Sale price: $30", "MSRP"),
        ("Regular price $50 Sale $30", "Regular price"),
        ("~~50,000원~~ 30,000원", "~~"),
        ("<del>$50</del> <b>$30</b>", "<del>"),
        ("<s>50,000원</s> 30,000원", "<s>"),
        ("5\u03360\u0336,\u03360\u03360\u03360\u0336원 30,000원", "strikethrough"),
    ],
)
def test_reference_markers(text, label):
    claims = extract_price_claims(text)
    refs = [c for c in claims if c.kind == "reference"]
    sales = [c for c in claims if c.kind == "sale"]
    assert [r.label for r in refs] == [label]
    assert refs[0].amount == 50 or refs[0].amount == 50_000
    assert len(sales) == 1 and sales[0].amount in (30, 30_000)


def test_panmaega_is_a_reference_only_when_a_lower_sale_price_is_shown():
    assert kinds("판매가 189,000원 할인가 39,900원")[0][0] == "reference"
    assert kinds("판매가 39,900원 (무료배송)") == [("sale", 39_900, "KRW")]


@pytest.mark.parametrize(
    "text, amount, currency",
    [
        ("₩15,000", 15_000, "KRW"),
        ("KRW 15,000", 15_000, "KRW"),
        ("$39.99", 39.99, "USD"),
        ("USD 39.99", 39.99, "USD"),
        ("39.99 USD", 39.99, "USD"),
        ("99元", 99, "CNY"),
        ("¥1,980", 1_980, "JPY"),
        ("1,980円", 1_980, "JPY"),
        ("€12,50", 12.5, "EUR"),
        ("1.234,56 €", 1_234.56, "EUR"),
        ("1 234 €", 1_234, "EUR"),
        ("1\u00a0234,50\u00a0€", 1_234.5, "EUR"),
        ("1.234 €", 1_234, "EUR"),
        ("1,234.56 dollars", 1_234.56, "USD"),
        ("20 euros", 20, "EUR"),
    ],
)
def test_currencies_and_locale_separators(text, amount, currency):
    claim = only(f"Now {text}", "sale")
    assert claim.amount == pytest.approx(amount)
    assert claim.currency == currency


def test_yen_sign_reads_as_yuan_only_when_the_text_names_yuan():
    assert only("特价 ¥120", "sale").currency == "JPY"
    prices = extract_price_claims("原价 199元 现价 ¥120")
    assert prices[-1].currency == "CNY"
    assert "CNY" in prices[-1].note


def test_ambiguous_dot_grouping_is_not_guessed():
    claim = only("Now $1.234", "sale")
    assert claim.amount is None
    assert "ambiguous" in claim.note
    assert only("지금 1.234원", "sale").amount == 1_234  # won has no minor unit


@pytest.mark.parametrize(
    "text, currency, value",
    [
        ("15,000", None, 15_000),
        ("1,234,567", None, 1_234_567),
        ("1.234.567", None, 1_234_567),
        ("1,234.56", None, 1_234.56),
        ("1.234,56", None, 1_234.56),
        ("12,50", None, 12.5),
        ("1 234", None, 1_234),
        ("1 234,56", None, 1_234.56),
        ("39900.000", "USD", 39_900),
        ("1.234", "KRW", 1_234),
        ("1.234", "EUR", 1_234),
        ("1.234", "USD", None),
        ("1,23,4", None, None),
        ("12 34", None, None),
    ],
)
def test_number_grouping_rules(text, currency, value):
    parsed, note = parse_number(text, currency)
    assert parsed == (pytest.approx(value) if value is not None else None)
    assert (note is None) == (value is not None)


def test_quantity_offers_and_lowest_price_claims():
    claims = extract_price_claims("1+1 행사! 2+1도 준비. Buy one get one free — lowest price ever? 업계 최저가 보장")
    quantity = [(c.label, c.percent) for c in claims if c.kind == "quantity_offer"]
    assert quantity == [("1+1", 50.0), ("2+1", pytest.approx(33.33)), ("1+1", 50.0)]
    lowest = [c.text for c in claims if c.kind == "lowest_price"]
    assert lowest == ["lowest price", "업계 최저가"]


def test_percents_and_amounts_that_are_not_discounts_or_prices():
    assert kinds("100% 효과, 지방 90% 감소") == []
    assert kinds("3만원 이상 무료배송, 5,000원 할인 쿠폰, 적립금 2,000원") == []
    assert kinds("2024년 1만명 돌파") == []
    assert kinds("Free shipping over $50") == []
    assert [c.percent for c in extract_price_claims("최대 70% 세일, -30%, 20% off, save 15%") if c.kind == "discount"] == [70, 30, 20, 15]


def test_arrow_overrides_a_generic_sale_word_on_its_left():
    ref, sale = extract_price_claims("SALE 189,000원 -> 39,900원")
    assert (ref.kind, ref.amount, sale.kind, sale.amount) == ("reference", 189_000, "sale", 39_900)
    # Two labelled figures keep their labels: a coupon price after a sale price is not a reference.
    assert [c.kind for c in extract_price_claims("할인가 39,900원 → 쿠폰가 35,000원")] == ["sale", "sale"]


def test_bracketed_percent_after_an_amount_is_a_discount():
    (finding,) = check_consistency(extract_price_claims("소비자가격 ₩59,000 ➜ ₩29,500 (50%)"))
    assert (finding.status, finding.stated_percent) == ("consistent", 50)
    assert only("was $49 now $29.50 (40%)", "discount").label == "()"
    assert extract_price_claims("평점 4.8 (95%)") == []


def test_claim_to_dict_and_empty_text():
    claim = only("정가 10,000원", "reference")
    assert isinstance(claim, PriceClaim)
    assert claim.to_dict()["label"] == "정가"
    assert extract_price_claims("") == []


# ---------------------------------------------------------------- internal consistency


def test_rounded_down_discount_is_consistent():
    (finding,) = check_consistency(extract_price_claims("was 660,000 won, now 270,000 won, 58% off"))
    assert isinstance(finding, ConsistencyFinding)
    assert finding.status == "consistent"
    assert finding.computed_percent == pytest.approx(59.09, abs=0.01)
    assert (finding.reference, finding.sale, finding.stated_percent, finding.currency) == (660_000, 270_000, 58, "KRW")


def test_overstated_discount_is_inconsistent_with_the_computed_figure():
    (finding,) = check_consistency(extract_price_claims("was 660,000 won, now 270,000 won, 65% off"))
    assert finding.status == "inconsistent"
    assert finding.computed_percent == pytest.approx(59.09, abs=0.01)
    assert "59.1%" in finding.message


@pytest.mark.parametrize(
    "text, status",
    [
        ("정가 189,000원 → 39,900원 79% 할인", "consistent"),  # 78.9 rounded to nearest
        ("정가 1,000원 → 415원 59% 할인", "consistent"),  # 58.5 rounded up by exactly 0.5
        ("정가 10,000원 → 4,100원 60% 할인", "inconsistent"),  # 59.0 rounded up by 1 point
        ("정가 10,000원 → 12,000원 20% 할인", "inconsistent"),  # the "sale" price is higher
        ("정가 10,000원 → 5,000원 120% 할인", "inconsistent"),  # impossible
        ("정가 10,000원 → 10,000원", "inconsistent"),  # no discount at all
        ("58% 할인!", "not_checkable"),
        ("정가 10,000원, 30% 할인", "not_checkable"),
        ("Was €100, now $60, 40% off", "not_checkable"),  # two currencies
    ],
)
def test_consistency_rules(text, status):
    (finding,) = check_consistency(extract_price_claims(text))
    assert finding.status == status, finding.message


def test_each_offer_is_checked_on_its_own():
    text = "A세트 정가 20,000원 → 10,000원 (50%)\nB세트 정가 30,000원 → 12,000원 (70% 할인)"
    findings = check_consistency(extract_price_claims(text))
    assert [f.status for f in findings] == ["consistent", "inconsistent"]
    assert findings[1].computed_percent == pytest.approx(60)
    assert findings[0].to_dict()["status"] == "consistent"


# ---------------------------------------------------------------- the fast scans equal the plain ones

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from adcheck import price_claims as pc  # noqa: E402

# digits (also non-ASCII ones), separators, currency signs and words, Korean numerals and units,
# arrows, discount and quantity marks, and the four non-ASCII letters that case-fold to ASCII ones
_ALPHABET = "0123456789٣١ ,.:$₩€¥£원元円만천백십억일이삼사오육칠팔구+%~>→-abdefgijklmnoprstuwyBKLORSUW가최저할인정\u017f\u212a\u0130\u0131"
_WORDS = st.sampled_from(["us$", "krw", "usd", "won", "buy", "get", "bogo", "lowest", "all-time low", "cheapest", "최저가", "정가", "was",
                          "now", "퍼센트", "프로", "1+1", "₩39,900", "1만 5천원", "만오천원", "off", "할인"])
_TEXTS = st.lists(st.one_of(st.text(alphabet=_ALPHABET, max_size=8), _WORDS), max_size=8).map(" ".join)


def _plain_claims(text):
    """Every scan run on every text, figures found by a plain finditer: what the guards must equal."""
    view, offsets, struck = pc._view(text)
    claims = pc._figure_claims(text, view, offsets, struck)
    claims += pc._percent_claims(text, view, offsets) + pc._quantity_claims(text, view, offsets) + pc._lowest_claims(text, view, offsets)
    return sorted(claims, key=lambda c: (c.start, c.end))


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_anchored_figure_scan_and_guards_equal_the_plain_scans(text):
    view = pc._view(text)[0]
    assert [m.span() for m in pc._figure_matches(view)] == [m.span() for m in pc._FIGURE.finditer(view)]
    assert extract_price_claims(text) == _plain_claims(text)


def test_anchored_figure_scan_on_the_corpus(sample_rows):
    for row in sample_rows:
        view = pc._view(row["text"])[0]
        assert [m.span() for m in pc._figure_matches(view)] == [m.span() for m in pc._FIGURE.finditer(view)], row["id"]
        assert extract_price_claims(row["text"]) == _plain_claims(row["text"]), row["id"]
