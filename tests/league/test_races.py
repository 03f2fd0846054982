"""The virtual circuit: racers, races, submissions and standings, and every refusal leaving the data as it was."""

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import torch

from league.laptime import to_ms
from league.db import LeagueError, open_db
from league.evaluation import Evaluation
from league.freeze import FrozenModel, freeze, open_frozen
from league.reproduce import reproduce_submission
from league.races import (add_racer, create_race, get_racer, list_racers, record_submission, score_laps,
                          set_race_state, standings, submit)
from sim.library import load_track
from trainer.driving import EvaluationRules, LapResult
from trainer.policy import load_policy

FROZEN = FrozenModel("0" * 64, "m", "final", 3)
CUP = "workshop_loop_cup"


def laps_of(*times, offs=0):
    """LapResults from lap times in s; None is a lap that was not completed."""
    return [LapResult(i + 1, t, t is not None, 100.0 if t is not None else 40.0, offs,
                      status="lap_complete" if t is not None else "reversed", penalty_s=2.0 * offs)
            for i, t in enumerate(times)]


def counts(db):
    return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("racers", "races", "submissions", "laps")}


@pytest.fixture
def db():
    return open_db()


@pytest.fixture
def race(db):
    for alias in ("ann", "bob", "cy", "dee"):
        add_racer(db, alias, alias.title())
    return create_race(db, "cup", CUP, laps=3)


# -- racers and races -------------------------------------------------------------------------------
def test_a_duplicate_alias_is_refused_ignoring_case_and_the_first_racer_is_kept(db):
    add_racer(db, "Speedy", "Speedy Gonzales")
    before = counts(db)
    with pytest.raises(LeagueError, match="alias 'speedy' is taken .*'Speedy'"):
        add_racer(db, "speedy", "Someone Else")
    assert counts(db) == before
    assert get_racer(db, "SPEEDY").display_name == "Speedy Gonzales"
    assert [r.alias for r in list_racers(db)] == ["Speedy"]


def test_races_only_run_on_competition_tracks(db):
    with pytest.raises(LeagueError, match="track 'workshop_loop' is trainable.*workshop_loop_cup"):
        create_race(db, "bad", "workshop_loop")
    with pytest.raises(LeagueError, match="no track named 'moon'"):
        create_race(db, "bad", "moon")
    assert counts(db)["races"] == 0
    assert not load_track(CUP).info.trainable
    create_race(db, "good", CUP)
    with pytest.raises(LeagueError, match="a race named 'GOOD' already exists"):
        create_race(db, "GOOD", CUP)
    with pytest.raises(LeagueError, match="average of: expected 1..3"):
        create_race(db, "avg", CUP, laps=3, ranking="best_average", average_of=4)
    with pytest.raises(LeagueError, match="closes .* must be after opens"):
        create_race(db, "window", CUP, opens_at="2026-05-02T10:00:00+00:00", closes_at="2026-05-01T10:00:00+00:00")
    assert counts(db)["races"] == 1


def test_unknown_racer_race_and_model_are_refused(db, race):
    before = counts(db)
    with pytest.raises(LeagueError, match="no racer with alias 'zed'"):
        submit(db, "cup", "zed", "anything")
    with pytest.raises(LeagueError, match="no race named 'nope'"):
        submit(db, "nope", "ann", "anything")
    with pytest.raises(LeagueError, match="no model named 'ghost'"):
        submit(db, "cup", "ann", "ghost")
    assert counts(db) == before


def test_a_closed_race_accepts_nothing(db, race):
    record_submission(db, race, "ann", FROZEN, laps_of(20, 21, 22))
    before, table = counts(db), standings(db, race)
    set_race_state(db, "cup", "closed")
    with pytest.raises(LeagueError, match="race 'cup' is closed"):
        record_submission(db, "cup", "bob", FROZEN, laps_of(10, 10, 10))
    with pytest.raises(LeagueError, match="race 'cup' is closed"):
        submit(db, "cup", "bob", "ghost")  # refused before the model is even looked at
    assert counts(db) == before and standings(db, "cup") == table
    set_race_state(db, "cup", "open")
    record_submission(db, "cup", "bob", FROZEN, laps_of(10, 10, 10))


