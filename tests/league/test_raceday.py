"""Race-day events, the queue, recorded sessions, the event leaderboard and its export rows."""

import json
import sqlite3

import pytest
from click.testing import CliRunner

from gui.cli import main
from league import raceday
from league.db import LeagueError, open_db
from league.raceday import (add_to_queue, create_event, event_lap_rows, event_leaderboard, get_event, next_in_queue,
                            parse_length, queue, record_session, remove, reorder, sessions, set_lap_valid, skip)
from league.timing import SessionTimer
from sim.actions import ActionSpace
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import ModelMetadata
from trainer.model_store import ModelStore


@pytest.fixture
def db():
    return open_db()


@pytest.fixture
def event(db):
    return create_event(db, "Summit", "workshop_loop", length_s=120, resets_limit=1)


def session(ev, laps, *, dnf=False, end=True):
    """A timer that drove ``laps``: a list of (time_s, resets) from a fake clock."""
    t = ev.new_timer()
    now = 0.0
    t.start(now)
    for time_s, resets in laps:
        for _ in range(resets):
            t.add_reset(now + 0.5)
        now += time_s
        t.capture_lap(now)
    if dnf:
        t.dnf(now + 1)
    elif end:
        t.end(now + 1)
    return t


def test_parse_length_reads_minutes_and_seconds():
    assert parse_length("4:00") == 240.0
    assert parse_length("240") == 240.0
    assert parse_length("90s") == 90.0
    with pytest.raises(LeagueError, match="M:SS"):
        parse_length("four minutes")


def test_event_creation_checks_its_rules(db):
    ev = create_event(db, "Club night", "workshop_loop")
    assert (ev.length_s, ev.ranking, ev.average_of, ev.resets_limit) == (240.0, "best_lap", 3, 3)
    timer = ev.new_timer()
    assert isinstance(timer, SessionTimer) and timer.length_s == 240.0 and timer.resets_per_lap_limit == 3
    assert get_event(db, "club NIGHT").id == ev.id
    with pytest.raises(LeagueError, match="already exists"):
        create_event(db, "club night", "practice_oval")
    with pytest.raises(LeagueError, match="60..600"):
        create_event(db, "Short", "workshop_loop", length_s=59)
    with pytest.raises(LeagueError, match="60..600"):
        create_event(db, "Long", "workshop_loop", length_s=601)
    create_event(db, "One minute", "workshop_loop", length_s=60)
    with pytest.raises(ValueError, match="no track named 'nowhere'.*workshop_loop"):
        create_event(db, "Lost", "nowhere")
    with pytest.raises(LeagueError, match="ranking"):
        create_event(db, "Odd", "workshop_loop", ranking="slowest")
    with pytest.raises(LeagueError, match="average of"):
        create_event(db, "Odd", "workshop_loop", ranking="average", average_of=1)
    with pytest.raises(LeagueError, match="resets limit"):
        create_event(db, "Odd", "workshop_loop", resets_limit=-1)
    with pytest.raises(LeagueError, match="no race-day event 'Nope'"):
        get_event(db, "Nope")
    assert [e.name for e in raceday.list_events(db)] == ["Club night", "One minute"]


