"""A scripted driver: pure pursuit along a racing line at the line's profile speed.

It drives any number of cars at once, with no state of its own between steps, so
it can stand in for a policy in timing tests and as a reference lap. Pure pursuit
(Coulter, "Implementation of the Pure Pursuit Path Tracking Algorithm", CMU-RI-TR-92-01,
1992) steers the rear axle onto the circular arc that passes through a goal point
a lookahead distance ahead on the line: curvature ``2 sin(alpha) / l_d`` and, for
a bicycle of wheelbase ``L``, front-wheel angle ``atan(L * curvature)``. The
racing line is the path of the rear-axle origin, which is what pure pursuit tracks.

Speed follows the line's profile, read a step ahead, and is lowered where the
steering asks for more lateral acceleration than the grip allows. The profile runs
at the grip limit through every corner, so without that lift a car a centimetre off
the line cannot turn back onto it (the vehicle model caps its yaw rate) and drifts
onto the kerb. The lift costs about 1 % of lap time against ``best_lap_s``; the
pure-pursuit corner cut it prevents would otherwise put two wheels off the road on
tight tracks.
"""

from __future__ import annotations

import numpy as np

from sim.racing_line import RacingLine
from sim.vehicle import CarState, VehicleConfig


class PurePursuitDriver:
    """Steers cars along ``line`` and commands its speed profile, vectorised over cars.

    Args:
        line: the racing line to follow (its points are rear-axle positions).
        vehicle: the car; its ``wheelbase``, ``max_steering_deg``, speed limits and
            ``step_dt`` shape the commands.
        lookahead_m: goal-point distance ahead at standstill, m.
        lookahead_time_s: extra goal-point distance per m/s of speed, s. A longer
            look at speed damps the weave a 15 Hz controller would otherwise start.
        speed_preview_s: how far ahead, in time at the current speed, the speed
            command reads the profile, s. The car only reaches a commanded speed at
            its acceleration limits, so commanding the speed it should have at the
            end of the step makes it brake where the profile brakes, not a step late.
        speed_scale: multiplies the profile speed (1.0 = the line's limit).
        grip_aware: lower the speed command where the steering's curvature needs more
            than ``vehicle.grip`` (see the module docstring); False follows the profile
            blindly.
    """

    def __init__(self, line: RacingLine, vehicle: VehicleConfig = VehicleConfig(), lookahead_m: float = 0.25,
                 lookahead_time_s: float = 0.08, speed_preview_s: float | None = None, speed_scale: float = 1.0,
                 grip_aware: bool = True):
        self.line = line
        self.vehicle = vehicle
        self.lookahead_m = float(lookahead_m)
        self.lookahead_time_s = float(lookahead_time_s)
        self.speed_preview_s = float(vehicle.step_dt if speed_preview_s is None else speed_preview_s)
        self.speed_scale = float(speed_scale)
        self.grip_aware = bool(grip_aware)

    def lookahead(self, speed: np.ndarray) -> np.ndarray:
        """Goal-point distance along the line for cars at ``speed`` ``(n,)``, m."""
        return self.lookahead_m + self.lookahead_time_s * np.maximum(np.asarray(speed, dtype=np.float64), 0.0)

    def act(self, state: CarState) -> tuple[np.ndarray, np.ndarray]:
        """Commands for every car: ``(steering_deg (n,), speed (n,))`` in degrees (positive = left) and m/s."""
        cfg = self.vehicle
        xy = np.stack([state.x, state.y], axis=1)
        v = np.maximum(state.speed, 0.0)
        here = self.line.locate(xy)

        goal = self.line.point_at(here.s + self.lookahead(v))
        curvature = _arc_curvature(xy, state.yaw, goal)
        steer = np.degrees(np.arctan(cfg.wheelbase * curvature))

        preview = here.s + v * self.speed_preview_s
        speed = self.speed_scale * self.line.speed_at(preview)
        if self.grip_aware:
            # v^2 * curvature <= grip, the same limit step_cars enforces on the yaw rate.
            speed = np.minimum(speed, np.sqrt(cfg.grip / np.maximum(np.abs(curvature), 1e-6)))
        steer = np.clip(steer, -cfg.max_steering_deg, cfg.max_steering_deg)
        speed = np.clip(speed, cfg.min_speed, cfg.max_speed)
        return steer, speed


def _arc_curvature(xy: np.ndarray, yaw: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Curvature ``(n,)`` of the arc leaving ``xy`` ``(n, 2)`` at heading ``yaw`` (radians) through ``target``, 1/m.

    Pure pursuit's ``2 sin(alpha) / l_d``, with ``sin(alpha) = left / l_d``; positive = left.
    """
    rel = target - xy
    c, s = np.cos(yaw), np.sin(yaw)
    ahead = c * rel[:, 0] + s * rel[:, 1]
    left = -s * rel[:, 0] + c * rel[:, 1]
    return 2.0 * left / np.maximum(ahead**2 + left**2, 1e-9)