def test_the_submission_window_is_enforced(db):
    add_racer(db, "ann")
    now = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
    create_race(db, "evening", CUP, laps=1, opens_at="2026-05-01T18:00:00+00:00",
                closes_at="2026-05-01T20:00:00+00:00")
    with pytest.raises(LeagueError, match="opens at 2026-05-01T18:00:00"):
        record_submission(db, "evening", "ann", FROZEN, laps_of(20), now=now)
    record_submission(db, "evening", "ann", FROZEN, laps_of(20), now=now + timedelta(hours=7))
    with pytest.raises(LeagueError, match="closed at 2026-05-01T20:00:00"):
        record_submission(db, "evening", "ann", FROZEN, laps_of(19), now=now + timedelta(hours=8))
    assert counts(db)["submissions"] == 1
    with pytest.raises(LeagueError, match="give a new closing time"):
        set_race_state(db, "evening", "open")


def test_over_the_submission_limit_is_refused(db):
    add_racer(db, "ann")
    add_racer(db, "bob")
    create_race(db, "limited", CUP, laps=1, max_submissions=2)
    record_submission(db, "limited", "ann", FROZEN, laps_of(20))
    record_submission(db, "limited", "ann", FROZEN, laps_of(19))
    before = counts(db)
    with pytest.raises(LeagueError, match="racer 'ann' has used all 2 submissions to race 'limited'"):
        record_submission(db, "limited", "ann", FROZEN, laps_of(18))
    assert counts(db) == before
    record_submission(db, "limited", "bob", FROZEN, laps_of(21))  # the limit is per racer


def test_a_result_under_other_rules_is_refused(db, race):
    with pytest.raises(LeagueError, match="needs 3 laps, the result has 2"):
        record_submission(db, race, "ann", FROZEN, laps_of(20, 20))
    other = Evaluation("m", "final", 1, CUP, EvaluationRules(laps=3, penalty_s=None), laps_of(20, 20, 20))
    with pytest.raises(LeagueError, match="evaluated under"):
        record_submission(db, race, "ann", FROZEN, other)
    assert counts(db)["submissions"] == 0
    same = Evaluation("m", "final", 1, CUP, race.rules, laps_of(20, 20, 20))
    record_submission(db, race, "ann", FROZEN, same)


# -- standings --------------------------------------------------------------------------------------
def test_a_submission_records_the_simulator_version_and_seed_it_was_timed_on(db, race):
    from sim import SIM_VERSION

    seeded = [replace(lap, seed=77) for lap in laps_of(20.0, 21.0, 22.0)]
    sub = record_submission(db, race, "ann", FROZEN, seeded)
    row = db.execute("SELECT sim_version, seed FROM submissions WHERE id = ?", [sub]).fetchone()
    assert tuple(row) == (SIM_VERSION, 77)
    names = [r[0] for r in db.execute("SELECT name FROM _migrations ORDER BY name")]
    assert "league-002-submission-sim-version" in names and "league-003-submission-seed" in names
    # A result evaluated with a seed is under the race's rules (a race fixes the rules, not the seed).
    ev = Evaluation("m", "final", 1, CUP, replace(race.rules, seed=77), seeded)
    record_submission(db, race, "ann", FROZEN, ev)
    unseeded = record_submission(db, race, "bob", FROZEN, laps_of(20.0, 21.0, 22.0))
    with pytest.raises(LeagueError, match="without a noise seed"):
        reproduce_submission(db, unseeded)


def test_the_standing_changes_only_when_a_result_beats_the_previous_best(db, race):
    first = record_submission(db, race, "ann", FROZEN, laps_of(20.0, 21.0, 22.0))
    assert standings(db, race)[0]["submission"] == first
    record_submission(db, race, "ann", FROZEN, laps_of(20.5, 20.5, 20.5))      # worse
    record_submission(db, race, "ann", FROZEN, laps_of(20.0, 25.0, 25.0))      # equal: the earlier stays
    record_submission(db, race, "ann", FROZEN, laps_of(10.0, 10.0, None))      # faster lap, but incomplete
    row = standings(db, race)[0]
    assert (row["submission"], row["time_s"], row["submissions"]) == (first, 20.0, 4)
    better = record_submission(db, race, "ann", FROZEN, laps_of(19.25, 30.0, 30.0))
    row = standings(db, race)[0]
    assert (row["submission"], row["time_s"], row["rank"]) == (better, 19.25, 1)


def test_ties_share_the_rank_and_the_earlier_result_is_listed_first(db, race):
    record_submission(db, race, "cy", FROZEN, laps_of(21.0, 21.0, 21.0))
    record_submission(db, race, "bob", FROZEN, laps_of(20.0, 22.0, 22.0))
    record_submission(db, race, "ann", FROZEN, laps_of(20.0, 23.0, 23.0))
    rows = standings(db, race)
    assert [(r["racer"], r["rank"], r["gap_s"]) for r in rows] == [("bob", 1, 0.0), ("ann", 1, 0.0), ("cy", 3, 1.0)]
    assert rows[0]["points"] == rows[1]["points"] == 1000


