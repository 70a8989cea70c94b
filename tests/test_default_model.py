"""The shipped model: it loads from package data and separates clear cases with a margin."""

import json

from adcheck import load_model
from adcheck.artifacts import default_model_dir, verify_model_dir

CLEARLY_MISLEADING = [
    "이 크림 하나로 아토피 완치! 부작용 0%, 효과 없으면 100% 환불 보장",
    "오늘 자정 마감!! 단 3개 남음, 지금 27명이 보고 있어요",
    "Clinically proven to cure diabetes in 30 days. No side effects. Doctor recommended!",
    "Guaranteed 30% monthly returns, principal fully protected, zero risk.",
]
CLEARLY_ACCEPTABLE = [
    "보습 크림 50ml, 건성 피부용. 전성분은 상세페이지에서 확인하세요.",
    "Cotton crew-neck T-shirt, machine washable, available in 5 colours.",
    "#광고 브랜드로부터 제품을 제공받아 작성한 후기입니다.",
]


def test_default_model_verifies_and_loads():
    meta = verify_model_dir(default_model_dir())
    assert meta["model_id"].startswith("adcheck-default-")
    # ships inside the package: about 24 MB since the body family (492k features; 20 MB and 410k
    # before it); a bound that catches a runaway vocabulary, not a target
    assert meta["artifact"]["bytes"] < 30_000_000
    model = load_model()
    assert model.model_id == meta["model_id"]


def test_default_model_separates_clear_cases():
    model = load_model()
    bad = [r.risk for r in model.score(CLEARLY_MISLEADING)]
    good = [r.risk for r in model.score(CLEARLY_ACCEPTABLE)]
    assert min(bad) > 0.7, bad
    assert max(good) < 0.3, good
    assert min(bad) - max(good) > 0.4


# lawful copy written loud, each with the same words written calm
LOUD_BUT_LAWFUL = [
    ("SO excited!!! 🎉 Our new oat latte is back on the menu, $4.50 at all 12 stores!!",
     "So excited. Our new oat latte is back on the menu, $4.50 at all 12 stores."),
    ("드디어 재입고!!! 🥳 베이지 니트 M/L 사이즈 다시 들어왔어요~ 39,000원!!",
     "드디어 재입고. 베이지 니트 M/L 사이즈 다시 들어왔어요. 39,000원."),
    ("LAST CALL!!! 🔔 Our harvest market closes for the season this Saturday at 4 PM, see you there!!",
     "Last call. Our harvest market closes for the season this Saturday at 4 PM, see you there."),
]
CALM_BUT_DECEPTIVE = [
    "Our supplement has been shown to lower blood pressure without medication (internal review, 2024).",
    "본 제품은 당뇨 증상을 개선합니다(자체 조사). 복용 중인 약을 줄이셔도 됩니다.",
    "Rated the No. 1 mattress by sleep experts (2025 survey); 30-night trial available.",
]


def test_default_model_reads_claims_not_punctuation():
    """Exclamation marks and emoji do not make lawful copy risky, and a calm, footnoted tone does not
    clear a deceptive claim (the shipped features skip emoji; see benchmarks/style_shortcut.py).

    Judged against the same words written calm: the marks may move the risk a little (the
    word-boundary n-grams read punctuation), not into the high band, and the lawful words stay low.
    The restock line sat near the medium threshold on its words alone with adcheck-default-780ca65b514d
    (0.255 calm, 0.274 loud; medium from 0.262); adcheck-default-1881289ba21b (and abfbc58d3480, with
    the same risk head) put it at 0.265 and 0.292 (medium from 0.299), and the harvest-market line at
    0.265 calm (a model trained between them put that line at 0.285, medium from 0.269; see the data
    card on s37_* and s38_*)."""
    model = load_model()
    for loud, calm in LOUD_BUT_LAWFUL:
        loud_result, calm_result = model.score([loud, calm])
        assert calm_result.band == "low", calm
        assert loud_result.band != "high", loud
        assert loud_result.risk - calm_result.risk < 0.06, (loud, loud_result.risk, calm_result.risk)
    assert all(r.band in ("medium", "high") for r in model.score(CALM_BUT_DECEPTIVE))


