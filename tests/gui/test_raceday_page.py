"""The Race day page: a hand-timed session driven by key presses on a controllable clock, a
simulated session run at high speed, refusals shown on the console, and what lands in the database."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from gui.pages.raceday import RaceDayPage
from gui.pages.raceday_console import NO_RACER
from league import raceday as rd
from league.exports import format_time
from league.sample import EVENT

SHIFT = Qt.KeyboardModifier.ShiftModifier


class Clock:
    """A monotonic clock the test moves by hand, s."""

    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def page(qtbot, ctx, clock):
    p = RaceDayPage(ctx, clock=clock)
    qtbot.addWidget(p)
    yield p
    p.shutdown()


@pytest.fixture
def answer(monkeypatch):
    """Answer confirmation questions with ``answer.value`` (Yes by default)."""
    class Answer:
        value = QMessageBox.StandardButton.Yes
        asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda parent, title, text, *a: (Answer.asked.append(title), Answer.value)[1]))
    return Answer


def key(qtbot, page, clock, k, at=None, modifier=Qt.KeyboardModifier.NoModifier):
    """Press ``k`` on the console, at clock time ``at`` when given; returns the status line."""
    if at is not None:
        clock.t = at
    qtbot.keyClick(page.console, k, modifier)
    return page.console.status.text()


def laps_in_db(page, session_id):
    return [tuple(r) for r in page.db.execute(
        "SELECT lap, time_ms, resets, valid FROM raceday_laps WHERE session_id = ? ORDER BY lap", [session_id])]


def test_first_start_offers_the_sample_event(page):
    assert page.event_box.currentData() == EVENT
    assert "4:00 sessions" in page.rules.text() and "at most 3 resets" in page.rules.text()
    assert page.console.track.track.name == "workshop_loop"
    assert page.console.racer.text() == "No racer on track"


def test_a_hand_timed_session_driven_by_keys(qtbot, page, clock):
    press = lambda k, at=None, mod=Qt.KeyboardModifier.NoModifier: key(qtbot, page, clock, k, at, mod)  # noqa: E731
    # A session started with no racer: refused, visibly.
    assert NO_RACER in press(Qt.Key.Key_Space)
    assert page.console.messages[-1][0] == "refused"
    assert page.add_to_queue("bob", display_name="Bob", car=True)
    assert page.load() and page.console.racer.text() == "Bob  (bob)"
    assert "Start" == page.console.buttons["lap"].text()
    assert "Clock started" in press(Qt.Key.Key_Space, at=1000.0)
    assert rd.get_entry(page.db, page.session.entry["id"])["state"] == "running"
    # A double press inside the minimum lap time is ignored, and says so.
    assert "double trigger" in press(Qt.Key.Key_Space, at=1000.4)
    assert "Lap 1: 10.200 s" in press(Qt.Key.Key_Space, at=1010.2)
    assert "double trigger" in press(Qt.Key.Key_Space, at=1010.5)
    for t in (1012, 1013, 1014):
        press(Qt.Key.Key_R, at=t)
    assert "over the limit of 3" in press(Qt.Key.Key_R, at=1015)
    assert "3 on the running lap" in press(Qt.Key.Key_R, at=1016, mod=SHIFT)
    assert page.console.running_sub.text() == "lap 2  \u00b7  3 resets"
    assert "Lap 2: 9.800 s" in press(Qt.Key.Key_Space, at=1020.0)
    assert "No reset to undo" in press(Qt.Key.Key_R, at=1020.5, mod=SHIFT)
    # A false finish, undone: its time runs on in the lap.
    press(Qt.Key.Key_Space, at=1021.5)
    assert "false finish" in press(Qt.Key.Key_Backspace, at=1022.0)
    assert page.console.laps.rowCount() == 2
    assert "Lap 3: 10.500 s" in press(Qt.Key.Key_Space, at=1030.5)
    # I marks the last lap invalid (the timekeeper's call) and shows it.
    assert "Lap 3 is now invalid" in press(Qt.Key.Key_I)
    assert page.console.laps.item(2, 4).text().startswith("\u2717 invalid")
    assert page.console.laps.item(1, 4).text().startswith("\u2713 valid")
    # Pause: the clock stops; a lap key while paused is refused.
    assert "Paused" in press(Qt.Key.Key_P, at=1040.0)
    assert "The session is paused" in press(Qt.Key.Key_Space, at=1070.0)
    assert "Resumed" in press(Qt.Key.Key_P, at=1100.0)
    assert page.session.snapshot()["clock_s"] == pytest.approx(40.0)
    # Time runs out mid-lap: the lap in progress still counts; the next finish ends the session.
    clock.t = 1305.0
    page.console.refresh()
    assert page.console.state_chip.text() == "TIME UP \u2013 LAST LAP" and page.console.countdown.text() == "0:00"
    assert "Time is up" in page.console.status.text()
    assert "the session is over" in press(Qt.Key.Key_Space, at=1312.0)
    assert page.session.timer.end_reason == "finish" and page.console.state_chip.text() == "OVER"
    assert "already" not in press(Qt.Key.Key_R, at=1313.0) and page.console.messages[-1][0] == "refused"
    # Enter submits: the laps are in the database as timed.
    qtbot.keyClick(page.console, Qt.Key.Key_Return)
    sid = page.last_session_id
    assert laps_in_db(page, sid) == [(1, 10200, 0, 1), (2, 9800, 3, 1), (3, 10500, 0, 0), (4, 221500, 0, 1)]
    assert page.session is None and page.console.racer.text() == "No racer on track"
    board = page.board_model.rows
    assert board[0]["racer"] == "bob" and board[0]["time_s"] == 9.8 and board[0]["valid_laps"] == 3
    assert "Recorded Bob: 9.800 s, rank 1" in page.notice.text()
    assert rd.queue(page.db, EVENT) == []


def test_ending_early_asks_first_and_discarding_keeps_the_laps(qtbot, page, clock, answer):
    page.add_to_queue("cat", car=True)
    page.add_to_queue("dan", car=True)
    page.load()
    key(qtbot, page, clock, Qt.Key.Key_Space, at=2000.0)
    key(qtbot, page, clock, Qt.Key.Key_Space, at=2011.0)
    # Another racer cannot take the console while this session is not recorded.
    assert not page.load() and "not recorded yet" in page.console.status.text()
    answer.value = QMessageBox.StandardButton.No
    assert "goes on" in key(qtbot, page, clock, Qt.Key.Key_Escape, at=2015.0)
    assert page.session.state == "running"
    answer.value = QMessageBox.StandardButton.Yes
    assert "does not count" in key(qtbot, page, clock, Qt.Key.Key_Escape, at=2016.0)
    assert page.session.timer.end_reason == "ended" and len(page.session.timer.laps) == 1
    page.console.do("discard")
    assert "Discard the session?" in answer.asked
    row = rd.sessions(page.db, EVENT)[-1]
    assert row["state"] == "discarded" and laps_in_db(page, row["id"]) == [(1, 11000, 0, 1)]
    # Back in the queue, ahead of nobody: the leaderboard does not count a discarded session.
    assert [e["racer"] for e in rd.queue(page.db, EVENT)] == ["cat", "dan"]
    assert page.board_model.rows == []


def test_queue_refusals_and_reordering(page):
    assert page.add_to_queue("eve", car=True)
    assert page.add_to_queue("eve", car=True) is None
    assert "already queued" in page.notice.text()
    assert page.add_to_queue("fay", model="no-such-model") is None and "no-such-model" in page.notice.text()
    assert page.add_to_queue("gus", car=True)
    page.queue.setCurrentRow(1)
    page.move(-1)
    assert [e["racer"] for e in rd.queue(page.db, EVENT)] == ["gus", "eve"]
    assert page.create_event("Sample race day", "workshop_loop") is None and "already exists" in page.notice.text()
    assert page.create_event("Short", "workshop_loop", length_s=30.0) is None and "1-10 minutes" in page.notice.text()


def test_a_simulated_session_at_high_speed(qtbot, trained_model, page, clock):
    assert page.create_event("Sprint", "workshop_loop", length_s=60.0, resets_limit=None)
    assert page.add_to_queue("ann", display_name="Ann", model=trained_model)
    page.speed_box.setCurrentIndex(page.speed_box.findData(0.0))
    assert page.load()
    assert page.console.driver.text() == f"Model {trained_model}"
    key(qtbot, page, clock, Qt.Key.Key_Space)
    assert "on track" in page.console.status.text()
    qtbot.waitUntil(lambda: page.session.finished(), timeout=60_000)
    page.console.refresh()
    timer = page.session.timer
    assert page.session.error is None and timer.end_reason == "finish" and len(timer.laps) >= 1
    # The laps landed on the console; the car was drawn on the track.
    assert page.console.laps.rowCount() == len(timer.laps)
    assert page.console.laps.item(0, 1).text() == format_time(timer.laps[0].time_s)
    assert page.console.track._car_fill.data.size == 1
    assert page.console.state_chip.text() == "OVER"
    # The simulator times it: the timekeeper's lap keys are refused.
    assert "submit or discard" in key(qtbot, page, clock, Qt.Key.Key_R)
    qtbot.keyClick(page.console, Qt.Key.Key_Return)
    sid = page.last_session_id
    assert [ms for _, ms, _, _ in laps_in_db(page, sid)] == [round(lap.time_s * 1000) for lap in timer.laps]
    board = page.board_model.rows
    assert board[0]["racer"] == "ann" and board[0]["time_s"] == pytest.approx(timer.best_lap().time_s, abs=1e-3)


def test_a_simulated_session_that_cannot_run_says_why_and_the_racer_keeps_their_place(
        qtbot, trained_model, page, clock, monkeypatch):
    import league.raceday.simulated as simulated

    def refuse(*args, **kwargs):
        raise simulated.SimulatedDriverError("this model's sensor cannot drive here")

    monkeypatch.setattr(simulated, "run_simulated_session", refuse)
    page.add_to_queue("ann", model=trained_model)
    page.load()
    page.console.do("lap")
    qtbot.waitUntil(lambda: page.session.finished(), timeout=10_000)
    assert page.console.messages[-1] == ("refused",
                                         "The simulated session failed: this model's sensor cannot drive here")
    assert page.console.state_chip.text() == "FAILED" and page.console.buttons["discard"].isEnabled()
    assert "submit or discard" in key(qtbot, page, clock, Qt.Key.Key_Space)
    page.record(False)
    assert [e["racer"] for e in rd.queue(page.db, EVENT)] == ["ann"]
    assert rd.sessions(page.db, EVENT)[-1]["laps"] == 0 and page.board_model.rows == []


def test_event_exports_write_the_files_chosen(page, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog

    timer = rd.get_event(page.db, EVENT).new_timer()
    timer.start(0.0)
    for t in (10.5, 20.25, 31.0):
        timer.capture_lap(t)
    timer.end(32.0)
    rd.record_session(page.db, EVENT, timer, racer="=cmd", display_name="<b>Eve</b>")
    target = {}
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda parent, title, suggested, kinds: (str(target["path"]), kinds)))
    for what, expect, absent in (("event-html", "&lt;b&gt;Eve&lt;/b&gt;", "<b>Eve"), ("event-laps", "'=cmd", None),
                                 ("event-summary", "completion_ratio", None), ("event-json", '"leaderboard"', None)):
        target["path"] = tmp_path / what
        assert page.export(what) == tmp_path / what
        text = (tmp_path / what).read_text(encoding="utf-8")
        assert expect in text and (absent is None or absent not in text), what
    assert "10.5" in (tmp_path / "event-laps").read_text() and "Exported to" in page.notice.text()


# -- one session use case, two front-ends ---------------------------------------------------------------
def entry_states(db, event: str) -> dict[str, str]:
    return {e["racer"]: e["state"] for e in rd.queue(db, event, everyone=True)}


def test_the_cli_and_the_app_move_the_queue_entry_the_same_way(qtbot, trained_model, page, clock):
    """queued -> running while the session runs -> done after submit, whichever front-end runs it."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    assert page.create_event("Both", "workshop_loop", length_s=60.0, resets_limit=None)
    for racer in ("cli", "app"):
        assert page.add_to_queue(racer, model=trained_model)
    assert entry_states(page.db, "Both") == {"cli": "queued", "app": "queued"}

    # The command line, as a user runs it, watched from here while it drives.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-m", "gui.cli", "raceday", "run", "Both", "--racer", "cli",
                             "--speed", "20"], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    seen = []
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        state = entry_states(page.db, "Both")["cli"]
        if not seen or seen[-1] != state:
            seen.append(state)
        time.sleep(0.02)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    seen.append(entry_states(page.db, "Both")["cli"])
    assert [s for k, s in enumerate(seen) if k == 0 or seen[k - 1] != s] == ["queued", "running", "done"], out

    # The app's console, the same steps.
    page.refresh()
    page.speed_box.setCurrentIndex(page.speed_box.findData(0.0))
    assert page.load()
    assert entry_states(page.db, "Both")["app"] == "queued"
    key(qtbot, page, clock, Qt.Key.Key_Space)
    assert entry_states(page.db, "Both")["app"] == "running"
    assert page.queue.count() == 0                              # nobody shown as waiting
    qtbot.waitUntil(lambda: page.session.finished(), timeout=60_000)
    assert entry_states(page.db, "Both")["app"] == "running"   # over, not yet submitted
    qtbot.keyClick(page.console, Qt.Key.Key_Return)
    assert entry_states(page.db, "Both") == {"cli": "done", "app": "done"}
    assert [s["state"] for s in rd.sessions(page.db, "Both")] == ["submitted", "submitted"]


