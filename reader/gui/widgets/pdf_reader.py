"""The in-app PDF reader: a page at a time, rendered by PDFium (pypdfium2) off the GUI thread,
with zoom and fit width, text search with every hit highlighted, and selection copy.

PDFium is not thread-safe, so every PDFium call of every open reader runs on one shared worker
thread (``_PdfWorker``); the widget only sends it requests and paints the images it returns.
Renders answer only the newest request (turning pages fast skips the pages in between).
"""

from __future__ import annotations

import atexit
from pathlib import Path

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QThread, QUrl, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QGuiApplication,
    QImage,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

Box = tuple[float, float, float, float]  # PDF points: left, bottom, right, top
MIN_ZOOM, MAX_ZOOM, ZOOM_STEP = 0.25, 6.0, 1.25
MAX_HITS = 2000  # a search stops listing hits here (a one-letter search in a long paper)


class _PdfWorker(QObject):
    """Owns the open documents; runs on its own thread. Requests carry the reader's key."""

    opened = Signal(object, int, object, str)  # key, pages, [(w, h) per page], error
    rendered = Signal(object, int, int, float, QImage)  # key, serial, page, scale, image
    found = Signal(object, int, object)  # key, serial, [(page, [Box])]
    text = Signal(object, str)  # key, the selected text

    def __init__(self) -> None:
        super().__init__()
        self.documents: dict[object, object] = {}

    @Slot(object, str)
    def open(self, key: object, path: str) -> None:
        import pypdfium2 as pdfium

        try:
            document = pdfium.PdfDocument(path)
            sizes = [document.get_page_size(i) for i in range(len(document))]
        except (pdfium.PdfiumError, OSError) as e:
            self.opened.emit(key, 0, [], f"This PDF cannot be shown: {e}")
            return
        self.documents[key] = document
        self.opened.emit(key, len(sizes), sizes, "" if sizes else "This PDF has no pages.")

    @Slot(object)
    def close(self, key: object) -> None:
        document = self.documents.pop(key, None)
        if document is not None:
            document.close()  # type: ignore[attr-defined]

    @Slot(object, int, int, float)
    def render(self, key: object, serial: int, page: int, scale: float) -> None:
        document = self.documents.get(key)
        if document is None:
            return
        pdf_page = document[page]  # type: ignore[index]
        try:
            bitmap = pdf_page.render(scale=scale, rev_byteorder=True, may_draw_forms=False)
            image = QImage(
                bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride, _format(bitmap)
            ).copy()  # owns its pixels once the bitmap goes
        finally:
            pdf_page.close()
        self.rendered.emit(key, serial, page, scale, image)

    @Slot(object, int, str)
    def search(self, key: object, serial: int, needle: str) -> None:
        document = self.documents.get(key)
        hits: list[tuple[int, list[Box]]] = []
        if document is None or not needle:
            self.found.emit(key, serial, hits)
            return
        for number in range(len(document)):  # type: ignore[arg-type]
            page = document[number]  # type: ignore[index]
            textpage = page.get_textpage()
            searcher = textpage.search(needle, match_case=False)
            while len(hits) < MAX_HITS and (match := searcher.get_next()) is not None:
                count = textpage.count_rects(*match)
                hits.append((number, [textpage.get_rect(i) for i in range(count)]))
            searcher.close()
            textpage.close()
            page.close()
        self.found.emit(key, serial, hits)

    @Slot(object, int, object)
    def select(self, key: object, page: int, box: Box) -> None:
        document = self.documents.get(key)
        if document is None:
            return
        pdf_page = document[page]  # type: ignore[index]
        textpage = pdf_page.get_textpage()
        left, bottom, right, top = box
        selected = textpage.get_text_bounded(left, bottom, right, top)
        textpage.close()
        pdf_page.close()
        self.text.emit(key, " ".join(selected.split()))


def _format(bitmap: object) -> QImage.Format:
    channels = getattr(bitmap, "n_channels", 4)
    return QImage.Format.Format_RGB888 if channels == 3 else QImage.Format.Format_RGBA8888


class _Requests(QObject):
    """The GUI side's signals into the worker (queued: they run on its thread)."""

    open = Signal(object, str)
    close = Signal(object)
    render = Signal(object, int, int, float)
    search = Signal(object, int, str)
    select = Signal(object, int, object)


_thread: QThread | None = None
_worker: _PdfWorker | None = None
_requests: _Requests | None = None


