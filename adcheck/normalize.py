"""Text normalisation: the one rule, shared by training, scoring and explanation.

Each character of the original text is mapped on its own (so every normalised character points
back to exactly one original character):

- whitespace of any kind becomes one ASCII space; control and format characters (zero-width
  spaces, joiners, soft hyphens, BOMs) are dropped, so they cannot hide a word;
- everything else is NFKC-normalised and lower-cased (full-width "ＮＯ．１" reads "no.1",
  circled "①" reads "1");
- runs of spaces collapse to one and the text is stripped;
- every run of ASCII digits becomes zeros of the same length ("39,900원" -> "00,000원",
  "3개 남음" -> "0개 남음") except the runs "1" and "100", which carry claims of their own
  ("1위", "1+1", "100% 효과").

`normalize_text` is the readable reference; `normalize_batch` computes the same thing for many
texts at once with NumPy, and the tests hold the two equal.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_SPACE = 32
_ZERO, _ONE, _NINE = 48, 49, 57
_KEPT_NUMBERS = ("1", "100")


def _map_char(char: str) -> str:
    if char.isspace():
        return " "
    category = unicodedata.category(char)
    if category in ("Cc", "Cf", "Cs"):
        return ""
    mapped = unicodedata.normalize("NFKC", char).lower()
    return "".join(" " if c.isspace() else c for c in mapped)


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """Normalise one text; also return, for each output character, its index in `text`."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        for out in _map_char(char):
            if out == " " and (not chars or chars[-1] == " "):
                continue
            chars.append(out)
            offsets.append(index)
    if chars and chars[-1] == " ":
        chars.pop()
        offsets.pop()
    position = 0
    while position < len(chars):
        if "0" <= chars[position] <= "9":
            end = position
            while end < len(chars) and "0" <= chars[end] <= "9":
                end += 1
            if "".join(chars[position:end]) not in _KEPT_NUMBERS:
                chars[position:end] = ["0"] * (end - position)
            position = end
        else:
            position += 1
    return "".join(chars), offsets


def normalize_text(text: str) -> str:
    """Normalise one text (see the module docstring for the rule)."""
    return normalize_with_offsets(text)[0]


class CodepointTable:
    """A lazily filled lookup table from code point to a small integer class."""

    def __init__(self, classify, dtype=np.uint8) -> None:
        self._classify = classify
        self._values = np.zeros(0x110000, dtype=dtype)
        self._known = np.zeros(0x110000, dtype=bool)

    def __call__(self, codepoints: np.ndarray) -> np.ndarray:
        missing = ~self._known[codepoints]
        if missing.any():
            for cp in np.unique(codepoints[missing]).tolist():
                self._values[cp] = self._classify(chr(cp))
                self._known[cp] = True
        return self._values[codepoints]


class _CharMapping:
    """Per code point: how many characters it becomes and which ones (flat storage).

    Filled lazily and shared by threads: new entries are written under a lock and published in an
    order that lets a concurrent reader (the C kernel holds its own reference to `flat`) see either
    nothing or a complete entry: `flat` first, then length and position, then `known`.
    """

    def __init__(self) -> None:
        self.length = np.zeros(0x110000, dtype=np.int64)
        self.first = np.zeros(0x110000, dtype=np.int64)  # index into self.flat
        self.known = np.zeros(0x110000, dtype=bool)
        self.flat = np.zeros(0, dtype=np.uint32)
        self._lock = threading.Lock()
        # tables (CodepointTable) that must know every character an entry maps to before the entry
        # is published: the C kernel reads them for any published entry's output, whichever code
        # path (NumPy or kernel) added the entry
        self.classifiers: list[CodepointTable] = []

    def add(self, codepoints: np.ndarray) -> None:
        """Add the code points not yet known; their output characters are classified in every
        registered table before anything is published."""
        if not len(codepoints) or self.known[codepoints].all():
            return
        with self._lock:
            missing = np.unique(codepoints[~self.known[codepoints]])
            if not len(missing):
                return
            base = len(self.flat)
            extra: list[int] = []
            lengths: list[int] = []
            firsts: list[int] = []
            for cp in missing.tolist():
                mapped = [ord(c) for c in _map_char(chr(cp))]
                firsts.append(base + len(extra))
                lengths.append(len(mapped))
                extra.extend(mapped)
            flat = np.concatenate([self.flat, np.asarray(extra, dtype=np.uint32)])
            if len(extra):
                for table in self.classifiers:
                    table(flat[base:])
            self.flat = flat
            self.length[missing] = lengths
            self.first[missing] = firsts
            self.known[missing] = True

    def lookup(self, codepoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.add(codepoints)
        return self.length[codepoints], self.first[codepoints]


_MAPPING = _CharMapping()


@dataclass
class NormalizedBatch:
    """Normalised texts as one code-point array, with document bounds and back-pointers."""

    codepoints: np.ndarray  # uint32, all documents concatenated
    doc_starts: np.ndarray  # int64, len n_docs + 1
    original_index: np.ndarray  # int64, per output char: index within its own original text

    @property
    def n_docs(self) -> int:
        return len(self.doc_starts) - 1

    def doc_ids(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_docs), np.diff(self.doc_starts))

    def text(self, doc: int) -> str:
        part = self.codepoints[self.doc_starts[doc] : self.doc_starts[doc + 1]]
        return part.astype("<u4").tobytes().decode("utf-32-le")


