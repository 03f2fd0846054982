"""SIM_TRACE files: DeepRacer's exact text, and deepracer-utils reading a Trackside model folder."""

import math

import numpy as np
import pytest

from sim.actions import ActionSpace
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import ModelMetadata
from trainer.model_store import ModelStore, TrainingConfig
from trainer.simtrace import HEADER, SimTraceWriter, read_simtrace

RADIUS_M, HZ, SPEED = 3.0, 15.0, 2.0
TRACK_LEN = 2 * math.pi * RADIUS_M


def test_rows_are_written_exactly_as_deepracer_formats_them(tmp_path):
    path = tmp_path / "0-iteration.csv"
    w = SimTraceWriter(path)
    w.write_rows(episode=np.array([0, 1]), steps=np.array([1, 1]), x=np.array([1.234567, 2.0]),
                 y=np.array([-0.5, 3.25]), yaw=np.array([90.0, -179.99999]), steer=np.array([15.0, -7.5]),
                 throttle=np.array([1.5, 3.0]), action=np.array([7, 3]), reward=np.array([1.0, 0.001]),
                 done=np.array([False, True]), all_wheels_on_track=np.array([True, False]),
                 progress=np.array([0.5, 12.345678]), closest_waypoint=np.array([3, 40]), track_len=17.709,
                 tstamp=np.array([0.0666666, 12.066666666]), episode_status=np.array(["in_progress", "off_track"]),
                 wall_clock=1700000000.123456)
    assert not path.exists()  # buffered until flush: the training loop never waits on the disk
    w.flush()
    assert path.read_text().splitlines() == [
        HEADER,
        "0,1,1.2346,-0.5000,90.0000,15.00,1.50,7,1.0000,False,True,0.5000,3,17.71,0.067,in_progress,0.00,0,"
        "1700000000.1235",
        "1,1,2.0000,3.2500,-180.0000,-7.50,3.00,3,0.0010,True,False,12.3457,40,17.71,12.067,off_track,0.00,0,"
        "1700000000.1235",
    ]


def test_continuous_actions_status_codes_and_append(tmp_path):
    path = tmp_path / "t.csv"
    with SimTraceWriter(path) as w:
        w.write_rows(episode=2, steps=5, x=0.0, y=0.0, yaw=0.0, steer=-12.5, throttle=2.3,
                     action=np.array([[-12.5, 2.3]]), reward=0.5, done=False, all_wheels_on_track=True,
                     progress=3.0, closest_waypoint=1, track_len=20.0, tstamp=1.0, episode_status=np.array([6]))
    with SimTraceWriter(path) as w:  # a second writer appends without a second header
        w.write_rows(episode=3, steps=1, x=0.0, y=0.0, yaw=0.0, steer=0.0, throttle=1.0, action=np.array([4]),
                     reward=0.5, done=False, all_wheels_on_track=True, progress=0.0, closest_waypoint=1,
                     track_len=20.0, tstamp=2.0, episode_status=np.array(["prepare"]))
    lines = path.read_text().splitlines()
    assert lines[0] == HEADER and lines.count(HEADER) == 1
    assert ",[-12.50 2.30]," in lines[1] and ",lap_complete," in lines[1]
    cols = read_simtrace(path)
    assert cols["episode"].tolist() == [2, 3] and cols["action"].tolist() == ["[-12.50 2.30]", "4"]
    assert cols["done"].dtype == bool and cols["episode_status"].tolist() == ["lap_complete", "prepare"]
    assert cols["progress"].tolist() == [3.0, 0.0]


def _drive(writer, episodes, n_steps, off_track_at, t0, s0=0.0):
    """Two or more cars in lockstep on a circle; episode k ends off track at off_track_at[k] or completes a lap."""
    n_cars = len(episodes)
    s_max = TRACK_LEN * (1.0 - 1e-9)
    for step in range(n_steps + 1):
        live = [k for k in range(n_cars) if off_track_at[k] is None or step <= off_track_at[k]]
        s = np.minimum(s0 + SPEED * step / HZ * np.ones(len(live)), s_max) if step else np.zeros(len(live)) + s0
        ang = s / RADIUS_M
        progress = np.where(step == n_steps, 100.0, 100.0 * (s - s0) / TRACK_LEN)
        off = np.array([off_track_at[k] == step for k in live])
        lap = np.full(len(live), step == n_steps)
        status = np.where(step == 0, "prepare", np.where(off, "off_track", np.where(lap, "lap_complete",
                                                                                    "in_progress")))
        writer.write_rows(episode=np.array(episodes)[live], steps=step, x=RADIUS_M * np.cos(ang),
                          y=RADIUS_M * np.sin(ang), yaw=np.degrees(ang) + 90.0, steer=10.0, throttle=SPEED,
                          action=np.full(len(live), 7), reward=np.where(off, 1e-3, 1.0), done=off | lap,
                          all_wheels_on_track=~off, progress=progress,
                          closest_waypoint=(s / TRACK_LEN * 100).astype(int), track_len=TRACK_LEN,
                          tstamp=t0 + step / HZ, episode_status=status)


