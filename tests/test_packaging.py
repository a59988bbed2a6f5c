"""The wheel a producer installs (``pip install .``, not the editable install of ``make setup``) must carry
every file the package reads at run time: the shipped weights, their configs and model cards, the balance
prior, the templates. ``[tool.setuptools.package-data]`` lists them by pattern, so a new kind of data file
would silently stay behind; this builds the wheel from a copy of the sources (a ``build/`` folder left in the
repository could carry stale files into it) and compares."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> tuple[Path, Path]:
    """(the built wheel, the copied source tree it was built from)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT / "mixbuddy", src / "mixbuddy", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "-q", "-w", str(tmp / "dist"), str(src)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"pip wheel failed:\n{done.stdout}\n{done.stderr}"
    (whl,) = (tmp / "dist").glob("mixbuddy-*.whl")
    return whl, src


def test_the_wheel_holds_every_file_of_the_package(wheel):
    whl, src = wheel
    names = set(zipfile.ZipFile(whl).namelist())
    files = {p.relative_to(src).as_posix() for p in (src / "mixbuddy").rglob("*") if p.is_file()}
    missing = sorted(files - names)
    assert not missing, ("files of the package the wheel leaves out (add a pattern to "
                         f"[tool.setuptools.package-data] in pyproject.toml): {missing}")
    assert {n for n in names if n.startswith("mixbuddy/")} == files
    # the five shipped models and the loudness engine's prior are among them
    for model in ("default", "default-real", "default-stems", "default-blind", "default-master"):
        assert f"mixbuddy/weights/{model}/audio.safetensors" in names
    assert "mixbuddy/predict/data/balance_prior.json" in names


def test_the_wheel_installs_the_command(wheel):
    whl, _ = wheel
    z = zipfile.ZipFile(whl)
    (entry,) = [n for n in z.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = z.read(entry).decode()
    assert "[console_scripts]" in text and "mixbuddy = mixbuddy.cli:main" in text


@pytest.mark.parametrize("python, said", [
    ("#!/bin/sh\n[ \"$1\" = -V ] && echo 'Python 3.10.12' && exit 0\nexit 1\n",
     "mixbuddy needs Python 3.11 or newer (its pinned numpy, scipy and transformers do); {py} is Python 3.10.12"),
    (None, "no Python found ({py})"),
])
def test_setup_refuses_an_old_or_missing_python_before_installing_anything(tmp_path, python, said):
    py = tmp_path / "python3"
    if python is not None:
        py.write_text(python)
        py.chmod(0o755)
    venv = tmp_path / "venv"
    done = subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh")], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHON": str(py), "VENV": str(venv)})
    assert done.returncode == 1
    assert said.format(py=py) in done.stderr and "set PYTHON=/path/to/python3.11" in done.stderr
    assert not venv.exists()
