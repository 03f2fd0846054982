"""Printouts as PDF (podium, certificates, organiser summary): each rendered by poppler (pdftoppm at
50 dpi) and read back (pdftotext), for a race-day event and a league race, from the CLI too."""

import math

import numpy as np
import pytest
from click.testing import CliRunner

from gui.cli import main
from league import raceday as rd
from league.audit import record_change
from league.db import LeagueError, open_db, writing
from league.print_pdf import ACCENT, LINE_BLUE
from league.print_replay import session_lap_path
from league.printouts import render_printout, write_printout
from league.raceday.entries import refresh_session_results
from pdf_pages import pages, text

DPI = 50
TRACK_BOX_MM = (23, 128, 187, 246)
"""Where a certificate draws the track (x0, y0, x1, y1), mm."""


@pytest.fixture
def db():
    return open_db()


@pytest.fixture
def event(db):
    return rd.create_event(db, "Fête d'été", "workshop_loop", length_s=60, resets_limit=1)


def hand_timed(ev, laps):
    """A physical car's ended session: ``laps`` as (time_s, resets)."""
    t, now = ev.new_timer(), 0.0
    t.start(now)
    for time_s, resets in laps:
        for _ in range(resets):
            t.add_reset(now + 0.5)
        now += time_s
        t.capture_lap(now)
    t.end(now + 1)
    return t


@pytest.fixture
def raced(db, event):
    """Five racers with hand-timed sessions; best laps 12.345 (Zoë), 12.9 (Björn), 13.1 (Ana), 14.0 (Kai);
    Lou's only lap had 3 resets (over the limit of 1): no time."""
    for alias, name, laps in (("bjorn", "Björn Ångström", [(14.2, 0), (12.9, 0), (12.0, 2)]),
                              ("zoe", "Zoë Šimić", [(13.0, 0), (12.345, 0)]),
                              ("ana", "Ana", [(13.1, 0)]), ("kai", "Kai", [(14.0, 0)]),
                              ("lou", "Lou", [(16.0, 3)])):
        rd.record_session(db, event, hand_timed(event, laps), racer=alias, display_name=name)
    return event


def near(img: np.ndarray, color, tol: int = 40) -> int:
    """Pixels within ``tol`` of ``color`` on every channel."""
    return int(np.all(np.abs(img.astype(int) - np.array(color)) <= tol, axis=-1).sum())


