"""The League page over a real league database: the sample league, a real submission evaluated
on a worker thread, refusals shown with their reason, history and exports."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QFileDialog

from gui.pages.league import LeaguePage
from gui.pages.league_dialogs import RaceDialog, RacerDialog
from league.races import create_race, list_racers, record_submission, standings
from league.sample import RACE, RACERS, SEASON, pending_sample_submissions
from league.evaluation import Evaluation
from trainer.driving import LapResult

FROZEN = SimpleNamespace(hash="0" * 64, model="someone-elses", checkpoint="final", iteration=3)


def laps_of(*times):
    return [LapResult(i + 1, t, True, 100.0) for i, t in enumerate(times)]


def count(db, table="submissions"):
    return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


@pytest.fixture
def page(qtbot, ctx):
    p = LeaguePage(ctx)
    qtbot.addWidget(p)
    return p


def one_lap_race(page, name="Sprint", **kw):
    """A one-lap race (fast to evaluate) on a competition track, chosen on the page."""
    create_race(page.db, name, "workshop_loop_cup", season=SEASON, laps=1, **kw)
    page.ctx.league_changed.emit()
    page.select_race(name)
    assert page.current_race() == name


def test_first_start_shows_the_sample_league(page):
    assert page.race_list.count() == 1 and page.current_race() == RACE
    assert page.race_status.text() == "\u25cf open"
    assert "Workshop Cup" in page.rules.text() and "up to 5 per racer" in page.rules.text()
    assert page.preview.track.name == "workshop_loop_cup"
    assert page.season_box.currentData() == SEASON
    assert sorted(page.submit_panel.racer_box.itemData(i) for i in range(page.submit_panel.racer_box.count())) \
        == sorted(a for a, _ in RACERS)
    # No model yet: the form says what to do instead of failing on click.
    assert not page.submit_panel.button.isEnabled() and "Train a model first" in page.submit_panel.state.text()


def test_submit_a_model_and_the_leaderboard_changes(qtbot, trained_model, page, ctx):
    one_lap_race(page)
    record_submission(page.db, "Sprint", "grace", FROZEN, laps_of(200.0))  # someone to beat
    ctx.league_changed.emit()
    assert [r["racer"] for r in page.board_model.rows] == ["grace"]
    page.submit_panel.choose(racer="ada", model=trained_model)
    assert page.submit_panel.button.isEnabled()
    assert page.submit()
    # Busy, not frozen: the bar shows, the button waits, the page still answers.
    assert page.submit_panel.busy and not page.submit_panel.button.isEnabled()
    assert page.submit_panel.progress.isVisibleTo(page)
    page.refresh()
    qtbot.waitUntil(lambda: not page.submit_panel.busy, timeout=60_000)
    assert not page.submit_panel.progress.isVisibleTo(page)
    rows = page.board_model.rows
    assert [r["racer"] for r in rows] == ["ada", "grace"], page.notice.text()
    ada, grace = rows
    assert ada["rank"] == 1 and ada["submissions"] == 1 and ada["points"] == 1000
    assert grace["gap_s"] == pytest.approx(200.0 - ada["time_s"])
    text = [page.board_model.data(page.board_model.index(1, c)) for c in range(6)]
    assert text[0] == "2" and text[1] == "Grace" and text[3] == f"+{grace['gap_s']:.3f}"
    # The result is announced and the racer's row highlighted.
    assert page.notice.isVisibleTo(page)
    assert "ada in Sprint" in page.notice.text() and "a new best" in page.notice.text()
    assert page.board_model.highlight == "ada"
    # The racer's history: the submission with its lap.
    page.board.selectRow(0)
    assert page.history.topLevelItemCount() == 1
    sub = page.history.topLevelItem(0)
    assert sub.childCount() == 1 and "lap 1" in sub.child(0).text(0) and "standing" in sub.text(6)
    # The season adds it up.
    season = {r["racer"]: r["points"] for r in page.season_model.rows}
    assert season["ada"] == 1000 and season["grace"] < 1000


def test_refusals_show_their_reason_and_change_nothing(qtbot, trained_model, page, ctx):
    one_lap_race(page, max_submissions=1)
    record_submission(page.db, "Sprint", "ada", FROZEN, laps_of(50.0))
    ctx.league_changed.emit()
    before = count(page.db)
    # Over the limit: refused by the league when asked, shown under the title.
    page.submit_panel.choose(racer="ada", model=trained_model)
    assert page.submit()
    qtbot.waitUntil(lambda: not page.submit_panel.busy, timeout=30_000)
    assert "used all 1 submissions" in page.notice.text() and page.notice.isVisibleTo(page)
    assert count(page.db) == before
    # A closed race: the button says why, and a submission is refused all the same.
    page.set_state("closed")
    assert page.race_status.text() == "\u25cf closed"
    assert not page.submit_panel.button.isEnabled() and "is closed" in page.submit_panel.state.text()
    page.submit_panel.choose(racer="grace")
    page.submit()
    qtbot.waitUntil(lambda: not page.submit_panel.busy, timeout=30_000)
    assert "is closed" in page.notice.text() and count(page.db) == before
    # A duplicate alias (any case): refused, the racer list unchanged.
    racers = list_racers(page.db)
    assert not page.add_racer("ADA", "Another Ada")
    assert "alias 'ADA' is taken" in page.notice.text()
    assert list_racers(page.db) == racers
    dialog = RacerDialog(page, lambda v: __import__("league.races").races.add_racer(page.db, v["alias"]))
    qtbot.addWidget(dialog)
    dialog.alias.setText("grace")
    assert not dialog.try_accept()
    assert "taken" in dialog.error.text() and dialog.alias.text() == "grace"  # what was typed is kept
    assert list_racers(page.db) == racers


def test_race_dialog_refuses_bad_rules_inline_and_creates_a_good_race(qtbot, page):
    created = []
    dialog = RaceDialog(page, lambda v: created.append(page._create_race(**v)) or created[-1], [SEASON],
                        [("technical_circuit_cup", "Technical Cup")], SEASON)
    qtbot.addWidget(dialog)
    dialog.name.setText(RACE)  # taken
    assert not dialog.try_accept() and "already exists" in dialog.error.text()
    dialog.name.setText("Round 2")
    dialog.opens_now.setChecked(False)
    dialog.closes.setDateTime(dialog.opens.dateTime().addDays(-1))
    assert not dialog.try_accept() and "must be after opens" in dialog.error.text()
    dialog.no_close.setChecked(True)
    dialog.ranking.setCurrentIndex(dialog.ranking.findData("best_average"))
    dialog.laps.setValue(5)
    dialog.average_of.setValue(2)
    dialog.max_subs.setValue(3)
    assert dialog.try_accept(), dialog.error.text()
    race = created[0]
    assert (race.track, race.laps, race.ranking, race.average_of, race.max_submissions) == \
        ("technical_circuit_cup", 5, "best_average", 2, 3)
    assert dialog.preview.track.name == "technical_circuit_cup"


def test_exports_write_the_files_chosen(qtbot, page, monkeypatch, tmp_path):
    record_submission(page.db, RACE, "ada", FROZEN, laps_of(30.0, 31.0, 29.5))
    page.ctx.league_changed.emit()
    target = {}
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda parent, title, suggested, kinds: (str(target["path"]), kinds)))
    for what, name, expect in (("html", "board.html", "<h1>Sample Cup</h1>"), ("csv", "board.csv", "rank,racer"),
                               ("laps", "laps.csv", "29.5"), ("summary", "summary.csv", "completion_ratio"),
                               ("json", "race.json", '"standings"'), ("season-csv", "season.csv", "race:Sample Cup")):
        target["path"] = tmp_path / name
        assert page.export(what) == tmp_path / name
        assert expect in (tmp_path / name).read_text(encoding="utf-8"), what
    assert "Exported to" in page.notice.text()
    target["path"] = ""  # cancelled: nothing written, nothing said
    assert page.export("html") is None
    assert standings(page.db, RACE)[0]["time_s"] == 29.5


def test_first_start_submits_the_standard_model_in_the_background(qtbot, ctx, standard_dir):
    from trainer.model_store import ModelStore

    ctx.store = ModelStore(standard_dir=standard_dir)
    page = LeaguePage(ctx)
    qtbot.addWidget(page)
    # Start-up does not wait for it: the page is up, the submission comes a moment later.
    assert page.sample_timer.isActive() and page.board_model.rows == []
    page.sample_timer.stop()
    page.sample_timer.timeout.emit()
    qtbot.waitUntil(lambda: bool(page.board_model.rows), timeout=60_000)
    assert [(r["racer"], r["model"]) for r in page.board_model.rows] == [("standard", "standard")]
    # Once: a second start submits nothing more.
    again = LeaguePage(ctx)
    qtbot.addWidget(again)
    again.sample_timer.timeout.emit()
    assert count(page.db) == 1 and pending_sample_submissions(page.db) == []


def test_reopening_a_race_whose_window_passed_asks_for_a_new_closing_time(qtbot, page, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    create_race(page.db, "Last week", "practice_oval_cup", opens_at="2020-01-01T10:00", closes_at="2020-01-08T10:00")
    page.ctx.league_changed.emit()
    page.select_race("Last week")
    assert page.race_status.text() == "\u25cf ended" and page.open_button.text() == "Reopen\u2026"
    assert "closed at" in page.submit_panel.state.text()
    answers = iter([("next tuesday", True), ("2099-01-01 18:00", True)])
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: next(answers)))
    page.set_state("open")
    assert "expected an ISO date" in page.notice.text() and page.race_status.text() == "\u25cf ended"
    page.set_state("open")
    assert page.race_status.text() == "\u25cf open" and page.submit_panel.why_not() in (None, "Train a model first.")


def test_the_sample_league_is_created_once_and_never_over_a_real_league(tmp_path):
    from league.db import open_db
    from league.races import add_racer, list_races
    from league.sample import ensure_sample_league

    fresh = open_db(tmp_path / "fresh.db")
    assert ensure_sample_league(fresh) and not ensure_sample_league(fresh)
    assert [r.name for r in list_races(fresh)] == [RACE] and len(list_racers(fresh)) == len(RACERS)
    real = open_db(tmp_path / "real.db")
    add_racer(real, "only-me")
    assert not ensure_sample_league(real)
    assert list_races(real) == [] and [r.alias for r in list_racers(real)] == ["only-me"]


def test_race_dialog_creates_an_object_avoidance_race_and_the_page_shows_its_boxes(qtbot, page, tmp_path):
    created = []
    dialog = RaceDialog(page, lambda v: created.append(page._create_race(**v)) or created[-1], [SEASON],
                        [("workshop_loop_cup", "Workshop Cup")], SEASON)
    qtbot.addWidget(dialog)
    assert not dialog.collision_field.isEnabled()  # a time trial has nothing to collide with
    assert dialog.preview._boxes.path().elementCount() == 0
    dialog.name.setText("Boxes")
    dialog.race_type.set_race_type("object_avoidance")
    dialog.race_type.obstacles.setValue(3)
    dialog.collision_penalty.setValue(2.5)
    assert dialog.collision_field.isEnabled()
    assert dialog.preview._boxes.path().elementCount() == 3 * 5  # three rectangles drawn where a lap starts
    assert dialog.try_accept(), dialog.error.text()
    race = created[0]
    assert (race.race_type, race.race_settings["NUMBER_OF_OBSTACLES"], race.collision_penalty_s) == \
        ("object_avoidance", 3, 2.5)
    dialog.grab().save(str(tmp_path / "race-dialog.png"))
    # The page: the race type in the list and the rules, the boxes on the preview, collisions in the history.
    page.ctx.league_changed.emit()
    page.select_race("Boxes")
    item = page.race_list.currentItem().text()
    assert "Object avoidance" in item
    assert "object avoidance: 3 obstacles, evenly spaced; 2.5 s per collision" in page.rules.text()
    assert page.preview._boxes.path().elementCount() == 15 and page.preview._bots.path().elementCount() == 0
    laps = [LapResult(i + 1, 30.0, True, 100.0, collisions=i + 1, penalty_s=2.5 * (i + 1)) for i in range(3)]
    record_submission(page.db, "Boxes", "ada", FROZEN, Evaluation("m", "final", 1, "workshop_loop_cup",
                                                                   race.rules, laps))
    page.ctx.league_changed.emit()
    page.board.selectRow(0)
    sub = page.history.topLevelItem(0)
    assert page.history.headerItem().text(5) == "Collisions"
    assert sub.text(5) == "6" and [sub.child(i).text(5) for i in range(3)] == ["1", "2", "3"]
    page.grab().save(str(tmp_path / "league-boxes.png"))
    # A time trial shows no boxes.
    page.select_race(RACE)
    assert "time trial" in page.rules.text() and page.preview._boxes.path().elementCount() == 0


def test_print_the_chosen_races_podium_from_the_league_page(qtbot, page, monkeypatch, tmp_path):
    import subprocess

    record_submission(page.db, RACE, "ada", FROZEN, laps_of(30.0, 31.0, 29.5))
    page.ctx.league_changed.emit()
    out = tmp_path / "podium.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda parent, title, start, kinds: (str(out), kinds)))
    next(a for a in page.print_button.menu().actions() if "Podium" in a.text()).trigger()
    qtbot.waitUntil(lambda: "Printed" in page.notice.text(), timeout=20000)
    words = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "Sample Cup" in words and "29.500" in words
