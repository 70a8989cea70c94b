"""Features: hashed word and character n-grams with TF-IDF weights, computed over whole batches.

The feature rule (version 1):

- Text is normalised by `adcheck.normalize` first.
- Word tokens are maximal runs of word characters (letters, marks, digits, "%" and "+"); every
  other symbol (emoji, currency signs, arrows) is a token of its own. With `symbols = "currency"`
  only currency signs are; emoji, pictographs and the marks that style emoji (variation
  selectors, the keycap) are skipped like punctuation. (With "all", as models trained before the
  option read text, a variation selector is a word character.) Features: word
  1..N-grams.
- Word-boundary character n-grams (n = wb min..max) run inside each segment padded with a space on
  both sides (" 할인 "), so they see word beginnings and endings. `wb_tokens` says what a segment
  is: "word", a word token (a run of word characters, punctuation left out), or "space", a run of
  non-space characters, punctuation and symbols included ("(vat", "%)", "!!", "1+1"), as
  scikit-learn's char_wb analyzer reads text. The shipped recipe reads "space" since its corpus
  was balanced for register; training/default.toml and benchmarks/style_shortcut.py give the
  measurements, and why the family was off while the older copy's marks followed the label.
- Squeezed character n-grams (n = min..max) run over the word characters only, with spaces,
  punctuation and symbols removed, so "최 고", "f.r.e.e" and "무.료" read "최고", "free", "무료"
  and obfuscated or oddly spaced Korean still matches.
- Each n-gram is identified by a 64-bit polynomial hash of its code points (family, length and
  content mixed in), so the vocabulary is a set of integers and lookups run inside NumPy.
- Body word n-grams (n = 1..body_ngram_max; 0 turns the family off): the word n-grams that start
  after the text's first line break ("\n" in the original text), hashed again as a family of their
  own. Real ads put the claim in the first line and the terms, footnotes and small print below it,
  so the same words can weigh differently in the body ("별도", "renews at") than in the headline.
- Weights: sublinear tf (1 + log count) times smoothed idf, L2-normalised per family and row.

`reference_ngrams` computes the n-grams of one text in plain Python; `extract_occurrences`
computes them for a batch with NumPy. Tests hold the two equal, hash for hash.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from adcheck.normalize import _MAPPING, CodepointTable, normalize_batch, normalize_with_offsets

if TYPE_CHECKING:  # scipy is imported where it is used, so scoring with the C kernel never loads it
    import scipy.sparse as sp

FAMILY_WORD = 0
FAMILY_CHAR = 1  # squeezed characters
FAMILY_WB = 2  # word-boundary characters
FAMILY_BODY = 3  # word n-grams after the first line break
FAMILY_NAMES = ("word", "char", "wb", "body")
N_FAMILIES = 4
WB_TOKENS = ("word", "space")  # what the word-boundary family pads: word tokens, or non-space runs

_MASK = (1 << 64) - 1
_P = 0x9E3779B97F4A7C15  # odd, so it has an inverse modulo 2**64
_P_INV = pow(_P, -1, 1 << 64)
_LENGTH_MIX = 0xC2B2AE3D27D4EB4F
_PAIR_MIX = 0x165667B19E3779F9
_SEEDS = (0x51ED270B27A2B1D3, 0x2545F4914F6CDD1D, 0x3C6EF372FE94F82B)  # word, char, wb
_BODY_SEED = 0x6A09E667F3BCC909  # a body n-gram's hash is its word n-gram's hash mixed again with this
_PAD = 32

_CLASS_OTHER, _CLASS_WORD, _CLASS_SYMBOL = 0, 1, 2


def _classify(char: str) -> int:
    if char in "%+":
        return _CLASS_WORD
    category = unicodedata.category(char)
    if category[0] in "LMN":
        return _CLASS_WORD
    if category in ("So", "Sc"):
        return _CLASS_SYMBOL
    return _CLASS_OTHER


def _emoji_part(char: str) -> bool:
    """Variation selectors and the combining keycap: marks that only style an emoji ("❤️", "1️⃣")."""
    cp = ord(char)
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF or cp == 0x20E3


def _classify_currency_only(char: str) -> int:
    """As `_classify`, but emoji, other pictographic symbols and the marks that style emoji are
    skipped like punctuation; currency signs stay tokens."""
    kind = _classify(char)
    if kind == _CLASS_SYMBOL and unicodedata.category(char) != "Sc":
        return _CLASS_OTHER
    if kind == _CLASS_WORD and _emoji_part(char):
        return _CLASS_OTHER
    return kind


_CHAR_CLASS = CodepointTable(_classify)
_CHAR_CLASS_CURRENCY = CodepointTable(_classify_currency_only)
SYMBOLS = ("all", "currency")  # which symbol characters are word tokens of their own
_CLASSIFIERS = {"all": (_classify, _CHAR_CLASS), "currency": (_classify_currency_only, _CHAR_CLASS_CURRENCY)}
_MAPPING.classifiers.extend(table for _, table in _CLASSIFIERS.values())


def class_table(spec: FeatureSpec) -> CodepointTable:
    """The code point classes a spec tokenises with (the C kernel reads the same table)."""
    return _CLASSIFIERS[spec.symbols][1]


@dataclass(frozen=True)
class FeatureSpec:
    """Which n-grams make the features; stored with every model."""

    word_ngram_max: int = 2
    char_ngram_min: int = 1
    char_ngram_max: int = 3
    wb_ngram_min: int = 1
    wb_ngram_max: int = 0  # 0: the word-boundary family is off
    min_df: int = 3
    feature_version: int = 2
    wb_tokens: str = "word"  # "word": word tokens only; "space": runs of non-space characters
    symbols: str = "all"  # "all": emoji, pictographs and currency signs are tokens; "currency": only the last
    body_ngram_max: int = 0  # word n-grams after the first line break, as their own family; 0: off

    def validate(self) -> None:
        if not 1 <= self.word_ngram_max <= 3:
            raise ValueError("word_ngram_max must be 1..3")
        if not 1 <= self.char_ngram_min <= self.char_ngram_max <= 6:
            raise ValueError("char n-gram range must satisfy 1 <= min <= max <= 6")
        if self.wb_ngram_max and not 1 <= self.wb_ngram_min <= self.wb_ngram_max <= 6:
            raise ValueError("wb n-gram range must satisfy 1 <= min <= max <= 6 (max 0 turns the family off)")
        if self.min_df < 1:
            raise ValueError("min_df must be >= 1")
        if self.wb_tokens not in WB_TOKENS:
            raise ValueError(f"wb_tokens must be one of {', '.join(WB_TOKENS)}")
        if self.symbols not in SYMBOLS:
            raise ValueError(f"symbols must be one of {', '.join(SYMBOLS)}")
        if not 0 <= self.body_ngram_max <= self.word_ngram_max:
            raise ValueError("body_ngram_max must be 0..word_ngram_max (0 turns the body family off)")


# ----------------------------------------------------------------------------- hashing


def _fmix_int(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK
    h ^= h >> 33
    return h


def _hash_int(codepoints: Sequence[int], family: int) -> int:
    value = 0
    power = 1
    for cp in codepoints:
        value = (value + cp * power) & _MASK
        power = (power * _P) & _MASK
    return _fmix_int((value + len(codepoints) * _LENGTH_MIX + _SEEDS[family]) & _MASK)


def _pair_int(first: int, second: int, family_seed: int) -> int:
    return _fmix_int((first * _PAIR_MIX + second + family_seed) & _MASK)


def _body_int(word_hash: int) -> int:
    return _fmix_int((word_hash + _BODY_SEED) & _MASK)


def _fmix_array(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


class _Powers:
    """Cached P**k and P**-k modulo 2**64 (NumPy uint64 arithmetic wraps)."""

    def __init__(self) -> None:
        self.forward = np.ones(1, dtype=np.uint64)
        self.inverse = np.ones(1, dtype=np.uint64)

    def ensure(self, n: int) -> None:
        if len(self.forward) >= n:
            return
        size = max(n, 2 * len(self.forward))
        with np.errstate(over="ignore"):
            forward = np.full(size, _P, dtype=np.uint64)
            forward[0] = 1
            inverse = np.full(size, _P_INV, dtype=np.uint64)
            inverse[0] = 1
            self.forward = np.cumprod(forward, dtype=np.uint64)
            self.inverse = np.cumprod(inverse, dtype=np.uint64)


_POWERS = _Powers()


def _substring_hashes(codepoints: np.ndarray, starts: np.ndarray, ends: np.ndarray, family: int) -> np.ndarray:
    """Hash codepoints[s:e] for each (s, e), equal to `_hash_int` of the same code points."""
    n = len(codepoints)
    _POWERS.ensure(n + 1)
    prefix = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(codepoints.astype(np.uint64) * _POWERS.forward[:n], out=prefix[1:])
    raw = (prefix[ends] - prefix[starts]) * _POWERS.inverse[starts]
    lengths = (ends - starts).astype(np.uint64)
    return _fmix_array(raw + lengths * np.uint64(_LENGTH_MIX) + np.uint64(_SEEDS[family]))


# ----------------------------------------------------------------------------- reference


@dataclass(frozen=True)
class Ngram:
    family: int
    hash: int
    start: int  # span in the original text
    end: int


def reference_ngrams(text: str, spec: FeatureSpec) -> list[Ngram]:
    """All n-gram occurrences of one text, in plain Python (the readable definition)."""
    normalized, offsets = normalize_with_offsets(text)
    classify = _CLASSIFIERS[spec.symbols][0]
    classes = [classify(c) for c in normalized]
    tokens: list[tuple[int, int]] = []  # [start, end) in normalized
    position = 0
    while position < len(normalized):
        if classes[position] == _CLASS_WORD:
            end = position
            while end < len(normalized) and classes[end] == _CLASS_WORD:
                end += 1
            tokens.append((position, end))
            position = end
        else:
            if classes[position] == _CLASS_SYMBOL:
                tokens.append((position, position + 1))
            position += 1
    grams: list[Ngram] = []
    line_break = text.find("\n")  # the body starts after it; -1: the text has no body
    body: list[Ngram] = []

    def add_word(value: int, n: int, start: int, end: int) -> None:
        grams.append(Ngram(FAMILY_WORD, value, start, end))
        if n <= spec.body_ngram_max and 0 <= line_break < start:
            body.append(Ngram(FAMILY_BODY, _body_int(value), start, end))

    token_hashes = [_hash_int([ord(c) for c in normalized[s:e]], FAMILY_WORD) for s, e in tokens]
    for i, (s, e) in enumerate(tokens):
        add_word(token_hashes[i], 1, offsets[s], offsets[e - 1] + 1)
    running = token_hashes
    for n in range(2, spec.word_ngram_max + 1):
        running = [
            _pair_int(running[i], token_hashes[i + n - 1], _SEEDS[FAMILY_WORD] + n)
            for i in range(len(tokens) - n + 1)
        ]
        for i, value in enumerate(running):
            add_word(value, n, offsets[tokens[i][0]], offsets[tokens[i + n - 1][1] - 1] + 1)
    if spec.wb_tokens == "word":
        segments = [(s, e) for s, e in tokens if classes[s] == _CLASS_WORD]
    else:  # runs of non-space characters (normalised text has single spaces only)
        segments = [match.span() for match in re.finditer("[^ ]+", normalized)]
    for s, e in segments:
        # the padded segment; a pad stands for its neighbouring character when mapping spans back
        padded = [(_PAD, s)] + [(ord(normalized[i]), i) for i in range(s, e)] + [(_PAD, e - 1)]
        for n in range(spec.wb_ngram_min, spec.wb_ngram_max + 1):
            for i in range(len(padded) - n + 1):
                part = padded[i : i + n]
                grams.append(Ngram(FAMILY_WB, _hash_int([cp for cp, _ in part], FAMILY_WB), offsets[part[0][1]], offsets[part[-1][1]] + 1))
    squeezed = [(ord(c), offsets[i]) for i, c in enumerate(normalized) if classes[i] == _CLASS_WORD]
    for n in range(spec.char_ngram_min, spec.char_ngram_max + 1):
        for i in range(len(squeezed) - n + 1):
            part = squeezed[i : i + n]
            grams.append(Ngram(FAMILY_CHAR, _hash_int([cp for cp, _ in part], FAMILY_CHAR), part[0][1], part[-1][1] + 1))
    return grams + body


# ----------------------------------------------------------------------------- batch


@dataclass
class Occurrences:
    """Every n-gram occurrence of a batch: document, family, hash and original-text span."""

    doc: np.ndarray  # int64
    family: np.ndarray  # uint8
    hash: np.ndarray  # uint64
    start: np.ndarray  # int64, span in the document's original text
    end: np.ndarray
    n_docs: int

    def take(self, mask: np.ndarray) -> Occurrences:
        return Occurrences(self.doc[mask], self.family[mask], self.hash[mask], self.start[mask], self.end[mask], self.n_docs)


def _runs(mask: np.ndarray, doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end indices of maximal runs of True in `mask` that stay inside one document."""
    if not len(mask):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    same_prev = np.zeros(len(mask), dtype=bool)
    same_prev[1:] = mask[:-1] & (doc[1:] == doc[:-1])
    starts = np.flatnonzero(mask & ~same_prev)
    same_next = np.zeros(len(mask), dtype=bool)
    same_next[:-1] = mask[1:] & (doc[1:] == doc[:-1])
    ends = np.flatnonzero(mask & ~same_next) + 1
    return starts, ends


