"""Loading checkpoints into the main window: the File menu, drops, bundled and recent models."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from ...paths import bundled_models
from ...core.safe_text import one_line, shown
from ..common import settings
from ..common.worker import UNUSABLE_MARK, CardReader, load_job

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}


class ModelLoading:
    """Mixed into MainWindow. Loading runs as a background job; the current model stays in use
    until the new one has loaded, and a file that fails leaves it untouched."""

    def open_checkpoint(self, path) -> None:
        """Load a checkpoint in the background; the current model stays until the new one is ready."""
        path = str(path)
        if Path(path).suffix.lower() in IMAGE_SUFFIXES:
            self._load_error(path, f"{Path(path).name} is an image, not a model checkpoint: "
                                   "drop or open a .pt file written by PixelCNN Studio.")
            return
        # A newer choice wins: the load under way is cancelled (its result, when it comes, is dropped).
        self.cancel_loading(quiet=True)
        self.statusBar().showMessage(f"Loading {Path(path).name}… (Esc cancels)")
        if self.loaded is None:
            self.canvas.clear(f"Loading {Path(path).name}…")
        job = self.loader = load_job(path)
        job.done.connect(self._on_loaded)
        job.failed.connect(lambda message, p=path: self._load_error(p, message))
        job.finished.connect(lambda j=job: self._loader_done(j))
        job.start()

    def cancel_loading(self, quiet: bool = False) -> bool:
        """Stop waiting for the checkpoint being loaded; the current model stays. True if one was."""
        job, self.loader = self.loader, None
        if job is None:
            return False
        job.cancel()
        if not quiet:
            self.statusBar().showMessage(f"Stopped loading {Path(job.path).name}.", 5000)
            self._show_empty()
        return True

    def adopt_checkpoint(self, path: str, loaded, error: str = "") -> None:
        """Take what loading `path` gave before the window existed (at start-up): a checkpoint or an error."""
        if loaded is not None:
            self._on_loaded(loaded)
        else:
            self._load_error(path, error)

    def browse_checkpoint(self) -> None:
        folder = settings.get("models/folder", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", folder, "PixelCNN checkpoints (*.pt);;All files (*)")
        if path:
            settings.put("models/folder", str(Path(path).parent))
            self.open_checkpoint(path)

    def _loader_done(self, job) -> None:
        if job is not self.loader:
            return                       # a cancelled load ending late
        self.loader = None
        if self.loaded is None:
            self._show_empty()

    def _on_loaded(self, loaded) -> None:
        self.session.shutdown()
        self.model_path = settings.safe_resolve(loaded.path)
        self.state.set_checkpoint(loaded)
        self.conditioning.set_model(loaded.config, loaded.class_names, loaded.embedder,
                                    keys=[self.state.key_for_class(i) for i in range(self.state.num_classes)])
        self.restore_class()
        self.banner.hide()
        settings.put("models/last", self.model_path)
        settings.add_recent(self.model_path)
        self.refresh_model_list()
        self.models.show_card(loaded)
        self.distribution.set_levels(loaded.config.levels)
        self.stage_distribution.set_levels(loaded.config.levels)
        if self.explorer is not None:
            self.explorer.set_checkpoint(loaded)
        self._update_title()
        self.prepare_canvas()
        self.statusBar().showMessage(f"Loaded {Path(loaded.path).name}", 5000)
        self.model_loaded.emit(loaded.path)

    def _load_error(self, path: str, message: str) -> None:
        keep = f" {shown(Path(self.loaded.path).name, 60)} stays loaded." if self.loaded is not None else ""
        # The loader's message starts with the path, which the banner already names.
        reason = message[len(path) + 2:] if message.startswith(f"{path}: ") else message
        # One full stop after the reason (which may end in one, or hold ranges such as "1..4,096").
        self.show_error(f"Could not open {shown(Path(path).name, 60)}: {one_line(reason, 300).rstrip('.')}.{keep}")
        # A listed (recent) model that no longer loads says so under its name, also after the list
        # is refreshed (the card reader reads structure only, and would not see, say, NaN weights).
        mark = f"{UNUSABLE_MARK} cannot be opened: {shown(reason, 70)}"
        cache = self.__dict__.setdefault("_card_cache", {})
        for listed in {path, settings.safe_resolve(path)}:
            self.models.set_summary(listed, mark)
            try:
                cache[(listed, Path(listed).stat().st_mtime)] = mark
            except OSError:
                pass
        if self.loaded is None:
            self._show_empty()
        self.load_failed.emit(path, message)

    def show_error(self, text: str) -> None:
        self.banner.show_message(text, "error")
        self.statusBar().showMessage(text, 10000)

    def refresh_model_list(self) -> None:
        self.models.populate(bundled_models(), settings.recent_files(), self.model_path)
        if hasattr(self, "recent_menu"):
            self.recent_menu.refresh()
        self._read_cards()

    def _read_cards(self) -> None:
        """Summaries under the listed models: cached by file and modification time, read on a thread."""
        cache = self.__dict__.setdefault("_card_cache", {})
        missing = []
        for path in self.models.listed_paths():
            try:
                key = (path, Path(path).stat().st_mtime)
            except OSError as exc:
                self.models.set_summary(path, f"{UNUSABLE_MARK} cannot be opened: {shown(exc.strerror or exc, 70)}")
                continue
            if key in cache:
                self.models.set_summary(path, cache[key])
            else:
                missing.append(path)
        if not missing:
            return
        self.stop_card_reader()
        reader = self.card_reader = CardReader(missing)

        def store(path, text):
            try:
                cache[(path, Path(path).stat().st_mtime)] = text
            except OSError:
                pass
            self.models.set_summary(path, text)
        reader.card_ready.connect(store)
        reader.start()

    def stop_card_reader(self) -> None:
        reader, self.card_reader = getattr(self, "card_reader", None), None
        if reader is not None:
            reader.card_ready.disconnect()
            reader.cancel()

    def _show_empty(self) -> None:
        if self.loaded is None and self.loader is None:
            bundled = bundled_models()
            self.canvas.clear("No model loaded.\n\n" + ("Pick one on the left, " if bundled else
                              "There are no bundled models yet. ") +
                              "Use File → Open checkpoint… (Ctrl+O), or drop a .pt file here.")
            self.refresh_model_list()

    def _update_title(self) -> None:
        name = shown(Path(self.loaded.path).name, 60) if self.loaded is not None else "no model"
        self.setWindowTitle(f"{name} — PixelCNN Studio")

    # -- drag and drop ----------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_checkpoint(files[0])
