"""Finals: seeding a bracket or a ladder from the board, byes, advancement, ties, corrections and
their audit entries, timed heats from sessions, head-to-model heats, the CLI and the exports."""

from __future__ import annotations

import csv
import io
import json

import pytest

from league import finals as fl
from league import raceday as rd
from league.audit import audit_entries
from league.db import LeagueError, open_db
from league.finals_export import export_finals
from league.finals_run import record_from_sessions, run_heat, session_heat_time_ms
from tests.league.test_cli import ok, refused

EVENT = "friday"


@pytest.fixture
def db():
    db = open_db()
    rd.create_event(db, EVENT, "workshop_loop")
    return db


def record(db, racer, *laps, model=None):
    """A recorded session of hand-timed laps (s); ``model``: recorded as a model's session."""
    timer = rd.get_event(db, EVENT).new_timer()
    t = 0.0
    timer.start(t)
    for lap in laps:
        t += lap
        timer.capture_lap(t)
    timer.end(t + 1)
    return rd.record_session(db, EVENT, timer, racer=racer, driver="model" if model else "car", model=model)


def qualify(db, n, model=None):
    """``n`` racers r1..rn; r1 is fastest."""
    for i in range(1, n + 1):
        record(db, f"r{i}", 10 + i, model=model)


def first_round(db, final):
    return [(h["seed_a"], h["seed_b"]) for h in fl.heats(db, final) if h["round"] == 1]


def test_standard_seeding_of_eight_pairs_1v8_and_keeps_1_and_2_apart_until_the_final(db):
    qualify(db, 8)
    final = fl.create_finals(db, EVENT, 8)
    assert final.kind == "bracket" and final.rounds == 3
    assert first_round(db, final) == [(1, 8), (4, 5), (2, 7), (3, 6)]
    assert [h["round_name"] for h in fl.heats(db, final)] == ["Quarter-finals"] * 4 + ["Semi-finals"] * 2 + ["Final"]
    assert fl.next_heat(db, final)["seed_a"] == 1


