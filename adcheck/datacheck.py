"""Data checks: validate labeled files against the corpus schema and taxonomy, and describe them."""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from adcheck.atomic import write_text_atomic
from adcheck.normalize import normalize_text
from adcheck.taxonomy import CATEGORY_CODES, LABEL_ACCEPTABLE, LABEL_MISLEADING, LABELS, LANGUAGES, parse_categories
from adcheck.triggers import TriggerHits, find_triggers

CORPUS_COLUMNS = ("id", "text", "label", "categories", "lang", "channel", "domain", "group", "note")
NOTE_TAGS = ("near-miss", "subtle", "obfuscated")
NEAR_DUPLICATE_RUN = 8  # words shared in a row by two texts of different groups
# punctuation and emoji whose use should not depend on the label: where one label's texts carry a
# mark far more often than the other's, a model learns the writers' style instead of the claim
STYLE_MARKS = ("!", "?", ";", "(", "*", "~", "emoji")
STYLE_MIN_SHARE = 0.10  # warn when a mark is in at least this share of one label's texts
STYLE_MAX_RATIO = 3.0  # and at least this many times as common as in the other label's,
STYLE_MAX_GAP = 0.25  # or more common by this much (a share: 0.25 is 25 percentage points)
STYLE_MIN_TEXTS = 30  # texts each label needs in a language before its shares are compared
_EMOJI_RANGES = ((0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F000, 0x1FAFF))  # symbols, dingbats, emoji
_WORD = re.compile(r"\w+")


@dataclass
class Finding:
    level: str  # "error" or "warning"
    where: str  # file:row
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: {self.message}"


@dataclass
class DataCheckReport:
    files: list[str]
    rows: int
    findings: list[Finding] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]


def _length_bucket(n: int) -> str:
    if n < 40:
        return "short (<40 chars)"
    if n <= 250:
        return "medium (40-250)"
    return "long (>250)"


def _tag(note: str) -> str | None:
    head = note.strip().lower()
    for tag in NOTE_TAGS:
        if head.startswith(tag + ":"):
            return tag
    return None


def _tag_problems(text: str, label: str, note: str, hits_of: Callable[[str], TriggerHits] = find_triggers) -> list[str]:
    """Where a row's note tag disagrees with the guideline's closed trigger list (D25, D43, D51).

    Rows without a note are not checked (a file that records no reasons uses no tags), nor are
    obfuscated texts (their listed words are disguised) or words the list's rules leave unsure."""
    if not note.strip():
        return []
    tag = _tag(note)
    if tag == "subtle" and label == LABEL_ACCEPTABLE:
        return ["the subtle: tag is for misleading texts (guideline section 4)"]
    if tag == "near-miss" and label == LABEL_MISLEADING:
        return ["the near-miss: tag is for acceptable texts (guideline section 4)"]
    if tag == "obfuscated" or label not in LABELS:
        return []
    hits = hits_of(text)
    listed = ", ".join(f"{word!r} (in \"{hits.where[word]}\")" for word in hits.found)
    if label == LABEL_MISLEADING and tag == "subtle" and hits.found:
        return [f"tagged subtle: but holds the listed trigger word(s) {listed}, which a keyword list would flag (D25, D43)"]
    if label == LABEL_MISLEADING and tag is None and not hits.found and not hits.unsure:
        return ["misleading text without a listed trigger word: D43 requires the subtle: tag"]
    if label == LABEL_ACCEPTABLE and tag is None and hits.found:
        return [f"acceptable text with the listed trigger word(s) {listed}: D51 requires the near-miss: tag"]
    return []


