"""Evaluation: lap times measured where the car crosses the line, penalties that add exactly,
determinism, SIM_TRACE output, and models that cannot run refused plainly."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import shapely

import trainer.driving as trainer_driving
from league.db import LeagueError
from league.evaluation import evaluate_model
from league.freeze import freeze
from sim.actions import ActionSpace
from sim.driver import PurePursuitDriver
from sim.env import RacingEnv
from sim.library import load_track
from sim.noise import NoiseConfig
from sim.paths import assets_dir, home
from sim.racing_line import compute_racing_line
from trainer.driving import EvaluationRules, evaluate_policy, summarize
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import ModelMetadata
from trainer.model_store import Model, ModelStore, TrainingConfig
from trainer.networks import build_agent
from trainer.policy import PolicyError
from trainer.simtrace import HEADER, read_simtrace

TRACK = "workshop_loop"
DT = 1.0 / 15.0
CONTINUOUS = ActionSpace.continuous((-30.0, 30.0), (0.1, 4.0))


# -- a scripted driver through evaluate_policy ---------------------------------------------------
class Driven:
    """Pure pursuit on the racing line as an ``act`` for evaluate_policy, with every step recorded.

    evaluate_policy builds its own environment; a subclass that remembers itself lets the
    driver read the car's state, as a policy reads its sensor.
    """

    def __init__(self, monkeypatch, track, swerve_at=None):
        self.track = track
        self.driver = PurePursuitDriver(compute_racing_line(track))
        self.envs = []
        self.rows = []        # (lap, x, y, off_track) of the reference point after each step
        self.swerve_at = swerve_at  # progress %, first lap only: steer off the road once
        self.went_off = False
        envs = self.envs

        class Remembered(RacingEnv):
            def __init__(self, *a, **k):
                super().__init__(*a, **k)
                envs.append(self)

        monkeypatch.setattr(trainer_driving, "RacingEnv", Remembered)

    def act(self, obs, speed):
        env = self.envs[-1]
        steer, v = self.driver.act(env.state)
        if self.swerve_at is not None and not self.went_off and env.progress[0] >= self.swerve_at:
            steer, v = np.array([12.0]), np.array([2.5])  # a wide left turn: off the road within a second
        return np.stack([steer, v], axis=1)

    def on_step(self, env, info, action, lap):
        self.went_off |= bool(info["off_track"][0])
        self.rows.append((lap, float(info["x"][0]), float(info["y"][0]), bool(info["off_track"][0])))

    def run(self, rules):
        return evaluate_policy(self.act, self.track, CONTINUOUS, None, rules, on_step=self.on_step)


def crossing_time(track, points):
    """Independent lap timing: shapely's arc length of each reference point on the centre line,
    unwrapped, and the finish crossing by linear interpolation between the two steps around it.
    ``points``: positions after steps 1, 2, ... of one lap that started at rest on the line, s."""
    centre = shapely.LineString(track.center)
    L = centre.length
    s = np.array([centre.project(shapely.Point(p)) for p in points])
    s = np.concatenate([[0.0], s])
    ds = (np.diff(s) + L / 2) % L - L / 2
    d = np.concatenate([[0.0], np.cumsum(ds)])
    k = int(np.argmax(d >= L))
    assert d[k] >= L, "the recorded laps never reach the finish"
    return (k - 1 + (L - d[k - 1]) / (d[k] - d[k - 1])) * DT


def test_lap_time_is_taken_where_the_reference_point_crosses_the_line(monkeypatch):
    track = load_track(TRACK)
    run = Driven(monkeypatch, track)
    laps = run.run(EvaluationRules(laps=2, mode="trials", penalty_s=2.0, noise=NoiseConfig.off()))
    assert [lap.completed for lap in laps] == [True, True] and laps[0].off_track == 0
    first = [(x, y) for lap, x, y, _ in run.rows if lap == 1]
    expected = crossing_time(track, first)
    assert laps[0].time_s == pytest.approx(expected, abs=0.003)
    assert len(first) == int(np.ceil(laps[0].time_s / DT))  # the lap ends in the step that crosses
    assert abs(laps[0].time_s / DT - round(laps[0].time_s / DT)) > 1e-6  # interpolated, not whole steps
    assert laps[1].time_s == laps[0].time_s  # trials without noise: every lap from the same standing start
    # And it is the lap the racing line's speed profile predicts for a standing start.
    assert laps[0].time_s == pytest.approx(compute_racing_line(track).best_lap_s, rel=0.03)


def test_continuous_laps_add_up_to_the_time_driven(monkeypatch):
    track = load_track(TRACK)
    run = Driven(monkeypatch, track)
    laps = run.run(EvaluationRules(laps=3, mode="continuous", penalty_s=2.0, noise=NoiseConfig.off()))
    assert all(lap.completed and lap.off_track == 0 for lap in laps)
    # Across the whole run the car covers 3 track lengths; time it from the trajectory alone.
    points = [(x, y) for _, x, y, _ in run.rows]
    centre = shapely.LineString(track.center)
    s = np.concatenate([[0.0], [centre.project(shapely.Point(p)) for p in points]])
    L = centre.length
    d = np.concatenate([[0.0], np.cumsum((np.diff(s) + L / 2) % L - L / 2)])
    total = None
    for n in (1, 2, 3):  # each crossing, interpolated
        k = int(np.argmax(d >= n * L))
        t = (k - 1 + (n * L - d[k - 1]) / (d[k] - d[k - 1])) * DT
        assert sum(lap.time_s for lap in laps[:n]) == pytest.approx(t, abs=0.003)
        total = t
    assert len(points) == int(np.ceil(total / DT))
    # A flying lap beats the standing one, and matches the line's flying-lap prediction.
    line = compute_racing_line(track)
    assert laps[1].time_s < laps[0].time_s
    assert laps[2].time_s == pytest.approx(line.flying_lap_s, rel=0.03)


def test_an_off_track_costs_exactly_the_penalty_on_top_of_the_driving(monkeypatch):
    track = load_track(TRACK)
    clean = Driven(monkeypatch, track).run(EvaluationRules(laps=1, penalty_s=2.0, seed=1))[0].time_s
    results = {}
    for penalty in (2.0, 5.0):
        run = Driven(monkeypatch, track, swerve_at=40.0)
        lap = run.run(EvaluationRules(laps=1, penalty_s=penalty, seed=1))[0]
        assert lap.completed and lap.off_track == 1 and lap.penalty_s == penalty
        # Driving time from the trajectory alone: the put-back keeps the progress reached, so
        # the unwrapped arc length carries on from where the car left the road.
        driving = crossing_time(track, [(x, y) for _, x, y, _ in run.rows])
        assert lap.time_s == pytest.approx(driving + penalty, abs=0.003)
        assert driving > clean  # the swerve and the standing restart cost driving time too
        results[penalty] = lap.time_s
    # The same drive either way (same seed): only the penalty differs, to the last bit of a float.
    assert results[5.0] - results[2.0] == pytest.approx(3.0, abs=1e-9)


def test_without_resets_a_lap_ends_where_the_car_leaves_the_road(monkeypatch):
    track = load_track(TRACK)
    run = Driven(monkeypatch, track, swerve_at=40.0)
    lap = run.run(EvaluationRules(laps=1, penalty_s=None, seed=1))[0]
    assert not lap.completed and lap.time_s is None
    assert lap.status == "off_track" and lap.off_track == 1
    assert 40.0 <= lap.progress < 60.0


# -- real models -----------------------------------------------------------------------------------
CENTRE_LINE = (assets_dir() / "reward_functions" / "centre_line.py").read_text()
SPACE = ActionSpace.from_console(3.0, 3, 30.0, 5)  # the league fixtures' model (tests/league/conftest.py)


def test_noisy_trials_vary_and_the_seed_replays_them(monkeypatch):
    track = load_track(TRACK)
    laps = Driven(monkeypatch, track).run(EvaluationRules(laps=3, penalty_s=2.0, seed=11))
    times = [lap.time_s for lap in laps]
    assert all(lap.completed for lap in laps) and len(set(times)) == 3  # the same start, three different laps
    assert 0.005 < np.std(times) < 0.5
    assert {lap.seed for lap in laps} == {11} and summarize(laps)["seed"] == 11
    assert [lap.time_s for lap in Driven(monkeypatch, track).run(EvaluationRules(laps=3, seed=11))] == times
    other = Driven(monkeypatch, track).run(EvaluationRules(laps=3, seed=12))
    assert [lap.time_s for lap in other] != times
    fresh = Driven(monkeypatch, track).run(EvaluationRules(laps=1))  # no seed: a fresh one, recorded
    assert isinstance(fresh[0].seed, int)
    again = Driven(monkeypatch, track).run(EvaluationRules(laps=1, seed=fresh[0].seed))
    assert again[0].time_s == fresh[0].time_s


def test_same_model_track_rules_and_seed_give_identical_times(trained):
    rules = EvaluationRules(laps=2, mode="trials", penalty_s=2.0, seed=3)
    a = evaluate_model("racer1", "workshop_loop_cup", rules, simtrace=False)
    b = evaluate_model("racer1", "workshop_loop_cup", rules, simtrace=False)
    c = evaluate_model(freeze("racer1").as_model(), "workshop_loop_cup", rules, checkpoint="initial", simtrace=False)
    assert [lap.time_s for lap in a.laps] == [lap.time_s for lap in b.laps] == [lap.time_s for lap in c.laps]
    assert [lap.off_track for lap in a.laps] == [lap.off_track for lap in c.laps]
    assert a.checkpoint == "final" or a.checkpoint == "best"
    assert a.iteration in (0, 1)
    assert a.rules.seed == 3 and a.summary["seed"] == 3
    drawn = evaluate_model("racer1", "workshop_loop_cup", replace(rules, seed=None), simtrace=False)
    assert isinstance(drawn.rules.seed, int) and drawn.to_dict()["rules"]["seed"] == drawn.rules.seed
    replayed = evaluate_model("racer1", "workshop_loop_cup", drawn.rules, simtrace=False)
    assert replayed.laps == drawn.laps
    d = a.to_dict()
    assert {"model", "track", "laps", "checkpoint", "rules", "summary"} <= set(d)
    assert {"lap", "time_s", "completed", "progress", "off_track", "crashed", "reversed", "immobilized"} <= set(d["laps"][0])


def test_a_chosen_checkpoint_is_the_one_that_runs(trained):
    rules = EvaluationRules(laps=1, penalty_s=2.0)
    ev = evaluate_model("racer1", "practice_oval", rules, checkpoint="0", simtrace=False)
    assert ev.iteration == 0 and ev.checkpoint == "0"
    with pytest.raises(PolicyError, match="no 7 checkpoint"):
        evaluate_model("racer1", "practice_oval", rules, checkpoint=7)
    with pytest.raises(PolicyError, match="checkpoint: expected"):
        evaluate_model("racer1", "practice_oval", rules, checkpoint="newest")


def test_evaluation_writes_a_simtrace_in_the_model_folder(trained):
    ev = evaluate_model("racer1", "workshop_loop_cup", EvaluationRules(laps=2, penalty_s=2.0))
    path = Path(ev.simtrace)
    assert path.parent.name == "evaluation-simtrace" and path.name == "0-iteration.csv"
    assert path.parent.parent.name.startswith("evaluation-") and len(path.parent.parent.name) == len("evaluation-") + 14
    assert path.read_text().splitlines()[0] == HEADER
    trace = read_simtrace(path)
    assert set(trace["episode"].tolist()) == {0, 1}
    assert (trace["episode_status"] == "lap_complete").sum() == sum(lap.completed for lap in ev.laps)
    assert (trace["episode_status"] == "off_track").sum() == sum(lap.off_track for lap in ev.laps)
    assert trace["tstamp"][-1] >= sum(lap.time_s for lap in ev.laps if lap.time_s) - 0.07
    assert path in trained.evaluation_simtraces()
    # DeepRacer-for-Cloud's evaluation metrics, paired with the trace by its time stamp.
    stamp = path.parent.parent.name
    metrics = json.loads((trained.path / "metrics" / "evaluation" / f"{stamp}.json").read_text())["metrics"]
    assert len(metrics) == 2 and set(metrics[0]) == {
        "completion_percentage", "metric_time", "start_time", "elapsed_time_in_milliseconds", "episode_status",
        "crash_count", "immobilized_count", "off_track_count", "reversed_count", "reset_count", "trial"}
    for m, lap in zip(metrics, ev.laps):
        assert m["completion_percentage"] == int(lap.progress) and m["off_track_count"] == lap.off_track
        assert m["episode_status"] == ("Lap complete" if lap.completed else m["episode_status"])
        if lap.completed:
            assert m["elapsed_time_in_milliseconds"] == round(lap.time_s * 1000)
    assert metrics[1]["start_time"] >= metrics[0]["metric_time"] - 70
    assert [m["trial"] for m in metrics] == list(np.cumsum([lap.completed for lap in ev.laps]))


def test_a_read_only_model_keeps_its_folder_and_traces_go_to_the_home(trained):
    before = sorted(p.name for p in trained.path.iterdir())
    standard = Model(trained.path, read_only=True, name="standard")
    ev = evaluate_model(standard, "workshop_loop_cup", EvaluationRules(laps=1))
    assert sorted(p.name for p in trained.path.iterdir()) == before
    assert (home() / "evaluations" / "standard").is_dir()
    assert ev.simtrace.startswith(str(home() / "evaluations" / "standard"))


def _model_with_weights(name, meta, agent_space, obs_shape):
    """A model whose only checkpoint was built for ``agent_space`` and ``obs_shape``."""
    m = ModelStore().create(name, meta, Hyperparameters(), CENTRE_LINE, TrainingConfig(track="practice_oval"))
    agent = build_agent(obs_shape, agent_space)
    m.write_checkpoint(0, {"agent": agent.state_dict(), "obs_shape": list(obs_shape), "iteration": 0})
    return m


def test_weights_that_do_not_fit_the_action_space_or_sensor_are_refused():
    lidar = ModelMetadata(action_space=SPACE, sensor=["LIDAR"])
    _model_with_weights("few-actions", lidar, ActionSpace.from_console(3.0, 1, 30.0, 5), (64,))
    with pytest.raises(PolicyError, match=r"'few-actions'.*does not fit its action space \(15 actions\)"):
        evaluate_model("few-actions", TRACK, EvaluationRules(laps=1))
    sector = ModelMetadata(action_space=SPACE, sensor=["SECTOR_LIDAR"])
    _model_with_weights("wrong-sensor", sector, SPACE, (64,))
    with pytest.raises(PolicyError, match=r"'wrong-sensor'.*SECTOR_LIDAR"):
        evaluate_model("wrong-sensor", TRACK, EvaluationRules(laps=1))


def test_a_sensor_this_version_cannot_simulate_is_refused(monkeypatch):
    import sim.env

    def missing(track, config):
        raise ImportError(f"no simulator for {config.sensor}")

    # Stands in for a build without a sensor's simulator (the camera was once optional).
    monkeypatch.setattr(sim.env, "make_sensor", missing)
    camera = ModelMetadata(action_space=SPACE, sensor=["FRONT_FACING_CAMERA"])
    _model_with_weights("cam", camera, SPACE, (60, 80))
    with pytest.raises(PolicyError, match="'cam' uses the FRONT_FACING_CAMERA sensor, which this version"):
        evaluate_model("cam", TRACK, EvaluationRules(laps=1))


def test_unknown_and_untrained_models_are_refused():
    with pytest.raises(LeagueError, match="no model named 'ghost'"):
        evaluate_model("ghost", TRACK)
    ModelStore().create("draft", ModelMetadata(action_space=SPACE, sensor=["LIDAR"]), Hyperparameters(), CENTRE_LINE,
                        TrainingConfig(track="practice_oval"))
    with pytest.raises(PolicyError, match="'draft' has no trained checkpoint yet"):
        evaluate_model("draft", TRACK)


def test_an_evaluation_with_boxes_counts_collisions_in_laps_trace_and_metrics(trained):
    from sim.objects import ObjectsConfig

    boxes = ObjectsConfig(object_positions=tuple((f, 1 if i % 2 else -1) for i, f in enumerate(
        (0.1, 0.2, 0.3, 0.45, 0.6, 0.7, 0.85))))
    ev = evaluate_model("racer1", "practice_oval", EvaluationRules(laps=2, objects=boxes, seed=5,
                                                                   collision_penalty_s=3.0))
    hits = [lap.collisions for lap in ev.laps]
    assert sum(hits) >= 1 and ev.summary["collisions"] == sum(hits)
    assert [d["collisions"] for d in ev.to_dict()["laps"]] == hits
    assert ev.to_dict()["rules"]["objects"]["object_positions"]
    trace = read_simtrace(ev.simtrace)
    assert (trace["episode_status"] == "crashed").sum() == sum(hits)
    for k, n in enumerate(hits):
        assert trace["obstacle_crash_counter"][trace["episode"] == k].max() == n
    stamp = Path(ev.simtrace).parent.parent.name
    metrics = json.loads((trained.path / "metrics" / "evaluation" / f"{stamp}.json").read_text())["metrics"]
    assert [m["crash_count"] for m in metrics] == hits
