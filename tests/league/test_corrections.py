"""Corrections after the fact: each changes the data, writes its audit entry, and the boards and
exports follow at once. Real SQLite files, hand-timed sessions on a fake clock, submissions
recorded from made-up laps (no model drives here)."""

import csv
import io
import json
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from gui.cli import main
from league import exports
from league.audit import audit_entries
from league.corrections import (
    delete_session,
    edit_lap,
    event_audit,
    reassign_session,
    session_laps,
)
from league.db import LeagueError, open_db
from league.deletions import delete_event, delete_race, delete_submission, race_audit
from league.raceday import (
    create_event,
    event_lap_rows,
    event_leaderboard,
    record_session,
)
from league.racers import add_racer, delete_racer, edit_racer, get_racer
from league.races import create_race, record_submission, season_standings, standings
from league.seasons import create_season, delete_season, edit_season, get_season
from trainer.driving import LapResult


@pytest.fixture
def db():
    return open_db()


@pytest.fixture
def event(db):
    return create_event(db, "Summit", "workshop_loop", length_s=120, resets_limit=1)


def drive(db, ev, racer, laps, name=None):
    """Record a session of ``racer`` whose laps are ``(time_s, resets)`` on a fake clock; its id."""
    t, now = ev.new_timer(), 0.0
    t.start(now)
    for time_s, resets in laps:
        for _ in range(resets):
            t.add_reset(now + 0.5)
        now += time_s
        t.capture_lap(now)
    t.end(now + 1)
    return record_session(db, ev, t, racer=racer, display_name=name)


@dataclass
class Frozen:
    hash: str = "0" * 64
    model: str = "m"
    checkpoint: str = "initial"
    iteration: int | None = None


def submit_laps(db, race, racer, times):
    return record_submission(db, race, racer, Frozen(), [LapResult(i + 1, t, True, 100.0) for i, t in enumerate(times)])


def board(db, ev):
    return [(r["racer"], r["time_s"]) for r in event_leaderboard(db, ev)]


def test_a_lap_edit_changes_the_board_the_export_and_the_audit_log(db, event):
    sid = drive(db, event, "ada", [(12.0, 0), (11.0, 0)])
    drive(db, event, "bo", [(11.5, 0)])
    assert board(db, event) == [("ada", 11.0), ("bo", 11.5)]
    after = edit_lap(db, sid, 2, "marshal", time_s=12.25, reason="mistyped")
    assert after["time_ms"] == 12250
    assert board(db, event) == [("bo", 11.5), ("ada", 12.0)]
    laps = {(r["session"], r["lap"]): r["time_s"] for r in event_lap_rows(db, event)}
    assert laps[(sid, 2)] == 12.25
    rows = list(csv.DictReader(io.StringIO(exports.laps_csv(event_lap_rows(db, event)))))
    assert [r["time_ms"] for r in rows if r["racer"] == "ada"] == ["12000", "12250"]
    entry, = audit_entries(db)
    assert (entry["who"], entry["action"], entry["entity_id"], entry["reason"]) == ("marshal", "lap edit", f"{sid}/2",
                                                                                    "mistyped")
    assert (entry["before"]["time_ms"], entry["after"]["time_ms"]) == (11000, 12250)
    assert event_audit(db, event) == [entry]


def test_resets_follow_the_limit_unless_a_marshal_decided_and_penalties_count(db, event):
    sid = drive(db, event, "ada", [(10.0, 0), (12.0, 2)])  # limit 1: lap 2 is invalid
    assert [lap["valid"] for lap in session_laps(db, sid)] == [1, 0]
    edit_lap(db, sid, 2, "m", resets=1)
    lap2 = session_laps(db, sid)[1]
    assert (lap2["valid"], lap2["auto_invalid"], lap2["overridden"]) == (1, None, 0)
    assert db.execute("SELECT resets FROM raceday_sessions WHERE id = ?", [sid]).fetchone()[0] == 1
    edit_lap(db, sid, 1, "m", valid=False)  # a marshal's verdict sticks
    edit_lap(db, sid, 1, "m", resets=1)
    assert session_laps(db, sid)[0]["valid"] == 0
    assert board(db, event) == [("ada", 12.0)]
    edit_lap(db, sid, 2, "m", penalty_s=2.5)  # counts at time + penalty
    assert board(db, event) == [("ada", 14.5)]
    assert session_laps(db, sid)[1]["counted_ms"] == 14500
    assert [e["action"] for e in audit_entries(db)] == ["lap edit"] * 4


