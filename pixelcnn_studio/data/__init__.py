"""Datasets for training and evaluating PixelCNNs: torch, NumPy and Pillow only, never Qt.

    from pixelcnn_studio.data import load_dataset
    train = load_dataset("fashion-mnist", "train")
    images, labels = train.images, train.labels      # uint8 (N, C, H, W), int64 (N,)
"""

from .base import DatasetError, ImageDataset
from .registry import available_datasets, dataset_catalog, load_dataset, parse_spec
from .store import data_root

__all__ = [
    "DatasetError",
    "ImageDataset",
    "available_datasets",
    "data_root",
    "dataset_catalog",
    "load_dataset",
    "parse_spec",
]
