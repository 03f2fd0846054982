"""The desktop app: a main window with a sidebar of pages, a status bar and shortcuts.

Pages register in :data:`PAGES` as ``(title, "module:Class")``; each page is a
``QWidget`` constructed as ``Class(ctx)`` with the shared :class:`AppContext`.
A page that is not built yet (its module is missing) is left out, so the shell
runs at every stage of the project.
"""

from __future__ import annotations

import importlib
import sqlite3
import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QApplication, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow,
                               QStackedWidget, QVBoxLayout, QWidget)

from sim.errors import TracksideError

from .context import AppContext

PAGES: list[tuple[str, str]] = [
    ("Models", "gui.pages.models:ModelsPage"),
    ("Create model", "gui.pages.create_model:CreateModelPage"),
    ("Training", "gui.pages.training:TrainingPage"),
    ("Evaluation", "gui.pages.evaluation:EvaluationPage"),
    ("Analysis", "gui.pages.analysis:AnalysisPage"),
    ("Tracks", "gui.pages.tracks:TracksPage"),
    ("League", "gui.pages.league:LeaguePage"),
    ("Race day", "gui.pages.raceday:RaceDayPage"),
    ("Results", "gui.pages.results:ResultsPage"),
    ("Inbox", "gui.pages.inbox:InboxPage"),
    ("Sweeps", "gui.pages.sweeps:SweepsPage"),
]

STYLE = """
QListWidget#sidebar { background: #1f242b; color: #d8dee9; border: none; font-size: 14px; outline: 0; }
QListWidget#sidebar::item { padding: 10px 14px; }
QListWidget#sidebar::item:selected { background: #3b4252; color: white; border-left: 3px solid #ff9f1c; }
"""


def load_page_class(spec: str):
    module_name, cls_name = spec.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    return getattr(module, cls_name)


def unavailable_page(title: str, message: str) -> QWidget:
    """A page that could not open: its title and the one-line reason, as plain text."""
    page = QWidget(objectName="page")
    layout = QVBoxLayout(page)
    layout.setContentsMargins(24, 18, 24, 18)
    heading = QLabel(title, objectName="unavailableTitle")
    heading.setStyleSheet("font-size: 22px; font-weight: 600;")
    reason = QLabel(message, objectName="unavailableReason")
    reason.setTextFormat(Qt.TextFormat.PlainText)
    reason.setWordWrap(True)
    reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    reason.setStyleSheet("color: #bf616a;")
    layout.addWidget(heading)
    layout.addWidget(reason)
    layout.addStretch(1)
    return page


class MainWindow(QMainWindow):
    """Sidebar on the left, the current page on the right."""

    def __init__(self, ctx: AppContext | None = None):
        super().__init__()
        self.ctx = ctx or AppContext(self)
        self.setWindowTitle("Trackside")
        self.resize(1360, 860)
        self.sidebar = QListWidget(objectName="sidebar")
        self.sidebar.setFixedWidth(180)
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        for title, spec in PAGES:
            cls = load_page_class(spec)
            if cls is None:
                continue
            try:
                page = cls(self.ctx)
            except TracksideError as exc:  # e.g. a damaged league.db: say so on the page, start anyway
                page = unavailable_page(title, str(exc))
            except sqlite3.Error as exc:  # the league database failed after it opened
                from league.db import database_error

                page = unavailable_page(title, str(database_error(exc)))
            self.pages[title] = page
            self.stack.addWidget(page)
            QListWidgetItem(title, self.sidebar)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.setStyleSheet(STYLE)
        self.sidebar.currentRowChanged.connect(self._show_row)
        self.ctx.open_page.connect(self.show_page)
        self.ctx.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.statusBar().addPermanentWidget(QLabel(f"home: {self._home_text()}"))
        self._shortcuts()
        from gui.backup_menu import FileMenu

        self.file_menu = FileMenu(self)
        self._restore()

    def _home_text(self) -> str:
        from sim.paths import home

        return str(home())

    def _shortcuts(self) -> None:
        for i in range(min(9, self.sidebar.count())):
            act = QAction(self)
            act.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            act.triggered.connect(lambda _=False, row=i: self.sidebar.setCurrentRow(row))
            self.addAction(act)
        quit_act = QAction("Quit", self)
        quit_act.setShortcut(QKeySequence.StandardKey.Quit)
        quit_act.triggered.connect(self.close)
        self.addAction(quit_act)

    def _show_row(self, row: int) -> None:
        if row >= 0:
            self.stack.setCurrentIndex(row)
            title = self.sidebar.item(row).text()
            self.statusBar().showMessage(title, 2000)
            page = self.pages[title]
            if hasattr(page, "on_shown"):
                page.on_shown()

    def show_page(self, title: str) -> None:
        titles = [self.sidebar.item(i).text() for i in range(self.sidebar.count())]
        if title in titles:
            self.sidebar.setCurrentRow(titles.index(title))

    def _restore(self) -> None:
        geometry = self.ctx.setting("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.sidebar.setCurrentRow(int(self.ctx.setting("window/page", 0)))

    def closeEvent(self, event) -> None:
        self.ctx.set_setting("window/geometry", self.saveGeometry())
        self.ctx.set_setting("window/page", self.sidebar.currentRow())
        for page in self.pages.values():
            if hasattr(page, "shutdown"):
                page.shutdown()
        self.ctx.settings.sync()
        super().closeEvent(event)


def run(argv: list[str] | None = None) -> int:
    """Start the app; returns the exit status."""
    from trainer.policy import use_one_torch_thread

    use_one_torch_thread()  # once, on the main thread: evaluations in worker threads give the same laps
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("Trackside")
    app.setAttribute(Qt.ApplicationAttribute.AA_DontShowIconsInMenus, False)
    window = MainWindow()
    window.show()
    return app.exec()
