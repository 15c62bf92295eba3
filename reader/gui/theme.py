"""Light, dark and system themes (Fusion palettes) and the text size."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

STYLE_SHEET = """
QLabel#placeholder { color: palette(mid); padding: 12px; }
QLabel#searchStatus { color: palette(mid); padding: 0 8px; }
QTableView { gridline-color: transparent; }
"""


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(30, 31, 34), QColor(43, 45, 48), QColor(223, 225, 229)
    for role, color in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, QColor(38, 39, 43)),
        (QPalette.ColorRole.ToolTipBase, window),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, window),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.BrightText, QColor(255, 100, 100)),
        (QPalette.ColorRole.Link, QColor(110, 168, 254)),
        (QPalette.ColorRole.Highlight, QColor(53, 116, 240)),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
        (QPalette.ColorRole.Mid, QColor(140, 143, 150)),
        (QPalette.ColorRole.PlaceholderText, QColor(140, 143, 150)),
    ):
        p.setColor(role, color)
    return p


def _light_palette() -> QPalette:
    p = QApplication.style().standardPalette()
    p.setColor(QPalette.ColorRole.Mid, QColor(120, 120, 120))
    return p


def apply_theme(theme: str, font_size: int = 0) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setStyle("Fusion")
    if theme == "dark":
        app.setPalette(_dark_palette())
    elif theme == "light":
        app.setPalette(_light_palette())
    else:
        app.setPalette(app.style().standardPalette())
    if font_size:
        font = QFont(app.font())
        font.setPointSize(font_size)
        app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)


def current_font_size() -> int:
    return QApplication.font().pointSize()
