"""Obstacles and bot cars in the training monitor: the trainer's telemetry carries every shown car's
object rows, the follower keeps them beside the poses, and the page draws car 1's (boxes or bots)
on the track and lets its sensor panel see them."""

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt is imported

import json  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gui.car_view import SensorView  # noqa: E402
from gui.context import AppContext  # noqa: E402
from gui.pages.training import TrainingPage  # noqa: E402
from gui.telemetry import FileTail, ObjectFrames  # noqa: E402
from sim.actions import ActionSpace  # noqa: E402
from sim.env import EnvConfig, RacingEnv  # noqa: E402
from sim.library import load_track  # noqa: E402
from sim.object_rows import object_rows  # noqa: E402
from trainer import training_process as tp  # noqa: E402
from trainer.hyperparameters import Hyperparameters  # noqa: E402
from trainer.live_telemetry import TelemetryWriter, telemetry_line  # noqa: E402
from trainer.metadata import ModelMetadata  # noqa: E402
from trainer.model_store import ModelStore, TrainingConfig  # noqa: E402
from trainer.race import objects_config  # noqa: E402

SPACE = ActionSpace.from_console(3.0, 3, 30.0, 5)
OA = ("object_avoidance", {"NUMBER_OF_OBSTACLES": 3})
H2B = ("head_to_bot", {"NUMBER_OF_BOT_CARS": 2, "BOT_CAR_SPEED": 0.8})


def drive(race, steps=12, n_cars=4, alternate_direction=False, seed=3):
    """A real env of ``race`` on workshop_loop after ``steps`` random steps; (env, last step's info)."""
    env = RacingEnv(load_track("workshop_loop"), SPACE,
                    EnvConfig(n_cars=n_cars, sensor=["LIDAR"], objects=objects_config(*race),
                              alternate_direction=alternate_direction))
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    info = None
    for _ in range(steps):
        _, _, _, _, info = env.step(rng.integers(0, SPACE.n, env.n))
    return env, info


def test_telemetry_of_an_object_avoidance_run_carries_each_shown_cars_boxes(tmp_path):
    env, info = drive(OA)
    writer = TelemetryWriter(tmp_path / "telemetry.jsonl", period_s=0.0)
    assert writer.maybe_write(env, info, iteration=2)
    writer.close()
    [line] = FileTail(tmp_path / "telemetry.jsonl").read_json()
    assert line["iteration"] == 2 and len(line["cars"]) == 4
    objects = np.array(line["objects"])
    assert objects.shape == (4, 3, 6)  # every car shown, its 3 boxes, 6 numbers a row
    for car in range(4):
        np.testing.assert_allclose(objects[car], object_rows(env.objects.state, car), atol=5e-4)
    assert (objects[..., 5] == 0).all() and np.allclose(objects[..., 3:5], [0.5, 0.4])


def test_a_time_trial_line_has_no_objects_and_head_to_bot_lines_move_the_bots():
    env, info = drive(("time_trial", {}))
    assert "objects" not in telemetry_line(env, info, 0)
    env, info = drive(H2B, steps=1)
    before, clock = np.array(telemetry_line(env, info, 0)["objects"]), env.objects.state.time.copy()
    slow_straight = min((i for i, (steer, _) in enumerate(SPACE.actions) if steer == 0),
                        key=lambda i: SPACE.actions[i][1])
    for _ in range(15):  # a second of driving: bots at 0.8 m/s move 0.8 m
        _, _, _, _, info = env.step(np.full(env.n, slow_straight))
    after = np.array(telemetry_line(env, info, 0)["objects"])
    assert before.shape == after.shape == (4, 2, 6) and (after[..., 5] == 1).all()
    same_episode = np.isclose(env.objects.state.time - clock, 1.0)  # a car put on a new episode has new bots
    assert same_episode.any()
    moved = np.hypot(after[same_episode, :, 0] - before[same_episode, :, 0],
                     after[same_episode, :, 1] - before[same_episode, :, 1])
    assert ((moved > 0.5) & (moved < 0.81)).all()  # 0.8 m along the lane; a chord across a curve is shorter
    for car in range(4):
        np.testing.assert_allclose(after[car], object_rows(env.objects.state, car), atol=5e-4)


def test_object_frames_give_the_objects_of_the_frame_the_playback_shows():
    frames = ObjectFrames()
    assert frames.at(5.0) is None
    rows = lambda x: [[[x, 1.0, 0.0, 0.5, 0.4, 0.0]], [[x + 1, 1.0, 0.0, 0.5, 0.4, 0.0]]]  # noqa: E731
    frames.push([{"t": 10.0, "cars": [], "objects": rows(1.0)}, {"t": 10.1, "cars": []},  # a time trial's: skipped
                 {"t": 10.2, "cars": [], "objects": rows(2.0)}, {"t": 10.3, "cars": [], "objects": "junk"}])
    assert len(frames) == 2
    assert frames.at(10.15)[0][0, 0] == 1.0 and frames.at(10.2)[1][0, 0] == 3.0
    assert frames.at(9.0)[0][0, 0] == 1.0 and frames.at(None)[0][0, 0] == 2.0
    frames.push([{"t": 3.0, "cars": [], "objects": rows(7.0)}])  # a new run's clock: the old frames go
    assert len(frames) == 1 and frames.at(None)[0][0, 0] == 7.0


def make_model(name, race):
    meta = ModelMetadata(action_space=SPACE, sensor=["LIDAR"])
    return ModelStore().create(name, meta, Hyperparameters(), "def reward_function(params):\n    return 1.0\n",
                               TrainingConfig(track="workshop_loop", n_cars=4, max_minutes=5,
                                              race_type=race[0], race_settings=race[1]))


