"""The receptive-field explorer's fields: what is cached, what the worker thread is asked for next,
and what comes back (exact fields, effective fields, progress). Mixed into ReceptiveFieldExplorer,
which owns the store, the worker and the view; the view only ever draws what is in the cache.
"""
from __future__ import annotations

from pathlib import Path

from ...core.field_analysis import field_stats, pixel_field
from ...core.receptive import COMBINED
from .lesson import how_to_get
from .worker import EffectiveJob


class FieldResults:
    """Mixed into ReceptiveFieldExplorer (_store, _worker, _effective, panel, _status, _progress)."""

    # -- fields --------------------------------------------------------------------------------
    def fields_at(self, layer, variant=None) -> dict | None:
        """Stack -> bool (C, H, W) at `layer` for the current target, or None if not computed yet."""
        return self._store.fields_at(variant or self._variant, self._target, self._channel, layer)

    def current_field(self):
        """The combined field now on show (bool (C, H, W)), or None while it is computed."""
        fields = self.fields_at(self._layer)
        return None if fields is None else fields[COMBINED]

    @property
    def blind_spot_count(self) -> int:
        field = self.current_field()
        return 0 if field is None else field_stats(pixel_field(field), self._target).blind

    def is_idle(self) -> bool:
        """Nothing left to compute for the current target (tests and exports wait on this)."""
        return self._missing_jobs() == [] and (self._mode == "exact" or self._effective_key() in self._effective)

    def _missing_jobs(self) -> list:
        return self._store.missing(self._variant, self._target, self._channel, self._layer)

    def _effective_key(self):
        return (self._store.generation, self._target, self._channel, id(self._images), self._source())

    def _source(self) -> str:
        if self._images is not None:
            return "supplied"
        return "test" if self._dataset and self.panel.source_combo.currentIndex() == 1 else "sampled"

    def _refresh(self) -> None:
        """Queue what the current view lacks (and what it will likely want next); draw."""
        jobs = self._missing_jobs()
        if self._mode == "effective" and self._model is not None and self._effective_key() not in self._effective:
            jobs.insert(1, EffectiveJob(self._effective_key(), self._model, self._target, self._channel,
                                        self._images, self._labels,
                                        self._dataset if self._source() == "test" else None,
                                        tuple(self._class_names or ()) or None))
        self._worker.submit(jobs)
        self._redraw()

    def _on_field(self, key, field) -> None:
        self._store.add(key, field)
        if self._store.is_current(key, self._target, self._channel):
            self._redraw()
        if self._pending_gif and self.fields_at(None) is not None and all(
                self.fields_at(l) is not None for l in range(1, self._config.layers + 1)):
            path, self._pending_gif = self._pending_gif, None
            self.export_gif(path)

    def _on_effective(self, key, heat, images) -> None:
        self._effective[key] = (heat, len(images))
        self.panel.show_images(images)
        if key == self._effective_key():
            self._redraw()

    def _on_effective_failed(self, key, message) -> None:
        if key != self._effective_key():
            return
        if key[-1] == "test":
            # Test images live on the machine that trained the model; samples always work.
            name = Path(self._dataset.split(":", 1)[-1]).name if ":" in self._dataset else self._dataset
            self._status.setText(f"The test images of {name} are not on this machine, so samples are "
                                 f"used.{how_to_get(message)}")
            self.panel.source_combo.setCurrentIndex(0)
        else:
            self._status.setText(f"Could not compute the effective field: {message}")
            self.set_mode("exact")

    def _on_progress(self, what, done, total) -> None:
        self._progress.setVisible(done < total)
        self.panel.cancel_button.setVisible(done < total)
        self._progress.setRange(0, total)
        self._progress.setValue(done)
        self._progress.setFormat(f"{what}… %p%")

    def _on_busy(self, busy: bool) -> None:
        if not busy:
            self._progress.setVisible(False)
            self.panel.cancel_button.setVisible(False)

    def _cancel_effective(self) -> None:
        self._worker.cancel_queued()
        self.set_mode("exact")
        self._status.setText("Effective field cancelled.")
