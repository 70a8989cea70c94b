"""Text extraction: the visible text of one file, by type (plain text, HTML, CSV/TSV, JSON/JSONL,
PDF, Word, Excel), with the encoding used and, for PDFs, the offset of each page.

Each extractor takes the file's bytes and name and returns (text, encoding or None, page offsets), or
raises `NotRead` with the reason a report shows. PDF, Word and Excel need the optional parsers
(`pip install 'adcheck[documents]'`); without them the file is not read and the reason says so.
`adcheck.documents` finds the files and calls `EXTRACTORS`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser

from adcheck.errors import InputDataError
from adcheck.jsonlines import JsonLineError, json_lines
from adcheck.readers import decode_bytes

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
TABLE_SUFFIXES = (".csv", ".tsv")
JSON_SUFFIXES = (".jsonl", ".json")
EXTRA_HINT = "pip install 'adcheck[documents]'"
CELL_SEPARATOR = "\t"  # between the cells of a table row in extracted text (claims split there)
BLOCK_SEPARATOR = "\n\n"  # between paragraphs, rows and parts: a blank line, so short blocks never join as a banner


def _suffix(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith(".tar.gz"):
        return ".tar.gz"
    dot = lowered.rfind(".")
    slash = max(lowered.rfind("/"), lowered.rfind("\\"))
    return lowered[dot:] if dot > slash + 1 else ""


class NotRead(Exception):
    """A file cannot be read; the message is the reason shown in the report."""

    def __init__(self, reason: str, needs_extra: bool = False) -> None:
        super().__init__(reason)
        self.needs_extra = needs_extra


# -- text decoding -----------------------------------------------------------------------------


def _decode(data: bytes, name: str) -> tuple[str, str]:
    try:
        text, encoding = decode_bytes(data, name)
    except InputDataError:
        raise NotRead("binary or undecodable content (not UTF-8, UTF-16 or CP949 text)") from None
    controls = sum(1 for ch in text[:100_000] if ch < " " and ch not in "\t\n\r\f\v")
    if controls > max(8, len(text[:100_000]) // 100):
        raise NotRead("binary content (control characters) in a file with a text extension")
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


# -- HTML --------------------------------------------------------------------------------------

_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object"})
_BLOCK_TAGS = frozenset(
    ["address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul", "caption", "option", "button", "label", "title"]
)
_CELL_TAGS = frozenset({"td", "th"})
_VOID_TAGS = frozenset(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"])


class _VisibleText(HTMLParser):
    """Visible text of an HTML page plus alt and title text; drops scripts, styles and comments."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.in_title = False
        self.title = ""

    def _newline(self, blank: bool = True) -> None:
        """End the current line; `blank` also ends the block (a blank line: no banner joins across it)."""
        if not self.parts:
            return
        if not self.parts[-1].endswith("\n"):
            self.parts.append("\n")
        if blank and not self.parts[-1].endswith("\n\n"):
            self.parts.append("\n")

    def handle_starttag(self, tag, attrs) -> None:
        if tag in _SKIP_TAGS and tag not in _VOID_TAGS:
            if tag == "head":
                return  # <title> inside <head> is kept; other head content has no text
            self.skip_depth += 1
            return
        if tag == "title":
            self.in_title = True
        if self.skip_depth:
            return
        if tag == "br":
            self._newline(blank=False)
        elif tag in _BLOCK_TAGS:
            self._newline()
        values = dict(attrs)
        extra = [values.get("alt"), values.get("title")]
        if tag == "input" and (values.get("type") or "").lower() in ("submit", "button"):
            extra.append(values.get("value"))
        extra_text = [" ".join(v.split()) for v in extra if v and v.strip()]
        if extra_text:
            self._newline()
            self.parts.append("\n\n".join(extra_text))
            self._newline()

    def handle_startendtag(self, tag, attrs) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag) -> None:
        if tag in _SKIP_TAGS and tag != "head":
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag == "title":
            self.in_title = False
        if self.skip_depth:
            return
        if tag in _CELL_TAGS:
            self.parts.append(CELL_SEPARATOR)
        elif tag in _BLOCK_TAGS and tag != "br":
            self._newline()

    def handle_data(self, data) -> None:
        if self.skip_depth:
            return
        text = " ".join(data.split())
        if not text:
            if data and self.parts and not self.parts[-1].endswith((" ", "\n", CELL_SEPARATOR)):
                self.parts.append(" ")
            return
        if data[:1].isspace() and self.parts and not self.parts[-1].endswith((" ", "\n", CELL_SEPARATOR)):
            self.parts.append(" ")
        self.parts.append(text)
        if data[-1:].isspace():
            self.parts.append(" ")


def html_to_text(markup: str) -> str:
    """The visible text of an HTML document: blocks (paragraphs, headings, list items, table
    rows) separated by a blank line, `<br>` line breaks kept, table cells separated by a tab."""
    parser = _VisibleText()
    parser.feed(markup)
    parser.close()
    lines: list[str] = []
    for line in "".join(parser.parts).split("\n"):
        cells = [" ".join(cell.split()) for cell in line.split(CELL_SEPARATOR)]
        joined = CELL_SEPARATOR.join(c for c in cells if c)
        if joined or (lines and lines[-1]):
            lines.append(joined)
    return "\n".join(lines).strip("\n")


# -- extractors: bytes -> (text, encoding, page offsets) ----------------------------------------


