"""Embedding a portrait off the GUI thread.

`analyse_portrait` is the whole job as a plain function (decode, find and align the face or convert the
picture to the model's format, embed, look up the nearest training images); `EmbedWorker` runs it on a
QThread and reports the result, or the error as a kind the panel can act on:

    "no-face"      the face embedder found no face (the panel offers the centre crop instead)
    "image"        not a usable picture: not an image, truncated, too large
    "unavailable"  the model's embedder is not installed (the message names the install command)
    "error"        anything else, as one line
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from PySide6.QtCore import Signal

from ...embed import EmbedderUnavailable, embedder_for_checkpoint
from ...embed.face_dlib import NoFaceFound
from ...embed.gallery import Neighbour, gallery_of, nearest
from ...embed.images import ImageInputError, open_image
from ..common.jobs import BackgroundJob

# The picture the panel shows is at most this many pixels on a side: a QPixmap of an 8000 px photo
# would take the GUI thread a second to make, and a side panel never shows more.
DISPLAY_SIDE = 720
NEIGHBOURS = 6


@dataclass
class PortraitResult:
    vector: np.ndarray                  # float32 (D,), what the model is conditioned on
    name: str                           # file name or "image data"
    size: tuple                         # (width, height) of the original picture
    display: np.ndarray                 # RGB uint8 (h, w, 3), the picture shrunk for showing
    box: tuple | None                   # face box (left, top, right, bottom) in `display`'s pixels
    crop: np.ndarray | None             # RGB uint8 (150, 150, 3): the aligned face the network saw
    model_view: np.ndarray | None       # uint8 (C, H, W): the picture as an auto-encoder model sees it
    note: str                           # e.g. "2 faces found; using the largest"
    seconds: float                      # decoding and embedding, as the user waited for it
    neighbours: list[Neighbour] = field(default_factory=list)
    centre_crop: bool = False


def describe_source(source) -> str:
    if isinstance(source, (bytes, bytearray, Image.Image)):
        return "image data"
    from pathlib import Path
    return Path(str(source)).name


def _display_copy(picture: Image.Image) -> tuple[np.ndarray, float]:
    scale = min(1.0, DISPLAY_SIDE / max(picture.size))
    if scale < 1.0:
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        picture = picture.resize(size, Image.BILINEAR, reducing_gap=2.0)
    return np.ascontiguousarray(np.asarray(picture.convert("RGB"))), scale


def analyse_portrait(loaded, embedder, source, *, allow_centre_crop: bool = False) -> PortraitResult:
    """Embed one picture for a loaded checkpoint with its embedder (see embed.embedder_for_checkpoint)."""
    started = time.perf_counter()
    picture = open_image(source)
    display, scale = _display_copy(picture)
    box = crop = view = None
    centre = False
    if hasattr(embedder, "analyse"):
        face = embedder.analyse(picture, allow_centre_crop=allow_centre_crop)
        vector, note, centre = face.vector, face.note, face.centre_crop
        crop = np.asarray(face.aligned_crop.convert("RGB"))
        if face.box is not None:
            box = tuple(round(v * scale) for v in face.box)
    else:
        note = "any picture works: the encoder sees it prepared at the model's size"
        if hasattr(embedder, "prepared"):
            # An auto-encoder: prepare the picture once, for the code, the view and the note alike.
            prepared = embedder.prepared(picture)
            vector, view, note = embedder.encode(embedder.input_of(prepared)), prepared.array, prepared.note
        else:
            vector = embedder.embed(picture)
    vector = np.asarray(vector, dtype=np.float32).reshape(-1)
    seconds = time.perf_counter() - started
    neighbours = nearest(gallery_of(loaded.metadata), vector, NEIGHBOURS)
    return PortraitResult(vector=vector, name=describe_source(source), size=picture.size, display=display, box=box,
                          crop=crop, model_view=view, note=note, seconds=seconds, neighbours=neighbours,
                          centre_crop=centre)


class EmbedWorker(BackgroundJob):
    """One job: resolve the checkpoint's embedder (loading dlib takes a moment), then, when given a
    picture, embed it. `embedder` is passed back so the next job need not resolve it again."""
    succeeded = Signal(object, object)      # PortraitResult or None (embedder ready), embedder
    failed = Signal(str, str)               # kind, message

    def __init__(self, loaded, embedder=None, source=None, *, allow_centre_crop: bool = False, parent=None):
        super().__init__(parent)
        self.loaded, self.embedder, self.source = loaded, embedder, source
        self.allow_centre_crop = allow_centre_crop

    def run(self) -> None:
        try:
            embedder = self.embedder or embedder_for_checkpoint(self.loaded)
            if embedder is None:
                self.failed.emit("error", "this model takes no portrait embedding")
                return
            result = None
            if self.source is not None:
                result = analyse_portrait(self.loaded, embedder, self.source,
                                          allow_centre_crop=self.allow_centre_crop)
        except NoFaceFound as exc:
            self.failed.emit("no-face", str(exc))
        except ImageInputError as exc:
            self.failed.emit("image", str(exc))
        except EmbedderUnavailable as exc:
            self.failed.emit("unavailable", str(exc))
        except Exception as exc:  # noqa: BLE001 - reported in the window, never a crash
            self.failed.emit("error", f"{type(exc).__name__}: {exc}")
        else:
            self.succeeded.emit(result, embedder)
