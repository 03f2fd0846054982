"""``trackside evaluate``, ``trackside league ...`` and ``trackside export ...`` from the command line."""

import csv
import io
import json
from dataclasses import asdict

from click.testing import CliRunner

from gui.cli import main
from sim.library import list_tracks
from sim.noise import NoiseConfig
from trainer.model_store import ModelStore

CUP = "workshop_loop_cup"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def ok(*args):
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    return result


def refused(*args, match):
    """A refusal: exit status 1, one line on stderr naming the problem, no traceback."""
    result = run(*args)
    assert result.exit_code == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and match in lines[0], result.stderr
    return result




def test_evaluate_prints_laps_as_json(trained):
    data = json.loads(ok("evaluate", "racer1", "--track", CUP, "--laps", 2, "--json").stdout)
    assert data["model"] == "racer1" and data["track"] == CUP and len(data["laps"]) == 2
    for lap in data["laps"]:
        assert {"lap", "time_s", "completed", "progress", "off_track"} <= set(lap)
    seed = data["rules"].pop("seed")
    assert data["rules"] == {"laps": 2, "mode": "trials", "penalty_s": 2.0, "reverse": False, "max_lap_s": None,
                             "noise": asdict(NoiseConfig()), "objects": None, "collision_penalty_s": 5.0}
    assert isinstance(seed, int) and data["summary"]["seed"] == seed and {x["seed"] for x in data["laps"]} == {seed}
    assert data["simtrace"].endswith("0-iteration.csv")
    again = json.loads(ok("evaluate", "racer1", "--track", CUP, "--laps", 2, "--json", "--no-trace",
                          "--seed", seed).stdout)
    assert again["laps"] == data["laps"]  # the recorded seed replays the laps exactly
    assert again["simtrace"] is None
    other = json.loads(ok("evaluate", "racer1", "--track", "practice_oval", "--laps", 1, "--no-resets",
                          "--continuous", "--checkpoint", 0, "--json", "--no-trace").stdout)
    assert other["rules"]["penalty_s"] is None and other["rules"]["mode"] == "continuous"
    assert other["iteration"] == 0
    text = ok("evaluate", "racer1", "--track", CUP, "--laps", 1, "--no-trace").stdout
    assert "lap 1:" in text and "/1 laps, best" in text


def test_evaluate_seed_replays_a_run_and_other_seeds_vary(trained):
    def laps(seed):
        out = ok("evaluate", "racer1", "--track", "practice_oval", "--laps", 3, "--no-trace", "--json", "--seed", seed)
        return [(x["time_s"], x["progress"], x["off_track"]) for x in json.loads(out.stdout)["laps"]]

    first = laps(7)
    assert laps(7) == first
    assert laps(8) != first
    text = ok("evaluate", "racer1", "--track", CUP, "--laps", 1, "--no-trace", "--seed", 7).stdout
    assert "seed 7" in text
    bad = run("evaluate", "racer1", "--track", CUP, "--seed", -1)
    assert bad.exit_code == 2 and "--seed" in bad.stderr and "Traceback" not in bad.stderr


def test_evaluate_refuses_clearly():
    refused("evaluate", "ghost", "--track", CUP, match="no model named 'ghost'")
    ok("model", "create", "draft", "--track", "practice_oval")
    refused("evaluate", "draft", "--track", "moon", match="no track named 'moon'")
    refused("evaluate", "draft", "--track", CUP, match="'draft' has no trained checkpoint yet")
    refused("evaluate", "draft", "--track", CUP, "--checkpoint", "newest", match="checkpoint: expected")


def test_racers_seasons_and_races_from_the_command_line():
    ok("league", "racer", "add", "ann", "--name", "Ann Lee")
    ok("league", "racer", "add", "bob")
    refused("league", "racer", "add", "ANN", match="alias 'ANN' is taken")
    assert [(r["alias"], r["display_name"]) for r in json.loads(ok("league", "racer", "list", "--json").stdout)] == \
        [("ann", "Ann Lee"), ("bob", "bob")]

    ok("league", "season", "create", "spring", "--points", "rank_table", "--rank-table", "10,6,4", "--best-k", 2)
    refused("league", "season", "create", "bad", "--rank-table", "10,x", match="--rank-table")
    seasons = json.loads(ok("league", "season", "list", "--json").stdout)
    assert seasons[0]["name"] == "spring" and seasons[0]["rank_table"] == [10, 6, 4] and seasons[0]["best_k"] == 2

    refused("league", "race", "create", "r", "--track", "workshop_loop", match="'workshop_loop' is trainable")
    ok("league", "race", "create", "r1", "--track", CUP, "--season", "spring", "--laps", 5,
       "--ranking", "best_average", "--average-of", 3, "--max-submissions", 2, "--closes", "2099-01-01T00:00")
    races = json.loads(ok("league", "race", "list", "--json").stdout)
    assert races[0]["name"] == "r1" and races[0]["status"] == "open" and races[0]["average_of"] == 3
    assert races[0]["closes_at"].startswith("2098-12-31") or races[0]["closes_at"].startswith("2099-01-01")
    ok("league", "race", "close", "r1")
    shown = json.loads(ok("league", "race", "show", "r1", "--json").stdout)
    assert shown["status"] == "closed" and shown["standings"] == []
    refused("league", "submit", "r1", "--racer", "ann", "--model", "anything", match="race 'r1' is closed")
    ok("league", "race", "open", "r1")
    refused("league", "race", "show", "nope", match="no race named 'nope'")
    refused("league", "standings", "nope", match="no race named 'nope'")
    refused("league", "season", "standings", "nope", match="no season named 'nope'")


