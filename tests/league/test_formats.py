"""Race-day formats on the board, time penalties, the runs cap, and editing events and races (audited)."""

import sqlite3

import pytest
import sqlite_utils

from league import raceday as rd
from league.audit import audit_entries
from league.db import LeagueError, migrate, open_db, writing
from league.migrations import MIGRATIONS
from league.race_edits import update_race
from league.raceday.entries import refresh_session_results
from league.races import add_racer, create_race, record_submission, standings
from league.freeze import FrozenModel
from trainer.driving import LapResult

CUP = "workshop_loop_cup"
FROZEN = FrozenModel("0" * 64, "m", "final", 3)


@pytest.fixture
def db():
    return open_db()


def drive(db, ev, racer, laps, *, entry=False):
    """Record a session of ``laps`` (time_s, resets) for ``racer`` timed with a fake clock; returns its id."""
    t = ev.new_timer()
    now = 0.0
    t.start(now)
    for time_s, resets in laps:
        for _ in range(resets):
            t.add_reset(now + 0.5)
        now += time_s
        if t.state in ("ended",):
            break
        t.capture_lap(now)
    if t.state != "ended":
        t.end(now + 1)
    active = rd.start_session(db, ev, racer, model=None) if entry else None
    if active is not None:
        return rd.submit_session(db, active, t)
    return rd.record_session(db, ev, t, racer=racer)


def board(db, ev):
    return [(r["rank"], r["racer"], r["time_s"], r["result_laps"]) for r in rd.event_leaderboard(db, ev)]


def event(db, name, ranking, **kw):
    return rd.create_event(db, name, "workshop_loop", length_s=600, ranking=ranking, resets_limit=0, **kw)


def test_total_time_sums_the_first_n_valid_laps(db):
    ev = event(db, "Total", "total_time", target_laps=2)
    drive(db, ev, "ann", [(10.0, 1), (11.0, 0), (12.0, 0), (5.0, 0)])  # the invalid first lap is skipped: 23
    drive(db, ev, "bob", [(12.0, 0), (10.0, 0)])                       # 22
    drive(db, ev, "cy", [(5.0, 0)])                                    # one valid lap: no time
    assert board(db, ev) == [(1, "bob", 22.0, None), (2, "ann", 23.0, None), (3, "cy", None, None)]
    assert ev.describe_ranking() == "total time of the first 2 valid laps"


def test_most_laps_ranks_by_valid_laps_then_by_when_the_last_landed_and_ties_share_a_rank(db):
    ev = event(db, "Most", "most_laps")
    drive(db, ev, "ann", [(10.0, 0), (10.0, 0), (10.0, 0)])           # 3 laps, the last at 30 s
    drive(db, ev, "bob", [(9.0, 0), (9.0, 0), (9.0, 0), (30.0, 1)])   # 3 valid, the last at 27 s
    drive(db, ev, "cy", [(8.0, 0), (8.0, 0)])                          # 2 laps
    drive(db, ev, "dee", [(10.0, 0), (10.0, 0), (10.0, 0)])           # ann's exactly: shares her rank
    rows = rd.event_leaderboard(db, ev)
    assert [(r["rank"], r["racer"], r["result_laps"], r["gap_laps"]) for r in rows] == [
        (1, "bob", 3, 0), (2, "ann", 3, 0), (2, "dee", 3, 0), (4, "cy", 2, 1)]
    assert rows[1]["gap_s"] == pytest.approx(3.0) and rows[3]["gap_s"] is None  # a gap only beside as many laps


def test_first_to_ends_each_session_and_ranks_by_the_time_taken(db):
    ev = event(db, "First", "first_to", target_laps=3)
    sid = drive(db, ev, "ann", [(10.0, 0), (12.0, 1), (10.0, 0), (10.0, 0), (99.0, 0)])  # the 3rd valid lap at 42 s
    drive(db, ev, "bob", [(11.0, 0), (11.0, 0), (11.0, 0)])                                # 33 s
    drive(db, ev, "cy", [(5.0, 0), (5.0, 0)])                                              # never got there
    assert board(db, ev) == [(1, "bob", 33.0, None), (2, "ann", 42.0, None), (3, "cy", None, None)]
    laps = db.execute("SELECT COUNT(*) FROM raceday_laps WHERE session_id = ?", [sid]).fetchone()[0]
    assert laps == 4  # the session ended at the third valid lap: the 99 s lap never happened
    assert rd.get_event(db, ev.id).describe_ranking() == "first to 3 valid laps"


