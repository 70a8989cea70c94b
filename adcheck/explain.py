"""Explanation: per-character contributions of the linear model, grouped into phrases."""

from __future__ import annotations

import math

import numpy as np

from adcheck.results import Evidence

MIN_PHRASE_CONTRIBUTION = 0.05  # log-odds; smaller moves are noise to a reviewer
MAX_PHRASE_WORDS = 4
CLAUSE_ENDS = frozenset(",.!?;:·…。、！？，")


def char_contributions(
    doc: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    weight: np.ndarray,
    doc_lengths: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Spread each occurrence's contribution evenly over the characters of its span.

    Returns the contributions of all documents' characters, concatenated, and the document
    offsets into that array. The contributions of one document sum to the sum of its weights.
    """
    offsets = np.zeros(len(doc_lengths) + 1, dtype=np.int64)
    np.cumsum(doc_lengths, out=offsets[1:])
    total = int(offsets[-1])
    span = np.maximum(end - start, 1)
    density = weight / span
    base = offsets[doc]
    diff = np.bincount(base + start, weights=density, minlength=total + 1)
    diff -= np.bincount(base + end, weights=density, minlength=total + 1)
    return np.cumsum(diff)[:total], offsets


def phrases(text: str, contributions: np.ndarray, limit: int) -> list[Evidence]:
    """Group character contributions into word-aligned phrases and return the strongest.

    Words are runs of non-space characters; neighbouring words that push the same way and each
    matter join into one phrase, so "100% 효과 보장" comes out whole.
    """
    if limit <= 0 or not text:
        return []
    words: list[tuple[int, int, float]] = []
    position = 0
    length = len(text)
    while position < length:
        if text[position].isspace():
            position += 1
            continue
        end = position
        while end < length and not text[end].isspace():
            end += 1
        words.append((position, end, float(sum(contributions[position:end].tolist()))))  # left to right, as the C kernel adds
        position = end
    merged: list[list] = []
    for start, end, value in words:
        if abs(value) < MIN_PHRASE_CONTRIBUTION:
            merged.append([])  # breaks a run
            continue
        last = merged[-1] if merged else []
        joins = (
            last
            and (last[2] > 0) == (value > 0)
            and last[3] < MAX_PHRASE_WORDS
            and text[last[1] - 1] not in CLAUSE_ENDS
        )
        if joins:
            last[1] = end
            last[2] += value
            last[3] += 1
        else:
            merged.append([start, end, value, 1])
    found = [m for m in merged if m]
    # magnitudes compared at 1e-9 (as the C kernel does): values that differ only by summation noise,
    # such as "국산" and "국산," with a near-zero comma, rank by position in both paths
    found.sort(key=lambda m: (-math.floor(abs(m[2]) * 1e9 + 0.5), m[0]))
    return [Evidence(text[s:e], s, e, round(v, 6)) for s, e, v, _ in found[:limit]]
