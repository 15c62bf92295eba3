"""Paper Reader: an offline desktop reader for research papers."""

# The one source of the version: pyproject.toml reads it from here (hatch's version path),
# so the CLI needs no importlib.metadata lookup to answer --version.
__version__ = "0.1.0"
