"""The coaching card: a lap against the racing line, sector by sector, with off-track hot spots.

A pure-pursuit driver on the racing line stands in for a model (real simulator, real line); it is
slowed in one stretch or pushed off the road at one spot, and the card must find that stretch or spot.
"""


import numpy as np
import pytest

from sim.actions import ActionSpace
from sim.driver import PurePursuitDriver
from sim.library import load_track
from sim.noise import NoiseConfig
from sim.racing_line import compute_racing_line
from trainer.coaching import CoachingError, LapRecorder, coach_lap, loss_shades, shade_rgb
from trainer.driving import EvaluationRules, evaluate_policy

TRACK = "workshop_loop"
SPACE = ActionSpace.continuous((-30.0, 30.0), (0.1, 4.0))


def drive(laps=2, slow=None, push_off_at=None, penalty_s=2.0):
    """Laps of a pure-pursuit driver; ``slow=(p0, p1)`` halves its speed between those lap progresses (%),
    ``push_off_at`` steers hard left from that progress (%) of lap 1 until the car is put back."""
    track = load_track(TRACK)
    driver = PurePursuitDriver(compute_racing_line(track))
    recorder = LapRecorder(penalty_s)
    seen = {"env": None, "pushed": False}

    def hook(env, info, action, lap):
        seen["env"] = env
        recorder(env, info, action, lap)

    def act(obs, speed):
        env = seen["env"]
        if env is None:
            return np.array([[0.0, 1.0]])
        steer, v = driver.act(env.state)
        p = float(env.progress[0])
        if push_off_at is not None and not seen["pushed"] and len(recorder.laps) == 0 and p >= push_off_at:
            if speed[0] == 0.0 and p > push_off_at + 0.01:  # put back after leaving the road
                seen["pushed"] = True
            else:
                return np.array([[30.0, 3.0]])
        if slow is not None and slow[0] <= p < slow[1]:
            v = v * 0.5
        return np.stack([steer, v], axis=1)

    rules = EvaluationRules(laps=laps, seed=1, noise=NoiseConfig.off(), penalty_s=penalty_s)
    results = evaluate_policy(act, track, SPACE, None, rules, on_step=hook)
    return track, results, recorder.laps


def test_a_lap_on_the_line_loses_little_and_sector_times_add_up_to_both_lap_times():
    track, results, laps = drive(laps=2)
    assert [t.time_s for t in laps] == [r.time_s for r in results]
    card = coach_lap(track, laps, 4.0)
    assert card.lap.time_s == min(r.time_s for r in results)
    assert sum(s.time_s for s in card.sectors) == pytest.approx(card.lap_time_s, abs=1e-9)
    assert sum(s.line_s for s in card.sectors) == pytest.approx(card.line_lap_s, abs=1e-9)
    line = compute_racing_line(track, max_speed=4.0)
    assert card.line_lap_s == pytest.approx(line.best_lap_s, abs=0.05)  # every trial starts at rest
    assert 0 <= card.gap_s < 0.25 and all(abs(s.lost_s) < 0.1 for s in card.sectors)
    assert card.hot_spots == [] and len(card.sectors) == 10
    assert card.sectors[-1].end_m == pytest.approx(track.length)


def test_the_stretch_where_the_car_slows_is_the_worst_sector():
    track, _, laps = drive(laps=1, slow=(42.0, 58.0))
    card = coach_lap(track, laps, 4.0)
    assert {s.number for s in card.worst(2)} == {5, 6}  # progress 40-50 % and 50-60 %
    assert card.worst()[0].lost_s > 0.2 and card.gap_s > 0.4
    assert "Sector 5" in " ".join(card.advice()) or "Sector 6" in card.advice()[1]
    data = card.to_dict()
    assert data["worst"][:2] in ([5, 6], [6, 5]) and len(data["sectors"]) == 10
    shades = loss_shades(card)
    where = laps[0].progress
    slowed, before = shades[(where > 42) & (where < 60)].mean(), shades[where < 30].mean()
    assert slowed > 0.5 and slowed > 3 * before, (slowed, before)
    assert shade_rgb(np.array([0.0, 1.0])).tolist() == [[46, 160, 67], [214, 40, 40]]


def test_an_off_track_is_a_hot_spot_and_its_penalty_counts_in_its_sector():
    track, results, laps = drive(laps=2, push_off_at=33.0)
    assert results[0].off_track == 1 and results[1].off_track == 0
    card = coach_lap(track, laps, 4.0, lap=1)
    assert card.off_track == 1 and len(card.hot_spots) == 1
    spot = card.hot_spots[0]
    assert spot.count == 1 and 0.33 * track.length <= spot.distance_m < 0.45 * track.length
    assert card.worst()[0].number == 4 and card.worst()[0].lost_s > 2.0  # the 2 s penalty at 33-40 %
    assert coach_lap(track, laps, 4.0).lap.lap == 2  # by default the fastest lap


def test_no_completed_lap_and_bad_choices_are_refused_in_words():
    track = load_track(TRACK)
    _, _, laps = drive(laps=1)
    with pytest.raises(CoachingError, match="there is no lap 3"):
        coach_lap(track, laps, 4.0, lap=3)
    with pytest.raises(CoachingError, match="sectors: expected 2..50"):
        coach_lap(track, laps, 4.0, n_sectors=1)
    laps[0].time_s = None
    with pytest.raises(CoachingError, match="no lap was completed"):
        coach_lap(track, laps, 4.0)
