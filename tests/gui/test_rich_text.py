"""User text (racer, season, race, event and track names) shows literally in the app: a label
either shows plain text, or, where it uses rich text, gets the user text escaped."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt  # Qt::mightBeRichText lives in QtGui
from PySide6.QtWidgets import QLabel

from gui.pages.league import LeaguePage
from gui.pages.raceday import RaceDayPage
from league import raceday as rd
from league.races import add_racer, create_race, record_submission
from league.seasons import create_season
from trainer.driving import LapResult

EVIL = "<b>x</b><img src=file:///etc/passwd>"
FROZEN = SimpleNamespace(hash="0" * 64, model="m", checkpoint="final", iteration=1)


def rendered_as_markup(lbl: QLabel) -> bool:
    fmt = lbl.textFormat()
    return fmt == Qt.TextFormat.RichText or (fmt == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(lbl.text()))


def check_labels(widget) -> list[str]:
    """Every label shows EVIL literally; returns the texts that show it."""
    showing = []
    for lbl in widget.findChildren(QLabel):
        text = lbl.text()
        if rendered_as_markup(lbl):
            assert "<img" not in text and "<b>x</b>" not in text, (lbl.objectName(), text)
            if "&lt;b&gt;x&lt;/b&gt;&lt;img" in text:
                showing.append(text)
        elif EVIL in text:
            showing.append(text)
    return showing


def test_a_racer_season_and_race_named_like_markup_show_literally_on_the_league_page(qtbot, ctx):
    page = LeaguePage(ctx, sample=False)
    qtbot.addWidget(page)
    create_season(page.db, EVIL[:60])
    add_racer(page.db, "evil", EVIL)
    create_race(page.db, "R " + EVIL[:50], "workshop_loop_cup", season=EVIL[:60], laps=1)
    record_submission(page.db, "R " + EVIL[:50], "evil", FROZEN, [LapResult(1, 20.0, True, 100.0)])
    ctx.league_changed.emit()
    page.select_race("R " + EVIL[:50])
    page.board.selectRow(0)
    assert page.selected_racer() == "evil"
    shown = check_labels(page)
    assert any(EVIL in t or "&lt;b&gt;x&lt;/b&gt;&lt;img" in t for t in shown)
    assert "&lt;b&gt;x&lt;/b&gt;" in page.history_title.text()
    assert rendered_as_markup(page.rules) and "&lt;b&gt;x&lt;/b&gt;" in page.rules.text()  # the season's name
    assert page.race_title.text() == "R " + EVIL[:50] and not rendered_as_markup(page.race_title)


def test_a_racer_named_like_markup_shows_literally_on_the_race_day_console(qtbot, ctx):
    page = RaceDayPage(ctx, clock=lambda: 1000.0, sample=False)
    qtbot.addWidget(page)
    try:
        rd.create_event(page.db, "E " + EVIL[:40], "practice_oval")
        ctx.league_changed.emit()
        assert page.add_to_queue("evil", display_name=EVIL, car=True), page.notice.text()
        assert page.load()
        assert page.console.racer.text() == f"{EVIL}  (evil)"
        assert not rendered_as_markup(page.console.racer)
        assert check_labels(page)
    finally:
        page.shutdown()


@pytest.mark.parametrize("text", [EVIL, "plain words", "a & b < c"])
def test_the_label_helper_shows_text_literally_unless_asked_for_rich_text(qtbot, text):
    from gui.rich_text import esc
    from gui.widgets.style import label

    lbl = label(text)
    assert lbl.textFormat() == Qt.TextFormat.PlainText and lbl.text() == text
    lbl = label(f"<b>{esc(text)}</b>", rich=True)
    assert lbl.textFormat() == Qt.TextFormat.RichText and "<img" not in lbl.text()


def test_message_boxes_show_user_text_literally(qtbot, monkeypatch):
    """A refusal that quotes a racer's name shows the name as typed, not as markup."""
    from PySide6.QtGui import QTextDocument
    from PySide6.QtWidgets import QMessageBox, QWidget

    from gui.widgets.dialogs import show_error

    shown = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda parent, title, text, *a: shown.append(text)))
    parent = QWidget()
    qtbot.addWidget(parent)
    name = "<b>x</b><img src=http://example.invalid/a.png>"
    show_error(parent, "Cannot add", f"racer {name!r} is already queued")
    doc = QTextDocument()
    doc.setHtml(shown[0])
    assert doc.toPlainText() == f"racer {name!r} is already queued"
    show_error(parent, "Cannot add", "plain words stay as they are")
    assert shown[1] == "plain words stay as they are"
