"""Atomic writes: an output file appears complete or not at all (temporary file, fsync, rename)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside `path`; when the block succeeds it is synced and renamed over
    `path`, when it fails it is removed and `path` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb+") as synced:
            os.fsync(synced.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)  # mkstemp creates 0600; give the file ordinary permissions
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomic(path: Path | str, content: str) -> Path:
    """Write UTF-8 text atomically."""
    with atomic_output(path) as temporary:
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
    return Path(path)


def write_json_atomic(path: Path | str, data) -> Path:
    """Write JSON (UTF-8, indented) atomically."""
    return write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
