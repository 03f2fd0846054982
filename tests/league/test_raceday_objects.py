"""Race-day events of every race type: object-avoidance and head-to-bot events, simulated sessions among
the event's objects (collisions held and counted as resets), the migration, the CLI."""

import itertools
import json
import sqlite3

import pytest
import sqlite_utils
from click.testing import CliRunner

from gui.cli import main
from league import raceday as rd
from league.db import LeagueError, migrate, open_db
from league.migrations import MIGRATIONS
from league.raceday import RaceDayEvent
from league.raceday.simulated import run_simulated_session
from sim.errors import TracksideError
from trainer.model_store import ModelStore

OA = {"NUMBER_OF_OBSTACLES": 3}


def event(race_type="object_avoidance", settings=OA, length_s=30.0, collision_penalty_s=5.0, resets_limit=3):
    """An event built directly (sessions shorter than the 60 s an organiser may set)."""
    return RaceDayEvent(id=0, name="test", track="workshop_loop", length_s=length_s, ranking="best_lap", average_of=3,
                        resets_limit=resets_limit, min_lap_s=1.0, penalty_s=2.0, created="", race_type=race_type,
                        race_settings=dict(settings), collision_penalty_s=collision_penalty_s)


def drive(ev, seed=3):
    """A session of the standard model as fast as it goes, every state published (a wall clock that
    jumps a second per reading defeats the 20 Hz limit)."""
    states = []
    timer = run_simulated_session(ev, "ann", ModelStore().get("standard"), speed=0, seed=seed,
                                  on_update=states.append, wall_clock=itertools.count(0.0, 1.0).__next__)
    return timer, states


def test_an_object_avoidance_session_holds_each_collision_and_counts_it_as_a_reset():
    ev = event(collision_penalty_s=4.0)
    timer, states = drive(ev)
    laps = timer.laps
    assert len(laps) >= 2
    hits = [s for s in states if s["event"] == "collision"]
    assert len(hits) >= 1  # the standard model, trained on a time trial, runs into a box with this seed
    assert sum(lap.collisions for lap in laps) + timer.running_collisions == len(hits)
    assert all(0 <= lap.collisions <= lap.resets for lap in laps)
    assert [e.action for e in timer.events].count("collision") == len(hits)
    for hit in hits:  # held for the penalty in view, then driving again
        later = states[states.index(hit) + 1:]
        held = list(itertools.takewhile(lambda s: s["held"], later))
        assert held and held[-1]["clock_s"] == pytest.approx(hit["clock_s"] + 4.0)
        assert later[len(held)]["clock_s"] >= hit["clock_s"] + 4.0 - 1e-9 and not later[len(held)]["held"]
    # every state carries the event's three boxes as object rows of car 0
    for s in states:
        assert len(s["objects"]) == 3 and all(len(row) == 6 and row[5] == 0.0 for row in s["objects"])
        assert all(v == round(v, 3) for row in s["objects"] for v in row)
    json.dumps(states[-1])


def test_a_collision_counts_against_the_resets_limit():
    ev = event(resets_limit=0, collision_penalty_s=0.0)
    timer, _ = drive(ev)
    hit = [lap for lap in timer.laps if lap.collisions]
    assert hit and all(not lap.valid and lap.auto_invalid for lap in hit)
    assert all(lap.valid for lap in timer.laps if lap.resets == 0)


def test_the_same_seed_replays_the_session_objects_included():
    ev = event("head_to_bot", {"NUMBER_OF_BOT_CARS": 2, "BOT_CAR_SPEED": 0.5, "IS_LANE_CHANGE": True})
    (a, sa), (b, sb) = drive(ev, seed=11), drive(ev, seed=11)
    assert [lap.as_dict() for lap in a.laps] == [lap.as_dict() for lap in b.laps]
    assert [s["objects"] for s in sa] == [s["objects"] for s in sb]
    assert all(len(s["objects"]) == 2 and all(row[5] == 1.0 for row in s["objects"]) for s in sa)
    moved = {tuple(s["objects"][0][:2]) for s in sa}
    assert len(moved) > 10  # the bot cars drive