def test_a_lap_counts_with_its_time_penalty_on_the_board_and_in_the_lap_rows(db):
    ev = event(db, "Penalty", "best_lap")
    ann = drive(db, ev, "ann", [(10.0, 0), (11.0, 0)])
    drive(db, ev, "bob", [(10.5, 0)])
    assert board(db, ev)[0][1] == "ann"
    with writing(db):  # a marshal adds 2 s to ann's 10 s lap (C2's lap edit does this through the same columns)
        db.conn.execute("UPDATE raceday_laps SET penalty_ms = 2000 WHERE session_id = ? AND lap = 1", [ann])
        refresh_session_results(db, ann)
    assert board(db, ev) == [(1, "bob", 10.5, None), (2, "ann", 11.0, None)]
    rows = [r for r in rd.event_lap_rows(db, ev) if r["racer"] == "ann"]
    assert [(r["lap"], r["time_ms"], r["time_s"], r["penalty_s"]) for r in rows] == [
        (1, 12000, 12.0, 2.0), (2, 11000, 11.0, 0.0)]


def test_a_racer_who_has_used_their_runs_can_neither_queue_nor_start(db):
    ev = rd.create_event(db, "Capped", "workshop_loop", length_s=60, max_runs=2)
    assert ev.describe_runs() == "2 runs per racer"
    rd.add_to_queue(db, ev, "ann", car=True)
    drive(db, ev, "ann", [(10.0, 0)], entry=True)
    active = rd.start_session(db, ev, "ann")                   # a discarded run gives the run back
    rd.discard_session(db, active)
    drive(db, ev, "ann", [(10.0, 0)], entry=True)
    assert rd.runs_used(db, ev, "ann") == 2
    with pytest.raises(LeagueError, match="'ann' has used all 2 runs at 'Capped'; raise the cap"):
        rd.add_to_queue(db, ev, "ann", car=True)
    with pytest.raises(LeagueError, match="has used all 2 runs"):
        rd.start_session(db, ev, "ann")
    rd.add_to_queue(db, ev, "bob", car=True)                    # others still run
    rd.update_event(db, ev, "marshal", max_runs=3)
    assert rd.add_to_queue(db, ev, "ann", car=True)["state"] == "queued"


def test_edit_an_event_with_the_create_checks_audited(db):
    ev = event(db, "Club", "best_lap")
    with pytest.raises(LeagueError, match="session length: must be 60..600 s"):
        rd.update_event(db, ev, "ann", length_s=30)
    with pytest.raises(LeagueError, match="event edit: no setting colour"):
        rd.update_event(db, ev, "ann", colour="red")
    rd.create_event(db, "Other", "workshop_loop")
    with pytest.raises(LeagueError, match="an event named 'Other' already exists"):
        rd.update_event(db, ev, "ann", name="Other")
    changed = rd.update_event(db, ev, "ann", name="Club night", length_s=300.0, reason="a longer evening")
    assert (changed.name, changed.length_s) == ("Club night", 300.0)
    entry = audit_entries(db, entity="raceday_event", entity_id=ev.id)[0]
    assert (entry["who"], entry["action"], entry["reason"]) == ("ann", "event edit", "a longer evening")
    assert entry["before"] == {"name": "Club", "length_s": 600.0} and entry["after"] == {"name": "Club night",
                                                                                         "length_s": 300.0}
    assert len(audit_entries(db)) == 1  # the refusals wrote nothing


def test_an_event_with_sessions_keeps_what_its_laps_were_driven_under_and_changes_its_ranking(db):
    ev = event(db, "Held", "best_lap", average_of=2)
    drive(db, ev, "ann", [(10.0, 0), (14.0, 0), (14.0, 0)])   # best 10, best average of 2: 12; 3 laps
    drive(db, ev, "bob", [(11.0, 0), (11.0, 0)])              # best 11, average 11; 2 laps
    for change, why in [({"track": "practice_oval"}, "track: cannot change: 'Held' has 2 recorded sessions and the "
                                                     "laps were driven on it"),
                        ({"resets_limit": 3}, "resets limit: cannot change"),
                        ({"ranking": "first_to", "target_laps": 2}, "ranking: cannot change to or from first_to")]:
        with pytest.raises(LeagueError, match=why):
            rd.update_event(db, ev, "marshal", **change)
    assert [r[1] for r in board(db, ev)] == ["ann", "bob"]
    rd.update_event(db, ev, "marshal", ranking="best_average")
    assert board(db, ev) == [(1, "bob", 11.0, None), (2, "ann", 12.0, None)]
    rd.update_event(db, ev, "marshal", ranking="most_laps")
    assert [r[1] for r in board(db, ev)] == ["ann", "bob"]
    rd.update_event(db, ev, "marshal", average_of=3)          # the stored session bests follow
    assert [s["best_average_ms"] for s in rd.sessions(db, ev)] == [12667, None]


