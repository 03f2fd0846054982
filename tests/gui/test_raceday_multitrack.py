"""The Race day page on a multi-track event: the board's track selector (Combined and each track), a
session queued for the second track driven and recorded there, the dialogs' tracks, the projector's
combined board, and the board and rules line of a most-laps event with a runs cap."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from gui.pages.raceday import RaceDayPage
from gui.pages.raceday_dialogs import EventDialog, QueueDialog
from gui.projector_feed import ProjectorFeed
from league import raceday as rd
from tests.gui.test_raceday_page import Clock

A, B = "workshop_loop", "practice_oval"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def page(qtbot, ctx, clock):
    p = RaceDayPage(ctx, clock=clock, sample=False)
    qtbot.addWidget(p)
    yield p
    p.shutdown()


def record(db, ev, racer, *lap_times, track=None):
    timer = ev.new_timer()
    t = 0.0
    timer.start(t)
    for lap in lap_times:
        t += lap
        timer.capture_lap(t)
    timer.end(t + 1)
    return rd.record_session(db, ev, timer, racer=racer, track=track)


def cell(page, row, column):
    m = page.board_model
    return m.data(m.index(row, column))


def test_the_board_offers_combined_and_each_track(page):
    ev = rd.create_event(page.db, "Two", A, tracks=[A, B], length_s=600, max_runs=3)
    record(page.db, ev, "ann", 10.0, track=A)
    record(page.db, ev, "ann", 20.0, track=B)
    record(page.db, ev, "bob", 9.0, track=A)
    page.ctx.league_changed.emit()
    assert page.select_event("Two")
    box = page.board_card.track_box
    assert not box.isHidden() and [box.itemData(i) for i in range(box.count())] == ["", A, B]
    assert "Workshop" in page.rules.text() and " + " in page.rules.text()
    assert "3 runs per racer per track" in page.rules.text()
    assert [(r["racer"], r["time_s"]) for r in page.board_model.rows] == [("ann", 30.0), ("bob", 9.0)]
    assert (cell(page, 0, 5), cell(page, 1, 5)) == ("2/2", "1/2")
    assert not page.board.isColumnHidden(5) and page.board.isColumnHidden(4)  # Tracks in place of Laps
    assert page.board_card.choose_track(A)
    assert [(r["racer"], r["time_s"]) for r in page.board_model.rows] == [("bob", 9.0), ("ann", 10.0)]
    assert page.board.isColumnHidden(5) and not page.board.isColumnHidden(4)
    rd.create_event(page.db, "One", A)
    page.ctx.league_changed.emit()
    page.select_event("One")
    assert box.isHidden() and page.board_model.rows == []


def test_a_session_queued_for_the_second_track_runs_and_is_recorded_there(qtbot, page, clock):
    ev = rd.create_event(page.db, "Two", A, tracks=[A, B], length_s=60)
    page.ctx.league_changed.emit()
    page.select_event("Two")
    assert page.add_to_queue("cy", car=True, track=B)
    assert "on Practice Oval" in page.queue.item(0).text()
    assert page.load()
    assert page.console.track.track.name == B and "on Practice Oval" in page.console.driver.text()
    for at in (1000.0, 1010.0):
        clock.t = at
        qtbot.keyClick(page.console, Qt.Key.Key_Space)
    clock.t = 1011.0
    page.session.timer.end(clock.t)  # the clock stopped by the timekeeper (Esc asks first)
    page.console.refresh()
    qtbot.keyClick(page.console, Qt.Key.Key_Return)
    assert rd.sessions(page.db, ev)[0]["track"] == B
    assert "Recorded cy: 10.000 s, rank 1" in page.notice.text()


def test_the_dialogs_set_an_events_tracks_and_an_entrys_track(qtbot, page):
    tracks = [(A, "Workshop loop"), (B, "Practice oval")]
    dialog = EventDialog(page, lambda v: rd.create_event(page.db, **v), tracks)
    qtbot.addWidget(dialog)
    dialog.name.setText("Duo")
    dialog.set_more_tracks([B])
    assert dialog.try_accept() and rd.get_event(page.db, "Duo").tracks == (A, B)
    edit = EventDialog(page, lambda v: rd.update_event(page.db, "Duo", "judge", **v), tracks,
                       event=rd.get_event(page.db, "Duo"))
    qtbot.addWidget(edit)
    assert edit.tracks() == [A, B]
    edit.set_more_tracks([])
    assert edit.try_accept() and rd.get_event(page.db, "Duo").tracks == (A,)
    queued = QueueDialog(page, lambda v: rd.add_to_queue(page.db, "Duo", v.pop("racer"), **v), [], [], True, tracks)
    qtbot.addWidget(queued)
    queued.alias.setEditText("dee")
    queued.track.setCurrentIndex(1)
    # "Duo" runs on one track now: practice_oval is refused under the form.
    assert not queued.try_accept() and "not 'practice_oval'" in queued.error.text()


def test_the_projector_shows_the_combined_board_with_each_tracks_result(qtbot, page):
    ev = rd.create_event(page.db, "Two", A, tracks=[A, B], length_s=600)
    record(page.db, ev, "ann", 10.0, track=A)
    record(page.db, ev, "ann", 20.0, track=B)
    feed = ProjectorFeed()
    feed.follow_event("Two")
    assert "combined" in feed.subtitle and "Practice" in feed.subtitle
    assert feed.rows[0]["time_s"] == 30.0
    assert "10.000" in feed.rows[0]["detail"] and "20.000" in feed.rows[0]["detail"]
    assert feed.track == A
    feed.set_session({"racer": "bob", "track": B})
    assert feed.track == B


def test_a_most_laps_board_shows_the_laps_and_the_rules_the_runs_cap(page):
    ev = rd.create_event(page.db, "Laps", A, length_s=600, ranking="most_laps", max_runs=2)
    record(page.db, ev, "ann", 10.0, 10.0, 10.0)
    record(page.db, ev, "bob", 9.0)
    page.ctx.league_changed.emit()
    page.select_event("Laps")
    assert "2 runs per racer" in page.rules.text() and "per track" not in page.rules.text()
    assert (cell(page, 0, 2), cell(page, 1, 2)) == ("3 laps", "1 lap")
    assert cell(page, 1, 3) == "\u22122 laps"
    assert page.board.isColumnHidden(5)
