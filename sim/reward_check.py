"""Checking a user's reward function before training: the validator behind the Validate
button and ``trackside reward validate``.

The function runs in the same worker process as training uses (:mod:`sim.reward_sandbox`), on
varied params from a track, with its limits (time per call, memory, output), so an endless
loop, a huge allocation or a flood of prints cannot hang or exhaust the caller.
A broken user function never raises here; the :class:`ValidationReport` says what
went wrong and where.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from .reward import OUTPUT_LIMIT_BYTES, RewardFunctionError, compile_reward_source, params_summary
from .reward_sandbox import RewardSandbox, SandboxLimits


@dataclass
class ValidationReport:
    """What :func:`validate_reward_source` found."""

    ok: bool
    """The function loaded and returned a valid reward for every sample."""
    filename: str = "reward_function.py"
    error: str | None = None
    """The first problem, one line for a person; None when ``ok``."""
    line: int | None = None
    """Line in the user's file the error points at, if known."""
    samples: list[tuple[dict, float]] = field(default_factory=list)
    """``(params_summary, reward)`` for each sample that ran before any error."""
    output: str = ""
    """What the function printed (stdout and stderr together), at most ~2 KB of it."""
    output_bytes: int = 0
    """How many bytes it printed in all."""
    seconds: float = 0.0
    """Wall time of the validation, s."""

    def format(self, max_rows: int = 12) -> str:
        """A multi-line text for the command line."""
        rewards = [r for _, r in self.samples]
        if self.ok:
            span = f", rewards {min(rewards):.4g} .. {max(rewards):.4g}" if rewards else ""
            head = [f"{self.filename}: OK ({len(rewards)} sample calls{span}, {self.seconds:.2f} s)"]
        else:
            head = [f"{self.filename}: FAILED", f"  {self.error}"]
        rows = []
        if self.samples:
            step = max(1, math.ceil(len(self.samples) / max_rows))
            shown = self.samples[::step]
            rows.append("  " + " ".join(f"{title:>{width}}" for title, (_, width, _) in zip(_TITLES, _COLUMNS))
                        + f" {'reward':>9}")
            for s, reward in shown:
                cells = [_cell(s.get(key), width, digits) for key, width, digits in _COLUMNS]
                rows.append("  " + " ".join(cells) + f" {reward:9.4g}")
            if len(shown) < len(self.samples):
                rows.append(f"  ({len(shown)} of {len(self.samples)} samples shown)")
        out = []
        if self.output_bytes:
            out.append(f"Printed output ({self.output_bytes} bytes):")
            out.extend("  " + line for line in self.output.splitlines())
        return "\n".join(head + rows + out)


_COLUMNS = (("x", 7, 2), ("y", 7, 2), ("heading", 7, 1), ("progress", 8, 1), ("steps", 5, 0), ("speed", 5, 1),
            ("steering_angle", 6, 1), ("distance_from_center", 5, 2), ("all_wheels_on_track", 7, None))
_TITLES = ("x", "y", "heading", "progress", "steps", "speed", "steer", "dist", "on road")


def _cell(value: Any, width: int, digits: int | None) -> str:
    if digits is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:{width}.{digits}f}"
    return f"{str(value if value is not None else '-'):>{width}.{width}}"


def validate_reward_source(source: str, track, *, filename: str = "reward_function.py",
                           samples: Sequence[dict] | None = None, time_limit_s: float = 1.0,
                           load_time_limit_s: float = 5.0, objects=None) -> ValidationReport:
    """Load ``source`` and call it on varied params in a separate process.

    Args:
        track: the :class:`sim.track.Track` whose params the samples use.
        samples: params dicts to try; default :func:`sample_params` of ``track`` (and ``objects``).
        objects: the race's obstacles and bot cars (:class:`sim.objects.ObjectsConfig`), or None.
        time_limit_s: longest one call may take before the worker is killed, s.
        load_time_limit_s: longest running the file's top level may take, s
            (imports such as numpy count here).

    Returns a report; a broken user function never raises. One worker process
    runs every sample, in order, stopping at the first problem.
    """
    started = time.perf_counter()
    report = ValidationReport(ok=False, filename=filename)
    try:
        compile_reward_source(source, filename)
    except RewardFunctionError as exc:
        report.error, report.line = str(exc), exc.line
        report.seconds = time.perf_counter() - started
        return report
    if samples is None:
        samples = sample_params(track, objects)
    limits = replace(SandboxLimits.from_env(), time_per_call_s=time_limit_s, load_time_s=load_time_limit_s,
                     output_bytes=OUTPUT_LIMIT_BYTES)
    box = None
    try:
        box = RewardSandbox(source, filename, limits=limits)
        for params in samples:
            report.samples.append((params_summary(params), box.call(params)))
        report.ok = True
    except RewardFunctionError as exc:  # RewardError too: the first failed call
        report.error, report.line = str(exc), exc.line
    finally:
        if box is not None:
            box.close()
            report.output, report.output_bytes = box.output.text(), box.output.total
    report.seconds = time.perf_counter() - started
    return report