def check_files(paths: list[Path], *, near_duplicate_run: int = NEAR_DUPLICATE_RUN) -> DataCheckReport:
    """Validate labeled corpus files; every problem is reported with its file and row."""
    from adcheck.errors import InputDataError
    from adcheck.readers import read_table

    findings: list[Finding] = []
    rows: list[tuple[str, dict]] = []
    found: dict[str, TriggerHits] = {}  # the tag checks' trigger words, reused by the statistics

    def hits_of(text: str) -> TriggerHits:
        hits = found.get(text)
        if hits is None:
            hits = found[text] = find_triggers(text)
        return hits

    for path in paths:
        try:
            frame = read_table(Path(path))
        except InputDataError as exc:
            findings.append(Finding("error", str(path), str(exc)))
            continue
        missing = [c for c in CORPUS_COLUMNS if c not in frame.columns]
        if missing:
            findings.append(Finding("error", str(path), f"missing column(s) {missing}; the schema is {','.join(CORPUS_COLUMNS)}"))
            if "text" not in frame.columns or "label" not in frame.columns:
                continue
        for number, record in enumerate(frame.to_dict("records"), 1):
            row = {c: ("" if record.get(c) is None else str(record.get(c))) for c in CORPUS_COLUMNS}
            rows.append((f"{path}:{number}", row))
    report = DataCheckReport([str(p) for p in paths], len(rows), findings)

    ids: dict[str, str] = {}
    by_text: dict[str, tuple[str, str, str]] = {}
    shingles: dict[str, tuple[str, str]] = {}
    for where, row in rows:
        text, label = row["text"], row["label"].strip()
        if not text.strip():
            findings.append(Finding("error", where, "empty text"))
            continue
        if label not in LABELS:
            findings.append(Finding("error", where, f"unknown label {label!r}; use {' or '.join(LABELS)}"))
        codes = parse_categories(row["categories"])
        for code in codes:
            if code not in CATEGORY_CODES:
                findings.append(Finding("error", where, f"unknown category {code!r}; known: {', '.join(CATEGORY_CODES)}"))
        if label == LABEL_MISLEADING and not codes:
            findings.append(Finding("error", where, "misleading row without categories"))
        if label == LABEL_ACCEPTABLE and codes:
            findings.append(Finding("error", where, "acceptable row with categories"))
        if row["lang"] and row["lang"] not in LANGUAGES:
            findings.append(Finding("error", where, f"unknown lang {row['lang']!r}; use {', '.join(LANGUAGES)}"))
        if row["id"]:
            if row["id"] in ids:
                findings.append(Finding("error", where, f"duplicate id {row['id']!r} (first at {ids[row['id']]})"))
            else:
                ids[row["id"]] = where
        findings.extend(Finding("warning", where, message) for message in _tag_problems(text, label, row["note"], hits_of))
        group = row["group"] or row["id"] or where
        normalized = normalize_text(text)
        key = " ".join(_WORD.findall(normalized))
        if key in by_text:
            first_where, first_label, _ = by_text[key]
            if first_label != label:
                findings.append(Finding("error", where, f"same text as {first_where} with a conflicting label ({first_label} vs {label})"))
            else:
                findings.append(Finding("error", where, f"exact duplicate of {first_where}"))
        else:
            by_text[key] = (where, label, group)
        words = key.split()
        for start in range(len(words) - near_duplicate_run + 1):
            shingle = " ".join(words[start : start + near_duplicate_run])
            seen = shingles.get(shingle)
            if seen is None:
                shingles[shingle] = (where, group)
            elif seen[1] != group:
                findings.append(Finding(
                    "error", where,
                    f"near duplicate of {seen[0]} (a different group): they share the {near_duplicate_run}-word run '{shingle}'",
                ))
                break
    report.stats = corpus_statistics([row for _, row in rows], hits_of)
    for lang, share in report.stats.get("language_share", {}).items():
        if lang in ("ko", "en") and share < 0.2:
            findings.append(Finding("warning", "corpus", f"language {lang} is only {share:.0%} of rows"))
    for code, count in report.stats.get("misleading_per_category", {}).items():
        if count < 50:
            findings.append(Finding("warning", "corpus", f"category {code} has only {count} misleading examples"))
    for lang, marks in report.stats.get("style_marks", {}).items():
        for mark, (misleading, acceptable) in marks.items():
            high, low = max(misleading, acceptable), min(misleading, acceptable)
            if high >= STYLE_MIN_SHARE and (high >= STYLE_MAX_RATIO * low or high - low >= STYLE_MAX_GAP):
                findings.append(Finding(
                    "warning", "corpus",
                    f"style: {mark!r} is in {misleading:.0%} of misleading and {acceptable:.0%} of acceptable {lang} texts; "
                    "a model can learn the mark instead of the claim (write both labels in both styles)",
                ))
    return report


