"""Collisions with objects, what the camera frustum holds, and the object keys of the reward params.

All of it is vectorised over cars and objects: arrays ``(n_cars, n_objects)``.

Followed (aws-deepracer-community/deepracer-simapp, ``bundle/markov/track_geom/track_data.py``,
``get_object_reward_params`` and ``get_collided_object_name``):

- ``objects_location``: ``[x, y]`` of every object (lists, as DeepRacer sends them).
- ``objects_distance``: each object's projection onto the driving-direction centre line, m from
  its waypoint 0 (``center_line.project``; reversed in a reversed episode).
- ``closest_objects``: ``[behind, ahead]``: the objects sorted by that distance, the car's own
  projection bisected into them (``find_prev_next``: ``bisect_right``, an index -1 wrapping to the
  last object and ``n`` to the first), so behind/ahead wrap around the lap's end.
- ``objects_left_of_center``: the object lies between the centre line and the inner border,
  flipped when the driving direction runs clockwise (``inner_poly.contains(p) ^ (not is_ccw)``).
- ``objects_distance_from_center``: distance to the centre line, m.
- ``objects_heading`` (radians) and ``objects_speed`` (m/s): filled when the world has bot cars
  (DeepRacer's ``_is_bot_car_``), 0.0 otherwise. With bot cars DeepRacer gives every object,
  boxes too, its yaw and ``BOT_CAR_SPEED``; here a box keeps its yaw and reports speed 0.0.
- ``object_in_camera``: the ``ahead`` object is in the camera's view.
- ``is_crashed``: the car's body overlaps an object's collision rectangle. DeepRacer tests whether
  a corner of the car's rectangle lies inside the object's; we test the rectangles' overlap
  (separating axes), which also catches two rectangles crossing without a corner inside. DeepRacer
  also lets a training episode go on when the object hit is behind the car (a bot car running
  into it from behind); here any overlap counts.

The camera's view here is its horizontal field of view on the ground, out to ``max_distance``
(an object counts when a corner or its centre is inside), not DeepRacer's 3D frustum.
"""

from __future__ import annotations

import numpy as np

from .camera import HFOV_RAD
from .objects import (
    BOT_CAR_SIZE_M,
    BOX_SIZE_M,
    ObjectsConfig,
    ObjectsError,
    ObjectState,
    ObjectWorld,
)
from .track import Track
from .vehicle import CarState, VehicleConfig

CAMERA_MOUNT_OFFSET_M = 0.20
"""Camera position ahead of the car's origin for ``object_in_camera``, m (the Camera's default)."""
CAMERA_RANGE_M = 12.0
"""Farthest an object counts as in the camera's view, m (the Camera's ``max_distance``)."""
CAMERA_NEAR_M = 0.05
"""Nearest an object point counts as in view (ahead of the camera), m."""



def body_rect(vehicle: VehicleConfig, state: CarState) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The car body's rectangle: centres ``(n, 2)`` m, yaw ``(n,)`` radians, half length and half width, m.

    The body (``body_length`` x ``body_width`` of :class:`~sim.vehicle.VehicleConfig`) is centred
    midway between the axles, where DeepRacer's base link sits."""
    c, s = np.cos(state.yaw), np.sin(state.yaw)
    mid = vehicle.wheelbase / 2
    centre = np.stack([state.x + mid * c, state.y + mid * s], axis=1)
    return centre, state.yaw, vehicle.body_length / 2, vehicle.body_width / 2


def rects_overlap(ca: np.ndarray, yaw_a: np.ndarray, hl_a, hw_a, cb: np.ndarray, yaw_b: np.ndarray,
                  hl_b, hw_b) -> np.ndarray:
    """Whether oriented rectangles overlap (touching counts), by separating axes; broadcasting.

    ``ca``/``cb``: centres ``(..., 2)``, m; ``yaw_*``: headings ``(...)``, radians; ``hl_*``, ``hw_*``:
    half length (along the heading) and half width, m (scalars or arrays broadcasting with the yaws).
    """
    dx, dy = cb[..., 0] - ca[..., 0], cb[..., 1] - ca[..., 1]
    shape = np.broadcast(dx, yaw_a, yaw_b).shape
    ua0, ua1, ub0, ub1 = (v if v.shape == shape else np.broadcast_to(v, shape)
                          for v in (np.cos(yaw_a), np.sin(yaw_a), np.cos(yaw_b), np.sin(yaw_b)))
    # The four axes at once (4, ...): each rectangle's heading and its normal.
    ax, ay = np.stack([ua0, -ua1, ub0, -ub1]), np.stack([ua1, ua0, ub1, ub0])
    # Radii of both rectangles along each axis: half length times |cos|, half width times |sin|.
    ra = hl_a * np.abs(ua0 * ax + ua1 * ay) + hw_a * np.abs(ua0 * ay - ua1 * ax)
    rb = hl_b * np.abs(ub0 * ax + ub1 * ay) + hw_b * np.abs(ub0 * ay - ub1 * ax)
    return ~(np.abs(dx * ax + dy * ay) > ra + rb).any(axis=0)