def extract_occurrences(texts: Sequence[str], spec: FeatureSpec) -> Occurrences:
    """All n-gram occurrences of a batch of texts, computed with NumPy."""
    batch = normalize_batch(texts)
    cps = batch.codepoints
    doc = batch.doc_ids()
    original = batch.original_index
    classes = class_table(spec)(cps) if len(cps) else np.zeros(0, np.uint8)
    parts: list[tuple[np.ndarray, ...]] = []

    # word tokens: runs of word characters, and single symbol characters
    word_starts, word_ends = _runs(classes == _CLASS_WORD, doc)
    symbol_pos = np.flatnonzero(classes == _CLASS_SYMBOL)
    tok_start = np.concatenate([word_starts, symbol_pos])
    tok_end = np.concatenate([word_ends, symbol_pos + 1])
    order = np.argsort(tok_start, kind="stable")
    tok_start, tok_end = tok_start[order], tok_end[order]
    tok_doc = doc[tok_start] if len(tok_start) else np.zeros(0, np.int64)
    tok_hash = _substring_hashes(cps, tok_start, tok_end, FAMILY_WORD)
    body_parts: list[tuple[np.ndarray, ...]] = []
    if spec.body_ngram_max > 0:
        # a token is in the body when it starts after its text's first line break
        line_break = np.fromiter((text.find("\n") for text in texts), dtype=np.int64, count=len(texts))
        in_body = (line_break[tok_doc] >= 0) & (original[tok_start] > line_break[tok_doc]) if len(tok_start) else np.zeros(0, bool)

    def add_word(docs: np.ndarray, hashes: np.ndarray, starts: np.ndarray, ends: np.ndarray, n: int, first_token: np.ndarray) -> None:
        parts.append((docs, hashes, starts, ends, FAMILY_WORD))
        if n <= spec.body_ngram_max:
            keep = in_body[first_token]
            with np.errstate(over="ignore"):
                body_hashes = _fmix_array(hashes[keep] + np.uint64(_BODY_SEED))
            body_parts.append((docs[keep], body_hashes, starts[keep], ends[keep], FAMILY_BODY))

    add_word(tok_doc, tok_hash, original[tok_start], original[tok_end - 1] + 1, 1, np.arange(len(tok_start)))
    running = tok_hash
    for n in range(2, spec.word_ngram_max + 1):
        count = len(tok_start) - n + 1
        if count <= 0:
            break
        valid = tok_doc[: count] == tok_doc[n - 1 :]
        running = _fmix_array(running[:count] * np.uint64(_PAIR_MIX) + tok_hash[n - 1 :] + np.uint64(_SEEDS[FAMILY_WORD] + n))
        # keep the full running array aligned by index; mask invalid ones out at the end
        idx = np.flatnonzero(valid)
        add_word(tok_doc[idx], running[idx], original[tok_start[idx]], original[tok_end[idx + n - 1] - 1] + 1, n, idx)

    # character n-grams over the squeezed stream
    word_pos = np.flatnonzero(classes == _CLASS_WORD)
    squeezed = cps[word_pos]
    sq_doc = doc[word_pos]
    sq_orig = original[word_pos]
    for n in range(spec.char_ngram_min, spec.char_ngram_max + 1):
        count = len(squeezed) - n + 1
        if count <= 0:
            break
        starts = np.flatnonzero(sq_doc[:count] == sq_doc[n - 1 :])
        hashes = _substring_hashes(squeezed, starts, starts + n, FAMILY_CHAR)
        parts.append((sq_doc[starts], hashes, sq_orig[starts], sq_orig[starts + n - 1] + 1, FAMILY_CHAR))

    # word-boundary character n-grams: each segment padded with a space on both sides
    if spec.wb_tokens == "word":
        seg_starts, seg_ends = word_starts, word_ends
    else:
        seg_starts, seg_ends = _runs(cps != _PAD, doc)
    if len(seg_starts) and spec.wb_ngram_max > 0:
        lengths = seg_ends - seg_starts
        sizes = lengths + 2
        token_offset = np.cumsum(sizes) - sizes
        total = int(sizes.sum())
        padded = np.full(total, _PAD, dtype=np.uint32)
        source = np.empty(total, dtype=np.int64)  # normalised index each padded char stands for
        token_of_char = np.repeat(np.arange(len(lengths)), lengths)
        within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        char_index = np.repeat(seg_starts, lengths) + within
        position = token_offset[token_of_char] + 1 + within
        padded[position] = cps[char_index]
        source[position] = char_index
        source[token_offset] = seg_starts  # an opening pad stands for the token's first char
        source[token_offset + sizes - 1] = seg_ends - 1  # a closing pad for its last
        chunk_of = np.repeat(np.arange(len(lengths)), sizes)
        for n in range(spec.wb_ngram_min, spec.wb_ngram_max + 1):
            count = total - n + 1
            if count <= 0:
                break
            starts = np.flatnonzero(chunk_of[:count] == chunk_of[n - 1 :])
            hashes = _substring_hashes(padded, starts, starts + n, FAMILY_WB)
            first_char = source[starts]
            last_char = source[starts + n - 1]
            parts.append((doc[first_char], hashes, original[first_char], original[last_char] + 1, FAMILY_WB))

    parts += body_parts
    return Occurrences(
        doc=np.concatenate([p[0] for p in parts]).astype(np.int64),
        family=np.concatenate([np.full(len(p[0]), p[4], dtype=np.uint8) for p in parts]),
        hash=np.concatenate([p[1] for p in parts]).astype(np.uint64),
        start=np.concatenate([p[2] for p in parts]).astype(np.int64),
        end=np.concatenate([p[3] for p in parts]).astype(np.int64),
        n_docs=len(texts),
    )


