"""Packaging beside pyproject.toml (which holds everything else): resources/ and models/ sit at the top of
the repository, and a wheel carries them inside the package as pixelcnn_studio/resources and
pixelcnn_studio/models, where paths.py finds them with importlib.resources from any folder."""
from setuptools import find_namespace_packages, setup

PACKAGE_DATA_FOLDERS = {"pixelcnn_studio.resources": "resources", "pixelcnn_studio.models": "models"}

setup(
    packages=find_namespace_packages(include=["pixelcnn_studio", "pixelcnn_studio.*"]) + list(PACKAGE_DATA_FOLDERS),
    package_dir=PACKAGE_DATA_FOLDERS,
)
