"""Documents: find every file in a seized set (folders, zip/tar archives, e-mail attachments) and
extract its visible text, recording the chain of custody (path, size, sha256, encoding).

Every file becomes a `Document`: either read (with text, and page offsets for PDFs) or not read
with the reason. Nothing is skipped silently and one bad file never stops the others. Archives are
read in memory with limits on member size, total size and nesting depth; nothing is extracted to
disk, so member names with '..' or absolute paths are only ever labels.
"""

from __future__ import annotations

import csv
import email
import email.policy
import hashlib
import io
import json
import re
import tarfile
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from adcheck.digest import file_sha256
from adcheck.errors import InputDataError
from adcheck.readers import decode_bytes

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
TABLE_SUFFIXES = (".csv", ".tsv")
JSON_SUFFIXES = (".jsonl", ".json")
DOCUMENT_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + TABLE_SUFFIXES + JSON_SUFFIXES + (".pdf", ".docx", ".eml", ".xlsx")
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz")
EXTRA_HINT = "pip install 'adcheck[documents]'"
CELL_SEPARATOR = "\t"  # between the cells of a table row in extracted text (claims split there)
BLOCK_SEPARATOR = "\n\n"  # between paragraphs, rows and parts: a blank line, so short blocks never join as a banner

STATUS_READ = "read"
STATUS_NOT_READ = "not_read"


@dataclass(frozen=True)
class Limits:
    """Resource limits for hostile input; a file over a limit is listed as not read."""

    max_file_bytes: int = 50 << 20  # one document (on disk or in an archive), uncompressed
    max_archive_bytes: int = 500 << 20  # all members of one archive together, uncompressed
    max_depth: int = 3  # archives (and e-mails) inside archives
    max_members: int = 10_000  # members of one archive
    max_text_chars: int = 5_000_000  # extracted text of one document

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Document:
    """One file of the seized set and its extracted text.

    `path` is the file's path within the seized set; for archive members and e-mail
    attachments it reads `outer!/member` and `member` is the path inside the innermost
    container. `page_offsets` holds the start offset of each page in `text` (PDFs only).
    """

    path: str
    kind: str
    size: int
    sha256: str
    member: str | None = None
    container: str | None = None
    encoding: str | None = None
    text: str = ""
    page_offsets: list[int] = field(default_factory=list)
    status: str = STATUS_READ
    reason: str = ""
    needs_extra: bool = False

    @property
    def read(self) -> bool:
        return self.status == STATUS_READ

    def info(self) -> dict:
        """The chain-of-custody fields (everything but the text)."""
        return {
            "path": self.path,
            "member": self.member,
            "container": self.container,
            "kind": self.kind,
            "size": self.size,
            "sha256": self.sha256,
            "encoding": self.encoding,
            "pages": len(self.page_offsets) or None,
            "chars": len(self.text),
            "status": self.status,
            "reason": self.reason,
            "needs_extra": self.needs_extra,
        }


@dataclass(frozen=True)
class InputFile:
    """A file as found on disk (documents and archives alike), for the chain of custody."""

    path: str
    size: int
    sha256: str

    def to_dict(self) -> dict:
        return asdict(self)


class NotRead(Exception):
    """A file cannot be read; the message is the reason shown in the report."""

    def __init__(self, reason: str, needs_extra: bool = False) -> None:
        super().__init__(reason)
        self.needs_extra = needs_extra


