"""Obstacles and bot cars: DeepRacer's object-avoidance and head-to-bot worlds, as arrays over cars.

Every car's episode has its own objects (each car may drive its own direction and start its
episode at its own time), so every per-object array has the shape ``(n_cars, n_objects)``;
obstacles come first, then bot cars. Nothing here loops over cars or objects in Python.

What DeepRacer does, and what we follow (aws-deepracer-community/deepracer-simapp,
``bundle/markov/agent_ctrl/obstacles_agent_ctrl.py``, ``bot_cars_agent_ctrl.py``,
``bundle/markov/track_geom/track_data.py`` and ``track_geom/constants.py``):

- Lanes: the inner lane runs halfway between the centre line and the inner border, the outer
  lane halfway to the outer border; both follow the *driving* direction (reversed in a
  reversed episode). Distances ``d`` below are along the driving-direction centre line.
- Obstacles (boxes): ``OBJECT_POSITIONS`` (``"ndist,lane"``, lane 1 inner, -1 outer) overrides
  everything; otherwise ``NUMBER_OF_OBSTACLES`` boxes evenly spaced from ``MIN_DISTANCE_BETWEEN_
  OBSTACLES`` percent of the lap to 1 m before its end, in alternating lanes starting inner; with
  ``RANDOMIZE_OBSTACLE_LOCATIONS`` the distances are random (at least the minimum distance apart,
  in the same range) and each lane random. Placed anew at every episode's reset.
- Bot cars: ``NUMBER_OF_BOT_CARS`` evenly spaced from ``MIN_DISTANCE_BETWEEN_BOT_CARS`` m to 1 m
  before the lap's end, alternating lanes (``RANDOMIZE_BOT_CAR_LOCATIONS`` as for boxes). Each
  drives ``BOT_CAR_SPEED`` m/s along its lane from the episode's start. With ``IS_LANE_CHANGE`` a
  bot changes to the other lane after a wait drawn uniformly in ``[LOWER_LANE_CHANGE_TIME,
  UPPER_LANE_CHANGE_TIME]`` s, the change spanning ``LANE_CHANGE_DISTANCE`` m of travel, then
  waits again.
- Sizes for collisions: DeepRacer's ``ObstacleDimensions`` (including its 0.1 m buffer), read as
  ``get_object_bounding_rect`` reads them: a box 0.5 m along its heading and 0.4 m across, a bot
  car 0.422 m by 0.296 m.

What differs: DeepRacer's lanes are polylines through the midpoints of each file row's centre
and border points and a lane change follows a cubic spline; here a lane point is the midpoint
of the centre-line point and the nearest border point (the points ``track_width`` uses), and a
lane change blends the two lanes with a smoothstep over its distance. Random placement draws
the distances uniformly among all placements that keep the minimum spacing (DeepRacer perturbs
the evenly spaced ones one by one, within the same bounds). A bot's clock is not paused by
collision penalties (evaluation rules are not modelled here).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .errors import TracksideError
from .lanes import inner_offsets, lane_points, smoothstep
from .object_starts import start_rows
from .track import Track

BOX_SIZE_M = (0.5, 0.4)
"""A box obstacle's collision rectangle ``(length along its heading, width)``, m (DeepRacer's
``BOX_OBSTACLE_DIMENSION`` with its buffer)."""
BOT_CAR_SIZE_M = (0.422, 0.296)
"""A bot car's collision rectangle ``(length, width)``, m (DeepRacer's ``BOT_CAR_DIMENSION``)."""
BOX_HEIGHT_M = 0.2
"""How tall the camera draws a box, m."""
BOT_CAR_HEIGHT_M = 0.15
"""How tall the camera draws a bot car, m."""
CLOSEST_OBJ_GAP_M = 1.0
"""A training start this close (along the track) to an object moves to the other lane, m
(DeepRacer's ``CLOSEST_OBJ_GAP``)."""
HEADING_STEP_M = 0.02
"""Half the distance over which a lane's direction is measured, m."""

DEEPRACER_NAMES = {
    "number_of_obstacles": "NUMBER_OF_OBSTACLES", "randomize_obstacle_locations": "RANDOMIZE_OBSTACLE_LOCATIONS",
    "object_positions": "OBJECT_POSITIONS", "min_distance_between_obstacles": "MIN_DISTANCE_BETWEEN_OBSTACLES",
    "number_of_bot_cars": "NUMBER_OF_BOT_CARS", "bot_car_speed": "BOT_CAR_SPEED",
    "randomize_bot_car_locations": "RANDOMIZE_BOT_CAR_LOCATIONS",
    "min_distance_between_bot_cars": "MIN_DISTANCE_BETWEEN_BOT_CARS", "is_lane_change": "IS_LANE_CHANGE",
    "lower_lane_change_time": "LOWER_LANE_CHANGE_TIME", "upper_lane_change_time": "UPPER_LANE_CHANGE_TIME",
    "lane_change_distance": "LANE_CHANGE_DISTANCE",
}
"""Our field name -> DeepRacer's setting name (its simulation app's world parameters)."""

POSE_FIELDS = ("x", "y", "yaw", "along", "from_centre", "left", "outline")
"""The :class:`ObjectState` fields that follow from the objects' lanes, distances and clocks."""


class ObjectsError(TracksideError):
    """Object settings that cannot be used; the message names the setting and what to do."""


@dataclass(frozen=True)
class ObjectsConfig:
    """The objects on the track, with DeepRacer's settings and defaults (:data:`DEEPRACER_NAMES`)."""

    number_of_obstacles: int = 0
    """Boxes on the track (ignored when ``object_positions`` is given)."""
    randomize_obstacle_locations: bool = False
    """Place the boxes at random distances and lanes at every episode."""
    object_positions: tuple[tuple[float, int], ...] = ()
    """Fixed boxes ``(fraction of the lap, lane)``; lane 1 inner, -1 outer."""
    min_distance_between_obstacles: float = 2.0
    """Minimum spacing of boxes and the first box's distance, percent of the lap."""
    number_of_bot_cars: int = 0
    """Bot cars driving the lap."""
    bot_car_speed: float = 0.2
    """Bot cars' speed, m/s."""
    randomize_bot_car_locations: bool = False
    """Place the bot cars at random distances and lanes at every episode."""
    min_distance_between_bot_cars: float = 2.0
    """Minimum spacing of bot cars and the first one's distance, m."""
    is_lane_change: bool = False
    """Bot cars change lanes at random intervals."""
    lower_lane_change_time: float = 3.0
    """Shortest wait between lane changes, s."""
    upper_lane_change_time: float = 5.0
    """Longest wait between lane changes, s."""
    lane_change_distance: float = 1.0
    """Distance a bot travels while changing lanes, m."""

    @property
    def n_obstacles(self) -> int:
        return len(self.object_positions) if self.object_positions else int(self.number_of_obstacles)

    @property
    def n_bots(self) -> int:
        return int(self.number_of_bot_cars)

    @property
    def n_objects(self) -> int:
        return self.n_obstacles + self.n_bots

    def check(self) -> ObjectsConfig:
        """Raise :class:`ObjectsError` for a setting that cannot be used; return self."""
        def bad(name: str, what: str):
            raise ObjectsError(f"objects: {DEEPRACER_NAMES[name]} {what}")
        if not 0 <= self.number_of_obstacles <= 20:
            bad("number_of_obstacles", f"must be 0..20, got {self.number_of_obstacles}")
        if not 0 <= self.number_of_bot_cars <= 10:
            bad("number_of_bot_cars", f"must be 0..10, got {self.number_of_bot_cars}")
        for ndist, lane in self.object_positions:
            if not 0.0 <= float(ndist) <= 1.0 or int(lane) not in (1, -1):
                bad("object_positions", f"entries are 'fraction,lane' with fraction in [0, 1] and lane 1 (inner) "
                    f"or -1 (outer), got '{ndist},{lane}'")
        if self.min_distance_between_obstacles < 0 or self.min_distance_between_bot_cars < 0:
            bad("min_distance_between_obstacles", "and MIN_DISTANCE_BETWEEN_BOT_CARS must not be negative")
        if self.n_bots and not 0.0 < self.bot_car_speed <= 4.0:
            bad("bot_car_speed", f"must be in (0, 4] m/s, got {self.bot_car_speed}")
        if not 0.0 <= self.lower_lane_change_time <= self.upper_lane_change_time:
            bad("lower_lane_change_time", "must be >= 0 and <= UPPER_LANE_CHANGE_TIME")
        if self.lane_change_distance <= 0:
            bad("lane_change_distance", f"must be positive, got {self.lane_change_distance}")
        return self

    @classmethod
    def from_deepracer(cls, settings: dict) -> ObjectsConfig:
        """From DeepRacer's setting names (as DeepRacer-for-Cloud's run settings and
        ``training_params.yaml`` hold them; values may be strings). Unknown keys are ignored."""
        kw = {}
        for f in fields(cls):
            key = DEEPRACER_NAMES.get(f.name)
            if key is None or key not in settings:
                continue
            value = settings[key]
            try:
                if f.name == "object_positions":
                    items = value if isinstance(value, (list, tuple)) else [v for v in str(value).split(";") if v]
                    kw[f.name] = tuple((float(a), int(float(b))) for a, b in
                                       (str(i).split(",") if isinstance(i, str) else i for i in items))
                elif f.type in ("bool", bool):
                    kw[f.name] = value if isinstance(value, bool) else str(value).strip().lower() in ("true", "1", "yes")
                elif f.name.startswith("number_of"):
                    kw[f.name] = int(float(value))
                else:
                    kw[f.name] = float(value)
            except (TypeError, ValueError):
                raise ObjectsError(f"objects: {key} cannot be read from {value!r}; give a number"
                                   f"{' list of fraction,lane pairs' if f.name == 'object_positions' else ''}") from None
        return cls(**kw).check()

    def to_deepracer(self) -> dict:
        """DeepRacer's setting names and values (``OBJECT_POSITIONS`` as ``"fraction,lane"`` strings)."""
        out = {}
        for name, key in DEEPRACER_NAMES.items():
            value = getattr(self, name)
            out[key] = [f"{a},{b}" for a, b in value] if name == "object_positions" else value
        return out


@dataclass
class ObjectState:
    """Every car's objects. ``n`` cars, ``m`` objects (obstacles first, then bot cars)."""

    x: np.ndarray
    """Centre x ``(n, m)``, m."""
    y: np.ndarray
    """Centre y ``(n, m)``, m."""
    yaw: np.ndarray
    """Heading ``(n, m)``, radians, (-pi, pi]."""
    d0: np.ndarray
    """Driving-direction distance at the episode's start ``(n, m)``, m."""
    lane: np.ndarray
    """Lane the object is in (or changing from) ``(n, m)``: 0.0 inner, 1.0 outer."""
    change_start: np.ndarray
    """A bot's travel at which its next lane change begins ``(n, m)``, m (inf: none)."""
    time: np.ndarray
    """Seconds since each car's episode started ``(n,)``."""
    reverse: np.ndarray
    """Each car's episode drives the track in reverse ``(n,)`` bool."""
    speed: np.ndarray
    """Object speed ``(m,)``, m/s (0 for boxes)."""
    length: np.ndarray
    """Collision length along the heading ``(m,)``, m."""
    width: np.ndarray
    """Collision width ``(m,)``, m."""
    is_bot: np.ndarray
    """``(m,)`` bool."""
    along: np.ndarray
    """Projection onto the driving-direction centre line ``(n, m)``, m from its waypoint 0."""
    from_centre: np.ndarray
    """Distance from the centre line ``(n, m)``, m."""
    left: np.ndarray
    """``(n, m)`` bool: left of the centre line as DeepRacer reads it (see :mod:`sim.object_params`)."""
    outline: np.ndarray
    """Collision rectangle corners ``(n, m, 4, 2)``, m, counter-clockwise."""

    @property
    def n_objects(self) -> int:
        return self.x.shape[1]

    def corners(self) -> np.ndarray:
        """Collision rectangle corners ``(n, m, 4, 2)``, m, counter-clockwise (kept up to date by the world)."""
        return self.outline


class ObjectWorld:
    """The objects of ``n_cars`` episodes on one track: placed by :meth:`reset`, moved by :meth:`advance`."""

    def __init__(self, track: Track, config: ObjectsConfig, n_cars: int):
        self.track = track
        self.config = config.check()
        self.n = int(n_cars)
        cfg, m = self.config, self.config.n_objects
        n_obs = cfg.n_obstacles
        is_bot = np.arange(m) >= n_obs
        size = np.where(is_bot[:, None], BOT_CAR_SIZE_M, BOX_SIZE_M)
        zeros = np.zeros((self.n, m))
        self.state = ObjectState(
            x=zeros.copy(), y=zeros.copy(), yaw=zeros.copy(), d0=zeros.copy(), lane=zeros.copy(),
            change_start=np.full((self.n, m), np.inf), time=np.zeros(self.n), reverse=np.zeros(self.n, bool),
            speed=np.where(is_bot, cfg.bot_car_speed, 0.0), length=size[:, 0].copy(), width=size[:, 1].copy(),
            is_bot=is_bot, along=zeros.copy(), from_centre=zeros.copy(), left=np.zeros((self.n, m), bool),
            outline=np.zeros((self.n, m, 4, 2)))
        self._ccw = track.is_ccw if track.closed else True  # DeepRacer's TrackData._is_ccw_
        self._starts: dict[bool, dict] = {}  # direction -> the objects' poses at an episode's start
        # Nothing random at a reset: every episode starts with the same rows (kept once, in _fixed).
        self._same = (bool(cfg.object_positions) or not cfg.randomize_obstacle_locations) and \
            not (cfg.n_bots and cfg.randomize_bot_car_locations)
        self._fixed: tuple | None = None

    @property
    def n_objects(self) -> int:
        return self.config.n_objects

    def reset(self, idx: np.ndarray, reverse: np.ndarray, rng: np.random.Generator) -> None:
        """New episodes for cars ``idx``, driving in reverse where ``reverse`` ``(len(idx),)``."""
        idx = np.asarray(idx, dtype=np.intp)
        k, cfg, st = len(idx), self.config, self.state
        st.reverse[idx] = reverse
        st.time[idx] = 0.0
        if self._fixed is None or not self._same:
            fixed = start_rows(self.track, cfg, k, rng)
            self._fixed = (fixed[0][0].copy(), fixed[1][0].copy()) if self._same and k else None
        st.d0[idx], st.lane[idx] = fixed if self._fixed is None else self._fixed
        st.change_start[idx] = np.inf
        if cfg.is_lane_change and cfg.n_bots:
            wait = rng.uniform(cfg.lower_lane_change_time, cfg.upper_lane_change_time, (k, cfg.n_bots))
            st.change_start[idx, cfg.n_obstacles:] = wait * cfg.bot_car_speed
        if not self._same:
            self._pose(idx)
            return
        # Every episode in one direction starts with the same poses: work them out once.
        reverse = np.asarray(reverse, dtype=bool)
        if reverse.shape != (k,):
            reverse = np.broadcast_to(reverse, (k,))
        for rev in (False, True):  # np.unique's order
            rows = idx[reverse == rev]
            if not len(rows):
                continue
            start = self._starts.get(bool(rev))
            if start is None:
                self._pose(rows[:1])
                start = self._starts[bool(rev)] = {f: getattr(st, f)[rows[0]].copy() for f in POSE_FIELDS}
            for f, value in start.items():
                getattr(st, f)[rows] = value

    def advance(self, dt: float, rng: np.random.Generator) -> None:
        """Move every car's bot cars on by ``dt`` seconds, starting lane changes as they fall due."""
        st, cfg = self.state, self.config
        st.time += dt
        if cfg.n_bots and cfg.is_lane_change:
            travel = st.time[:, None] * st.speed[None, :]
            done = st.change_start + cfg.lane_change_distance <= travel
            if done.any():  # the change is over: now in the other lane; wait again from here
                st.lane[done] = 1.0 - st.lane[done]
                wait = rng.uniform(cfg.lower_lane_change_time, cfg.upper_lane_change_time, int(done.sum()))
                st.change_start[done] = travel[done] + wait * cfg.bot_car_speed
        if cfg.n_bots:
            self._pose(slice(None), slice(cfg.n_obstacles, None))  # every car: a slice, no gathers

    def put(self, x: np.ndarray, y: np.ndarray, yaw: np.ndarray) -> None:
        """Hold every car's objects at given poses ``(n, m)`` (m, m, radians), e.g. to debug a reward
        function; :meth:`reset` and moving bot cars place them as DeepRacer does again."""
        st = self.state
        st.x[:], st.y[:], st.yaw[:] = x, y, yaw
        st.outline[:] = self._outlines(st.x, st.y, st.yaw, slice(None))
        rev = np.repeat(st.reverse, st.x.shape[1])
        self._locate(np.arange(self.n), slice(None), np.stack([st.x.ravel(), st.y.ravel()], axis=1), rev)

    def start_lane(self, idx: np.ndarray, start_d: np.ndarray) -> np.ndarray:
        """Where cars ``idx`` starting at driving distances ``start_d`` ``(k,)`` (m) should start: the
        lane (``q``: 0.0 inner, 1.0 outer) opposite the closest object less than
        :data:`CLOSEST_OBJ_GAP_M` away along the track, NaN where none is that close ``(k,)``."""
        st = self.state
        length = self.track.length
        d = st.d0[idx] + st.time[idx, None] * st.speed[None, :]
        gap = np.abs(np.mod(d - np.asarray(start_d)[:, None] + length / 2, length) - length / 2)
        nearest = np.argmin(gap, axis=1)
        rows = np.arange(len(idx))
        near = gap[rows, nearest] < CLOSEST_OBJ_GAP_M
        if not near.any():
            return np.full(len(idx), np.nan)
        return np.where(near, 1.0 - np.round(self._lane_at(d - st.d0[idx], idx)[rows, nearest]), np.nan)

    def _lane_at(self, travel: np.ndarray, idx: np.ndarray, cols: slice = slice(None)) -> np.ndarray:
        """Lateral position ``q`` (0 inner .. 1 outer) of objects ``cols`` of cars ``idx`` after ``travel`` ``(k, m)`` m."""
        st, lane = self.state, self.state.lane[idx, cols]
        if not self.config.is_lane_change:  # no change ever starts (change_start stays inf): the lanes as they are
            if np.shape(travel) == lane.shape:
                return lane
            return np.broadcast_to(lane, np.broadcast_shapes(np.shape(travel), lane.shape))
        start = st.change_start[idx, cols]
        with np.errstate(invalid="ignore"):
            f = smoothstep((travel - start) / self.config.lane_change_distance)
        f = np.where(np.isfinite(start), f, 0.0)
        return lane + (1.0 - 2.0 * lane) * f

    def _pose(self, idx: np.ndarray, cols: slice = slice(None)) -> None:
        """Place objects ``cols`` of cars ``idx`` where their lanes and clocks put them, and locate them."""
        st = self.state
        speed = st.speed[cols]
        travel = st.time[idx, None] * speed[None, :]
        k, m = travel.shape
        if not k or not m:
            return
        d = st.d0[idx, cols] + travel
        rev = np.repeat(st.reverse[idx], m)  # each car's direction for each of its objects, row by row
        h = HEADING_STEP_M
        e = np.array([0.0, -h, h])[:, None, None]  # the point, and a step either way for its heading
        q = self._lane_at(travel[None] + e, idx, cols)  # (3, k, m): each car's lanes broadcast
        pts = lane_points(self.track, (d[None] + e).ravel(), np.tile(rev, 3), q.ravel()).reshape(3, -1, 2)
        x, y = pts[0][:, 0].reshape(k, m), pts[0][:, 1].reshape(k, m)
        v = pts[2] - pts[1]
        yaw = np.arctan2(v[:, 1], v[:, 0]).reshape(k, m)
        st.x[idx, cols], st.y[idx, cols], st.yaw[idx, cols] = x, y, yaw
        st.outline[idx, cols] = self._outlines(x, y, yaw, cols)
        self._locate(idx, cols, pts[0], rev)

    def _outlines(self, x: np.ndarray, y: np.ndarray, yaw: np.ndarray, cols: slice) -> np.ndarray:
        """The collision rectangles ``(k, m, 4, 2)`` of objects ``cols`` at centres ``x, y`` and headings
        ``yaw`` ``(k, m)``, m, rad, counter-clockwise (one call of :func:`sim.object_kernels.outlines`)."""
        from sim.object_kernels import outlines  # numba: imported on first use, not by every CLI command
        out = np.empty((*np.shape(x), 4, 2))
        f64 = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
        outlines(f64(x), f64(y), f64(yaw), f64(self.state.length[cols] / 2), f64(self.state.width[cols] / 2), out)
        return out

    def _locate(self, idx: np.ndarray, cols: slice, xy: np.ndarray, rev: np.ndarray) -> None:
        """Where objects ``cols`` of cars ``idx`` (points ``xy`` ``(k * m, 2)``) stand on the track:
        DeepRacer's ``center_line.project`` and ``center_line.distance``, and which side counts as left
        (``inner_poly.contains(p) ^ (not is_ccw)``: between the centre line and the inner border,
        flipped for a clockwise driving direction)."""
        st, track = self.state, self.track
        shape = st.x[idx, cols].shape
        proj = track.project(xy)
        rs = track.length - proj.s
        if track.closed:
            rs = np.where(rs >= track.length, 0.0, rs)
        st.along[idx, cols] = np.where(rev, rs, proj.s).reshape(shape)
        st.from_centre[idx, cols] = proj.distance.reshape(shape)
        v = inner_offsets(track, proj.s)  # centre point -> inner border point
        heading = track.heading_at(proj.s)
        inner_left = (np.cos(heading) * v[:, 1] - np.sin(heading) * v[:, 0]) > 0
        inner_side = proj.left == inner_left
        st.left[idx, cols] = (inner_side == (self._ccw != rev)).reshape(shape)
