"""Paper Reader: an offline desktop reader for research papers."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("paper-reader")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0+source"