def _suffix(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith(".tar.gz"):
        return ".tar.gz"
    dot = lowered.rfind(".")
    slash = max(lowered.rfind("/"), lowered.rfind("\\"))
    return lowered[dot:] if dot > slash + 1 else ""


def is_archive(name: str) -> bool:
    return _suffix(name) in ARCHIVE_SUFFIXES


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
        for number, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise NotRead(f"line {number} is not valid JSON ({exc.msg})") from None
            line_strings: list[str] = []
            _json_strings(value, line_strings)
            if line_strings:
                strings.append(CELL_SEPARATOR.join(line_strings))
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


_EXTRACTORS = {
    **dict.fromkeys(TEXT_SUFFIXES, _extract_text),
    **dict.fromkeys(HTML_SUFFIXES, _extract_html),
    **dict.fromkeys(TABLE_SUFFIXES, _extract_delimited),
    **dict.fromkeys(JSON_SUFFIXES, _extract_json),
    ".pdf": _extract_pdf,
    ".docx": _extract_docx,
    ".xlsx": _extract_xlsx,
}


# -- discovery ---------------------------------------------------------------------------------


class _Walker:
    """Turns files, archive members and e-mail parts into Documents, under the limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.documents: list[Document] = []
        self.inputs: list[InputFile] = []

    def _not_read(self, path, kind, size, sha, reason, member=None, container=None, needs_extra=False) -> None:
        self.documents.append(
            Document(path, kind, size, sha, member=member, container=container, status=STATUS_NOT_READ, reason=reason, needs_extra=needs_extra)
        )

    def disk_file(self, path: Path, display: str) -> None:
        try:
            size = path.stat().st_size
            sha = file_sha256(path)
        except OSError as exc:
            self.inputs.append(InputFile(display, -1, ""))
            self._not_read(display, _suffix(display).lstrip(".") or "unknown", -1, "", f"cannot open the file ({exc.strerror or exc})")
            return
        self.inputs.append(InputFile(display, size, sha))
        suffix = _suffix(path.name)
        if suffix in ARCHIVE_SUFFIXES or suffix == ".eml" or suffix in _EXTRACTORS:
            limit = self.limits.max_archive_bytes if suffix in ARCHIVE_SUFFIXES else self.limits.max_file_bytes
            if size > limit:
                self._not_read(display, suffix.lstrip("."), size, sha, f"{size:,} bytes, over the size limit of {limit:,} bytes")
                return
            try:
                data = path.read_bytes()
            except OSError as exc:
                self._not_read(display, suffix.lstrip("."), size, sha, f"cannot read the file ({exc.strerror or exc})")
                return
            self.blob(data, display, None, None, depth=0, sha=sha)
            return
        self.blob(b"", display, None, None, depth=0, sha=sha, size=size)

    def blob(self, data: bytes, display: str, member: str | None, container: str | None, depth: int,
             sha: str | None = None, size: int | None = None) -> None:
        """One file's bytes (from disk, an archive or an e-mail)."""
        size = len(data) if size is None else size
        sha = sha or _sha256(data)
        name = member or display
        suffix = _suffix(name)
        kind = suffix.lstrip(".") or "unknown"
        if suffix in ARCHIVE_SUFFIXES:
            self.archive(data, display, member, container, depth, sha)
            return
        if suffix == ".eml":
            if size == 0:
                self._not_read(display, kind, size, sha, "empty file (0 bytes)", member, container)
                return
            self.email(data, display, member, container, depth, sha)
            return
        extractor = _EXTRACTORS.get(suffix)
        if extractor is None:
            reason = f"unsupported file type '{suffix}'" if suffix else "unsupported file type (no extension)"
            self._not_read(display, kind, size, sha, reason, member, container)
            return
        if size == 0:
            self._not_read(display, kind, size, sha, "empty file (0 bytes)", member, container)
            return
        if size > self.limits.max_file_bytes:
            self._not_read(display, kind, size, sha, f"{size:,} bytes, over the size limit of {self.limits.max_file_bytes:,} bytes", member, container)
            return
        try:
            with warnings.catch_warnings():  # parsers warn about malformed input; the outcome is reported instead
                warnings.simplefilter("ignore")
                text, encoding, pages = extractor(data, name)
        except NotRead as exc:
            self._not_read(display, kind, size, sha, str(exc), member, container, exc.needs_extra)
            return
        except Exception as exc:  # an unexpected parser failure on hostile input stays with this file
            self._not_read(display, kind, size, sha, f"could not extract text ({type(exc).__name__}: {str(exc)[:120]})", member, container)
            return
        self._add_text(display, kind, size, sha, member, container, text, encoding, pages)

    def _add_text(self, display, kind, size, sha, member, container, text, encoding, pages) -> None:
        if len(text) > self.limits.max_text_chars:
            self._not_read(display, kind, size, sha, f"{len(text):,} characters of text, over the limit of {self.limits.max_text_chars:,}", member, container)
            return
        if not text.strip():
            self._not_read(display, kind, size, sha, "no text found (e.g. a scanned PDF without a text layer, or an empty page)", member, container)
            return
        self.documents.append(Document(display, kind, size, sha, member=member, container=container, encoding=encoding, text=text, page_offsets=pages))

    def archive(self, data: bytes, display: str, member: str | None, container: str | None, depth: int, sha: str) -> None:
        kind = _suffix(member or display).lstrip(".")
        if depth >= self.limits.max_depth:
            self._not_read(display, kind, len(data), sha, f"archive nested more than {self.limits.max_depth} levels deep", member, container)
            return
        try:
            members = list(self._members(data, display))
        except NotRead as exc:
            self._not_read(display, kind, len(data), sha, str(exc), member, container)
            return
        budget = self.limits.max_archive_bytes
        for inner, declared, read_member in members:
            inner_display = f"{display}!/{inner}"
            if declared > self.limits.max_file_bytes:
                self._not_read(inner_display, _suffix(inner).lstrip(".") or "unknown", declared, "",
                               f"{declared:,} bytes uncompressed, over the member limit of {self.limits.max_file_bytes:,} bytes (not extracted)", inner, display)
                continue
            if declared > budget:
                self._not_read(inner_display, _suffix(inner).lstrip(".") or "unknown", declared, "",
                               f"archive total over the limit of {self.limits.max_archive_bytes:,} bytes uncompressed (possible zip bomb; not extracted)", inner, display)
                continue
            try:
                content = read_member(min(budget, self.limits.max_file_bytes) + 1)
            except NotRead as exc:
                self._not_read(inner_display, _suffix(inner).lstrip(".") or "unknown", declared, "", str(exc), inner, display)
                continue
            if len(content) > min(budget, self.limits.max_file_bytes):
                self._not_read(inner_display, _suffix(inner).lstrip(".") or "unknown", declared, "",
                               "uncompressed size exceeds the limits (size in the archive header is false; possible zip bomb; not extracted)", inner, display)
                budget = 0
                continue
            budget -= len(content)
            self.blob(content, inner_display, inner, display, depth + 1)

    def _members(self, data: bytes, display: str) -> Iterator[tuple[str, int, object]]:
        """(member name, declared size, read(limit) -> bytes) of each file member, sorted by name."""
        limit = self.limits.max_members
        if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06" or _suffix(display) == ".zip":
            try:
                archive = zipfile.ZipFile(io.BytesIO(data))
                infos = [i for i in archive.infolist() if not i.is_dir()]
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                raise NotRead(f"not a readable zip archive ({exc})") from None
            if len(infos) > limit:
                raise NotRead(f"{len(infos):,} members, over the limit of {limit:,}")

            def read_zip(info, cap):
                if info.flag_bits & 0x1:
                    raise NotRead("encrypted archive member (password protected)")
                try:
                    with archive.open(info) as handle:
                        return handle.read(cap)
                except (zipfile.BadZipFile, NotImplementedError, OSError, ValueError, EOFError, RuntimeError) as exc:
                    raise NotRead(f"corrupt archive member ({type(exc).__name__}: {str(exc)[:120]})") from None

            for info in sorted(infos, key=lambda i: i.filename):
                yield info.filename, info.file_size, (lambda cap, i=info: read_zip(i, cap))
            return
        try:
            archive_tar = tarfile.open(fileobj=io.BytesIO(data))
            members = archive_tar.getmembers()
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise NotRead(f"not a readable tar archive ({exc})") from None
        files = [m for m in members if m.isfile()]
        if len(files) > limit:
            raise NotRead(f"{len(files):,} members, over the limit of {limit:,}")
        for skipped in sorted((m for m in members if not m.isfile() and not m.isdir()), key=lambda m: m.name):
            self._not_read(f"{display}!/{skipped.name}", "link", 0, "", "link or special file in the archive (not followed)", skipped.name, display)

        def read_tar(info, cap):
            try:
                handle = archive_tar.extractfile(info)
                return handle.read(cap) if handle is not None else b""
            except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
                raise NotRead(f"corrupt archive member ({type(exc).__name__}: {str(exc)[:120]})") from None

        for info in sorted(files, key=lambda m: m.name):
            yield info.name, info.size, (lambda cap, i=info: read_tar(i, cap))

    def email(self, data: bytes, display: str, member: str | None, container: str | None, depth: int, sha: str) -> None:
        """An e-mail: its headers and text/HTML body parts are one document; attachments are
        documents of their own (`mail.eml!/attachment-name`)."""
        kind = "eml"
        try:
            message = email.message_from_bytes(data, policy=email.policy.default)
        except Exception as exc:
            self._not_read(display, kind, len(data), sha, f"unreadable e-mail ({type(exc).__name__})", member, container)
            return
        lines: list[str] = []
        for header in ("Subject",):
            try:
                value = message.get(header)
            except Exception:  # malformed header
                value = None
            if value:
                lines.append(" ".join(str(value).split()))
        encodings: list[str] = []
        attachments: list[tuple[str, bytes]] = []
        for number, part in enumerate(message.walk(), 1):
            if part.is_multipart():
                continue
            try:
                filename = part.get_filename()
                disposition = part.get_content_disposition()
                payload = part.get_payload(decode=True) or b""
            except Exception:
                lines.append(f"[part {number}: unreadable]")
                continue
            ctype = part.get_content_type()
            if filename or disposition == "attachment" or ctype not in ("text/plain", "text/html"):
                if not filename:
                    filename = f"part-{number}{'.html' if ctype == 'text/html' else '.txt' if ctype.startswith('text/') else '.bin'}"
                attachments.append((filename, payload))
                continue
            charset = part.get_content_charset()
            text = None
            if charset:
                try:
                    text = payload.decode(charset)
                    encodings.append(charset.lower())
                except (LookupError, UnicodeDecodeError):
                    text = None
            if text is None:
                try:
                    text, used = _decode(payload, display)
                    encodings.append(used)
                except NotRead:
                    lines.append(f"[part {number}: undecodable text]")
                    continue
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            lines.append(html_to_text(text) if ctype == "text/html" else text.strip())
        encoding = ",".join(dict.fromkeys(encodings)) or None
        self._add_text(display, kind, len(data), sha, member, container, BLOCK_SEPARATOR.join(line for line in lines if line), encoding, [])
        if depth + 1 > self.limits.max_depth:
            for filename, payload in attachments:
                self._not_read(f"{display}!/{filename}", _suffix(filename).lstrip(".") or "unknown", len(payload), _sha256(payload),
                               f"attachment nested more than {self.limits.max_depth} levels deep", filename, display)
            return
        for filename, payload in attachments:
            self.blob(payload, f"{display}!/{filename}", filename, display, depth + 1)


def _visible(path: Path, root: Path) -> bool:
    return not any(part.startswith(".") for part in path.relative_to(root).parts)


def discover(paths: list[Path | str], limits: Limits | None = None) -> tuple[list[InputFile], list[Document]]:
    """Every input file (with size and sha256) and every document found in the given files,
    folders and archives, in a stable order. Paths are shown relative to the given folder's
    parent, so the same seized set gives the same paths wherever it lies.

    Raises InputDataError only when a given path does not exist.
    """
    walker = _Walker(limits or Limits())
    for given in paths:
        root = Path(given)
        if not root.exists():
            raise InputDataError(f"{root}: no such file or folder")
    for given in paths:
        root = Path(given)
        if root.is_dir():
            base = root.resolve().name or "input"
            files = sorted((p for p in root.rglob("*") if p.is_file() and _visible(p, root)), key=lambda p: p.relative_to(root).as_posix())
            hidden = sorted((p for p in root.rglob("*") if p.is_file() and not _visible(p, root)), key=lambda p: p.as_posix())
            for path in files:
                walker.disk_file(path, f"{base}/{path.relative_to(root).as_posix()}")
            for path in hidden:
                display = f"{base}/{path.relative_to(root).as_posix()}"
                size = path.stat().st_size
                walker.inputs.append(InputFile(display, size, file_sha256(path)))
                walker._not_read(display, _suffix(display).lstrip(".") or "unknown", size, walker.inputs[-1].sha256, "hidden file (name starts with '.'); not reviewed")
        else:
            walker.disk_file(root, root.name)
    return walker.inputs, walker.documents
