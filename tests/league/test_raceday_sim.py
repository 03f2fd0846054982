"""Simulated race-day sessions: a model drives, laps land, off-tracks are held resets, sessions end by themselves."""

import json
import math
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from gui.cli import main
from league.raceday import RaceDayEvent
from league.raceday.simulated import UPDATE_PERIOD_S, run_simulated_session
from sim.actions import ActionSpace
from sim.driver import PurePursuitDriver
from sim.library import load_track
from sim.paths import assets_dir
from sim.racing_line import compute_racing_line
from trainer.driving import EvaluationRules, drive_laps
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import ModelMetadata
from trainer.model_store import ModelStore, TrainingConfig
from trainer.policy import load_policy
from trainer.training import train_model

TRACK = "workshop_loop"


def event(length_s=30.0, penalty_s=2.0, **kw):
    """An event built directly: tests may use sessions shorter than the 60 s an organiser may set."""
    return RaceDayEvent(id=0, name="test", track=TRACK, length_s=length_s, ranking="best_lap", average_of=3,
                 resets_limit=kw.pop("resets_limit", 3), min_lap_s=1.0, penalty_s=penalty_s, created="", **kw)


@pytest.fixture(scope="session")
def racing_model(tmp_path_factory):
    """A model that laps the workshop loop: the standard model when installed, else one trained briefly."""
    store = ModelStore(tmp_path_factory.mktemp("models"))
    if store.exists("standard"):
        return store.get("standard")
    with pytest.MonkeyPatch.context() as mp:  # session scope runs outside the per-test home
        mp.setenv("TRACKSIDE_HOME", str(tmp_path_factory.mktemp("train_home")))
        meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"])
        reward = (assets_dir() / "reward_functions" / "centre_line.py").read_text()
        model = store.create("racer", meta, Hyperparameters(), reward, TrainingConfig(track=TRACK, n_cars=16))
        train_model(model, max_iterations=3, install_signals=False)
    return model


def scripted(force_off_after_step=None):
    """``act_factory`` for a pure-pursuit driver on the racing line; optionally it steers
    off the road once, ``force_off_after_step`` steps in, until it is put back."""
    space = ActionSpace.continuous((-30.0, 30.0), (0.1, 4.0))

    def factory(env):
        driver = PurePursuitDriver(compute_racing_line(env.track), speed_scale=0.8)
        state = {"step": 0, "forcing": force_off_after_step is not None}

        def act(obs, speed):
            state["step"] += 1
            if state["forcing"] and state["step"] > force_off_after_step:
                if state["step"] > force_off_after_step + 1 and speed[0] == 0.0:  # put back: at rest
                    state["forcing"] = False
                else:
                    return np.array([[30.0, 2.0]])
            steer, v = driver.act(env.state)
            return np.stack([steer, v], axis=1)

        return act

    return factory, space


@pytest.mark.slow
def test_a_model_drives_a_session_and_its_laps_land_with_evaluation_times(racing_model):
    updates = []
    ev = event(length_s=30.0)
    timer = run_simulated_session(ev, "ann", racing_model, speed=0, on_update=updates.append)
    laps = timer.laps
    assert len(laps) >= 2
    track = load_track(TRACK)
    assert all(track.length / 4.0 < lap.time_s < 30.0 for lap in laps)
    # The same greedy driving as an evaluation with continuous laps: the same times.
    # With the session's recorded noise seed the evaluation drives exactly the same car.
    evaluated = drive_laps(load_policy(racing_model), track,
                           EvaluationRules(laps=len(laps), mode="continuous", penalty_s=ev.penalty_s,
                                           seed=timer.seed))
    assert [lap.time_s for lap in laps] == pytest.approx([r.time_s for r in evaluated], abs=1e-6)
    # Time expiry: the lap in progress at 30 s counted and the session ended at that finish.
    assert timer.state == "ended" and timer.end_reason == "finish"
    assert laps[-1].start_s < 30.0 <= laps[-1].start_s + laps[-1].time_s
    assert sum(lap.time_s for lap in laps) == pytest.approx(timer.clock_s(0.0))   # no time lost between laps
    # Spectators saw every lap land, the car move, and the end.
    assert [u["laps"][-1]["number"] for u in updates if u["event"] == "lap"] == [lap.number for lap in laps]
    assert updates[-1]["event"] == "end" and updates[-1]["state"] == "ended"
    assert {"x", "y", "yaw_deg", "speed", "progress"} <= set(updates[-1]["car"])
    assert updates[0]["time_left_s"] == 30.0


def test_an_off_track_is_a_reset_held_for_the_penalty_then_put_back():
    ev = event(length_s=20.0)
    factory, space = scripted()
    clean = run_simulated_session(ev, "ben", act_factory=factory, action_space=space, speed=0, seed=5)
    updates = []
    timed = {}
    for penalty in (2.0, 5.0):
        timed[penalty] = run_simulated_session(event(length_s=20.0, penalty_s=penalty), "ben",
                                               act_factory=scripted(force_off_after_step=20)[0],
                                               action_space=space, speed=0, seed=5,
                                               on_update=updates.append if penalty == 2.0 else None)
    two, five = timed[2.0], timed[5.0]
    assert [lap.resets for lap in clean.laps] == [0] * len(clean.laps)
    assert two.laps[0].resets == 1 and all(lap.resets == 0 for lap in two.laps[1:])
    assert two.laps[0].time_s > clean.laps[0].time_s + 2.0
    # The penalty counts exactly (the same seed): the car is put back at the same place either way.
    assert five.laps[0].time_s - two.laps[0].time_s == pytest.approx(3.0, abs=1e-9)
    assert two.laps[1].time_s == pytest.approx(five.laps[1].time_s, abs=1e-9)
    # Spectators see the reset and the car held while the clock runs on.
    reset = next(u for u in updates if u["event"] == "reset")
    assert reset["held"] and reset["running_resets"] == 1
    released = next(u for u in updates if u["clock_s"] > reset["clock_s"] and not u["held"])
    assert released["clock_s"] >= reset["clock_s"] + 2.0
    assert [e.action for e in two.events].count("reset") == 1


