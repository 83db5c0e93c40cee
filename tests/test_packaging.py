"""mlcanon as a package, not only a checkout: the wheel carries the data sets and the benchmark figures, and an
installed mlcanon works from any folder (slow: it builds the wheel and a fresh virtual environment)."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_runs_outside_the_checkout(tmp_path):
    wheels = tmp_path / "wheels"
    # python -m build: an sdist, then the wheel built from that sdist (so the sdist is complete too)
    subprocess.run([sys.executable, "-m", "build", str(ROOT), "-o", str(wheels)], check=True, capture_output=True,
                   timeout=1200)
    (wheel,) = wheels.glob("mlcanon-*.whl")
    assert len(list(wheels.glob("mlcanon-*.tar.gz"))) == 1
    names = zipfile.ZipFile(wheel).namelist()
    assert "mlcanon/_bundled/datasets/trec/TREC.train" in names
    assert any(n.startswith("mlcanon/_bundled/results/") and n.endswith(".json") for n in names)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    # torch, numpy and the rest come from this environment's site-packages as a plain path entry (its .pth
    # hooks, among them the editable mlcanon of the checkout, are not run), so only the wheel's mlcanon is seen.
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    here = next(p for p in sys.path if p.endswith("site-packages") and Path(p, "torch").is_dir())
    Path(site, "deps-from-the-test-venv.pth").write_text(here + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True, timeout=600,
                   capture_output=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "MLCANON_DATA"}
    code = ("import mlcanon, mlcanon.data as d; print(mlcanon.__file__); print(d.load('trec', 'train')); "
            "from mlcanon._paths import results_dir; print(sorted(p.name for p in results_dir().glob('*.json'))[:1])")
    done = subprocess.run([str(py), "-c", code], cwd=outside, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert str(venv) in lines[0] and lines[1] == "trec/train: 5,452 texts, 50 labels" and lines[2] != "[]"
    report = subprocess.run([str(venv / "bin" / "mlcanon"), "report", "--only", "questions", "-o", "rep"],
                            cwd=outside, env=env, capture_output=True, text=True, timeout=900)
    assert report.returncode == 0, report.stderr[-2000:]
    assert (outside / "rep" / "index.html").is_file()