def _extract_text(data: bytes, name: str) -> tuple[str, str | None, list[int]]:
    text, encoding = _decode(data, name)
    return text, encoding, []


def _extract_html(data: bytes, name: str) -> tuple[str, str | None, list[int]]:
    text, encoding = _decode(data, name)
    return html_to_text(text), encoding, []


def _extract_delimited(data: bytes, name: str) -> tuple[str, str | None, list[int]]:
    text, encoding = _decode(data, name)
    delimiter = "\t" if _suffix(name) == ".tsv" else ","
    if delimiter == ",":
        try:
            delimiter = csv.Sniffer().sniff(text[:20_000], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    rows = [[" ".join(cell.split()) for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    return _table_text(rows), encoding, []


_COLUMN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


def _table_text(rows: list[list[str]]) -> str:
    """Rows of cells as text: cells separated by a tab, rows by a blank line. A first row of
    column names (`id`, `text`, `listing_id`) is a header, not ad copy, and is left out."""
    rows = [[c for c in row if c] for row in rows]
    rows = [row for row in rows if row]
    if len(rows) > 1 and all(_COLUMN_NAME.fullmatch(c) for c in rows[0]):
        rows = rows[1:]
    return BLOCK_SEPARATOR.join(CELL_SEPARATOR.join(row) for row in rows)


def _json_strings(value, out: list[str]) -> None:
    if isinstance(value, str):
        cleaned = " ".join(value.split())
        if cleaned:
            out.append(cleaned)
    elif isinstance(value, dict):
        for item in value.values():
            _json_strings(item, out)
    elif isinstance(value, list):
        for item in value:
            _json_strings(item, out)


def _extract_json(data: bytes, name: str) -> tuple[str, str | None, list[int]]:
    text, encoding = _decode(data, name)
    strings: list[str] = []
    if _suffix(name) == ".jsonl":
        try:
            for _, value in json_lines(text):
                line_strings: list[str] = []
                _json_strings(value, line_strings)
                if line_strings:
                    strings.append(CELL_SEPARATOR.join(line_strings))
        except JsonLineError as exc:
            raise NotRead(str(exc)) from None
    else:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise NotRead(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
        _json_strings(value, strings)
    return BLOCK_SEPARATOR.join(strings), encoding, []


def _extract_pdf(data: bytes, name: str) -> tuple[str, str | None, list[int]]:
    try:
        import pypdf
    except ImportError:
        raise NotRead(f"PDF needs the 'documents' extra ({EXTRA_HINT})", needs_extra=True) from None
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:  # pypdf raises several types for unsupported encryption
                opened = 0
            if not opened:
                raise NotRead("encrypted PDF (password protected)")
        texts = []
        for page in reader.pages:
            texts.append(page.extract_text() or "")
    except NotRead:
        raise
    except Exception as exc:  # a corrupt PDF can fail anywhere inside the parser
        raise NotRead(f"corrupt or unreadable PDF ({type(exc).__name__}: {str(exc)[:120]})") from None
    parts, offsets, position = [], [], 0
    for page_text in texts:
        cleaned = page_text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
        offsets.append(position)
        parts.append(cleaned)
        position += len(cleaned) + 2  # pages are joined by a blank line
    return "\n\n".join(parts), None, offsets


def _extract_docx(data: bytes, name: str) -> tuple[str, str | None, list[int]]:
    try:
        import docx
    except ImportError:
        raise NotRead(f"Word file needs the 'documents' extra ({EXTRA_HINT})", needs_extra=True) from None
    try:
        document = docx.Document(io.BytesIO(data))
        lines = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                cells = []
                for cell in row.cells:
                    value = " ".join(cell.text.split())
                    if value and (not cells or cells[-1] != value):  # merged cells repeat
                        cells.append(value)
                lines.append(CELL_SEPARATOR.join(cells))
        for section in document.sections:
            for part in (section.header, section.footer):
                lines.extend(p.text for p in part.paragraphs)
    except Exception as exc:  # zip, XML or schema errors from a corrupt file
        raise NotRead(f"corrupt or unreadable Word file ({type(exc).__name__}: {str(exc)[:120]})") from None
    text = BLOCK_SEPARATOR.join(line for line in (ln.strip() for ln in lines) if line)
    return text, None, []


def _extract_xlsx(data: bytes, name: str) -> tuple[str, str | None, list[int]]:
    try:
        import openpyxl
    except ImportError:
        raise NotRead(f"spreadsheet needs the 'documents' extra ({EXTRA_HINT})", needs_extra=True) from None
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheets = []
        try:
            for sheet in book.worksheets:
                rows = [[" ".join(str(v).split()) for v in row if v is not None] for row in sheet.iter_rows(values_only=True)]
                sheets.append(_table_text(rows))
        finally:
            book.close()
    except Exception as exc:
        raise NotRead(f"corrupt or unreadable spreadsheet ({type(exc).__name__}: {str(exc)[:120]})") from None
    return BLOCK_SEPARATOR.join(s for s in sheets if s), None, []


EXTRACTORS = {
    **dict.fromkeys(TEXT_SUFFIXES, _extract_text),
    **dict.fromkeys(HTML_SUFFIXES, _extract_html),
    **dict.fromkeys(TABLE_SUFFIXES, _extract_delimited),
    **dict.fromkeys(JSON_SUFFIXES, _extract_json),
    ".pdf": _extract_pdf,
    ".docx": _extract_docx,
    ".xlsx": _extract_xlsx,
}