def test_an_interrupted_cli_session_puts_the_racer_back_in_the_queue(trained_model):
    """A session stopped half-way is discarded: the entry goes back to queued, not stuck running."""
    from league.db import open_db

    db = open_db()
    ev = rd.create_event(db, "Stop", "workshop_loop", length_s=60.0)
    rd.add_to_queue(db, ev, "ann", model=trained_model)

    def interrupt(state):
        if state["clock_s"] > 1.0:  # a tick or a lap: laps reset the 20 Hz tick throttle
            assert entry_states(db, "Stop") == {"ann": "running"}
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rd.run_model_session(db, ev, "ann", speed=0, on_update=interrupt)
    assert entry_states(db, "Stop") == {"ann": "queued"}
    assert [s["state"] for s in rd.sessions(db, ev)] == ["discarded"]


def test_the_session_over_hint_goes_once_the_session_is_recorded(qtbot, trained_model, page, clock):
    assert page.create_event("Hint", "workshop_loop", length_s=60.0, resets_limit=None)
    page.add_to_queue("ann", model=trained_model)
    page.speed_box.setCurrentIndex(page.speed_box.findData(0.0))
    assert page.load()
    key(qtbot, page, clock, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: page.session.finished(), timeout=60_000)
    qtbot.waitUntil(lambda: "Enter submits" in page.console.status.text(), timeout=5_000)
    qtbot.keyClick(page.console, Qt.Key.Key_Return)
    assert page.last_session_id is not None
    status = page.console.status.text()
    assert "Enter submits" not in status and status.startswith("\u2713 Recorded ann")


