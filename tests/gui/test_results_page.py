"""The Results page: real widgets over a real league file. A lap corrected in its dialog, a
session given away and deleted after a confirmation, a submission deleted: each lands in the
database with its audit entry, the board and the corrections list on the page follow, and a
refusal shows under the title without changing anything."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PySide6.QtWidgets import QMessageBox

from gui.pages.results import ResultsPage
from league.audit import audit_entries
from league.corrections import session_laps
from league.db import open_db
from league.raceday import create_event, event_leaderboard, record_session
from league.racers import add_racer
from league.races import create_race, record_submission, standings
from trainer.driving import LapResult


def drive(db, ev, racer, times):
    t, now = ev.new_timer(), 0.0
    t.start(now)
    for time_s in times:
        now += time_s
        t.capture_lap(now)
    t.end(now + 1)
    return record_session(db, ev, t, racer=racer)


@dataclass
class Frozen:
    hash: str = "0" * 64
    model: str = "m"
    checkpoint: str = "initial"
    iteration: int | None = None


@pytest.fixture
def db():
    return open_db()


@pytest.fixture
def event(db):
    ev = create_event(db, "Summit", "workshop_loop", length_s=120)
    drive(db, ev, "ada", [12.0, 11.0])
    drive(db, ev, "bo", [11.5])
    return ev


@pytest.fixture
def page(qtbot, ctx, event):
    p = ResultsPage(ctx)
    qtbot.addWidget(p)
    p.editor.setText("marshal")
    return p


def board_text(page) -> list[tuple[str, str]]:
    m = page.board_model
    return [(m.columns[1].text(r), m.columns[2].text(r)) for r in m.rows]


def test_a_lap_corrected_in_its_dialog_changes_the_board_and_lists_the_correction(page, db, event, qtbot):
    assert page.source() == ("event", event.id)
    assert [r["racer"] for r in page.rows_model.rows] == ["ada", "bo"]
    assert board_text(page) == [("ada", "11.000"), ("bo", "11.500")]
    page.laps_view.selectRow(1)
    dialog = page.edit_lap_dialog()
    assert dialog.time.value() == 11.0
    dialog.time.setValue(12.25)
    dialog.reason.setText("mistyped")
    with qtbot.waitSignal(page.ctx.league_changed):
        dialog.accept()
    assert [lap["time_ms"] for lap in session_laps(db, page.rows_model.rows[0]["id"])] == [12000, 12250]
    assert board_text(page) == [("bo", "11.500"), ("ada", "12.000")]
    entry, = page.audit_model.rows
    assert (entry["who"], entry["action"], entry["reason"]) == ("marshal", "lap edit", "mistyped")
    assert entry["change"] == ["time: 11.000 -> 12.250 s"]
    assert page.audit_model.columns[3].text(entry) == "time: 11.000 -> 12.250 s"
    assert page.laps_model.columns[3].text(page.laps_model.rows[1]) == "12.250"
    assert page.selected_lap()["lap"] == 2  # the selection stays where the user was


def test_a_lap_marked_invalid_with_a_penalty_on_another_lap(page, db):
    page.laps_view.selectRow(1)
    dialog = page.edit_lap_dialog()
    dialog.valid.setChecked(False)
    dialog.accept()
    page.laps_view.selectRow(0)
    dialog = page.edit_lap_dialog()
    dialog.penalty.setValue(1.5)
    dialog.accept()
    assert board_text(page) == [("bo", "11.500"), ("ada", "13.500")]
    laps = page.laps_model.rows
    assert [page.laps_model.columns[5].text(r) for r in laps] == ["valid", "invalid (marshal)"]
    assert len(audit_entries(db)) == 2


def test_sessions_are_given_away_and_deleted_after_a_confirmation(page, db, event):
    add_racer(db, "cy", "Cyrus B.")
    dialog = page.reassign_dialog()
    dialog.alias.setText("cy")
    dialog.accept()
    assert [r["racer"] for r in event_leaderboard(db, event)] == ["cy", "bo"]
    page.rows_view.selectRow(1)
    box = page.delete_selected()
    assert "session" in box.text() and "bo" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    assert len(page.rows_model.rows) == 2
    box = page.delete_selected()
    box.button(QMessageBox.StandardButton.Yes).click()
    assert [r["racer"] for r in page.rows_model.rows] == ["cy"]
    assert [r["racer"] for r in event_leaderboard(db, event)] == ["cy"]
    assert [e["action"] for e in page.audit_model.rows] == ["session delete", "session reassign"]


def test_a_refusal_shows_under_the_title_and_changes_nothing(page, db):
    dialog = page.reassign_dialog()
    dialog.alias.setText("ada")  # already hers
    dialog.accept()
    assert not page.notice.isHidden() and "already 'ada'" in page.notice.text()
    dialog = page.edit_lap_dialog()
    dialog.accept()  # nothing changed in the dialog
    assert "nothing was changed" in page.notice.text()
    assert audit_entries(db) == []


def test_a_league_race_shows_its_submissions_and_one_can_be_deleted(page, db, ctx):
    race = create_race(db, "cup", "workshop_loop_cup", laps=1)
    add_racer(db, "ada")
    first = record_submission(db, race, "ada", Frozen(), [LapResult(1, 11.0, True, 100.0)])
    record_submission(db, race, "ada", Frozen(), [LapResult(1, 10.0, True, 100.0)])
    ctx.league_changed.emit()
    page.source_box.setCurrentIndex(page.source_box.findData(f"race:{race.id}"))
    assert page.rows_title.text() == "Submissions" and page.reassign_button.isHidden()
    assert board_text(page) == [("ada", "10.000")]
    page.rows_view.selectRow(1)
    page.delete_selected().button(QMessageBox.StandardButton.Yes).click()
    assert [s["submission"] for s in standings(db, race)] == [first]
    assert board_text(page) == [("ada", "11.000")]
    assert [e["action"] for e in page.audit_model.rows] == ["submission delete"]


def test_a_session_recorded_elsewhere_shows_when_the_page_is_shown_again(page, db, event):
    other = create_event(db, "Club night", "workshop_loop", length_s=120)
    drive(db, other, "cy", [10.5])
    drive(db, event, "dee", [13.0])  # e.g. from `trackside raceday run` in another process
    page.on_shown()
    assert page.source() == ("event", event.id)  # the choice stays
    assert [r["racer"] for r in page.rows_model.rows] == ["ada", "bo", "dee"]
    assert page.source_box.findText("Race day: Club night") >= 0