DRIVE_STEPS = 45
"""Steps of the driven episode :func:`sample_params` starts with (3 s at 15 Hz)."""


def driven_episode(track, steps: int = DRIVE_STEPS, speed: float = 1.5) -> list[dict]:
    """The params of a real episode's first ``steps`` steps: a car started at rest at waypoint 0
    (DeepRacer's first training episode), driven along the centre line by a pure-pursuit steer
    at ``speed`` m/s in :class:`sim.env.RacingEnv`, whose own code builds every dict.

    ``steps`` runs 1.0, 2.0, ... as floats, as DeepRacer sends it (deepracer-simapp
    ``bundle/markov/agent_ctrl/rollout_agent_ctrl.py``: ``_data_dict_['steps']`` starts at 0.0, is
    cleared by ``reset_agent`` before every episode and counted up each step before
    ``_judge_action_at_run_phase`` calls the reward; ``deepracer-conventions.md`` section 1), and
    ``progress`` grows from the start line, so a stateful function that keeps the previous step
    sees what it sees in DeepRacer. Ends early if the episode ends (an open track's end).
    """
    import numpy as np

    from .actions import ActionSpace
    from .env import EnvConfig, RacingEnv

    seen: list[dict] = []
    env = RacingEnv(track, ActionSpace.continuous(), EnvConfig(n_cars=1, sensor=None, round_robin=False,
                                                                   autoreset=False),
                    reward_fn=lambda p: seen.append(p) or 0.0)
    env.reset(seed=0, options={"start_fraction": 0.0, "reverse": False})  # the same drive every time
    vehicle, lookahead = env.vehicle, 0.5
    for _ in range(steps):
        st = env.state
        # The last step's projection_distance (file order, forward episode) is where the car is.
        here = seen[-1]["projection_distance"] if seen else 0.0
        goal = track.point_at(here + lookahead)[0]
        alpha = math.atan2(goal[1] - st.y[0], goal[0] - st.x[0]) - float(st.yaw[0])
        # Pure pursuit on the rear axle: front-wheel angle atan(2 L sin(alpha) / l_d).
        steer = math.degrees(math.atan2(2.0 * vehicle.wheelbase * math.sin(alpha),
                                        math.hypot(goal[0] - st.x[0], goal[1] - st.y[0])))
        _, _, terminated, truncated, _ = env.step(np.array([[max(-30.0, min(30.0, steer)), speed]]))
        if terminated[0] or truncated[0]:
            break
    for p in seen:
        p["steps"] = float(p["steps"])
    return seen