# ----------------------------------------------------------------------------- vocabulary


class _HashIndex:
    """Open-addressing table from 64-bit hash to column, probed with vectorised NumPy."""

    def __init__(self, hashes: np.ndarray) -> None:
        bits = max(4, int(math.ceil(math.log2(max(len(hashes), 1) * 2 + 1))))
        self.shift = np.uint64(64 - bits)
        self.size = 1 << bits
        self.keys = np.zeros(self.size, dtype=np.uint64)
        self.values = np.full(self.size, -1, dtype=np.int64)
        try:
            from adcheck import _fastscore

            _fastscore.build_table(np.ascontiguousarray(hashes, dtype=np.uint64), self.keys, self.values, int(self.shift))
            return
        except ImportError:
            pass
        # the same table with NumPy: in rounds, items whose probe slot is free are placed, the
        # lowest index first, and the rest move one slot on (linear probing, insertion order)
        slots = (hashes >> self.shift).astype(np.int64)
        pending = np.arange(len(hashes))
        while len(pending):
            s = slots[pending]
            free = self.values[s] == -1
            cand = pending[free]
            _, first = np.unique(s[free], return_index=True)
            winners = cand[first]
            self.keys[slots[winners]] = hashes[winners]
            self.values[slots[winners]] = winners
            placed = np.zeros(len(hashes), dtype=bool)
            placed[winners] = True
            pending = pending[~placed[pending]]
            slots[pending] = (slots[pending] + 1) & (self.size - 1)

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """Column of each hash, or -1 where the hash is not in the vocabulary."""
        result = np.full(len(hashes), -1, dtype=np.int64)
        slots = (hashes >> self.shift).astype(np.int64)
        pending = np.arange(len(hashes))
        while len(pending):
            s = slots[pending]
            values = self.values[s]
            hit = (values >= 0) & (self.keys[s] == hashes[pending])
            result[pending[hit]] = values[hit]
            go_on = (values >= 0) & ~hit
            pending = pending[go_on]
            slots[pending] = (s[go_on] + 1) & (self.size - 1)
        return result