def _has_mark(text: str, mark: str) -> bool:
    if mark == "emoji":  # pictographs of the emoji and dingbat blocks (🔥, ✔, ⭐), not box drawing or ㎡
        return any(lo <= ord(c) <= hi for c in text for lo, hi in _EMOJI_RANGES)
    # the full-width forms read the same after normalisation ("！", "（")
    return mark in text or chr(ord(mark) + 0xFEE0) in text


def style_marks(rows: list[dict]) -> dict:
    """Per language and mark: the share of misleading and of acceptable texts carrying it (languages
    with at least STYLE_MIN_TEXTS texts of each label)."""
    out: dict[str, dict[str, list[float]]] = {}
    for lang in LANGUAGES:
        by_label = {label: [r["text"] for r in rows if r["lang"] == lang and r["label"].strip() == label]
                    for label in (LABEL_MISLEADING, LABEL_ACCEPTABLE)}
        if min(len(texts) for texts in by_label.values()) < STYLE_MIN_TEXTS:
            continue
        out[lang] = {
            mark: [round(sum(_has_mark(t, mark) for t in texts) / len(texts), 4) for texts in by_label.values()]
            for mark in STYLE_MARKS
        }
    return out


def _trigger_free(row: dict, hits_of: Callable[[str], TriggerHits] = find_triggers) -> bool:
    """A misleading text D43 would tag `subtle:` by `adcheck.triggers`: no listed word, none the
    rules leave open, and not obfuscated (an obfuscated text disguises a listed word)."""
    if _tag(row["note"]) == "obfuscated":
        return False
    hits = hits_of(row["text"])
    return not hits.found and not hits.unsure


def corpus_statistics(rows: list[dict], hits_of: Callable[[str], TriggerHits] = find_triggers) -> dict:
    """Counts and shares that describe a labeled corpus (the data card's figures). `hits_of` finds a
    text's trigger words (`check_files` passes one that remembers what its tag checks found)."""
    if not rows:
        return {}
    labels = Counter(r["label"] for r in rows)
    langs = Counter(r["lang"] or "unknown" for r in rows)
    misleading = [r for r in rows if r["label"] == LABEL_MISLEADING]
    acceptable = [r for r in rows if r["label"] == LABEL_ACCEPTABLE]
    per_category = Counter(code for r in misleading for code in parse_categories(r["categories"]))
    per_category_lang: dict[str, Counter] = defaultdict(Counter)
    for r in misleading:
        for code in parse_categories(r["categories"]):
            per_category_lang[code][r["lang"]] += 1
    group_sizes = Counter(r["group"] for r in rows)
    group_labels: dict[str, set] = defaultdict(set)
    for r in rows:
        group_labels[r["group"]].add(r["label"])
    lengths = [len(r["text"]) for r in rows]
    tags_acceptable = Counter(_tag(r["note"]) for r in acceptable)
    tags_misleading = Counter(_tag(r["note"]) for r in misleading)
    return {
        "rows": len(rows),
        "labels": dict(sorted(labels.items())),
        "misleading_share": round(labels[LABEL_MISLEADING] / len(rows), 4),
        "languages": dict(sorted(langs.items())),
        "language_share": {k: round(v / len(rows), 4) for k, v in sorted(langs.items())},
        "misleading_per_category": {code: per_category.get(code, 0) for code in CATEGORY_CODES},
        "misleading_per_category_and_language": {
            code: dict(sorted(per_category_lang[code].items())) for code in CATEGORY_CODES
        },
        "multi_category_misleading": sum(len(parse_categories(r["categories"])) > 1 for r in misleading),
        "channels": dict(Counter(r["channel"] for r in rows).most_common()),
        "domains": dict(Counter(r["domain"] for r in rows).most_common()),
        "groups": len(group_sizes),
        "contrastive_groups": sum(1 for g, s in group_labels.items() if len(s) == 2),
        "length_chars": {
            "min": min(lengths), "median": int(statistics.median(lengths)), "max": max(lengths),
            **{k: v for k, v in sorted(Counter(_length_bucket(n) for n in lengths).items())},
        },
        "near_miss_share_of_acceptable": round(tags_acceptable["near-miss"] / max(len(acceptable), 1), 4),
        "subtle_share_of_misleading": round(tags_misleading["subtle"] / max(len(misleading), 1), 4),
        "trigger_free_share_of_misleading": round(sum(_trigger_free(r, hits_of) for r in misleading) / max(len(misleading), 1), 4),
        "obfuscated_rows": tags_acceptable["obfuscated"] + tags_misleading["obfuscated"],
        "style_marks": style_marks(rows),
    }