def watch(qtbot, model, env, info):
    """The training page following ``model`` as the trainer's telemetry of ``env`` arrives; one redraw."""
    page = TrainingPage(AppContext())
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    page.select_model(model.name)
    assert page.model.name == model.name
    writer = TelemetryWriter(model.path / "telemetry.jsonl", period_s=0.0)
    writer.maybe_write(env, info, 0)
    for _ in range(3):  # a few frames later: the cars moved on
        _, _, _, _, info = env.step(np.zeros(env.n, dtype=int))
        writer.maybe_write(env, info, 0)
    writer.close()
    page.feed.poll()
    page._redraw()  # what the page's timer calls
    return page


def elements(item) -> int:
    return item.path().elementCount()


def test_the_training_page_draws_car_1s_boxes(qtbot):
    model = make_model("boxes", OA)
    env, info = drive(OA)
    page = watch(qtbot, model, env, info)
    assert elements(page.track_view._boxes) == 3 * 5 and elements(page.track_view._bots) == 0  # 3 closed rectangles
    shown = page.live.objects_shown[0]
    np.testing.assert_allclose(shown, object_rows(env.objects.state, 0), atol=5e-4)
    assert "the same for every car shown" in page.live.caption_text(4, 0.0, True)
    # The run ends: a stopped track shows no cars and no boxes.
    page.live.clear(running=False)
    assert elements(page.track_view._boxes) == 0
    assert not tp.is_running(model)


def test_the_training_page_draws_car_1s_bot_cars_and_says_whose_they_are(qtbot):
    model = make_model("bots", H2B)
    env, info = drive(H2B, alternate_direction=True)  # cars 2 and 4 drive the other way, among their own bots
    page = watch(qtbot, model, env, info)
    assert elements(page.track_view._bots) == 2 * 5 and elements(page.track_view._boxes) == 0
    assert page.live.objects_differ
    assert "car 1's" in page.live.caption_text(4, 0.0, True)


def test_the_sensor_panel_sees_a_box_in_front_of_the_car():
    track = load_track("workshop_loop")
    view = SensorView()
    view.set_sensor(track, ["LIDAR"])
    s = 1.0
    x, y = track.point_at(np.array([s]))[0]
    heading = float(np.degrees(track.heading_at(np.array([s]))[0]))
    pose = np.array([x, y, heading, 0.0, 0.0])
    view.update_pose(pose)
    clear = view._ranges.copy()
    ahead = track.point_at(np.array([s + 0.6]))[0]
    box = [[ahead[0], ahead[1], heading, 0.5, 0.4, 0.0]]
    view.update_pose(pose, objects=box)
    front = np.argmin(np.abs(view._lidar.angles))
    assert view._ranges[front] < 0.6 < clear[front]
    view.update_pose(pose, objects=None)  # gone again
    np.testing.assert_allclose(view._ranges, clear)


@pytest.mark.slow
def test_a_real_object_avoidance_training_shows_its_boxes_live(qtbot):
    model = make_model("live-boxes", OA)
    page = TrainingPage(AppContext())
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    page.select_model(model.name)
    try:
        page.start()  # the Start button's work: a training process, followed from its files
        qtbot.waitUntil(lambda: elements(page.track_view._boxes) == 3 * 5, timeout=60_000)
        lines = (model.path / "telemetry.jsonl").read_text().splitlines()
        assert np.array(json.loads(lines[-1])["objects"]).shape == (4, 3, 6)
    finally:
        proc = tp._children.get(str(model.path))
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)
        tp._children.pop(str(model.path), None)


def test_the_console_screenshots_get_real_sessions_of_object_events_whose_states_carry_the_objects():
    from gui.screenshots_objects import CONSOLE_EVENTS, CONSOLE_LAPS, object_event, session_states
    from league.db import open_db

    db = open_db()
    for suffix, (_, race_type, settings) in CONSOLE_EVENTS.items():
        event = object_event(db, suffix)
        assert event.race_type == race_type
        states = session_states(event)
        assert states and all(s["state"] == "running" and s["car"] for s in states)
        assert len(states[-1]["laps"]) == CONSOLE_LAPS
        rows = np.array(states[-1]["objects"])
        bots = settings.get("NUMBER_OF_BOT_CARS", 0)
        assert rows.shape == (settings.get("NUMBER_OF_OBSTACLES", 0) + bots, 6) and rows[:, 5].sum() == bots


def test_model_details_draw_where_an_episode_starts_the_boxes_or_bots_and_name_the_race_type(qtbot):
    from gui.widgets.model_details import ModelDetails

    details = ModelDetails()
    qtbot.addWidget(details)
    details.show()
    details.show_model(make_model("fixed-boxes", OA))
    assert elements(details.view._boxes) == 3 * 5 and elements(details.view._bots) == 0
    assert "object avoidance: 3 obstacles, evenly spaced" in details.facts.text()
    details.show_model(make_model("two-bots", H2B))
    assert elements(details.view._bots) == 2 * 5 and elements(details.view._boxes) == 0
    assert "head to bot: 2 bot cars at 0.8 m/s" in details.facts.text()
    details.show_model(make_model("random-boxes", ("object_avoidance", {"NUMBER_OF_OBSTACLES": 3,
                                                                        "RANDOMIZE_OBSTACLE_LOCATIONS": True})))
    assert elements(details.view._boxes) == 0  # new places every episode: none drawn
    assert "random places" in details.facts.text()