class Vocabulary:
    """The fitted feature space: kept n-gram hashes, their family and idf weight."""

    def __init__(self, hashes: np.ndarray, families: np.ndarray, idf: np.ndarray, spec: FeatureSpec) -> None:
        self.hashes = hashes.astype(np.uint64)
        self.families = families.astype(np.uint8)
        self.idf = idf.astype(np.float64)
        self.spec = spec
        self._index: _HashIndex | None = None

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_index"] = None
        state.pop("_reference_lookup", None)
        return state

    @property
    def index(self) -> _HashIndex:
        if self._index is None:
            self._index = _HashIndex(self.hashes)
        return self._index

    @property
    def n_features(self) -> int:
        return len(self.hashes)

    @classmethod
    def fit(cls, occurrences: Occurrences, spec: FeatureSpec, rows: np.ndarray | None = None) -> Vocabulary:
        """Keep the n-grams found in at least `min_df` of the given documents (default: all)."""
        occ = occurrences
        n_docs = occ.n_docs
        if rows is not None:
            selected = np.zeros(occ.n_docs, dtype=bool)
            selected[rows] = True
            occ = occ.take(selected[occ.doc])
            n_docs = len(rows)
        # document frequency: sort occurrences by (hash, doc) and count distinct docs per hash
        order = np.lexsort((occ.doc, occ.hash))
        h, d = occ.hash[order], occ.doc[order]
        new_hash = np.ones(len(h), dtype=bool)
        new_hash[1:] = h[1:] != h[:-1]
        new_pair = new_hash.copy()
        new_pair[1:] |= d[1:] != d[:-1]
        group = np.cumsum(new_hash) - 1
        df = np.bincount(group[new_pair], minlength=int(new_hash.sum()))
        keep = df >= spec.min_df
        hashes, df = h[new_hash][keep], df[keep]
        families = occ.family[order][new_hash][keep]
        idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
        return cls(hashes, families, idf.astype(np.float32).astype(np.float64), spec)

    def columns(self, occurrences: Occurrences) -> np.ndarray:
        return self.index.lookup(occurrences.hash)

    def transform(self, occurrences: Occurrences, columns: np.ndarray | None = None) -> sp.csr_matrix:
        """TF-IDF matrix (documents x features) of a batch's occurrences."""
        return self.transform_with_norms(occurrences, columns)[0]

    def transform_with_norms(
        self, occurrences: Occurrences, columns: np.ndarray | None = None
    ) -> tuple[sp.csr_matrix, np.ndarray]:
        """TF-IDF matrix, and the L2 norm of each (row, family) block (row * N_FAMILIES + family)."""
        import scipy.sparse as sp

        if columns is None:
            columns = self.columns(occurrences)
        known = columns >= 0
        rows = occurrences.doc[known]
        cols = columns[known]
        shape = (occurrences.n_docs, self.n_features)
        counts = sp.csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=shape)
        counts.sum_duplicates()
        data = (1.0 + np.log(counts.data)) * self.idf[counts.indices]
        row_of = np.repeat(np.arange(shape[0]), np.diff(counts.indptr))
        fam = self.families[counts.indices].astype(np.int64)
        sq = np.bincount(row_of * N_FAMILIES + fam, weights=data * data, minlength=shape[0] * N_FAMILIES)
        block_norms = np.sqrt(sq)
        block_norms[block_norms == 0] = 1.0
        data = data / block_norms[row_of * N_FAMILIES + fam]
        return sp.csr_matrix((data, counts.indices, counts.indptr), shape=shape), block_norms