@pytest.mark.parametrize("n", range(2, 33))
def test_every_size_seeds_each_racer_once_with_byes_for_the_top_seeds(n):
    seats = fl.bracket_seats(n)
    heats = fl.first_round("bracket", n)
    seeds = [s for _, a, b in heats for s in (a, b) if s is not None]
    assert sorted(seeds) == list(range(1, n + 1))
    assert sorted(a for _, a, b in heats if b is None) == list(range(1, seats - n + 1))  # byes: the top seeds
    order = fl.seed_order(seats)
    assert (order.index(1) < seats // 2) != (order.index(2) < seats // 2)  # opposite halves: they meet in the final


def test_byes_advance_at_once_and_fill_the_next_round(db):
    qualify(db, 5)
    final = fl.create_finals(db, EVENT, 5)
    heats = fl.heats(db, final)
    byes = [h for h in heats if h["method"] == "bye"]
    assert [(h["seed_a"], h["winner"]) for h in byes] == [(1, "r1"), (2, "r2"), (3, "r3")]
    semis = [(h["racer_a"], h["racer_b"]) for h in heats if h["round"] == 2]
    assert semis == [("r1", None), ("r2", "r3")]  # r4 v r5 still to race for r1's semi
    with pytest.raises(LeagueError, match="is a bye"):
        fl.record_heat(db, EVENT, byes[0]["id"], winner="r1")


def test_a_ladder_starts_with_the_lowest_seeds_and_each_winner_meets_the_next_seed_up(db):
    qualify(db, 4)
    final = fl.create_finals(db, EVENT, 4, ladder=True)
    assert final.rounds == 3
    heats = fl.heats(db, final)
    assert [(h["racer_a"], h["racer_b"]) for h in heats] == [("r3", "r4"), ("r2", None), ("r1", None)]
    fl.record_heat(db, EVENT, heats[0]["id"], time_a_s=30, time_b_s=29)  # the lowest seed wins
    fl.record_heat(db, EVENT, heats[1]["id"], winner="r4")
    assert [(h["racer_a"], h["racer_b"]) for h in fl.heats(db, final)][2] == ("r1", "r4")
    fl.record_heat(db, EVENT, heats[2]["id"], winner="r1")
    assert fl.bracket(db, EVENT)["champion"] == "r1"
    assert fl.next_heat(db, final) is None


def test_the_better_time_wins_and_a_tie_goes_to_the_higher_seed(db):
    qualify(db, 4)
    final = fl.create_finals(db, EVENT, 4)
    h14, h23 = [h["id"] for h in fl.heats(db, final)[:2]]
    assert fl.record_heat(db, EVENT, h14, time_a_s=31.5, time_b_s=30.25)["winner"] == "r4"
    assert fl.record_heat(db, EVENT, h23, time_a_s=30.0, time_b_s=30.0)["winner"] == "r2"  # tie: seed 2
    assert [(h["racer_a"], h["racer_b"]) for h in fl.heats(db, final)][2] == ("r4", "r2")


def test_one_racer_without_a_time_loses_and_a_contradicting_winner_is_refused(db):
    qualify(db, 2)
    final = fl.create_finals(db, EVENT, 2)
    heat = fl.next_heat(db, final)["id"]
    with pytest.raises(LeagueError, match="disagrees with the times"):
        fl.record_heat(db, EVENT, heat, winner="r2", time_a_s=20, time_b_s=21)
    with pytest.raises(LeagueError, match="--winner"):
        fl.record_heat(db, EVENT, heat)
    assert fl.record_heat(db, EVENT, heat, time_b_s=25)["winner"] == "r2"  # r1 did not finish


def test_re_recording_a_heat_is_audited_and_clears_the_heats_that_depended_on_it(db):
    qualify(db, 4)
    final = fl.create_finals(db, EVENT, 4)
    h14, h23, last = [h["id"] for h in fl.heats(db, final)]
    fl.record_heat(db, EVENT, h14, winner="r1")
    fl.record_heat(db, EVENT, h23, winner="r2")
    fl.record_heat(db, EVENT, last, time_a_s=40, time_b_s=41)
    assert fl.bracket(db, EVENT)["champion"] == "r1"
    assert audit_entries(db, entity="raceday_heat") == []  # first results are not corrections
    fl.record_heat(db, EVENT, h14, winner="r4", who="marshal", reason="r1 cut the chicane")
    final_heat = fl.get_heat(db, last)
    assert (final_heat["racer_a"], final_heat["racer_b"], final_heat["winner"]) == ("r4", "r2", None)
    assert fl.bracket(db, EVENT)["champion"] is None and fl.next_heat(db, final)["id"] == last
    [entry] = audit_entries(db, entity="raceday_heat", entity_id=h14)
    assert (entry["who"], entry["reason"], entry["before"]["winner"], entry["after"]["winner"]) == \
        ("marshal", "r1 cut the chicane", "r1", "r4")
    assert entry["after"]["cleared_heats"] == [last]
    fl.record_heat(db, EVENT, h14, winner="r4", who="marshal")  # the same winner again: nothing else changes
    assert fl.get_heat(db, last)["racer_a"] == "r4"


def test_seeding_refuses_too_many_finalists_a_bad_size_and_a_second_final(db):
    qualify(db, 3)
    record(db, "dnf-racer")  # no lap: no time, never a finalist
    with pytest.raises(LeagueError, match="only 3 racers have a time"):
        fl.create_finals(db, EVENT, 4)
    with pytest.raises(LeagueError, match="--top"):
        fl.create_finals(db, EVENT, 1)
    fl.create_finals(db, EVENT, 3)
    with pytest.raises(LeagueError, match="already has finals"):
        fl.create_finals(db, EVENT, 2)
    final = fl.create_finals(db, EVENT, 2, ladder=True, replace=True, who="lead")
    assert final.kind == "ladder" and audit_entries(db, entity="raceday_finals")[0]["who"] == "lead"
    with pytest.raises(LeagueError, match="has no finals yet"):
        fl.get_finals(db, rd.create_event(db, "saturday", "workshop_loop"))


def test_a_timed_heat_takes_each_racers_time_for_the_heats_laps_from_their_sessions(db):
    qualify(db, 2)
    final = fl.create_finals(db, EVENT, 2, laps=2)
    a = record(db, "r1", 10.0, 12.0, 9.0)   # 22.0 s for two laps
    b = record(db, "r2", 10.5, 11.0)        # 21.5 s
    assert session_heat_time_ms(db, a, 2) == 22000 and session_heat_time_ms(db, a, 4) is None
    heat = fl.next_heat(db, final)["id"]
    with pytest.raises(LeagueError, match="session-a"):
        record_from_sessions(db, EVENT, heat, b, a)
    done = record_from_sessions(db, EVENT, heat, a, b)
    assert (done["winner"], done["time_a_ms"], done["time_b_ms"], done["detail"]) == \
        ("r2", 22000, 21500, {"sessions": [a, b]})


def test_a_heat_of_a_physical_car_cannot_be_simulated(db):
    record(db, "r1", 11, model="standard")
    record(db, "r2", 12)
    fl.create_finals(db, EVENT, 2)
    with pytest.raises(LeagueError, match="r2 raced a physical car"):
        run_heat(db, EVENT)


@pytest.mark.slow
def test_a_head_to_model_heat_is_raced_by_both_models_and_sends_the_winner_on(db):
    qualify(db, 3, model="standard")  # the bundled model: it finishes its laps
    final = fl.create_finals(db, EVENT, 3, laps=1)
    heat = run_heat(db, EVENT, seed=7)  # the bye went through; r2 v r3 is the one ready
    assert heat["method"] == "head_to_model" and heat["winner"] in ("r2", "r3")
    assert heat["detail"]["seed"] == 7 and heat["detail"]["models"] == ["standard", "standard"]
    assert heat["detail"]["laps_done"] == [1, 1] and heat["time_a_ms"] > 0 and heat["time_b_ms"] > 0
    by_time = "r2" if heat["time_a_ms"] <= heat["time_b_ms"] else "r3"
    assert heat["winner"] == by_time
    assert fl.get_heat(db, fl.heats(db, final)[2]["id"])["racer_b"] == heat["winner"]
    again = run_heat(db, EVENT, heat["id"], seed=7, who="marshal")  # the same seed drives the same race
    assert (again["time_a_ms"], again["time_b_ms"]) == (heat["time_a_ms"], heat["time_b_ms"])


def test_cli_seeds_shows_records_and_exports_a_bracket(db, tmp_path):
    qualify(db, 4)
    out = ok("raceday", "finals", "create", EVENT, "--top", 4, "--laps", 2).stdout
    assert "knockout bracket of 4" in out and "(1) r1 v (4) r4" in out
    heats = json.loads(ok("raceday", "finals", "show", EVENT, "--json").stdout)["rounds"]
    first = heats[0]["heats"][0]["id"]
    assert "r4 wins" in ok("raceday", "finals", "record", EVENT, "--heat", first, "--time-a", 33, "--time-b", 32).stdout
    refused("raceday", "finals", "record", EVENT, "--heat", 99, "--winner", "r1", match="--heat: no heat 99")
    refused("raceday", "finals", "record", EVENT, "--heat", first, "--winner", "nobody", match="--winner")
    refused("raceday", "finals", "run", EVENT, match="raced a physical car")
    refused("raceday", "finals", "create", EVENT, "--top", 9, match="only 4 racers")
    ok("raceday", "finals", "export", EVENT, "-o", tmp_path / "b.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "b.csv").read_text())))
    assert [(r["round_name"], r["racer_a"], r["racer_b"], r["winner"]) for r in rows][0] == \
        ("Semi-finals", "r1", "r4", "r4")
    ok("raceday", "finals", "export", EVENT, "-o", tmp_path / "b.html")
    page = (tmp_path / "b.html").read_text()
    assert "Semi-finals" in page and '<div class="racer won"><span class="seed">4</span>r4' in page
    refused("raceday", "finals", "export", EVENT, "-o", tmp_path / "b.txt", match="-o:")
    assert json.loads(export_finals(db, EVENT, "json"))["rounds"][1]["heats"][0]["racer_a"] == "r4"
