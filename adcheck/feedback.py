"""Reviewer feedback: turn reviewed score outputs into a labeled file in the corpus schema.

A batch output (`adcheck score --out`), a `suggest` file or a JSON/CSV review export carries the
columns a reviewer fills: `review_label` (misleading / acceptable; empty = not reviewed),
optionally `review_categories` (codes separated by ';') and `review_note`. `collect_feedback`
reads any number of them, checks every reviewed row and writes the labeled rows with their
provenance (file, row, the claim's source and position, the reviewer's note).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from adcheck.atomic import write_text_atomic
from adcheck.datacheck import CORPUS_COLUMNS, NEAR_DUPLICATE_RUN
from adcheck.errors import InputDataError
from adcheck.language import detect_language
from adcheck.normalize import normalize_text
from adcheck.taxonomy import CATEGORY_CODES, LABEL_ACCEPTABLE, LABEL_MISLEADING, parse_categories

REVIEW_LABEL = "review_label"
REVIEW_CATEGORIES = "review_categories"
REVIEW_NOTE = "review_note"
PROVENANCE_COLUMNS = ("feedback_file", "feedback_row", "claim_source", "claim_position", "claim_id", "model_risk",
                      "categories_from")
FEEDBACK_COLUMNS = CORPUS_COLUMNS + PROVENANCE_COLUMNS
LABEL_ALIASES = {
    "misleading": LABEL_MISLEADING, "acceptable": LABEL_ACCEPTABLE,
    "오인": LABEL_MISLEADING, "허위": LABEL_MISLEADING, "적합": LABEL_ACCEPTABLE, "정상": LABEL_ACCEPTABLE,
}
MAX_LISTED = 20
_WORD = re.compile(r"\w+")


def text_key(text: str) -> str:
    """The duplicate key of a text: its normalised words (the rule `adcheck data check` uses)."""
    return " ".join(_WORD.findall(normalize_text(text)))


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def shingles(key: str, run: int = NEAR_DUPLICATE_RUN) -> list[str]:
    words = key.split()
    return [" ".join(words[i : i + run]) for i in range(len(words) - run + 1)]


def near_duplicate_clusters(texts: list[str], run: int = NEAR_DUPLICATE_RUN) -> list[int]:
    """Cluster index per text: same normalised words, or a shared `run`-word run, join a cluster."""
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_seen: dict[str, int] = {}
    for i, text in enumerate(texts):
        key = text_key(text)
        for item in [key, *shingles(key, run)]:
            j = first_seen.setdefault(item, i)
            if j != i:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return [find(i) for i in range(len(texts))]


@dataclass
class FeedbackResult:
    rows: list[dict]
    files: list[dict]
    reviewed: int = 0
    unreviewed: int = 0
    skipped_errors: int = 0
    merged_duplicates: list[str] = field(default_factory=list)


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _model_categories(value) -> list[str]:
    """Categories the model flagged: batch "code:0.41;code:0.2", or JSON [{"code": ...}]."""
    if isinstance(value, list):
        return [str(v.get("code")) for v in value if isinstance(v, dict) and v.get("code")]
    text = _cell(value)
    if text.startswith("["):
        try:
            return _model_categories(json.loads(text))
        except json.JSONDecodeError:
            return []
    return [item.split(":")[0].strip() for item in text.split(";") if item.split(":")[0].strip()]


def collect_feedback(paths: list[Path]) -> FeedbackResult:
    """Read reviewed outputs; return labeled rows in the corpus schema plus provenance.

    Raises InputDataError listing every problem (file:row) when a file lacks the needed columns or
    a reviewed row has an unknown label, unknown categories, or conflicts with another row.
    """
    from adcheck.readers import read_table

    if not paths:
        raise InputDataError("no feedback file given")
    problems: list[str] = []
    rows: list[dict] = []
    files: list[dict] = []
    result = FeedbackResult(rows, files)
    for path in paths:
        frame = read_table(Path(path))
        columns = [str(c) for c in frame.columns]
        missing = [c for c in ("text", REVIEW_LABEL) if c not in columns]
        if missing:
            hint = " (score without --no-text so the text is kept)" if "text" in missing else ""
            problems.append(f"{path}: missing column(s) {missing}{hint}; columns are {', '.join(columns)}")
            continue
        files.append({"path": str(path), "sha256": frame.attrs["sha256"], "encoding": frame.attrs["encoding"], "rows": len(frame)})
        for number, record in enumerate(frame.to_dict("records"), 1):
            where = f"{path}:{number}"
            raw_label = _cell(record.get(REVIEW_LABEL)).strip()
            if not raw_label:
                result.unreviewed += 1
                continue
            label = LABEL_ALIASES.get(raw_label.lower())
            if label is None:
                problems.append(f"{where}: unknown review_label {raw_label!r}; use misleading or acceptable (or leave it empty)")
                continue
            if _cell(record.get("status")) == "error":
                problems.append(f"{where}: the row was not scored ({_cell(record.get('error'))}); it cannot be a labeled example")
                continue
            text = _cell(record.get("text"))
            if not text.strip():
                problems.append(f"{where}: reviewed row with empty text")
                continue
            codes = parse_categories(record.get(REVIEW_CATEGORIES)) if REVIEW_CATEGORIES in columns else []
            categories_from = "reviewer" if codes else ""
            unknown = [c for c in codes if c not in CATEGORY_CODES]
            if unknown:
                problems.append(f"{where}: unknown category {unknown}; known: {', '.join(CATEGORY_CODES)}")
                continue
            if label == LABEL_MISLEADING and not codes:
                codes = [c for c in _model_categories(record.get("categories")) if c in CATEGORY_CODES]
                categories_from = "model" if codes else ""
                if not codes:
                    problems.append(f"{where}: misleading without categories; fill review_categories (e.g. price;urgency)")
                    continue
            if label == LABEL_ACCEPTABLE:
                if REVIEW_CATEGORIES in columns and parse_categories(record.get(REVIEW_CATEGORIES)):
                    problems.append(f"{where}: acceptable row with review_categories; clear them or label it misleading")
                    continue
                codes, categories_from = [], ""
            lang = _cell(record.get("lang")).strip() or detect_language(text)
            rows.append({
                "id": "", "text": text, "label": label, "categories": ";".join(codes), "lang": lang,
                "channel": _cell(record.get("channel")), "domain": _cell(record.get("domain")), "group": "",
                "note": _cell(record.get(REVIEW_NOTE)).strip(),
                "feedback_file": str(path), "feedback_row": number,
                "claim_source": _cell(record.get("source")), "claim_position": _cell(record.get("position")),
                "claim_id": _cell(record.get("id")), "model_risk": _cell(record.get("risk")),
                "categories_from": categories_from,
            })
            result.reviewed += 1
    # the same text reviewed twice: one row if the labels agree, an error if they do not
    by_key: dict[str, dict] = {}
    unique: list[dict] = []
    for row in rows:
        key = text_key(row["text"])
        first = by_key.get(key)
        if first is None:
            by_key[key] = row
            unique.append(row)
        elif first["label"] != row["label"]:
            problems.append(
                f"{row['feedback_file']}:{row['feedback_row']}: same text as {first['feedback_file']}:{first['feedback_row']} "
                f"with a conflicting label ({first['label']} vs {row['label']}); settle it in one of the files"
            )
        else:
            result.merged_duplicates.append(f"{row['feedback_file']}:{row['feedback_row']}")
    if problems:
        listed = "\n  ".join(problems[:MAX_LISTED])
        more = f"\n  ... and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        raise InputDataError(f"{len(problems)} problem(s) in the feedback:\n  {listed}{more}")
    if not unique:
        raise InputDataError("no reviewed row: fill review_label (misleading or acceptable) in the files first")
    clusters = near_duplicate_clusters([r["text"] for r in unique])
    for row, cluster in zip(unique, clusters):
        digest = key_digest(text_key(row["text"]))
        row["id"] = f"fb-{digest[:12]}"
        row["group"] = f"fb-g{key_digest(text_key(unique[cluster]['text']))[:12]}"
    result.rows[:] = unique
    return result


def write_feedback(rows: list[dict], out: Path, *, overwrite: bool = False) -> Path:
    """Write labeled rows (CSV, or JSONL by extension) atomically."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".jsonl"):
        raise InputDataError(f"{out}: write the labels as .csv or .jsonl")
    if out.exists() and not overwrite:
        raise InputDataError(f"{out} exists; choose another --out or pass --overwrite")
    if suffix == ".csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(FEEDBACK_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        content = buffer.getvalue()
    else:
        content = "".join(json.dumps({c: r.get(c, "") for c in FEEDBACK_COLUMNS}, ensure_ascii=False) + "\n" for r in rows)
    return write_text_atomic(out, content)
