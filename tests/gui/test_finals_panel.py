"""Finals in the app: the Race day page's Finals panel seeds and records heats through league.finals,
the projector feed carries the bracket, and the projector shows it (winners highlighted) instead of
the board when asked (the panel's checkbox or the B key)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from gui.pages.raceday import RaceDayPage
from gui.pages.raceday_finals import open_finals
from gui.projector import ProjectorWindow
from gui.projector_bracket import WIN
from league import finals as fl
from league import raceday as rd
from league.sample import EVENT
from tests.gui.test_raceday_page import Clock


@pytest.fixture
def day(qtbot, ctx):
    page = RaceDayPage(ctx, clock=Clock())
    qtbot.addWidget(page)
    window = ProjectorWindow(page.feed)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    yield page, window
    page.shutdown()


def qualify(db, racers, model=None):
    """One session each, faster first: ``racers`` in board order."""
    ev = rd.get_event(db, EVENT)
    for k, racer in enumerate(racers):
        timer = ev.new_timer()
        timer.start(0.0)
        timer.capture_lap(10.0 + k)
        timer.end(30.0)
        rd.record_session(db, ev, timer, racer=racer, display_name=racer.title(),
                          driver="model" if model else "car", model=model)


def test_the_panel_seeds_finals_records_a_heat_and_puts_the_bracket_on_the_projector(qtbot, day):
    page, window = day
    qualify(page.db, ["ada", "bob", "cy", "dee", "eve"])
    panel = open_finals(page)
    qtbot.addWidget(panel)
    assert panel.title.text().endswith("no finals yet") and panel.table.rowCount() == 0
    panel.top.setValue(4)
    panel.seed(confirm=False)
    assert panel.table.rowCount() == 3 and panel.title.text() == f"Finals of {EVENT}"
    assert panel.table.item(0, 2).text() == "(1) Ada" and panel.table.item(0, 3).text() == "(4) Dee"
    first = panel.selected_heat()
    assert first == panel.heats()[0]["id"]  # the next heat to race is chosen
    panel.time_a.setText("31.2")
    panel.time_b.setText("30.9")
    done = panel.record_selected()
    assert done["winner"] == "dee" and "Dee goes through" in panel.notice.text()
    assert panel.selected_heat() == panel.heats()[1]["id"]  # on to the next heat
    panel.winner.setCurrentIndex(panel.winner.findData("cy"))
    panel.record_selected()
    assert [h["racer_a"] for h in panel.heats()][2] == "dee" and panel.table.item(2, 3).text() == "(3) Cy"
    panel.time_a.setText("fast")
    assert panel.record_selected() is None and "expected seconds" in panel.notice.text()
    assert not window.bracket_view.isVisible()
    panel.on_projector.setChecked(True)
    assert page.feed.view == "bracket" and window.bracket_view.isVisible()
    assert window.feed.bracket["rounds"][0]["heats"][0]["winner"] == "dee"
    assert "knockout of 4" in window.feed.subtitle


def test_refusals_show_in_the_panel(qtbot, day):
    page, _ = day
    qualify(page.db, ["ada", "bob"])
    panel = open_finals(page)
    qtbot.addWidget(panel)
    panel.top.setValue(3)
    assert panel.seed(confirm=False) is None and "only 2 racers have a time" in panel.notice.text()
    panel.top.setValue(2)
    panel.seed(confirm=False)
    assert panel.record_selected() is None and "Choose the winner" in panel.notice.text()
    panel.run_selected()
    qtbot.waitUntil(lambda: panel.race is None, timeout=5000)
    assert "raced a physical car" in panel.notice.text()


def test_the_projector_paints_the_bracket_with_the_winner_highlighted_and_b_toggles_it(qtbot, day):
    page, window = day
    qualify(page.db, ["ada", "bob", "cy"])
    final = fl.create_finals(page.db, EVENT, 3)
    semi = fl.next_heat(page.db, final)
    fl.record_heat(page.db, EVENT, semi["id"], time_a_s=30.0, time_b_s=29.0)  # cy beats bob
    page.ctx.league_changed.emit()
    assert window.stack.currentWidget() is window.boards  # the board until asked
    qtbot.keyClick(window, Qt.Key.Key_B)
    assert window.feed.view == "bracket" and window.stack.currentWidget() is window.bracket_view
    image = window.bracket_view.grab().toImage()  # paints, and keeps the boxes it drew
    assert len(window.bracket_view.boxes) == 3
    winner_row = window.bracket_view.boxes[semi["id"]]
    lower = image.pixelColor(int(winner_row.left() + 4), int(winner_row.bottom() - 4))   # cy: racer b, won
    upper = image.pixelColor(int(winner_row.left() + 4), int(winner_row.top() + 4))      # bob: lost
    assert lower == WIN and upper != WIN
    qtbot.keyClick(window, Qt.Key.Key_B)
    assert window.feed.view == "board" and window.stack.currentWidget() is window.boards


def test_a_new_seeding_asks_before_discarding_results(qtbot, day, monkeypatch):
    page, _ = day
    qualify(page.db, ["ada", "bob", "cy"])
    panel = open_finals(page)
    qtbot.addWidget(panel)
    panel.top.setValue(3)
    panel.seed(confirm=False)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    panel.top.setValue(2)
    assert panel.seed() is None and fl.get_finals(page.db, EVENT).size == 3


@pytest.mark.slow
def test_the_panel_runs_a_head_to_model_heat_off_the_gui_thread(qtbot, day):
    from trainer.model_store import ModelStore

    page, window = day
    page.ctx.store = ModelStore()  # with the bundled standard model, which finishes its laps quickly
    qualify(page.db, ["ada", "bob"], model="standard")
    panel = open_finals(page)
    qtbot.addWidget(panel)
    panel.top.setValue(2)
    panel.laps.setValue(1)
    panel.seed(confirm=False)
    race = panel.run_selected()
    assert race is not None and not panel.run_button.isEnabled()  # one race at a time
    with qtbot.waitSignal(race.finished_heat, timeout=30000):
        pass
    qtbot.waitUntil(lambda: panel.race is None)
    heat = panel.heats()[0]
    assert heat["method"] == "head_to_model" and heat["winner"] in ("ada", "bob")
    assert window.feed.bracket["champion"] == heat["winner"]
