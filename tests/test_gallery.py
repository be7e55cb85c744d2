"""Galleries of training images that cover every class, so "nearest training images" and the
Interpolation tab's defaults are not all one digit."""
import numpy as np
import pytest
import torch

from pixelcnn_studio import load_checkpoint
from pixelcnn_studio.embed import embedder_for_checkpoint
from pixelcnn_studio.embed.gallery import gallery_of, stratified_indices
from pixelcnn_studio.paths import bundled_model


def test_stratified_indices_take_every_class_in_turn():
    labels = np.repeat(np.arange(4), [50, 3, 20, 30])          # class-ordered, one class nearly empty
    chosen = stratified_indices(labels, 20, seed=1)
    assert len(chosen) == len(set(chosen)) == 20
    assert sorted(labels[chosen[:4]]) == [0, 1, 2, 3]           # any prefix spans the classes
    counts = np.bincount(labels[chosen], minlength=4)
    assert counts[1] == 3 and counts.min() >= 3 and counts.max() - sorted(counts)[1] <= 1
    assert stratified_indices(labels, 20, seed=1) == chosen     # seeded
    assert stratified_indices(None, 5) == [0, 1, 2, 3, 4]


def test_the_bundled_autoencoder_gallery_holds_every_digit():
    path = bundled_model("mnist-autoencoder")
    if path is None:
        pytest.skip("the auto-encoder model is not bundled here")
    loaded = load_checkpoint(path)
    images, codes = gallery_of(loaded.metadata)
    labels = torch.as_tensor(loaded.metadata["gallery"]["labels"])
    assert len(labels) == len(images) == len(codes)
    assert torch.bincount(labels, minlength=10).min() >= 20       # every digit, evenly
    assert labels[0] != labels[1]                                 # the Interpolation tab starts from two digits
    # The codes are the stored encoder's codes of those images.
    embedder = embedder_for_checkpoint(loaded)
    with torch.no_grad():
        again = embedder.encoder(torch.from_numpy(images[:8])).numpy()
    np.testing.assert_allclose(again, codes[:8], atol=1e-4)
