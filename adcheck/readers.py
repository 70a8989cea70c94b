"""Input readers: labeled and unlabeled tables from CSV, TSV, JSONL, Parquet and plain text."""

from __future__ import annotations

import csv
import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from adcheck.digest import file_sha256
from adcheck.errors import InputDataError
from adcheck.jsonlines import JsonLineError, json_lines
from adcheck.language import detect_language
from adcheck.taxonomy import CATEGORY_CODES, parse_categories

TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet", ".txt")


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Decode file bytes as UTF-8 (with or without BOM), UTF-16 (BOM) or CP949; return text, encoding."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp949"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text and encoding != "utf-16":
            break
        return text, encoding
    raise InputDataError(
        f"{name}: cannot decode as UTF-8, UTF-16 or CP949 (binary or unknown encoding); "
        "re-save it as UTF-8 text"
    )


def _read_jsonl(text: str, name: str) -> pd.DataFrame:
    records = []
    try:
        for number, value in json_lines(text):
            if not isinstance(value, dict):
                raise InputDataError(f"{name}: line {number} is not a JSON object; each line must be an object like {{\"text\": ...}}")
            records.append(value)
    except JsonLineError as exc:
        raise InputDataError(f"{name}: {exc}; fix or remove that line") from None
    return pd.DataFrame.from_records(records)


def read_table(path: Path) -> pd.DataFrame:
    """Read a whole file into a DataFrame of strings; `df.attrs` records encoding and sha256."""
    path = Path(path)
    if not path.exists():
        raise InputDataError(f"{path}: no such file")
    if path.is_dir():
        raise InputDataError(f"{path}: is a directory; give a file")
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputDataError(f"{path}: unsupported file type {suffix!r}; use one of {', '.join(TABLE_SUFFIXES)}")
    if path.stat().st_size == 0:
        raise InputDataError(f"{path}: the file is empty")
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InputDataError("reading Parquet needs pyarrow: pip install 'adcheck[parquet]'") from None
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many types for corrupt files
            raise InputDataError(f"{path}: not a readable Parquet file ({exc})") from None
        encoding = "parquet"
    else:
        text, encoding = decode_bytes(path.read_bytes(), str(path))
        if suffix in (".jsonl", ".ndjson"):
            frame = _read_jsonl(text, str(path))
        elif suffix == ".json":
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputDataError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
            if isinstance(value, dict) and isinstance(value.get("results"), list):
                value = value["results"]
            if not isinstance(value, list):
                raise InputDataError(f"{path}: a .json input must be a list of objects")
            frame = pd.DataFrame.from_records(value)
        elif suffix == ".txt":
            lines = [line for line in text.splitlines() if line.strip()]
            frame = pd.DataFrame({"text": lines})
        else:
            sep = "\t" if suffix == ".tsv" else ","
            try:
                with warnings.catch_warnings():
                    # a row with more fields than the header: pandas would drop the extra silently
                    warnings.simplefilter("error", pd.errors.ParserWarning)
                    frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                                        quoting=csv.QUOTE_MINIMAL, index_col=False)
            except pd.errors.ParserWarning:
                raise InputDataError(f"{path}: a row has more fields than the header (ragged rows); fix the file, or score it "
                                     "with --out, which turns each bad row into an error row") from None
            except pd.errors.ParserError as exc:
                raise InputDataError(f"{path}: malformed {suffix[1:].upper()} ({str(exc).strip()}); check quoting on that line") from None
            except pd.errors.EmptyDataError:
                raise InputDataError(f"{path}: the file has no header or rows") from None
    if frame.empty:
        raise InputDataError(f"{path}: no rows found")
    frame.attrs["encoding"] = encoding
    frame.attrs["sha256"] = file_sha256(path)
    frame.attrs["path"] = str(path)
    return frame


def require_column(frame: pd.DataFrame, column: str, option: str) -> None:
    if column not in frame.columns:
        name = frame.attrs.get("path", "input")
        available = ", ".join(map(str, frame.columns))
        raise InputDataError(f"{name}: no column {column!r} (columns: {available}); choose one with {option}")


def text_column(frame: pd.DataFrame, column: str) -> list[str]:
    """The text column as strings (missing values become empty strings)."""
    require_column(frame, column, "--text-col")
    values = frame[column]
    return ["" if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v) for v in values.tolist()]


