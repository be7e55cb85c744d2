"""Galleries of training images that cover every class, so "nearest training images" and the
Interpolation tab's defaults are not all one digit."""
import numpy as np

from pixelcnn_studio.embed.gallery import stratified_indices


def test_stratified_indices_take_every_class_in_turn():
    labels = np.repeat(np.arange(4), [50, 3, 20, 30])          # class-ordered, one class nearly empty
    chosen = stratified_indices(labels, 20, seed=1)
    assert len(chosen) == len(set(chosen)) == 20
    assert sorted(labels[chosen[:4]]) == [0, 1, 2, 3]           # any prefix spans the classes
    counts = np.bincount(labels[chosen], minlength=4)
    assert counts[1] == 3 and counts.min() >= 3 and counts.max() - sorted(counts)[1] <= 1
    assert stratified_indices(labels, 20, seed=1) == chosen     # seeded
    assert stratified_indices(None, 5) == [0, 1, 2, 3, 4]
