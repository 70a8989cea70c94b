"""Taxonomy: the one source of truth for misleading-advertising category codes."""

from __future__ import annotations

from dataclasses import dataclass

LABEL_MISLEADING = "misleading"
LABEL_ACCEPTABLE = "acceptable"
LABELS = (LABEL_MISLEADING, LABEL_ACCEPTABLE)
LANGUAGES = ("ko", "en", "mixed")

_FLAA = "Act on Fair Labeling and Advertising (표시·광고의 공정화에 관한 법률) Art. 3(1)"


@dataclass(frozen=True)
class Category:
    """One category of misleading claim, with its names and the rules it falls under."""

    code: str
    name_en: str
    name_ko: str
    description: str
    legal_basis: str
    needs_outside_evidence: bool
    evidence_hint: str


CATEGORIES: tuple[Category, ...] = (
    Category(
        "superlative", "Unsubstantiated superlative", "근거 없는 최상급·절대적 표현",
        "Absolute or ranking claims (No.1, best, first, only, 100%, perfect; 최고, 최초, 유일, 1위) "
        "without a stated, checkable basis.",
        f"{_FLAA} item 1 (false or exaggerated); KFTC Guideline on Examination of Deceptive "
        "Advertising (superlative expressions)",
        True, "survey or ranking source, period and scope that substantiates the claim",
    ),
    Category(
        "health_efficacy", "Disease or drug-like efficacy claim", "질병 예방·치료 등 의약품 오인 효능",
        "Prevention, treatment or cure of disease, drug-like efficacy for food, cosmetics, supplements "
        "or devices; guaranteed weight loss; 'no side effects'.",
        f"{_FLAA} item 1; Act on Labeling and Advertising of Foods Art. 8; Cosmetics Act Art. 13; "
        "Medical Devices Act Art. 24",
        True, "product approval scope (MFDS) and clinical evidence for the stated effect",
    ),
    Category(
        "price", "Deceptive price or discount", "가격·할인 기만",
        "Fictitious or inflated reference prices and discounts, 'free' with hidden conditions or fees, "
        "drip pricing, unsupported 'lowest price'.",
        f"{_FLAA} items 1-2; KFTC Guideline on Price Representation (가격 표시·광고 심사지침); "
        "E-Commerce Act dark-pattern rules (drip pricing)",
        True, "price history of the listing (price actually charged before the sale)",
    ),
    Category(
        "urgency", "False urgency or scarcity", "허위 긴급성·희소성",
        "Fake deadlines, fake scarcity or social-proof counters used to pressure a purchase.",
        f"{_FLAA} item 2 (deceptive); E-Commerce Act dark-pattern rules (false scarcity, timers)",
        True, "stock and campaign records showing whether the deadline or quantity was real",
    ),
    Category(
        "endorsement", "Fabricated endorsement, certification or review", "허위 인증·추천·후기",
        "Fabricated or misrepresented certification, approval, award, expert / doctor / celebrity "
        "endorsement, fake or undisclosed sponsored reviews and ratings.",
        f"{_FLAA} items 1-2; KFTC Guideline on Endorsement and Testimonial Advertising "
        "(추천·보증 등에 관한 표시·광고 심사지침)",
        True, "certificate, award record or sponsorship agreement",
    ),
    Category(
        "guarantee", "False guarantee", "허위 보장",
        "Guaranteed results or returns, 'risk-free', principal-protected investment, unconditional "
        "refund that is not unconditional.",
        f"{_FLAA} items 1-2; Financial Consumer Protection Act Art. 22 (financial products)",
        False, "",
    ),
    Category(
        "comparison", "Unfair comparison or disparagement", "부당 비교·비방",
        "Unfair comparison with, or disparagement of, competitors without basis.",
        f"{_FLAA} items 3-4 (unfairly comparative, slanderous); KFTC Guideline on Comparative Advertising",
        True, "comparative test report with conditions and sample",
    ),
    Category(
        "authenticity", "False authenticity or origin", "허위 정품·원산지",
        "False genuine / original / brand / origin claims, replicas sold as genuine, 'made in Korea' "
        "for imported goods, and false claims about what the goods are (material, grade, condition, "
        "how they were made).",
        f"{_FLAA} items 1-2; Act on the Origin Labeling of Agricultural and Fishery Products; "
        "Trademark Act",
        True, "import records, origin certificate or brand authorisation",
    ),
    Category(
        "environmental", "Unsubstantiated environmental claim", "근거 없는 환경성 주장",
        "Vague or false green claims (eco-friendly, 100% natural, chemical-free, non-toxic, carbon "
        "neutral) without basis.",
        f"{_FLAA} items 1-2; KFTC Guideline on Environmental Labeling and Advertising "
        "(환경 관련 표시·광고 심사지침); Environmental Technology and Industry Support Act Art. 16-10",
        True, "certification, life-cycle or test evidence for the environmental claim",
    ),
    Category(
        "hidden_terms", "Hidden material terms", "중요 조건 은폐",
        "Material conditions omitted or buried: auto-renewing subscriptions, income claims for side "
        "jobs, conditions only in fine print.",
        f"{_FLAA} item 2 (deceptive by omission); Notice on Important Information in Labeling and "
        "Advertising (중요정보 고시); E-Commerce Act dark-pattern rules",
        False, "",
    ),
)

CATEGORY_CODES: tuple[str, ...] = tuple(c.code for c in CATEGORIES)
_BY_CODE = {c.code: c for c in CATEGORIES}


def get_category(code: str) -> Category:
    """Return the category for a code, or raise KeyError naming the known codes."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown category {code!r}; known: {', '.join(CATEGORY_CODES)}") from None


def parse_categories(value: object) -> list[str]:
    """Split a categories cell ("price;urgency", list, NaN or empty) into codes, keeping order."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        text = str(value)
        if text.lower() in ("", "nan", "none"):
            return []
        items = text.replace(",", ";").replace("|", ";").split(";")
    seen: list[str] = []
    for item in items:
        code = item.strip()
        if code and code not in seen:
            seen.append(code)
    return seen