def test_deepracer_utils_reads_a_trackside_model_folder():
    logs = pytest.importorskip("deepracer.logs")
    store = ModelStore()
    model = store.create("reader", ModelMetadata(ActionSpace.from_console(3.0, 3, 30.0, 5)), Hyperparameters(),
                         "def reward_function(params):\n    return 1.0\n", TrainingConfig(n_cars=2))
    lap_steps = int(TRACK_LEN / SPEED * HZ) + 1
    t = 0.0
    for iteration in range(2):
        with SimTraceWriter(model.training_simtrace_path(iteration)) as w:
            for rnd in range(2):  # 2 rounds x 2 cars = 4 episodes per iteration
                first = 4 * iteration + 2 * rnd
                _drive(w, [first, first + 1], lap_steps, [None, 20 + 10 * iteration], t)
                t += (lap_steps + 1) / HZ
    with SimTraceWriter(model.new_evaluation_simtrace_path(when=1_700_000_000)) as w:
        for lap in range(3):
            _drive(w, [lap], lap_steps, [None], 100.0 * lap)

    log = logs.DeepRacerLog(str(model.path))
    assert log.fh.type == logs.LogFolderType.DRFC_MODEL_SINGLE_WORKERS
    log.load_training_trace()
    df = log.dataframe()
    assert sorted(df["iteration"].unique()) == [0, 1]
    assert df["unique_episode"].nunique() == 8
    assert log.hyperparameters()["batch_size"] == 64
    assert len(log.action_space()) == 15
    assert log.agent_and_network()["sensor_list"] == ["FRONT_FACING_CAMERA"]

    agg = logs.AnalysisUtils.simulation_agg(df, secondgroup="unique_episode")
    assert len(agg) == 8 and agg["complete"].sum() == 4
    assert agg.groupby("iteration")["progress"].max().tolist() == [100.0, 100.0]
    laps = agg[agg["complete"] == 1]
    # The prepare row keeps the gap between episodes out of the lap time.
    assert np.allclose(laps["time"], lap_steps / HZ, atol=1e-3)
    crashed = agg[agg["complete"] == 0].sort_values("unique_episode")
    assert crashed["steps"].tolist() == [21, 21, 31, 31]
    expected = [100 * SPEED * k / HZ / TRACK_LEN for k in (20, 20, 30, 30)]
    assert np.allclose(crashed["progress"], expected, atol=1e-3)

    ev = logs.DeepRacerLog(str(model.path))
    ev.load_evaluation_trace()
    edf = ev.dataframe()
    assert edf["stream"].unique().tolist() == ["20231114221320"]
    eagg = logs.AnalysisUtils.simulation_agg(edf, firstgroup="stream", is_eval=True)
    assert len(eagg) == 3 and eagg["complete"].tolist() == [1, 1, 1] and eagg["off_track"].sum() == 0


def test_one_mapping_from_episode_status_to_trace_words():
    from sim.env import EpisodeStatus
    from trainer.simtrace import TraceStatus, trace_status

    status = np.array([EpisodeStatus.IN_PROGRESS, EpisodeStatus.IN_PROGRESS, EpisodeStatus.IN_PROGRESS,
                       EpisodeStatus.LAP_COMPLETE, EpisodeStatus.OFF_TRACK])
    steps = np.array([1, 5, 6, 90, 40])
    words = trace_status(status, steps, penalised=[False, False, True, False, False])
    assert list(words) == ["prepare", "in_progress", "off_track", "lap_complete", "off_track"]
    assert list(trace_status(status, steps)) == ["prepare", "in_progress", "in_progress", "lap_complete", "off_track"]
    assert TraceStatus("time_up") is TraceStatus.TIME_UP


class _Env:
    """What EpisodeTraces reads of an environment: the track length."""

    class track:
        length = 20.0


def _info(steps, status):
    n = len(steps)
    return {"status": np.array(status), "steps": np.array(steps), "x": np.arange(n, dtype=float),
            "y": np.zeros(n), "yaw": np.zeros(n), "steering": np.zeros(n), "speed": np.ones(n),
            "all_wheels_on_track": np.ones(n, dtype=bool), "progress": np.array(steps, dtype=float),
            "closest_waypoint": np.zeros(n, dtype=int)}


