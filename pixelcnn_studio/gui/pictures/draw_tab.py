"""The Draw tab: a drawing pad that conditions an auto-encoder model live, and Complete for every model
(the rows above the pad's line are kept, the model samples the rest, several completions side by side).

Runs here are ordinary runs (the same worker, canvas and speed as the Sampling tab), so a completion is
animated sub-pixel by sub-pixel like any other.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QButtonGroup, QGridLayout, QHBoxLayout, QPushButton, QSizePolicy, QSpinBox,
                               QToolButton, QVBoxLayout, QWidget)

from ...core.box import DEFAULT_BOX, is_box_model
from ...core.plan import RunPlan
from ...embed.images import ImageInputError
from ...embed.prepare import prepare_picture, preparation_for
from ..common.canvas import SampleCanvas
from .drawing_pad import DrawingPad
from ..common.jobs import FunctionJob
from ..common.pictures import crisp_pixmap
from ..common.session import SamplingSession
from ..common.plain import plain_label

LIVE_DELAY_MS = 350          # a drawing conditions the model once the pen has rested this long
DEFAULT_COMPLETIONS = 4
MAX_PEN = 6                  # model pixels: wider than MNIST's strokes already (about 2)
MAX_COMPLETIONS = 8
EMPTY_PAD = "The pad is empty: draw something first, or put a sample on it (From sample)."


def completion_plan(picture: np.ndarray, keep_rows: int, n: int, *, class_id: int | None = None,
                    embedding=None, box=None, seed: int = 0, temperature: float = 1.0) -> RunPlan:
    """n completions of a model-sized uint8 (C, H, W) picture: its first `keep_rows` rows are kept."""
    c, h, w = picture.shape
    prefix = np.ascontiguousarray(np.broadcast_to(picture, (n, c, h, w)))
    if embedding is not None:
        embedding = np.broadcast_to(np.asarray(embedding, np.float32).reshape(1, -1), (n, np.size(embedding))).copy()
    return RunPlan(n=n, class_ids=None if class_id is None else (int(class_id),) * n, embedding=embedding,
                   box=None if box is None else tuple(box), seed=seed, temperature=temperature, prefix=prefix, prefix_pixels=int(keep_rows) * w, columns=n)


class DrawTab(QWidget):
    message = Signal(str)
    embedding_drawn = Signal(object)         # float32 code of the drawing (auto-encoder models)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.loaded = None
        self.preparation = None
        self.embedder = None                 # an auto-encoder's own encoder: drawings condition it live
        self.class_id: int | None = None
        self.options = {"seed": 0, "temperature": 1.0}
        self.code = None
        self.session = SamplingSession(self)
        self.session.frame_changed.connect(self._on_frame)
        self.session.failed.connect(lambda text: self.message.emit(f"Completion failed: {text}"))
        self._job = None
        self._live = QTimer(self, singleShot=True, interval=LIVE_DELAY_MS)
        self._live.timeout.connect(self.refresh)
        self._build()

    def _build(self) -> None:
        self.pad = DrawingPad()
        self.pen, self.eraser = QToolButton(text="Pen", checkable=True, checked=True), QToolButton(text="Eraser",
                                                                                                  checkable=True)
        self.pen.setToolTip("Draw (P)")
        self.eraser.setToolTip("Erase (E)")
        # One of the two is always the tool in use, shown pressed (the style colours a checked tool button).
        self.tools = QButtonGroup(self)
        self.tools.setExclusive(True)
        for button in (self.pen, self.eraser):
            self.tools.addButton(button)
        self.size = QSpinBox(minimum=1, maximum=MAX_PEN, value=2, suffix=" px")
        self.size.setToolTip("Pen and eraser width, in the model's pixels ([ thinner, ] thicker)")
        self.undo, self.clear = QPushButton("Undo"), QPushButton("Clear")
        self.undo.setToolTip("Take back the last stroke (Ctrl+Z)")
        self.clear.setToolTip("Clear the pad (Delete); Undo brings it back")
        self.from_sample = QPushButton("From sample")
        self.from_sample.setToolTip("Put the sample selected in the Sampling tab on the pad")
        # Two rows of tools: in presentation mode's large type one row would set the window's minimum width.
        tools = QGridLayout()
        for column, w in enumerate((self.pen, self.eraser, self.size)):
            tools.addWidget(w, 0, column)
        for column, w in enumerate((self.undo, self.clear, self.from_sample)):
            tools.addWidget(w, 1, column)
        tools.setColumnStretch(3, 1)
        left = QVBoxLayout()
        left.addLayout(tools)
        left.addWidget(self.pad, 1)
        self.hint = plain_label("Draw with the mouse, or drop a picture on the pad. Drag the dashed line to choose "
                           "the rows a completion keeps.")
        self.hint.setObjectName("muted")
        self.hint.setWordWrap(True)
        left.addWidget(self.hint)

        self.preview = plain_label()
        self.preview.setFixedSize(112, 112)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview_note = plain_label()
        self.preview_note.setObjectName("muted")
        self.preview_note.setWordWrap(True)
        self.count = QSpinBox(minimum=1, maximum=MAX_COMPLETIONS, value=DEFAULT_COMPLETIONS, prefix="× ")
        self.count.setToolTip("Completions side by side")
        self.complete = QPushButton("Complete")
        self.complete.setObjectName("primary")
        self.complete.setToolTip("Keep the rows above the line and sample the rest (Ctrl+Return)")
        head = QHBoxLayout()
        head.addWidget(self.preview)
        column = QVBoxLayout()
        column.addWidget(plain_label("As the model sees it"))
        column.addWidget(self.preview_note, 1)
        row = QHBoxLayout()
        row.addWidget(self.count)
        row.addWidget(self.complete, 1)
        column.addLayout(row)
        head.addLayout(column, 1)
        self.results = SampleCanvas()
        self.results.setMinimumSize(200, 120)
        right = QVBoxLayout()
        right.addLayout(head)
        right.addWidget(self.results, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(left, 5)
        layout.addLayout(right, 6)
        for w in (self.pad, self.results):
            w.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        self.pen.toggled.connect(lambda on: self._tool(erasing=not on))
        self.eraser.toggled.connect(lambda on: self._tool(erasing=on))
        self.size.valueChanged.connect(lambda v: setattr(self.pad, "pen_size", int(v)))
        self.undo.clicked.connect(self.pad.undo)
        self.clear.clicked.connect(self.pad.clear)
        self.complete.clicked.connect(self.run_completion)
        self.pad.changed.connect(self._live.start)
        self.pad.changed.connect(lambda: self.undo.setEnabled(self.pad.can_undo()))
        self.undo.setEnabled(False)
        self.pad.setAcceptDrops(True)
        # A click on the pad takes the focus from the number boxes, so the tab's keys (P, E, ...) work again.
        self.pad.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFocusProxy(self.pad)
        self.pad.drop_rejected.connect(self.message.emit)

    def set_folded(self, folded: bool) -> None:
        """Presentation mode and Large text: the pad and the completions are the picture; the hint
        folds away, and the tools keep one row (undo, clear and a sample onto the pad stay on
        Ctrl+Z, Delete and the Sampling tab)."""
        self.hint.setVisible(not folded)
        for widget in (self.undo, self.clear, self.from_sample):
            widget.setVisible(not folded)

    def _tool(self, *, erasing: bool) -> None:
        self.pad.erasing = erasing
        (self.eraser if erasing else self.pen).setChecked(True)     # the group unchecks the other

    def use_pen(self) -> None:
        self._tool(erasing=False)

    def use_eraser(self) -> None:
        self._tool(erasing=True)

    def change_size(self, step: int) -> None:
        self.size.setValue(self.size.value() + int(step))

    # -- the model ----------------------------------------------------------------------------------------
    def set_checkpoint(self, loaded) -> None:
        self.session.shutdown()
        self.loaded, self.code, self.embedder = loaded, None, None
        if loaded is None:
            return
        cfg = loaded.config
        self.preparation = preparation_for(loaded)
        if (loaded.embedder or {}).get("name") == "autoencoder":
            from ...embed import embedder_for_checkpoint
            try:
                self.embedder = embedder_for_checkpoint(loaded)
            except Exception as exc:  # noqa: BLE001 - the pad still completes without live conditioning
                self.message.emit(f"The drawing cannot condition this model: {exc}")
        # The drawing stays with the next model ("draw a 7, now ask the Fashion model").
        note = self.pad.configure(cfg.channels, cfg.height, cfg.width,
                                  dark_paper=self.preparation.dark_background is True, keep=True)
        if note:
            self.message.emit(note)
        self.results.set_layout(self.count.value(), cfg.channels, cfg.height, cfg.width, columns=self.count.value(),
                                levels=cfg.levels)
        self.results.set_hint("Complete: the rows above the line are kept, the rest sampled")
        live = " Your drawing conditions the model as you draw." if self.embedder is not None else ""
        self.hint.setText("Draw with the mouse, or drop a picture on the pad. Drag the dashed line to choose the rows "
                          f"a completion keeps.{live}")
        self.refresh()

    def set_run_options(self, *, class_id: int | None, seed: int, temperature: float, speed, embedding=None) -> None:
        """What the Sampling tab would use: completions follow the same class, seed, temperature and speed."""
        self.class_id, self.options = class_id, {"seed": seed, "temperature": temperature}
        self.state_embedding = embedding
        self.session.set_speed(speed)

    # -- pictures onto the pad ----------------------------------------------------------------------------
    def put_sample(self, image: np.ndarray) -> None:
        self.pad.set_model_picture(image)

    def put_stored(self, picture: np.ndarray) -> None:
        """A picture kept with a scene onto the pad, made fit for this model if it was drawn for another."""
        pad = self.pad
        if picture.shape != (pad.channels, pad.height_px, pad.width_px):
            from .drawing_pad import carried_over
            picture = carried_over(picture, pad.channels, pad.height_px, pad.width_px, invert=False)
            self.message.emit("The scene's drawing was rescaled for this model.")
        pad.set_model_picture(picture)

    def put_picture(self, source) -> None:
        """A picture prepared for the model (off the GUI thread: a photo may be large) onto the pad."""
        if self.loaded is None:
            return
        preparation = self.preparation
        job = FunctionJob(lambda _job: prepare_picture(source, preparation), "preparing a picture", self)
        job.done.connect(lambda prepared: self._picture_ready(job, prepared))
        job.failed.connect(lambda text: self.message.emit(text))
        self._job = job
        job.start()

    def _picture_ready(self, job, prepared) -> None:
        if job is self._job and prepared.array.shape[0] == self.pad.channels:
            self.pad.set_model_picture(prepared.array)
            self.message.emit(prepared.note)

    # -- live conditioning and the preview ---------------------------------------------------------------
    def refresh(self) -> None:
        """Show the drawing as the model sees it; an auto-encoder is conditioned on it and samples it."""
        if self.loaded is None:
            return
        if self.embedder is not None:
            try:
                prepared = self.embedder.prepared(self.pad.picture())
            except ImageInputError as exc:
                self.message.emit(str(exc))
                return
            view, note = prepared.array, prepared.note
            if not self.pad.is_blank():
                self.code = self.embedder.encode(self.embedder.input_of(prepared))
                self.embedding_drawn.emit(self.code)
                self.run_live()
        else:
            view, note = self.pad.model_view(), "the pad at the model's size"
        self.preview.setPixmap(crisp_pixmap(view, 112))
        self.preview_note.setText(note)

    def run_live(self) -> None:
        """An auto-encoder's samples conditioned on the drawing: nothing kept, everything sampled."""
        c, h, w = self.pad.channels, self.pad.height_px, self.pad.width_px
        self._start(completion_plan(np.zeros((c, h, w), np.uint8), 0, self.count.value(), embedding=self.code,
                                    **self.options))

    def run_completion(self) -> None:
        if self.loaded is None:
            self.message.emit("Open a model first.")
            return
        if self.pad.is_blank():
            self.message.emit(EMPTY_PAD)
            self.results.set_hint("The pad is empty: nothing to complete")
            return
        cfg = self.loaded.config
        embedding = None
        box = None
        if is_box_model(cfg, self.loaded.embedder):
            box = DEFAULT_BOX           # completing a drawing: the garment in the middle of the canvas
        elif cfg.embedding_dim:
            embedding = self.code if self.code is not None else getattr(self, "state_embedding", None)
            if embedding is None:
                embedding = np.zeros(cfg.embedding_dim, np.float32)
        class_id = self.class_id if cfg.num_classes else None
        self._start(completion_plan(self.pad.model_view(), self.pad.keep_rows, self.count.value(),
                                    class_id=class_id, embedding=embedding, box=box, **self.options))

    def _start(self, plan: RunPlan) -> None:
        cfg = self.loaded.config
        self.results.set_layout(plan.n, cfg.channels, cfg.height, cfg.width, columns=plan.n, levels=cfg.levels)
        self.results.set_hint("")
        self.session.start(self.loaded.model, plan)

    def _on_frame(self, frame) -> None:
        highlight = frame.step_index if frame.state != "done" else -1
        self.results.set_frame(frame.image, frame.done_steps, highlight)

    @property
    def plan(self) -> RunPlan | None:
        return self.session.plan

    def shutdown(self) -> None:
        self._live.stop()
        self.session.shutdown()
        if self._job is not None:
            self._job.cancel()
