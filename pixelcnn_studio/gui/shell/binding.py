"""The thin Qt side of the app state: one signal per change, and two-way bindings of input widgets.

A bound widget shows the state's value and, when the user changes it, asks the state to change;
it is never read when a run starts. A change made elsewhere (a key, a scene, a test) shows up
in the widget without the widget announcing it back.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from .state import AppState


class StateSignals(QObject):
    """Announces every change of an AppState as `changed(names)` (a set of setting names)."""
    changed = Signal(object)

    def __init__(self, state: AppState, parent=None):
        super().__init__(parent)
        self.state = state
        self._unsubscribe = state.subscribe(self.changed.emit)

    def bind(self, name: str, widget, *, read=None, show=None, signal=None) -> None:
        """Two-way: `widget` shows setting `name`; its `signal` (valueChanged by default) updates it.
        `read(widget)` and `show(widget, value)` convert where the widget's value is not the setting's."""
        read = read or (lambda w: w.value())
        show = show or (lambda w, v: w.setValue(v))
        signal = signal or widget.valueChanged

        def to_widget(names) -> None:
            if name in names:
                widget.blockSignals(True)
                try:
                    show(widget, getattr(self.state, name))
                finally:
                    widget.blockSignals(False)

        signal.connect(lambda *_: self.state.update(**{name: read(widget)}))
        self.changed.connect(to_widget)
        to_widget({name})
