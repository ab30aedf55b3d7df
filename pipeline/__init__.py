"""Lumi: news curation and classification for the open-model AI ecosystem."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lumi")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.1.0"

GENERATOR_NAME = "Lumi"

__all__ = ["GENERATOR_NAME", "__version__"]
