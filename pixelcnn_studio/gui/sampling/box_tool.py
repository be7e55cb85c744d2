"""The box of a box model on the sampling canvas: drag a rectangle and the class is drawn into it.

A box model (location-dependent conditioning, core/box.py) is told *where* as well as *what*. Here the
box is drawn over every tile: a drag on the canvas draws a new box, a drag that starts inside the box
moves it, Ctrl+arrows nudge it by one image pixel and Ctrl+Shift+arrows resize it (the plain arrows step
the run). The box lives in the app state (so it reaches the run's plan, scenes and the headline); a
new box starts the run again, as a new class does. L overlays the location map s = m(h): what the
network is told about where, for the class and box chosen.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPen

from ...core.box import box_pixels, clamp_box, location_map, nudge_box, resize_box

BOX_COLOUR = "#ffb020"          # amber: reads over black garments' background and over white ink
MAP_COLOUR = (255, 80, 200)     # magenta: the location map, apart from the field overlay's teal
MAP_ALPHA = 150
# A drag shorter than this share of a tile is a click: it selects the sample, as on other models.
CLICK_SHARE = 0.02
ARROWS = {"Left": (-1, 0), "Right": (1, 0), "Up": (0, -1), "Down": (0, 1)}


class BoxTool(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window, self.canvas, self.state = window, window.canvas, window.state
        self.preview: tuple | None = None      # the box while a drag is under way
        self._drag = None                      # (mode, sample, start (x, y), box at the start)
        self.show_map = False
        self._map_image: QImage | None = None
        self._map_pixels: np.ndarray | None = None   # keeps the QImage's pixels alive
        self.canvas.installEventFilter(self)
        self.canvas.add_painter(self.paint)
        window.signals.changed.connect(self._state_changed)
        self.actions = []
        self.map_action = None
        self._refresh()

    def add_actions(self, window_action, insert_after) -> None:
        """The box's keys and the map's menu entry, made with the shell's action services: the view
        brings what they do, the shell where they live."""
        window = self.window
        for name, (dx, dy) in ARROWS.items():
            self.actions.append(window_action(window, f"Move the box {name.lower()}",
                                              lambda _=False, x=dx, y=dy: self.move(x, y), f"Ctrl+{name}"))
            self.actions.append(window_action(window, f"Resize the box ({name.lower()})",
                                              lambda _=False, x=dx, y=dy: self.resize(x, y), f"Ctrl+Shift+{name}"))
        self.map_action = window_action(window, "&Location map of the box", self.set_map_shown, "L", checkable=True)
        insert_after(window, self.map_action, "stage_view")
        self._refresh()

    @property
    def active(self) -> bool:
        return self.state.box_model

    @property
    def box(self) -> tuple:
        return self.preview or self.state.box

    def _canvas_size(self) -> tuple[int, int]:
        cfg = self.state.config
        return cfg.height, cfg.width

    # -- changes --------------------------------------------------------------------------------------
    def set_box(self, box) -> None:
        """A new box (fractions); a run under way starts again in it."""
        if self.active:
            self.state.update(box=clamp_box(box, *self._canvas_size()))

    def move(self, dx: int, dy: int) -> None:
        if self.active:
            self.set_box(nudge_box(self.state.box, dx, dy, *self._canvas_size()))

    def resize(self, dx: int, dy: int) -> None:
        if self.active:
            self.set_box(resize_box(self.state.box, dx, dy, *self._canvas_size()))

    def set_map_shown(self, on: bool) -> None:
        self.show_map = bool(on) and self.active
        if self.map_action is not None:
            self.map_action.setChecked(self.show_map)
        self._refresh_map()
        if on and not self.active:
            self.window.statusBar().showMessage("The location map belongs to models conditioned on a box.", 5000)

    def _state_changed(self, names) -> None:
        if "checkpoint" in names:
            self._refresh()
        elif "box" in names:
            self._refresh_map()
            self.window.plan_changed()
        elif "class_index" in names:
            self._refresh_map()

    def _refresh(self) -> None:
        active = self.active
        for action in [*self.actions, self.map_action]:
            if action is not None:
                action.setEnabled(active)
        if not active:
            self.show_map = False
            if self.map_action is not None:
                self.map_action.setChecked(False)
        self.preview, self._drag = None, None
        self._refresh_map()

    def _refresh_map(self) -> None:
        self._map_image = self._map_pixels = None
        if self.show_map and self.active:
            values = location_map(self.state.checkpoint.model, self.state.class_index, self.state.box)
            rgba = np.zeros(values.shape + (4,), dtype=np.uint8)
            rgba[..., :3] = MAP_COLOUR
            rgba[..., 3] = (values * MAP_ALPHA).astype(np.uint8)
            self._map_pixels = np.ascontiguousarray(rgba)
            h, w = values.shape
            self._map_image = QImage(self._map_pixels.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
        self.canvas.update()

    # -- painting ---------------------------------------------------------------------------------------
    def paint(self, p, tiles, scale: float) -> None:
        if not self.active:
            return
        height, width = self._canvas_size()
        left, top, right, bottom = box_pixels(self.box, height, width)
        pen = QPen(QColor(BOX_COLOUR), max(2.0, min(4.0, scale * 0.12)))
        pen.setStyle(Qt.PenStyle.DashLine if self.preview is not None else Qt.PenStyle.SolidLine)
        for tile in tiles:
            if self._map_image is not None:
                p.drawImage(tile, self._map_image)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(tile.left() + left * scale, tile.top() + top * scale,
                              (right - left) * scale, (bottom - top) * scale))

    # -- the mouse --------------------------------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:
        if obj is not self.canvas or not self.active:
            return False
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            hit = self.canvas.image_point(event.position())
            if hit is None:
                return False
            sample, x, y = hit
            x0, y0, x1, y1 = self.state.box
            mode = "move" if x0 <= x <= x1 and y0 <= y <= y1 else "draw"
            self._drag = (mode, sample, (x, y), self.state.box)
            return True
        if kind == QEvent.Type.MouseMove and self._drag is not None:
            self.preview = self._dragged_box(event.position())
            self.canvas.update()
            return True
        if kind == QEvent.Type.MouseButtonRelease and self._drag is not None:
            box = self._dragged_box(event.position())
            (mode, sample, start, _), self._drag, self.preview = self._drag, None, None
            x, y = self.canvas.fraction_at(sample, event.position())
            if abs(x - start[0]) < CLICK_SHARE and abs(y - start[1]) < CLICK_SHARE:
                self.canvas.select_sample(sample)      # a click, not a drag
            else:
                self.set_box(box)
            self.canvas.update()
            return True
        return False

    def _dragged_box(self, pos) -> tuple:
        mode, sample, (sx, sy), start_box = self._drag
        x, y = self.canvas.fraction_at(sample, pos)
        height, width = self._canvas_size()
        if mode == "move":
            return nudge_box(start_box, (x - sx) * width, (y - sy) * height, height, width)
        return clamp_box((sx, sy, x, y), height, width)


def attach_box_tool(window, window_action, insert_after) -> BoxTool:
    tool = BoxTool(window)
    tool.add_actions(window_action, insert_after)
    return tool
