"""Claims: split a document's extracted text into the sentences and lines that are scored.

Handles English and Korean sentence ends (., !, ?, 。, …, and Korean endings such as 니다 / 세요 /
어요 followed by a space), bullets and numbered list items, emoji used as separators, table
cells (tab-separated in extracted text) and banners broken over several short lines. Each claim
keeps its `[start, end)` offsets in the extracted text and, when page offsets are given, its page.
The claim's text is `text[start:end]` with line breaks turned into spaces (same length, so
offsets inside a claim map to the document by adding `start`).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import asdict, dataclass

MAX_CLAIM_CHARS = 600  # a longer run without any break is cut at a space near this length
BANNER_LINE_CHARS = 16  # lines this short, without a sentence end, may be one broken banner
BANNER_MAX_LINES = 4


@dataclass(frozen=True)
class Claim:
    """One claim: its text, `[start, end)` in the document's text, and its page (1-based) or None."""

    text: str
    start: int
    end: int
    page: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


# emoji and pictographs, dingbats, arrows and geometric shapes used as bullets or separators
_SEPARATOR_CHARS = (
    "\U0001F000-\U0001FAFF"  # emoji, pictographs
    "\u2600-\u27BF"  # misc symbols, dingbats (✔ ✅ ★ ❤ ➤)
    "\u219A-\u21CF\u21D3-\u21FF"  # arrows, but not → ← ⇒ ...: they join prices ("189,000원 → 39,900원")
    "\u25A0-\u25FF"  # geometric shapes (■ ● ◆ ▶)
    "\u2B00-\u2BFF"  # misc symbols and arrows (⭐)
    "\u2022\u2023\u2043\u204C\u204D\u2219\u25E6\u30FB\u203B"  # • ‣ ⁃ ∙ ◦ ・ ※
    "|｜"
)
_SEPARATORS = re.compile(f"[{_SEPARATOR_CHARS}\uFE0F\u200D]+")
# a sentence end: punctuation run (with closing quotes/brackets) followed by whitespace
_SENTENCE_END = re.compile(r"(?:[.!?。！？…]+|\.{3})[\"'”’)\]」』]*(?=\s)")
# Korean sentence-final endings followed by a space and more text (no punctuation needed)
_KOREAN_END = re.compile(r"(?:니다|세요|어요|아요|에요|예요|해요|네요|군요|지요|까요|데요|거든요|죠|습니까|십시오|하라|한다)(?=[ \u3000]+\S)")
# list markers at the start of a line or cell: -, *, +, 1. 1) (1) ①, a), 가.
_LIST_MARKER = re.compile(r"\s*(?:#{1,6}(?=\s)|[-*+–—](?=\s)|\(?\d{1,3}[.)](?=\s)|\(\d{1,3}\)|[\u2460-\u24FF\u2776-\u2793]|[a-zA-Z][.)](?=\s)|[가-하][.)](?=\s))\s*")
_SENTENCE_FINAL = re.compile(r"[.!?。！？…:;]\s*$")
_WORDY = re.compile(r"\w")
_NUMBER_ONLY = re.compile(r"[\d\s.,:/()-]+")  # ids, plain numbers and dates in table cells are not claims


def _page_of(start: int, page_offsets: list[int] | None) -> int | None:
    if not page_offsets:
        return None
    return max(bisect.bisect_right(page_offsets, start), 1)


_ABBREVIATIONS = frozenset(["dr", "mr", "mrs", "ms", "prof", "no", "vs", "etc", "e.g", "i.e", "approx", "inc", "ltd", "co", "st", "jr", "sr", "fig"])


def _abbreviation(text: str, segment_start: int, dot: int) -> bool:
    """Whether the '.' at `dot` ends an abbreviation (Dr. No. e.g.) or a list number at the start."""
    if text[dot] != ".":
        return False
    word_start = dot
    while word_start > segment_start and (text[word_start - 1].isalnum() or text[word_start - 1] == "."):
        word_start -= 1
    word = text[word_start:dot].lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha() and word.isascii())


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split one segment (no line breaks, no tabs) at separators and sentence ends."""
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _SEPARATORS.finditer(text, start, end):
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, end))
    out: list[tuple[int, int]] = []
    for a, b in spans:
        cuts = {m.end() for m in _SENTENCE_END.finditer(text, a, b) if not _abbreviation(text, a, m.start())}
        cuts |= {m.end() for m in _KOREAN_END.finditer(text, a, b)}
        previous = a
        for cut in sorted(cuts):
            out.append((previous, cut))
            previous = cut
        out.append((previous, b))
    return out


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    marker = _LIST_MARKER.match(text, a, b)
    if marker and marker.end() < b:
        a = marker.end()
    return a, b


def _cut_long(text: str, a: int, b: int) -> list[tuple[int, int]]:
    out = []
    while b - a > MAX_CLAIM_CHARS:
        cut = text.rfind(" ", a + MAX_CLAIM_CHARS // 2, a + MAX_CLAIM_CHARS)
        if cut <= a:
            cut = a + MAX_CLAIM_CHARS
        out.append((a, cut))
        a = cut
    out.append((a, b))
    return out


def _lines(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in re.finditer(r"\n", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _is_banner_line(text: str, a: int, b: int) -> bool:
    line = text[a:b].strip()
    return (
        0 < len(line) <= BANNER_LINE_CHARS
        and "\t" not in line
        and not _SENTENCE_FINAL.search(line)
        and not _LIST_MARKER.match(line)
        and not _SEPARATORS.search(line)
    )


def split_claims(text: str, page_offsets: list[int] | None = None) -> list[Claim]:
    """Split extracted text into claims, in order, with their offsets and pages."""
    lines = _lines(text)
    # join banners broken over consecutive short lines ("오늘만" / "전 품목" / "90% 할인") into one block
    blocks: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        a, b = lines[i]
        j = i
        while (
            j + 1 < len(lines)
            and j - i + 1 < BANNER_MAX_LINES
            and _is_banner_line(text, *lines[j])
            and _is_banner_line(text, *lines[j + 1])
            and (page_offsets is None or _page_of(lines[j][0], page_offsets) == _page_of(lines[j + 1][0], page_offsets))
        ):
            j += 1
        blocks.append((a, lines[j][1]))
        i = j + 1
    claims: list[Claim] = []
    for a, b in blocks:
        # table cells: tabs split a line into cells
        cell_start = a
        cells = []
        for position in range(a, b + 1):
            if position == b or text[position] == "\t":
                cells.append((cell_start, position))
                cell_start = position + 1
        for ca, cb in cells:
            ca, cb = _trim(text, ca, cb)
            for pa, pb in _pieces(text, ca, cb):
                sa, sb = _trim(text, pa, pb)
                if sa >= sb or not _WORDY.search(text, sa, sb):
                    continue
                for xa, xb in _cut_long(text, sa, sb):
                    xa, xb = _trim(text, xa, xb)
                    if xa < xb and _WORDY.search(text, xa, xb) and not _NUMBER_ONLY.fullmatch(text, xa, xb):
                        claims.append(Claim(text[xa:xb].replace("\n", " "), xa, xb, _page_of(xa, page_offsets)))
    return claims
