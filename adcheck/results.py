"""Result types: what scoring returns, and their JSON form (a versioned public contract)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

SCHEMA_VERSION = 1

BAND_HIGH = "high"
BAND_MEDIUM = "medium"
BAND_LOW = "low"
BANDS = (BAND_HIGH, BAND_MEDIUM, BAND_LOW)


@dataclass(frozen=True)
class Evidence:
    """A phrase of the original text and how much it moved the risk (log-odds, signed)."""

    text: str
    start: int
    end: int
    contribution: float


@dataclass(frozen=True)
class CategoryScore:
    """A category the text was flagged for, with the category model's probability."""

    code: str
    name_en: str
    name_ko: str
    probability: float
    threshold: float


@dataclass(frozen=True)
class ScoreResult:
    """The score of one text; `to_dict` gives the JSON form."""

    text: str
    risk: float
    band: str
    flagged: bool
    threshold: float
    band_thresholds: dict[str, float]
    categories: list[CategoryScore] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    model_id: str = ""
    price_claims: list[dict] = field(default_factory=list)  # filled when scored with prices=True
    price_findings: list[dict] = field(default_factory=list)
    price_verdicts: list[dict] = field(default_factory=list)  # reference prices checked against a price history
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict:
        return asdict(self)


def band_for(risk: float, thresholds: dict[str, float]) -> str:
    """The band of a risk given the model's band thresholds."""
    if risk >= thresholds[BAND_HIGH]:
        return BAND_HIGH
    if risk >= thresholds[BAND_MEDIUM]:
        return BAND_MEDIUM
    return BAND_LOW
