"""Renders the app icon (resources/icons/paper-reader.svg) to the PNG sizes and icon files
that desktops and installers want: PNGs for hicolor, an .iconset for macOS's iconutil and,
on Windows, a multi-size .ico (Pillow).

    python packaging/make_icons.py OUT_DIR
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "paper-reader.svg"


def render_pngs(out: Path) -> dict[int, Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: cannot render {SVG}")
    pngs = {}
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        pngs[size] = out / f"paper-reader-{size}.png"
        if not image.save(str(pngs[size])):
            raise SystemExit(f"make_icons: cannot write {pngs[size]}")
    return pngs


def write_iconset(pngs: dict[int, Path], iconset: Path) -> None:
    """The folder layout ``iconutil -c icns`` expects."""
    iconset.mkdir(exist_ok=True)
    for size in (16, 32, 128, 256, 512):
        (iconset / f"icon_{size}x{size}.png").write_bytes(pngs[size].read_bytes())
        if size * 2 in pngs:
            (iconset / f"icon_{size}x{size}@2x.png").write_bytes(pngs[size * 2].read_bytes())


def write_ico(pngs: dict[int, Path], ico: Path) -> None:
    from PIL import Image

    sizes = [(s, s) for s in (16, 24, 32, 48, 64, 128, 256)]
    Image.open(pngs[256]).save(ico, sizes=sizes)


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    pngs = render_pngs(out)
    write_iconset(pngs, out / "paper-reader.iconset")
    if sys.platform == "win32":
        write_ico(pngs, out / "paper-reader.ico")


if __name__ == "__main__":
    main()
