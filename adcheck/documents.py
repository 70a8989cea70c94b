"""Documents: find every file in a seized set (folders, zip/tar archives, e-mail attachments) and
extract its visible text, recording the chain of custody (path, size, sha256, encoding).

Every file becomes a `Document`: either read (with text, and page offsets for PDFs) or not read
with the reason. Nothing is skipped silently and one bad file never stops the others. Archives are
read in memory with limits on member size, total size and nesting depth; nothing is extracted to
disk, so member names with '..' or absolute paths are only ever labels.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import tarfile
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from adcheck.digest import file_sha256
from adcheck.errors import InputDataError
from adcheck.extract import BLOCK_SEPARATOR, EXTRACTORS, NotRead, _decode, _suffix, html_to_text

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz")

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


def is_archive(name: str) -> bool:
    return _suffix(name) in ARCHIVE_SUFFIXES


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
        if suffix in ARCHIVE_SUFFIXES or suffix == ".eml" or suffix in EXTRACTORS:
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
        extractor = EXTRACTORS.get(suffix)
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