@pytest.mark.parametrize("kwargs, match", [
    ({}, "nothing to change"), ({"time_s": -1}, "--time"), ({"time_s": "fast"}, "--time"),
    ({"resets": -1}, "--resets"), ({"penalty_s": 1e6}, "--penalty"), ({"time_s": 10.0}, "already has"),
])
def test_bad_lap_edits_are_refused_and_change_nothing(db, event, kwargs, match):
    sid = drive(db, event, "ada", [(10.0, 0)])
    with pytest.raises(LeagueError, match=match):
        edit_lap(db, sid, 1, "m", **kwargs)
    assert audit_entries(db) == [] and session_laps(db, sid)[0]["time_ms"] == 10000


def test_a_lap_or_session_that_is_not_there_is_named(db, event):
    sid = drive(db, event, "ada", [(10.0, 0)])
    other = create_event(db, "Other", "workshop_loop")
    with pytest.raises(LeagueError, match="--lap: session .* has no lap 4"):
        edit_lap(db, sid, 4, "m", time_s=9)
    with pytest.raises(LeagueError, match="--session: no race-day session .* at event 'Other'"):
        edit_lap(db, sid, 1, "m", time_s=9, event=other)


def test_sessions_are_deleted_with_their_laps_or_given_to_another_racer(db, event):
    add_racer(db, "cy", "Cyrus B.")
    first = drive(db, event, "ada", [(10.0, 0)])
    second = drive(db, event, "ada", [(9.0, 0)])
    gone = delete_session(db, second, "m", reason="wrong car")
    assert gone["lap_rows"][0]["time_ms"] == 9000
    assert db.execute("SELECT COUNT(*) FROM raceday_laps WHERE session_id = ?", [second]).fetchone()[0] == 0
    assert board(db, event) == [("ada", 10.0)]
    reassign_session(db, first, "cy", "m")
    assert [(r["racer"], r["display_name"]) for r in event_leaderboard(db, event)] == [("cy", "Cyrus B.")]
    with pytest.raises(LeagueError, match="already 'cy'"):
        reassign_session(db, first, "cy", "m")
    assert [e["action"] for e in event_audit(db, event)] == ["session reassign", "session delete"]


def test_racers_are_edited_and_deleted_with_their_submissions_only_on_request(db, event):
    race = create_race(db, "cup", "workshop_loop_cup", laps=2)
    add_racer(db, "ada", "Ada")
    add_racer(db, "bo")
    sub = submit_laps(db, race, "ada", [10.0, 11.0])
    drive(db, event, "ada", [(10.0, 0)])
    with pytest.raises(LeagueError, match="--alias: 'BO' is taken"):
        edit_racer(db, "ada", "m", new_alias="BO")
    edit_racer(db, "ada", "m", new_alias="ada2", display_name="Ada L.")
    assert [(s["racer"], s["display_name"]) for s in standings(db, race)] == [("ada2", "Ada L.")]
    assert [(r["racer"], r["display_name"]) for r in event_leaderboard(db, event)] == [("ada2", "Ada L.")]
    with pytest.raises(LeagueError, match="1 submission.*--cascade"):
        delete_racer(db, "ada2", "m")
    gone = delete_racer(db, "ada2", "m", cascade=True)
    assert [s["id"] for s in gone] == [sub] and standings(db, race) == []
    with pytest.raises(LeagueError, match="no racer"):
        get_racer(db, "ada2")
    assert [e["action"] for e in audit_entries(db)] == ["racer delete", "submission delete", "racer edit"]
    assert [e["action"] for e in race_audit(db, race)] == ["submission delete"]


def test_seasons_are_edited_and_deleted_keeping_their_races_only_when_asked(db):
    create_season(db, "autumn")
    race = create_race(db, "cup", "workshop_loop_cup", season="autumn", laps=1)
    add_racer(db, "ada")
    add_racer(db, "bo")
    submit_laps(db, race, "ada", [10.0])
    submit_laps(db, race, "bo", [12.0])
    assert [r["points"] for r in season_standings(db, "autumn")] == [1000, 833]
    edit_season(db, "autumn", "m", name="fall", points="rank_table", rank_table=[10, 5])
    assert [r["points"] for r in season_standings(db, "fall")] == [10, 5]
    with pytest.raises(LeagueError, match="rank table"):
        edit_season(db, "fall", "m", rank_table=[1, 5])
    with pytest.raises(LeagueError, match="1 race.*--detach"):
        delete_season(db, "fall", "m")
    assert delete_season(db, "fall", "m", detach=True) == ["cup"]
    assert [s["racer"] for s in standings(db, race)] == ["ada", "bo"]  # the race and its results stay
    with pytest.raises(LeagueError, match="no season"):
        get_season(db, "fall")
    before = audit_entries(db)[1]["before"]
    assert (before["name"], before["points"]) == ("autumn", "time_ratio")