def test_submit_standings_and_exports(trained, tmp_path):
    ok("league", "racer", "add", "ann")
    ok("league", "season", "create", "s")
    ok("league", "race", "create", "cup", "--track", CUP, "--laps", 1, "--season", "s")
    refused("league", "submit", "cup", "--racer", "zed", "--model", "racer1", match="no racer with alias 'zed'")
    refused("league", "submit", "cup", "--racer", "ann", "--model", "ghost", match="no model named 'ghost'")
    sub = json.loads(ok("league", "submit", "cup", "--racer", "ann", "--model", "racer1", "--json").stdout)
    assert sub["improved"] and sub["rank"] == 1 and len(sub["frozen_hash"]) == 64
    assert isinstance(sub["seed"], int)
    again = json.loads(ok("league", "reproduce", str(sub["id"]), "--json").stdout)
    assert again["identical"] and again["seed"] == sub["seed"]
    assert "identical" in ok("league", "reproduce", str(sub["id"])).stdout
    refused("league", "reproduce", "999", match="no submission 999")
    rows = json.loads(ok("league", "standings", "cup", "--json").stdout)
    assert len(rows) == 1 and {"rank", "racer", "time_s", "points"} <= set(rows[0])
    assert rows[0]["racer"] == "ann" and rows[0]["rank"] == 1
    assert (rows[0]["points"] == 1000) == (rows[0]["time_s"] is not None)
    season = json.loads(ok("league", "season", "standings", "s", "--json").stdout)
    assert season[0]["racer"] == "ann" and season[0]["race_points"] == {"cup": rows[0]["points"]}

    page = tmp_path / "board.html"
    ok("export", "leaderboard", "cup", "--format", "html", "--refresh", 10, "-o", page)
    assert 'content="10"' in page.read_text() and "ann" in page.read_text()
    laps = tmp_path / "laps.csv"
    ok("export", "laps", "cup", "--format", "csv", "-o", laps)
    rows = list(csv.DictReader(io.StringIO(laps.read_text())))
    assert len(rows) == 1 and rows[0]["racer"] == "ann" and rows[0]["track"] == CUP
    summary = list(csv.DictReader(io.StringIO(ok("export", "laps", "--season", "s", "--summary").stdout)))
    assert summary[0]["laps"] == "1"
    data = json.loads(ok("export", "season", "s", "--format", "json").stdout)
    assert data["standings"][0]["racer"] == "ann"
    refused("export", "laps", match="give a RACE or --season")
    refused("export", "laps", "cup", "--format", "json", "--season", "s", match="give a RACE or --season")


def test_model_create_refuses_competition_tracks_naming_their_practice_track():
    for info in list_tracks():
        if info.trainable:
            continue
        result = refused("model", "create", "m", "--track", info.name, match="competition track")
        assert repr(info.resembles) in result.stderr
    assert not ModelStore().exists("m")


def test_evaluate_race_types_show_collisions(trained):
    base = ("evaluate", "racer1", "--track", "practice_oval", "--laps", 1, "--no-trace", "--seed", 4)
    data = json.loads(ok(*base, "--race-type", "object_avoidance", "--obstacles", 6, "--collision-penalty", 1.5,
                         "--json").stdout)
    assert data["race_type"] == "object_avoidance" and data["rules"]["objects"]["number_of_obstacles"] == 6
    assert data["rules"]["collision_penalty_s"] == 1.5
    lap = data["laps"][0]
    assert "collisions" in lap and lap["collisions"] >= 1
    assert data["summary"]["collisions"] == lap["collisions"]
    text = ok(*base, "--race-type", "object_avoidance", "--obstacles", 6, "--randomize-obstacles").stdout
    assert "collision" in text and "6 boxes" in text
    bots = json.loads(ok(*base, "--race-type", "head_to_bot", "--bots", 2, "--bot-speed", 0.8, "--lane-change",
                         "--json").stdout)
    objs = bots["rules"]["objects"]
    assert objs["number_of_bot_cars"] == 2 and objs["bot_car_speed"] == 0.8 and objs["is_lane_change"]
    assert "collision" not in ok(*base).stdout  # a time trial shows no collisions
    refused(*base, "--obstacles", 3, match="--obstacles does not fit race type time_trial")
    refused(*base, "--race-type", "object_avoidance", "--bots", 1, match="--bots does not fit race type object_avoidance")
    defaults = json.loads(ok(*base, "--race-type", "object_avoidance", "--json").stdout)  # DfC's 6 boxes
    assert defaults["rules"]["objects"]["number_of_obstacles"] == 6
    refused(*base, "--collision-penalty", 3, match="--collision-penalty needs objects")