# -- events of every race type (object avoidance, head-to-bot) ------------------------------------------------
def object_state(track_name: str, boxes: int, bots: int, collisions: int = 1) -> dict:
    """A simulated session's state as the console receives it, with object rows from a real ObjectWorld."""
    import numpy as np

    from league.timing import SessionTimer
    from sim.library import load_track
    from sim.object_rows import object_rows
    from sim.objects import ObjectsConfig, ObjectWorld

    world = ObjectWorld(load_track(track_name), ObjectsConfig(number_of_obstacles=boxes, number_of_bot_cars=bots), 1)
    world.reset(np.arange(1), np.zeros(1, bool), np.random.default_rng(0))
    timer = SessionTimer(60.0, 3)
    timer.start(0.0)
    for _ in range(collisions):
        timer.add_collision(1.0)
    timer.capture_lap(12.0)
    return {**timer.snapshot(12.5), "racer": "ann", "event": "tick", "held": False,
            "car": {"x": 1.0, "y": 1.0, "yaw_deg": 0.0, "speed": 1.0, "progress": 3.0},
            "objects": np.round(object_rows(world.state, 0), 3).tolist()}


def test_the_console_draws_the_objects_of_a_state_and_shows_collisions(page, trained_model):
    ev = page.create_event("Boxes", "workshop_loop", length_s=60.0, race_type="object_avoidance",
                           race_settings={"NUMBER_OF_OBSTACLES": 3})
    assert ev is not None and "Object avoidance: 3 obstacles" in page.rules.text()
    assert "collision holds the car 5 s" in page.rules.text()
    page.add_to_queue("ann", model=trained_model)
    assert page.load()
    assert not page.console.laps.isColumnHidden(3)  # the collisions column, for an event with objects
    page.session.latest = object_state("workshop_loop", 3, 2)
    page.console.refresh()
    view = page.console.track
    assert view._boxes.path().elementCount() == 3 * 5 and view._bots.path().elementCount() == 2 * 5
    assert page.console.laps.horizontalHeaderItem(3).text() == "Collisions"
    assert page.console.laps.item(0, 2).text() == "1" and page.console.laps.item(0, 3).text() == "1"
    page.session.latest = {**page.session.latest, "objects": []}
    page.console.refresh()
    assert view._boxes.path().isEmpty() and view._bots.path().isEmpty()
    page.console.set_event(rd.get_event(page.db, EVENT))  # a time trial: no collisions column
    assert page.console.laps.isColumnHidden(3)


