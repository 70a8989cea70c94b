"""Price claims: extraction, discount arithmetic and the check of reference prices against price histories."""

from __future__ import annotations

import os
import re
import unicodedata
import zoneinfo
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from adcheck.errors import InputDataError
from adcheck.readers import read_table, require_column

KIND_REFERENCE = "reference"
KIND_SALE = "sale"
KIND_DISCOUNT = "discount"
KIND_QUANTITY = "quantity_offer"
KIND_LOWEST = "lowest_price"
CLAIM_KINDS = (KIND_REFERENCE, KIND_SALE, KIND_DISCOUNT, KIND_QUANTITY, KIND_LOWEST)

CONSISTENT = "consistent"
INCONSISTENT = "inconsistent"
NOT_CHECKABLE = "not_checkable"
SUPPORTED = "supported"
NOT_SUPPORTED = "not_supported"
VERDICT_STATUSES = (SUPPORTED, NOT_SUPPORTED, NOT_CHECKABLE)

BASE_RULES = ("lowest", "median", "most_common")

# A stated percent may be rounded to nearest, so it may exceed the true figure by up to half a point.
ROUNDING_TOLERANCE = 0.5
# Figures of one offer sit close together; a figure further than this from the previous one starts a new offer.
OFFER_MAX_DISTANCE = 80
# Relative slack when comparing a reference with a charged price, so 19.99 vs 19.990000001 is equal.
_PRICE_EPSILON = 1e-9


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceClaim:
    """One price claim of a text: a figure (or a marker) with its span in the original text.

    `amount` is in the currency unit (won, dollars, ...); `percent` is the stated discount, or for a
    quantity offer its per-unit discount (1+1 -> 50). `currency_inferred` is True when the figure itself
    names no currency and it was taken from the text (see `extract_price_claims`); `note` says why an
    amount could not be read, or how an ambiguous sign was read.
    """

    kind: str
    text: str
    start: int
    end: int
    amount: float | None = None
    currency: str | None = None
    percent: float | None = None
    label: str | None = None
    currency_inferred: bool = False
    note: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


_CURRENCY_WORDS = {
    "원": "KRW", "₩": "KRW", "krw": "KRW", "won": "KRW",
    "$": "USD", "us$": "USD", "usd": "USD", "달러": "USD", "dollar": "USD", "dollars": "USD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "유로": "EUR",
    "元": "CNY", "cny": "CNY", "rmb": "CNY", "위안": "CNY", "yuan": "CNY",
    "¥": "JPY", "円": "JPY", "엔": "JPY", "jpy": "JPY", "yen": "JPY",
    "£": "GBP", "gbp": "GBP", "파운드": "GBP",
}
# Currencies whose prices have no minor unit in practice, or whose writers use '.' for thousands.
_DOT_THOUSANDS_CURRENCIES = frozenset({"KRW", "JPY", "EUR"})
_YUAN_HINT = re.compile(r"元|rmb|cny|위안|人民币|yuan", re.IGNORECASE)

_HDIGITS = "일이삼사오육칠팔구"
_UNITS = "십백천만억"
_HDIGIT_VALUE = {c: i + 1 for i, c in enumerate(_HDIGITS)}
_SMALL_UNIT = {"십": 10, "백": 100, "천": 1000}
_BIG_UNIT = {"만": 10_000, "억": 100_000_000}

_NUM = r"\d+(?:[.,]\d+)*"
_NUM_SPACED = r"\d{1,3}(?: \d{3})+(?:[.,]\d{1,2})?"
_KTERM = rf"(?:{_NUM}|[{_HDIGITS}])?[{_UNITS}]"
_KOREAN = rf"{_KTERM}(?: ?{_KTERM})*(?: ?\d+(?:,\d{{3}})*)?"
_PREFIX = r"us\$|[₩$€¥£]|krw|usd|eur|jpy|cny|rmb|gbp"
_SUFFIX = r"원|₩|円|元|엔|달러|위안|유로|파운드|€|\$|¥|£|(?:krw|usd|eur|jpy|cny|rmb|gbp|won|dollars?|euros?|yen|yuan)(?![a-z])"
# A Hangul numeral may not continue a word ("지금만 오천원" is 5,000 won, not 15,000); digits may not continue a number.
_START = rf"(?:(?<![가-힣])(?=[{_HDIGITS}{_UNITS}])|(?<![\d.,])(?=\d))"
_FIGURE = re.compile(
    rf"(?<![a-z])(?P<pre>{_PREFIX}) ?(?P<pnum>{_NUM_SPACED}|{_NUM})(?!\d)"
    rf"|{_START}(?P<snum>{_NUM_SPACED}) ?(?P<ssuf>{_SUFFIX})"
    rf"|{_START}(?P<num>{_KOREAN}|{_NUM})(?: ?(?P<suf>{_SUFFIX}))?",
    re.IGNORECASE,
)

_REFERENCE_LABELS = (
    r"권장\s?소비자\s?가(?:격)?|소비자\s?가(?:격)?|정상\s?가(?:격)?|정가|시중\s?가(?:격)?|출시\s?가(?:격)?|기존\s?가(?:격)?"
    r"|백화점\s?가(?:격)?|was|rrp|msrp|srp|regular(?:ly)?(?: price)?|reg\.|list price|original(?:ly| price)?|orig\."
    r"|compare at|retail price|before"
)
_SALE_LABELS = (
    r"즉시\s?할인\s?가|할인\s?가(?:격)?|특\s?가|세일\s?가|쿠폰\s?가|혜택\s?가|최종\s?가|회원\s?가|행사\s?가|적용\s?가"
    r"|최저\s?가|단돈|now|sale(?: price)?|deal(?: price)?|special(?: price)?|our price|only|just|today|price"
)
# '판매가' is the crossed-out price on many Korean marketplaces but the plain price elsewhere; resolved by context.
_AMBIGUOUS_LABELS = r"판매\s?가(?:격)?"
_LABEL_BEFORE = re.compile(
    rf"(?<![a-z])(?:(?P<ref>{_REFERENCE_LABELS})|(?P<amb>{_AMBIGUOUS_LABELS})|(?P<sale>{_SALE_LABELS}))"
    r"(?:은|는|이|가)?\s*[:：=(\[]?\s*(?:only\s+|just\s+|단돈\s*)?$",
    re.IGNORECASE,
)
_ARROW = re.compile(r"^\s*(?P<arrow>→|->|=>|⇒|➡|➜|➔|▶|▷|⟶|»|~>|>)\s*(?P<rest>[^\d]{0,12})$")
_STRIKE_REGION = re.compile(r"~~(.+?)~~|<(s|del|strike)>(.*?)</\2>", re.IGNORECASE | re.DOTALL)
_STRIKE_MARKS = "\u0335\u0336\u0337\u0338"
# Unlabeled amounts that are conditions, amounts off or points, not an offer price.
_EXCLUDE_AFTER = re.compile(
    r"^\s*(?:이상|이하|미만|부터|할인|적립|상당|추가|씩|까지|off\b|discount|cash ?back|back\b|or more|minimum|min\.)",
    re.IGNORECASE,
)
_EXCLUDE_BEFORE = re.compile(
    r"(?:over|above|under|orders?(?: of| over)?|save|saving|you save|up to|from|배송비|택배비|shipping|적립금?|포인트"
    r"|쿠폰|최대|추가|extra|할인|discount)\s*[:：]?\s*$",
    re.IGNORECASE,
)
_PERCENT_DISCOUNT_BEFORE = re.compile(r"%\s*(?:할인|discount)\s*$", re.IGNORECASE)
_PERCENT = re.compile(r"(?<![\d.,])(?P<pct>\d{1,3}(?:[.,]\d{1,2})?) ?(?:%|퍼센트|프로)")
_PERCENT_AFTER = re.compile(r"^\s*(?P<m>off|할인|세일|dc|↓|sale|discount|savings?|down|인하)", re.IGNORECASE)
# "39,900원 (79%)": a bare percent in brackets right after an amount is that offer's discount.
_PERCENT_AFTER_AMOUNT = re.compile(
    r"(?:[₩$€¥£]\s?\d[\d.,]*|\d[\d.,]*\s?(?:원|円|元|€|\$|¥|£|won|krw|usd|eur|jpy|cny))\s*[(\[]\s*$", re.IGNORECASE
)
_PERCENT_BEFORE = re.compile(r"(?<![a-z])(?P<m>save|saving|discount|할인율?|세일|dc|sale|▼|↓|(?<![\d\w])-)\s*$", re.IGNORECASE)
_QUANTITY = re.compile(
    r"(?<![\d+])(?P<a>[1-9]) ?\+ ?(?P<b>[1-9])(?![\d+%])"
    r"|(?<![a-z])buy (?P<wa>one|two|three|[1-9]),? get (?P<wb>one|two|[1-9])(?: free)?(?![a-z])"
    r"|(?<![a-z])bogo(?![a-z])",
    re.IGNORECASE,
)
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3}
_LOWEST = re.compile(
    r"(?:역대|업계|국내|온라인)?\s?최저\s?가(?:격)?|(?<![a-z])(?:lowest(?:[- ]ever)? prices?|all[- ]time low|cheapest)(?![a-z])",
    re.IGNORECASE,
)
_KOREAN_NUMERAL = re.compile(f"[{_HDIGITS}{_UNITS}]")
_PLAIN_DIGITS = re.compile(r"\d+")
_COMMA_GROUPS = re.compile(r"\d{1,3}(?:,\d{3})+")
_SPACED_NUMBER = re.compile(r"\d{1,3}(?: \d{3})+(?:[.,]\d{1,2})?")
_SPACES = re.compile("[\u00a0\u202f\u2009]")
_DIGITS_AND_MARKS = re.compile(r"\d+(?:[.,]\d+)*")
# Characters the view folds: strike overlays, odd spaces and full-width forms (１５，０００원, ￦, ％).
_FOLDED = "[\u0335-\u0338\u00a0\u2000-\u200a\u202f\u205f\u3000\uff00-\uffef]"
_NEEDS_VIEW = re.compile(_FOLDED)


