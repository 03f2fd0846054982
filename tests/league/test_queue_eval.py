"""Queued submissions evaluated in bulk, one by one or as Ray tasks, and whole races re-checked.

Real parts: the bundled standard model frozen for real, real laps, a real local Ray instance
(2 CPUs, one per module), real SQLite.
"""

import sys

import pytest
from click.testing import CliRunner

from gui.cli import main
from league.db import LeagueError, open_db
from league.queue import list_queue, queue_submission
from league.queue_eval import evaluate_pending, recheck_race
from league.races import add_racer, create_race, standings
from trainer.model_store import ModelStore

TRACK = "workshop_loop_cup"


@pytest.fixture(scope="module")
def ray_instance():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def league_with_queue(db, entries: int, racers: int, **race) -> None:
    """A 1-lap race on the competition track with ``entries`` queued copies of the standard model."""
    create_race(db, "cup", TRACK, laps=1, **race)
    for i in range(racers):
        add_racer(db, f"racer{i}")
    store = ModelStore()
    for i in range(entries):
        queue_submission(db, "cup", f"racer{i % racers}", "standard", models=store)


def laps_of(db) -> list[tuple]:
    return db.execute("SELECT submission_id, lap, time_ms, completed, collisions FROM laps "
                      "ORDER BY submission_id, lap").fetchall()


@pytest.mark.slow
def test_fifty_queued_submissions_on_ray_give_the_standings_of_the_one_by_one_path(ray_instance, tmp_path):
    db = open_db()
    league_with_queue(db, 50, racers=10)
    copy = tmp_path / "copy.db"
    db.execute(f"VACUUM INTO '{copy}'")  # the same queue, evaluated the other way
    on_ray = open_db(copy)
    arrived = []

    one_by_one = evaluate_pending(db, "cup")
    by_ray = evaluate_pending(on_ray, "cup", ray=True, on_result=arrived.append)

    assert len(one_by_one["evaluated"]) == len(by_ray["evaluated"]) == 50
    assert one_by_one["failed"] == by_ray["failed"] == []
    assert [r["queue_id"] for r in arrived] == list(range(1, 51))  # the writer recorded each, in queue order
    times = {r["time_s"] for r in one_by_one["evaluated"]}
    assert len(times) > 5, "each submission drives with its own seed, so the laps differ"
    assert laps_of(db) == laps_of(on_ray)
    table = standings(db, "cup")
    assert len(table) == 10 and table[0]["time_s"] == min(times)
    assert standings(on_ray, "cup") == table
    assert list_queue(on_ray, "cup", "pending") == [] and evaluate_pending(on_ray, "cup", ray=True)["evaluated"] == []


@pytest.mark.slow
def test_recheck_on_ray_reports_the_one_submission_whose_laps_differ(ray_instance):
    db = open_db()
    league_with_queue(db, 6, racers=3)
    evaluate_pending(db, "cup")
    clean = recheck_race(db, "cup", ray=True)
    assert (clean["checked"], clean["identical"], clean["different"]) == (6, 6, [])

    db.execute("UPDATE laps SET time_ms = time_ms - 250 WHERE submission_id = 4")  # a doctored result
    out = recheck_race(db, "cup", ray=True)
    assert out["identical"] == 5
    [diff] = out["different"]
    assert diff["submission"] == 4 and diff["replayed_ms"][0] == diff["recorded_ms"][0] + 250


@pytest.mark.slow
@pytest.mark.parametrize("on_ray", [False, True], ids=["one-by-one", "ray"])
def test_a_submission_that_cannot_be_driven_fails_alone_with_its_reason(on_ray, request):
    if on_ray:
        request.getfixturevalue("ray_instance")
    db = open_db()
    league_with_queue(db, 3, racers=3)
    db.execute("UPDATE league_queue SET frozen_hash = ? WHERE id = 2", ["0" * 64])  # its frozen copy is gone

    out = evaluate_pending(db, "cup", ray=on_ray)

    assert [r["queue_id"] for r in out["evaluated"]] == [1, 3]
    [failed] = out["failed"]
    assert failed["queue_id"] == 2 and "missing" in failed["error"]
    states = {e.id: (e.state, e.submission_id is not None) for e in list_queue(db, "cup")}
    assert states == {1: ("done", True), 2: ("failed", False), 3: ("done", True)}
    assert len(standings(db, "cup")) == 2


def test_pending_submissions_count_against_the_limit_and_stay_out_of_the_standings():
    db = open_db()
    league_with_queue(db, 2, racers=1, max_submissions=2)
    with pytest.raises(LeagueError, match="queued ones included"):
        queue_submission(db, "cup", "racer0", "standard", models=ModelStore())
    assert standings(db, "cup") == []
    assert [e.state for e in list_queue(db, "cup")] == ["pending", "pending"]


def test_without_ray_a_queue_run_says_how_to_get_it(monkeypatch):
    db = open_db()
    league_with_queue(db, 1, racers=1)
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(LeagueError, match=r"pip install -e '\.\[cluster\]'"):
        evaluate_pending(db, "cup", ray=True)
    assert [e.state for e in list_queue(db, "cup")] == ["pending"]


def test_a_race_closed_by_hand_keeps_its_queue_until_reopened():
    from league.races import set_race_state

    db = open_db()
    league_with_queue(db, 1, racers=1)
    set_race_state(db, "cup", "closed")
    with pytest.raises(LeagueError, match="reopen it"):
        evaluate_pending(db, "cup")
    assert [e.state for e in list_queue(db, "cup")] == ["pending"]


@pytest.mark.slow
def test_cli_submit_queue_run_and_recheck():
    def run(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    assert run("league", "racer", "add", "ada").exit_code == 0
    assert run("league", "race", "create", "cup", "--track", TRACK, "--laps", "1").exit_code == 0
    queued = run("league", "submit", "cup", "--racer", "ada", "--model", "standard", "--queue")
    assert queued.exit_code == 0 and "queued ada's standard" in queued.output
    assert run("league", "standings", "cup").output.strip() == "no submissions yet"

    ran = run("league", "queue", "run", "cup")
    assert ran.exit_code == 0 and "1 evaluated, 0 failed" in ran.output
    assert "1 re-driven, all identical" in run("league", "recheck", "cup").output

    open_db().execute("UPDATE laps SET time_ms = time_ms + 1")
    rechecked = run("league", "recheck", "cup")
    assert rechecked.exit_code == 1 and "1 DIFFERENT" in rechecked.output


def test_an_entry_queued_inside_the_window_is_recorded_after_it_closes():
    from datetime import datetime, timezone

    db = open_db()
    create_race(db, "cup", TRACK, laps=1, opens_at="2026-01-01T10:00+00:00", closes_at="2026-01-01T18:00+00:00")
    add_racer(db, "ada")
    queue_submission(db, "cup", "ada", "standard", models=ModelStore(),
                     now=datetime(2026, 1, 1, 17, 59, tzinfo=timezone.utc))
    with pytest.raises(LeagueError, match="closed at"):  # queued now: the window has passed
        queue_submission(db, "cup", "ada", "standard", models=ModelStore())

    [row] = evaluate_pending(db, "cup")["evaluated"]

    [standing] = standings(db, "cup")
    assert standing["submission"] == row["submission"] and standing["submitted_at"] == "2026-01-01T17:59:00+00:00"
