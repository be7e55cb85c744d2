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
    code = ("from pixelcnn_studio import paths; p = paths.resource(%r); "
            "print(p.is_file(), paths.package_folder('.').resolve() in p.resolve().parents)" % name)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == ["True", "True"], result.stderr