def track_box(img: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = (round(v / 25.4 * DPI) for v in TRACK_BOX_MM)
    return img[y0:y1, x0:x1]


def test_the_podium_puts_the_top_three_on_their_steps_with_names_as_typed(db, raced, tmp_path):
    pdf = write_printout(db, "podium", "fête d'été", tmp_path / "podium.pdf")
    [page] = pages(pdf)
    words = text(pdf)
    assert abs(page.shape[0] - 297 / 25.4 * DPI) <= 1 and abs(page.shape[1] - 210 / 25.4 * DPI) <= 1  # A4 portrait
    for name, time in (("Zoë Šimić", "12.345"), ("Björn", "12.900"), ("Ana", "13.100"), ("Kai", "14.000")):
        assert name in words and time in words
    assert "Ångström" in words  # a name too long for its step at 18 pt goes on two lines
    assert "+0.555" in words  # Björn's gap to Zoë
    assert near(page, ACCENT) > 2000  # the winner's orange step
    assert (page < 128).any(axis=-1).sum() > 500  # big dark names, not a blank page
    # Kai, fourth, is listed below the podium, not on it: after the ranking line.
    assert words.index("Kai") > words.index("Ranked by")


def test_a_certificate_per_racer_with_rank_best_lap_and_pace_against_the_track(db, raced, tmp_path):
    pdf = write_printout(db, "certificates", "Fête d'été", tmp_path / "certificates.pdf")
    imgs = pages(pdf)
    per_page = text(pdf).split("\f")
    assert len(imgs) == 5
    first = per_page[0]
    assert "Zoë Šimić" in first and "Rank 1 of 4" in first and "12.345 s" in first and "lap 2" in first
    from sim.library import load_track
    from sim.racing_line import compute_racing_line

    flying = compute_racing_line(load_track("workshop_loop")).flying_lap_s  # her best lap began at speed
    assert f"{flying / 12.345 * 100:.1f} %" in first and f"limit {flying:.3f} s flying" in first
    assert "Björn Ångström" in per_page[1] and "Rank 2 of 4" in per_page[1] and "3 laps" not in per_page[1]
    assert "12.900 s" in per_page[1]  # his 12.0 had 2 resets over the limit of 1: it does not count
    assert "physical car: the racing line only" in first
    assert "Lou" in per_page[4] and "Took part (no time)" in per_page[4] and "no valid lap" in per_page[4]
    box = track_box(imgs[0])
    assert near(box, LINE_BLUE) > 100  # the racing line is drawn
    assert near(box, ACCENT) == 0  # and no lap: a physical car is not replayed


def test_the_summary_lists_every_session_lap_and_correction(db, raced, tmp_path):
    sid = next(s["id"] for s in rd.sessions(db, raced) if s["racer"] == "ana")
    with writing(db):
        db.conn.execute("UPDATE raceday_laps SET penalty_ms = 2000 WHERE session_id = ? AND lap = 1", [sid])
        record_change(db, "Marshal Zoé", "lap edit", "raceday_lap", f"{sid}/1", before={"penalty_ms": 0},
                      after={"penalty_ms": 2000}, reason="cut the chicane")
        refresh_session_results(db, sid)
        record_change(db, "Marshal Zoé", "session delete", "raceday_session", 999,
                      before={"event_id": raced.id, "racer": "ghost"}, reason="wrong car on track")
        record_change(db, "someone else", "lap edit", "raceday_lap", "998/1", before={"valid": 1}, after={"valid": 0})
    pdf = write_printout(db, "summary", "Fête d'été", tmp_path / "summary.pdf")
    assert pages(pdf)
    words = text(pdf)
    for expected in ("Session length", "1:00", "1 per lap", "Björn Ångström", "14.200", "2 resets (limit 1)",
                     "Marshal Zoé", "penalty_ms: 0 → 2000", "cut the chicane", "15.100", "deleted", "wrong car"):
        assert expected in words, expected
    assert "someone else" not in words  # a lap of a session that is not this event's
    assert words.index("Sessions") < words.index("Corrections") < words.index("Marshal Zoé")
    # Ana's lap now counts 15.100: she falls behind Kai on the board.
    board = words[words.index("Board"):words.index("Sessions")]
    assert board.index("Kai") < board.index("Ana")


def test_an_event_without_results_prints_a_summary_but_refuses_a_podium(db, event, tmp_path):
    with pytest.raises(LeagueError, match="no results yet"):
        render_printout(db, "podium", event.name)
    words = text(write_printout(db, "summary", event.name, tmp_path / "empty.pdf"))
    assert "none yet" in words and "none recorded" in words


def test_the_cli_writes_each_printout_and_refuses_in_one_line(db, raced, tmp_path):
    runner = CliRunner()
    for what in ("podium", "certificates", "summary"):
        out = tmp_path / f"{what}.pdf"
        done = runner.invoke(main, ["export", what, "Fête d'été", "-o", str(out)])
        assert done.exit_code == 0, done.output
        assert out.read_bytes().startswith(b"%PDF-")
        assert not list(tmp_path.glob(f".{what}.pdf.*"))  # the temporary file was renamed into place
    bad = runner.invoke(main, ["export", "podium", "nowhere", "-o", str(tmp_path / "x.pdf")])
    assert bad.exit_code == 1 and bad.output.count("\n") == 1 and "no race-day event 'nowhere'" in bad.output
    folder = runner.invoke(main, ["export", "summary", "Fête d'été", "-o", str(tmp_path / "missing" / "x.pdf")])
    assert folder.exit_code == 1 and folder.output.startswith("error:") and "Traceback" not in folder.output
    race = runner.invoke(main, ["export", "podium", "Fête d'été", "--race", "-o", str(tmp_path / "x.pdf")])
    assert race.exit_code == 1 and "no race" in race.output


@pytest.mark.slow
def test_a_simulated_session_certificate_draws_its_replayed_best_lap(db, event, tmp_path):
    from league.raceday.simulated import run_simulated_session

    timer = run_simulated_session(event, "zoe", "standard", speed=math.inf, seed=1234)
    sid = rd.record_session(db, event, timer, racer="zoe", display_name="Zoë", driver="model", model="standard")
    pdf = write_printout(db, "certificates", event.name, tmp_path / "replayed.pdf")
    box = track_box(pages(pdf)[0])
    assert near(box, ACCENT) > 100 and near(box, LINE_BLUE) > 50  # her lap beside the racing line
    plain = write_printout(db, "certificates", event.name, tmp_path / "plain.pdf", replay=False)
    assert near(track_box(pages(plain)[0]), ACCENT) == 0
    # A replay that drives another lap (a model changed since) draws nothing rather than a wrong lap.
    session = next(s for s in rd.sessions(db, event) if s["id"] == sid)
    best = min((lap for lap in timer.laps if lap.valid), key=lambda lap: lap.time_s)
    wrong = session_lap_path(event, session, best.number, round(best.time_s * 1000) + 7)
    assert wrong.points is None and "another lap" in wrong.note
    right = session_lap_path(event, session, best.number, round(best.time_s * 1000))
    assert right.points is not None and len(right.points) > 30


@pytest.mark.slow
def test_a_league_race_prints_from_its_standings(db, tmp_path):
    from league.races import add_racer, create_race, submit

    create_race(db, "Coupe d'été", "workshop_loop_cup", laps=2)
    add_racer(db, "zoe", "Zoë Ōtake")
    row = submit(db, "Coupe d'été", "zoe", "standard")
    runner = CliRunner()
    for what in ("podium", "certificates", "summary"):
        out = tmp_path / f"race-{what}.pdf"
        done = runner.invoke(main, ["export", what, "coupe d'été", "--race", "-o", str(out)])
        assert done.exit_code == 0, done.output
        words = text(out)
        assert "Zoë Ōtake" in words and f"{row['time_s']:.3f}" in words
        assert pages(out)
    assert "Rank 1 of 1" in text(tmp_path / "race-certificates.pdf")
    assert near(track_box(pages(tmp_path / "race-certificates.pdf")[0]), ACCENT) > 100  # replayed
    assert f"Submission {row['id']}" in text(tmp_path / "race-summary.pdf")
