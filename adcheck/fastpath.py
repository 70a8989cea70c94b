"""The compiled scoring path: prepares lookup tables and calls adcheck._fastscore.

The C kernel computes exactly the feature rule of `adcheck.features` (tests hold it equal to the
NumPy path and to the plain-Python reference). When the kernel was not built, `available()` is
False and scoring uses the NumPy path.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from adcheck.explain import CLAUSE_ENDS, MAX_PHRASE_WORDS, MIN_PHRASE_CONTRIBUTION
from adcheck.features import WB_TOKENS, class_table
from adcheck.normalize import _MAPPING, CodepointTable, texts_to_codepoints

try:
    from adcheck import _fastscore
except ImportError:  # no compiler at install time: the NumPy path is used
    _fastscore = None

def _kind(char: str) -> int:
    if char.isspace():
        return 1
    return 2 if char in CLAUSE_ENDS else 0


_CHAR_KIND = CodepointTable(_kind)
# The kernel rewrites digit runs to "0" after mapping characters, so the digits (and the rest of
# ASCII) must be classified before any text is scored, not only once they appear in the input.
for _table in _MAPPING.classifiers:
    _table(np.arange(128, dtype=np.uint32))


def available() -> bool:
    return _fastscore is not None


def _unknown(codepoints: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Code points of the batch missing from a lookup table (found by the kernel in one pass)."""
    out = np.empty(65536, dtype=np.int64)
    count = _fastscore.find_unknown(codepoints, known.view(np.uint8), out)
    if count < len(out):
        return codepoints[out[:count]]
    return codepoints[~known[codepoints]]


def _prepare_kinds(codepoints: np.ndarray) -> None:
    """Make sure every code point of the batch is in the explanation's character-kind table."""
    missing = _unknown(codepoints, _CHAR_KIND._known)
    if len(missing):
        _CHAR_KIND(missing)


def _prepare(codepoints: np.ndarray) -> None:
    """Make sure every code point of the batch, and the characters it maps to (classified before
    they are published), is in the tables."""
    _MAPPING.add(codepoints)  # the mapping classifies new outputs in every class table first


class PhraseSpans(Sequence):
    """The kernel's evidence phrases: item i is text i's list of (start, end, value), strongest first.

    Kept as the kernel's arrays and cut per text only when asked (converted to flat lists once):
    building a list of tuples per text cost more than the kernel's own explanation work. `format`
    has the kernel write the batch output's evidence strings straight from the arrays.
    """

    def __init__(self, start: np.ndarray, end: np.ndarray, value: np.ndarray, count: np.ndarray, k: int) -> None:
        self.start, self.end, self.value, self.count, self.k = start, end, value, count, k
        self._lists: tuple[list, list, list, list] | None = None

    def __len__(self) -> int:
        return len(self.count)

    def _flat(self) -> tuple[list, list, list, list]:
        if self._lists is None:
            self._lists = (self.start.ravel().tolist(), self.end.ravel().tolist(), self.value.ravel().tolist(), self.count.tolist())
        return self._lists

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("phrase index out of range")
        starts, ends, values, counts = self._flat()
        base = i * self.k
        end = base + counts[i]
        return list(zip(starts[base:end], ends[base:end], values[base:end]))

    def format(self, texts: list[str]) -> list[str]:
        """Per text: "phrase [start:end] +contribution | ..." (contributions rounded to 6 places, shown
        to 3), written by the kernel (equal to the Python f-string; tests compare them)."""
        return _fastscore.format_phrases(list(texts), self.start, self.end, self.value, self.count, self.k)


class CompiledScorer:
    """Decision values of several linear heads over a vocabulary, computed by the C kernel."""

    def __init__(self, vocabulary, weights: np.ndarray) -> None:
        self.vocabulary = vocabulary
        self.n_heads = int(weights.shape[0])
        # one record per column, [idf, weight of head 0, head 1, ...], so a column is one memory read;
        # float32 holds the parameters exactly (training rounds them), in half the memory
        columns = np.column_stack([vocabulary.idf, np.asarray(weights, dtype=np.float64).T])
        self.columns = np.ascontiguousarray(columns.astype(np.float32))
        self.exact = bool(np.array_equal(self.columns.astype(np.float64), columns))
        # the risk head alone: 8 bytes a column, small enough to stay in the CPU cache
        self.risk_columns = np.ascontiguousarray(self.columns[:, :2])
        self.families = np.ascontiguousarray(vocabulary.families, dtype=np.uint8)
        index = vocabulary.index
        pairs = np.empty((index.size, 2), dtype=np.uint64)
        pairs[:, 0] = index.keys
        pairs[:, 1] = np.where(index.values < 0, np.iinfo(np.uint64).max, index.values.astype(np.uint64))
        self.pairs = pairs
        self.shift = int(index.shift)
        # a one-bit-per-slot filter small enough for the CPU cache: most n-grams of new text are
        # not in the vocabulary, and the filter says so without touching the table
        bits = 1 << max(10, int(np.ceil(np.log2(max(len(vocabulary.hashes), 1) * 16))))
        positions = vocabulary.hashes & np.uint64(bits - 1)
        filter_bits = np.zeros(bits, dtype=bool)
        filter_bits[positions.astype(np.int64)] = True
        self.filter = np.packbits(filter_bits, bitorder="little").view(np.uint64)

    def decisions(self, texts: list[str], explain: int = 0, risk_only: bool = False) -> tuple[np.ndarray, list | None]:
        """Per text and head, the decision value without intercept; with `explain` > 0, also the
        `explain` strongest evidence phrases of each text as (start, end, value) lists. With
        `risk_only`, only the first head (the risk) is computed."""
        codepoints, starts = texts_to_codepoints(texts)
        if explain > 0:
            _prepare_kinds(codepoints)
        n_heads = 1 if risk_only else self.n_heads
        columns = self.risk_columns if risk_only else self.columns
        spec = self.vocabulary.spec
        for attempt in range(1, 6):
            decision = np.zeros((len(texts), n_heads), dtype=np.float64)
            chars = np.zeros(len(codepoints), dtype=np.float64) if explain > 0 else None
            # the kernel reports code points the tables do not hold yet; they are filled and it reruns
            unknown = _fastscore.score_batch(
                codepoints, starts, _MAPPING.known.view(np.uint8), _MAPPING.length, _MAPPING.first, _MAPPING.flat,
                class_table(spec)._values, self.pairs, self.shift, self.filter, columns, self.families, n_heads,
                spec.word_ngram_max, spec.char_ngram_min, spec.char_ngram_max, spec.wb_ngram_min, spec.wb_ngram_max,
                WB_TOKENS.index(spec.wb_tokens), spec.body_ngram_max,
                decision, chars,
            )
            if not unknown:
                break
            if attempt == 5:
                raise RuntimeError("adcheck kernel: code points still missing from the tables after filling them")
            _prepare(codepoints)
        if not explain:
            return decision, None
        k = explain
        out_start = np.zeros((len(texts), k), dtype=np.int64)
        out_end = np.zeros((len(texts), k), dtype=np.int64)
        out_value = np.zeros((len(texts), k), dtype=np.float64)
        out_count = np.zeros(len(texts), dtype=np.int64)
        _fastscore.top_phrases(
            codepoints, starts, chars, _CHAR_KIND._values, k, MIN_PHRASE_CONTRIBUTION, MAX_PHRASE_WORDS,
            out_start, out_end, out_value, out_count,
        )
        return decision, PhraseSpans(out_start, out_end, out_value, out_count, k)