@dataclass(frozen=True)
class _Figure:
    """A number found in the view of a text, before it is given a kind."""

    start: int  # view offsets
    end: int
    number: str
    currency: str | None
    note: str | None  # how an ambiguous currency sign was read


def _view(text: str) -> tuple[str, list[int] | None, list[bool] | None]:
    """The text with full-width forms and odd spaces folded and strike marks removed, with offsets back.

    Folding is per character so every view character points at one original character; the strike
    overlay marks (U+0335-U+0338) are dropped from the view and remembered on the character they strike.
    """
    if not _NEEDS_VIEW.search(text):
        return text, None, None
    chars: list[str] = []
    offsets: list[int] = []
    struck: list[bool] = []
    for index, char in enumerate(text):
        if char in _STRIKE_MARKS:
            if struck:
                struck[-1] = True
            continue
        folded = unicodedata.normalize("NFKC", char) if _NEEDS_VIEW.match(char) else char
        if len(folded) != 1:
            folded = char
        chars.append(" " if folded.isspace() else folded)
        offsets.append(index)
        struck.append(False)
    return "".join(chars), offsets, struck if any(struck) else None


def _original_span(text: str, offsets: list[int] | None, start: int, end: int) -> tuple[int, int]:
    if offsets is None:
        return start, end
    first = offsets[start]
    last = offsets[end - 1] + 1
    while last < len(text) and text[last] in _STRIKE_MARKS:
        last += 1  # the overlay of the last struck character belongs to the figure
    return first, last


def _currency_code(token: str | None, yuan_text: bool) -> tuple[str | None, str | None]:
    """ISO code of a currency sign or word, and a note when the sign is ambiguous."""
    if not token:
        return None, None
    key = token.lower()
    if key == "¥":
        # '¥' writes both yen and yuan; it is read as yuan only when the text also says 元/RMB/CNY/위안.
        if yuan_text:
            return "CNY", "'¥' read as CNY (the text also names yuan)"
        return "JPY", "'¥' read as JPY (the text names no yuan)"
    return _CURRENCY_WORDS.get(key), None


def _valid_groups(groups: list[str]) -> bool:
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def parse_number(text: str, currency: str | None = None, *, unit_follows: bool = False) -> tuple[float | None, str | None]:
    """Read a number written with any common grouping; return (value, note) with value None if unreadable.

    Rules, in order: spaces between digit groups are thousands separators; with both '.' and ',' the
    later one is the decimal mark; a lone ',' before exactly three digits groups thousands and before
    one or two digits is a decimal comma (12,50 €); several equal marks group thousands; a lone '.'
    before exactly three digits (1.234) groups thousands for KRW, JPY and EUR, is ambiguous for other
    or unknown currencies (None, with a note), and is a decimal point when a Korean unit follows (1.5만).
    """
    # The two forms nearly every price takes are read first, without the rules below.
    if _PLAIN_DIGITS.fullmatch(text):
        return float(text), None
    if _COMMA_GROUPS.fullmatch(text):
        return float(text.replace(",", "")), None
    spaced = _SPACES.sub(" ", text.strip())
    if " " in spaced and not _SPACED_NUMBER.fullmatch(spaced):
        return None, f"malformed digit grouping {text!r}"
    compact = spaced.replace(" ", "")
    if not _DIGITS_AND_MARKS.fullmatch(compact):
        return None, f"unreadable number {text!r}"
    dots, commas = compact.count("."), compact.count(",")
    if dots and commas:
        decimal = "." if compact.rfind(".") > compact.rfind(",") else ","
        thousands = "," if decimal == "." else "."
        whole, fraction = compact.rsplit(decimal, 1)
        if thousands in fraction or decimal in whole or not _valid_groups(whole.split(thousands)):
            return None, f"malformed digit grouping {text!r}"
        return float(whole.replace(thousands, "") + "." + fraction), None
    mark = "." if dots else ","
    count = dots or commas
    if count == 0:
        return float(compact), None
    parts = compact.split(mark)
    if count > 1:
        if not _valid_groups(parts):
            return None, f"malformed digit grouping {text!r}"
        return float("".join(parts)), None
    whole, fraction = parts
    if unit_follows or len(fraction) != 3:
        if mark == "," and len(fraction) > 2 and not unit_follows:
            return None, f"malformed digit grouping {text!r}"
        return float(f"{whole}.{fraction}"), None
    if not _valid_groups(parts):
        return float(f"{whole}.{fraction}"), None  # 39900.000: a float with three decimals, not a grouping
    if mark == "," or (currency in _DOT_THOUSANDS_CURRENCIES):
        return float(whole + fraction), None
    return None, f"ambiguous {text!r}: thousands or decimals? write {whole},{fraction} or {whole}.{fraction[:2]}"


def parse_korean_amount(text: str, currency: str | None = None) -> tuple[float | None, str | None]:
    """Read a Korean number with units: '1만 5천', '1.5만', '만오천', '3만9천9백', '1억 2천만', '1만 5,000'.

    A unit without a coefficient counts once (만 = 10,000); 십/백/천 add up inside a 만/억 section.
    """
    total = 0.0
    section = 0.0
    current: float | None = None
    for match in re.finditer(rf"\d+(?:[.,]\d+)*|[{_HDIGITS}{_UNITS}]", text):
        token = match.group(0)
        if token[0].isdigit():
            unit_follows = text[match.end():].lstrip()[:1] in tuple(_UNITS)
            value, note = parse_number(token, currency, unit_follows=unit_follows)
            if value is None:
                return None, note
            current = value
        elif token in _HDIGIT_VALUE:
            current = float(_HDIGIT_VALUE[token])
        elif token in _SMALL_UNIT:
            section += (1.0 if current is None else current) * _SMALL_UNIT[token]
            current = None
        else:
            section += current or 0.0
            total += (section or 1.0) * _BIG_UNIT[token]
            section, current = 0.0, None
    return total + section + (current or 0.0), None


def _read_figure(match: re.Match, yuan_text: bool) -> _Figure:
    groups = match.groupdict()
    number = groups["pnum"] or groups["snum"] or groups["num"]
    currency, note = _currency_code(groups["pre"] or groups["ssuf"] or groups["suf"], yuan_text)
    return _Figure(match.start(), match.end(), number, currency, note)


def _is_korean_number(number: str) -> bool:
    return _KOREAN_NUMERAL.search(number) is not None


def read_amount(number: str, currency: str | None) -> tuple[float | None, str | None]:
    """The value of a figure's number text (Arabic digits or Korean units) in a currency."""
    if _is_korean_number(number):
        return parse_korean_amount(number, currency)
    return parse_number(number, currency)


def _strike_regions(view: str) -> list[tuple[int, int, str]]:
    if "~~" not in view and "<" not in view:
        return []
    regions = []
    for match in _STRIKE_REGION.finditer(view):
        marker = "~~" if match.group(1) is not None else f"<{match.group(2).lower()}>"
        regions.append((match.start(), match.end(), marker))
    return regions


