"""Finds bundled files (sample library, icons) in a checkout, a wheel or a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # reader/


def resources_dir() -> Path:
    candidates = [
        Path(getattr(sys, "_MEIPASS", "")) / "resources" if hasattr(sys, "_MEIPASS") else None,
        _PACKAGE / "resources",  # installed wheel (force-included)
        _PACKAGE.parent / "resources",  # source checkout / editable install
    ]
    for candidate in candidates:
        if candidate is not None and candidate.is_dir():
            return candidate
    raise FileNotFoundError("Paper Reader's resources folder is missing from this installation")


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def sample_library_files() -> list[Path]:
    """The bundled sample: real Hugging Face Daily Papers pages."""
    return sorted(resource("sample").glob("*.txt"))