def test_queue_add_reorder_remove_skip_and_next(db, event):
    for racer in ("ann", "ben", "cat", "dan"):
        add_to_queue(db, event, racer, car=True)
    assert next_in_queue(db, event)["racer"] == "ann"
    with pytest.raises(LeagueError, match="already queued"):
        add_to_queue(db, event, "ben", car=True)
    ids = {e["racer"]: e["id"] for e in queue(db, event)}
    assert [e["racer"] for e in reorder(db, ids["dan"], 1)] == ["dan", "ann", "ben", "cat"]
    assert [e["racer"] for e in reorder(db, ids["dan"], 4)] == ["ann", "ben", "cat", "dan"]
    with pytest.raises(LeagueError, match="position: expected 1..4"):
        reorder(db, ids["ann"], 9)
    remove(db, ids["ben"])
    skip(db, ids["ann"])
    assert [e["racer"] for e in queue(db, event)] == ["cat", "dan"]
    assert {e["racer"]: e["state"] for e in queue(db, event, everyone=True)} == {
        "ann": "skipped", "cat": "queued", "dan": "queued"}
    with pytest.raises(LeagueError, match="skipped, not queued"):
        remove(db, ids["ann"])
    # A racer who has raced keeps their record and goes after the waiting ones when reordered.
    record_session(db, event, session(event, [(10.0, 0)]), entry_id=ids["cat"])
    assert [e["racer"] for e in queue(db, event)] == ["dan"]
    with pytest.raises(LeagueError, match="done, not queued"):
        remove(db, ids["cat"])
    add_to_queue(db, event, "cat", car=True)          # a second session for cat
    assert [e["racer"] for e in queue(db, event)] == ["dan", "cat"]


def test_queue_needs_a_model_that_exists(db, event, tmp_path):
    import sim.paths

    with pytest.raises(LeagueError, match="no model named 'ghost'"):
        add_to_queue(db, event, "eve", model="ghost")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sim.paths, "assets_dir", lambda: tmp_path / "no-assets")  # as if not installed
        with pytest.raises(LeagueError, match="standard model is not installed.*--car"):
            add_to_queue(db, event, "eve")
    meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"])
    ModelStore().create("untrained", meta, Hyperparameters(), "def reward_function(params):\n    return 1.0\n")
    with pytest.raises(LeagueError, match="no trained checkpoint"):
        add_to_queue(db, event, "eve", model="untrained")
    with pytest.raises(LeagueError, match="not both"):
        add_to_queue(db, event, "eve", model="untrained", car=True)
    with pytest.raises(LeagueError, match="racer"):
        add_to_queue(db, event, "   ", car=True)


def test_a_session_is_written_with_its_laps(db, event):
    add_to_queue(db, event, "ann", display_name="Ann Archer", car=True)
    entry = next_in_queue(db, event)
    timer = session(event, [(12.0, 0), (10.0, 2), (11.0, 1)])
    sid = record_session(db, event, timer, entry_id=entry["id"], started="2026-01-01T10:00:00+00:00")
    assert timer.state == "submitted"
    s = sessions(db, event)[0]
    assert (s["id"], s["racer"], s["display_name"], s["driver"], s["state"], s["best_lap_ms"], s["laps"],
            s["valid_laps"], s["resets"]) == (sid, "ann", "Ann Archer", "car", "submitted", 11000, 3, 2, 3)
    assert [e["action"] for e in json.loads(s["timer_log"])][:2] == ["start", "lap"]
    laps = list(db.query("SELECT lap, time_ms, resets, valid, auto_invalid FROM raceday_laps ORDER BY lap"))
    assert laps == [{"lap": 1, "time_ms": 12000, "resets": 0, "valid": 1, "auto_invalid": None},
                    {"lap": 2, "time_ms": 10000, "resets": 2, "valid": 0, "auto_invalid": "2 resets (limit 1)"},
                    {"lap": 3, "time_ms": 11000, "resets": 1, "valid": 1, "auto_invalid": None}]
    assert queue(db, event, everyone=True)[0]["state"] == "done"
    # A protest upheld later: lap 2 made valid, the results follow.
    set_lap_valid(db, sid, 2, True)
    assert sessions(db, event)[0]["best_lap_ms"] == 10000
    with pytest.raises(LeagueError, match="only an ended session"):
        record_session(db, event, SessionTimer(60.0), racer="ann")


