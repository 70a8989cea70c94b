"""training/label_audit.py: which rows go to the blind re-label."""

import numpy as np
import pytest

from tests.conftest import load_training_script


@pytest.fixture(scope="module")
def audit():
    return load_training_script("label_audit")


def _pick(audit, y, risk, price, categories, per_kind=10):
    oof = {"risk": np.asarray(risk), "price": np.asarray(price)}
    return audit.pick_candidates(np.asarray(y), oof, categories, ["price"], risk_high=0.85, risk_low=0.10,
                                 cat_low=0.10, cat_high=0.90, per_kind=per_kind)


def test_each_kind_of_disagreement_is_picked_and_agreement_is_not(audit):
    y = [False, False, True, True, True, True]
    risk = [0.95, 0.50, 0.05, 0.99, 0.99, 0.99]
    price = [np.nan, np.nan, 0.5, 0.05, 0.95, 0.60]
    categories = [[], [], ["price"], ["price"], ["urgency"], ["price"]]
    chosen = _pick(audit, y, risk, price, categories)
    past = chosen.pop("_past_the_cut")
    assert chosen == {0: "acceptable_read_misleading", 2: "misleading_read_acceptable", 3: "category_missed",
                      4: "category_added"}
    assert past == {"acceptable_read_misleading": 1, "misleading_read_acceptable": 1, "category_missed": 1,
                    "category_added": 1}


def test_the_strongest_disagreements_come_first_and_each_kind_is_capped(audit):
    y = [False] * 4
    risk = [0.90, 0.99, 0.86, 0.97]
    chosen = _pick(audit, y, risk, [np.nan] * 4, [[]] * 4, per_kind=2)
    assert chosen.pop("_past_the_cut")["acceptable_read_misleading"] == 4
    assert chosen == {1: "acceptable_read_misleading", 3: "acceptable_read_misleading"}


def test_a_row_keeps_the_first_kind_it_was_picked_for(audit):
    # misleading, read acceptable, and its labelled category read absent too
    chosen = _pick(audit, [True], [0.02], [0.01], [["price"]])
    chosen.pop("_past_the_cut")
    assert chosen == {0: "misleading_read_acceptable"}


def test_caps_can_differ_by_kind_and_skipped_rows_are_never_picked(audit):
    y = np.asarray([False, False, False, True])
    oof = {"risk": np.asarray([0.99, 0.98, 0.97, 0.01]), "price": np.asarray([np.nan] * 3 + [0.5])}
    caps = {"acceptable_read_misleading": 1, "misleading_read_acceptable": 0, "category_missed": 5, "category_added": 5}
    chosen = audit.pick_candidates(y, oof, [[], [], [], ["price"]], ["price"], 0.85, 0.10, 0.10, 0.90, caps, skip={0})
    assert chosen.pop("_past_the_cut") == {"acceptable_read_misleading": 2, "misleading_read_acceptable": 1,
                                           "category_missed": 0, "category_added": 0}
    assert chosen == {1: "acceptable_read_misleading"}
