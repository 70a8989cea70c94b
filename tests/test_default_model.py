"""The shipped model: it loads from package data and separates clear cases with a margin."""

import json

from adcheck import load_model
from adcheck.artifacts import default_model_dir, verify_model_dir

CLEARLY_MISLEADING = [
    "이 크림 하나로 아토피 완치! 부작용 0%, 효과 없으면 100% 환불 보장",
    "오늘 자정 마감!! 단 3개 남음, 지금 27명이 보고 있어요",
    "Clinically proven to cure diabetes in 30 days. No side effects. Doctor recommended!",
    "Guaranteed 30% monthly returns, principal fully protected, zero risk.",
]
CLEARLY_ACCEPTABLE = [
    "보습 크림 50ml, 건성 피부용. 전성분은 상세페이지에서 확인하세요.",
    "Cotton crew-neck T-shirt, machine washable, available in 5 colours.",
    "#광고 브랜드로부터 제품을 제공받아 작성한 후기입니다.",
]


def test_default_model_verifies_and_loads():
    meta = verify_model_dir(default_model_dir())
    assert meta["model_id"].startswith("adcheck-default-")
    assert meta["artifact"]["bytes"] < 15_000_000
    model = load_model()
    assert model.model_id == meta["model_id"]


def test_default_model_separates_clear_cases():
    model = load_model()
    bad = [r.risk for r in model.score(CLEARLY_MISLEADING)]
    good = [r.risk for r in model.score(CLEARLY_ACCEPTABLE)]
    assert min(bad) > 0.7, bad
    assert max(good) < 0.3, good
    assert min(bad) - max(good) > 0.4


def test_default_model_card_matches_metadata():
    folder = default_model_dir()
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    card = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert meta["model_id"] in card
    assert f"{meta['artifact']['bytes'] / 1e6:.1f} MB" in card
