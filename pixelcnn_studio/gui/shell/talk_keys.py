"""Keys for what a talk does on stage without the mouse: resample from the timeline's step, generate the
interpolation, the exact or effective field, a warmer or colder temperature, the next or previous
bundled model. Each has its place in a menu and its line in the shortcuts sheet."""
from __future__ import annotations

from pathlib import Path

from ...paths import bundled_models
from .keys import is_text_field
from .menus import insert_after, window_action

TEMPERATURE_STEP = 0.1

# (name, menu text, key, the action after which it is placed in the menus)
TALK_KEYS = (
    ("resample_here", "Resample from &here (new seed, the same past)", "Shift+R", "new_seed"),
    ("temperature_up", "&Warmer (temperature + 0.1)", "+", "resample_here"),
    ("temperature_down", "&Colder (temperature − 0.1)", "-", "temperature_up"),
    ("next_model", "Ne&xt bundled model", "M", "temperature_down"),
    ("previous_model", "Pre&vious bundled model", "Shift+M", "next_model"),
    ("field_mode", "Exact or effective &field (Receptive fields)", "X", "stage_view"),
    ("generate_interpolation", "&Generate the interpolation", "G", "field_mode"),
)


class TalkKeys:
    def __init__(self, window):
        self.window = window
        slots = {"resample_here": self.resample_here, "temperature_up": lambda: self.nudge_temperature(1),
                 "temperature_down": lambda: self.nudge_temperature(-1), "next_model": lambda: self.switch_model(1),
                 "previous_model": lambda: self.switch_model(-1), "field_mode": self.toggle_field_mode,
                 "generate_interpolation": self.generate}
        for name, text, key, after in TALK_KEYS:
            action = window_action(window, text, self._guarded(slots[name]), key)
            insert_after(window, action, after)
            window.actions_by_name[name] = action
        # "=" is "+" without Shift on many keyboards: both warm the samples.
        up = window.actions_by_name["temperature_up"]
        up.setShortcuts([up.shortcut(), "="])

    def _guarded(self, slot):
        """A single key does nothing while a text or number field has the focus (the field's key)."""
        def fire(_checked=False):
            if not is_text_field(self.window.focusWidget()):
                slot()
        return fire

    def _say(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 4000)

    def resample_here(self) -> None:
        """Resample from the timeline's step: where it was scrubbed to, or the live end."""
        w = self.window
        if w.session.frame is None or not w.timeline.resample.isEnabled():
            self._say("Sample a few steps first: Resample keeps the steps before the timeline's handle.")
            return
        w.resample_from(w.timeline.value)

    def nudge_temperature(self, direction: int) -> None:
        state = self.window.state
        state.update(temperature=round(state.temperature + direction * TEMPERATURE_STEP, 2))
        self._say(f"Temperature {state.temperature:.2f}")

    def switch_model(self, direction: int) -> None:
        models = bundled_models()
        if not models:
            self._say("There are no bundled models.")
            return
        current = Path(self.window.model_path).resolve() if self.window.model_path else None
        paths = [Path(p).resolve() for p in models]
        index = paths.index(current) if current in paths else (-1 if direction > 0 else 0)
        target = models[(index + direction) % len(models)]
        self._say(f"Opening {Path(target).stem}…")
        self.window.open_checkpoint(str(target))

    def toggle_field_mode(self) -> None:
        w = self.window
        if w.tabs.currentIndex() != 1 or w.explorer is None:
            self._say("X switches the exact and the effective field on the Receptive fields tab (F3).")
            return
        explorer = w.explorer
        wanted = "effective" if explorer.mode == "exact" else "exact"
        explorer.set_mode(wanted)
        if explorer.mode != wanted:
            self._say("The effective field needs a trained model: open a checkpoint first.")

    def generate(self) -> None:
        w = self.window
        panel = w.portraits.interpolation
        if w.tabs.currentWidget() is not w.portraits.interpolation_page:
            self._say("G generates on the Interpolation tab (F4).")
        elif not panel.generate.isEnabled():
            self._say(panel.generate.toolTip())
        else:
            panel.generate.click()
