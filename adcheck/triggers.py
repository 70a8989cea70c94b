"""The closed trigger-word list of the labeling guideline (training/GUIDELINES.md, section 4).

The `subtle:` and `near-miss:` note tags record what a fixed keyword list would miss or wrongly
flag, so whether a text holds a listed word must be decided the same way for every writer. This
module reads the list the way decisions D25, D29, D32, D36 and D43 settle it:

- a listed word counts as a word, in a compound joined by a hyphen or written solid ("risk-free",
  "best-selling", "handmade in") or with a regular ending ("guaranteed", "cures"; Korean endings:
  「3개 남았어요」, 「부작용 없었어요」, 「마감 임박했어요」), in any sense and anywhere in the text,
  footnotes included;
- a derived word does not count ("approval", "certificate", "naturally"), nor a longer word that
  merely contains the letters ("secure", "freezer", "economy"), nor a translation or transliteration
  ("recommended", 베스트셀러);
- a listed number counts only as the whole number: "$0.99", "129,000원" and "#14" hold no "$0",
  "0원" or "#1"; ordinary typographic spacing keeps it ("No. 1", "100 %"), a line break does not;
- a Korean entry counts inside a longer word (최고급, 무료배송, 비정품), except in the listed words
  where its letters only meet across two words (증정품 holds no 정품, 본인증명서 no 인증).

Some words cannot be settled without a dictionary: an English word written solid with a listed one
or a prefix ("freestyle", "#plasticfree", "preapproved", "ecolabel") may or may not be a compound
of it, and "#1" glued to a Korean counter ("#1주년") may or may not be the number. `find_triggers`
reports those apart as `unsure`, so that a check can stay silent on them instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# English entries and the forms that count as the entry itself (base form and regular endings, and
# the solid compounds the corpus settled: "bestseller")
_ENGLISH_FORMS: dict[str, tuple[str, ...]] = {
    "best": ("best", "bests", "bestseller", "bestsellers", "bestselling"),
    "only": ("only",),
    "perfect": ("perfect", "perfects", "perfected", "perfecting"),
    "lifetime": ("lifetime", "lifetimes"),
    "unlimited": ("unlimited",),
    "cure": ("cure", "cures", "cured", "curing"),
    "free": ("free", "frees", "freed", "freeing"),
    "certified": ("certify", "certifies", "certified", "certifying"),
    "approved": ("approve", "approves", "approved", "approving"),
    "guaranteed": ("guarantee", "guarantees", "guaranteed", "guaranteeing"),
    "genuine": ("genuine",),
    "eco": ("eco",),
    "natural": ("natural", "naturals"),
}
_FORM_TO_ENTRY = {form: entry for entry, forms in _ENGLISH_FORMS.items() for form in forms}
# a token holding one of these inside it may be a solid compound of the entry ("freestyle",
# "preapproved", "ecolabel"): unsure. "eco" and "only" count only at the token's edges, since they
# sit inside too many unrelated words ("second", "commonly").
_INSIDE = ("best", "perfect", "lifetime", "unlimited", "cure", "free", "certif", "approv", "guarant",
           "genuine", "natural")
_EDGE = ("eco", "only")
# words D25 settles as not counting although they hold an entry's letters: derived words
# ("approval", "certificate", "-ly" adverbs) and longer words that merely contain the letters
_NOT_LISTED = re.compile(
    r"approvals?|certificat\w*|certifiers?|naturally|naturalis\w*|naturalness|genuinely|genuineness"
    r"|perfectly|perfection\w*|imperfect\w*|freez\w*|freedoms?|freely|\w*secur\w*|\w*manicur\w*"
    r"|\w*pedicur\w*|\w*procur\w*|\w*obscur\w*|curator\w*|econom\w*|ecolog\w*|besties?|bestow\w*"
    r"|\w*asbestos|commonly|budapest|deco"
)
_TOKEN = re.compile(r"[a-z]+")

# Korean entries matched inside longer words, and words in which their letters only meet across a
# word boundary (증정+품, 순정+품, 한정+품, 특정+품목, 착유+일, 자유+일, 보유+일수, 본인+증명, 확인+증)
_KOREAN_WORDS = ("최고", "최초", "유일", "완벽", "평생", "무제한", "치료", "완치", "무료", "최저가",
                 "오늘만", "인증", "추천", "보장", "정품", "친환경", "천연", "무독성")
_KOREAN_NOT_CONTAINING = ("증정품", "순정품", "한정품", "특정품", "지정품", "선정품", "검정품", "착유일",
                          "자유일", "보유일", "수유일", "여유일", "본인증명", "확인증", "오늘만큼")

_SPACE = r"[ \t\u00a0\u3000]"  # typographic spacing inside a line
_NOT_AFTER_NUMBER = r"(?<!\d)(?<!\d[,.])"  # "129,000원", "1.100%": part of a longer number
_NOT_BEFORE_NUMBER = r"(?![,.]?\d)"  # "$0.99", "#14", "No.10"
# entries matched by pattern: two-word entries, Korean endings and whole numbers
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("made in", re.compile(r"made(?:[ \t\u00a0-])+in\b", re.IGNORECASE)),  # "handmade in" too
    ("lowest price", re.compile(rf"\blowest(?:{_SPACE}|-)+pric(?:e|es|ed|ing)\b", re.IGNORECASE)),
    ("부작용 없음", re.compile(rf"부작용{_SPACE}?없(?!애)")),  # any ending; 없애- is another verb
    ("마감임박", re.compile(rf"마감{_SPACE}?임박")),
    ("N개 남음", re.compile(rf"\d{_SPACE}*개{_SPACE}*남(?:음|았|아|은|는|습|을|겠)")),
    ("No.1", re.compile(rf"(?<![a-z0-9])no\.?{_SPACE}?1{_NOT_BEFORE_NUMBER}(?!-[a-z])", re.IGNORECASE)),  # not "no 1-year"
    ("#1", re.compile(rf"#{_SPACE}?1{_NOT_BEFORE_NUMBER}(?![가-힣])")),
    ("100%", re.compile(rf"{_NOT_AFTER_NUMBER}100{_SPACE}?%")),
    ("$0", re.compile(rf"\${_SPACE}?0{_NOT_BEFORE_NUMBER}")),
    ("0원", re.compile(rf"{_NOT_AFTER_NUMBER}0{_SPACE}?원")),
    ("1위", re.compile(rf"{_NOT_AFTER_NUMBER}1{_SPACE}?위(?!안|원회)")),  # not 1위안 (yuan), 제1위원회
)
# patterns whose match leaves the entry open: "#1" glued to a Korean counter ("#1주년"), and a
# two-word English entry whose words are both present but apart ("lowest possible price")
_UNSURE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("#1", re.compile(rf"#{_SPACE}?1{_NOT_BEFORE_NUMBER}(?=[가-힣])")),
    ("lowest ... price", re.compile(r"\blowest\b(?=.*\bpric(?:e|es|ed|ing)\b)", re.IGNORECASE | re.DOTALL)),
)
_CONTEXT = 12  # characters shown either side of a match


@dataclass
class TriggerHits:
    """The listed words a text holds (`found`, in the list's spelling, each with the text it was
    read from in `where`) and the words that may or may not count (`unsure`)."""

    found: list[str] = field(default_factory=list)
    where: dict[str, str] = field(default_factory=dict)
    unsure: list[str] = field(default_factory=list)

    def _add(self, entry: str, text: str, start: int, end: int) -> None:
        if entry not in self.where:
            self.found.append(entry)
            snippet = text[max(0, start - _CONTEXT) : end + _CONTEXT]
            self.where[entry] = " ".join(snippet.split())


def find_triggers(text: str) -> TriggerHits:
    """The section-4 trigger words in `text`, each reported once."""
    hits = TriggerHits()
    lowered = text.lower()  # same length as text for the scripts the list uses
    for match in _TOKEN.finditer(lowered):
        token = match.group()
        entry = _FORM_TO_ENTRY.get(token)
        if entry is not None:
            hits._add(entry, text, match.start(), match.end())
        elif _NOT_LISTED.fullmatch(token):
            continue
        elif any(stem in token for stem in _INSIDE) or any(token.startswith(s) or token.endswith(s) for s in _EDGE):
            if token not in hits.unsure:
                hits.unsure.append(token)
    korean = text
    for word in _KOREAN_NOT_CONTAINING:
        korean = korean.replace(word, "\0" * len(word))  # keeps the offsets
    for word in _KOREAN_WORDS:
        at = korean.find(word)
        if at >= 0:
            hits._add(word, text, at, at + len(word))
    for entry, pattern in _PATTERNS:
        match = pattern.search(text)
        if match:
            hits._add(entry, text, match.start(), match.end())
    for entry, pattern in _UNSURE_PATTERNS:
        if entry not in hits.where and pattern.search(text) and entry not in hits.unsure:
            hits.unsure.append(entry)
    return hits
