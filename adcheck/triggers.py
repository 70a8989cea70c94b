"""The closed trigger-word list of the labeling guideline (training/GUIDELINES.md, section 4).

The `subtle:` and `near-miss:` note tags record what a fixed keyword list would miss or wrongly
flag, so whether a text holds a listed word must be decided the same way for every writer. This
module reads the list the way decisions D25, D29, D32, D36 and D43 settle it:

- a listed word counts as a word, in a hyphenated compound ("risk-free", "best-selling") or with a
  regular ending ("guaranteed", "cures"; Korean endings: 「3개 남았어요」, 「마감 임박했어요」), in any
  sense and anywhere in the text, footnotes included;
- a translation or transliteration does not count ("recommended", 베스트셀러);
- a listed number counts only as the whole number: "$0.99", "129,000원" and "#14" hold no "$0",
  "0원" or "#1"; ordinary typographic spacing keeps it ("No. 1", "100 %");
- a Korean entry counts inside a longer word (최고급, 무료배송), except where its letters only meet
  across two words (증정품 holds no 정품).

Some words cannot be settled by rule: an English word written solid with a listed one ("bestie",
"freezer", "#plasticfree", "economy") may or may not be a compound of it, and "-ly" forms
("naturally") are derived words that D25 neither lists nor excludes. `find_triggers` reports those
apart as `unsure`, so that a check can stay silent on them instead of guessing.
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
# stems whose solid compounds and derived words are reported as unsure: a token that starts or ends
# with one of them but is none of the forms above ("freezer", "secure", "naturally", "ecolabel")
_ENGLISH_STEMS = ("best", "perfect", "lifetime", "unlimited", "cure", "free", "certif", "approv",
                  "guarant", "genuine", "eco", "natural")
_FORM_TO_ENTRY = {form: entry for entry, forms in _ENGLISH_FORMS.items() for form in forms}
_TOKEN = re.compile(r"[a-z]+")

# Korean entries matched inside longer words, and words in which their letters only meet across a
# word boundary (증정+품, 순정+품, 한정+품, 착유+일, 자유+일)
_KOREAN_WORDS = ("최고", "최초", "유일", "완벽", "평생", "무제한", "치료", "완치", "무료", "최저가",
                 "오늘만", "인증", "추천", "보장", "정품", "친환경", "천연", "무독성")
_KOREAN_NOT_CONTAINING = ("증정품", "순정품", "한정품", "착유일", "자유일")

# entries matched by pattern: two-word entries, Korean endings and whole numbers
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("made in", re.compile(r"\bmade[\s-]+in\b", re.IGNORECASE)),
    ("lowest price", re.compile(r"\blowest[\s-]+pric(?:e|es|ed|ing)\b", re.IGNORECASE)),
    ("부작용 없음", re.compile(r"부작용\s?없(?:음|어|는|다|습|고|으|이|죠)")),
    ("마감임박", re.compile(r"마감\s?임박")),
    ("N개 남음", re.compile(r"\d\s*개\s*남(?:음|았|아|은|는|습)")),
    ("No.1", re.compile(r"(?<![\w#])no\.?\s?1(?![\d,.]?\d)", re.IGNORECASE)),
    ("#1", re.compile(r"#\s?1(?![\d,.]?\d)")),
    ("100%", re.compile(r"(?<![\d,.])100\s?%")),
    ("$0", re.compile(r"\$\s?0(?![\d,.]?\d)")),
    ("0원", re.compile(r"(?<![\d,.])0\s?원")),
    ("1위", re.compile(r"(?<![\d,.])1\s?위")),
)
# a two-word English entry whose words are both present but apart ("lowest possible price")
_LOWEST_APART = (re.compile(r"\blowest\b", re.IGNORECASE), re.compile(r"\bpric(?:e|es|ed|ing)\b", re.IGNORECASE))


@dataclass
class TriggerHits:
    """The listed words a text holds (`found`) and the words that may or may not count (`unsure`)."""

    found: list[str] = field(default_factory=list)
    unsure: list[str] = field(default_factory=list)


def find_triggers(text: str) -> TriggerHits:
    """The section-4 trigger words in `text`, each reported once, in the list's spelling."""
    hits = TriggerHits()
    lowered = text.lower()
    for token in _TOKEN.findall(lowered):
        entry = _FORM_TO_ENTRY.get(token)
        if entry is not None:
            if entry not in hits.found:
                hits.found.append(entry)
        elif any(token.startswith(stem) or token.endswith(stem) for stem in _ENGLISH_STEMS):
            if token not in hits.unsure:
                hits.unsure.append(token)
    korean = text
    for word in _KOREAN_NOT_CONTAINING:
        korean = korean.replace(word, " ")
    for word in _KOREAN_WORDS:
        if word in korean and word not in hits.found:
            hits.found.append(word)
    for entry, pattern in _PATTERNS:
        if pattern.search(text) and entry not in hits.found:
            hits.found.append(entry)
    if "lowest price" not in hits.found and all(p.search(text) for p in _LOWEST_APART):
        hits.unsure.append("lowest ... price")
    return hits
