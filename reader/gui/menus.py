"""The window's menu bar, its actions and their shortcuts, and the right-click menus."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from reader.gui.models.sidebar import VIEW_ROLE

if TYPE_CHECKING:
    from reader.gui.main_window import MainWindow

Shortcut = str | QKeySequence | QKeySequence.StandardKey | None
# one action: its text, what it calls on the window, its shortcut
Entry = tuple[str, Callable[[], object], Shortcut]
THEMES = ("system", "light", "dark")


class Menus(QObject):
    """The actions of one window, each calling one of its methods, in menus of groups.

    Each menu is built by its own method, a group of actions at a time: ``group`` starts one
    after a separator, ``add`` adds to the last. A new group of actions is one more ``group``
    call in its menu's method, their slots methods of the window (or of its ``online``
    actions, which add their own groups with these helpers).
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        bar = window.menuBar()
        self._file_menu(bar.addMenu("&File"))
        self._edit_menu(bar.addMenu("&Edit"))
        self._paper_menu(bar.addMenu("&Paper"))
        self._view_menu(bar.addMenu("&View"))
        self._help_menu(bar.addMenu("&Help"))
        self._list_menu()
        window.sidebar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        window.sidebar.customContextMenuRequested.connect(self._sidebar_menu)

    def group(self, menu: QMenu, *entries: Entry) -> list[QAction]:
        """Add a group of actions to ``menu``, after a separator if it has actions already."""
        if menu.actions():
            menu.addSeparator()
        return self.add(menu, *entries)

    def add(self, menu: QMenu, *entries: Entry) -> list[QAction]:
        """Add actions to ``menu``'s last group."""
        return [self.action(menu, text, slot, shortcut) for text, slot, shortcut in entries]

    def action(
        self, menu: QMenu, text: str, slot: Callable[[], object], shortcut: Shortcut = None
    ) -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    # -- the menu bar --------------------------------------------------------------------------

    def _file_menu(self, menu: QMenu) -> None:
        w = self.window
        self.group(menu, ("&Import…", w.choose_import, "Ctrl+I"))
        w.online.add_file_actions(self, menu)  # Fetch…, beside Import
        self.export_selection = self.group(
            menu,
            ("Export selection as &BibTeX…", lambda: w.export("bibtex"), None),
            ("Export selection as &CSL-JSON…", lambda: w.export("csl-json"), None),
        )
        self.add(
            menu,
            ("Export the list as BibTeX…", lambda: w.export("bibtex", whole_list=True), None),
            ("Export the list as CSL-JSON…", lambda: w.export("csl-json", whole_list=True), None),
        )
        self.group(menu, ("&Preferences…", w.preferences, QKeySequence.StandardKey.Preferences))
        self.group(menu, ("&Quit", w.close, QKeySequence.StandardKey.Quit))

    def _edit_menu(self, menu: QMenu) -> None:
        w = self.window
        self.group(menu, ("&Find", w.focus_search, "Ctrl+F"), ("Find (/)", w.focus_search, "/"))
        self.copy_bibtex = self.action(menu, "Copy &BibTeX", w.copy_bibtex, "Ctrl+Shift+C")
        self.group(menu, ("&Save search…", w.save_search, "Ctrl+S"))
        self.delete_search_action = self.action(menu, "Delete saved search", w.delete_saved_search)
        self.delete_search_action.setEnabled(False)  # until a saved search is selected

    def _paper_menu(self, menu: QMenu) -> None:
        w = self.window
        self.group(
            menu,
            ("&Next", lambda: w.move_selection(1), "J"),
            ("&Previous", lambda: w.move_selection(-1), "K"),
        )
        self.on_selection = self.add(  # B, R and T act on every selected paper
            menu,
            ("Toggle &bookmark", w.toggle_bookmark, "B"),
            ("Toggle &read", w.toggle_read, "R"),
            ("&Tag…", w.tag_selection, "T"),
        )
        self.reading = w.online.add_paper_actions(self, menu)  # Read PDF, Make available…
        self.add(menu, ("&Close PDF tab", w.reader_tabs.close_current, "Ctrl+W"))
        self.group(
            menu,
            ("Back", lambda: w.navigate_history(-1), "Alt+Left"),
            ("Forward", lambda: w.navigate_history(1), "Alt+Right"),
        )

    def _view_menu(self, menu: QMenu) -> None:
        w = self.window
        themes = QActionGroup(self.window)  # one checked: the theme in use
        self.theme_actions: dict[str, QAction] = {}
        for theme in THEMES:
            action = self.action(
                menu, f"{theme.title()} theme", lambda _=False, t=theme: w.set_theme(t)
            )
            action.setCheckable(True)
            themes.addAction(action)
            self.theme_actions[theme] = action
        self.check_theme()
        self.group(
            menu,
            ("Larger text", lambda: w.change_font(1), "Ctrl++"),
            ("Smaller text", lambda: w.change_font(-1), "Ctrl+-"),
        )

    def _help_menu(self, menu: QMenu) -> None:
        w = self.window
        self.group(
            menu,
            ("Search syntax", w.show_syntax, None),
            ("&About Paper Reader", w.show_about, None),
        )

    def check_theme(self) -> None:
        """Check the View menu's theme in use (the one saved in the settings)."""
        theme = self.window.settings.value("theme", "system", str)
        self.theme_actions.get(theme, self.theme_actions["system"]).setChecked(True)

    # -- right-click menus ---------------------------------------------------------------------

    def _list_menu(self) -> None:
        """Right-clicking the list offers what applies to the papers selected."""
        separator = QAction(self.window)
        separator.setSeparator(True)
        table = self.window.table
        table.addActions(
            [
                *self.on_selection,
                separator,
                *self.reading[:2],  # Read PDF, Make available offline
                self.copy_bibtex,
                *self.export_selection,
            ]
        )
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    def _sidebar_menu(self, position: QPoint) -> None:
        """A tag or the bookmarks: make their papers available offline; a saved search:
        delete it."""
        sidebar = self.window.sidebar
        index = sidebar.indexAt(position)
        view = index.data(VIEW_ROLE)
        if view is None:
            return
        menu = QMenu(self.window)
        actions = self.window.online.sidebar_actions(view, menu)
        if view.kind == "saved":
            sidebar.setCurrentIndex(index)  # what Delete acts on
            actions.append(self.delete_search_action)
        if actions:
            menu.addActions(actions)
            menu.exec(sidebar.viewport().mapToGlobal(position))
        menu.deleteLater()  # with its own actions (each right-click made a new menu)
