"""The projector window follows the race day (its leaderboard and the live session, hand-timed or
simulated) and a league race; it highlights the newest result and scrolls a long board by itself."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from gui.pages.league import LeaguePage
from gui.pages.raceday import RaceDayPage
from gui.projector import ProjectorWindow, shared_feed
from league import raceday as rd
from league.races import record_submission
from league.sample import EVENT, RACE
from tests.gui.test_league_page import FROZEN, laps_of
from tests.gui.test_raceday_page import Clock


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def day(qtbot, ctx, clock):
    page = RaceDayPage(ctx, clock=clock)
    qtbot.addWidget(page)
    window = ProjectorWindow(page.feed)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    yield page, window
    page.shutdown()


def record(db, racer, *lap_times):
    timer = rd.get_event(db, EVENT).new_timer()
    t = 0.0
    timer.start(t)
    for lap in lap_times:
        t += lap
        timer.capture_lap(t)
    timer.end(t + 1)
    return rd.record_session(db, EVENT, timer, racer=racer)


def test_follows_a_hand_timed_session_and_the_event_leaderboard(qtbot, day, clock):
    page, window = day
    feed = window.feed
    assert feed.source == ("event", EVENT) and window.header.isVisible()
    assert not window.session_view.isVisible()  # nobody on track
    record(page.db, "zoe", 12.5)
    page.ctx.league_changed.emit()
    assert [r["racer"] for r in feed.rows] == ["zoe"] and feed.newest == "zoe"
    page.add_to_queue("bob", display_name="Bob", car=True)
    page.load()
    clock.t = 1000.0
    qtbot.keyClick(page.console, Qt.Key.Key_Space)
    clock.t = 1010.5
    qtbot.keyClick(page.console, Qt.Key.Key_Space)
    clock.t = 1015.0
    page.console.refresh()
    assert window.session_view.isVisible()
    s = feed.session
    assert s["name"] == "Bob" and [lap["time_s"] for lap in s["laps"]] == [10.5]
    assert s["running_lap_s"] == pytest.approx(4.5) and s["time_left_s"] == pytest.approx(225.0)
    assert not window.grab().isNull()  # every part paints
    page.console.do("dnf")
    qtbot.keyClick(page.console, Qt.Key.Key_Return)
    # The result lands: Bob leads, highlighted; nobody is on track any more.
    assert [(r["racer"], r["gap_s"]) for r in feed.rows] == [("bob", 0.0), ("zoe", 2.0)]
    assert feed.newest == "bob" and feed.highlight_age() < 5
    assert not window.session_view.isVisible()
    assert not window.grab().isNull()


def test_follows_a_simulated_session_live(qtbot, trained_model, day):
    page, window = day
    page.create_event("Sprint", "workshop_loop", length_s=60.0, resets_limit=None)
    assert window.feed.source == ("event", "Sprint")
    page.add_to_queue("ann", model=trained_model)
    page.speed_box.setCurrentIndex(page.speed_box.findData(0.0))
    page.load()
    seen = []
    window.feed.changed.connect(lambda: window.feed.session and seen.append(
        (len(window.feed.session["laps"]), window.feed.session["state"])))
    page.console.do("lap")
    qtbot.waitUntil(lambda: page.session.finished(), timeout=60_000)
    page.console.refresh()
    assert window.session_view.isVisible()
    laps = len(page.session.timer.laps)
    assert laps >= 1 and (0, "running") in seen and seen[-1] == (laps, "ended")
    page.console.do("submit")
    assert window.feed.rows[0]["racer"] == "ann" and window.feed.newest == "ann"


def test_follows_a_league_race(qtbot, ctx, day):
    page, window = day
    feed = window.feed
    page.projector_box.setCurrentIndex(page.projector_box.findData(f"race:{RACE}"))
    page.projector_box.activated.emit(page.projector_box.currentIndex())
    assert feed.source == ("race", RACE) and feed.title == RACE and "Workshop Cup" in feed.subtitle
    assert feed.rows == []
    record_submission(page.db, RACE, "ada", FROZEN, laps_of(30.0, 29.0, 31.0))
    ctx.league_changed.emit()  # what the League page emits when a submission lands
    assert [(r["racer"], r["time_s"], r["detail"]) for r in feed.rows] == [("ada", 29.0, "1000 pts")]
    assert feed.newest == "ada"
    # A race-day session on the console does not cover a league board.
    page.add_to_queue("bob", car=True)
    page.load()
    assert not window.session_view.isVisible()
    # The League page puts its race on the same projector.
    league = LeaguePage(ctx)
    qtbot.addWidget(league)
    page.projector_box.setCurrentIndex(0)
    page.projector_box.activated.emit(0)
    assert feed.source == ("event", EVENT)
    league.show_on_projector()
    assert shared_feed(ctx) is feed and feed.source == ("race", RACE)
    assert ctx.projector_window.isVisible() and not ctx.projector_window.isFullScreen()  # one screen: a window
    ctx.projector_window.close()


def test_a_long_board_scrolls_itself_and_jumps_to_a_new_result(qtbot, day):
    page, window = day
    for i in range(24):
        record(page.db, f"racer{i:02d}", 20.0 + i)
    page.ctx.league_changed.emit()
    window.resize(900, 480)
    board = window.board
    n = board.visible_rows()
    assert len(window.feed.rows) == 24 and 2 < n < 24
    tops = []
    for _ in range(40):
        board.advance()
        tops.append(board.top)
    assert max(tops) == 24 - n and 0 in tops[tops.index(24 - n):]  # down to the last row, then back to the top
    board.top = 0
    record(page.db, "late", 25.5)  # lands below the fold
    page.ctx.league_changed.emit()
    row = [r["racer"] for r in window.feed.rows].index("late")
    assert board.top <= row < board.top + n
    assert not window.grab().isNull()


def test_the_session_view_maps_the_car_among_the_event_objects(qtbot, day):
    from tests.gui.test_raceday_page import object_state

    page, window = day
    page.create_event("Bots", "workshop_loop", length_s=60.0, race_type="head_to_bot",
                      race_settings={"NUMBER_OF_BOT_CARS": 2})
    assert window.feed.source == ("event", "Bots") and window.feed.track == "workshop_loop"
    assert "head to bot: 2 bot cars" in window.feed.subtitle
    window.feed.set_session({**object_state("workshop_loop", 0, 2), "name": "Ann", "driver": "model"})
    window.session_view.grab()
    tf = window.session_view.map
    assert tf is not None and tf.scale > 10  # pixels per metre
    (car,) = tf.points([[1.0, 1.0]])
    assert window.session_view.rect().contains(car.toPoint())
    window.feed.set_session({**window.feed.session, "car": None})  # a car timed by hand: no map
    window.session_view.grab()
    assert window.session_view.map is None