def _struck_marker(figure: _Figure, view: str, struck: list[bool] | None, regions: list[tuple[int, int, str]]) -> str | None:
    for start, end, marker in regions:
        if start <= figure.start and figure.end <= end:
            return marker
    if struck is None:
        return None
    digits = [i for i in range(figure.start, figure.end) if view[i].isdigit()]
    if digits and sum(struck[i] for i in digits) * 2 >= len(digits):
        return "strikethrough"
    return None


def _label_before(view: str, start: int) -> tuple[str | None, str | None]:
    """The marker word right before a figure and its kind ('reference', 'sale' or 'ambiguous')."""
    end = start
    while end > 0 and view[end - 1] in " :：=([":
        end -= 1
    if end == 0 or not (view[end - 1].isalpha() or view[end - 1] == "."):
        return None, None  # no word ends right before the figure: skip the costly search
    match = _LABEL_BEFORE.search(view[max(0, start - 32):start])
    if not match:
        return None, None
    for kind, group in (("reference", "ref"), ("ambiguous", "amb"), ("sale", "sale")):
        if match.group(group):
            return kind, re.sub(r"\s+", " ", match.group(group))
    return None, None


def _excluded_context(view: str, figure: _Figure) -> bool:
    before = view[max(0, figure.start - 30):figure.start]
    if _EXCLUDE_AFTER.match(view[figure.end:figure.end + 12]):
        return True
    if _EXCLUDE_BEFORE.search(before):
        return not _PERCENT_DISCOUNT_BEFORE.search(before)  # "30% 할인 35,000원": the price after the discount
    return False


def _arrow_pairs(view: str, figures: list[_Figure]) -> list[tuple[int, int, str]]:
    """Neighbouring figures joined by an arrow ('189,000→39,900'): left is the reference, right the sale price."""
    pairs = []
    for i in range(len(figures) - 1):
        match = _ARROW.match(view[figures[i].end:figures[i + 1].start])
        if match:
            pairs.append((i, i + 1, match.group("arrow")))
    return pairs


def _settle_currencies(figures: list[_Figure], pairs: list[tuple[int, int, str]]) -> tuple[list[str | None], list[bool]]:
    """A figure without a currency takes its arrow partner's ('189,000→39,900원'), else the text's only one."""
    currency = [f.currency for f in figures]
    inferred = [False] * len(figures)
    for left, right, _ in pairs:
        for this, other in ((left, right), (right, left)):
            if currency[this] is None and figures[other].currency:
                currency[this], inferred[this] = figures[other].currency, True
    stated = {f.currency for f in figures if f.currency}
    if len(stated) == 1:
        only = next(iter(stated))
        for i, value in enumerate(currency):
            if value is None:
                currency[i], inferred[i] = only, True
    return currency, inferred


def _figure_kind(index: int, figure: _Figure, view: str, struck: list[bool] | None, regions: list, roles: dict,
                 labels: list[tuple[str | None, str | None]]) -> tuple[str, str | None] | None:
    """Kind and marker of a figure, or None when it is not a price claim (see `extract_price_claims`)."""
    label_kind, label = labels[index]
    strike = _struck_marker(figure, view, struck, regions)
    if strike:
        return KIND_REFERENCE, label or strike
    if label_kind == KIND_SALE and roles.get(index, ("",))[0] == KIND_REFERENCE and labels[index + 1][0] is None:
        # "SALE 189,000원 -> 39,900원": the arrow says the labelled figure is the price that was replaced.
        return KIND_REFERENCE, label
    if label_kind:
        return label_kind, label
    if index in roles:
        return roles[index]
    if figure.currency and not _excluded_context(view, figure):
        return KIND_SALE, None
    return None  # a bare number with no marker is not a price claim


def _figure_claims(text: str, view: str, offsets: list[int] | None, struck: list[bool] | None) -> list[PriceClaim]:
    yuan_text = bool(_YUAN_HINT.search(view))
    figures = [_read_figure(m, yuan_text) for m in _FIGURE.finditer(view)]
    figures = [f for f in figures if not _is_non_price(view, f)]
    regions = _strike_regions(view)
    pairs = _arrow_pairs(view, figures)
    roles: dict[int, tuple[str, str]] = {}
    for left, right, arrow in pairs:
        roles.setdefault(left, (KIND_REFERENCE, arrow))
        roles[right] = (KIND_SALE, arrow)
    currencies, inferred = _settle_currencies(figures, pairs)
    labels = [_label_before(view, f.start) for f in figures]
    claims: list[tuple[PriceClaim, str]] = []
    for index, figure in enumerate(figures):
        decided = _figure_kind(index, figure, view, struck, regions, roles, labels)
        if decided is None:
            continue
        kind, label = decided
        amount, problem = read_amount(figure.number, currencies[index])
        start, end = _original_span(text, offsets, figure.start, figure.end)
        claim = PriceClaim(KIND_SALE if kind == "ambiguous" else kind, text[start:end], start, end, amount,
                           currencies[index], None, label, inferred[index], problem or figure.note)
        claims.append((claim, kind))
    return _resolve_ambiguous(claims)


def _is_non_price(view: str, figure: _Figure) -> bool:
    """A bare figure followed by %, + or a Hangul word ('58%', '1+1', '2024년', '만족') is not an amount."""
    if figure.currency:
        return False
    following = view[figure.end:figure.end + 1]
    return bool(following) and (following in "%+" or "가" <= following <= "힣")


def _resolve_ambiguous(claims: list[tuple[PriceClaim, str]]) -> list[PriceClaim]:
    """'판매가' is a reference when a lower sale price is also shown, otherwise the sale price itself."""
    sales = [c.amount for c, kind in claims if kind == KIND_SALE and c.amount is not None]
    resolved = []
    for claim, kind in claims:
        if kind == "ambiguous" and claim.amount is not None and any(s < claim.amount for s in sales):
            claim = replace(claim, kind=KIND_REFERENCE)
        resolved.append(claim)
    return resolved


def _percent_claims(text: str, view: str, offsets: list[int] | None) -> list[PriceClaim]:
    claims = []
    for match in _PERCENT.finditer(view):
        after = _PERCENT_AFTER.match(view[match.end():match.end() + 12])
        before = _PERCENT_BEFORE.search(view[max(0, match.start() - 14):match.start()])
        marker = after or before
        if marker:
            label = marker.group("m")
        elif _PERCENT_AFTER_AMOUNT.search(view[max(0, match.start() - 24):match.start()]) and view[match.end():match.end() + 2].lstrip()[:1] in (")", "]"):
            label = "()"
        else:
            continue  # "100% 효과", "지방 90%": a percent that is not a discount
        start, end = _original_span(text, offsets, match.start(), match.end())
        value = float(match.group("pct").replace(",", "."))
        claims.append(PriceClaim(KIND_DISCOUNT, text[start:end], start, end, percent=value, label=label))
    return claims


def _quantity_claims(text: str, view: str, offsets: list[int] | None) -> list[PriceClaim]:
    claims = []
    for match in _QUANTITY.finditer(view):
        if match.group("a"):
            paid, free = int(match.group("a")), int(match.group("b"))
        elif match.group("wa"):
            wa, wb = match.group("wa").lower(), match.group("wb").lower()
            paid = _WORD_NUMBERS.get(wa) or int(wa)
            free = _WORD_NUMBERS.get(wb) or int(wb)
        else:
            paid, free = 1, 1
        start, end = _original_span(text, offsets, match.start(), match.end())
        # Per-unit discount of the bundle: pay for `paid`, get `paid + free`.
        percent = round(100.0 * free / (paid + free), 2)
        claims.append(PriceClaim(KIND_QUANTITY, text[start:end], start, end, percent=percent, label=f"{paid}+{free}"))
    return claims


def _lowest_claims(text: str, view: str, offsets: list[int] | None) -> list[PriceClaim]:
    claims = []
    for match in _LOWEST.finditer(view):
        lead = len(match.group(0)) - len(match.group(0).lstrip())
        start, end = _original_span(text, offsets, match.start() + lead, match.end())
        claims.append(PriceClaim(KIND_LOWEST, text[start:end], start, end, label=text[start:end]))
    return claims


