"""Multi-track race-day events: tracks per event, the track each session ran on, per-track and combined
boards, the runs cap per track, exports, the CLI, and old events after the migration."""

import json
import sqlite3

import pytest
import sqlite_utils
from click.testing import CliRunner

from gui.cli import main
from league import exports
from league import raceday as rd
from league.db import LeagueError, migrate, open_db
from league.migrations import MIGRATIONS

A, B, C = "workshop_loop", "practice_oval", "workshop_loop_cup"


@pytest.fixture
def db():
    return open_db()


def drive(db, ev, racer, laps, *, track=None, ranking_laps=None):
    """Record a hand-timed session of ``laps`` (lap times, s; negative: an invalid lap) on ``track``."""
    t = ev.new_timer()
    now = 0.0
    t.start(now)
    for time_s in laps:
        if time_s < 0:
            for _ in range(ev.resets_limit + 1):
                t.add_reset(now + 0.5)
        now += abs(time_s)
        t.capture_lap(now)
    t.end(now + 1)
    return rd.record_session(db, ev, t, racer=racer, track=track)


def three_tracks(db, **kw):
    return rd.create_event(db, "Summit", A, tracks=[A, B, C], length_s=600, resets_limit=0, **kw)


def board(rows):
    return [(r["rank"], r["racer"], r["time_s"], r.get("tracks_done")) for r in rows]


def test_an_event_keeps_its_tracks_in_order_and_sessions_the_track_they_ran_on(db):
    ev = three_tracks(db)
    assert ev.tracks == (A, B, C) and ev.track == A and ev.multi_track
    assert rd.get_event(db, "summit").tracks == (A, B, C)
    drive(db, ev, "ann", [10.0], track=B)
    drive(db, ev, "ann", [11.0])                       # no track given: the event's first
    assert [s["track"] for s in rd.sessions(db, ev)] == [B, A]
    with pytest.raises(LeagueError, match="runs on workshop_loop, practice_oval, workshop_loop_cup, not 'bowtie'"):
        drive(db, ev, "ann", [9.0], track="bowtie")
    one = rd.create_event(db, "Solo", A)
    assert one.tracks == (A,) and not one.multi_track


def test_per_track_boards_and_the_combined_board_rank_by_tracks_then_the_sum(db):
    ev = three_tracks(db)
    drive(db, ev, "ann", [10.0, 9.0], track=A)         # 9
    drive(db, ev, "ann", [20.0], track=B)              # 20
    drive(db, ev, "ann", [30.0], track=C)              # 30: 59 over three
    drive(db, ev, "bob", [8.0], track=A)               # 8
    drive(db, ev, "bob", [19.0], track=B)              # 19
    drive(db, ev, "bob", [33.0], track=C)              # 33: 60 over three
    drive(db, ev, "cy", [5.0], track=A)                # fastest on A, but only two tracks: 5 + 10 = 15
    drive(db, ev, "cy", [10.0], track=B)
    drive(db, ev, "dee", [7.0], track=A)               # one track
    drive(db, ev, "eve", [-4.0], track=A)              # no valid lap anywhere
    assert board(rd.event_leaderboard(db, ev, track=A)) == [
        (1, "cy", 5.0, None), (2, "dee", 7.0, None), (3, "bob", 8.0, None), (4, "ann", 9.0, None),
        (5, "eve", None, None)]
    assert board(rd.event_leaderboard(db, ev, track=C)) == [(1, "ann", 30.0, None), (2, "bob", 33.0, None)]
    combined = rd.event_leaderboard(db, ev)
    assert board(combined) == [(1, "ann", 59.0, 3), (2, "bob", 60.0, 3), (3, "cy", 15.0, 2), (4, "dee", 7.0, 1),
                               (5, "eve", None, 0)]
    assert combined == rd.combined_leaderboard(db, ev)
    assert combined[0]["by_track"] == {A: 9.0, B: 20.0, C: 30.0}
    assert combined[2]["by_track"] == {A: 5.0, B: 10.0, C: None}
    assert [r["gap_s"] for r in combined] == [0.0, 1.0, None, None, None]  # a gap only beside as many tracks
    assert (combined[0]["laps"], combined[0]["sessions"], combined[4]["status"]) == (4, 3, "no time")


