"""League races of every race type: object avoidance and head-to-bot races evaluate submissions
among their objects, laps count collisions, reproduce replays them, old races stay time trials."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest
import sqlite_utils
from click.testing import CliRunner

from gui.cli import main
from league.db import LeagueError, migrate, open_db
from league.evaluation import Evaluation
from league.exports import export_laps, export_leaderboard
from league.freeze import FrozenModel
from league.laptime import to_ms
from league.migrations import MIGRATIONS
from league.races import (add_racer, create_race, get_race, get_submission, list_races, record_submission,
                          standings, submit)
from league.reproduce import reproduce_submission
from trainer.crashes import DEFAULT_COLLISION_PENALTY_S
from trainer.driving import EvaluationRules, LapResult
from trainer.model_store import ModelStore
from trainer.race import objects_config

CUP = "workshop_loop_cup"
OA = {"NUMBER_OF_OBSTACLES": 3}
H2B = {"NUMBER_OF_BOT_CARS": 2, "BOT_CAR_SPEED": 0.5}
FROZEN = FrozenModel("0" * 64, "m", "final", 3)


@pytest.fixture
def db():
    db = open_db()
    add_racer(db, "ada", "Ada")
    return db


def lap_rows(db, sub_id):
    return [dict(zip(("time_ms", "penalty_ms", "off_track", "collisions", "completed"), r)) for r in db.execute(
        "SELECT time_ms, penalty_ms, off_track, collisions, completed FROM laps WHERE submission_id = ? ORDER BY lap",
        [sub_id])]


@pytest.mark.parametrize("race_type, settings, penalty", [("object_avoidance", OA, 3.0), ("head_to_bot", H2B, 4.0)])
def test_a_race_with_objects_evaluates_the_standard_model_among_them(db, race_type, settings, penalty):
    race = create_race(db, "cup", CUP, laps=2, race_type=race_type, race_settings=settings,
                       collision_penalty_s=penalty)
    assert race.rules.objects == objects_config(race_type, settings) and race.rules.collision_penalty_s == penalty
    row = submit(db, race, "ada", "standard", models=ModelStore())
    laps = lap_rows(db, row["id"])
    assert len(laps) == 2 and [lap["collisions"] for lap in row["laps"]] == [lap["collisions"] for lap in laps]
    hits = sum(lap["collisions"] for lap in laps)
    # Every collision cost the race's penalty, in the lap time (off-tracks cost the 2 s off-track penalty).
    for lap in laps:
        assert lap["penalty_ms"] == to_ms(2.0 * lap["off_track"] + penalty * lap["collisions"])
    assert row["collisions"] == row["summary"]["collisions"] == hits
    assert get_submission(db, row["id"])["collisions"] == hits
    assert standings(db, race)[0]["collisions"] == hits
    if race_type == "object_avoidance":  # three boxes on the time-trial model's line: it hits some
        assert hits >= 1
    # The recorded seed replays the laps exactly, the objects and collisions included.
    again = reproduce_submission(db, row["id"])
    assert again["identical"] and again["replayed_collisions"] == [lap["collisions"] for lap in laps]
    assert again["replayed_ms"] == [lap["time_ms"] for lap in laps]


def test_a_result_evaluated_without_the_race_objects_is_refused(db):
    race = create_race(db, "boxes", CUP, laps=1, race_type="object_avoidance", race_settings=OA)
    plain = Evaluation("m", "final", 1, CUP, EvaluationRules(laps=1), [LapResult(1, 20.0, True, 100.0)])
    with pytest.raises(LeagueError, match="race 'boxes' runs under"):
        record_submission(db, race, "ada", FROZEN, plain)
    other_penalty = Evaluation("m", "final", 1, CUP, EvaluationRules(laps=1, objects=race.rules.objects,
                                                                     collision_penalty_s=1.0),
                               [LapResult(1, 20.0, True, 100.0)])
    with pytest.raises(LeagueError, match="runs under"):
        record_submission(db, race, "ada", FROZEN, other_penalty)
    assert db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 0
    ok = Evaluation("m", "final", 1, CUP, race.rules, [LapResult(1, 30.0, True, 100.0, collisions=2,
                                                                 penalty_s=10.0)])
    sub = record_submission(db, race, "ada", FROZEN, ok)
    assert [lap["collisions"] for lap in get_submission(db, sub)["laps"]] == [2]


def test_race_types_are_checked_and_stored_with_every_setting(db):
    race = create_race(db, "bots", CUP, race_type="head_to_bot", race_settings={"NUMBER_OF_BOT_CARS": 1})
    assert race.race_settings["NUMBER_OF_BOT_CARS"] == 1 and race.race_settings["BOT_CAR_SPEED"] == 0.2
    assert race.collision_penalty_s == DEFAULT_COLLISION_PENALTY_S
    tt = create_race(db, "tt", CUP)
    assert (tt.race_type, tt.race_settings, tt.rules.objects) == ("time_trial", {}, None)
    bad = [({"race_type": "drag_race"}, "race_type: expected one of"),
           ({"race_type": "object_avoidance", "race_settings": {"NUMBER_OF_BOT_CARS": 2}},
            "NUMBER_OF_BOT_CARS does not fit race type object_avoidance"),
           ({"race_type": "head_to_bot", "race_settings": {"NUMBER_OF_BOT_CARS": 1, "BOT_CAR_SPEED": 9}},
            "BOT_CAR_SPEED must be"),
           ({"race_type": "head_to_bot"}, "NUMBER_OF_BOT_CARS must be at least 1"),
           ({"collision_penalty_s": 3.0}, "collision penalty: a time trial has no objects"),
           ({"race_type": "object_avoidance", "race_settings": OA, "collision_penalty_s": 61},
            "collision penalty: expected 0..60 s")]
    for kw, match in bad:
        with pytest.raises(LeagueError, match=match):
            create_race(db, "bad", CUP, **kw)
    assert [r.name for r in list_races(db)] == ["bots", "tt"]
    with pytest.raises(sqlite3.IntegrityError):  # the table refuses what create_race would
        db.execute("UPDATE races SET race_type = 'drag_race' WHERE name = 'tt'")


def test_old_races_become_time_trials_and_old_laps_have_no_collisions(trackside_home):
    conn = sqlite3.connect(str(trackside_home / "league.db"), isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    before = [m for m in MIGRATIONS if m.name != "league-004-race-type"]
    assert len(before) == len(MIGRATIONS) - 1
    migrate(sqlite_utils.Database(conn), before)
    conn.execute("INSERT INTO racers VALUES (1, 'ann', 'Ann', 'x')")
    conn.execute("INSERT INTO races (id, name, track, laps, mode, penalty_s, ranking, average_of, state, created) "
                 "VALUES (1, 'old cup', ?, 1, 'trials', 2.0, 'best_lap', 1, 'open', '2026-01-01T00:00:00+00:00')",
                 [CUP])
    conn.execute("INSERT INTO submissions (id, race_id, racer_id, model, checkpoint, frozen_hash, submitted_at, "
                 "complete, score_ms, best_lap_ms, total_ms, laps_completed, off_track, summary) VALUES "
                 "(1, 1, 1, 'm', 'final', 'h', 'x', 1, 20000, 20000, 20000, 1, 0, '{}')")
    conn.execute("INSERT INTO laps (submission_id, lap, time_ms, completed, progress, off_track, penalty_ms, status) "
                 "VALUES (1, 1, 20000, 1, 100.0, 0, 0, 'lap_complete')")
    conn.close()
    db = open_db()  # applies league-004-race-type
    race = get_race(db, "old cup")
    assert (race.race_type, race.race_settings, race.collision_penalty_s) == ("time_trial", {}, 5.0)
    assert race.rules == EvaluationRules(laps=1, mode="trials", penalty_s=2.0)
    sub = get_submission(db, 1)
    assert sub["collisions"] == 0 and sub["laps"][0]["collisions"] == 0
    assert standings(db, race)[0]["collisions"] == 0
    assert "league-004-race-type" in {r[0] for r in db.execute("SELECT name FROM _migrations")}
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_exports_carry_the_race_type_and_collisions(db):
    race = create_race(db, "boxes", CUP, laps=2, race_type="object_avoidance", race_settings=OA)
    laps = [LapResult(1, 30.0, True, 100.0, collisions=2, penalty_s=10.0), LapResult(2, 25.0, True, 100.0,
                                                                                     collisions=1, penalty_s=5.0)]
    record_submission(db, race, "ada", FROZEN, Evaluation("m", "final", 1, CUP, race.rules, laps))
    rows = list(csv.DictReader(io.StringIO(export_laps(db, "csv", race="boxes"))))
    assert [(r["race_type"], r["collisions"]) for r in rows] == [("object_avoidance", "2"), ("object_avoidance", "1")]
    summary = list(csv.DictReader(io.StringIO(export_laps(db, "csv", race="boxes", summary=True))))
    assert summary[0]["collisions"] == "3"
    board = json.loads(export_leaderboard(db, "boxes", "json"))
    assert board["race_type"] == "object_avoidance" and board["race_settings"]["NUMBER_OF_OBSTACLES"] == 3
    assert board["collision_penalty_s"] == 5.0 and board["standings"][0]["collisions"] == 3
    assert "object avoidance: 3 obstacles" in export_leaderboard(db, "boxes", "html")


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_cli_creates_races_of_every_type_and_refuses_a_wrong_option_in_one_line(trackside_home):
    out = cli("league", "race", "create", "boxes", "--track", CUP, "--laps", 1, "--race-type", "object_avoidance",
              "--obstacles", 3, "--randomize-obstacles", "--collision-penalty", 2.5)
    assert out.exit_code == 0, out.stderr
    assert "object avoidance: 3 obstacles, random places, 2.5 s per collision" in out.stdout
    out = cli("league", "race", "create", "bots", "--track", CUP, "--race-type", "head_to_bot", "--bots", 2,
              "--bot-speed", 0.6, "--lane-change")
    assert out.exit_code == 0, out.stderr
    listed = cli("league", "race", "list").stdout
    assert "head to bot: 2 bot cars at 0.6 m/s, changing lanes every 3-5 s" in listed
    data = json.loads(cli("league", "race", "show", "boxes", "--json").stdout)
    assert data["race_type"] == "object_avoidance" and data["collision_penalty_s"] == 2.5
    assert data["race_settings"]["NUMBER_OF_OBSTACLES"] == 3 and data["race_settings"]["RANDOMIZE_OBSTACLE_LOCATIONS"]
    for args, match in ((("--race-type", "object_avoidance", "--bots", 2), "--bots does not fit race type"),
                        (("--collision-penalty", 3), "--collision-penalty needs objects"),
                        (("--race-type", "head_to_bot", "--bot-speed", 9), "BOT_CAR_SPEED")):
        out = cli("league", "race", "create", "bad", "--track", CUP, *args)
        lines = out.stderr.strip().splitlines()
        assert out.exit_code == 1 and len(lines) == 1 and lines[0].startswith("error: ") and match in lines[0], \
            out.stderr
    assert "bad" not in cli("league", "race", "list").stdout
    assert cli("league", "racer", "add", "ada").exit_code == 0
    sub = json.loads(cli("league", "submit", "bots", "--racer", "ada", "--model", "standard", "--json").stdout)
    assert len(sub["laps"]) == 3 and all(isinstance(lap["collisions"], int) for lap in sub["laps"])
