"""Price claims: what prices, discounts and offers an ad states, and whether its discount arithmetic holds."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, replace

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
# Where a figure can be: every _FIGURE match holds a digit run's first digit or a Korean unit, at most
# FIGURE_LEAD characters after the match's start (a currency prefix and a space: "us$ 15", "krw 15")
_DIGIT_RUNS = re.compile(r"\d+")
_UNIT_CHARS = re.compile(f"[{_UNITS}]")
FIGURE_LEAD = 4
# the only non-ASCII characters that re.IGNORECASE matches to ASCII letters (İ ı ſ K)
_ASCII_CASE_TWINS = "\u0130\u0131\u017f\u212a"
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


def _figure_matches(view: str) -> list[re.Match]:
    """The matches `_FIGURE.finditer(view)` gives, found by trying only the few positions where a
    figure can start (up to FIGURE_LEAD characters before a digit run or a Korean unit), in order."""
    anchors = sorted([m.start() for m in _DIGIT_RUNS.finditer(view)] + [m.start() for m in _UNIT_CHARS.finditer(view)])
    found: list[re.Match] = []
    untried = 0  # positions below this were tried, or lie inside a match
    for anchor in anchors:
        for start in range(max(untried, anchor - FIGURE_LEAD), anchor + 1):
            match = _FIGURE.match(view, start)
            if match:
                found.append(match)
                untried = match.end()
                break
        else:
            untried = max(untried, anchor + 1)
    return found


def _figure_claims(text: str, view: str, offsets: list[int] | None, struck: list[bool] | None) -> list[PriceClaim]:
    yuan_text = "¥" in view and bool(_YUAN_HINT.search(view))  # only '¥' reads differently in a yuan text
    figures = [_read_figure(m, yuan_text) for m in _figure_matches(view)]
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
    # the other scans run only when the words they need are there (plain substring tests, exact for
    # every text: a case-insensitive ASCII word can hide only behind the four twins checked first)
    lowered = view.lower() if not any(c in view for c in _ASCII_CASE_TWINS) else None
    if "%" in view or "퍼센트" in view or "프로" in view:
        claims += _percent_claims(text, view, offsets)
    if "+" in view or lowered is None or "buy" in lowered or "bogo" in lowered:
        claims += _quantity_claims(text, view, offsets)
    if "최저" in view or lowered is None or any(w in lowered for w in ("lowest", "all-time low", "all time low", "cheapest")):
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


def price_fields(texts: list[str]) -> list[tuple[str, str]]:
    """Per text, its price claims and the check of its stated discounts as two flat strings (the batch
    output's price_claims and price_findings columns): "kind figure [start:end]; ..." and
    "status: message | ..."."""
    out = []
    for text in texts:
        claims = extract_price_claims(text)
        if not claims:
            out.append(("", ""))
            continue
        described = []
        for c in claims:
            figure = f"{c.percent:g}%" if c.percent is not None else (f"{c.amount:g} {c.currency or ''}".strip() if c.amount is not None else c.text)
            described.append(f"{c.kind} {figure} [{c.start}:{c.end}]")
        findings = [f"{f.status}: {f.message}" for f in check_consistency(claims) if f.status != "consistent" or f.stated_percent is not None]
        out.append(("; ".join(described), " | ".join(findings)))
    return out
