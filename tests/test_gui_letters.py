"""The Sampling tab writes a typed word with a letters model: every character at once, in order."""
import string

import numpy as np
import torch
from PySide6.QtCore import Qt

from pixelcnn_studio import ModelConfig, build_model, sample, save_checkpoint

CHARACTERS = list(string.ascii_uppercase + string.ascii_lowercase + string.digits)


def letters_model(path):
    torch.manual_seed(0)
    cfg = ModelConfig(image_size=(4, 5), hidden=4, layers=1, kernel_size=3, num_classes=len(CHARACTERS))
    save_checkpoint(path, build_model(cfg), class_names=CHARACTERS, dataset={"name": "letters"})
    return path


def test_enter_writes_the_typed_word(open_window, qtbot, tmp_path):
    window = open_window(letters_model(tmp_path / "letters.pt"))
    field = window.conditioning.text
    assert field.isVisibleTo(window)
    window.controls.seed.setValue(4)
    qtbot.keyClicks(field, "Hi 7")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.session.state == "done", timeout=10000)
    ids = torch.tensor([CHARACTERS.index(c) for c in "Hi7"])
    expected = sample(window.loaded.model, 3, class_ids=ids, seed=4)
    np.testing.assert_array_equal(window.session.frame.image, expected.numpy())
    assert "Hi 7" in window.state.describe()
    # Side by side in one row, the space an empty cell: the 7 sits a cell further right than the i.
    geo = window.canvas._geometry()
    rects = [window.canvas._tile_rect(i, geo) for i in range(3)]
    assert geo[0] == 1 and geo[1] == 4 and rects[0].top() == rects[2].top()
    assert abs((rects[2].left() - rects[1].left()) - 2 * (rects[1].left() - rects[0].left())) < 1e-6
    # A character the model cannot draw is named, and no run starts on it.
    field.setText("Hi!")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert window.banner.isVisible() and "'!'" in window.banner.text.text()
    assert window.state.plan().class_ids != tuple(ids.tolist())     # back to the class settings


def test_no_word_field_for_models_whose_classes_are_not_characters(open_window, tmp_path):
    path = tmp_path / "garments.pt"
    save_checkpoint(path, build_model(ModelConfig(image_size=4, hidden=4, layers=1, num_classes=2)),
                    class_names=["T-shirt", "Trouser"])
    window = open_window(path)
    assert not window.conditioning.text.isVisibleTo(window)
