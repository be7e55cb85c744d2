"""The package as a user gets it: run from a folder outside the source tree, through its own command.

Under CI the package is installed without -e from a clean clone, so these runs use the installed
copy and its package data (style sheets, icons, bundled models), not the source tree.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

COMMAND = Path(sys.executable).with_name("pixelcnn-studio")


def run(args, cwd, **env):
    command = [str(COMMAND)] if COMMAND.exists() else [sys.executable, "-m", "pixelcnn_studio"]
    return subprocess.run(command + args, cwd=cwd, capture_output=True, text=True, timeout=240,
                          env={**os.environ, **env})


def test_a_bundled_model_samples_by_name_from_any_folder(tmp_path):
    result = run(["sample", "emoji", "--n", "2", "--class", "Animals & Nature", "--out", "e.npy"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert np.load(tmp_path / "e.npy").shape == (2, 3, 32, 32)
    listed = run(["models"], tmp_path)
    assert listed.returncode == 0 and "fashion-mnist (default)" in listed.stdout


def test_the_app_starts_offscreen_on_the_default_model(tmp_path):
    result = run([], tmp_path, QT_QPA_PLATFORM="offscreen", PIXELCNN_STUDIO_TIMING="exit",
                 PIXELCNN_STUDIO_SETTINGS=str(tmp_path / "settings.ini"))
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("startup:")]
    assert [line.split(" s after")[0].rsplit(" ", 1)[0] for line in lines] == \
        ["startup: window shown", "startup: model ready"], result.stderr


@pytest.mark.parametrize("name", ["style-dark.qss", "style-light.qss", "icon.svg", "check.svg"])
def test_the_installed_package_carries_its_resources(tmp_path, name):
    # Installed (as under CI), the file is inside the package; run from the source tree, it is in the
    # repository's top-level resources/ beside the package.
    code = ("from pixelcnn_studio import paths; p = paths.resource(%r).resolve(); "
            "package = paths.package_folder('.').resolve(); "
            "source = (package.parent / 'pyproject.toml').is_file() and not (package / 'resources').is_dir(); "
            "home = package.parent if source else package; "
            "print(p.is_file(), home / 'resources' in p.parents)" % name)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == ["True", "True"], result.stderr


def test_a_wheel_carries_the_top_level_resources_and_models_inside_the_package(tmp_path):
    """resources/ and models/ sit at the top of the repository; a wheel built from it holds them inside
    the package, and a copy installed from that wheel finds them there, from any folder."""
    pytest.importorskip("setuptools")       # builds here, offline: no build isolation
    import shutil
    import zipfile
    repository = Path(__file__).resolve().parents[1]
    source = tmp_path / "source"            # a copy, so the build leaves nothing in the repository
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(repository / name, source / name)
    for name in ("pixelcnn_studio", "resources", "models"):
        shutil.copytree(repository / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    built = subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", str(source),
                                  "-w", str(tmp_path / "wheel")], capture_output=True, text=True, timeout=240)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "wheel").glob("*.whl"))
    inside = zipfile.ZipFile(wheel).namelist()
    for folder in ("resources", "models"):
        for path in (repository / folder).rglob("*"):
            if path.is_file():
                assert f"pixelcnn_studio/{path.relative_to(repository).as_posix()}" in inside, path
    assert {Path(n).suffix for n in inside} >= {".pt", ".png", ".qss", ".svg", ".jpg", ".md"}

    site = tmp_path / "site"
    installed = subprocess.run(pip + ["install", "--no-deps", "--no-index", "-q", "--target", str(site), str(wheel)],
                               capture_output=True, text=True, timeout=240)
    assert installed.returncode == 0, installed.stderr
    code = ("import pixelcnn_studio; from pixelcnn_studio import paths; "
            "print(pixelcnn_studio.__file__); print(paths.resource('style-dark.qss')); "
            "print(paths.bundled_models_dir()); print(*paths.bundled_model_names())")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIXELCNN_STUDIO_MODELS")}
    found = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, capture_output=True, text=True, timeout=60,
                           env={**env, "PYTHONPATH": str(site)})
    assert found.returncode == 0, found.stderr
    module, style, models, names = found.stdout.splitlines()
    package = site / "pixelcnn_studio"
    assert Path(module) == package / "__init__.py"
    assert Path(style) == package / "resources" / "style-dark.qss" and Path(style).is_file()
    assert Path(models) == package / "models"
    assert set(names.split()) == {p.stem for p in (repository / "models").glob("*.pt")}
