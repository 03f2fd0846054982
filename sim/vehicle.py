"""The car: every vehicle number in one place, and its vectorised physics.

The model is a kinematic bicycle at DeepRacer scale with two limits that matter
for racing: the commanded speed is reached with bounded acceleration and
braking, and the yaw rate is capped so that the lateral acceleration
``v * yaw_rate`` never exceeds the grip limit. Past the limit the car turns on a
wider circle than its wheels ask for, so a corner taken flat out runs wide, as
a real car's does. DeepRacer's Gazebo car has tyre dynamics; this model keeps
their effect (understeer at the limit) without simulating slip.

Geometry (DeepRacer's car, ``deepracer-conventions.md`` section 4). DeepRacer's URDF
(aws-deepracer-community/deepracer-simapp ``bundle/urdf/deepracer/deepracer_single_cam.urdf``)
hangs every part on ``chassis``, which sits on ``base_link`` in the middle of the car: the rear
wheel joints at x = -0.081663 m, y = +-0.08105 m, the front steering hinges (the front wheels)
at x = +0.082311 m, y = +-0.079601 m. The reward's ``x, y`` is ``RELATIVE_POSITION_OF_FRONT_OF_CAR
= [0.14, 0, 0]`` from the base link (``bundle/markov/agent_ctrl/constants.py``). The body is
0.32352 m x 0.1961 m (``DEEPRACER_LENGTH``/``DEEPRACER_WIDTH`` of DeepRacer's environment-state
constants), drawn here as a box centred on the base link.

The kinematic origin of :class:`CarState` stays the middle of the rear axle (the bicycle
model turns about it); the base link is ``rear_axle_behind_base`` ahead of it, the
reference point ``reference_offset`` ahead of it (0.221663 m), the front axle ``wheelbase``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STEP_DT = 1.0 / 15.0
"""One decision step = one camera frame at 15 fps, seconds."""


@dataclass(frozen=True)
class VehicleConfig:
    """Physical numbers of the car. Defaults follow the DeepRacer car."""

    rear_axle_behind_base: float = 0.081663
    """Rear wheel centres behind the base link (middle of the car), m (URDF ``left_rear_wheel_joint``)."""
    front_axle_ahead_of_base: float = 0.082311
    """Front wheel centres ahead of the base link, m (URDF ``left_steering_hinge_joint``)."""
    rear_half_track: float = 0.08105
    """Rear wheel centres to either side of the centre line of the car, m."""
    front_half_track: float = 0.079601
    """Front wheel centres to either side, m."""
    reference_ahead_of_base: float = 0.14
    """Reference point (reward ``x, y``) ahead of the base link, m (``RELATIVE_POSITION_OF_FRONT_OF_CAR``)."""
    wheel_radius: float = 0.035
    """m (used for drawing)."""
    body_length: float = 0.32352
    """Body box length, centred on the base link, m."""
    body_width: float = 0.1961
    """Body box width, m; half of it is the margin the racing line keeps from the road edge."""
    max_steering_deg: float = 30.0
    """Steering command limit, degrees either way."""
    min_speed: float = 0.1
    """Lowest speed a command can ask for, m/s."""
    max_speed: float = 4.0
    """Highest speed a command can ask for, m/s."""
    max_accel: float = 3.0
    """Longitudinal acceleration limit when speeding up, m/s^2."""
    max_brake: float = 5.0
    """Longitudinal deceleration limit when slowing down, m/s^2."""
    grip: float = 5.0
    """Lateral acceleration limit (tyre grip), m/s^2. Beyond it the car runs wide."""
    step_dt: float = STEP_DT
    """Simulated seconds per decision step."""
    substeps: int = 4
    """Integration sub-steps per decision step."""

    @property
    def wheelbase(self) -> float:
        """Rear to front axle, m (0.163974 for DeepRacer's car)."""
        return self.rear_axle_behind_base + self.front_axle_ahead_of_base

    @property
    def reference_offset(self) -> float:
        """Reference point (reward ``x, y``) ahead of the rear-axle origin, m (0.221663)."""
        return self.rear_axle_behind_base + self.reference_ahead_of_base

    @property
    def axle_width(self) -> float:
        """Mean distance between left and right wheel centres, m."""
        return self.rear_half_track + self.front_half_track

    def wheel_offsets(self) -> np.ndarray:
        """Wheel contact points in the car frame (rear-axle origin, x forward, y left) ``(4, 2)``:
        rear-left, rear-right, front-left, front-right, m."""
        r, f, L = self.rear_half_track, self.front_half_track, self.wheelbase
        return np.array([[0.0, r], [0.0, -r], [L, f], [L, -f]])

    def body_corners(self) -> np.ndarray:
        """The body box in the car frame (rear-axle origin, x forward, y left) ``(4, 2)``, m:
        rear-right, front-right, front-left, rear-left."""
        b, hl, hw = self.rear_axle_behind_base, self.body_length / 2, self.body_width / 2
        return np.array([[b - hl, -hw], [b + hl, -hw], [b + hl, hw], [b - hl, hw]])


@dataclass
class CarState:
    """State of ``n_cars`` cars as arrays with a leading ``n_cars`` axis."""

    x: np.ndarray
    """Rear-axle origin x ``(n_cars,)``, m."""
    y: np.ndarray
    """Rear-axle origin y ``(n_cars,)``, m."""
    yaw: np.ndarray
    """Heading ``(n_cars,)``, radians, 0 = +x, counter-clockwise positive."""
    speed: np.ndarray
    """Actual forward speed ``(n_cars,)``, m/s."""

    @classmethod
    def zeros(cls, n_cars: int) -> "CarState":
        return cls(*(np.zeros(n_cars) for _ in range(4)))

    def copy(self) -> "CarState":
        return CarState(self.x.copy(), self.y.copy(), self.yaw.copy(), self.speed.copy())


def clip_commands(cfg: VehicleConfig, steering_deg: np.ndarray, speed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clip commands to the car's limits: steering ``+-max_steering_deg``, speed ``[min_speed, max_speed]``."""
    steer = np.minimum(np.maximum(np.asarray(steering_deg, dtype=np.float64), -cfg.max_steering_deg),
                       cfg.max_steering_deg)
    spd = np.minimum(np.maximum(np.asarray(speed, dtype=np.float64), cfg.min_speed), cfg.max_speed)
    return steer, spd


def step_cars(cfg: VehicleConfig, state: CarState, steering_deg: np.ndarray, speed_cmd: np.ndarray,
              dt: float | None = None, compiled: bool = True) -> CarState:
    """Advance every car by one decision step (in place) and return the state.

    Args:
        steering_deg: commanded front-wheel angle ``(n_cars,)``, degrees, positive = left.
        speed_cmd: commanded (target) speed ``(n_cars,)``, m/s.
        dt: seconds to advance; defaults to ``cfg.step_dt``.
        compiled: run the substeps in :func:`sim.step_kernels.integrate` (one call instead of ~50
            numpy calls); False runs the numpy reference. The same values to the last bit.
    """
    steer, target = clip_commands(cfg, steering_deg, speed_cmd)
    tan_d = np.tan(np.radians(steer))
    h = (cfg.step_dt if dt is None else dt) / cfg.substeps
    pose = (state.x, state.y, state.yaw, state.speed)
    if compiled:  # _substeps' loop, over cars in compiled code: the same arithmetic (sim.step_kernels)
        from sim.step_kernels import integrate  # numba: imported on first use, not by every CLI command

        out = np.empty((4, len(tan_d)))
        limits = (float(-cfg.max_brake * h), float(cfg.max_accel * h), float(cfg.wheelbase), float(cfg.grip))
        integrate(*(np.ascontiguousarray(a, dtype=np.float64) for a in (*pose, target, tan_d)), float(h), limits,
                  int(cfg.substeps), out)
        x, y, yaw, v = out
    else:
        x, y, yaw, v = _substeps(cfg, pose, target, tan_d, h)
    state.x, state.y, state.speed = x, y, v
    state.yaw = np.arctan2(np.sin(yaw), np.cos(yaw))
    return state


def _substeps(cfg: VehicleConfig, pose: tuple, target: np.ndarray, tan_d: np.ndarray, h: float) -> tuple:
    """The reference substep loop of :func:`step_cars` in numpy: ``(x, y, yaw, v)`` after the step, yaw not wrapped."""
    x, y, yaw, v = pose
    # Per-step constants, hoisted; np.minimum/np.maximum are np.clip without its dispatch (same values).
    lo, hi, wheelbase, grip = -cfg.max_brake * h, cfg.max_accel * h, cfg.wheelbase, cfg.grip
    for _ in range(cfg.substeps):
        dv = np.minimum(np.maximum(target - v, lo), hi)
        v_new = v + dv
        v_mid = 0.5 * (v + v_new)
        # Yaw rate the wheels ask for, capped where it would need more lateral grip.
        want = v_mid * tan_d / wheelbase
        cap = grip / np.maximum(v_mid, 1e-3)
        rate = np.minimum(np.maximum(want, -cap), cap)
        yaw_mid = yaw + 0.5 * rate * h
        x = x + v_mid * np.cos(yaw_mid) * h
        y = y + v_mid * np.sin(yaw_mid) * h
        yaw = yaw + rate * h
        v = v_new
    return x, y, yaw, v


def points_in_world(state: CarState, offsets: np.ndarray) -> np.ndarray:
    """Car-frame points ``offsets (P, 2)`` placed on every car: shape ``(n_cars, P, 2)``, m."""
    c, s = np.cos(state.yaw)[:, None], np.sin(state.yaw)[:, None]
    px = state.x[:, None] + c * offsets[None, :, 0] - s * offsets[None, :, 1]
    py = state.y[:, None] + s * offsets[None, :, 0] + c * offsets[None, :, 1]
    return np.stack([px, py], axis=-1)
