"""Input discovery: files, folders and zip/tar archives, with gzip/zstd decompression, as streams.

A source is one readable table (a CSV, a JSONL, ...) found in what the user pointed at. Its name is
the path relative to that input, and archive members read `archive.zip!/dir/file.csv`.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from adcheck.digest import file_sha256
from adcheck.errors import InputDataError

TABLE_FORMATS = {
    ".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
    ".xlsx": "xlsx", ".txt": "text",
}
COMPRESSIONS = (".gz", ".zst")
ARCHIVES = (".zip", ".tar", ".tgz", ".tar.gz")
MAX_MEMBER_BYTES = 4 << 30  # an archive member larger than this (uncompressed) is refused


@dataclass
class Source:
    """One table to read: its display name, format, size and a way to open it as bytes."""

    name: str
    format: str
    size: int | None
    open: Callable[[], BinaryIO]
    compression: str | None = None
    delimiter_hint: str | None = None


def _strip_compression(name: str) -> tuple[str, str | None]:
    lowered = name.lower()
    for suffix in COMPRESSIONS:
        if lowered.endswith(suffix):
            return name[: -len(suffix)], suffix[1:]
    return name, None


def table_format(name: str) -> tuple[str | None, str | None]:
    """The table format of a file name (after any .gz/.zst) and its compression."""
    base, compression = _strip_compression(name)
    return TABLE_FORMATS.get(Path(base).suffix.lower()), compression


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVES)


class _OwnedStream(io.RawIOBase):
    """A readable stream that also closes the objects it was read through (archive, file)."""

    def __init__(self, stream, *owners) -> None:
        self._stream = stream
        self._owners = owners

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            for item in (self._stream, *self._owners):
                item.close()
        super().close()


def _decompressing(opener: Callable[[], BinaryIO], compression: str | None) -> Callable[[], BinaryIO]:
    if compression is None:
        return opener
    if compression == "gz":
        def open_gzip() -> BinaryIO:
            raw = opener()
            return _OwnedStream(gzip.GzipFile(fileobj=raw, mode="rb"), raw)  # type: ignore[return-value]
        return open_gzip
    if compression == "zst":
        def open_zstd() -> BinaryIO:
            try:
                import zstandard
            except ImportError:
                raise InputDataError("reading .zst files needs zstandard: pip install 'adcheck[batch]'") from None
            raw = opener()
            return _OwnedStream(zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True), raw)  # type: ignore[return-value]
        return open_zstd
    raise InputDataError(f"unsupported compression {compression}")


def _delimiter_hint(name: str) -> str | None:
    base, _ = _strip_compression(name)
    return "\t" if base.lower().endswith(".tsv") else None


def _member_source(display: str, name: str, size: int, opener: Callable[[], BinaryIO], skipped: list[str]) -> Source | None:
    """The Source for one archive member, or None (with the reason in `skipped`)."""
    member = f"{display}!/{name}"
    fmt, compression = table_format(name)
    if fmt is None:
        skipped.append(f"{member}: unsupported file type")
        return None
    if size > MAX_MEMBER_BYTES:
        skipped.append(f"{member}: {size:,} bytes, over the member limit")
        return None
    return Source(member, fmt, size, _decompressing(opener, compression), compression, _delimiter_hint(name))


def _archive_sources(path: Path, display: str, skipped: list[str]) -> Iterator[Source]:
    lowered = path.name.lower()
    if lowered.endswith(".zip"):
        try:
            with zipfile.ZipFile(path) as archive:
                infos = archive.infolist()
        except zipfile.BadZipFile:
            raise InputDataError(f"{display}: not a readable zip archive") from None

        def open_zip_member(name: str) -> BinaryIO:
            archive = zipfile.ZipFile(path)
            return _OwnedStream(archive.open(name), archive)  # type: ignore[return-value]

        for info in sorted(infos, key=lambda i: i.filename):
            if info.is_dir():
                continue
            source = _member_source(display, info.filename, info.file_size, lambda n=info.filename: open_zip_member(n), skipped)
            if source is not None:
                yield source
        return
    try:
        with tarfile.open(path) as archive_tar:
            members = archive_tar.getmembers()
    except tarfile.TarError:
        raise InputDataError(f"{display}: not a readable tar archive") from None

    def open_tar_member(name: str) -> BinaryIO:
        archive = tarfile.open(path)
        return _OwnedStream(archive.extractfile(name), archive)  # type: ignore[return-value]

    for info in sorted(members, key=lambda i: i.name):
        if not info.isfile():
            continue
        # one rule for zip and tar members (the tar path had no member size limit before)
        source = _member_source(display, info.name, info.size, lambda n=info.name: open_tar_member(n), skipped)
        if source is not None:
            yield source


def discover(inputs: list[Path], skipped: list[str]) -> list[Source]:
    """Every table in the given files, folders and archives, in a stable (sorted) order.

    Files that are not tables are appended to `skipped` with the reason.
    """
    sources: list[Source] = []
    for root in inputs:
        root = Path(root)
        if not root.exists():
            raise InputDataError(f"{root}: no such file or folder")
        if root.is_dir():
            files = sorted(p for p in root.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))
            pairs = [(p, str(p.relative_to(root))) for p in files]
        else:
            pairs = [(root, root.name)]
        for path, display in pairs:
            if is_archive(path.name):
                sources.extend(_archive_sources(path, display, skipped))
                continue
            fmt, compression = table_format(path.name)
            if fmt is None:
                skipped.append(f"{display}: unsupported file type")
                continue
            opener = (lambda p=path: open(p, "rb"))
            sources.append(Source(display, fmt, path.stat().st_size, _decompressing(opener, compression), compression, _delimiter_hint(path.name)))
    return sources


def fingerprint(inputs: list[Path]) -> list[dict]:
    """sha256 and size of every input file (the archives themselves, not their members)."""
    result = []
    for root in inputs:
        root = Path(root)
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            result.append({"path": str(path), "bytes": path.stat().st_size, "sha256": file_sha256(path)})
    return result


class CountingReader(io.RawIOBase):
    """Wraps a binary stream and counts the bytes read (for progress)."""

    def __init__(self, raw: BinaryIO, counter: list[int]) -> None:
        self._raw = raw
        self._counter = counter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._counter[0] += n
        return n

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()
