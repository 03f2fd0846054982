"""File > Back up... / Restore... in the app: the same league.backup as the command line, off the GUI thread."""

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt is imported

from PySide6.QtWidgets import QMainWindow, QMessageBox  # noqa: E402

from gui.backup_menu import FileMenu  # noqa: E402
from league.db import open_db  # noqa: E402
from league.racers import add_racer, list_racers  # noqa: E402


def test_back_up_then_restore_into_an_empty_folder_only(qtbot, monkeypatch, tmp_path):
    said = []
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda parent, title, text, *a: said.append(text)))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda parent, title, text, *a: said.append(text)))
    add_racer(open_db(), "ada", "Ada")
    window = QMainWindow()
    qtbot.addWidget(window)
    menu = FileMenu(window)
    assert [a.text() for a in window.menuBar().actions()[0].menu().actions()] == ["Back up...", "Restore..."]

    archive = tmp_path / "backup.tar.gz"
    menu.back_up(str(archive))
    qtbot.waitUntil(lambda: menu.worker is None, timeout=10_000)
    assert archive.is_file() and "Backed up 1 files" in said[-1]

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "something").write_text("x")
    menu.restore(str(archive), str(busy))
    qtbot.waitUntil(lambda: menu.worker is None, timeout=10_000)
    assert "is not empty" in said[-1]

    empty = tmp_path / "empty"
    empty.mkdir()
    menu.restore(str(archive), str(empty))
    qtbot.waitUntil(lambda: menu.worker is None, timeout=10_000)
    assert f"TRACKSIDE_HOME={empty}" in said[-1]
    assert [r.alias for r in list_racers(open_db(empty / "league.db"))] == ["ada"]