def collisions(vehicle: VehicleConfig, state: CarState, objects: ObjectState, compiled: bool = True) -> np.ndarray:
    """``(n_cars, n_objects)`` bool: each car's body overlaps that object of its own episode.
    ``compiled``: in one call of :func:`sim.object_kernels.body_hits` (the same answers); False: numpy."""
    if compiled:
        from sim.object_kernels import body_hits  # numba: imported on first use, not by every CLI command

        hl, hw = vehicle.body_length / 2, vehicle.body_width / 2
        out = np.empty(objects.x.shape, dtype=bool)
        f64 = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
        if body_hits((f64(state.x), f64(state.y), f64(state.yaw)),
                     (vehicle.wheelbase / 2, hl, hw, float(np.hypot(hl, hw))),
                     (f64(objects.x), f64(objects.y), f64(objects.yaw), f64(objects.length / 2),
                      f64(objects.width / 2), f64(np.hypot(objects.length, objects.width) / 2)), out):
            return out
    centre, yaw, hl, hw = body_rect(vehicle, state)
    # Only pairs closer than their half diagonals can touch: test those.
    reach = np.hypot(hl, hw) + np.hypot(objects.length, objects.width)[None, :] / 2
    car, obj = np.nonzero(np.hypot(objects.x - centre[:, :1], objects.y - centre[:, 1:]) <= reach)
    out = np.zeros(objects.x.shape, dtype=bool)
    if len(car):
        cb = np.stack([objects.x[car, obj], objects.y[car, obj]], axis=-1)
        out[car, obj] = rects_overlap(centre[car], yaw[car], hl, hw, cb, objects.yaw[car, obj],
                                      objects.length[obj] / 2, objects.width[obj] / 2)
    return out


def in_camera(objects: ObjectState, state: CarState, hfov: float = HFOV_RAD,
              mount_offset: float = CAMERA_MOUNT_OFFSET_M, max_distance: float = CAMERA_RANGE_M,
              cols: np.ndarray | None = None) -> np.ndarray:
    """``(n_cars, n_objects)`` bool: a corner or the centre of the object lies in the camera's
    horizontal field of view, ahead of it and within ``max_distance``. With ``cols`` (one object
    index per car, ``(n_cars,)``) only those objects are looked at: ``(n_cars,)`` bool, in one call of
    :func:`sim.object_kernels.camera_sees` (the same answers)."""
    if cols is not None:
        from sim.object_kernels import camera_sees  # numba: imported on first use, not by every CLI command

        out = np.empty(len(cols), dtype=bool)
        f64 = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
        if camera_sees((f64(state.x), f64(state.y), f64(state.yaw)),
                       (float(mount_offset), CAMERA_NEAR_M, float(np.tan(hfov / 2)), float(max_distance)),
                       (f64(objects.outline), f64(objects.x), f64(objects.y)), np.ascontiguousarray(cols, np.int64), out):
            return out
    cos, sin = np.cos(state.yaw), np.sin(state.yaw)
    c, s = cos[:, None, None], sin[:, None, None]
    cx = (state.x + mount_offset * cos)[:, None, None]
    cy = (state.y + mount_offset * sin)[:, None, None]
    if cols is None:
        corners, centres = objects.corners(), np.stack([objects.x, objects.y], axis=-1)
        pts = np.concatenate([corners, centres[:, :, None, :]], axis=2)
        px, py = pts[..., 0], pts[..., 1]
    else:  # gather the looked-at objects first: their corners and centre, (n, 1, 5) each
        rows = np.arange(len(cols))
        corners = objects.outline[rows, cols]
        px = np.concatenate([corners[:, :, 0], objects.x[rows, cols][:, None]], axis=1)[:, None]
        py = np.concatenate([corners[:, :, 1], objects.y[rows, cols][:, None]], axis=1)[:, None]
    wx, wy = px - cx, py - cy
    fwd, left = c * wx + s * wy, c * wy - s * wx
    seen = (fwd > CAMERA_NEAR_M) & (np.abs(left) <= fwd * np.tan(hfov / 2)) & (np.hypot(fwd, left) <= max_distance)
    seen = seen.any(axis=2)
    return seen if cols is None else seen[:, 0]