def test_a_session_replays_from_its_recorded_seed_and_other_seeds_vary():
    from league.db import open_db
    from league.raceday.entries import record_session, sessions
    from league.raceday.events import create_event

    factory, space = scripted()

    def times(seed):
        timer = run_simulated_session(event(length_s=15.0), "eve", act_factory=factory, action_space=space, speed=0, seed=seed)
        return timer, [lap.time_s for lap in timer.laps]

    timer, first = times(21)
    assert timer.seed == 21 and len(first) >= 2
    assert len(set(first[1:])) == len(first[1:])  # flying laps differ from one another
    assert times(21)[1] == first
    assert times(22)[1] != first
    drawn, _ = times(None)
    assert isinstance(drawn.seed, int)
    db = open_db()
    ev = create_event(db, "Seeded", TRACK, length_s=60)
    sid = record_session(db, ev, drawn, racer="eve", driver="model", model="scripted")
    assert [s["seed"] for s in sessions(db, ev) if s["id"] == sid] == [drawn.seed]
    assert "raceday-003-session-seed" in [r[0] for r in db.execute("SELECT name FROM _migrations")]


def test_a_car_that_cannot_finish_after_time_is_up_is_stopped():
    space = ActionSpace.continuous((-30.0, 30.0), (0.1, 4.0))

    def crawl_factory(env):
        driver = PurePursuitDriver(compute_racing_line(env.track))
        return lambda obs, speed: np.stack([driver.act(env.state)[0], np.array([0.1])], axis=1)

    timer = run_simulated_session(event(length_s=10.0), "cat", act_factory=crawl_factory, action_space=space,
                                  speed=0, overtime_s=5.0)
    assert timer.state == "ended" and timer.end_reason == "ended" and timer.laps == []
    assert 15.0 <= timer.clock_s(0.0) < 15.0 + 0.2


def test_real_time_pacing_follows_the_speed_factor():
    factory, space = scripted()
    wall = [0.0]
    slept = []
    updates = []

    def sleep(s):
        slept.append(s)
        wall[0] += s

    timer = run_simulated_session(event(length_s=12.0), "dan", act_factory=factory, action_space=space, speed=4.0,
                                  sleep=sleep, wall_clock=lambda: wall[0], on_update=updates.append)
    sim_s = timer.clock_s(0.0)
    assert wall[0] == pytest.approx(sim_s / 4.0, abs=0.1)
    assert max(slept) <= UPDATE_PERIOD_S + 1e-9
    ticks = [u for u in updates if u["event"] == "tick"]
    assert len(ticks) <= wall[0] / UPDATE_PERIOD_S + 2     # throttled for the display


@pytest.mark.slow
def test_cli_runs_a_session_and_records_it(racing_model, monkeypatch, tmp_path):
    shutil.copytree(racing_model.path, ModelStore().root / "racer")
    runner = CliRunner()
    assert runner.invoke(main, ["raceday", "event", "create", "Summit", "--track", TRACK, "--length", "1:00"]).exit_code == 0
    assert runner.invoke(main, ["raceday", "queue", "add", "Summit", "ann", "--model", "racer"]).exit_code == 0
    out = runner.invoke(main, ["raceday", "run", "Summit", "--racer", "ann", "--speed", "0", "--seed", "9"])
    assert out.exit_code == 0, out.output
    assert "lap  1:" in out.output and "rank 1 of 1 (seed 9)" in out.output
    board = json.loads(runner.invoke(main, ["raceday", "leaderboard", "Summit", "--json"]).output)
    assert board[0]["racer"] == "ann" and board[0]["valid_laps"] >= 4 and math.isfinite(board[0]["time_s"])
    # The same model and seed replay the session lap for lap.
    again = json.loads(runner.invoke(main, ["raceday", "run", "Summit", "--racer", "cy", "--model", "racer",
                                            "--speed", "0", "--seed", "9", "--json"]).output)
    assert again["seed"] == 9 and again["laps"]
    for lap in again["laps"]:
        assert f"lap {lap['number']:>2}: {lap['time_s']:8.3f} s" in out.output
    # A total-time session's result is the one the board counts: the sum of the recorded milliseconds.
    assert runner.invoke(main, ["raceday", "event", "create", "Sum", "--track", TRACK, "--length", "1:00",
                                "--ranking", "total_time", "--laps", "3"]).exit_code == 0
    total = json.loads(runner.invoke(main, ["raceday", "run", "Sum", "--racer", "ann", "--model", "racer",
                                            "--speed", "0", "--seed", "9", "--json"]).output)
    board = json.loads(runner.invoke(main, ["raceday", "leaderboard", "Sum", "--json"]).output)
    assert total["result_s"] == board[0]["time_s"] == sum(round(lap["time_s"] * 1000) for lap in total["laps"][:3]) / 1000
    import sim.paths

    monkeypatch.setattr(sim.paths, "assets_dir", lambda: tmp_path / "no-assets")  # as if not installed
    out = runner.invoke(main, ["raceday", "run", "Summit", "--racer", "bob", "--speed", "0"])
    assert out.exit_code == 1 and "standard model is not installed" in out.output