def test_a_time_trial_session_has_no_objects_and_no_collisions():
    timer, states = drive(event("time_trial", {}), seed=3)
    assert all(s["objects"] == [] for s in states)
    assert timer.laps and all(lap.collisions == 0 for lap in timer.laps)


def test_create_event_keeps_the_race_type_and_records_collisions(trackside_home):
    db = open_db()
    ev = rd.create_event(db, "Boxes", "workshop_loop", length_s=60, race_type="object_avoidance",
                         race_settings={"NUMBER_OF_OBSTACLES": 2}, collision_penalty_s=3)
    got = rd.get_event(db, "Boxes")
    assert got == ev and got.race_settings["NUMBER_OF_OBSTACLES"] == 2 and got.collision_penalty_s == 3.0
    assert got.describe_race_type() == "object avoidance: 2 obstacles, evenly spaced"
    assert got.objects.n_obstacles == 2
    assert rd.create_event(db, "Plain", "workshop_loop").objects is None
    timer = ev.new_timer()
    timer.start(0.0)
    timer.add_collision(1.0)
    timer.add_reset(2.0)
    timer.capture_lap(10.0)
    timer.end(11.0)
    sid = rd.record_session(db, ev, timer, racer="ann")
    assert db.execute("SELECT resets, collisions FROM raceday_laps WHERE session_id = ?", [sid]).fetchall() == [(2, 1)]
    assert rd.event_lap_rows(db, ev)[0]["collisions"] == 1
    with pytest.raises(TracksideError, match="NUMBER_OF_BOT_CARS does not fit race type object_avoidance"):
        rd.create_event(db, "Bad", "workshop_loop", race_type="object_avoidance",
                        race_settings={"NUMBER_OF_BOT_CARS": 1})
    with pytest.raises(TracksideError, match="race_type: expected one of"):
        rd.create_event(db, "Bad", "workshop_loop", race_type="drag_race")
    with pytest.raises(LeagueError, match="collision penalty: expected 0..60 s"):
        rd.create_event(db, "Bad", "workshop_loop", race_type="head_to_bot",
                        race_settings={"NUMBER_OF_BOT_CARS": 1}, collision_penalty_s=-1)