def test_combined_most_laps_sums_laps_and_a_tie_shares_the_rank(db):
    ev = rd.create_event(db, "Laps", A, tracks=[A, B], length_s=600, resets_limit=0, ranking="most_laps")
    drive(db, ev, "ann", [10.0, 10.0, 10.0], track=A)  # 3 laps
    drive(db, ev, "ann", [10.0], track=B)              # 1: 4 laps
    drive(db, ev, "bob", [10.0, 10.0], track=A)        # 2
    drive(db, ev, "bob", [10.0, 11.0], track=B)        # 2: 4 laps, the last ones landed at 20 + 21 = 41 s > 30 + 10
    drive(db, ev, "cy", [10.0, 10.0, 10.0], track=A)   # 3 + 1 at the same times as ann's: a tie
    drive(db, ev, "cy", [10.0], track=B)
    rows = rd.event_leaderboard(db, ev)
    assert [(r["rank"], r["racer"], r["result_laps"], r["gap_laps"]) for r in rows] == [
        (1, "ann", 4, 0), (1, "cy", 4, 0), (3, "bob", 4, 0)]
    assert [r["time_s"] for r in rows] == [40.0, 40.0, 41.0] and rows[2]["gap_s"] == 1.0


def test_a_one_track_event_board_is_unchanged_and_carries_no_track_columns(db):
    ev = rd.create_event(db, "Solo", A, length_s=600, resets_limit=0)
    drive(db, ev, "ann", [10.0])
    drive(db, ev, "bob", [9.0])
    rows = rd.event_leaderboard(db, ev)
    assert board(rows) == [(1, "bob", 9.0, None), (2, "ann", 10.0, None)] and "by_track" not in rows[0]
    assert rd.event_leaderboard(db, ev, track=A) == rows


def test_queue_entries_name_their_track_and_the_runs_cap_counts_per_track(db):
    ev = rd.create_event(db, "Capped", A, tracks=[A, B], length_s=600, resets_limit=0, max_runs=1)
    assert ev.describe_runs() == "1 run per racer per track"
    entry = rd.add_to_queue(db, ev, "ann", car=True, track=B)
    assert entry["track"] == B
    active = rd.start_session(db, ev, entry_id=entry["id"])
    assert active.track == B
    t = ev.new_timer()
    t.start(0.0)
    t.capture_lap(10.0)
    t.end(11.0)
    rd.submit_session(db, active, t)
    assert rd.sessions(db, ev)[0]["track"] == B
    assert (rd.runs_used(db, ev, "ann", B), rd.runs_used(db, ev, "ann", A)) == (1, 0)
    with pytest.raises(LeagueError, match="has used their only run at 'Capped' on practice_oval"):
        rd.add_to_queue(db, ev, "ann", car=True, track=B)
    assert rd.add_to_queue(db, ev, "ann", car=True)["track"] is None   # the first track: a run left there
    with pytest.raises(LeagueError, match="queued for workshop_loop, not practice_oval"):
        rd.start_session(db, ev, "ann", track=B)
    with pytest.raises(LeagueError, match="not 'bowtie'"):
        rd.add_to_queue(db, ev, "bob", car=True, track="bowtie")


def test_exports_carry_each_laps_session_track(db):
    ev = three_tracks(db)
    drive(db, ev, "ann", [10.0], track=B)
    drive(db, ev, "ann", [12.0], track=C)
    rows = rd.event_lap_rows(db, ev)
    assert [(r["track"], r["time_s"]) for r in rows] == [(B, 10.0), (C, 12.0)]
    assert [line.split(",")[3] for line in exports.laps_csv(rows).splitlines()[1:]] == [B, C]


def test_editing_tracks_adds_and_reorders_but_keeps_the_driven_ones(db):
    ev = rd.create_event(db, "Edit", A, length_s=600, resets_limit=0)
    drive(db, ev, "ann", [10.0])
    ev = rd.update_event(db, ev, "judge", tracks=[A, B])
    assert ev.tracks == (A, B) and ev.track == A
    ev = rd.update_event(db, ev, "judge", tracks=[B, A])
    assert (ev.tracks, ev.track) == ((B, A), B)
    assert db.execute("SELECT track FROM raceday_events WHERE id = ?", [ev.id]).fetchone()[0] == B
    with pytest.raises(LeagueError, match="tracks: cannot drop workshop_loop: 'Edit' has 1 recorded session"):
        rd.update_event(db, ev, "judge", tracks=[B])
    ev = rd.update_event(db, ev, "judge", track=C)     # the first track replaced, the others kept
    assert ev.tracks == (C, A)
    rd.add_to_queue(db, ev, "bob", car=True)           # queued for the first track, C
    with pytest.raises(LeagueError, match="tracks: cannot drop workshop_loop_cup: 'bob' is queued for it"):
        rd.update_event(db, ev, "judge", tracks=[A])
    with pytest.raises(LeagueError, match="at most 8 tracks"):
        rd.create_event(db, "Many", A, tracks=[A, B, C, "beginner_loop", "practice_oval_cup", "technical_circuit",
                                                    "technical_circuit_cup", "x", "y"])