def test_a_failure_half_way_through_a_session_write_leaves_nothing(db, event):
    add_to_queue(db, event, "ann", car=True)
    entry = next_in_queue(db, event)
    # A connection-local trigger fails the second lap's insert, after the session row and lap 1.
    db.execute("CREATE TEMP TRIGGER unplugged BEFORE INSERT ON raceday_laps WHEN NEW.lap = 2 "
               "BEGIN SELECT RAISE(ABORT, 'disk unplugged'); END")
    timer = session(event, [(12.0, 0), (10.0, 0)])
    with pytest.raises(sqlite3.IntegrityError, match="disk unplugged"):
        record_session(db, event, timer, entry_id=entry["id"])
    assert db.execute("SELECT COUNT(*) FROM raceday_sessions").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM raceday_laps").fetchone()[0] == 0
    assert next_in_queue(db, event)["state"] == "queued"
    assert timer.state == "ended"                       # not submitted: it can be written again
    db.execute("DROP TRIGGER temp.unplugged")
    record_session(db, event, timer, entry_id=entry["id"])
    assert db.execute("SELECT COUNT(*) FROM raceday_laps").fetchone()[0] == 2


def test_leaderboard_ranks_ties_no_results_and_gaps(db, event):
    record_session(db, event, session(event, [(12.0, 0), (10.5, 0)]), racer="ann")
    record_session(db, event, session(event, [(11.0, 0), (10.0, 0)]), racer="ben")
    record_session(db, event, session(event, [(10.5, 0)]), racer="cat")          # ties with ann, later
    record_session(db, event, session(event, [(9.0, 2)]), racer="dan")            # invalid only: no result
    record_session(db, event, session(event, [], dnf=True), racer="eve")          # DNF without a lap
    discarded = session(event, [(5.0, 0)])
    discarded.discard()
    record_session(db, event, discarded, racer="fay")                              # kept, never counted
    record_session(db, event, session(event, [(10.8, 0), (9.9, 2)]), racer="ann")  # second session, no better valid
    board = event_leaderboard(db, event)
    assert [(r["rank"], r["racer"], r["time_s"], r["status"]) for r in board] == [
        (1, "ben", 10.0, "ok"), (2, "ann", 10.5, "ok"), (2, "cat", 10.5, "ok"),
        (4, "dan", None, "no time"), (4, "eve", None, "dnf")]
    assert [r["gap_s"] for r in board] == [0.0, 0.5, 0.5, None, None]
    ann = board[1]
    assert (ann["laps"], ann["valid_laps"], ann["resets"], ann["sessions"]) == (4, 3, 2, 2)
    assert "fay" not in [r["racer"] for r in board]
    assert len(sessions(db, event)) == 7


def test_leaderboard_by_best_average_of_consecutive_valid_laps(db):
    ev = create_event(db, "Avg", "workshop_loop", ranking="average", average_of=2, resets_limit=0)
    record_session(db, ev, session(ev, [(9.0, 0), (12.0, 0), (12.0, 0)]), racer="ann")   # best pair 10.5
    record_session(db, ev, session(ev, [(10.0, 0), (8.0, 1), (10.2, 0), (10.4, 0)]), racer="ben")  # 10.3
    record_session(db, ev, session(ev, [(8.0, 0)]), racer="cat")                          # one lap: no average
    board = event_leaderboard(db, ev)
    assert [(r["rank"], r["racer"], r["time_s"]) for r in board] == [(1, "ben", 10.3), (2, "ann", 10.5),
                                                                     (3, "cat", None)]
    assert board[1]["gap_s"] == pytest.approx(0.2)


def test_export_rows_hold_every_counted_lap(db, event):
    record_session(db, event, session(event, [(12.3456, 0), (10.0, 2)]), racer="ann", display_name="Ann")
    discarded = session(event, [(5.0, 0)])
    discarded.discard()
    record_session(db, event, discarded, racer="ben")
    rows = event_lap_rows(db, event)
    assert [{k: r[k] for k in ("race", "racer", "track", "lap", "time_ms", "time_s", "resets", "valid")}
            for r in rows] == [
        {"race": "Summit", "racer": "ann", "track": "workshop_loop", "lap": 1, "time_ms": 12346, "time_s": 12.346,
         "resets": 0, "valid": True},
        {"race": "Summit", "racer": "ann", "track": "workshop_loop", "lap": 2, "time_ms": 10000, "time_s": 10.0,
         "resets": 2, "valid": False}]
    assert rows[0]["date"][:4].isdigit()


