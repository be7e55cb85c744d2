"""Device menu: where the app samples (CPU, a CUDA GPU, Apple's MPS) and with how many threads.

Every device torch knows of is listed; those missing on this machine are shown greyed out, so a
user can see what the app could use. The loaded checkpoint itself stays on the CPU (the receptive
fields, portraits and interpolation use it there); a run gets a copy on the chosen device, made
once per checkpoint and device.
"""
from __future__ import annotations

import copy

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from ...core import devices
from ...errors import UserError

KNOWN = ("cpu", "cuda", "mps")


class DeviceMenu(QMenu):
    def __init__(self, window):
        super().__init__("&Device", window)
        self.window = window
        self.threads: int | None = None          # --threads; None: chosen per run
        self._device = devices.resolve_device("auto")
        self._copies: dict = {}                  # (id of checkpoint, device) -> (checkpoint, model)
        self._group = QActionGroup(self)
        self.actions_by_device: dict[str, QAction] = {}
        present = devices.available_devices()
        for name in present + [d for d in KNOWN if d not in present]:
            available = name in present
            label = devices.describe_device(name) if available else f"{name}: not available here"
            action = self.addAction(label)
            action.setCheckable(True)
            action.setEnabled(available)
            action.triggered.connect(lambda _=False, n=name: self.choose(n))
            self._group.addAction(action)
            self.actions_by_device[name] = action
        self._check()

    @property
    def device(self):
        return self._device

    def choose(self, spec: str) -> None:
        """Sample on `spec` (auto, cpu, cuda, cuda:N, mps) from the next run; a run under way restarts."""
        try:
            device = devices.resolve_device(spec)
        except UserError as exc:
            self.window.show_error(f"{exc}. Sampling stays on {self._device}.")
            return
        changed = device != self._device
        self._device = device
        self._check()
        self.window.statusBar().showMessage(f"Sampling on {devices.describe_device(str(device))}", 5000)
        if changed and self.window.session.active:
            self.window.restart()

    def _check(self) -> None:
        name = str(self._device) if str(self._device) in self.actions_by_device else self._device.type
        for key, action in self.actions_by_device.items():
            action.setChecked(key == name)

    def model_for(self, loaded, batch: int):
        """The checkpoint's model on the chosen device, with the thread count for this run."""
        devices.set_threads(self.threads if self.threads is not None else
                            devices.sampling_threads(loaded.config, batch, keep_one_free=True))
        if self._device.type == "cpu":
            return loaded.model
        key = (id(loaded), str(self._device))
        if key not in self._copies or self._copies[key][0] is not loaded:
            # One copy per device and checkpoint; an older checkpoint's copies are dropped.
            self._copies = {k: v for k, v in self._copies.items() if v[0] is loaded}
            self._copies[key] = (loaded, copy.deepcopy(loaded.model).to(self._device).eval())
        return self._copies[key][1]


def attach_device_menu(window) -> DeviceMenu:
    """The Device menu, placed before Help."""
    menu = DeviceMenu(window)
    bar = window.menuBar()
    if bar.actions():
        bar.insertMenu(bar.actions()[-1], menu)
    else:
        bar.addMenu(menu)
    return menu
