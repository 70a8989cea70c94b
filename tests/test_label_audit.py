"""training/label_audit.py: which rows go to the blind re-label."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT, load_training_script


@pytest.fixture(scope="module")
def audit():
    return load_training_script("label_audit")


def _pick(audit, y, risk, price, categories, per_kind=10, skip=frozenset()):
    oof = {"risk": np.asarray(risk), "price": np.asarray(price, dtype=float)}
    return audit.pick_candidates(np.asarray(y), oof, categories, ["price"], risk_high=0.85, risk_low=0.10,
                                 cat_low=0.10, cat_high=0.90, per_kind=per_kind, skip=skip)


def test_each_kind_of_disagreement_is_picked_and_agreement_is_not(audit):
    y = [False, False, True, True, True, True]
    risk = [0.95, 0.50, 0.05, 0.99, 0.99, 0.99]
    price = [np.nan, np.nan, 0.5, 0.05, 0.95, 0.60]
    categories = [[], [], ["price"], ["price"], ["urgency"], ["price"]]
    picked = _pick(audit, y, risk, price, categories)
    assert picked.kinds == {0: "acceptable_read_misleading", 2: "misleading_read_acceptable", 3: "category_missed",
                            4: "category_added"}
    assert picked.past_the_cut == dict.fromkeys(audit.KINDS, 1)
    assert picked.flagged == {0, 2, 3, 4}


def test_the_strongest_come_first_ties_go_to_the_earlier_row_and_each_kind_is_capped(audit):
    risk = [0.90, 0.99, 0.86, 0.99]
    picked = _pick(audit, [False] * 4, risk, [np.nan] * 4, [[]] * 4, per_kind=2)
    assert picked.past_the_cut["acceptable_read_misleading"] == 4
    assert picked.kinds == {1: "acceptable_read_misleading", 3: "acceptable_read_misleading"}
    # rows past the cut but over the cap are still kept out of the controls
    assert picked.flagged == {0, 1, 2, 3}


def test_a_row_picked_for_an_earlier_kind_does_not_use_up_a_later_kinds_places(audit):
    # row 0 is read as acceptable and its category as absent; rows 1 and 2 only the latter
    y = [True, True, True]
    picked = _pick(audit, y, [0.02, 0.9, 0.9], [0.01, 0.02, 0.03], [["price"]] * 3,
                   per_kind={"misleading_read_acceptable": 1, "category_missed": 2})
    assert picked.kinds == {0: "misleading_read_acceptable", 1: "category_missed", 2: "category_missed"}


def test_caps_can_differ_by_kind_skipped_rows_are_never_picked_and_nan_never_passes(audit):
    y = [False, False, False, True, True]
    caps = {"acceptable_read_misleading": 1, "misleading_read_acceptable": 0, "category_missed": 5, "category_added": 5}
    picked = _pick(audit, y, [0.99, 0.98, 0.97, 0.01, 0.9], [np.nan] * 4 + [np.nan], [[], [], [], ["price"], ["price"]],
                   per_kind=caps, skip={0})
    assert picked.past_the_cut == {"acceptable_read_misleading": 2, "misleading_read_acceptable": 1,
                                   "category_missed": 0, "category_added": 0}
    assert picked.kinds == {1: "acceptable_read_misleading"}


def test_bad_options_fail_in_one_line_before_the_fit(tmp_path):
    script = str(ROOT / "training" / "label_audit.py")
    negative = subprocess.run([sys.executable, script, "--out", str(tmp_path), "--per-kind", "-1"],
                              capture_output=True, text=True, timeout=120)
    assert negative.returncode != 0 and "must be 0 or more" in negative.stderr
    no_id = tmp_path / "reviewed.jsonl"
    no_id.write_text(json.dumps({"text": "x"}) + "\n", encoding="utf-8")
    for skip, message in ((tmp_path / "missing.jsonl", "No such file"), (no_id, "reviewed.jsonl:1: no id")):
        result = subprocess.run([sys.executable, script, "--out", str(tmp_path), "--skip", str(skip)],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode != 0
        assert message in result.stderr and "Traceback" not in result.stderr
