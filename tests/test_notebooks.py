"""The analysis notebook in notebooks/ runs top to bottom, so it cannot rot."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "corpus_and_model.ipynb"


def _kernel_dir(tmp_path: Path) -> Path:
    """A "python3" kernelspec that runs this interpreter, found first on JUPYTER_PATH.

    A fresh venv may have no kernelspec installed, and a user-level "python3" spec may point at
    another Python; this one always runs the environment under test.
    """
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (adcheck tests)",
        "language": "python",
    }), encoding="utf-8")
    return tmp_path / "jupyter"


def _stream_text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream" and o.name == "stdout")


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(not c.outputs and c.execution_count is None for c in code), "clear the notebook's outputs before saving"


@pytest.mark.slow
def test_notebook_executes_and_reports_sane_figures(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    jupyter_dir = _kernel_dir(tmp_path)
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_dir))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}})
    client.execute()  # raises CellExecutionError on the first failing cell

    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors
    stdout = "\n".join(_stream_text(c) for c in code)
    # nothing in the kernel printed warnings (missing glyphs are filtered inside the notebook)
    stderr = "".join(o.get("text", "") for c in code for o in c.outputs if o.output_type == "stream" and o.name == "stderr")
    assert "Warning" not in stderr, stderr

    pr_auc = dict(re.findall(r"^PR-AUC (\w+): ([0-9.]+)$", stdout, flags=re.MULTILINE))
    assert set(pr_auc) == {"all", "ko", "en", "mixed"}, stdout
    assert all(0.5 < float(v) <= 1.0 for v in pr_auc.values()), pr_auc
    brier = dict(re.findall(r"^Brier (\w+): ([0-9.]+)$", stdout, flags=re.MULTILINE))
    assert set(brier) == {"all", "ko", "en", "mixed"} and all(float(v) < 0.25 for v in brier.values()), brier
    assert re.search(r"^category macro-F1: 0\.\d+$", stdout, flags=re.MULTILINE), stdout
    top_hit = re.search(r"top category is a true one: ([0-9.]+) of \d+ single-category texts", stdout)
    assert top_hit and float(top_hit.group(1)) > 0.5, stdout

    figures = sum("image/png" in o.get("data", {}) for c in code for o in c.outputs)
    assert figures >= 6  # lengths, PR curves, calibration, confusion, risk head, per language
    by_id = {c.id: c for c in code}
    tables = "".join(o.get("data", {}).get("text/html", "") for o in by_id["category-heads"].outputs)
    assert all(code_name in tables for code_name in ("superlative", "hidden_terms")) and "w:" in tables