def texts_to_codepoints(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate texts into a uint32 code-point array and return it with document starts."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    joined = "".join(texts).encode("utf-32-le", "surrogatepass")
    return np.frombuffer(joined, dtype="<u4"), starts  # read-only, no copy


def _drop(mask_keep: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
    return [a[mask_keep] for a in arrays]


def normalize_batch(texts: Sequence[str]) -> NormalizedBatch:
    """Normalise many texts at once; equal, text by text, to `normalize_with_offsets`."""
    codepoints, input_starts = texts_to_codepoints(texts)
    n_docs = len(texts)
    input_doc = np.repeat(np.arange(n_docs), np.diff(input_starts))
    lengths, firsts = _MAPPING.lookup(codepoints)
    total = int(lengths.sum())
    source = np.repeat(np.arange(len(codepoints)), lengths)
    out_starts = np.cumsum(lengths) - lengths
    within = np.arange(total) - np.repeat(out_starts, lengths)
    out = _MAPPING.flat[np.repeat(firsts, lengths) + within] if total else np.zeros(0, np.uint32)
    doc = input_doc[source]
    original = source - input_starts[doc]

    # collapse spaces: drop a space at a document start or after another space
    is_space = out == _SPACE
    prev_space = np.empty_like(is_space)
    if len(out):
        prev_space[0] = True
        prev_space[1:] = is_space[:-1] | (doc[1:] != doc[:-1])
    keep = ~(is_space & prev_space)
    out, doc, original = _drop(keep, out, doc, original)
    # drop a space at a document end
    if len(out):
        last = np.ones(len(out), dtype=bool)
        last[:-1] = doc[1:] != doc[:-1]
        keep = ~((out == _SPACE) & last)
        out, doc, original = _drop(keep, out, doc, original)

    out = out.copy()
    is_digit = (out >= _ZERO) & (out <= _NINE)
    if is_digit.any():
        run_start = is_digit.copy()
        run_start[1:] &= ~(is_digit[:-1] & (doc[1:] == doc[:-1]))
        starts = np.flatnonzero(run_start)
        run_end = is_digit.copy()
        run_end[:-1] &= ~(is_digit[1:] & (doc[1:] == doc[:-1]))
        ends = np.flatnonzero(run_end) + 1
        run_len = ends - starts
        kept = (run_len == 1) & (out[starts] == _ONE)
        three = np.flatnonzero(run_len == 3)
        s3 = starts[three]
        kept[three] = (out[s3] == _ONE) & (out[s3 + 1] == _ZERO) & (out[s3 + 2] == _ZERO)
        run_id = np.cumsum(run_start) - 1
        zero_it = is_digit & ~kept[np.maximum(run_id, 0)]
        out[zero_it] = _ZERO

    doc_starts = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(doc, minlength=n_docs), out=doc_starts[1:])
    return NormalizedBatch(out.astype(np.uint32), doc_starts, original.astype(np.int64))
