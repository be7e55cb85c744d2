"""`lfw-faces`: the 100 face crops (25x25 grey) that ship inside scikit-image's wheel.

`skimage.data.lfw_subset()` returns 200 images: 100 faces, then 100 non-face background patches
from the same photos. Only the faces are kept. The file is part of the wheel (no download), so
this works offline; scikit-image stays an optional dependency, imported only here.
"""

from __future__ import annotations

import importlib.util

import numpy as np

from .base import DatasetError, floats_to_uint8

FACES = 100


def available() -> bool:
    try:
        return importlib.util.find_spec("skimage") is not None
    except (ImportError, ValueError):  # a half-imported or blocked module
        return False


def lfw_faces():
    try:
        from skimage import data as skimage_data
    except ImportError as exc:
        raise DatasetError(
            "lfw-faces needs scikit-image, which is not installed; get it with: pip install scikit-image"
        ) from exc
    try:
        stack = np.asarray(skimage_data.lfw_subset())
    except Exception as exc:  # an old or trimmed install may try a download, which cannot work offline
        raise DatasetError(
            f"scikit-image could not provide lfw_subset ({exc}); "
            "reinstall it with: pip install --force-reinstall scikit-image"
        ) from exc
    if stack.ndim != 3 or stack.shape[0] < FACES:
        raise DatasetError(f"unexpected lfw_subset shape {stack.shape}")
    faces = stack[:FACES]
    # Each crop was contrast-stretched to [0, 1] as floats; map back to 256 levels.
    images = floats_to_uint8(faces) if faces.dtype.kind == "f" else faces.astype(np.uint8)
    info = {
        "source": "scikit-image skimage.data.lfw_subset() (first 100 = faces)",
        "licence": "LFW (Huang et al., UMass Amherst), for research; packaged in scikit-image (BSD-3-Clause)",
    }
    return images[:, None], None, None, info
