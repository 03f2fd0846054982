"""``trackside coach``: coaching cards of an evaluation, a league submission and a race-day session, as text,
JSON and a PDF (rendered with pdftoppm, read with pdftotext)."""

import json
import subprocess

import pytest
from click.testing import CliRunner

from gui.cli import main
from league import raceday as rd
from league.coaching import coach_session, coach_submission
from league.db import LeagueError, open_db
from league.race_setup import create_race
from league.racers import add_racer
from league.races import submit
from pdf_pages import pages
from sim.paths import home

CUP = "workshop_loop_cup"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def ok(*args):
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def refused(*args, match):
    result = run(*args)
    assert result.exit_code == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and match in lines[0], result.stderr


@pytest.mark.slow
def test_coach_an_evaluation_as_text_json_and_a_printable_pdf(tmp_path):
    card = json.loads(ok("coach", "standard", "--track", "workshop_loop", "--laps", 2, "--seed", 4, "--json"))
    assert card["lap_time_s"] == min(x for x in card["laps_ms"] if x) / 1000
    assert card["gap_s"] > 0 and len(card["sectors"]) == 10 and len(card["worst"]) == 3
    assert sum(s["lost_s"] for s in card["sectors"]) == pytest.approx(card["gap_s"], abs=0.01)
    text = ok("coach", "standard", "--track", "workshop_loop", "--laps", 2, "--seed", 4, "--sectors", 5)
    assert f"{card['lap_time_s']:.3f} s against the racing line's" in text and text.count(" <") == 3

    pdf = tmp_path / "card.pdf"
    ok("coach", "standard", "--track", "workshop_loop", "--laps", 2, "--seed", 4, "--pdf", pdf)
    words = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True, check=True).stdout
    assert "Coaching card" in words and f"{card['lap_time_s']:.3f}" in words and "Sector" in words
    worst = card["sectors"][card["worst"][0] - 1]
    assert f"{worst['lost_s']:+.3f}" in words
    (page,) = pages(pdf)
    pixels = page[: page.shape[0] // 2].astype(int)  # the track picture's half of the page
    greenish = (pixels[..., 1] > 120) & (pixels[..., 0] < 120) & (pixels[..., 2] < 120)
    assert greenish.sum() > 20  # the lap is drawn in the loss colours, not left blank


@pytest.mark.slow
def test_coach_a_submission_and_a_session_from_their_seeds():
    db = open_db()
    add_racer(db, "ada", "Łucja Adà")
    create_race(db, "cup", CUP, laps=2)
    sub = submit(db, "cup", "ada", "standard")
    coached = coach_submission(db, sub["id"])
    assert coached.replay_matches and coached.laps_ms == [lap["time_ms"] for lap in sub["laps"]]
    assert coached.card.lap_time_s * 1000 == pytest.approx(sub["best_lap_ms"], abs=1)
    assert "submission" in coached.card.source and "Adà" not in coached.card.source  # the alias names the racer

    rd.create_event(db, "friday", CUP, length_s=60)
    session_id, timer, _ = rd.run_model_session(db, "friday", "ada", model="standard", speed=0)
    coached = coach_session(db, session_id, lap=2)
    assert coached.replay_matches and coached.card.lap.lap == 2
    assert coached.card.lap_time_s == pytest.approx(timer.laps[1].time_s, abs=1e-9)
    assert not coached.card.lap.standing_start  # a session's second lap starts at speed
    data = json.loads(ok("coach", "--session", session_id, "--json"))
    assert data["lap_time_s"] == round(min(lap.time_s for lap in timer.laps), 3) and "Łucja Adà" in data["source"]
    pdf = home() / "card.pdf"  # the card's font (DejaVu Sans, embedded) prints the name as typed
    ok("coach", "--session", session_id, "--pdf", pdf)
    assert "Łucja Adà" in subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True, check=True).stdout


def test_coach_refuses_what_it_cannot_coach():
    db = open_db()
    ev = rd.create_event(db, "friday", CUP, length_s=60)
    rd.add_to_queue(db, ev, "bob", car=True)
    active = rd.start_session(db, ev, "bob")
    timer = ev.new_timer()
    timer.start(0.0)
    timer.capture_lap(9.0)
    timer.end(10.0)
    session_id = rd.submit_session(db, active, timer)
    with pytest.raises(LeagueError, match="physical car"):
        coach_session(db, session_id)
    refused("coach", "--session", session_id, match="physical car")
    refused("coach", "--session", 99, match="no race-day session 99")
    refused("coach", match="give one of MODEL")
    refused("coach", "standard", "--submission", 1, match="give one of MODEL")
    refused("coach", "standard", match="--track")
    refused("coach", "--submission", 5, match="no submission 5")
