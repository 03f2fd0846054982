"""Following a training's files incrementally, and playing bursts of poses as continuous motion."""

import json
import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt is imported

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gui.playback import CarPlayback  # noqa: E402
from gui.telemetry import FileTail, Series  # noqa: E402
from sim.library import load_track  # noqa: E402


def test_file_tail_reads_only_new_complete_lines_and_restarts_after_truncation(tmp_path):
    path = tmp_path / "t.jsonl"
    tail = FileTail(path)
    assert tail.read_json() == []  # no file yet
    path.write_text('{"a": 1}\n{"a": 2}\n{"a"')
    assert [r["a"] for r in tail.read_json()] == [1, 2]
    with open(path, "a") as fh:
        fh.write(': 3}\n')
    assert [r["a"] for r in tail.read_json()] == [3]  # the half line waited for its end
    assert tail.read_json() == []
    path.write_text('{"a": 9}\n')  # truncated and rewritten, as the telemetry writer does
    assert [r["a"] for r in tail.read_json()] == [9] and tail.restarts == 1


def test_file_tail_can_start_near_the_end_of_a_long_file(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps({"i": i}) + "\n" for i in range(1000)))
    rows = FileTail(path, tail_bytes=100).read_json()
    assert 0 < len(rows) < 20 and rows[-1]["i"] == 999
    assert [r["i"] for r in rows] == list(range(rows[0]["i"], 1000))  # no fragment of a cut line


def test_series_grows_past_its_capacity_and_keeps_missing_values_as_nan():
    s = Series(("x", "y"), capacity=2)
    s.append([{"x": i, "y": None if i == 3 else 2 * i} for i in range(5)])
    assert len(s) == 5 and list(s["x"]) == [0, 1, 2, 3, 4]
    assert np.isnan(s["y"][3]) and s["y"][4] == 8


def on_centre(track, s_values, speed=2.0, progress=(10.0, 11.0)):
    pts = track.point_at(np.asarray(s_values))
    yaw = np.degrees(track.heading_at(np.asarray(s_values)))
    return [[float(x), float(y), float(h), speed, p] for (x, y), h, p in zip(pts, yaw, progress)]


def test_playback_spreads_a_burst_over_the_gap_and_cars_follow_the_road():
    track = load_track("practice_oval")
    pb = CarPlayback(n_cars=1, track=track)
    # Find a stretch of the centre line that bends: a straight line between its ends leaves the road.
    s0 = next(s for s in np.arange(0, track.length, 0.25)
              if track.project(track.point_at([s, s + 3.0]).mean(axis=0, keepdims=True)).distance[0] > 0.3)
    frames = [{"t": 100.0 + 0.1 * k,
               "cars": [on_centre(track, [s0 + 2.0 * k], progress=[100 * 2.0 * k / track.length])[0]]}
              for k in range(6)]
    pb.period_s = 3.0
    pb.push(frames, now=0.0)
    assert pb.advance(0.04, now=0.04)
    shown = []
    t = 0.04
    while pb.advance(0.04, now=t):  # no more frames arrive: the backlog plays out over the gap
        t += 0.04
        pose, trails = pb.frame()
        shown.append(pose[0])
    assert 2.0 < t < 5.0  # steady motion over the expected gap, not a jump and a freeze
    xy = np.array(shown)[:, :2]
    step = np.hypot(*np.diff(xy, axis=0).T)
    assert step.max() < 0.25 and step.max() < 4 * np.median(step)  # no jumps between redraws
    assert track.project(xy).distance.max() < 0.02  # along the bend, not across it
    assert len(trails) == 1 and np.isfinite(trails[0]).all()


def test_a_new_episode_breaks_the_trail_instead_of_drawing_a_line_across_the_track():
    track = load_track("practice_oval")
    pb = CarPlayback(n_cars=1, track=track)
    a = on_centre(track, [5.0, 5.6], progress=[60.0, 62.0])
    b = on_centre(track, [20.0], progress=[0.5])[0]  # reset to a new start: progress went down
    pb.push([{"t": 0.0, "cars": [a[0]]}, {"t": 0.1, "cars": [a[1]]}, {"t": 0.2, "cars": [b]}], now=0.0)
    pb.clock = 0.12
    pose, trails = pb.frame()
    assert np.allclose(pose[0, :2], a[1][:2])  # holds the old pose until halfway
    assert np.isnan(trails[0][:, 0]).any()
    pb.clock = 0.17
    pose, _ = pb.frame()
    assert np.allclose(pose[0, :2], b[:2], atol=1e-6)


@pytest.mark.parametrize("n_cars", [1, 8])
def test_absent_cars_are_not_drawn(n_cars):
    pb = CarPlayback(n_cars=8)
    cars = [[float(i), 0.0, 0.0, 1.0, 5.0] for i in range(n_cars)]
    pb.push([{"t": 1.0, "cars": cars}, {"t": 1.1, "cars": cars}], now=0.0)
    pose, trails = pb.frame()
    assert len(pose) == n_cars == len(trails)