@dataclass
class LabeledData:
    """Labeled texts ready for training or evaluation."""

    texts: list[str]
    labels: np.ndarray  # bool: True = the positive (misleading) class
    groups: np.ndarray  # str
    languages: np.ndarray  # str
    categories: list[list[str]] | None
    sources: list[dict] = field(default_factory=list)
    files: np.ndarray | None = None  # str: the file each row was read from, when known

    def __len__(self) -> int:
        return len(self.texts)

    def counts(self) -> dict:
        result: dict = {
            "rows": len(self.texts),
            "positive": int(self.labels.sum()),
            "negative": int((~self.labels).sum()),
            "groups": int(len(set(self.groups.tolist()))),
            "languages": {lang: int((self.languages == lang).sum()) for lang in sorted(set(self.languages.tolist()))},
        }
        if self.categories is not None:
            result["categories"] = {
                code: sum(code in cats for cats in self.categories) for code in CATEGORY_CODES
            }
        return result


def load_labeled(
    paths: list[Path],
    *,
    text_col: str = "text",
    label_col: str = "label",
    positive: list[str] | None = None,
    negative: list[str] | None = None,
    group_col: str | None = None,
    categories_col: str | None = "categories",
    lang_col: str | None = "lang",
) -> LabeledData:
    """Read labeled files and map labels to the positive class.

    Without `negative`, the label column must have exactly two distinct values.
    """
    positive = positive or ["misleading"]
    frames = []
    sources = []
    for path in paths:
        frame = read_table(Path(path))
        require_column(frame, text_col, "--text-col")
        require_column(frame, label_col, "--label-col")
        if group_col:
            require_column(frame, group_col, "--group-col")
        frame = frame.copy()
        frame["__file"] = str(path)
        frame["__row"] = np.arange(len(frame)) + 1
        frames.append(frame)
        sources.append({"path": str(path), "sha256": frame.attrs["sha256"], "rows": len(frame), "encoding": frame.attrs["encoding"]})
    data = pd.concat(frames, ignore_index=True)
    texts = text_column(data, text_col)
    empty = [i for i, t in enumerate(texts) if not t.strip()]
    if empty:
        first = data.iloc[empty[0]]
        raise InputDataError(
            f"{first['__file']}: {len(empty)} row(s) with empty text (first: row {first['__row']}); remove or fill them"
        )
    raw_labels = data[label_col].astype(str).str.strip()
    values = sorted(set(raw_labels.tolist()))
    positives = set(positive)
    if negative:
        unknown = sorted(set(values) - positives - set(negative))
        if unknown:
            bad = data[raw_labels.isin(unknown)].iloc[0]
            raise InputDataError(
                f"{bad['__file']}: label column {label_col!r} has unknown value(s) {unknown} (first at row {bad['__row']}); "
                f"expected {sorted(positives)} or {sorted(negative)}"
            )
    else:
        if not positives & set(values):
            raise InputDataError(
                f"no row has the positive label {sorted(positives)} in column {label_col!r} (values: {values[:10]}); set --positive"
            )
        others = sorted(set(values) - positives)
        if len(others) > 1:
            raise InputDataError(
                f"label column {label_col!r} has {len(others)} values besides the positive {sorted(positives)} ({others[:10]}); "
                "name the negative label(s) with --negative or fix the rows"
            )
    labels = raw_labels.isin(positives).to_numpy()
    if labels.all() or not labels.any():
        raise InputDataError(f"the labeled data has one class only ({values}); it needs both positive and negative rows")
    if group_col:
        groups = data[group_col].astype(str).to_numpy()
    else:
        groups = np.asarray([f"row-{i}" for i in range(len(data))])
    if lang_col and lang_col in data.columns:
        languages = np.asarray([
            (str(v).strip() or detect_language(t)) for v, t in zip(data[lang_col].tolist(), texts)
        ])
    else:
        languages = np.asarray([detect_language(t) for t in texts])
    categories = None
    if categories_col and categories_col in data.columns:
        categories = [parse_categories(v) for v in data[categories_col].tolist()]
        for i, cats in enumerate(categories):
            for code in cats:
                if code not in CATEGORY_CODES:
                    row = data.iloc[i]
                    raise InputDataError(
                        f"{row['__file']}: row {row['__row']}: unknown category {code!r}; known: {', '.join(CATEGORY_CODES)}"
                    )
    return LabeledData(texts, labels, groups, languages, categories, sources, data["__file"].astype(str).to_numpy())
