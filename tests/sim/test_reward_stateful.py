"""The validator calls a reward function as DeepRacer would: a real episode from ``steps == 1``
with consecutive steps, then the edge cases, each a fresh episode. A stateful community reward
(``stateful_reward.py``) validates."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.library import load_track
from sim.reward_check import DRIVE_STEPS, driven_episode, sample_params, validate_reward_source

STATEFUL = (Path(__file__).parent / "stateful_reward.py").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def track():
    return load_track("workshop_loop")


def test_samples_start_with_a_real_episode_of_consecutive_steps(track):
    drive = driven_episode(track)
    assert len(drive) == DRIVE_STEPS
    assert [p["steps"] for p in drive] == [float(k) for k in range(1, DRIVE_STEPS + 1)]
    assert all(type(p["steps"]) is float for p in drive)
    progress = [p["progress"] for p in drive]
    assert all(b > a for a, b in zip(progress, progress[1:])) and progress[-1] > 5.0
    assert all(p["all_wheels_on_track"] and not p["is_reversed"] for p in drive)
    # Real moves: each step's x, y is about speed * dt from the previous one.
    moves = [((b["x"] - a["x"]) ** 2 + (b["y"] - a["y"]) ** 2) ** 0.5 for a, b in zip(drive, drive[1:])]
    assert 0.05 < max(moves) < 0.15


def test_every_sample_after_the_drive_is_a_step_after_the_last_or_a_new_episode(track):
    samples = sample_params(track)
    assert samples[0]["steps"] == 1.0
    for prev, p in zip(samples, samples[1:]):
        assert p["steps"] == 1.0 or p["steps"] == prev["steps"] + 1.0
    assert sum(p["steps"] == 1.0 for p in samples) > 60  # the edge cases, each its own episode
    assert max(p["progress"] for p in samples) == 100.0


def test_a_stateful_community_reward_validates(track):
    report = validate_reward_source(STATEFUL, track, filename="stateful_reward.py")
    assert report.ok, report.error
    assert len(report.samples) > DRIVE_STEPS + 60


def test_a_stateful_reward_that_ignores_new_episodes_fails_with_its_line(track):
    broken = STATEFUL.replace("if steps == 1 or self.prev_steps is None:", "if self.prev_steps is None:")
    report = validate_reward_source(broken, track, filename="stateful_reward.py")
    assert not report.ok
    assert "steps jumped from" in report.error and "AssertionError" in report.error
    line = STATEFUL.splitlines().index(
        '            assert steps == self.prev_steps + 1, "steps jumped from %s to %s" % (self.prev_steps, steps)') + 1
    assert report.line == line
    assert len(report.samples) == DRIVE_STEPS + 1  # the drive and the finished lap ran


def test_an_open_track_validates_from_a_driven_start():
    import numpy as np

    from sim.track import Track, TrackInfo

    x = np.linspace(0.0, 12.0, 61)
    centre = np.stack([x, 0.5 * np.sin(x / 3.0)], axis=1)
    tangent = np.gradient(centre, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    left = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    track = Track(np.hstack([centre, centre + 0.4 * left, centre - 0.4 * left]), TrackInfo(name="open"))
    assert not track.closed
    drive = driven_episode(track)
    # The rear wheels start behind the road's end (the reference point is on waypoint 0), then it drives on.
    assert drive[0]["steps"] == 1.0 and all(p["all_wheels_on_track"] for p in drive[10:])
    report = validate_reward_source(STATEFUL, track, filename="stateful_reward.py")
    assert report.ok, report.error
