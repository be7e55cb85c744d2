import gc
import os

# Qt aborts without a display unless told to draw offscreen; set it before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PIXELCNN_STUDIO_SETTINGS", "test")

import pytest  # noqa: E402
import torch  # noqa: E402

# Sampling runs many tiny steps: one thread is fastest, and more threads spinning against a
# busy machine (CI, a training run) slow every step by orders of magnitude.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def embeddings_cache(tmp_path, monkeypatch):
    """Face embeddings computed by a test go to its own folder, never the user's cache."""
    from pixelcnn_studio.train import embeddings
    folder = tmp_path / "embeddings-cache"
    monkeypatch.setattr(embeddings, "default_cache_dir", lambda: folder)
    return folder


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    """An empty bundled-models folder, so tests never depend on what training has produced."""
    folder = tmp_path / "bundled"
    folder.mkdir()
    monkeypatch.setenv("PIXELCNN_STUDIO_MODELS", str(folder))
    return folder


@pytest.fixture
def open_window(qtbot, models_dir):
    """create_window(path), waiting until the model is loaded; every window is closed afterwards."""
    from pixelcnn_studio.gui.common import settings
    from pixelcnn_studio.gui.app import create_window
    settings.settings().clear()        # each test starts from a fresh install's settings
    threads = torch.get_num_threads()
    windows = []

    def make(path):
        window = create_window(path)
        qtbot.addWidget(window)
        windows.append(window)
        if path is not None:
            qtbot.waitUntil(lambda: window.loaded is not None or window.banner.isVisible(), timeout=10000)
        window.controls.set_speed_value(None)
        return window

    yield make
    for window in windows:
        window.close()
    settings.settings().clear()        # and leaves none behind for the tests after it
    gc.unfreeze()                      # the window froze the heap: what it leaves may be collected again
    torch.set_num_threads(threads)
