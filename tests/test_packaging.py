"""The built wheel installs into a clean environment, ships the default model and runs."""

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_and_scores_with_the_shipped_model(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True, cwd=tmp_path)
    wheel = next(dist.glob("adcheck-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], check=True, capture_output=True)
    # dependencies come from this environment's site-packages (no .pth files are processed from
    # PYTHONPATH, so this environment's own adcheck is not visible there)
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"], "COLUMNS": "120"}
    where = subprocess.run([str(python), "-c", "import adcheck, adcheck.artifacts as a; print(adcheck.__file__); print(a.default_model_dir())"],
                           check=True, capture_output=True, text=True, env=env, cwd=tmp_path)
    package_file, model_dir = where.stdout.split()
    assert str(venv) in package_file and str(venv) in model_dir
    result = subprocess.run([str(venv / "bin" / "adcheck"), "score", "오늘만 90% 할인! 100% 효과 보장", "--format", "json"],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["model_id"].startswith("adcheck-default-")
    assert document["results"][0]["risk"] > 0.5