def _shared_worker() -> tuple[_PdfWorker, _Requests]:
    global _thread, _worker, _requests
    if _worker is None or _requests is None:
        _thread = QThread()
        _thread.setObjectName("PDFium")
        _worker = _PdfWorker()
        _worker.moveToThread(_thread)
        _requests = _Requests()
        _requests.open.connect(_worker.open)
        _requests.close.connect(_worker.close)
        _requests.render.connect(_worker.render)
        _requests.search.connect(_worker.search)
        _requests.select.connect(_worker.select)
        _thread.start()
        app = QGuiApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(_stop_worker)
        atexit.register(_stop_worker)  # a QThread destroyed while it runs aborts the process
    return _worker, _requests


def _stop_worker() -> None:
    global _thread, _worker, _requests
    if _thread is not None:
        _thread.quit()
        _thread.wait(5000)
    _thread = _worker = _requests = None


class _PageCanvas(QWidget):
    """One rendered page, its search hits and the selection drawn over it."""

    selected = Signal(QRectF)  # the dragged rectangle, in widget pixels

    def __init__(self) -> None:
        super().__init__()
        self.image = QImage()
        self.hits: list[QRectF] = []
        self.current_hit: list[QRectF] = []
        self.selection = QRectF()
        self._drag_from: QPointF | None = None
        self.setCursor(Qt.CursorShape.IBeamCursor)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        if not self.image.isNull():
            painter.drawImage(0, 0, self.image)
        for rects, colour in ((self.hits, QColor(255, 200, 0, 90)),
                              (self.current_hit, QColor(255, 120, 0, 150))):  # fmt: skip
            for rect in rects:
                painter.fillRect(rect, colour)
        if not self.selection.isNull():
            painter.fillRect(self.selection, QColor(60, 120, 220, 70))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = event.position()
            self.selection = QRectF()
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None:
            self.selection = QRectF(self._drag_from, event.position()).normalized()
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None and not self.selection.isEmpty():
            self.selected.emit(self.selection)
        self._drag_from = None


