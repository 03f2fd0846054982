"""Where a car is put back after leaving the road, with obstacles on the track: as DeepRacer does.

DeepRacer (aws-deepracer-community/deepracer-simapp, ``bundle/markov/agent_ctrl/rollout_agent_ctrl.py``,
``_judge_action_at_run_phase`` and ``_get_car_reset_model_state``) puts a car that went off the road
back at the progress it had reached (``spawn_dist``), unless a box is near that point:

- ``_get_closest_obj(spawn_dist, OBSTACLE_NAME_PREFIX)``: the box (only boxes: bot cars are
  not looked at) whose projection on the centre line lies less than ``CLOSEST_OBJ_GAP`` (1 m)
  along the track from ``spawn_dist``, the closest one if several;
- with one, the car goes ``RESET_BEHIND_DIST`` (``DEFAULT_RESET_BEHIND_DIST``, 1 m) behind that
  box, in the lane the box is not in (``_is_obstacle_inner``: the box nearer the inner border
  puts the car in the outer lane, and the reverse), facing along the track, at rest.

The same rule puts a car behind a box it ran into (:mod:`trainer.crashes`). What differs here: the
1 m gap is measured around the lap's end too (DeepRacer's ``abs(object_dist - start_dist) % length``
does not see a box just past the finish line from just before it); and with no box near, the car
goes back onto the centre line as in a time trial (DeepRacer puts it in whichever lane is nearer
to where it left the road).
"""

from __future__ import annotations

import numpy as np

from .lanes import lane_points
from .objects import CLOSEST_OBJ_GAP_M, ObjectWorld

RESET_BEHIND_M = 1.0
"""Distance behind a box a car is put back, m (DeepRacer's ``DEFAULT_RESET_BEHIND_DIST``)."""


def behind_box(objects: ObjectWorld | None, idx: np.ndarray, s_drive: np.ndarray,
               length: float, closed: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Where cars ``idx`` that would be put back at driving-direction distances ``s_drive (k,)`` (m)
    go instead: ``(s_drive (k,), q (k,))``, ``q`` the lane (0.0 inner, 1.0 outer) behind the
    closest box less than :data:`CLOSEST_OBJ_GAP_M` away along the track, NaN (and ``s_drive``
    unchanged) where no box is that close. Vectorised over cars and boxes."""
    idx = np.asarray(idx, dtype=np.intp)
    s_drive = np.asarray(s_drive, dtype=np.float64)
    q = np.full(len(idx), np.nan)
    if objects is None or not len(idx):
        return s_drive, q
    st = objects.state
    boxes = np.flatnonzero(~st.is_bot)
    if not len(boxes):
        return s_drive, q
    along = st.along[idx[:, None], boxes[None, :]]  # (k, b) driving-direction distances of the boxes
    gap = along - s_drive[:, None]
    if closed:
        gap = np.mod(gap + length / 2, length) - length / 2
    gap = np.abs(gap)
    nearest = np.argmin(gap, axis=1)
    rows = np.arange(len(idx))
    near = gap[rows, nearest] < CLOSEST_OBJ_GAP_M
    back = along[rows, nearest] - RESET_BEHIND_M
    if closed:
        back = np.mod(back, length)
    lane = np.round(st.lane[idx, boxes[nearest]])  # 0 inner, 1 outer
    return np.where(near, back, s_drive), np.where(near, 1.0 - lane, np.nan)


def put_back(env, idx: np.ndarray) -> None:
    """Put cars ``idx`` of ``env`` (a :class:`sim.env.RacingEnv`) back at the progress they had
    reached, or behind a box near there (:func:`behind_box`; their progress follows them back), at
    rest, facing the driving direction: on the centre line, or in the lane the box is not in."""
    idx = np.asarray(idx, dtype=np.intp).ravel()
    track, rev = env.track, env.reverse[idx]
    L = track.length
    s_drive = env.start_s[idx] + np.maximum(env.travelled[idx], 0.0)
    spot, q = behind_box(env.objects, idx, s_drive, L, track.closed)
    boxed = np.isfinite(q)
    if boxed.any():
        back = spot - s_drive
        if track.closed:
            back = np.mod(back + L / 2, L) - L / 2
        env.travelled[idx] = np.where(boxed, np.maximum(env.travelled[idx], 0.0) + back, env.travelled[idx])
        env.progress[idx] = 100.0 * np.clip(env.travelled[idx] / env.lap_length[idx], 0.0, 1.0)
    s_file = np.where(rev, L - spot, spot)
    if not track.closed:
        s_file = np.clip(s_file, 0.0, L - 1e-9)
    point = track.point_at(s_file)
    if boxed.any():
        point[boxed] = lane_points(track, spot[boxed], rev[boxed], q[boxed])
    yaw = track.heading_at(s_file) + np.where(rev, np.pi, 0.0)
    d = env.vehicle.reference_offset
    env.state.x[idx] = point[:, 0] - d * np.cos(yaw)
    env.state.y[idx] = point[:, 1] - d * np.sin(yaw)
    env.state.yaw[idx] = np.arctan2(np.sin(yaw), np.cos(yaw))
    env.state.speed[idx] = 0.0
    env.falling[idx] = 0
    env.still[idx] = 0