# the same headline over a footnote that takes it back, and over one that only adds honest detail:
# written for this test, not in the corpus
SAME_HEADLINE_OTHER_FOOTNOTE = [
    ("Gym membership, just $10 a month!\n*Plus a $199 annual maintenance fee; 24-month minimum term; $150 to cancel early.",
     "Gym membership, just $10 a month!\n*Price includes tax. No annual fee; cancel online any time."),
    ("스마트워치 289,000원 → 오늘 99,000원!\n※ 289,000원은 출시 예정 가격으로, 이 가격에 판매된 적은 없습니다.",
     "스마트워치 289,000원 → 오늘 99,000원!\n※ 289,000원은 지난달 1일~30일 당사 몰 판매가입니다."),
    ("Free trial of StreamBox Premium, start watching today!\n*Card required. Billed $17.99/month after 7 days unless cancelled; renews automatically.",
     "Free trial of StreamBox Premium, start watching today!\n*No card required. The trial ends after 7 days and nothing is billed."),
    ("Same-day delivery on every order 🚚\n*Orders ship from our overseas warehouse; delivery takes 10-14 days.",
     "Same-day delivery on every order 🚚\n*Order by 1 pm, within the city limits; the cut-off is shown at checkout."),
]


def test_default_model_reads_the_footnote_under_the_same_headline():
    """The fact below the line decides (D20): a footnote that takes the headline back is flagged, an
    honest one is not, under the same words above it. adcheck-default-37f774a42fdd, the first model
    with the body family, put the pairs 0.76-0.89 apart, and adcheck-default-1881289ba21b 0.60-0.97;
    the model before the family 0.54-0.85. A retrain on the s21 folders alone scored the Korean honest
    footnote 0.302, in its medium band; the s22 footnote twins brought it to 0.073."""
    model = load_model()
    for taken_back, honest in SAME_HEADLINE_OTHER_FOOTNOTE:
        bad, good = model.score([taken_back, honest])
        assert bad.band == "high", (taken_back, bad.risk)
        assert good.band == "low", (honest, good.risk)
        assert bad.risk - good.risk > 0.4


# everyday listings and notices, full of numbers ("in 5 colours", "up to 24 hours"), written for this
# test and not in the corpus: the model must not read a number after "in" or "for" as a claim
PLAIN_LISTINGS = [
    'Cotton crew-neck T-shirt, machine washable, available in 5 colours.',
    'Blue cotton socks, pack of 3, sizes 6-11.',
    'Stainless steel water bottle, 750 ml, keeps drinks cold for up to 24 hours.',
    'Store hours: Mon-Fri 9 am to 6 pm, closed on public holidays.',
    'Wireless mouse with USB-C receiver, 2.4 GHz, 18-month battery life.',
    'Oak dining table, 180 x 90 cm, seats six. Delivery in 2-3 weeks.',
    "Kids' rain boots, sizes 24-33, non-slip sole, yellow or navy.",
    'Ceramic mug set of 4, dishwasher and microwave safe.',
    'Linen shirt, relaxed fit, available in white, sand and olive.',
    'Dog leash, 1.5 m, reflective stitching, fits collars up to 3 cm.',
    'New spring menu from Friday: pea risotto, lamb shoulder, rhubarb tart.',
    'Our shop moves to 14 Harbour Road on 3 March; same phone number.',
    "Men's wool beanie, one size, available in 6 colours.",
    'Desk lamp with 3 brightness levels and a 5-year warranty (terms on the box).',
    'Baby bodysuit 3-pack, organic cotton (GOTS certified), 0-3 months.',
    '면 100% 라운드 반팔 티셔츠, 5가지 색상, 세탁기 사용 가능',
    '스테인리스 텀블러 500ml, 보온 6시간 보냉 12시간',
    '영업시간 평일 10시~19시, 주말 휴무',
    '아동 우비 110~140 사이즈, 노랑/남색',
    '원목 식탁 4인용 1400x800, 배송 2~3주 소요',
]


def test_default_model_leaves_plain_listings_low():
    results = load_model().score(PLAIN_LISTINGS)
    risks = [r.risk for r in results]
    flagged = [text for text, r in zip(PLAIN_LISTINGS, results) if r.band != "low"]
    # the model before this check (adcheck-default-ba0d3cc10e18): mean 0.158, one flagged; trained
    # without the s6 plain slices: mean 0.147, two flagged
    assert len(flagged) <= 1, flagged
    assert sum(risks) / len(risks) < 0.15, risks


def test_default_model_card_matches_metadata():
    folder = default_model_dir()
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    card = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert meta["model_id"] in card
    assert f"{meta['artifact']['bytes'] / 1e6:.1f} MB" in card