def test_migration_keeps_old_events_as_time_trials(trackside_home):
    conn = sqlite3.connect(str(trackside_home / "league.db"), isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    names = [m.name for m in MIGRATIONS]
    migrate(sqlite_utils.Database(conn), MIGRATIONS[:names.index("raceday-004-event-race-type")])
    conn.execute("INSERT INTO raceday_events (name, track, length_s, ranking, average_of, resets_limit, min_lap_s, "
                 "penalty_s, created) VALUES ('old', 'workshop_loop', 240, 'best_lap', 3, 3, 1, 2, 'x')")
    conn.execute("INSERT INTO raceday_sessions (event_id, racer, display_name, driver, ended, state, length_s, laps, "
                 "valid_laps, resets, timer_log) VALUES (1, 'ann', 'Ann', 'car', 'x', 'submitted', 240, 1, 1, 0, '[]')")
    conn.execute("INSERT INTO raceday_laps (session_id, lap, time_ms, resets, valid) VALUES (1, 1, 9000, 0, 1)")
    conn.close()
    db = open_db()
    ev = rd.get_event(db, "old")
    assert (ev.race_type, ev.race_settings, ev.collision_penalty_s, ev.objects) == ("time_trial", {}, 5.0, None)
    assert ev.describe_race_type() == "time trial"
    assert rd.event_lap_rows(db, ev)[0]["collisions"] == 0
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE raceday_events SET race_type = 'drag_race'")


def test_cli_creates_events_of_every_race_type_and_refuses_a_wrong_option(trackside_home):
    runner = CliRunner()
    out = runner.invoke(main, ["raceday", "event", "create", "boxes", "--track", "workshop_loop", "--length", "1:00",
                               "--race-type", "object_avoidance", "--obstacles", "3", "--collision-penalty", "4"])
    assert out.exit_code == 0, out.output
    assert "object avoidance: 3 obstacles, evenly spaced; a collision holds the car 4 s" in out.output
    out = runner.invoke(main, ["raceday", "event", "create", "bots", "--track", "workshop_loop",
                               "--race-type", "head_to_bot", "--bots", "2", "--bot-speed", "0.5"])
    assert out.exit_code == 0, out.output
    shown = json.loads(runner.invoke(main, ["raceday", "event", "show", "bots", "--json"]).output)
    assert shown["race_type"] == "head_to_bot" and shown["race_settings"]["NUMBER_OF_BOT_CARS"] == 2
    assert shown["collision_penalty_s"] == 5.0
    listed = runner.invoke(main, ["raceday", "event", "list"]).output
    assert "object avoidance: 3 obstacles" in listed and "head to bot: 2 bot cars at 0.5 m/s" in listed
    assert "race type: head to bot" in runner.invoke(main, ["raceday", "event", "show", "bots"]).output
    for wrong, says in ((["--race-type", "object_avoidance", "--bots", "2"], "--bots does not fit race type "
                         "object_avoidance"), (["--collision-penalty", "3"], "--collision-penalty needs objects"),
                        (["--race-type", "object_avoidance", "--obstacles", "0"], "NUMBER_OF_OBSTACLES must be at "
                         "least 1")):
        out = runner.invoke(main, ["raceday", "event", "create", "bad", "--track", "workshop_loop", *wrong])
        assert out.exit_code != 0
        assert out.output.strip().count("\n") == 0 and says in out.output, out.output
        assert "Traceback" not in out.output
    assert [e.name for e in rd.list_events(open_db())] == ["boxes", "bots"]


def test_cli_run_json_laps_carry_collisions(trackside_home):
    runner = CliRunner()
    runner.invoke(main, ["raceday", "event", "create", "boxes", "--track", "workshop_loop", "--length", "1:00",
                         "--race-type", "object_avoidance", "--obstacles", "3"])
    out = runner.invoke(main, ["raceday", "run", "boxes", "--racer", "ann", "--speed", "0", "--seed", "5", "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["race_type"] == "object_avoidance" and result["collision_penalty_s"] == 5.0
    assert result["laps"] and all("collisions" in lap for lap in result["laps"])
    assert sum(lap["collisions"] for lap in result["laps"]) >= 1
    db = open_db()
    stored = db.execute("SELECT lap, collisions FROM raceday_laps ORDER BY lap").fetchall()
    assert stored == [(lap["number"], lap["collisions"]) for lap in result["laps"]]
    text = runner.invoke(main, ["raceday", "run", "boxes", "--racer", "bob", "--speed", "0", "--seed", "5"]).output
    assert "collision: held 5 s" in text and "(collisions 1)" in text


def test_a_collision_is_a_reset_that_a_false_finish_gives_back_to_the_running_lap():
    timer = event().new_timer()
    timer.start(0.0)
    timer.add_collision(1.0)
    timer.add_reset(2.0)
    assert (timer.running_resets, timer.running_collisions) == (2, 1)
    lap = timer.capture_lap(9.0)
    assert (lap.resets, lap.collisions, lap.as_dict()["collisions"]) == (2, 1, 1)
    assert (timer.running_resets, timer.running_collisions) == (0, 0)
    timer.undo_false_finish(9.5)
    assert (timer.running_resets, timer.running_collisions) == (2, 1)
    assert timer.snapshot(9.5)["running_collisions"] == 1
    timer.undo_reset(10.0)
    timer.undo_reset(10.5)
    assert (timer.running_resets, timer.running_collisions) == (0, 0)
    assert [e.action for e in timer.events].count("collision") == 1