def test_old_events_and_sessions_ran_on_their_one_track_after_the_migration(trackside_home):
    conn = sqlite3.connect(str(trackside_home / "league.db"), isolation_level=None)
    names = [m.name for m in MIGRATIONS]
    migrate(sqlite_utils.Database(conn), MIGRATIONS[:names.index("raceday-008-multi-track")])
    conn.execute("INSERT INTO raceday_events (name, track, length_s, ranking, average_of, resets_limit, min_lap_s, "
                 "penalty_s, created) VALUES ('old', 'practice_oval', 240, 'best_lap', 3, 3, 1, 2, 'x')")
    conn.execute("INSERT INTO raceday_sessions (event_id, racer, display_name, driver, ended, state, length_s, laps, "
                 "valid_laps, resets, timer_log) VALUES (1, 'ann', 'Ann', 'car', 'x', 'submitted', 240, 1, 1, 0, '[]')")
    conn.execute("INSERT INTO raceday_laps (session_id, lap, time_ms, resets, valid) VALUES (1, 1, 9000, 0, 1)")
    conn.close()
    db = open_db()
    ev = rd.get_event(db, "old")
    assert ev.tracks == ("practice_oval",) and rd.sessions(db, ev)[0]["track"] == "practice_oval"
    assert board(rd.event_leaderboard(db, ev)) == [(1, "ann", 9.0, None)]
    assert rd.event_lap_rows(db, ev)[0]["track"] == "practice_oval"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_cli_creates_a_multi_track_event_and_prints_each_board(db):
    run = CliRunner().invoke
    res = run(main, ["raceday", "event", "create", "cli", "--track", A, "--track", B, "--length", "10:00",
                     "--resets-limit", "0"])
    assert res.exit_code == 0, res.output
    assert "on workshop_loop, practice_oval" in res.output
    ev = rd.get_event(db, "cli")
    drive(db, ev, "ann", [10.0], track=A)
    drive(db, ev, "ann", [20.0], track=B)
    drive(db, ev, "bob", [9.0], track=A)
    res = run(main, ["raceday", "leaderboard", "cli", "--json"])
    assert [(r["racer"], r["time_s"], r["tracks_done"]) for r in json.loads(res.output)] == [
        ("ann", 30.0, 2), ("bob", 9.0, 1)]
    res = run(main, ["raceday", "leaderboard", "cli", "--track", A, "--json"])
    assert [r["racer"] for r in json.loads(res.output)] == ["bob", "ann"]
    res = run(main, ["raceday", "leaderboard", "cli", "--combined"])
    assert res.exit_code == 0 and "ann" in res.output and "tracks" in res.output
    assert "20.000" in res.output  # the per-track column
    res = run(main, ["raceday", "leaderboard", "cli", "--track", A, "--combined"])
    assert res.exit_code != 0 and "either --track or --combined" in res.output
    res = run(main, ["raceday", "queue", "add", "cli", "cy", "--car", "--track", B])
    assert res.exit_code == 0 and "on practice_oval" in res.output
    res = run(main, ["raceday", "event", "show", "cli"])
    assert "tracks: workshop_loop, practice_oval" in res.output
    res = run(main, ["raceday", "export", "cli", "--what", "leaderboard", "--format", "json", "--track", B])
    data = json.loads(res.output)
    assert (data["track"], [r["racer"] for r in data["leaderboard"]]) == (B, ["ann"])
    res = run(main, ["raceday", "export", "cli", "--what", "leaderboard", "--format", "html"])
    assert "workshop_loop + practice_oval" in res.output


@pytest.mark.slow
def test_a_session_on_the_second_track_drives_and_replays_there(db):
    from league.coaching import coach_session
    from league.print_replay import session_lap_path

    ev = rd.create_event(db, "Replay", A, tracks=[A, B], length_s=60)
    sid, timer, active = rd.run_model_session(db, ev, "ann", model="standard", speed=0, seed=7, track=B)
    assert active.track == B and rd.sessions(db, ev)[0]["track"] == B
    first = rd.run_model_session(db, ev, "bob", model="standard", speed=0, seed=7)[1]
    assert [lap.time_s for lap in first.laps] != [lap.time_s for lap in timer.laps]  # another track, other laps
    coached = coach_session(db, sid, lap=2)
    assert coached.replay_matches and coached.card.track == B
    session = rd.sessions(db, ev)[0]
    path = session_lap_path(ev, session, 2, round(timer.laps[1].time_s * 1000))
    assert path.points is not None, path.note