class PdfReader(QWidget):
    """Reads one PDF. ``open(path, page)`` shows it at a page (0-based); ``page_changed(page)``
    tells where the reader is (the app remembers it per paper); ``close_document()`` lets go
    of the file. Keys: PageUp/PageDown, Home/End, ←/→ turn pages; Ctrl+± zoom; Ctrl+0 fit
    width; Ctrl+F find, Enter/F3 next hit, Shift+Enter/Shift+F3 previous; Ctrl+C copies the
    selection (drag with the mouse)."""

    page_changed = Signal(int)
    selection_copied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker, self.requests = _shared_worker()
        self.key = object()  # this reader's documents on the worker
        self.path: Path | None = None
        self.sizes: list[tuple[float, float]] = []
        self.page = 0
        self.zoom = 1.0  # pixels per point when not fitting
        self.fit = "width"  # "width", "page" or "" (the zoom)
        self.error = ""
        self._serial = 0
        self._search_serial = 0
        self.hits: list[tuple[int, list[Box]]] = []
        self.hit = -1
        self._want_page_after_open = 0
        self.rendered_scale = 0.0
        self.last_copied = ""

        self.canvas = _PageCanvas()
        self.canvas.setAccessibleName("PDF page")
        self.canvas.selected.connect(self._select)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.canvas)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.scroll.setBackgroundRole(self.scroll.backgroundRole().Dark)
        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Reader message")
        self.message.hide()

        self.page_box = QSpinBox()
        self.page_box.setAccessibleName("Page")
        self.page_box.setKeyboardTracking(False)
        self.page_box.valueChanged.connect(lambda n: self.go_to(n - 1))
        self.page_count = QLabel("/ 0")
        self.find = QLineEdit()
        self.find.setPlaceholderText("Find in PDF (Ctrl+F)")
        self.find.setAccessibleName("Find in PDF")
        self.find.setClearButtonEnabled(True)
        self.find.returnPressed.connect(self._find_or_next)
        self.hit_label = QLabel()
        self.hit_label.setAccessibleName("Search hits")
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        for text, tip, slot in (
            ("◀", "Previous page (PageUp)", lambda: self.go_to(self.page - 1)),
            ("▶", "Next page (PageDown)", lambda: self.go_to(self.page + 1)),
        ):
            bar.addWidget(_button(text, tip, slot))
        bar.addWidget(self.page_box)
        bar.addWidget(self.page_count)
        bar.addSpacing(12)
        for text, tip, slot in (
            ("−", "Zoom out (Ctrl+-)", lambda: self.zoom_by(1 / ZOOM_STEP)),
            ("+", "Zoom in (Ctrl++)", lambda: self.zoom_by(ZOOM_STEP)),
            ("Fit width", "Fit the page's width (Ctrl+0)", lambda: self.set_fit("width")),
            ("Fit page", "Show the whole page", lambda: self.set_fit("page")),
        ):
            bar.addWidget(_button(text, tip, slot))
        bar.addStretch(1)
        bar.addWidget(self.find, 2)
        bar.addWidget(_button("↑", "Previous hit (Shift+F3)", lambda: self.next_hit(-1)))
        bar.addWidget(_button("↓", "Next hit (F3)", lambda: self.next_hit(1)))
        bar.addWidget(self.hit_label)
        bar.addWidget(_button("Open in viewer", "Open in the system's PDF viewer", self._system))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.scroll, 1)

        for keys, slot in (
            ((QKeySequence.StandardKey.MoveToNextPage, "Right"), lambda: self.go_to(self.page + 1)),
            ((QKeySequence.StandardKey.MoveToPreviousPage, "Left"),
             lambda: self.go_to(self.page - 1)),
            (("Home",), lambda: self.go_to(0)),
            (("End",), lambda: self.go_to(len(self.sizes) - 1)),
            ((QKeySequence.StandardKey.ZoomIn, "Ctrl+="), lambda: self.zoom_by(ZOOM_STEP)),
            ((QKeySequence.StandardKey.ZoomOut,), lambda: self.zoom_by(1 / ZOOM_STEP)),
            (("Ctrl+0",), lambda: self.set_fit("width")),
            ((QKeySequence.StandardKey.Find,), self._focus_find),
            (("F3",), lambda: self.next_hit(1)),
            (("Shift+F3", "Shift+Return"), lambda: self.next_hit(-1)),
            ((QKeySequence.StandardKey.Copy,), self.copy_selection),
        ):  # fmt: skip
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(slot)
        self.worker.opened.connect(self._opened)
        self.worker.rendered.connect(self._rendered)
        self.worker.found.connect(self._found)
        self.worker.text.connect(self._selected_text)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    # -- the document ------------------------------------------------------------------------

    def open(self, path: Path, page: int = 0) -> None:
        self.close_document()
        self.path = path
        self._want_page_after_open = page
        self.requests.open.emit(self.key, str(path))

    def close_document(self) -> None:
        if self.path is not None:
            self.requests.close.emit(self.key)
        self.path, self.sizes, self.hits, self.hit = None, [], [], -1
        self.canvas.image = QImage()

    @property
    def page_total(self) -> int:
        return len(self.sizes)

    def _opened(self, key: object, pages: int, sizes: list, error: str) -> None:  # type: ignore[type-arg]
        if key is not self.key:
            return
        self.error = error
        self.message.setText(error)
        self.message.setVisible(bool(error))
        self.scroll.setVisible(not error)
        self.sizes = sizes
        self.page_box.blockSignals(True)
        self.page_box.setRange(1, max(1, pages))
        self.page_box.blockSignals(False)
        self.page_count.setText(f"/ {pages}")
        if pages:
            self.page = -1  # go_to announces the first page
            self.go_to(self._want_page_after_open)

    # -- pages -------------------------------------------------------------------------------

    def go_to(self, page: int) -> None:
        if not self.sizes:
            return
        page = max(0, min(page, len(self.sizes) - 1))
        if page == self.page:
            return
        self.page = page
        self.canvas.selection = QRectF()
        self.page_box.blockSignals(True)
        self.page_box.setValue(page + 1)
        self.page_box.blockSignals(False)
        self._render()
        self.scroll.verticalScrollBar().setValue(0)
        self.page_changed.emit(page)

    def scale(self) -> float:
        """Pixels per PDF point for the current page, as the fit mode or zoom says."""
        if not self.sizes:
            return self.zoom
        width, height = self.sizes[self.page]
        view = self.scroll.viewport().size()
        if self.fit == "width":  # the page is taller than the view: keep room for its scroll bar
            room = self.scroll.width() - 2 * self.scroll.frameWidth()
            room -= self.scroll.verticalScrollBar().sizeHint().width()
            return max(0.1, (room - 2) / width)
        if self.fit == "page":
            return max(0.1, min((view.width() - 4) / width, (view.height() - 4) / height))
        return self.zoom

    def zoom_by(self, factor: float) -> None:
        self.zoom = max(MIN_ZOOM, min(MAX_ZOOM, self.scale() * factor))
        self.fit = ""
        self._render()

    def set_fit(self, mode: str) -> None:
        self.fit = mode
        self._render()

    def _render(self) -> None:
        if not self.sizes:
            return
        self._serial += 1
        scale = self.scale() * self.devicePixelRatioF()
        self.requests.render.emit(self.key, self._serial, self.page, scale)

    def _rendered(self, key: object, serial: int, page: int, scale: float, image: QImage) -> None:
        if key is not self.key or serial != self._serial:
            return  # an older request: a newer page or zoom is on its way
        image.setDevicePixelRatio(self.devicePixelRatioF())
        self.canvas.image = image
        self.rendered_scale = scale / self.devicePixelRatioF()
        self.canvas.setFixedSize(image.deviceIndependentSize().toSize())
        self._place_hits()
        self.canvas.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.fit:
            self._render()

    # -- search ------------------------------------------------------------------------------

    def search(self, text: str) -> None:
        self._search_serial += 1
        self.hits, self.hit = [], -1
        self.hit_label.setText("searching…" if text else "")
        self.requests.search.emit(self.key, self._search_serial, text)

    def next_hit(self, step: int) -> None:
        if not self.hits:
            return
        self.hit = (self.hit + step) % len(self.hits)
        self._show_hit()

    def _find_or_next(self) -> None:
        if self.find.text() and self.hits and self.find.text() == self._searched:
            self.next_hit(1)
        else:
            self._searched = self.find.text()
            self.search(self.find.text())

    _searched = ""

    def _focus_find(self) -> None:
        self.find.setFocus()
        self.find.selectAll()

    def _found(self, key: object, serial: int, hits: list) -> None:  # type: ignore[type-arg]
        if key is not self.key or serial != self._search_serial:
            return
        self.hits = hits
        if not hits:
            self.hit_label.setText("no match")
            self._place_hits()
            self.canvas.update()
            return
        later = [i for i, (page, _) in enumerate(hits) if page >= self.page]
        self.hit = later[0] if later else 0
        self._show_hit()

    def _show_hit(self) -> None:
        page, _ = self.hits[self.hit]
        more = "+" if len(self.hits) >= MAX_HITS else ""
        self.hit_label.setText(f"{self.hit + 1} of {len(self.hits)}{more}")
        if page != self.page:
            self.go_to(page)  # its render places the hits
        else:
            self._place_hits()
            self.canvas.update()

    def _place_hits(self) -> None:
        scale = self.rendered_scale
        on_page = [(i, boxes) for i, (p, boxes) in enumerate(self.hits) if p == self.page]
        self.canvas.hits = [self._to_widget(b, scale) for _, boxes in on_page for b in boxes]
        self.canvas.current_hit = [
            self._to_widget(b, scale) for i, boxes in on_page if i == self.hit for b in boxes
        ]
        if self.canvas.current_hit:
            self.scroll.ensureVisible(
                int(self.canvas.current_hit[0].center().x()),
                int(self.canvas.current_hit[0].center().y()),
                50,
                80,
            )

    def _to_widget(self, box: Box, scale: float) -> QRectF:
        left, bottom, right, top = box
        height = self.sizes[self.page][1]
        return QRectF(left * scale, (height - top) * scale, (right - left) * scale,
                      (top - bottom) * scale)  # fmt: skip

    # -- selection ---------------------------------------------------------------------------

    def _select(self, rect: QRectF) -> None:
        scale = self.rendered_scale or 1.0
        height = self.sizes[self.page][1]
        box = (rect.left() / scale, height - rect.bottom() / scale,
               rect.right() / scale, height - rect.top() / scale)  # fmt: skip
        self.requests.select.emit(self.key, self.page, box)

    selected_text = ""  # the text under the selection, as the worker read it

    def _selected_text(self, key: object, text: str) -> None:
        if key is self.key:
            self.selected_text = text

    def copy_selection(self) -> None:
        if self.find.hasFocus():
            self.find.copy()
            return
        if self.selected_text and not self.canvas.selection.isNull():
            QGuiApplication.clipboard().setText(self.selected_text)
            self.last_copied = self.selected_text
            self.selection_copied.emit(self.selected_text)

    def _system(self) -> None:
        if self.path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path)))


def _button(text: str, tip: str, slot) -> QToolButton:  # type: ignore[no-untyped-def]
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setAccessibleName(tip.split(" (")[0])
    button.setAutoRaise(True)
    button.clicked.connect(slot)
    return button
