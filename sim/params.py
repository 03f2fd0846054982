"""The ``params`` dict handed to a DeepRacer reward function, built for many cars at once.

Every value is computed as an array over cars; only the final dicts are made per
car, since the user's ``reward_function(params)`` is called once per car.

Semantics follow DeepRacer (see ``deepracer-conventions.md`` section 1):

- ``x, y`` are the reference point, 0.14 m ahead of the car's base link (the middle of the car),
  ``reference_offset`` (0.2217 m) ahead of the rear-axle origin (:mod:`sim.vehicle`); all
  geometry is measured from it. ``all_wheels_on_track``/``is_offtrack`` test the four wheel
  points of DeepRacer's URDF (``VehicleConfig.wheel_offsets``).
- ``waypoints``, ``closest_waypoints`` and ``projection_distance`` refer to the centre line in
  the *driving* direction, as current DeepRacer's ``TrackData.center_line`` does: the file's
  order, reversed in a reversed episode (a loop keeps its repeated first point at the end).
  ``closest_waypoints`` is ``[prev, next]`` from a bisect of the car's normalised projection over
  the waypoints' normalised positions (``track_geom/utils.find_prev_next``): on the last segment
  of a loop it is ``[N-2, N-1]``. ``projection_distance`` is the arc length from waypoint 0 of
  that line.
- ``track_width`` is measured between the nearest points of the inner and outer border to the
  car's centre-line point (:meth:`sim.track.Track.width_at`).
- ``is_left_of_center`` is DeepRacer's reading: the car is nearer the inner border point than the
  outer one (the points ``track_width`` is measured between), flipped when the driving direction
  runs clockwise (an open track counts as counter-clockwise in its file order).
- ``progress`` is relative to the episode's start point, from the distance actually
  travelled along the centre line: a step that would jump more than half a lap is a
  wrap, and backing over the start line does not count as a finished lap. Capped to
  [0, 100].
- ``speed`` and ``steering_angle`` are the commanded values of the chosen action.
- ``steps`` is a float (1.0, 2.0, ...), as DeepRacer sends it.
- With no objects ``is_crashed`` is False and the object keys hold DeepRacer's defaults
  (``closest_objects`` ``[0, 0]``, ``object_in_camera`` False, the lists empty); with obstacles or
  bot cars they come from :func:`sim.object_params.object_columns`, appended to the columns.

Followed: deepracer-simapp ``bundle/markov/agent_ctrl/utils.py`` (``set_reward_and_metrics``),
``bundle/markov/track_geom/track_data.py`` and ``track_geom/utils.py``.
"""

from __future__ import annotations

import numpy as np

from .track import Projection, Track
from .vehicle import VehicleConfig

PARAM_KEYS = (
    "all_wheels_on_track", "x", "y", "heading", "distance_from_center", "is_left_of_center",
    "is_reversed", "progress", "steps", "speed", "steering_angle", "track_width", "track_length",
    "waypoints", "closest_waypoints", "projection_distance", "is_offtrack", "is_crashed",
    "closest_objects", "objects_location", "objects_left_of_center", "objects_speed", "objects_heading",
    "objects_distance_from_center", "objects_distance", "object_in_camera",
)


