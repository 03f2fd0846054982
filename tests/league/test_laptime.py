"""One lap-time module for races and race day: ms rounding, best of N, rankings, ties, and the
migration that gave race day the races' ranking words."""

import pytest

from league import raceday as rd
from league.db import LeagueError, migrate, open_db
from league.freeze import FrozenModel
from league.laptime import (Ranking, RankingError, best_consecutive_ms, best_window, mean_ms, ranking_time_ms, ranks,
                            to_ms)
from league.migrations import MIGRATIONS
from league.races import add_racer, create_race, get_submission, record_submission
from trainer.driving import LapResult

FROZEN = FrozenModel("c" * 64, "m", "final", 1)


@pytest.mark.parametrize("seconds, ms", [(14.5005, 14501), (14.5004, 14500), (0.0005, 1), (1.0015, 1002),
                                         (2.675, 2675), (12.3456789, 12346), (10, 10000), (None, None)])
def test_seconds_round_half_up_on_the_decimal_value(seconds, ms):
    # 14.5005 * 1000 is 14500.499999999998 in binary floating point: round() and floor(x + 0.5) both gave 14500.
    assert to_ms(seconds) == ms


def test_a_14_5005_s_lap_is_the_same_ms_in_a_race_and_on_race_day():
    db = open_db()
    add_racer(db, "ann")
    race = create_race(db, "sprint", "workshop_loop_cup", laps=1)
    sub = record_submission(db, race, "ann", FROZEN, [LapResult(1, 14.5005, True, 100.0, status="lap_complete")])
    race_ms = get_submission(db, sub)["laps"][0]["time_ms"]

    ev = rd.create_event(db, "Day", "workshop_loop", length_s=60.0)
    timer = ev.new_timer()
    timer.start(0.0)
    timer.capture_lap(14.5005)
    timer.end(20.0)
    sid = rd.record_session(db, ev, timer, racer="ann")
    day_ms = db.execute("SELECT time_ms FROM raceday_laps WHERE session_id = ?", [sid]).fetchone()[0]
    assert race_ms == day_ms == 14501
    assert rd.sessions(db, ev)[0]["best_lap_ms"] == 14501


def test_mean_of_ms_rounds_half_up_exactly():
    assert mean_ms([1, 2]) == 2
    assert mean_ms([10_000, 10_001, 10_001, 10_000]) == 10_001     # 10000.5
    assert mean_ms([20_000, 20_001, 20_000]) == 20_000             # 20000.33
    with pytest.raises(ValueError):
        mean_ms([])


def test_best_of_n_consecutive_skips_runs_broken_by_a_lap_that_does_not_count():
    ms = [20_000, 12_000, None, 15_000, 16_000, 15_000, 16_000]
    assert best_window(ms, 2) == 3                        # 31 000 at laps 4-5, the earlier of two equal runs
    assert best_consecutive_ms(ms, 2) == 15_500
    assert best_consecutive_ms(ms, 3) == 15_333
    assert best_consecutive_ms(ms, 5) is None             # no five counted laps in a row
    assert best_consecutive_ms([], 1) is None


def test_ranking_times_for_each_ranking():
    ms = [22_000, 20_000, 19_000, 22_000, 21_000]
    assert ranking_time_ms(ms, Ranking.BEST_LAP) == 19_000
    assert ranking_time_ms(ms, "best_average", 3) == 20_333
    assert ranking_time_ms(ms, "total_time") == 104_000
    assert ranking_time_ms([20_000, None], "total_time") is None


def test_ranks_share_ties_and_put_no_result_last():
    assert ranks([10.0, 10.0, 11.0, None, 12.0, None]) == [1, 1, 3, 5, 4, 5]
    assert ranks([]) == []


def test_one_ranking_vocabulary_with_the_old_race_day_words_as_aliases():
    assert Ranking.parse("fastest") is Ranking.BEST_LAP and Ranking.parse("average") is Ranking.BEST_AVERAGE
    assert Ranking.parse("best-average") is Ranking.BEST_AVERAGE
    with pytest.raises(RankingError, match="expected one of best_lap, best_average, got 'total_time'"):
        Ranking.parse("total_time", (Ranking.BEST_LAP, Ranking.BEST_AVERAGE))
    db = open_db()
    assert rd.create_event(db, "Old words", "workshop_loop", ranking="average").ranking == "best_average"
    with pytest.raises(LeagueError, match="target laps: total_time counts laps: give how many"):
        rd.create_event(db, "Totals", "workshop_loop", ranking="total_time")
    assert rd.create_event(db, "Totals", "workshop_loop", ranking="total_time", target_laps=5).target_laps == 5
    with pytest.raises(LeagueError, match="ranking: expected one of best_lap, best_average, total_time, most_laps"):
        rd.create_event(db, "Odd", "workshop_loop", ranking="slowest")


