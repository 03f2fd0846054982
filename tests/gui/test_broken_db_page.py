"""The app starts with a damaged league database and says on its league pages what to do."""

import os

import pytest


@pytest.fixture
def broken_db(trackside_home):
    (trackside_home / "league.db").write_bytes(os.urandom(4096))
    return trackside_home / "league.db"


def test_the_app_starts_and_shows_the_message_on_the_league_pages(qtbot, broken_db):
    from PySide6.QtWidgets import QLabel

    from gui.app import MainWindow
    from gui.context import AppContext

    window = MainWindow(AppContext())
    qtbot.addWidget(window)
    for title in ("League", "Race day"):
        texts = [w.text() for w in window.pages[title].findChildren(QLabel)]
        assert any(str(broken_db) in t and "backup" in t for t in texts), texts
    window.show_page("League")
    assert window.stack.currentWidget() is window.pages["League"]