class ParamsBuilder:
    """Builds per-car params dicts for one track.

    Each dict gets its own copy of the ``waypoints`` list of ``(x, y)`` tuples (as DeepRacer
    sends): a reward function that appends to or clears it changes only its own car's view.
    Copying a list of tuples is a pointer copy, a fraction of a microsecond per car.
    """

    def __init__(self, track: Track):
        self.track = track
        # The master list; every dict gets a shallow copy (tuples are immutable, so that is enough).
        self.waypoints = [(float(x), float(y)) for x, y in track.center]
        # Normalised waypoint positions on the forward and on the reversed centre line, as
        # DeepRacer's TrackLine.ndists: each waypoint's projection, the last one 1.0.
        length = track.length
        self._ndists = track.cum_s / length
        self._ndists[-1] = 1.0
        self._ndists_rev = (length - track.cum_s[::-1]) / length
        self._ndists_rev[-1] = 1.0
        # DeepRacer's TrackData._is_ccw_: the centre ring's winding for a loop, True for an open track.
        self._ccw = track.is_ccw if track.closed else True
        self._line = (float(track.length), bool(track.closed), self._ndists, self._ndists_rev)

    def driving_s(self, s: np.ndarray, reverse: np.ndarray) -> np.ndarray:
        """Arc length ``(n,)`` on the driving-direction centre line for file-order arc length ``s``, m:
        ``length - s`` in a reversed episode (0, not ``length``, at the start of a loop)."""
        length = self.track.length
        rs = length - s
        if self.track.closed:
            rs = np.where(rs >= length, 0.0, rs)
        return np.where(reverse, rs, s)

    def closest_waypoints(self, s_drive: np.ndarray, reverse: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(prev, next)`` waypoint indices ``(n,)`` into the driving-direction waypoint list for
        driving-direction arc lengths ``s_drive`` ``(n,)``: DeepRacer's ``find_prev_next``, a
        ``bisect_right`` of the normalised position over the waypoints' normalised positions,
        ``prev`` -1 becoming ``N-1`` and ``next`` ``N`` becoming 0."""
        nd = s_drive / self.track.length
        n = len(self._ndists)
        nxt = np.where(reverse, np.searchsorted(self._ndists_rev, nd, side="right"),
                       np.searchsorted(self._ndists, nd, side="right"))
        prev = np.where(nxt == 0, n - 1, nxt - 1)
        return prev, np.where(nxt == n, 0, nxt)

    def along(self, s: np.ndarray, reverse: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """Driving-direction arc length ``(n,)`` for file-order ``s`` and its :meth:`closest_waypoints`:
        what :meth:`columns` and :meth:`nearest_waypoint` derive from a projection, computed once per step."""
        from sim.step_kernels import along_line  # numba: imported on first use, not by every CLI command

        reverse = np.ascontiguousarray(reverse, dtype=bool).ravel()
        s = np.ascontiguousarray(s, dtype=np.float64).ravel()
        s_drive, closest = np.empty(len(s)), np.empty((2, len(s)), dtype=np.int64)
        along_line(s, reverse, self._line, s_drive, closest)  # driving_s and closest_waypoints, one loop
        return s_drive, (closest[0], closest[1])

    def nearest_waypoint(self, ref_xy: np.ndarray, s_drive: np.ndarray, reverse: np.ndarray,
                         closest: tuple[np.ndarray, np.ndarray] | None = None, compiled: bool = True) -> np.ndarray:
        """Whichever of :meth:`closest_waypoints` (``closest`` when given) is nearer to ``ref_xy`` ``(n, 2)``
        (``next`` only when strictly nearer), as DeepRacer's SIM_TRACE ``closest_waypoint``; an index
        ``(n,)`` into the driving-direction waypoint list."""
        prev, nxt = closest if closest is not None else self.closest_waypoints(s_drive, reverse)
        if compiled:
            from sim.step_kernels import nearest_waypoints  # numba: imported on first use, not by every CLI command
            out = np.empty(len(ref_xy), dtype=np.int64)
            nearest_waypoints(ref_xy, np.stack([prev, nxt]), np.asarray(reverse, bool), self.track.center, out)
            return out
        last = len(self._ndists) - 1
        centre = self.track.center
        p_xy = centre[np.where(reverse, last - prev, prev)]
        n_xy = centre[np.where(reverse, last - nxt, nxt)]
        d_prev = np.hypot(*(ref_xy - p_xy).T)
        d_next = np.hypot(*(ref_xy - n_xy).T)
        return np.where(d_next < d_prev, nxt, prev)

    def build(self, proj: Projection, ref_xy: np.ndarray, heading_rad: np.ndarray, speed: np.ndarray,
              steering_deg: np.ndarray, steps: np.ndarray, progress: np.ndarray, reverse: np.ndarray,
              wheels_on: np.ndarray, objects: tuple[list, ...] = (), along=None) -> list[dict]:
        """One params dict per car; the arguments are those of :meth:`columns`."""
        return params_dicts(self.columns(proj, ref_xy, heading_rad, speed, steering_deg, steps, progress, reverse,
                                         wheels_on, objects, along), self.waypoints, self.track.length)

    def columns(self, proj: Projection, ref_xy: np.ndarray, heading_rad: np.ndarray, speed: np.ndarray,
                steering_deg: np.ndarray, steps: np.ndarray, progress: np.ndarray, reverse: np.ndarray,
                wheels_on: np.ndarray, objects: tuple[list, ...] = (), along=None) -> tuple[list, ...]:
        """The per-step values of every car as :data:`COLUMNS` lists (compact: what a reward worker
        process is sent each step); :func:`params_dicts` makes the dicts from them.

        Args:
            proj: projection of ``ref_xy`` onto the centre line (file order; the driving-direction
                values are derived here).
            ref_xy: reference points ``(n, 2)``, m.
            heading_rad: yaw ``(n,)``, radians.
            speed, steering_deg: commanded speed (m/s) and steering (degrees), ``(n,)``.
            steps: steps taken in the episode, from 1, ``(n,)`` (sent as floats).
            progress: percent of the lap since the episode start, ``(n,)``.
            reverse: the episode drives the track in reverse, ``(n,)`` bool.
            wheels_on: ``(n, 4)`` bool, each wheel contact point on the road.
            objects: the object columns (:data:`OBJECT_COLUMNS`), appended as
                they are; empty for a world without objects.
            along: :meth:`along` of ``proj.s`` when the caller has it already (None: computed here).
        """
        from sim.step_kernels import param_values  # numba: imported on first use, not by every CLI command

        reverse = np.ascontiguousarray(reverse, dtype=bool).ravel()
        s_drive, (behind, ahead) = along if along is not None else self.along(proj.s, reverse)
        inner, outer = self.track.border_points_at(proj.s)
        n = len(reverse)
        values, flags = np.empty((3, n)), np.empty((3, n), dtype=bool)
        param_values(ref_xy, np.ascontiguousarray(heading_rad, dtype=np.float64), np.asarray(wheels_on, bool), inner,
                     outer, reverse, bool(self._ccw), values, flags)
        heading = np.degrees(np.arctan2(values[0], values[1]))
        heading = np.where(heading <= -180.0, 180.0, heading)
        floats = np.stack([ref_xy[:, 0], ref_xy[:, 1], heading, proj.distance, progress, steps, speed, steering_deg,
                           values[2], s_drive]).tolist()  # one conversion to Python floats (steps too, as DeepRacer)
        (all_on, left, off), (rev,), (behind, ahead) = flags.tolist(), [reverse.tolist()], (behind.tolist(), ahead.tolist())
        x, y, heading, distance, progress, steps, speed, steering, width, s_drive = floats
        return (all_on, x, y, heading, distance, left, rev, progress, steps, speed, steering, width, behind, ahead,
                s_drive, off, *objects)


COLUMNS = ("all_wheels_on_track", "x", "y", "heading", "distance_from_center", "is_left_of_center", "is_reversed",
           "progress", "steps", "speed", "steering_angle", "track_width", "closest_behind", "closest_ahead",
           "projection_distance", "is_offtrack")
"""The order of :meth:`ParamsBuilder.columns`; object columns, when there are objects, follow."""
OBJECT_COLUMNS = ("is_crashed", "closest_objects", "objects_location", "objects_left_of_center", "objects_speed",
                  "objects_heading", "objects_distance_from_center", "objects_distance", "object_in_camera")
"""The order of the object columns after :data:`COLUMNS` (:func:`sim.object_params.object_columns`)."""


def params_dicts(columns: tuple[list, ...], waypoints: list[tuple[float, float]], length: float) -> list[dict]:
    """One params dict per car from :meth:`ParamsBuilder.columns`; each gets its own copy of
    ``waypoints`` (file order), reversed for a car in a reversed episode, and its own object lists.

    Plain Python only (no numpy): the reward worker process builds the dicts with it. Each dict is a
    copy of one template (a copy of a dict is a block copy, cheaper than building 26 entries) with
    the car's values stored over the template's: the keys stay in :data:`PARAM_KEYS` order.
    """
    template = dict.fromkeys(PARAM_KEYS)
    template.update(track_length=length, is_crashed=False, object_in_camera=False)
    k = len(COLUMNS)
    if len(columns) > k:
        return _with_objects(template, columns, waypoints)
    wps = waypoints
    rev = wps[::-1] if any(columns[6]) else wps
    copy, out = list.copy, []
    for on, x, y, h, d, lf, rv, pg, st, sp, sa, w, b, a, s, of in zip(*columns):
        p = template.copy()
        p["all_wheels_on_track"], p["x"], p["y"], p["heading"], p["distance_from_center"] = on, x, y, h, d
        p["is_left_of_center"], p["is_reversed"], p["progress"], p["steps"], p["speed"] = lf, rv, pg, st, sp
        p["steering_angle"], p["track_width"], p["waypoints"] = sa, w, copy(rev if rv else wps)
        p["closest_waypoints"], p["projection_distance"], p["is_offtrack"] = [b, a], s, of
        p["closest_objects"], p["objects_location"], p["objects_left_of_center"] = [0, 0], [], []
        p["objects_speed"], p["objects_heading"], p["objects_distance_from_center"] = [], [], []
        p["objects_distance"] = []
        out.append(p)
    return out


def _with_objects(template: dict, columns: tuple[list, ...], waypoints: list) -> list[dict]:
    """:func:`params_dicts` for columns followed by the object columns (``is_crashed`` and the
    object keys, in :data:`OBJECT_COLUMNS` order), over the same ``template``."""
    wps = waypoints
    rev = wps[::-1] if any(columns[6]) else wps
    copy, out, k = list.copy, [], len(COLUMNS)
    for (on, x, y, h, d, lf, rv, pg, st, sp, sa, w, b, a, s, of), (cr, co, loc, left, spd, hd, dfc, dist, cam) \
            in zip(zip(*columns[:k]), zip(*columns[k:])):
        p = template.copy()
        p["all_wheels_on_track"], p["x"], p["y"], p["heading"], p["distance_from_center"] = on, x, y, h, d
        p["is_left_of_center"], p["is_reversed"], p["progress"], p["steps"], p["speed"] = lf, rv, pg, st, sp
        p["steering_angle"], p["track_width"], p["waypoints"] = sa, w, copy(rev if rv else wps)
        p["closest_waypoints"], p["projection_distance"], p["is_offtrack"] = [b, a], s, of
        p["is_crashed"], p["closest_objects"], p["objects_location"], p["objects_left_of_center"] = cr, co, loc, left
        p["objects_speed"], p["objects_heading"], p["objects_distance_from_center"] = spd, hd, dfc
        p["objects_distance"], p["object_in_camera"] = dist, cam
        out.append(p)
    return out


def origin_from_reference(ref_xy: np.ndarray, heading_rad: np.ndarray, vehicle: VehicleConfig) -> np.ndarray:
    """Car origins ``(n, 2)`` for reference points ``ref_xy (n, 2)``, m."""
    d = vehicle.reference_offset
    return ref_xy - d * np.stack([np.cos(heading_rad), np.sin(heading_rad)], axis=-1)


def params_at(track: Track, x: float, y: float, heading_deg: float, speed: float = 1.0,
              steering_deg: float = 0.0, vehicle: VehicleConfig | None = None,
              builder: ParamsBuilder | None = None, objects: list[tuple] = ()) -> dict:
    """The params for a car whose reference point is at ``(x, y)``, in an episode that
    started at waypoint 0 in the track's own direction, on its first step.

    ``objects``: ``(x, y)`` of a box or ``(x, y, heading_deg, speed)`` of a bot car, m, degrees, m/s;
    they fill the object keys (:func:`sim.object_params.objects_at`).

    A tool to debug reward functions, and the conformance probe for this module.
    """
    from .vehicle import CarState, points_in_world

    vehicle = vehicle or VehicleConfig()
    builder = builder or ParamsBuilder(track)
    ref = np.array([[float(x), float(y)]])
    yaw = np.radians([float(heading_deg)])
    origin = origin_from_reference(ref, yaw, vehicle)
    state = CarState(origin[:, 0], origin[:, 1], yaw, np.array([float(speed)]))
    wheels_on = track.on_road(points_in_world(state, vehicle.wheel_offsets()))
    proj = track.project(ref)
    progress = 100.0 * np.clip(proj.s / track.length, 0.0, 1.0)
    cols = ()
    if objects:
        from .object_params import collisions, in_camera, object_columns, objects_at

        placed = objects_at(track, objects)
        cols = object_columns(placed, builder.driving_s(proj.s, np.array([False])),
                              collisions(vehicle, state, placed).any(axis=1), in_camera(placed, state))
    return builder.build(proj, ref, yaw, np.array([float(speed)]), np.array([float(steering_deg)]),
                         np.array([1]), progress, np.array([False]), wheels_on, cols)[0]
