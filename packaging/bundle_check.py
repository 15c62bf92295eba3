"""``paper-reader --bundle-check``: checks, inside the frozen app, what PyInstaller's analysis
or the size cuts in build.sh could leave out and the app's own self-test does not touch:

- every ``reader`` module imports (modules imported lazily or by name, e.g. the PDF reader);
- PDFium (pypdfium2 and its libpdfium) opens a PDF, renders a page and extracts its text,
  and Qt takes the rendered pixels as a QImage;
- httpx builds its client (certifi's CA file and the ssl module's OpenSSL) and sends a
  request through a mock transport: no network;
- libsodium (PyNaCl) derives a sync key and seals and opens a file (encrypted sync);
- Qt's trimmed ICU data still collates (German ä before b, Swedish ö after z).

Prints one JSON object; exits 1 if any check failed. Handled by packaging/launcher.py, so it
exists only in the bundle; tests/installer runs it on the installed app.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import traceback
from collections.abc import Callable

PAGE_W, PAGE_H = 200, 100


class CheckFailed(Exception):
    pass


def expect(condition: object, what: object) -> None:
    """``assert`` that holds in an optimised build too."""
    if not condition:
        raise CheckFailed(what)


def tiny_pdf() -> bytes:
    """One 200x100 pt page: a black rectangle over its left half and the word "Offline"."""
    content = b"0 0 100 100 re f BT /F1 18 Tf 110 40 Td (Offline) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>" % (PAGE_W, PAGE_H),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def check_modules() -> dict[str, object]:
    import reader

    names, failed = [], {}
    for module in pkgutil.walk_packages(reader.__path__, "reader."):
        if module.name.endswith(".__main__"):
            continue  # runs the command line
        try:
            importlib.import_module(module.name)
            names.append(module.name)
        except Exception as e:
            failed[module.name] = f"{type(e).__name__}: {e}"
    expect(not failed, failed)
    return {"modules": sorted(["reader", *names])}


def check_pdf() -> dict[str, object]:
    import pypdfium2 as pdfium
    from PySide6.QtGui import QImage

    document = pdfium.PdfDocument(tiny_pdf())
    page = document[0]
    text = page.get_textpage().get_text_range().strip()
    expect(text == "Offline", text)
    bitmap = page.render(scale=2)  # BGRA/BGR by default: what a QImage takes without copying
    width, height = bitmap.width, bitmap.height
    expect((width, height) == (2 * PAGE_W, 2 * PAGE_H), (width, height))
    formats = {3: QImage.Format.Format_BGR888, 4: QImage.Format.Format_ARGB32}
    image = QImage(bitmap.buffer, width, height, bitmap.stride, formats[bitmap.n_channels])
    dark, light = image.pixelColor(50, 100).lightness(), image.pixelColor(390, 190).lightness()
    expect(dark < 40 and light > 215, (dark, light))
    return {"pdfium": pdfium.PDFIUM_INFO.version if hasattr(pdfium, "PDFIUM_INFO") else "?"}


def check_http() -> dict[str, object]:
    import httpx

    with httpx.Client():  # the default client: certifi's CA bundle into an SSL context
        pass
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text=request.url.path))
    with httpx.Client(transport=transport) as client:
        answer = client.get("https://example.invalid/ok").text
    expect(answer == "/ok", answer)
    return {"httpx": httpx.__version__}


def check_sealing() -> dict[str, object]:
    import nacl

    from reader.core.sync.crypto import KeyParams, Sealer

    sealer = Sealer("bundle check", KeyParams.new())
    sealed = sealer.seal(b"offline")
    expect(sealer.open(sealed) == b"offline" and b"offline" not in sealed, "seal round trip")
    return {"pynacl": nacl.__version__}


def check_collation() -> dict[str, object]:
    from PySide6.QtCore import QCollator, QLocale, qInstallMessageHandler

    warnings: list[str] = []
    qInstallMessageHandler(lambda _kind, _context, message: warnings.append(message))
    try:
        german, swedish = QCollator(QLocale("de_DE")), QCollator(QLocale("sv_SE"))
        numeric = QCollator(QLocale("en_US"))
        numeric.setNumericMode(True)
        expect(german.compare("Äpfel", "Birne") < 0, "de: Ä sorts after B")
        expect(swedish.compare("ö", "z") > 0, "sv: ö sorts before z")
        expect(numeric.compare("paper9", "paper10") < 0, "numeric mode is off")
    finally:
        qInstallMessageHandler(None)
    expect(not warnings, warnings)
    return {"collation": "icu"}


CHECKS: dict[str, Callable[[], dict[str, object]]] = {
    "modules": check_modules,
    "pdf": check_pdf,
    "http": check_http,
    "sealing": check_sealing,
    "collation": check_collation,
}


def main() -> int:
    report: dict[str, object] = {"frozen": bool(getattr(sys, "frozen", False))}
    failed = {}
    for name, check in CHECKS.items():
        try:
            report.update(check())
        except Exception:
            failed[name] = traceback.format_exc(limit=3)
    report["failed"] = failed
    print(json.dumps(report))
    return 1 if failed else 0