def sample_params(track, objects=None) -> list[dict]:
    """Params on ``track`` for trying a reward function, in the order DeepRacer would call it
    (about 140 dicts).

    First a real episode (:func:`driven_episode`: ``steps`` 1.0, 2.0, ... and growing progress),
    whose last step is followed by a finished lap (progress 100 at the start line, the next step).
    Then the edge cases, each the first step (``steps == 1.0``) of a fresh episode, as DeepRacer
    starts every episode, so a function that keeps the previous step and resets on
    ``params['steps'] == 1`` sees no step jump: at 8 places round the lap the centre line, halfway
    to each border, near each border, on it, just off the road on each side and far off it;
    headings along the road, turned up to 45 degrees, sideways and backwards; speeds 0.5 to 4 m/s
    and steering -30 to 30 degrees; progress is the share of the lap from waypoint 0. Also the
    start line and a few reversed episodes. With ``objects`` (:class:`sim.objects.ObjectsConfig`)
    every dict's object keys hold those objects at an episode's start
    (:func:`add_objects`).
    """
    import numpy as np

    from .params import ParamsBuilder, origin_from_reference, params_at
    from .vehicle import CarState, VehicleConfig, points_in_world

    builder = ParamsBuilder(track)
    length = track.length
    # Shares of the half-width, + = left of the file's direction: 0.75 keeps the wheels on the road,
    # 1.0 puts the reference point on the border line, 1.3 takes the car off the road.
    offsets = (0.0, 0.5, -0.5, 0.75, -0.75, 1.0, -1.0, 1.3, -1.3, 3.0)
    turns = (0.0, 20.0, -20.0, 45.0, -45.0, 90.0, 180.0)
    speeds = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0)
    steers = (0.0, -30.0, 15.0, -7.5, 30.0, -15.0, 7.5)

    drive = driven_episode(track)
    out, poses = [], []
    k = 0
    for i in range(8):
        s = (i + 0.5) / 8 * length
        (cx, cy), = track.point_at(s)
        theta = float(track.heading_at(s)[0])
        half = 0.5 * float(track.width_at(s))
        nx, ny = -math.sin(theta), math.cos(theta)
        for off in offsets:
            x, y = cx + off * half * nx, cy + off * half * ny
            heading = math.degrees(theta) + turns[k % len(turns)]
            p = params_at(track, x, y, heading, speeds[k % len(speeds)], steers[k % len(steers)], builder=builder)
            p["steps"] = 1.0
            out.append(p)
            poses.append((x, y, heading))
            k += 1
    (x0, y0), = track.point_at(0.0)
    first = params_at(track, x0, y0, math.degrees(float(track.heading_at(0.0)[0])), 1.0, 0.0, builder=builder)
    first["steps"] = 1.0
    # The finished lap continues the driven episode (a real lap would take hundreds of steps).
    next_step = drive[-1]["steps"] + 1.0 if len(drive) == DRIVE_STEPS else 1.0  # else the drive's episode ended
    finished = dict(first, progress=100.0, steps=next_step, speed=drive[-1]["speed"],
                    waypoints=list(first["waypoints"]), closest_waypoints=list(first["closest_waypoints"]))
    out = drive + [finished] + out + [first]

    # Reversed episodes: started at waypoint 0, driving against the file's order.
    vehicle = VehicleConfig()
    pick = poses[::11]
    ref = np.array([(x, y) for x, y, _ in pick])
    yaw = np.radians([h + 180.0 for _, _, h in pick])
    origin = origin_from_reference(ref, yaw, vehicle)
    n = len(pick)
    state = CarState(origin[:, 0], origin[:, 1], yaw, np.full(n, 2.0))
    wheels_on = track.on_road(points_in_world(state, vehicle.wheel_offsets()))
    proj = track.project(ref)
    travelled = np.where(proj.s > 0, length - proj.s, 0.0)
    progress = 100.0 * np.clip(travelled / length, 0.0, 1.0)
    reversed_eps = builder.build(proj, ref, yaw, np.full(n, 2.0), np.linspace(-30.0, 30.0, n), np.ones(n),
                                 progress, np.ones(n, dtype=bool), wheels_on)
    for p in reversed_eps:
        p["steps"] = 1.0
    if objects is not None and objects.n_objects:
        return add_objects(out + reversed_eps, track, objects)
    return out + reversed_eps


def add_objects(samples: list[dict], track, config, seed: int = 0) -> list[dict]:
    """Fill the object keys of params dicts ``samples`` (each a car at its ``x``, ``y``, ``heading``,
    in a forward or reversed episode) with ``config``'s objects at an episode's start, placed as
    DeepRacer places them (random placements from ``seed``); returns ``samples``, changed in place.
    For trying a reward function that reads the object keys (:func:`sample_params`)."""
    import numpy as np

    from .object_params import collisions, in_camera, object_columns
    from .objects import ObjectWorld
    from .params import OBJECT_COLUMNS, origin_from_reference
    from .vehicle import CarState, VehicleConfig

    n = len(samples)
    if not n or not config.n_objects:
        return samples
    world = ObjectWorld(track, config, n)
    reverse = np.array([bool(p["is_reversed"]) for p in samples])
    world.reset(np.arange(n), reverse, np.random.default_rng(seed))
    vehicle = VehicleConfig()
    ref = np.array([(float(p["x"]), float(p["y"])) for p in samples])
    yaw = np.radians([float(p["heading"]) for p in samples])
    origin = origin_from_reference(ref, yaw, vehicle)
    state = CarState(origin[:, 0], origin[:, 1], yaw, np.zeros(n))
    s_drive = np.array([float(p["projection_distance"]) for p in samples])
    crashed = collisions(vehicle, state, world.state).any(axis=1)
    columns = object_columns(world.state, s_drive, crashed, in_camera(world.state, state))
    for p, values in zip(samples, zip(*columns)):
        p.update(zip(OBJECT_COLUMNS, values))
    return samples
