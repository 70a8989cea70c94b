"""Streaming records: one record per input row, scored or carrying the reason it cannot be.

Every row of every source yields exactly one record, in input order, so the output accounts for
all of the input. Memory stays bounded: rows are read one at a time, and a line longer than the
line limit is skipped without being held (it becomes an error record).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from adcheck.errors import InputDataError
from adcheck.sources import Source

MAX_LINE_CHARS = 16 << 20  # one physical line (or JSON record) longer than this is an error record
MAX_TEXT_CHARS = 100_000  # longer texts are truncated for scoring, and flagged
SAMPLE_BYTES = 1 << 16
_OVERSIZE = "\x00adcheck-oversize-line\x00"


@dataclass
class Record:
    id: str
    source: str
    position: int  # 1-based row (CSV/XLSX/Parquet) or line (JSONL/text) within the source
    text: str = ""
    keep: dict = field(default_factory=dict)
    error: str | None = None
    truncated: bool = False


@dataclass
class ReadOptions:
    text_cols: list[str]
    id_col: str | None = None
    keep_cols: list[str] = field(default_factory=list)
    max_text_chars: int = MAX_TEXT_CHARS
    max_line_chars: int = MAX_LINE_CHARS


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (BOM) or CP949, judged from the first bytes."""
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for encoding in ("utf-8", "cp949"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            decoder.decode(sample, final=False)  # a sequence cut at the sample's end is fine
            return encoding
        except UnicodeDecodeError:
            continue
    return "utf-8"  # undecodable rows become error records


def _undecodable(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _capped_lines(stream: io.TextIOBase, limit: int) -> Iterator[str]:
    """Lines (with their endings); a line over `limit` characters is replaced by a marker."""
    while True:
        line = stream.readline(limit)
        if not line:
            return
        if len(line) >= limit and not line.endswith(("\n", "\r")):
            while True:
                rest = stream.readline(limit)
                if not rest or rest.endswith(("\n", "\r")):
                    break
            yield _OVERSIZE + "\n"
            continue
        yield line


class SourceReader:
    """Reads the records of one source; `encoding` and `columns` are known after opening."""

    def __init__(self, source: Source, options: ReadOptions, row_group: int | None = None) -> None:
        self.source = source
        self.options = options
        self.row_group = row_group  # Parquet: read only this row group (positions stay file-wide)
        self.encoding: str | None = None
        self.columns: list[str] = []
        self.missing: list[str] = []

    def _id(self, position: int, values: dict | None) -> str:
        default_id = f"{self.source.name}:{position}"
        if self.options.id_col and values:
            raw = values.get(self.options.id_col)
            return str(raw) if raw not in (None, "") else default_id
        return default_id

    def _error(self, position: int, message: str, values: dict | None = None) -> Record:
        return Record(self._id(position, values), self.source.name, position, error=message)

    def _record(self, position: int, values: dict) -> Record:
        opts = self.options
        record_id = self._id(position, values)
        keep = {c: ("" if values.get(c) is None else str(values.get(c))) for c in opts.keep_cols}
        record = Record(record_id, self.source.name, position, keep=keep)
        if self.missing:
            record.error = f"no column {self.missing[0]!r} in this file (columns: {', '.join(self.columns)})"
            return record
        parts = []
        for column in opts.text_cols:
            value = values.get(column)
            if value is None or (isinstance(value, float) and value != value):
                continue
            if not isinstance(value, str):
                record.error = f"column {column!r} holds {type(value).__name__}, not text"
                return record
            parts.append(value)
        text = "\n".join(p for p in parts if p.strip())
        if _undecodable(text):
            record.error = f"undecodable bytes (not valid {self.encoding})"
            return record
        if not text.strip():
            record.error = "empty text"
            return record
        if len(text) > opts.max_text_chars:
            text = text[: opts.max_text_chars]
            record.truncated = True
        record.text = text
        return record

    def _check_columns(self, columns: list[str]) -> None:
        self.columns = [str(c) for c in columns]
        wanted = list(self.options.text_cols)
        self.missing = [c for c in wanted if c not in self.columns]

    def records(self) -> Iterator[Record]:
        fmt = self.source.format
        try:
            if fmt == "parquet":
                yield from self._parquet()
            elif fmt == "xlsx":
                yield from self._xlsx()
            else:
                yield from self._text_based(fmt)
        except (EOFError, OSError, zlib.error) as exc:  # truncated or damaged .gz/.zst/.zip member
            if isinstance(exc, InputDataError):
                raise
            raise InputDataError(f"{self.source.name}: the file is damaged or truncated ({exc or type(exc).__name__}); "
                                 "replace it, or leave it out of the input") from None

    def _whole_file_encoding(self, first_guess: str) -> str:
        """When the first bytes look like UTF-8, read the whole source once to be sure: Korean
        CP949 rows may only start far into a file whose beginning is plain ASCII."""
        if first_guess != "utf-8":
            return first_guess
        decoder = codecs.getincrementaldecoder("utf-8")()
        fallback = codecs.getincrementaldecoder("cp949")()
        utf8_ok, cp949_ok = True, True
        with self.source.open() as raw:
            for block in iter(lambda: raw.read(1 << 20), b""):
                if utf8_ok:
                    try:
                        decoder.decode(block)
                    except UnicodeDecodeError:
                        utf8_ok = False
                if cp949_ok:
                    try:
                        fallback.decode(block)
                    except UnicodeDecodeError:
                        cp949_ok = False
                if not (utf8_ok or cp949_ok):
                    break
        if utf8_ok:
            return "utf-8"
        return "cp949" if cp949_ok else "utf-8"  # undecodable rows become error records

    def _open_text(self) -> io.TextIOWrapper:
        raw = self.source.open()
        buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw, SAMPLE_BYTES)  # type: ignore[arg-type]
        guess = detect_encoding(buffered.peek(SAMPLE_BYTES)[:SAMPLE_BYTES])
        self.encoding = self._whole_file_encoding(guess)
        return io.TextIOWrapper(buffered, encoding=self.encoding, errors="surrogateescape", newline="")

    def _text_based(self, fmt: str) -> Iterator[Record]:
        limit = self.options.max_line_chars
        with self._open_text() as stream:
            lines = _capped_lines(stream, limit)
            if fmt == "text":
                self.columns = ["text"]
                for number, line in enumerate(lines, 1):
                    stripped = line.rstrip("\r\n")
                    if stripped.startswith(_OVERSIZE):
                        yield Record(f"{self.source.name}:{number}", self.source.name, number, error=f"line longer than {limit:,} characters")
                        continue
                    yield self._record(number, {c: stripped for c in self.options.text_cols} | {"text": stripped})
            elif fmt == "jsonl":
                for number, line in enumerate(lines, 1):
                    if line.startswith(_OVERSIZE):
                        yield Record(f"{self.source.name}:{number}", self.source.name, number, error=f"line longer than {limit:,} characters")
                        continue
                    if not line.strip():
                        continue  # blank lines separate nothing in JSON Lines
                    try:
                        value = json.loads(line)
                    except json.JSONDecodeError as exc:
                        yield Record(f"{self.source.name}:{number}", self.source.name, number, error=f"invalid JSON ({exc.msg})")
                        continue
                    if not isinstance(value, dict):
                        yield Record(f"{self.source.name}:{number}", self.source.name, number, error="JSON line is not an object")
                        continue
                    if not self.columns:
                        self.columns = [str(k) for k in value]
                    missing_here = [c for c in self.options.text_cols if c not in value]
                    if missing_here:
                        fields = ", ".join(map(str, value))
                        yield self._error(number, f"no field {missing_here[0]!r} in this record (fields: {fields})", value)
                        continue
                    yield self._record(number, value)
            else:
                yield from self._csv(stream, lines)

    def _csv(self, stream: io.TextIOWrapper, lines: Iterator[str]) -> Iterator[Record]:
        first: list[str] = []
        for line in lines:
            first.append(line)
            if sum(len(x) for x in first) > SAMPLE_BYTES or len(first) > 200:
                break
        sample = "".join(first)
        if not sample.strip():
            return
        delimiter = self.source.delimiter_hint
        if delimiter is None:
            try:
                delimiter = csv.Sniffer().sniff(sample.replace(_OVERSIZE, ""), delimiters=",\t;|").delimiter
            except csv.Error:
                delimiter = ","
        chained = _chain(first, lines)
        reader = csv.reader(chained, delimiter=delimiter, strict=False)
        csv.field_size_limit(self.options.max_line_chars)
        try:
            header = next(reader)
        except StopIteration:
            return
        self._check_columns(header)
        position = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                position += 1
                yield Record(f"{self.source.name}:{position}", self.source.name, position, error=f"malformed CSV row ({exc})")
                continue
            if not row:
                continue
            position += 1
            if row[0].startswith(_OVERSIZE):
                yield Record(f"{self.source.name}:{position}", self.source.name, position, error=f"line longer than {self.options.max_line_chars:,} characters")
                continue
            if len(row) != len(header):
                yield self._error(position, f"ragged row: {len(row)} fields, the header has {len(header)}", dict(zip(header, row)))
                continue
            yield self._record(position, dict(zip(header, row)))

    def _parquet(self) -> Iterator[Record]:
        try:
            import pyarrow.parquet  # noqa: F401  (only to say the extra is missing)
        except ImportError:
            raise InputDataError("reading Parquet needs pyarrow: pip install 'adcheck[parquet]'") from None
        self.encoding = "parquet"
        opened = self.source.open()
        try:
            yield from self._parquet_rows(opened)
        finally:
            opened.close()

    def _parquet_rows(self, opened) -> Iterator[Record]:
        import pyarrow.parquet as pq

        handle = opened if opened.seekable() else io.BytesIO(opened.read())
        try:
            parquet = pq.ParquetFile(handle)
        except Exception as exc:
            raise InputDataError(f"{self.source.name}: not a readable Parquet file ({exc})") from None
        schema = parquet.schema_arrow
        self._check_columns(schema.names)
        import pyarrow as pa

        for column in self.options.text_cols:
            if column in schema.names:
                kind = schema.field(column).type
                if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
                    raise InputDataError(
                        f"{self.source.name}: column {column!r} is {kind}, not text; choose a string column with --text-col"
                    )
        wanted = [c for c in dict.fromkeys([*self.options.text_cols, *( [self.options.id_col] if self.options.id_col else []), *self.options.keep_cols]) if c in schema.names]
        position = 0
        groups = None
        if self.row_group is not None:
            groups = [self.row_group]
            position = sum(parquet.metadata.row_group(i).num_rows for i in range(self.row_group))
        for batch in parquet.iter_batches(batch_size=8192, columns=wanted, row_groups=groups):
            columns = batch.to_pydict()
            for i in range(batch.num_rows):
                position += 1
                yield self._record(position, {name: values[i] for name, values in columns.items()})

    def _xlsx(self) -> Iterator[Record]:
        try:
            import openpyxl
        except ImportError:
            raise InputDataError("reading .xlsx needs openpyxl: pip install 'adcheck[batch]'") from None
        self.encoding = "xlsx"
        handle = self.source.open()
        try:
            yield from self._xlsx_rows(openpyxl, handle if handle.seekable() else io.BytesIO(handle.read()))
        finally:
            handle.close()

    def _xlsx_rows(self, openpyxl, data) -> Iterator[Record]:
        try:
            book = openpyxl.load_workbook(data, read_only=True, data_only=True)
        except Exception as exc:
            raise InputDataError(f"{self.source.name}: not a readable .xlsx workbook ({exc})") from None
        try:
            rows = book.worksheets[0].iter_rows(values_only=True)
            header = next(rows, None)
            if header is None:
                return
            self._check_columns(["" if h is None else str(h) for h in header])
            for position, row in enumerate(rows, 1):
                values = {
                    self.columns[i]: ("" if v is None else v if isinstance(v, str) else str(v))
                    for i, v in enumerate(row) if i < len(self.columns)
                }
                yield self._record(position, values)
        finally:
            book.close()


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest
