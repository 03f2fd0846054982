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