def test_league_races_take_fixed_lap_formats_only_and_edits_rescore_the_standings(db):
    with pytest.raises(LeagueError, match="ranking: most_laps needs a timed race-day session; a league race "
                                          "evaluates a fixed number of laps: use best_lap, best_average, total_time"):
        create_race(db, "laps", CUP, ranking="most_laps")
    race = create_race(db, "cup", CUP, laps=2)
    for alias in ("ann", "bob"):
        add_racer(db, alias, alias.title())
    lap = lambda i, t: LapResult(i, t, True, 100.0, 0, status="lap_complete")  # noqa: E731
    record_submission(db, race, "ann", FROZEN, [lap(1, 10.0), lap(2, 20.0)])  # best 10, total 30
    record_submission(db, race, "bob", FROZEN, [lap(1, 12.0), lap(2, 13.0)])  # best 12, total 25
    assert [s["racer"] for s in standings(db, race)] == ["ann", "bob"]
    with pytest.raises(LeagueError, match="ranking: first_to needs a timed race-day session"):
        update_race(db, race, "org", ranking="first_to")
    with pytest.raises(LeagueError, match="laps: cannot change: race 'cup' has 2 submissions and each has that many"):
        update_race(db, race, "org", laps=3)
    with pytest.raises(LeagueError, match="closes .* must be after opens"):
        update_race(db, race, "org", opens_at="2026-05-02T10:00:00+00:00", closes_at="2026-05-01T10:00:00+00:00")
    changed = update_race(db, race, "org", ranking="total_time", name="Cup final", reason="the rules said total")
    assert (changed.name, changed.ranking) == ("Cup final", "total_time")
    assert [(s["racer"], s["time_s"]) for s in standings(db, changed)] == [("bob", 25.0), ("ann", 30.0)]
    entry = audit_entries(db, entity="race")[0]
    assert entry["before"] == {"name": "cup", "ranking": "best_lap"} and entry["after"]["ranking"] == "total_time"


def test_migration_keeps_old_events_and_their_rankings_with_no_runs_cap(trackside_home):
    conn = sqlite3.connect(str(trackside_home / "league.db"), isolation_level=None)
    names = [m.name for m in MIGRATIONS]
    migrate(sqlite_utils.Database(conn), MIGRATIONS[:names.index("raceday-006-formats")])
    conn.execute("INSERT INTO raceday_events (name, track, length_s, ranking, average_of, resets_limit, min_lap_s, "
                 "penalty_s, created, race_type) VALUES ('old', 'workshop_loop', 240, 'best_average', 4, 3, 1, 2, 'x', "
                 "'time_trial')")
    conn.execute("INSERT INTO raceday_sessions (event_id, racer, display_name, driver, ended, state, length_s, laps, "
                 "valid_laps, resets, timer_log) VALUES (1, 'ann', 'Ann', 'car', 'x', 'submitted', 240, 1, 1, 0, '[]')")
    conn.close()
    db = open_db()
    ev = rd.get_event(db, "old")
    assert (ev.ranking, ev.average_of, ev.target_laps, ev.max_runs) == ("best_average", 4, None, None)
    assert rd.sessions(db, ev)[0]["racer"] == "ann" and db.execute("PRAGMA foreign_key_check").fetchall() == []
    with pytest.raises(sqlite3.IntegrityError):  # the table itself refuses a counted format without its laps
        db.execute("UPDATE raceday_events SET ranking = 'first_to'")


def test_cli_edits_an_event_and_a_race_and_refuses_in_one_line(trackside_home):
    from click.testing import CliRunner

    from gui.cli import main

    run = CliRunner().invoke
    out = run(main, ["raceday", "event", "create", "Club", "--track", "workshop_loop", "--ranking", "first_to"])
    assert out.exit_code == 1 and "target laps: first_to counts laps: give how many (--laps N)" in out.output
    out = run(main, ["raceday", "event", "create", "Club", "--track", "workshop_loop", "--ranking", "most_laps"])
    assert out.exit_code == 0 and "most valid laps" in out.output and "3 runs per racer" in out.output
    out = run(main, ["raceday", "event", "edit", "Club", "--length", "5:00", "--max-runs", "none", "--by", "ann"])
    assert out.exit_code == 0 and "5:00 sessions" in out.output and "no cap on runs" in out.output
    out = run(main, ["raceday", "event", "edit", "Club", "--length", "11:00"])
    assert out.exit_code == 1 and out.output.count("\n") == 1 and "session length" in out.output
    assert run(main, ["league", "race", "create", "cup", "--track", CUP]).exit_code == 0
    out = run(main, ["league", "race", "edit", "cup", "--ranking", "total_time", "--closes", "2030-01-01T10:00",
                     "--by", "org", "--reason", "rules"])
    assert out.exit_code == 0 and "total_time" in out.output
    entries = audit_entries(open_db())
    assert [(e["who"], e["action"]) for e in entries] == [("org", "race edit"), ("ann", "event edit")]
    assert entries[0]["after"]["ranking"] == "total_time" and entries[0]["after"]["closes_at"].startswith("2030-01-01")