def test_events_races_and_submissions_are_deleted_only_with_their_results_on_request(db, event):
    drive(db, event, "ada", [(10.0, 0)])
    with pytest.raises(LeagueError, match="1 recorded session.*--cascade"):
        delete_event(db, event, "m")
    assert delete_event(db, event, "m", cascade=True) == {"sessions": 1, "laps": 1, "queue": 0}
    assert db.execute("SELECT COUNT(*) FROM raceday_laps").fetchone()[0] == 0
    race = create_race(db, "cup", "workshop_loop_cup", laps=1)
    add_racer(db, "ada")
    first, second = submit_laps(db, race, "ada", [11.0]), submit_laps(db, race, "ada", [10.0])
    delete_submission(db, second, "m", reason="protest")
    assert [(s["submission"], s["time_s"]) for s in standings(db, race)] == [(first, 11.0)]
    with pytest.raises(LeagueError, match="1 submission.*--cascade"):
        delete_race(db, race, "m")
    delete_race(db, race, "m", cascade=True)
    assert db.execute("SELECT COUNT(*) FROM laps").fetchone()[0] == 0
    assert [e["action"] for e in audit_entries(db)] == ["race delete", "submission delete", "event delete"]


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_the_command_line_corrects_laps_and_lists_the_audit_log(db, event, tmp_path):
    sid = drive(db, event, "ada", [(10.0, 0), (9.0, 0)])
    res = cli("raceday", "lap", "edit", "Summit", "--session", sid, "--lap", 2, "--time", "9.5", "--invalid",
              "--by", "marshal", "--reason", "cut the chicane")
    assert res.exit_code == 0, res.output
    assert "lap 2" in res.output and "9.500" in res.output
    res = cli("raceday", "export", "Summit", "-o", tmp_path / "laps.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "laps.csv").read_text())))
    assert [(r["time_ms"], r["valid"]) for r in rows] == [("10000", "true"), ("9500", "false")]
    res = cli("audit", "--event", "Summit", "--json")
    entry, = json.loads(res.output)
    assert (entry["who"], entry["reason"], entry["after"]["valid"]) == ("marshal", "cut the chicane", 0)
    res = cli("raceday", "lap", "edit", "Summit", "--session", sid, "--lap", 9, "--time", "1")
    assert res.exit_code == 1 and res.output.count("\n") == 1 and "--lap" in res.output
    res = cli("raceday", "session", "list", "Summit")
    assert f"session    {sid}  ada (ada)" in res.output and "lap  2: 9.500 s, 0 resets, invalid" in res.output
    res = cli("raceday", "session", "reassign", "Summit", "--session", sid, "--racer", "bo", "--name", "Bo")
    assert res.exit_code == 0 and [r["display_name"] for r in event_leaderboard(db, event)] == ["Bo"]
    res = cli("audit", "--event", "Summit")
    assert "session reassign" in res.output and "racer: 'ada' -> 'bo'" not in res.output and "racer: ada -> bo" in res.output
    res = cli("raceday", "session", "delete", "Summit", "--session", sid, "--yes")
    assert res.exit_code == 0 and event_leaderboard(db, event) == []


def test_the_command_line_edits_and_deletes_league_rows(db):
    create_season(db, "autumn")
    race = create_race(db, "cup", "workshop_loop_cup", season="autumn", laps=1)
    add_racer(db, "ada")
    sub = submit_laps(db, race, "ada", [10.0])
    assert cli("league", "racer", "edit", "ada", "--name", "Ada L.").exit_code == 0
    assert get_racer(db, "ada").display_name == "Ada L."
    res = cli("league", "racer", "delete", "ada", "--yes")
    assert res.exit_code == 1 and "--cascade" in res.output
    assert cli("league", "season", "edit", "autumn", "--best-k", 2).exit_code == 0
    assert get_season(db, "autumn").best_k == 2
    res = cli("league", "submission", "delete", sub, "--yes")
    assert res.exit_code == 0 and standings(db, race) == []
    assert cli("league", "race", "delete", "cup", "--yes").exit_code == 0
    assert cli("league", "season", "delete", "autumn", "--yes").exit_code == 0
    assert cli("league", "racer", "delete", "ada", "--yes").exit_code == 0
    res = cli("audit", "--json")
    assert len(json.loads(res.output)) == 6
