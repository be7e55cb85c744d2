"""Saving the explorer's view: the picture on show as a PNG, the growth over layers as a GIF."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog

from ...render.field_picture import save_field_png, save_growth_gif


class FieldExports:
    """Mixed into ReceptiveFieldExplorer (which has picture(), _config, _variant, _status)."""

    def export_png(self, path) -> np.ndarray | None:
        """Write the picture now on show, with caption and legend; returns the RGB array written,
        or None (nothing written) while the field on show is still being computed."""
        picture = self.picture()
        if picture is None or (not picture.fields and picture.heat is None):
            self._status.setText("Still computing this field: save again in a moment.")
            return None
        rgb = save_field_png(path, picture)
        self._status.setText(f"Saved {path}")
        return rgb

    def export_gif(self, path) -> bool:
        """Write the growth over layers 1..L, one frame each; False (and written later) while
        some layer is still being computed."""
        pictures = [self.picture(layer, exact=True) for layer in range(1, self._config.layers + 1)]
        if any(p.fields == {} for p in pictures):
            self._pending_gif = path
            self._status.setText("The GIF is written as soon as every layer is computed.")
            return False
        save_growth_gif(path, pictures)
        self._status.setText(f"Saved {path}")
        return True

    def _ask_and_export(self, kind: str) -> None:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        name = f"receptive-field-{self._variant}.{kind}"
        path, _ = QFileDialog.getSaveFileName(self, f"Save {kind.upper()}", f"{folder}/{name}",
                                              "PNG image (*.png)" if kind == "png" else "GIF animation (*.gif)")
        if not path:
            return
        try:
            if kind == "png":
                self.export_png(path)
            else:
                self.export_gif(path)
        except OSError as exc:
            self._status.setText(f"Could not save {path}: {exc.strerror or exc}")
