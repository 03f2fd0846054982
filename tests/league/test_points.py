"""Points: both schemes per race, shared points for ties, season totals and best-K seasons."""

import pytest

from league.db import LeagueError, open_db
from league.freeze import FrozenModel
from league.races import add_racer, create_race, record_submission, season_standings, standings
from league.seasons import create_season, get_season, race_points
from trainer.driving import LapResult

FROZEN = FrozenModel("f" * 64, "m", "final", 1)
CUP = "practice_oval_cup"


def lap(t):
    return [LapResult(1, t, t is not None, 100.0 if t else 50.0, 0, status="lap_complete" if t else "reversed")]


@pytest.fixture
def db():
    db = open_db()
    for alias in ("ann", "bob", "cy", "dee", "eve"):
        add_racer(db, alias)
    return db


def run_race(db, name, season, times):
    """A one-lap race with the given lap time (s, or None: no valid result) per racer, submitted in order."""
    create_race(db, name, CUP, season=season, laps=1)
    for racer, t in times.items():
        record_submission(db, name, racer, FROZEN, lap(t))
    return {r["racer"]: r["points"] for r in standings(db, name)}


def test_time_ratio_points_are_1000_times_the_winners_time_over_the_racers(db):
    create_season(db, "s")
    pts = run_race(db, "r1", "s", {"ann": 20.0, "bob": 25.0, "cy": 30.0, "dee": 20.0, "eve": None})
    assert pts == {"ann": 1000, "dee": 1000, "bob": 800, "cy": 667, "eve": 0}


def test_time_ratio_rounds_halves_up():
    assert race_points(2, 1600, 1000, None) == 625
    assert race_points(2, 16, 13, None) == 813  # 812.5 -> 813 (round() would give 812)


def test_rank_table_points_with_shared_ranks_and_zero_beyond_the_table(db):
    create_season(db, "f1", points="rank_table", rank_table=[25, 18, 15])
    pts = run_race(db, "r1", "f1", {"ann": 21.0, "bob": 20.0, "cy": 20.0, "dee": 22.0, "eve": None})
    # bob and cy tie for 1st (25 each); ann is 3rd (15); dee is 4th, beyond the table.
    assert pts == {"bob": 25, "cy": 25, "ann": 15, "dee": 0, "eve": 0}
    assert get_season(db, "f1").rank_table == (25, 18, 15)


def test_a_race_outside_any_season_scores_by_time_ratio(db):
    pts = run_race(db, "friendly", None, {"ann": 10.0, "bob": 12.5})
    assert pts == {"ann": 1000, "bob": 800}


def test_season_standings_sum_the_races(db):
    create_season(db, "s", points="rank_table", rank_table=[10, 6, 4, 3, 2, 1])
    run_race(db, "r1", "s", {"ann": 20.0, "bob": 21.0, "cy": 22.0})
    run_race(db, "r2", "s", {"bob": 20.0, "ann": 21.0, "dee": 19.0})
    run_race(db, "r3", "s", {"cy": 20.0, "bob": 20.0, "eve": None})
    run_race(db, "elsewhere", None, {"eve": 1.0})  # not in the season
    rows = season_standings(db, "s")
    got = {r["racer"]: (r["rank"], r["points"], r["races"]) for r in rows}
    # ann 10+4, bob 6+6+10 (r3 is a tie for first), cy 4+10, dee 10, eve 0 (no valid result)
    assert got == {"bob": (1, 22, 3), "ann": (2, 14, 2), "cy": (2, 14, 2), "dee": (4, 10, 1), "eve": (5, 0, 1)}
    assert [r["racer"] for r in rows] == ["bob", "ann", "cy", "dee", "eve"]
    assert rows[0]["race_points"] == {"r1": 6, "r2": 6, "r3": 10}


def test_best_k_counts_only_each_racers_best_races_and_ties_share_a_rank(db):
    create_season(db, "k", points="rank_table", rank_table=[10, 5, 1], best_k=2)
    run_race(db, "r1", "k", {"ann": 20.0, "bob": 21.0, "cy": 22.0})   # ann 10, bob 5, cy 1
    run_race(db, "r2", "k", {"bob": 20.0, "ann": 21.0, "cy": 22.0})   # bob 10, ann 5, cy 1
    run_race(db, "r3", "k", {"cy": 20.0, "bob": 21.0, "ann": 22.0})   # cy 10, bob 5, ann 1
    rows = {r["racer"]: r for r in season_standings(db, "k")}
    assert (rows["ann"]["points"], rows["ann"]["counted"]) == (15, 2)   # 10 + 5, the 1 dropped
    assert rows["bob"]["points"] == 15 and rows["cy"]["points"] == 11
    assert rows["ann"]["rank"] == rows["bob"]["rank"] == 1 and rows["cy"]["rank"] == 3


def test_bad_points_schemes_are_refused(db):
    with pytest.raises(LeagueError, match="better rank cannot score fewer"):
        create_season(db, "bad", points="rank_table", rank_table=[10, 12])
    with pytest.raises(LeagueError, match="best K"):
        create_season(db, "bad", best_k=0)
    with pytest.raises(LeagueError, match="points: expected"):
        create_season(db, "bad", points="golf")
    create_season(db, "good")
    with pytest.raises(LeagueError, match="a season named 'GOOD' already exists"):
        create_season(db, "GOOD")
    with pytest.raises(LeagueError, match="no season named 'nope'"):
        create_race(db, "r", CUP, season="nope")
    assert db.execute("SELECT COUNT(*) FROM seasons").fetchone()[0] == 1
    assert get_season(db, "good").rank_table is None
    assert create_season(db, "default-table", points="rank_table").rank_table == (25, 18, 15, 12, 10, 8, 6, 4, 2, 1)
