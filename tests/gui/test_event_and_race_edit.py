"""Editing a race-day event and a league race in the app: the create dialogs reused, filled with the
settings, refusals under the form, every change in the audit log."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from gui.pages.league import LeaguePage
from gui.pages.league_dialogs import RaceDialog, edit_race_dialog
from gui.pages.raceday import RaceDayPage
from gui.pages.raceday_dialogs import EventDialog, edit_event_dialog
from league import raceday as rd
from league.audit import audit_entries
from league.races import create_race

TRACKS = [("workshop_loop", "Workshop loop"), ("practice_oval", "Practice oval")]


@pytest.fixture
def raceday_page(qtbot, ctx):
    p = RaceDayPage(ctx)
    qtbot.addWidget(p)
    yield p
    p.shutdown()


def when_shown(act):
    """Run ``act(dialog)`` on the modal dialog once it is open (a real exec(), answered like a person);
    a dialog still open afterwards (a failed check in ``act``) is cancelled, so the test fails, not hangs."""
    def run():
        dialog = QApplication.activeModalWidget()
        try:
            act(dialog)
        finally:
            if dialog.isVisible():
                dialog.reject()
    QTimer.singleShot(0, run)


def test_the_event_dialog_edits_an_event_and_refuses_what_its_sessions_fix(qtbot, raceday_page):
    db = raceday_page.db
    ev = rd.create_event(db, "Club", "workshop_loop", length_s=120, race_type="head_to_bot",
                         race_settings={"NUMBER_OF_BOT_CARS": 2}, max_runs=2)
    timer = ev.new_timer()
    timer.start(0.0)
    timer.capture_lap(10.0)
    timer.end(11.0)
    rd.record_session(db, ev, timer, racer="ann")
    dialog = EventDialog(raceday_page, lambda v: rd.update_event(db, ev, "marshal", **v), TRACKS, event=ev)
    qtbot.addWidget(dialog)
    assert (dialog.name.text(), dialog.length.text(), dialog.max_runs.value()) == ("Club", "2:00", 2)
    assert dialog.race_type.race_type() == "head_to_bot" and dialog.race_type.bots.value() == 2
    assert not dialog.target_laps.isEnabled()
    dialog.track.setCurrentIndex(1)
    assert not dialog.try_accept() and "track: cannot change" in dialog.error.text()
    dialog.track.setCurrentIndex(0)
    dialog.name.setText("Club night")
    dialog.ranking.setCurrentIndex(dialog.ranking.findData("first_to"))
    assert dialog.target_laps.isEnabled()
    assert not dialog.try_accept() and "cannot change to or from first_to" in dialog.error.text()
    dialog.ranking.setCurrentIndex(dialog.ranking.findData("most_laps"))
    dialog.max_runs.setValue(0)  # no cap
    assert dialog.try_accept()
    changed = rd.get_event(db, ev.id)
    assert (changed.name, changed.ranking, changed.max_runs, changed.race_settings) == (
        "Club night", "most_laps", None, ev.race_settings)  # the untouched settings stay as they were
    assert audit_entries(db)[0]["after"] == {"name": "Club night", "ranking": "most_laps", "max_runs": None}


def test_edit_event_on_the_page_changes_the_current_event(qtbot, raceday_page):
    raceday_page.create_event("Sprint", "workshop_loop", length_s=60.0)

    def answer(dialog):
        dialog.length.setText("5:00")
        dialog.try_accept()
    when_shown(answer)
    ev = edit_event_dialog(raceday_page)
    assert ev is not None and ev.length_s == 300.0
    assert "5:00 sessions" in raceday_page.rules.text() and "Changed event Sprint" in raceday_page.notice.text()


def test_edit_race_on_the_league_page_reuses_the_race_dialog(qtbot, ctx):
    page = LeaguePage(ctx)
    qtbot.addWidget(page)
    create_race(page.db, "Cup", "workshop_loop_cup", laps=2, closes_at="2030-01-01T10:00:00+00:00")
    page.refresh()
    page.select_race("Cup")

    def answer(dialog):
        assert isinstance(dialog, RaceDialog) and dialog.name.text() == "Cup" and not dialog.no_close.isChecked()
        assert dialog.laps.value() == 2
        dialog.ranking.setCurrentIndex(dialog.ranking.findData("total_time"))
        dialog.no_close.setChecked(True)
        dialog.try_accept()
    when_shown(answer)
    race = edit_race_dialog(page)
    assert race is not None and (race.ranking, race.closes_at) == ("total_time", None)
    entry = audit_entries(page.db, entity="race")[0]
    assert entry["after"] == {"ranking": "total_time", "closes_at": None}


def test_a_hand_timed_first_to_session_ends_itself_and_the_runs_cap_refuses_a_second_go(qtbot, ctx):
    from PySide6.QtCore import Qt

    clock = type("Clock", (), {"t": 0.0, "__call__": lambda self: self.t})()
    page = RaceDayPage(ctx, clock=clock)
    qtbot.addWidget(page)
    assert page.create_event("First", "workshop_loop", length_s=120.0, ranking="first_to", target_laps=2,
                             max_runs=1)
    assert "first to 2 valid laps" in page.rules.text()
    assert page.add_to_queue("bob", car=True) and page.load()

    def press(k, at):
        clock.t = at
        qtbot.keyClick(page.console, k)
        return page.console.status.text()
    press(Qt.Key.Key_Space, 10.0)                         # start
    press(Qt.Key.Key_Space, 21.0)                         # lap 1: 11 s
    press(Qt.Key.Key_Space, 30.5)                         # lap 2: 9.5 s, the second valid lap: over
    assert page.session.timer.end_reason == "first_to" and page.console.state_chip.text() == "OVER"
    assert "first to 2" in press(Qt.Key.Key_Space, 40.0)  # refused, saying why
    qtbot.keyClick(page.console, Qt.Key.Key_Return)
    assert [(r["racer"], r["time_s"]) for r in page.board_model.rows] == [("bob", 20.5)]
    assert page.add_to_queue("bob", car=True) is None and "has used their only run" in page.notice.text()
    page.shutdown()
