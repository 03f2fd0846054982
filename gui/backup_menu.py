"""The app's File menu: "Back up..." and "Restore..." (:mod:`league.backup`, as ``trackside backup``/``restore``).

A backup runs off the GUI thread while the app keeps working (the database is copied with SQLite's
online backup). A restore goes into an EMPTY folder, never into the home the app is using: the
dialog asks for the archive and a new folder, restores there, and says how to start Trackside on it.
"""

from __future__ import annotations

from datetime import date
from typing import Callable

from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMainWindow

from gui.widgets.dialogs import show_error, show_info


class BackupWorker(QThread):
    """Runs ``job()`` (a backup or a restore) off the GUI thread; ``done`` carries the manifest."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, job: Callable[[], dict], parent=None):
        super().__init__(parent)
        self.job = job

    def run(self) -> None:
        try:
            self.done.emit(self.job())
        except Exception as exc:  # shown in plain words, never a traceback
            self.failed.emit(str(exc) or exc.__class__.__name__)


class FileMenu:
    """Adds File > Back up... / Restore... to ``window`` and runs them."""

    def __init__(self, window: QMainWindow):
        self.window = window
        self.worker: BackupWorker | None = None
        menu = window.menuBar().addMenu("&File")
        self.backup_action = QAction("Back up...", window)
        self.backup_action.triggered.connect(lambda: self.back_up())
        self.restore_action = QAction("Restore...", window)
        self.restore_action.triggered.connect(lambda: self.restore())
        menu.addAction(self.backup_action)
        menu.addAction(self.restore_action)

    def back_up(self, target: str | None = None) -> None:
        from league.backup import backup_home

        if not target:
            target, _ = QFileDialog.getSaveFileName(self.window, "Back up Trackside",
                                                    f"trackside-backup-{date.today():%Y%m%d}.tar.gz",
                                                    "Trackside backup (*.tar.gz)")
            if not target:
                return
        self._start(lambda: backup_home(target), "Back up",
                    lambda m: f"Backed up {len(m['files'])} files to {target}.")

    def restore(self, archive: str | None = None, folder: str | None = None) -> None:
        from league.backup import restore_home

        if not archive:
            archive, _ = QFileDialog.getOpenFileName(self.window, "Restore a Trackside backup", "",
                                                     "Trackside backup (*.tar.gz)")
            if not archive:
                return
        if not folder:
            folder = QFileDialog.getExistingDirectory(self.window, "Restore into an empty folder")
            if not folder:
                return
        self._start(lambda: restore_home(archive, folder), "Restore",
                    lambda m: f"Restored {len(m['files'])} files into {folder}.\nStart Trackside with "
                              f"TRACKSIDE_HOME={folder} to use them.")

    def _start(self, job, title: str, success: Callable[[dict], str]) -> None:
        if self.worker is not None:
            show_error(self.window, title, "A backup or restore is already running; wait for it to finish.")
            return
        self.worker = BackupWorker(job, self.window)
        self.worker.done.connect(lambda m: show_info(self.window, title, success(m)))
        self.worker.failed.connect(lambda text: show_error(self.window, title, text))
        self.worker.finished.connect(self._finished)
        self.window.statusBar().showMessage(f"{title} ...")
        self.worker.start()

    def _finished(self) -> None:
        self.worker.deleteLater()
        self.worker = None
        self.window.statusBar().showMessage("", 1)
