import os

# Qt aborts without a display unless told to draw offscreen; set it before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PIXELCNN_STUDIO_SETTINGS", "test")

import pytest  # noqa: E402
import torch  # noqa: E402

# Sampling runs many tiny steps: one thread is fastest, and more threads spinning against a
# busy machine (CI, a training run) slow every step by orders of magnitude.
torch.set_num_threads(1)


@pytest.fixture
def tiny_config():
    from pixelcnn_studio import ModelConfig
    return ModelConfig(image_size=(5, 6), channels=1, hidden=8, layers=3, kernel_size=3)
