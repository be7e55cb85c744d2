"""The latest sample grid of a run, as large as its room allows.

A grid is a PNG the run writes every few seconds of training; decoding it and scaling it to the room
is done on a background job (QImage is safe off the GUI thread, QPixmap is not), so that a new grid
never holds the window's event loop while the run trains. Only a resize, which the user makes,
scales on the GUI thread.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy

from ..common.jobs import FunctionJob
from .timing import timed


def read_grid(path: Path, room: QSize) -> tuple:
    """(path, room, the grid, the grid scaled to `room`); both None when it cannot be read (being
    replaced this instant)."""
    image = QImageReader(str(path)).read()
    if image.isNull():
        return path, room, None, None
    return path, room, image, scaled_to(image, room)


def scaled_to(image: QImage, room: QSize) -> QImage:
    if room.width() < 1 or room.height() < 1:
        return image
    # Pixels drawn as crisp blocks when enlarged; smoothed only when the grid must shrink.
    shrink = image.width() > room.width() or image.height() > room.height()
    mode = Qt.TransformationMode.SmoothTransformation if shrink else Qt.TransformationMode.FastTransformation
    return image.scaled(room, Qt.AspectRatioMode.KeepAspectRatio, mode)


class GridPicture(QLabel):
    """The latest sample grid; `show_file(path)` reads it off the GUI thread, `shown` says when it is up."""

    shown = Signal(object)          # the path now shown
    missed = Signal(object)         # a path that could not be read (being replaced): ask again later

    def __init__(self):
        super().__init__()
        self._image = QImage()
        self._job: FunctionJob | None = None
        self._asked: Path | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(120, 120)
        self.setObjectName("dropArea")

    def show_file(self, path: Path) -> None:
        """Read `path` in the background; a newer grid asked for meanwhile replaces it."""
        if self._job is not None:
            self._job.cancel()
        room = self.contentsRect().size()
        # No parent: a job must outlive this widget while its thread runs (jobs.py keeps it till then).
        # The last one stays referenced here until the next, so none is freed inside its own signal.
        job = FunctionJob(lambda _job: read_grid(path, room), "reading a sample grid")
        job.done.connect(self._arrived)
        job.failed.connect(self._failed)
        self._asked, self._job = path, job
        job.start()

    def _arrived(self, found: tuple) -> None:
        path, room, image, scaled = found
        if path != self._asked:
            return
        if image is None:
            self.missed.emit(path)
            return
        self._image = image
        if room != self.contentsRect().size():
            self._fit()       # resized meanwhile
        else:
            with timed("grid show"):
                self.setPixmap(QPixmap.fromImage(scaled))
        self.shown.emit(path)

    def _failed(self, _message: str) -> None:
        self.missed.emit(self._asked)

    def shutdown(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _fit(self) -> None:
        if self._image.isNull():
            return
        with timed("grid scale"):
            self.setPixmap(QPixmap.fromImage(scaled_to(self._image, self.contentsRect().size())))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()