def test_migration_renames_race_day_rankings_and_keeps_queue_and_sessions(trackside_home):
    import sqlite3

    import sqlite_utils

    conn = sqlite3.connect(str(trackside_home / "league.db"), isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    old = sqlite_utils.Database(conn)
    names = [m.name for m in MIGRATIONS]  # a database from before raceday-002 (later ones build on its table)
    before = MIGRATIONS[:names.index("raceday-002-ranking-words")]
    migrate(old, before)
    for i, word in ((1, "fastest"), (2, "average")):
        conn.execute("INSERT INTO raceday_events VALUES (?, ?, 'workshop_loop', 240, ?, 3, 3, 1, 2, 'x')",
                     [i, f"ev{i}", word])
        conn.execute("INSERT INTO raceday_queue (event_id, racer, display_name, position, driver, state, added) "
                     "VALUES (?, 'ann', 'Ann', 1, 'car', 'queued', 'x')", [i])
    conn.close()
    db = open_db()  # applies the rest
    assert [r[0] for r in db.execute("SELECT ranking FROM raceday_events ORDER BY id")] == ["best_lap",
                                                                                           "best_average"]
    assert db.execute("SELECT COUNT(*) FROM raceday_queue").fetchone()[0] == 2
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert "raceday-002-ranking-words" in {r[0] for r in db.execute("SELECT name FROM _migrations")}
    # The rebuilt table keeps its rules and its cascade from the queue.
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE raceday_events SET ranking = 'fastest' WHERE id = 1")
    rd.get_event(db, "ev1").new_timer()


def test_migrations_are_listed_once_in_order():
    names = [m.name for m in MIGRATIONS]
    assert len(names) == len(set(names))
    assert names[:2] == ["league-001-tables", "league-002-submission-sim-version"]


def test_race_standings_and_race_day_rank_ties_the_same_way():
    """Equal times share a rank and the next rank skips; no result ranks last: in a race and on race day."""
    from league.races import standings

    db = open_db()
    race = create_race(db, "ties", "workshop_loop_cup", laps=1)
    ev = rd.create_event(db, "Ties", "workshop_loop", length_s=60.0)
    times = {"ann": 20.0, "bob": 20.0, "cy": 21.5, "dee": None}
    for alias, t in times.items():
        add_racer(db, alias)
        lap = LapResult(1, t if t else 30.0, t is not None, 100.0 if t else 50.0,
                        status="lap_complete" if t else "off_track")
        record_submission(db, race, alias, FROZEN, [lap])
        timer = ev.new_timer()
        timer.start(0.0)
        if t is not None:
            timer.capture_lap(t)
        timer.end(40.0)
        rd.record_session(db, ev, timer, racer=alias)
    expected = dict(zip(times, ranks([to_ms(t) for t in times.values()])))
    assert expected == {"ann": 1, "bob": 1, "cy": 3, "dee": 4}
    assert {r["racer"]: r["rank"] for r in standings(db, race)} == expected
    assert {r["racer"]: r["rank"] for r in rd.event_leaderboard(db, ev)} == expected


def test_a_session_score_under_each_format_from_made_up_laps():
    from league.laptime import session_score

    laps = [(12000, False), (10000, True), (11000, True), (9000, True), (15000, False)]
    score = lambda ranking, **kw: session_score(laps, ranking, **kw)  # noqa: E731
    assert score("best_lap").time == 9000
    assert score("best_average", average_of=2).time == 10000                  # laps 3 and 4
    assert score("total_time", target_laps=2).time == 21000                   # the first two valid: 10 + 11
    assert score("first_to", target_laps=2).time == 33000                     # the clock at lap 3, lap 1 included
    assert score("total_time", target_laps=4) is None and score("first_to", target_laps=4) is None
    assert score("most_laps") == (42000, 3)                                   # 3 valid, the last landed at 42 s
    assert session_score(laps[:3], "most_laps").key > score("most_laps").key  # fewer laps rank lower
    assert session_score([(5000, False)], "most_laps") is None
    with pytest.raises(ValueError, match="target_laps"):
        score("first_to")