def test_event_exports_use_the_shared_writers_safely(db, event, tmp_path):
    record_session(db, event, session(event, [(10.0, 0)]), racer="=HYPERLINK(\"x\")", display_name="@boss")
    record_session(db, event, session(event, [(11.0, 0), (9.0, 2)]), racer="-1+2", display_name="<b>plain</b>")
    runner = CliRunner()
    out = runner.invoke(main, ["raceday", "export", "Summit"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0] == "race,racer,display_name,track,date,session,lap,time_ms,time_s,penalty_s,resets,collisions,valid"
    assert lines[1].startswith("Summit,\"'=HYPERLINK(\"\"x\"\")\",'@boss,workshop_loop,")
    assert lines[3].startswith("Summit,'-1+2,<b>plain</b>,") and lines[3].endswith(",2,9000,9.0,0.0,2,0,false")
    summary = runner.invoke(main, ["raceday", "export", "Summit", "--what", "summary"]).output.splitlines()
    assert "collisions" in summary[0] and summary[2].startswith("'-1+2,<b>plain</b>,2,1,11000,11.0,11.0,2,0,0.5")
    page = tmp_path / "board.html"
    out = runner.invoke(main, ["raceday", "export", "Summit", "--what", "leaderboard", "--format", "html",
                               "--refresh", "10", "-o", str(page)])
    assert out.exit_code == 0, out.output
    html = page.read_text()
    assert "&lt;b&gt;plain&lt;/b&gt;" in html and "<b>plain" not in html and 'content="10"' in html
    data = json.loads(runner.invoke(main, ["raceday", "export", "Summit", "--format", "json"]).output)
    assert [r["racer"] for r in data["laps"]] == ["=HYPERLINK(\"x\")", "-1+2", "-1+2"]
    assert runner.invoke(main, ["raceday", "export", "Summit", "--format", "html"]).exit_code == 1


def test_a_league_racer_brings_their_display_name(db, event):
    if "racers" not in db.table_names():
        pytest.skip("the league's racers table is not there")
    with db.conn:
        db.conn.execute("INSERT INTO racers (alias, display_name, created) VALUES ('zoe', 'Zoe Zed', '2026')")
    assert add_to_queue(db, event, "ZOE", car=True)["display_name"] == "Zoe Zed"
    assert add_to_queue(db, event, "walkup", car=True)["display_name"] == "walkup"


def test_cli_creates_events_queues_racers_and_shows_the_leaderboard(db):
    runner = CliRunner()
    out = runner.invoke(main, ["raceday", "event", "create", "Cup", "--track", "workshop_loop", "--length", "2:30",
                               "--ranking", "average", "--average-of", "2", "--resets-limit", "none"])
    assert out.exit_code == 0, out.output
    assert "2:30 sessions" in out.output and "no reset limit" in out.output
    out = runner.invoke(main, ["raceday", "event", "create", "Bad", "--track", "workshop_loop", "--length", "11:00"])
    assert out.exit_code == 1 and "60..600" in out.output and "Traceback" not in out.output
    assert runner.invoke(main, ["raceday", "queue", "add", "Cup", "ann", "--car"]).exit_code == 0
    out = runner.invoke(main, ["raceday", "event", "show", "Cup", "--json"])
    shown = json.loads(out.output)
    assert shown["length_s"] == 150.0 and shown["resets_limit"] is None and shown["queue"][0]["racer"] == "ann"
    ev = get_event(open_db(), "Cup")
    record_session(open_db(), ev, session(ev, [(10.0, 0), (11.0, 0)]), racer="ann")
    board = json.loads(runner.invoke(main, ["raceday", "leaderboard", "Cup", "--json"]).output)
    assert [(r["rank"], r["racer"], r["time_s"], r["gap_s"]) for r in board] == [(1, "ann", 10.5, 0.0)]
    out = runner.invoke(main, ["raceday", "run", "Cup", "--racer", "ann", "--speed", "0"])
    assert out.exit_code == 1 and "physical car" in out.output
