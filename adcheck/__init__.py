"""adcheck: find exaggerated or misleading claims in advertising copy (Korean and English)."""

from __future__ import annotations

__version__ = "0.2.0"

from collections.abc import Iterable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

from adcheck.results import SCHEMA_VERSION, CategoryScore, Evidence, ScoreResult  # noqa: E402

if TYPE_CHECKING:
    from adcheck.model import AdModel

__all__ = [
    "SCHEMA_VERSION",
    "CategoryScore",
    "Evidence",
    "ScoreResult",
    "__version__",
    "load_model",
    "score",
]


def load_model(path: str | Path | None = None) -> AdModel:
    """Load a model folder after checking its hash and versions (default: the shipped model)."""
    from adcheck.artifacts import load_model as _load

    return _load(path)


def score(texts: Iterable[str], model: AdModel | None = None, *, explain: int = 5) -> list[ScoreResult]:
    """Score texts with `model` (default: the shipped model)."""
    return (model or load_model()).score(texts, explain=explain)