def test_racers_without_a_valid_result_rank_after_everyone_with_one(db, race):
    record_submission(db, race, "dee", FROZEN, laps_of(None, None, None))
    record_submission(db, race, "ann", FROZEN, laps_of(30.0, 30.0, 30.0))
    record_submission(db, race, "cy", FROZEN, laps_of(15.0, None, 15.0))
    record_submission(db, race, "bob", FROZEN, laps_of(25.0, 25.0, 25.0))
    rows = standings(db, race)
    assert [r["racer"] for r in rows] == ["bob", "ann", "dee", "cy"]
    assert [r["rank"] for r in rows] == [1, 2, 3, 3]
    assert [r["time_s"] for r in rows[2:]] == [None, None]
    assert [r["points"] for r in rows[2:]] == [0, 0]


@pytest.mark.parametrize("ranking, average_of, expected_ms", [
    ("best_lap", 1, 19_000), ("total_time", 1, 104_000), ("best_average", 2, 19_500), ("best_average", 3, 20_333)])
def test_ranking_methods(db, ranking, average_of, expected_ms):
    add_racer(db, "ann")
    r = create_race(db, f"r-{ranking}-{average_of}", CUP, laps=5, ranking=ranking, average_of=average_of)
    record_submission(db, r, "ann", FROZEN, laps_of(22.0, 20.0, 19.0, 22.0, 21.0))
    assert standings(db, r)[0]["time_ms"] == expected_ms


def test_score_laps_needs_every_lap_and_averages_consecutive_laps_only():
    assert score_laps([20_000, 30_000, 19_000, 19_000], "best_average", 2) == (True, 19_000, 19_000, 88_000)
    assert score_laps([20_000, None, 19_000], "best_lap", 1) == (False, None, 19_000, None)
    assert score_laps([1, 2], "best_average", 2) == (True, 2, 1, 3)  # 1.5 ms rounds half up


def test_a_write_that_fails_half_way_leaves_nothing(db, race):
    # A connection-local trigger fails the laps insert after the submission row is written.
    db.execute("CREATE TEMP TRIGGER unplugged BEFORE INSERT ON laps BEGIN SELECT RAISE(ABORT, 'disk unplugged'); END")
    with pytest.raises(sqlite3.IntegrityError, match="disk unplugged"):
        record_submission(db, race, "ann", FROZEN, laps_of(20, 20, 20))
    assert counts(db)["submissions"] == counts(db)["laps"] == 0
    db.execute("DROP TRIGGER temp.unplugged")
    record_submission(db, race, "ann", FROZEN, laps_of(20, 20, 20))
    assert counts(db)["submissions"] == 1 and counts(db)["laps"] == 3


# -- real submissions -------------------------------------------------------------------------------


def test_a_submission_is_frozen_against_later_training(db, trained):
    add_racer(db, "ann")
    r = create_race(db, "frozen-cup", CUP, laps=2)
    row = submit(db, r, "ann", "racer1")
    assert row["improved"] and row["rank"] == 1 and len(row["laps"]) == 2
    table = standings(db, r)
    frozen = open_frozen(row["frozen_hash"])
    # Later "training": the model's checkpoints are overwritten with other weights.
    agent = load_policy(trained, trained.pick_checkpoint()).agent
    with torch.no_grad():
        for p in agent.parameters():
            p.add_(0.5 * torch.randn_like(p))
    state = {"agent": agent.state_dict(), "obs_shape": [64], "iteration": 5}
    for c in trained.list_checkpoints():
        trained.write_checkpoint(c["iteration"], state)
    assert standings(db, r) == table
    live = load_policy(trained, trained.pick_checkpoint()).agent
    kept = load_policy(frozen, "initial").agent
    assert not all(torch.equal(a, b) for a, b in zip(live.state_dict().values(), kept.state_dict().values()))
    # The frozen copy still drives exactly the recorded laps.
    from league.evaluation import run_laps

    assert isinstance(row["seed"], int) and row["summary"]["seed"] == row["seed"]
    again = run_laps(frozen, "initial", load_track(CUP), replace(r.rules, seed=row["seed"]))
    assert [lap["time_ms"] for lap in row["laps"]] == [to_ms(lap.time_s) for lap in again]
    replay = reproduce_submission(db, row["id"])
    assert replay["identical"] and replay["seed"] == row["seed"] and replay["replayed_ms"] == replay["recorded_ms"]
    # A new submission freezes the new weights under a new hash.
    assert freeze("racer1").hash != row["frozen_hash"]
    assert r.rules == EvaluationRules(laps=2, mode="trials", penalty_s=2.0)
