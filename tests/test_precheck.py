"""training/precheck.py: the shipped model's behaviour tests, run on a quick final fit."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import load_training_script

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def precheck():
    return load_training_script("precheck")


def test_default_c_values_are_the_shipped_c_and_its_neighbours(precheck):
    grid = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
    assert precheck.default_c_values(grid, 8.0) == [4.0, 8.0, 16.0]
    assert precheck.default_c_values(grid, 32.0) == [16.0, 32.0]
    assert precheck.default_c_values(grid, 1.0) == [1.0, 2.0]
    assert precheck.default_c_values(grid, 5.0) == list(grid)  # not in the grid: try them all


def test_every_behaviour_test_exists_and_every_pair_text_is_probed(precheck):
    module = precheck.load_tests()
    texts = precheck.test_texts(module)
    for taken_back, honest in module.SAME_HEADLINE_OTHER_FOOTNOTE:
        assert taken_back in texts and honest in texts
    assert set(module.PLAIN_LISTINGS) <= set(texts)
    assert len(texts) == len(set(texts))


def test_a_model_that_fails_a_test_is_reported_with_the_assertion(precheck):
    """The shipped model passes; a model that scores everything 0.5 fails, with its message."""
    from adcheck import load_model

    module = precheck.load_tests()
    shipped = load_model()
    assert precheck.run_tests(module, shipped) == {name: None for name in precheck.BEHAVIOUR_TESTS}

    class Flat:
        def score(self, texts):
            return [type("R", (), {"risk": 0.5, "band": "medium"})() for _ in texts]

    outcome = precheck.run_tests(precheck.load_tests(), Flat())
    assert all(message for message in outcome.values())
    assert "0.5" in outcome["test_default_model_separates_clear_cases"]


def test_a_missing_model_is_a_one_line_error_and_exit_2(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "training" / "precheck.py"), "--model", str(tmp_path / "none")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path / 'none'}: no such model folder; pass a folder written by `adcheck train`"]
    assert result.stdout == ""