def test_a_simulated_object_avoidance_session_records_its_collisions(qtbot, page, trained_model, clock):
    assert page.create_event("Boxes", "workshop_loop", length_s=60.0, resets_limit=None,
                             race_type="object_avoidance", race_settings={"NUMBER_OF_OBSTACLES": 4})
    page.add_to_queue("ann", model=trained_model)
    page.speed_box.setCurrentIndex(page.speed_box.findData(0.0))
    assert page.load()
    key(qtbot, page, clock, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: page.session.finished(), timeout=60_000)
    page.console.refresh()
    timer = page.session.timer
    assert page.session.error is None
    assert page.console.track._boxes.path().elementCount() == 4 * 5  # the boxes stay drawn once it is over
    qtbot.keyClick(page.console, Qt.Key.Key_Return)
    stored = page.db.execute("SELECT collisions FROM raceday_laps WHERE session_id = ? ORDER BY lap",
                             [page.last_session_id]).fetchall()
    assert [c for (c,) in stored] == [lap.collisions for lap in timer.laps]
    assert all(lap.collisions <= lap.resets for lap in timer.laps)


def test_the_event_dialog_creates_an_object_avoidance_event(qtbot, page):
    from gui.pages.raceday_dialogs import EventDialog

    dialog = EventDialog(page, lambda v: rd.create_event(page.db, **v), [("workshop_loop", "Workshop loop")])
    qtbot.addWidget(dialog)
    dialog.name.setText("Boxes")
    assert not dialog.collision_penalty.isEnabled()
    dialog.race_type.set_race_type("object_avoidance")
    dialog.race_type.obstacles.setValue(4)
    assert dialog.collision_penalty.isEnabled()
    dialog.collision_penalty.setValue(3.0)
    assert dialog.try_accept()
    ev = rd.get_event(page.db, "Boxes")
    assert (ev.race_type, ev.race_settings["NUMBER_OF_OBSTACLES"], ev.collision_penalty_s) == (
        "object_avoidance", 4, 3.0)
    again = EventDialog(page, lambda v: rd.create_event(page.db, **v), [("workshop_loop", "Workshop loop")])
    qtbot.addWidget(again)
    again.name.setText("Bots")
    again.race_type.set_race_type("head_to_bot")
    again.race_type.bot_speed.setValue(5.0)  # clamped by the spin box to its 4 m/s maximum: accepted
    assert again.try_accept() and rd.get_event(page.db, "Bots").race_settings["BOT_CAR_SPEED"] == 4.0
