"""Pictures between numpy, PIL and Qt: pixmaps to show, and what a drag from another application carries."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFileDialog

from ...embed.images import ImageInputError
from . import settings


def picture_filter() -> str:
    """A file-dialog filter of every extension Pillow can open here."""
    extensions = sorted({ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN})
    return f"Pictures ({' '.join('*' + e for e in extensions)});;All files (*)"


def ask_for_picture(parent, title: str = "Open portrait") -> str:
    """A picture file chosen in a dialog titled `title` that opens where the last one was found
    ('' when cancelled)."""
    folder = settings.get("portraits/folder", str(Path.home()))
    path, _ = QFileDialog.getOpenFileName(parent, title, folder, picture_filter())
    if path:
        settings.put("portraits/folder", str(Path(path).parent))
    return path


def rgb_pixmap(rgb: np.ndarray) -> QPixmap:
    """An (h, w, 3) uint8 array as a pixmap (copied, so the array may go)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy())


def samples_rgb(images: np.ndarray) -> np.ndarray:
    """(C, H, W) uint8 model images (grey or RGB) as an (H, W, 3) array."""
    arr = np.asarray(images, dtype=np.uint8).transpose(1, 2, 0)
    return np.repeat(arr, 3, axis=2) if arr.shape[2] == 1 else np.ascontiguousarray(arr)


def crisp_pixmap(image_chw: np.ndarray, side: int) -> QPixmap:
    """A small model image scaled up by a whole factor, without smoothing, to about `side` pixels."""
    rgb = samples_rgb(image_chw)
    factor = max(1, side // max(rgb.shape[:2]))
    return rgb_pixmap(rgb.repeat(factor, axis=0).repeat(factor, axis=1))


def qimage_to_pil(image) -> Image.Image:
    """A QImage (or QPixmap) as an RGB PIL image."""
    if isinstance(image, QPixmap):
        image = image.toImage()
    if not isinstance(image, QImage) or image.isNull():
        raise ImageInputError("the dropped data is not an image")
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    w, h, line = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=line * h).reshape(h, line)
    rgba = np.ascontiguousarray(data[:, : 4 * w].reshape(h, w, 4))
    return Image.fromarray(rgba, "RGBA").convert("RGB")


def mime_has_picture(mime: QMimeData) -> bool:
    """Whether a drag carries a local file or image data (checked again, fully, on drop)."""
    return mime.hasImage() or any(url.isLocalFile() for url in mime.urls())


def picture_from_mime(mime: QMimeData):
    """What to embed from a drop: a local file's path (any format Pillow reads, checked later) or the
    dragged image data as a PIL image. A web address alone cannot be used: nothing is downloaded."""
    files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    if files:
        return files[0]
    if mime.hasImage():
        return qimage_to_pil(mime.imageData())
    if mime.hasUrls():
        raise ImageInputError(f"{mime.urls()[0].toString()}: only files on this computer or image data can be "
                              "used (nothing is downloaded); save the picture first, or drag the image itself")
    raise ImageInputError("the dropped data is not an image")


def picture_from_drop(event, on_error):
    """The picture a drop event carries, with the drop accepted, or None after `on_error(message)`
    when it cannot be used (a web address, data that is not an image): every drop target says why."""
    try:
        source = picture_from_mime(event.mimeData())
    except ValueError as exc:
        on_error(str(exc))
        return None
    event.acceptProposedAction()
    return source


SMOOTH = Qt.TransformationMode.SmoothTransformation
KEEP_ASPECT = Qt.AspectRatioMode.KeepAspectRatio