def object_columns(objects: ObjectState, s_drive: np.ndarray, crashed: np.ndarray,
                   seen: np.ndarray | None = None, state: CarState | None = None) -> tuple[list, ...]:
    """The object keys for every car as :data:`sim.params.OBJECT_COLUMNS` lists (plain Python values).

    Args:
        objects: the objects of every car's episode.
        s_drive: the cars' projections on the driving-direction centre line ``(n,)``, m.
        crashed: ``(n,)`` bool, the car's body overlaps an object.
        seen: ``(n, m)`` bool from :func:`in_camera`; or None and ``state``, the cars, whose camera
            then looks at the ``ahead`` objects only (all ``object_in_camera`` reads).
    """
    n, m = objects.x.shape
    dist = objects.along
    closest = closest_objects(dist, s_drive)
    ahead = closest[:, 1]
    rows = np.arange(n)
    bots = bool(objects.is_bot.any())
    heading_out = np.where(bots, objects.yaw, 0.0)
    speed_out = np.broadcast_to(np.where(bots, objects.speed, 0.0), (n, m))  # speed: (m,) or per car (n, m)
    loc = np.stack([objects.x, objects.y], axis=-1).tolist()
    return (np.asarray(crashed, bool).tolist(), closest.tolist(), loc,
            objects.left.tolist(), speed_out.tolist(), heading_out.tolist(), objects.from_centre.tolist(),
            dist.tolist(), (seen[rows, ahead] if seen is not None else in_camera(objects, state, cols=ahead)).tolist())


def closest_objects(dist: np.ndarray, s_drive: np.ndarray, compiled: bool = True) -> np.ndarray:
    """``(n, 2)`` indices of the object behind and the object ahead of each car: DeepRacer's
    ``find_prev_next`` over the objects sorted by distance ``dist`` ``(n, m)`` m along the track,
    for cars at ``s_drive`` ``(n,)`` m. ``compiled``: :func:`sim.object_kernels.closest_ahead`."""
    if compiled:
        from sim.object_kernels import closest_ahead  # numba: imported on first use, not by every CLI command

        closest = np.empty((len(dist), 2), dtype=np.int64)
        closest_ahead(np.ascontiguousarray(dist, dtype=np.float64), np.ascontiguousarray(s_drive, dtype=np.float64),
                      closest)
        return closest
    m = dist.shape[1]
    order = np.argsort(dist, axis=1, kind="stable")
    nxt = (dist <= s_drive[:, None]).sum(axis=1)
    rows = np.arange(len(dist))
    # prev -1 wraps to the last object, next m to the first: both mod m; one gather for the pair.
    return order[rows[:, None], np.stack([nxt - 1, nxt], axis=1) % m]


def objects_at(track: Track, objects: list[tuple]) -> ObjectState:
    """One car's objects held where given: ``(x, y)`` for a box (its heading along the track's
    direction there), ``(x, y, heading_deg, speed)`` for a bot car; m, degrees, m/s. In this order
    (``closest_objects`` indexes it)."""
    rows = []
    for k, obj in enumerate(objects):
        try:
            row = tuple(float(v) for v in obj)
        except (TypeError, ValueError):
            row = ()
        if len(row) not in (2, 4) or not np.isfinite(row).all():
            raise ObjectsError(f"object {k + 1}: give X,Y for a box or X,Y,HEADING,SPEED for a bot car "
                               f"(metres, degrees, m/s), got {obj!r}")
        rows.append(row)
    world = ObjectWorld(track, ObjectsConfig(number_of_obstacles=len(rows)), 1)
    st = world.state
    bot = np.array([len(r) == 4 for r in rows])
    st.is_bot[:] = bot
    st.speed[:] = [r[3] if len(r) == 4 else 0.0 for r in rows]
    size = np.where(bot[:, None], BOT_CAR_SIZE_M, BOX_SIZE_M)
    st.length[:], st.width[:] = size[:, 0], size[:, 1]
    xy = np.array([r[:2] for r in rows])
    along_track = track.heading_at(track.project(xy).s)
    yaw = np.where(bot, np.radians([r[2] if len(r) == 4 else 0.0 for r in rows]), along_track)
    world.put(xy[None, :, 0], xy[None, :, 1], np.arctan2(np.sin(yaw), np.cos(yaw))[None, :])
    return st