def test_episode_traces_write_whole_episodes_in_finishing_order(tmp_path):
    from trainer.episode_traces import EpisodeTraces

    traces = EpisodeTraces(3, 0.5, clock_s=10.0)
    # car 0 ends at its step 2 and again at 4; cars 1 and 2 end together at step 3; car 1 then runs on.
    plan = [([1, 1, 1], [0, 0, 0]), ([2, 2, 2], [2, 0, 0]), ([1, 3, 3], [0, 1, 5]), ([2, 1, 1], [1, 0, 0])]
    for steps, status in plan:
        traces.record_step(_Env, _info(steps, status), np.zeros(3, dtype=int), np.ones(3))
    assert [(e.car, len(e.rows), e.start_s, e.end_s) for e in traces.finished] == [
        (0, 2, 10.0, 11.0), (1, 3, 10.0, 11.5), (2, 3, 10.0, 11.5), (0, 2, 11.0, 12.0)]
    assert traces.running == 2  # cars 1 and 2 are one step into their next episodes
    path = tmp_path / "training-simtrace" / "4-iteration.csv"
    path.parent.mkdir()
    path.write_text("left by a crashed run\n")
    written = traces.write_iteration(path, 40, 3)
    assert [e.car for e in written] == [0, 1, 2] and len(traces.finished) == 1
    t = read_simtrace(path)
    assert t["episode"].tolist() == [40, 40, 41, 41, 41, 42, 42, 42]
    assert t["steps"].tolist() == [1, 2, 1, 2, 3, 1, 2, 3]
    assert t["episode_status"].tolist() == ["prepare", "off_track", "prepare", "in_progress", "lap_complete",
                                            "prepare", "in_progress", "time_up"]
    assert t["done"].tolist() == [False, True, False, False, True, False, False, True]
    assert t["tstamp"].tolist() == [10.5, 11.0, 10.5, 11.0, 11.5, 10.5, 11.0, 11.5]
    assert path.read_text().splitlines()[0] == HEADER


def test_training_metrics_file_keeps_a_resumed_runs_entries(tmp_path):
    import json

    from trainer.deepracer_metrics import TrainingMetricsFile, training_entries

    rows = [{"episode": k, "reward": 10.4 + k, "progress": 55.9, "steps": 30, "status": "off_track",
             "lap_time": None} for k in range(4)]
    rows[1].update(progress=100.0, status="lap_complete", lap_time=9.87654)
    entries = training_entries(rows, [0.0, 1.0, 2.0, 3.0], 1 / 15)
    assert entries[1] == {"reward_score": 11, "metric_time": 10877, "start_time": 1000,
                          "elapsed_time_in_milliseconds": 9877, "episode": 2, "trial": 2, "phase": "training",
                          "completion_percentage": 100, "episode_status": "Lap complete"}
    assert entries[0]["elapsed_time_in_milliseconds"] == 2000 and entries[0]["episode_status"] == "Off track"
    path = tmp_path / "metrics" / "TrainingMetrics.json"
    f = TrainingMetricsFile(path)
    f.add(entries)
    f.write()
    assert json.loads(path.read_text())["metrics"] == entries
    resumed = TrainingMetricsFile(path, keep_episodes=2)  # the checkpoint had 2 episodes: 3 and 4 are redone
    assert resumed.entries == entries[:2] and resumed.clock_s == pytest.approx(10.877)
    assert TrainingMetricsFile(path).entries == []  # a fresh start begins the file again


def test_every_ppo_iteration_reports_exactly_its_quota_of_episodes():
    """8 cars that all run out of time together at step 5, 3 episodes per iteration: the extra
    episodes are reported by the next iterations, in the order they ended, none lost or repeated."""
    from dataclasses import replace

    from sim.env import EnvConfig, RacingEnv
    from sim.library import load_track
    from trainer.networks import build_agent
    from trainer.ppo import PPO

    space = ActionSpace.from_console(3.0, 3, 30.0, 5)
    env = RacingEnv(load_track("practice_oval"), space, EnvConfig(n_cars=8, sensor="SECTOR_LIDAR", max_steps=5))
    hp = replace(Hyperparameters(), num_episodes_between_training=3, num_epochs=1)
    ends = []
    ppo = PPO(env, build_agent(env.observe().shape[1:], space), hp,
              on_step=lambda env, info, actions, rewards: ends.extend(
                  (int(info["steps"][c]), c) for c in np.flatnonzero(info["status"] != 0)))
    reported = []
    for _ in range(5):
        rollout, _ = ppo.iteration()
        assert len(rollout.episodes) == 3 and rollout.n_samples > 0
        reported += [(e.steps, e.car) for e in rollout.episodes]
    assert reported == ends[:15] and len(ppo.carried) == len(ends) - 15
