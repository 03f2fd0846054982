"""Collisions during an evaluation lap, handled as DeepRacer's evaluation does.

DeepRacer (deepracer-simapp ``bundle/markov/agent_ctrl/rollout_agent_ctrl.py``,
``_check_for_episode_termination`` and ``_judge_action_at_run_phase``) does not end an
evaluation lap when the car touches an object: it pauses the car for the collision penalty
(``COLLISION_PENALTY``; DeepRacer-for-Cloud's ``DR_EVAL_COLLISION_PENALTY``, 5 s in its
templates) and the lap goes on, the penalty counting in the lap time.

- A box (a static obstacle): the car is first put back ``DEFAULT_RESET_BEHIND_DIST`` (1 m,
  ``agent_ctrl/constants.py``) behind the box, in the lane the box is not in, at rest
  (``_get_car_reset_model_state``), then held.
- A bot car: the collision counts only when the car is behind the bot (its progress is less
  than the bot's; a bot running into the car from behind does not count); the car is held
  where it is while the bots drive on.

Trackside stands the penalty out in one go: the lap time gains exactly the penalty and the
bot cars move on by the steps that fit in it. A collision is counted once per contact (the
step the car starts touching an object), so a car that keeps touching an object with a
penalty of 0 is not counted again every step.
"""

from __future__ import annotations

import numpy as np

from sim.lanes import lane_points
from sim.object_params import collisions

RESET_BEHIND_M = 1.0
"""Distance behind a box a car is put back after hitting it, m (DeepRacer's ``DEFAULT_RESET_BEHIND_DIST``)."""

DEFAULT_COLLISION_PENALTY_S = 5.0
"""DeepRacer-for-Cloud's ``DR_EVAL_COLLISION_PENALTY`` (its templates and docs), s."""


def touching(env) -> np.ndarray:
    """``(m,)`` bool: car 0's body overlaps each of its objects (empty without objects)."""
    if env.objects is None:
        return np.zeros(0, dtype=bool)
    return collisions(env.vehicle, env.state, env.objects.state)[0]


def counted_hit(env, now: np.ndarray, before: np.ndarray) -> int | None:
    """The object car 0 has just run into (touching ``now`` and not ``before``, both ``(m,)``),
    or None; a bot that the car is ahead of does not count (DeepRacer's progress comparison)."""
    new = np.flatnonzero(now & ~before)
    if not len(new):
        return None
    st = env.objects.state
    car_d = env.start_s[0] + env.travelled[0]
    for j in new:
        if not st.is_bot[j]:
            return int(j)
        gap = st.along[0, j] - car_d
        if env.track.closed:
            L = env.track.length
            gap = (gap + L / 2) % L - L / 2
        if gap > 0:
            return int(j)
    return None


def hold_after_crash(env, obj: int, penalty_s: float) -> None:
    """Handle car 0's collision with object ``obj``: behind a box in the other lane, or held for
    a bot (see the module docstring); the bot cars drive on for ``penalty_s`` seconds."""
    st = env.objects.state
    if not st.is_bot[obj]:
        _put_behind_box(env, obj)
    env.state.speed[0] = 0.0
    env.falling[0] = 0
    env.still[0] = 0
    steps = int(round(penalty_s / env.dt))
    for _ in range(steps):
        env.objects.advance(env.dt, env.np_random)


def _put_behind_box(env, obj: int) -> None:
    st, track = env.objects.state, env.track
    L = track.length
    rev = bool(env.reverse[0])
    d = st.along[0, obj] - RESET_BEHIND_M
    q = 1.0 - float(np.round(st.lane[0, obj]))  # the other lane: 0 inner, 1 outer
    ref = lane_points(track, np.array([d]), np.array([rev]), np.array([q]))[0]
    s_file = (L - d if rev else d) % L if track.closed else float(np.clip(L - d if rev else d, 0.0, L - 1e-9))
    yaw = float(track.heading_at(np.array([s_file]))[0]) + (np.pi if rev else 0.0)
    off = env.vehicle.reference_offset
    env.state.x[0] = ref[0] - off * np.cos(yaw)
    env.state.y[0] = ref[1] - off * np.sin(yaw)
    env.state.yaw[0] = np.arctan2(np.sin(yaw), np.cos(yaw))
    delta = d - (env.start_s[0] + env.travelled[0])
    if track.closed:
        delta = (delta + L / 2) % L - L / 2
    env.travelled[0] += delta  # progress follows the car back (at most the lap's start: never below 0 %)
    env.progress[0] = 100.0 * np.clip(env.travelled[0] / env.lap_length[0], 0.0, 1.0)