def extract_price_claims(text: str) -> list[PriceClaim]:
    """Every price claim of a text, in reading order, with spans into the original text.

    Rules: an amount is a figure with a currency (15,000원, ₩15,000, $39.99, 1.234,56 €, 1 234 €,
    1만 5천원, 1.5만원, 만오천원) or a bare figure with a marker. Its kind comes from, in order: strike-through
    (U+0336 overlays, ~~..~~, <s>/<del>/<strike>) -> reference; a marker word right before it (정가, 시중가,
    소비자가, was, RRP, MSRP ... -> reference; 할인가, 특가, now, sale ... -> sale; 판매가 -> reference when a
    lower sale price is also shown, else sale); an arrow between two figures (189,000→39,900) -> left
    reference, right sale; otherwise a figure with a currency is a sale price unless it is a condition,
    an amount off or points (3만원 이상, 5,000원 할인, over $50, 적립). '$' is read as USD; '¥' as JPY unless
    the text names yuan. A figure without a currency takes its arrow partner's, else the text's only
    currency (`currency_inferred`). A percent is a discount only next to a discount word (58% off,
    79% 할인, -58%, 30%↓).
    """
    if not isinstance(text, str) or not text:
        return []
    view, offsets, struck = _view(text)
    claims = _figure_claims(text, view, offsets, struck)
    claims += _percent_claims(text, view, offsets)
    claims += _quantity_claims(text, view, offsets)
    claims += _lowest_claims(text, view, offsets)
    return sorted(claims, key=lambda c: (c.start, c.end))


# --------------------------------------------------------------------------------------------
# Internal consistency
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsistencyFinding:
    """The arithmetic check of one offer's reference price, sale price and stated discount."""

    status: str
    stated_percent: float | None
    computed_percent: float | None
    reference: float | None
    sale: float | None
    message: str
    currency: str | None = None
    start: int | None = None
    end: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Offer:
    """The reference, sale and discount claims that belong together."""

    reference: PriceClaim | None = None
    sale: PriceClaim | None = None
    discount: PriceClaim | None = None

    def claims(self) -> list[PriceClaim]:
        return [c for c in (self.reference, self.sale, self.discount) if c is not None]


_OFFER_SLOT = {KIND_REFERENCE: "reference", KIND_SALE: "sale", KIND_DISCOUNT: "discount"}


def group_offers(claims: list[PriceClaim]) -> list[_Offer]:
    """Group claims into offers in reading order.

    An offer closes when a figure of a kind it already holds appears (a second reference starts a second
    offer) or when the next figure is more than OFFER_MAX_DISTANCE characters after the previous one.
    """
    offers: list[_Offer] = []
    current = _Offer()
    last_end = None
    for claim in sorted(claims, key=lambda c: c.start):
        slot = _OFFER_SLOT.get(claim.kind)
        if slot is None:
            continue
        far = last_end is not None and claim.start - last_end > OFFER_MAX_DISTANCE
        if getattr(current, slot) is not None or far:
            if current.claims():
                offers.append(current)
            current = _Offer()
        setattr(current, slot, claim)
        last_end = claim.end
    if current.claims():
        offers.append(current)
    return offers


def _fmt_percent(value: float) -> str:
    return f"{value:.1f}%"


def _offer_span(offer: _Offer) -> tuple[int, int]:
    claims = offer.claims()
    return min(c.start for c in claims), max(c.end for c in claims)


def _check_offer(offer: _Offer) -> ConsistencyFinding | None:
    ref, sale, disc = offer.reference, offer.sale, offer.discount
    stated = disc.percent if disc else None
    if disc is None and (ref is None or sale is None):
        return None  # a lone price claims no discount to check
    start, end = _offer_span(offer)
    reference = ref.amount if ref else None
    sale_amount = sale.amount if sale else None
    currency = (ref.currency if ref else None) or (sale.currency if sale else None)

    def finding(status: str, computed: float | None, message: str) -> ConsistencyFinding:
        return ConsistencyFinding(status, stated, computed, reference, sale_amount, message, currency, start, end)

    if stated is not None and (stated <= 0 or stated > 100):
        return finding(INCONSISTENT, None, f"a discount of {stated:g}% is impossible")
    if reference is None or sale_amount is None:
        missing = "reference and sale price" if ref is None and sale is None else "reference price" if reference is None else "sale price"
        unreadable = (ref is not None and reference is None) or (sale is not None and sale_amount is None)
        why = "could not be read" if unreadable else "is not stated"
        what = f"the {stated:g}% discount" if stated is not None else "the discount"
        return finding(NOT_CHECKABLE, None, f"the {missing} {why}, so {what} cannot be checked")
    if ref.currency and sale.currency and ref.currency != sale.currency:
        return finding(NOT_CHECKABLE, None, f"the reference is in {ref.currency} and the sale price in {sale.currency}")
    if sale_amount >= reference:
        return finding(INCONSISTENT, (1 - sale_amount / reference) * 100 if reference > 0 else None,
                       f"the sale price {sale_amount:,.2f} is not below the reference {reference:,.2f}: no discount")
    computed = (1 - sale_amount / reference) * 100
    if stated is None:
        return finding(CONSISTENT, computed, f"no percent stated; the prices give {_fmt_percent(computed)} off")
    gap = stated - computed
    if gap > ROUNDING_TOLERANCE + 1e-9:
        return finding(INCONSISTENT, computed,
                       f"{stated:g}% off is stated but the prices give {_fmt_percent(computed)} (rounded up by {gap:.1f} points)")
    if gap > 0:
        how = "rounded to nearest"
    elif gap > -1:
        how = "rounded down"
    else:
        how = f"understates the discount by {-gap:.1f} points"
    return finding(CONSISTENT, computed, f"{stated:g}% off; the prices give {_fmt_percent(computed)} ({how})")


def check_consistency(claims: list[PriceClaim]) -> list[ConsistencyFinding]:
    """Check each offer's stated discount against its reference and sale prices.

    Rule: computed = (1 - sale / reference) x 100. A stated percent may be rounded down or to nearest,
    and may understate the discount: it is consistent when stated <= computed + 0.5 points. It is
    inconsistent when rounded up by more than 0.5 points, when the sale price is not below the reference,
    or when it is <= 0% or > 100%. An offer with a percent but not both prices, or with prices in two
    currencies, is not checkable. A reference and a sale price without a percent are checked only for
    sale < reference. Claims are grouped into offers by `group_offers`.
    """
    findings = []
    for offer in group_offers(claims):
        finding = _check_offer(offer)
        if finding is not None:
            findings.append(finding)
    return findings


# --------------------------------------------------------------------------------------------
# Price histories
# --------------------------------------------------------------------------------------------


@dataclass
class HistoryOptions:
    """Column names and rules for a price history.

    `window_days`: days before the ad's date that make the comparison window. `base_rule`: the true base
    price in the window: 'lowest' (Korean and EU rule), 'median', or 'most_common' (closest to US
    'regular price'). `max_gap_days`: how long an observed price is taken to hold without a new
    observation; raise it for change-log histories that have a row only when the price changes.
    `default_currency`: for rows with no currency. `naive_timezone`: zone of timestamps without an
    offset. `max_bad_fraction`: above this share of unusable rows the file, not some rows, is wrong.
    """

    listing_col: str = "listing_id"
    date_col: str = "date"
    price_col: str = "price"
    currency_col: str = "currency"
    window_days: int = 20
    base_rule: str = "lowest"
    max_gap_days: int = 3
    default_currency: str | None = None
    naive_timezone: str = "UTC"
    max_bad_fraction: float = 0.5


def _validate_options(options: HistoryOptions) -> None:
    if options.base_rule not in BASE_RULES:
        raise InputDataError(f"unknown base rule {options.base_rule!r}; use one of {', '.join(BASE_RULES)}")
    if not isinstance(options.window_days, (int, np.integer)) or options.window_days < 1:
        raise InputDataError(f"window_days must be a whole number of days >= 1, not {options.window_days!r}")
    if options.max_gap_days < 0:
        raise InputDataError(f"max_gap_days must be >= 0, not {options.max_gap_days!r}")
    if not 0 <= options.max_bad_fraction <= 1:
        raise InputDataError(f"max_bad_fraction must be between 0 and 1, not {options.max_bad_fraction!r}")
    try:
        zoneinfo.ZoneInfo(options.naive_timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise InputDataError(f"unknown time zone {options.naive_timezone!r}; use an IANA name such as 'Asia/Seoul' or 'UTC'") from None
    if options.default_currency is not None and _currency_value(options.default_currency) in ("", "?"):
        raise InputDataError(f"unknown default currency {options.default_currency!r}; use an ISO code such as KRW or USD")


_HISTORY_MARK = "adcheck_price_history"
_DATE_PARTS = re.compile(r"^(\d{4})[./-](\d{1,2})[./-](\d{1,2})(.*)$")
_HAS_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")
_HAS_OFFSET = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)


def _strings(values: pd.Series) -> np.ndarray:
    """A column as stripped strings, with missing values as ''."""
    missing = values.isna().to_numpy()
    text = values.astype(str).str.strip().to_numpy(dtype=object)
    text[missing] = ""
    return text


