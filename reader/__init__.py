"""Paper Reader: an offline desktop reader for research papers."""

from importlib.metadata import PackageNotFoundError, version

# The one version source is pyproject.toml; installs, editable installs and the PyInstaller
# bundle (which copies the package metadata) all carry it.
try:
    __version__ = version("paper-reader")
except PackageNotFoundError:  # a bare checkout on sys.path, never installed
    __version__ = "0+unknown"