def render_statistics(stats: dict) -> str:
    """Markdown for the data card's generated statistics block."""
    if not stats:
        return "(no rows)\n"
    lines = [
        f"- Rows: **{stats['rows']}**; labels: " + ", ".join(f"{k} {v}" for k, v in stats["labels"].items())
        + f" (misleading share {stats['misleading_share']:.1%}).",
        "- Languages: " + ", ".join(f"{k} {v} ({stats['language_share'][k]:.1%})" for k, v in stats["languages"].items()) + ".",
        f"- Groups: {stats['groups']}, of which {stats['contrastive_groups']} contrastive (a misleading text and an acceptable sibling).",
        f"- Hard cases: {stats['near_miss_share_of_acceptable']:.1%} of acceptable texts are near-misses; "
        f"{stats['subtle_share_of_misleading']:.1%} of misleading texts are subtle "
        f"({stats['trigger_free_share_of_misleading']:.1%} hold no trigger word by `adcheck.triggers`, "
        "which counts neither obfuscated texts nor words the list's rules leave open); "
        f"{stats['obfuscated_rows']} obfuscated texts; "
        f"{stats['multi_category_misleading']} misleading texts carry more than one category.",
        f"- Length (characters): min {stats['length_chars']['min']}, median {stats['length_chars']['median']}, "
        f"max {stats['length_chars']['max']}; "
        + ", ".join(f"{k} {v}" for k, v in stats["length_chars"].items() if k not in ("min", "median", "max")) + ".",
        "",
        "| category | misleading | by language |",
        "|---|---|---|",
    ]
    for code, count in stats["misleading_per_category"].items():
        by_lang = ", ".join(f"{k} {v}" for k, v in stats["misleading_per_category_and_language"][code].items())
        lines.append(f"| {code} | {count} | {by_lang} |")
    lines += ["", f"Channels ({len(stats['channels'])}): " + ", ".join(f"{k} {v}" for k, v in stats["channels"].items()) + ".", ""]
    lines += [f"Domains ({len(stats['domains'])}): " + ", ".join(f"{k} {v}" for k, v in stats["domains"].items()) + ".", ""]
    if stats.get("style_marks"):
        lines += ["Style marks (share of misleading / acceptable texts carrying the mark; the label should not depend on them):", ""]
        for lang, marks in stats["style_marks"].items():
            lines.append(f"- {lang}: " + ", ".join(f"{m!r} {a:.1%} / {b:.1%}" if m != "emoji" else f"emoji {a:.1%} / {b:.1%}"
                                                   for m, (a, b) in marks.items()) + ".")
        lines.append("")
    return "\n".join(lines)


STATS_START = "<!-- stats:start (generated by `adcheck data check --update-card`; do not edit) -->"
STATS_END = "<!-- stats:end -->"


def update_card(card: Path, stats: dict) -> None:
    """Replace the generated statistics block of a data card, atomically."""

    from adcheck.errors import InputDataError

    text = card.read_text(encoding="utf-8")
    if STATS_START not in text or STATS_END not in text:
        raise InputDataError(f"{card}: no statistics block; add the lines {STATS_START!r} and {STATS_END!r}")
    before, rest = text.split(STATS_START, 1)
    _, after = rest.split(STATS_END, 1)
    new = before + STATS_START + "\n" + render_statistics(stats) + STATS_END + after
    write_text_atomic(card, new)