def _map_unique(values: np.ndarray, function) -> np.ndarray:
    """`function` applied to each distinct value once (columns repeat a few values many times)."""
    codes, uniques = pd.factorize(values)
    return np.asarray([function(u) for u in uniques], dtype=object)[codes] if len(values) else np.asarray([], dtype=object)


def _id_strings(values: pd.Series) -> np.ndarray:
    """Listing ids as strings; whole floats (123.0, from a numeric column with gaps) read as '123'."""
    if pd.api.types.is_float_dtype(values):
        array = values.to_numpy(dtype=float, na_value=np.nan)
        return np.asarray(["" if np.isnan(v) else str(int(v)) if v.is_integer() else repr(float(v)) for v in array], dtype=object)
    return _strings(values)


def _iso_date_text(value: str) -> str:
    match = _DATE_PARTS.match(value)
    if not match:
        return value
    year, month, day, rest = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}{rest}"


def parse_utc_days(values: pd.Series, naive_timezone: str = "UTC") -> pd.Series:
    """Dates and timestamps as UTC calendar days (tz-aware midnights; NaT where unreadable).

    Rule: accepted forms are ISO 8601 (2024-03-01, 2024-03-01T10:00:00+09:00, ...Z) and YYYY.MM.DD or
    YYYY/MM/DD. A value with a time of day and an offset is converted to UTC, one without an offset is
    taken in `naive_timezone` and converted; either is then cut to its UTC date. A date without a time
    is that calendar date. Day-first or month-first forms (01/03/2024) are rejected as ambiguous.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = pd.Series(values)
        if stamps.dt.tz is None:
            if bool((stamps.dropna() == stamps.dropna().dt.normalize()).all()):
                return stamps.dt.tz_localize("UTC")
            stamps = stamps.dt.tz_localize(naive_timezone, ambiguous="NaT", nonexistent="NaT")
        return stamps.dt.tz_convert("UTC").dt.floor("D")
    codes, uniques = pd.factorize(pd.Series(_strings(values)))
    texts = pd.Series([_iso_date_text(u) for u in uniques], dtype=object)
    has_time = texts.map(lambda t: bool(_HAS_TIME.match(t)))
    naive = has_time & ~texts.map(lambda t: bool(_HAS_OFFSET.search(t)))
    parsed = pd.to_datetime(texts, format="ISO8601", utc=True, errors="coerce")
    if naive.any() and naive_timezone != "UTC":
        local = pd.to_datetime(texts[naive], format="ISO8601", errors="coerce")
        parsed[naive] = local.dt.tz_localize(naive_timezone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    days = pd.to_datetime(parsed, utc=True).dt.floor("D")
    return pd.Series(days.array.take(codes, allow_fill=True), index=values.index)


def _currency_value(value: str) -> str:
    """ISO code of a currency cell: '' when empty, '?' when unknown; other 3-letter codes pass as given."""
    text = value.strip()
    if not text:
        return ""
    code = _CURRENCY_WORDS.get(text.lower())
    if code:
        return code
    if re.fullmatch(r"[A-Za-z]{3}", text):
        return text.upper()
    return "?"


_PRICE_CELL = re.compile(rf"^(?P<sign>[-−])?\s*(?:(?P<pre>{_PREFIX})\s?)?(?P<sign2>[-−])?\s*(?P<body>.+?)\s*(?P<suf>{_SUFFIX})?$", re.IGNORECASE)


def _split_price_cell(value: str) -> tuple[str, str, bool, str | None]:
    """A price cell as (number text, currency code or '', negative, problem)."""
    match = _PRICE_CELL.match(value)
    if not match or not value:
        return "", "", False, "missing price" if not value else f"unreadable price {value!r}"
    # In a history cell '¥' has no text around it to tell yuan from yen: it is read as JPY.
    currency = _currency_code(match.group("pre") or match.group("suf"), False)[0] or ""
    negative = bool(match.group("sign") or match.group("sign2"))
    return match.group("body"), currency, negative, None


def _read_price(body: str, currency: str) -> tuple[float | None, str | None]:
    if _is_korean_number(body):
        if re.fullmatch(_KOREAN, body):
            return parse_korean_amount(body, currency or None)
        return None, f"unreadable price {body!r}"
    return parse_number(body, currency or None)


@dataclass(frozen=True)
class HistoryReport:
    """What loading a price history kept, dropped and collapsed."""

    rows_read: int
    rows_used: int
    listings: int
    dropped: dict[str, int] = field(default_factory=dict)
    first_problem: str | None = None
    duplicates_collapsed: int = 0
    currencies_filled: int = 0
    out_of_order: bool = False
    currencies: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return asdict(self)


def _history_currencies(frame: pd.DataFrame, options: HistoryOptions, cell_currency: np.ndarray,
                        listing: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Currency per row and a problem per row; rule: column, else price-cell sign, else the listing's only
    currency in its other rows, else `default_currency`, else the row is dropped."""
    n = len(frame)
    if options.currency_col in frame.columns:
        column = _map_unique(_strings(frame[options.currency_col]), _currency_value)
    else:
        column = np.full(n, "", dtype=object)
    problems = np.full(n, "", dtype=object)
    conflict = (column != "") & (cell_currency != "") & (column != cell_currency)
    problems[conflict] = "currency column and price sign disagree"
    problems[column == "?"] = "unknown currency"
    currency = np.where(column != "", column, cell_currency)
    currency[column == "?"] = ""
    missing = currency == ""
    filled = 0
    if missing.any():
        known = pd.DataFrame({"listing": listing[~missing], "currency": currency[~missing]}).drop_duplicates()
        per_listing = known.groupby("listing")["currency"].agg(["first", "size"])
        single = per_listing.loc[per_listing["size"] == 1, "first"]
        guess = pd.Series(listing[missing]).map(single).fillna("").to_numpy(dtype=object)
        if options.default_currency:
            guess = np.where(guess == "", _currency_value(options.default_currency), guess)
        currency[missing] = guess
        filled = int((guess != "").sum())
    problems[(currency == "") & (problems == "")] = "missing currency"
    return currency, problems, filled