def describe_features(vocabulary: Vocabulary, texts: Sequence[str]) -> list[str]:
    """A readable name for each column, found in `texts` (hashing keeps no strings).

    Word n-grams read as their normalised words ("w:100% 효과"), body n-grams the same way ("t:별도");
    character n-grams as their squeezed characters ("c:최고"). Columns not seen in `texts` are named "?".
    """
    names = ["?"] * vocabulary.n_features
    classify = _CLASSIFIERS[vocabulary.spec.symbols][0]
    occurrences = extract_occurrences(list(texts), vocabulary.spec)
    columns = vocabulary.columns(occurrences)
    found = np.flatnonzero(columns >= 0)
    _, first = np.unique(columns[found], return_index=True)
    for index in found[first].tolist():
        text = texts[int(occurrences.doc[index])]
        piece = normalize_with_offsets(text[int(occurrences.start[index]) : int(occurrences.end[index])])[0]
        if occurrences.family[index] == FAMILY_CHAR:
            names[int(columns[index])] = "c:" + "".join(ch for ch in piece if classify(ch) == _CLASS_WORD)
        elif occurrences.family[index] == FAMILY_WB:
            # spans leave out the padding; find which padded form this hash is ("␣" marks a pad)
            wanted = int(occurrences.hash[index])
            for form in (piece, " " + piece, piece + " ", " " + piece + " "):
                if _hash_int([ord(c) for c in form], FAMILY_WB) == wanted:
                    piece = form.replace(" ", "␣")
                    break
            names[int(columns[index])] = "b:" + piece
        elif occurrences.family[index] == FAMILY_BODY:
            names[int(columns[index])] = "t:" + piece  # "t" for the terms below the first line
        else:
            names[int(columns[index])] = "w:" + piece
    return names