def _history_prices(values: pd.Series, currency: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prices as floats, the currency sign in each cell, and a problem per row; parsed once per distinct cell."""
    n = len(values)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        prices = values.to_numpy(dtype=float, na_value=np.nan)
        problems = np.where(np.isnan(prices), "missing price", "").astype(object)
        return prices, np.full(n, "", dtype=object), problems
    cells = _strings(values)
    codes, uniques = pd.factorize(pd.Series(cells))
    split = [_split_price_cell(u) for u in uniques]
    bodies = np.asarray([s[0] for s in split], dtype=object)[codes]
    signs = np.asarray([s[1] for s in split], dtype=object)[codes]
    negative = np.asarray([s[2] for s in split], dtype=bool)[codes]
    problems = np.asarray([s[3] or "" for s in split], dtype=object)[codes]
    # The same cell can read differently by currency (1.234 is 1,234 KRW but ambiguous in USD).
    keys = pd.Series(bodies) + "\x00" + pd.Series(np.where(currency != "", currency, signs))
    kcodes, kuniques = pd.factorize(keys)
    read = [_read_price(*k.split("\x00")) if k.split("\x00")[0] else (None, None) for k in kuniques]
    prices = np.asarray([np.nan if r[0] is None else r[0] for r in read], dtype=float)[kcodes]
    notes = np.asarray([r[1] or "" for r in read], dtype=object)[kcodes]
    problems = np.where((problems == "") & np.isnan(prices), np.where(notes != "", notes, "unreadable price"), problems)
    prices = np.where(negative, -prices, prices)
    return prices, signs, problems


def _problem_key(problem: str) -> str:
    """Problem text without the cell value, for counting."""
    return problem.split(" '")[0].split(" {")[0]


def normalise_price_history(frame: pd.DataFrame, options: HistoryOptions | None = None, *, name: str | None = None) -> pd.DataFrame:
    """Validate and normalise a price history table; see `load_price_history` for the rules."""
    options = options or HistoryOptions()
    _validate_options(options)
    name = name or frame.attrs.get("path", "price history")
    require_column(frame, options.listing_col, "--history-listing-col")
    require_column(frame, options.date_col, "--history-date-col")
    require_column(frame, options.price_col, "--history-price-col")
    if options.currency_col not in frame.columns and not options.default_currency:
        raise InputDataError(
            f"{name}: no column {options.currency_col!r} (columns: {', '.join(map(str, frame.columns))}); "
            "name the currency column or set a default currency"
        )
    n = len(frame)
    listing = _id_strings(frame[options.listing_col])
    days = parse_utc_days(frame[options.date_col], options.naive_timezone)
    prices, signs, price_problems = _history_prices(frame[options.price_col], np.full(n, "", dtype=object))
    currency, currency_problems, filled = _history_currencies(frame, options, signs, listing)
    # Parse again where the currency decides how a cell reads (only the ambiguous ones differ).
    ambiguous = np.zeros(n, dtype=bool)
    flagged = np.flatnonzero(price_problems != "")
    ambiguous[flagged] = [price_problems[i].startswith("ambiguous") for i in flagged]
    if ambiguous.any():
        again, _, again_problems = _history_prices(frame[options.price_col][ambiguous], currency[ambiguous])
        prices[ambiguous], price_problems[ambiguous] = again, again_problems
    problems = np.full(n, "", dtype=object)
    # The first problem of a row is the one reported for it.
    for mask, message in (
        (listing == "", "missing listing id"),
        (days.isna().to_numpy(), "missing or unreadable date (use YYYY-MM-DD or ISO 8601)"),
        (price_problems != "", price_problems),
        (~np.isnan(prices) & (prices <= 0), "non-positive price"),
        (currency_problems != "", currency_problems),
    ):
        problems = np.where((problems == "") & mask, message, problems).astype(object)
    bad = problems != ""
    report_dropped = pd.Series([_problem_key(p) for p in problems[bad]]).value_counts().to_dict() if bad.any() else {}
    first = None
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        first = f"row {row + 1}: {problems[row]}"
    if n == 0:
        raise InputDataError(f"{name}: no rows found")
    if bad.all() or bad.mean() > options.max_bad_fraction:
        counts = ", ".join(f"{k}: {v}" for k, v in report_dropped.items())
        raise InputDataError(
            f"{name}: {int(bad.sum())} of {n} rows unusable ({counts}; first {first}); "
            "fix the file or check the column names, time zone and currency options"
        )
    kept = pd.DataFrame({
        "listing_id": listing[~bad],
        "date": days[~bad].reset_index(drop=True),
        "price": prices[~bad],
        "currency": currency[~bad],
        "row": np.flatnonzero(~bad) + 1,
    })
    out_of_order = bool((kept.groupby("listing_id", sort=False)["date"].diff().dt.days < 0).any())
    # Rows repeating a listing, UTC day, currency and price are one observation; different prices on one day
    # are all kept, as each was charged that day.
    unique = kept.drop_duplicates(["listing_id", "date", "currency", "price"])
    collapsed = len(kept) - len(unique)
    result = unique.sort_values(["listing_id", "date", "price"], kind="stable").reset_index(drop=True)
    report = HistoryReport(
        rows_read=n,
        rows_used=len(result),
        listings=int(result["listing_id"].nunique()),
        dropped={str(k): int(v) for k, v in report_dropped.items()},
        first_problem=first,
        duplicates_collapsed=collapsed,
        currencies_filled=filled,
        out_of_order=out_of_order,
        currencies=tuple(sorted(result["currency"].unique().tolist())),
    )
    result.attrs[_HISTORY_MARK] = report.to_dict()
    return result


def load_price_history(path: Path | str, options: HistoryOptions | None = None) -> pd.DataFrame:
    """Read a price history file (CSV/TSV/JSONL/Parquet) into a validated table.

    Result columns: listing_id (str), date (UTC calendar day, tz-aware), price (float, > 0), currency (ISO
    code), row (1-based data row in the file), sorted by listing and date; `attrs['adcheck_price_history']`
    holds a `HistoryReport` dict. Rules: dates as in `parse_utc_days`; prices as in `parse_number` (with
    the row's currency deciding 1.234); zero and negative prices are dropped (a 0 is a data error or a
    give-away, never a price charged for the comparison); currency from the column, else the price cell's
    sign, else the listing's only currency, else `default_currency`; unusable rows are dropped and
    counted, and more than `max_bad_fraction` of them (or all) is an error; exact duplicates (listing, UTC
    day, currency, price) collapse to one row; unsorted rows are sorted.
    """
    frame = read_table(Path(path))
    return normalise_price_history(frame, options, name=str(path))


def history_report(history: pd.DataFrame) -> HistoryReport | None:
    data = history.attrs.get(_HISTORY_MARK)
    if not data:
        return None
    return HistoryReport(**{**data, "currencies": tuple(data.get("currencies", ()))})


def _is_normalised(frame: pd.DataFrame) -> bool:
    needed = {"listing_id", "date", "price", "currency"}
    return (
        _HISTORY_MARK in frame.attrs
        and needed <= set(frame.columns)
        and isinstance(frame["date"].dtype, pd.DatetimeTZDtype)
        and pd.api.types.is_float_dtype(frame["price"])
    )


# --------------------------------------------------------------------------------------------
# Reference prices against the history
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryVerdict:
    """The check of one reference price against what the listing was charged before the ad."""

    status: str
    reason: str
    window_start: str | None
    window_end: str | None
    lowest: float | None
    median: float | None
    highest: float | None
    observations: int
    rule: str | None
    true_discount_percent: float | None
    base: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict | pd.Series) -> HistoryVerdict:
        """The verdict of one row of `check_reference_prices`."""
        def value(key):
            item = row[key]
            return None if item is None or (isinstance(item, float) and np.isnan(item)) or item is pd.NA else item

        return cls(
            status=row["status"], reason=row["reason"], window_start=value("window_start"), window_end=value("window_end"),
            lowest=value("lowest"), median=value("median"), highest=value("highest"),
            observations=int(value("observations") or 0), rule=value("rule"),
            true_discount_percent=value("true_discount_percent"), base=value("base"),
        )


FINDING_COLUMNS = (
    "ad_row", "listing_id", "ad_date", "claim_text", "claim_start", "claim_end", "claim_label", "reference", "currency",
    "currency_source", "sale", "stated_percent", "status", "reason", "window_start", "window_end", "lowest", "median",
    "highest", "observations", "rule", "base", "true_discount_percent",
)


@dataclass
class _ClaimRows:
    """Columns of the reference claims of all ads (one entry per claim, or per ad without one)."""

    ad_row: list[int] = field(default_factory=list)
    text: list[str | None] = field(default_factory=list)
    start: list[int | None] = field(default_factory=list)
    end: list[int | None] = field(default_factory=list)
    label: list[str | None] = field(default_factory=list)
    reference: list[float] = field(default_factory=list)
    currency: list[str] = field(default_factory=list)
    currency_source: list[str] = field(default_factory=list)
    sale: list[float] = field(default_factory=list)
    sale_currency: list[str] = field(default_factory=list)
    stated: list[float] = field(default_factory=list)
    problem: list[str] = field(default_factory=list)

    def add(self, ad_row: int, offer: _Offer | None) -> None:
        ref = offer.reference if offer else None
        sale = offer.sale if offer else None
        values = {
            "ad_row": ad_row,
            "text": ref.text if ref else None,
            "start": ref.start if ref else None,
            "end": ref.end if ref else None,
            "label": ref.label if ref else None,
            "reference": np.nan if ref is None or ref.amount is None else ref.amount,
            "currency": (ref.currency or "") if ref else "",
            "currency_source": "" if ref is None or not ref.currency else "ad text" if ref.currency_inferred else "stated",
            "sale": np.nan if sale is None or sale.amount is None else sale.amount,
            "sale_currency": (sale.currency or "") if sale else "",
            "stated": np.nan if offer is None or offer.discount is None else offer.discount.percent,
            "problem": "no reference price found in the ad text" if ref is None
            else "" if ref.amount is not None else f"reference amount unreadable: {ref.note}",
        }
        for name, value in values.items():
            getattr(self, name).append(value)


def _collect_claims(texts: list[str]) -> _ClaimRows:
    rows = _ClaimRows()
    for index, text in enumerate(texts):
        offers = [o for o in group_offers(extract_price_claims(text)) if o.reference is not None]
        if not offers:
            rows.add(index + 1, None)
        for offer in offers:
            rows.add(index + 1, offer)
    return rows


def _day_numbers(days: pd.Series) -> np.ndarray:
    """UTC days as integers (days since 1970-01-01), with a sentinel for NaT."""
    values = days.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[D]")
    numbers = values.astype("int64")
    numbers[np.isnat(values)] = np.iinfo(np.int64).min
    return numbers


_NO_DAY = np.iinfo(np.int64).min
# Day numbers are shifted so keys stay positive; listing codes are multiplied past any day.
_DAY_SHIFT = 1 << 20
_KEY_STRIDE = 1 << 22


@dataclass
class _WindowStats:
    """Per claim: the window's observations and their statistics (NaN / 0 where none)."""

    observations: np.ndarray
    lowest: np.ndarray
    median: np.ndarray
    highest: np.ndarray
    mode: np.ndarray
    currency: np.ndarray  # code into the history's currency list, -1 none, -2 several
    stale_days: np.ndarray  # longest run of window days with no price known to hold (inf: window start not covered)
    last_before: np.ndarray  # day number of the latest observation before the window (for reasons)
    first_observed: np.ndarray  # day number of the window's first observation (NaN where none)


def _window_stats(claim_code: np.ndarray, claim_day: np.ndarray, valid: np.ndarray, history: pd.DataFrame,
                  options: HistoryOptions, listing_index: pd.Index) -> _WindowStats:
    """Statistics of each claim's window, computed for all claims at once.

    History rows are keyed (listing code, day) in one sorted int64 array; each window is a contiguous
    slice found with searchsorted, the slices are flattened into one frame and reduced with groupby.
    """
    n = len(claim_code)
    if history.empty:
        history = pd.DataFrame({"listing_id": [""], "date": pd.to_datetime(["1970-01-01"], utc=True), "price": [np.nan],
                                "currency": [""]})  # one unmatched row keeps the array code below free of special cases
    h_code = listing_index.get_indexer(history["listing_id"]).astype(np.int64)
    h_day = _day_numbers(history["date"])
    h_price = history["price"].to_numpy(dtype=float)
    h_cur, _ = pd.factorize(history["currency"], sort=True)
    order = np.lexsort((h_price, h_day, h_code))
    h_code, h_day, h_price, h_cur = h_code[order], h_day[order], h_price[order], h_cur[order]
    keys = h_code * _KEY_STRIDE + (h_day + _DAY_SHIFT)

    first_day = claim_day - options.window_days
    last_day = claim_day - 1
    base_key = claim_code * _KEY_STRIDE + _DAY_SHIFT
    lo = np.searchsorted(keys, base_key + first_day, "left")
    hi = np.searchsorted(keys, base_key + last_day, "right")
    prev = lo - 1
    has_prev = valid & (prev >= 0) & (h_code[np.maximum(prev, 0)] == claim_code)
    last_before = np.where(has_prev, h_day[np.maximum(prev, 0)], _NO_DAY)
    # The latest price before the window still held when the window opened, if it is recent enough; it is
    # needed only when nothing was observed on the window's first day.
    opens_observed = (lo < hi) & (h_day[np.minimum(lo, len(h_day) - 1)] == first_day) if len(h_day) else np.zeros(n, bool)
    carry = has_prev & (first_day - last_before <= options.max_gap_days) & ~opens_observed
    carry_start = np.searchsorted(keys, keys[np.maximum(prev, 0)], "left")
    start = np.where(carry, carry_start, lo)
    lengths = np.where(valid, hi - start, 0)

    total = int(lengths.sum())
    owner = np.repeat(np.arange(n), lengths)
    position = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(start, lengths)
    flat = pd.DataFrame({"owner": owner, "price": h_price[position], "cur": h_cur[position], "day": h_day[position]})
    grouped = flat.groupby("owner", sort=True)
    stats = grouped.agg(
        obs=("price", "size"), lowest=("price", "min"), highest=("price", "max"), median=("price", "median"),
        cur_min=("cur", "min"), cur_max=("cur", "max"), first=("day", "min"), last=("day", "max"),
    )
    gap = np.diff(flat["day"].to_numpy()) - 1
    same = owner[1:] == owner[:-1]
    inner = pd.Series(gap[same]).groupby(owner[1:][same]).max() if total > 1 else pd.Series(dtype=float)

    def spread(column: pd.Series, fill: float) -> np.ndarray:
        out = np.full(n, fill, dtype=float)
        out[column.index.to_numpy()] = column.to_numpy(dtype=float)
        return out

    observations = spread(stats["obs"], 0).astype(int)
    first_obs = spread(stats["first"], np.nan)
    last_obs = spread(stats["last"], np.nan)
    stale = np.maximum(spread(inner, 0), last_day - last_obs)
    stale = np.where(first_obs > first_day, np.inf, stale)
    currency = np.where(stats["cur_min"] == stats["cur_max"], stats["cur_min"], -2)
    return _WindowStats(
        observations=observations,
        lowest=spread(stats["lowest"], np.nan),
        median=spread(stats["median"], np.nan),
        highest=spread(stats["highest"], np.nan),
        mode=_window_modes(flat, n) if options.base_rule == "most_common" else np.full(n, np.nan),
        currency=spread(pd.Series(currency, index=stats.index), -1).astype(int),
        stale_days=stale,
        last_before=last_before,
        first_observed=first_obs,
    )


def _window_modes(flat: pd.DataFrame, n: int) -> np.ndarray:
    """Most often charged price per window; ties go to the lower price (the conservative base)."""
    modes = np.full(n, np.nan)
    if flat.empty:
        return modes
    counts = flat.groupby(["owner", "price"]).size().reset_index(name="count")
    counts = counts.sort_values(["owner", "count", "price"], ascending=[True, False, True]).drop_duplicates("owner")
    modes[counts["owner"].to_numpy()] = counts["price"].to_numpy()
    return modes


def _money(value: float, currency: str | None) -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return f"{text} {currency}" if currency else text


def _iso_day(number: int) -> str:
    return str(np.datetime64(int(number), "D"))


_RULE_TEXT = {"lowest": "lowest", "median": "median", "most_common": "most common"}


def _verdict_reason(status: str, ref: float, cur: str, base: float, rule: str, lows: tuple[float, float, float],
                    obs: int, window: str, true_discount: float, stated: float, implied: bool, assumed: str) -> str:
    lowest, median, highest = lows
    figures = f"lowest {_money(lowest, cur)}, median {_money(median, cur)}, highest {_money(highest, cur)}; {obs} observation(s)"
    if rule == "only_price":
        base_text = f"the only price charged in {window} ({_money(base, cur)})"
    else:
        base_text = f"the {_RULE_TEXT[rule]} price charged in {window} ({_money(base, cur)})"
    if status == SUPPORTED:
        reason = f"reference {_money(ref, cur)} is not above {base_text}; {figures}"
        if ref < lowest:
            reason += "; the reference is below every price charged, so the real discount is larger than stated"
    else:
        reason = f"reference {_money(ref, cur)} was not the price charged: {base_text} is lower; {figures}"
        if not np.isnan(true_discount):
            claimed = f", not {stated:g}%" if not np.isnan(stated) else ""
            source = " (sale price implied by the stated percent)" if implied else ""
            reason += f"; against that base the discount is {true_discount:.1f}%{claimed}{source}"
    return reason + assumed


def _decide(rows: _ClaimRows, claim_day: np.ndarray, listing_id: np.ndarray, listing_known: np.ndarray, stats: _WindowStats,
            currencies: list[str], options: HistoryOptions) -> dict[str, list]:
    """Status, reason and figures per claim; vectorised inputs, one small Python step per claim for the text."""
    out: dict[str, list] = {k: [] for k in ("status", "reason", "rule", "base", "true_discount_percent", "currency", "currency_source")}
    window_text = f"the {options.window_days} days before the ad"
    for i in range(len(rows.ad_row)):
        ref, cur, source = rows.reference[i], rows.currency[i], rows.currency_source[i]
        status, reason, rule, base, discount = NOT_CHECKABLE, rows.problem[i], None, np.nan, np.nan
        window_cur = currencies[stats.currency[i]] if stats.currency[i] >= 0 else None
        assumed = ""
        if not reason:
            reason = _unavailable(i, claim_day, listing_id, listing_known, stats, cur, window_cur, options)
        if not reason and not cur:
            cur, source = window_cur, "history"
            assumed = f"; the ad states no currency, {window_cur} taken from the listing's history"
        elif source == "ad text":
            assumed = f"; no currency at the figure, {cur} taken from the rest of the ad"
        if not reason:
            rule = options.base_rule if stats.lowest[i] < stats.highest[i] else "only_price"
            base = {"lowest": stats.lowest, "median": stats.median, "most_common": stats.mode}[options.base_rule][i]
            supported = ref <= base * (1 + _PRICE_EPSILON)
            status = SUPPORTED if supported else NOT_SUPPORTED
            sale, implied = rows.sale[i], False
            if np.isnan(sale) or (rows.sale_currency[i] and rows.sale_currency[i] != cur):
                sale, implied = (ref * (1 - rows.stated[i] / 100), True) if not np.isnan(rows.stated[i]) else (np.nan, False)
            discount = (1 - sale / base) * 100 if not np.isnan(sale) else np.nan
            covered = stats.stale_days[i] <= options.max_gap_days
            # Missing days can only lower a window's lowest price, so a reference above the observed lowest
            # stays unsupported; any other verdict needs the whole window observed.
            if not covered and not (status == NOT_SUPPORTED and options.base_rule == "lowest"):
                status, rule, base, discount = NOT_CHECKABLE, None, np.nan, np.nan
                if np.isinf(stats.stale_days[i]):
                    gap = f"no price is known for the window's first days (first observation {_iso_day(stats.first_observed[i])})"
                else:
                    gap = f"the window has {int(stats.stale_days[i])} day(s) in a row without an observed price"
                reason = (f"{gap}, more than max_gap_days={options.max_gap_days}; a lower price may have been charged "
                          "on the missing days")
            else:
                lows = (stats.lowest[i], stats.median[i], stats.highest[i])
                reason = _verdict_reason(status, ref, cur, base, rule, lows, int(stats.observations[i]), window_text,
                                         discount, rows.stated[i], implied, assumed)
        out["status"].append(status)
        out["reason"].append(reason)
        out["rule"].append(rule)
        out["base"].append(base)
        out["true_discount_percent"].append(discount)
        out["currency"].append(cur or None)
        out["currency_source"].append(source or None)
    return out


def _unavailable(i: int, claim_day: np.ndarray, listing_id: np.ndarray, listing_known: np.ndarray, stats: _WindowStats,
                 cur: str, window_cur: str | None, options: HistoryOptions) -> str:
    """Why claim i cannot be checked against the history, or '' when it can."""
    if claim_day[i] == _NO_DAY:
        return "the ad's date is missing or unreadable (use YYYY-MM-DD or ISO 8601)"
    if listing_id[i] == "":
        return "the ad has no listing id"
    if not listing_known[i]:
        return "no price history for this listing"
    if stats.observations[i] == 0:
        last = stats.last_before[i]
        before = f"; latest earlier observation {_iso_day(last)}" if last != _NO_DAY else ""
        return f"no price observed in the {options.window_days} days before the ad{before}"
    if stats.currency[i] == -2:
        return "the listing was charged in several currencies in the window; prices are not converted"
    if cur and window_cur and cur != window_cur:
        return f"the ad states {cur} but the listing was charged in {window_cur}; prices are not converted"
    return ""


def check_reference_prices(ads: pd.DataFrame, history: pd.DataFrame, options: HistoryOptions | None = None, *,
                           text_col: str = "text", ad_listing_col: str = "listing_id", ad_date_col: str = "date") -> pd.DataFrame:
    """Check every reference price in the ads against what its listing was charged before the ad's date.

    One row per reference claim (columns FINDING_COLUMNS), plus one not_checkable row for each ad with no
    reference price, so every ad is accounted for. Rules: the ad's date is a UTC day (`parse_utc_days`);
    the window is the `window_days` days before it (the ad's own day is left out, as the sale price may
    already apply); the latest observation before the window counts if it is at most `max_gap_days` old.
    The base is the window's lowest price (or the median / most common, by `base_rule`); a reference not
    above the base is supported, above it not supported (with the window's figures and the discount
    recomputed against the base, from the stated sale price or else the stated percent). Not checkable:
    no reference amount, no ad date, no history, no observation in the window, several currencies in the
    window, a currency other than the history's, or a window with a run of unobserved days longer than
    `max_gap_days` (except a reference above the observed lowest under 'lowest', which missing days
    cannot rescue). A reference without a currency takes the history's, and the reason says so.
    """
    options = options or HistoryOptions()
    _validate_options(options)
    for column, option in ((text_col, "--text-col"), (ad_listing_col, "--listing-col"), (ad_date_col, "--date-col")):
        require_column(ads, column, option)
    if not _is_normalised(history):
        history = normalise_price_history(history, options)
    texts = _strings(ads[text_col]).tolist()
    ad_listing = _id_strings(ads[ad_listing_col])
    ad_days = _day_numbers(parse_utc_days(ads[ad_date_col], options.naive_timezone))
    rows = _collect_claims(texts)

    index = np.asarray(rows.ad_row) - 1
    claim_listing = ad_listing[index] if len(index) else np.asarray([], dtype=object)
    claim_day = ad_days[index] if len(index) else np.asarray([], dtype=np.int64)
    listing_index = pd.Index(pd.unique(history["listing_id"]))
    claim_code = listing_index.get_indexer(claim_listing).astype(np.int64)
    listing_known = (claim_code >= 0) & (claim_listing != "")
    valid = listing_known & (claim_day != _NO_DAY) & ~np.isnan(np.asarray(rows.reference, dtype=float))
    safe_day = np.where(claim_day == _NO_DAY, 0, claim_day)
    stats = _window_stats(np.where(valid, claim_code, -1), safe_day, valid, history, options, listing_index)
    currencies = sorted(history["currency"].unique().tolist())
    decided = _decide(rows, claim_day, claim_listing, listing_known, stats, currencies, options)

    has_window = claim_day != _NO_DAY
    result = pd.DataFrame({
        "ad_row": rows.ad_row,
        "listing_id": claim_listing,
        "ad_date": [_iso_day(d) if d != _NO_DAY else None for d in claim_day],
        "claim_text": rows.text,
        "claim_start": pd.array(rows.start, dtype="Int64"),
        "claim_end": pd.array(rows.end, dtype="Int64"),
        "claim_label": rows.label,
        "reference": np.asarray(rows.reference, dtype=float),
        "currency": decided["currency"],
        "currency_source": decided["currency_source"],
        "sale": np.asarray(rows.sale, dtype=float),
        "stated_percent": np.asarray(rows.stated, dtype=float),
        "status": decided["status"],
        "reason": decided["reason"],
        "window_start": [_iso_day(d - options.window_days) if ok else None for d, ok in zip(claim_day, has_window)],
        "window_end": [_iso_day(d - 1) if ok else None for d, ok in zip(claim_day, has_window)],
        "lowest": stats.lowest,
        "median": stats.median,
        "highest": stats.highest,
        "observations": stats.observations,
        "rule": decided["rule"],
        "base": np.asarray(decided["base"], dtype=float),
        "true_discount_percent": np.round(np.asarray(decided["true_discount_percent"], dtype=float), 2),
    })
    return result[list(FINDING_COLUMNS)]


# --------------------------------------------------------------------------------------------
# Batch
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceCheckSummary:
    """What `run_price_check` read, found and wrote."""

    ads: int
    rows: int
    reference_claims: int
    counts: dict[str, int]
    history: HistoryReport | None
    out_path: str

    def to_dict(self) -> dict:
        return asdict(self)


def _write_csv_atomic(frame: pd.DataFrame, out: Path) -> None:
    """Write next to the target and rename, so a reader never sees a half-written file."""
    temporary = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            frame.to_csv(handle, index=False, lineterminator="\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def run_price_check(ads_path: Path | str, history_path: Path | str, out_path: Path | str, *, text_col: str = "text",
                    ad_listing_col: str = "listing_id", ad_date_col: str = "date", history: HistoryOptions | None = None,
                    overwrite: bool = False) -> PriceCheckSummary:
    """`adcheck prices --ads ads.csv --history prices.csv --out findings.csv`: check and write findings as CSV.

    Everything is read and checked before anything is written; the CSV is written to a temporary file
    and renamed over `out_path`, so a failure (malformed history, missing column) leaves no output and
    an existing file is untouched. `history` defaults to `HistoryOptions()`.
    """
    options = history or HistoryOptions()
    out = Path(out_path)
    if out.is_dir():
        raise InputDataError(f"{out}: is a directory; give a file name for the findings")
    if out.exists() and not overwrite:
        raise InputDataError(f"{out}: already exists; pass --overwrite to replace it")
    if not out.parent.exists():
        raise InputDataError(f"{out.parent}: no such folder for the findings; create it first")
    ads = read_table(Path(ads_path))
    for column, option in ((text_col, "--text-col"), (ad_listing_col, "--listing-col"), (ad_date_col, "--date-col")):
        require_column(ads, column, option)
    prices = load_price_history(history_path, options)
    findings = check_reference_prices(ads, prices, options, text_col=text_col, ad_listing_col=ad_listing_col, ad_date_col=ad_date_col)
    _write_csv_atomic(findings, out)
    counts = {status: int((findings["status"] == status).sum()) for status in VERDICT_STATUSES}
    return PriceCheckSummary(
        ads=len(ads),
        rows=len(findings),
        reference_claims=int(findings["claim_text"].notna().sum()),
        counts=counts,
        history=history_report(prices),
        out_path=str(out),
    )
