"""Head-to-model: two models race the same track at once (DeepRacer-for-Cloud's head-to-head).

DeepRacer-for-Cloud evaluates ``DR_RACE_TYPE=HEAD_TO_MODEL`` with an opponent model
(``DR_EVAL_OPP_S3_MODEL_PREFIX``): both agents drive the track together, each sees the other as a
bot-sized object (:mod:`sim.opponents`), model A's car starts in the outer lane and model B's in
the inner lane, both on the start line. Rules followed (deepracer-simapp
``bundle/markov/agent_ctrl/rollout_agent_ctrl.py``, ``judge_action``: a crash counts only when
"the crashed object must have smaller normalize progress compare to rollout agent" is false for
this agent, i.e. only the car *behind* is penalised, as for bot cars):

- The cars race ``rules.laps`` laps without stopping (continuous laps); each lap is timed as
  :func:`trainer.driving.evaluate_policy` times it (interpolated at the line).
- Touching the other car from behind holds the car for ``rules.collision_penalty_s``; a car that
  leaves the road is put back (:meth:`sim.env.RacingEnv.put_back`) and held for ``rules.penalty_s``
  (no resets when None: its race ends there). With two cars on the track a hold is lived in
  simulated time, step by step, while the other car drives on; the lap time counts it.
- A car whose lap ends otherwise (reversed, immobilized, time up) is out of the race. A car whose
  race is over is parked off the track (DeepRacer's ``_park_car_model``).
- The winner is the first to complete its laps (the smaller total time); when neither does, the
  one with more laps, then more progress. Equal: no winner.

One :class:`sim.env.RacingEnv` with two cars runs the race (vectorised physics and sensors); each
model acts on its own car's observation row, with its own sensors and action space.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Callable

import numpy as np

from sim.actions import SPEED_LIMITS, STEERING_LIMIT, ActionSpace
from sim.env import EnvConfig, EpisodeStatus, RacingEnv
from sim.object_params import collisions
from sim.observation import ObservationSpec
from sim.opponents import head_to_model_env, start_in_lanes
from sim.sensor_setup import make_sensor, with_objects
from sim.track import Track
from sim.vehicle import VehicleConfig

from .driving import EvaluationRules, LapResult, summarize, with_seed

SIDES = ("a", "b")
"""Model A drives car 0 (outer lane at the start), model B car 1 (inner lane)."""


@dataclass
class H2MResult:
    """The outcome of a head-to-model race."""

    laps_a: list[LapResult]
    laps_b: list[LapResult]
    winner: str | None
    """``"a"``, ``"b"``, or None when neither is ahead."""
    race_s: tuple[float | None, float | None] = (None, None)
    """Each car's time to complete all its laps, s (None: it did not)."""
    seed: int | None = None
    rules: EvaluationRules = field(default_factory=EvaluationRules)

    def summary(self) -> dict:
        """:func:`trainer.driving.summarize` of each side's laps, with its race time."""
        return {side: {**summarize(laps), "race_s": t}
                for side, laps, t in zip(SIDES, (self.laps_a, self.laps_b), self.race_s)}

    def to_dict(self) -> dict:
        return {"winner": self.winner, "seed": self.seed, "race_s": list(self.race_s),
                "laps_a": [asdict(lap) for lap in self.laps_a], "laps_b": [asdict(lap) for lap in self.laps_b],
                "summary": self.summary()}


H2MStepHook = Callable[[RacingEnv, dict, np.ndarray], None]
"""``on_step(env, info, commands (2, 2))`` after each simulated step and its judging; ``info`` also
holds ``collision`` (2,) bool (a counted collision), ``put_back`` (2,) bool (off the road, put back),
``held`` (2,) bool (standing out a penalty), ``racing`` (2,) bool (was racing this step) and
``actions`` (each model's own action)."""


def race_head_to_model(policy_a, policy_b, track: Track, rules: EvaluationRules | None = None, *,
                       vehicle: VehicleConfig | None = None, on_step: H2MStepHook | None = None) -> H2MResult:
    """Race ``policy_a`` against ``policy_b`` for ``rules.laps`` laps (see the module docstring).

    A policy is anything with ``act(obs (1, ...), speed (1,)) -> action``, ``action_space``, ``sensor``
    and ``camera_size`` (:class:`trainer.policy.Policy`). ``rules.mode`` is ignored (laps are
    continuous); ``rules.objects`` must be None (the other car is the only object)."""
    rules = with_seed(rules or EvaluationRules())
    if rules.objects is not None:
        raise ValueError("objects: a head-to-model race has no obstacles or bot cars besides the other car")
    race = _Race((policy_a, policy_b), track, rules, vehicle or VehicleConfig())
    while race.racing.any():
        race.step(on_step)
    return race.result()


class _Race:
    """The state of one race between two cars: arrays ``(2,)`` over the cars."""

    def __init__(self, policies, track: Track, rules: EvaluationRules, vehicle: VehicleConfig):
        self.policies, self.rules = policies, rules
        max_steps = None if rules.max_lap_s is None else int(np.ceil(rules.max_lap_s / vehicle.step_dt))
        cfg = EnvConfig(sensor=None, round_robin=False, reverse=rules.reverse, autoreset=False,
                        end_on_off_track=rules.penalty_s is None, max_steps=max_steps, noise=rules.noise,
                        end_on_crash=False)
        commands = ActionSpace.continuous((-STEERING_LIMIT, STEERING_LIMIT), SPEED_LIMITS)
        self.env = env = head_to_model_env(track, commands, cfg, vehicle=vehicle)
        self.observers = _observers(env, policies)
        env.reset(seed=rules.seed)
        start_in_lanes(env)
        self.dt = env.dt
        self.laps: list[list[LapResult]] = [[], []]
        self.lap_time, self.penalty = np.zeros(2), np.zeros(2)
        self.offs, self.hits, self.hold = np.zeros(2, int), np.zeros(2, int), np.zeros(2, int)
        self.racing = np.ones(2, dtype=bool)
        self.contact = self.touching()

    def touching(self) -> np.ndarray:
        """``(2,)`` bool: each car's body overlaps the other car."""
        return collisions(self.env.vehicle, self.env.state, self.env.objects.state)[:, 0]

    def observe(self) -> list[np.ndarray]:
        """Each car's observation ``(1, ...)`` by its own model's sensors (noise included)."""
        out, cache = [], {}
        for i, (spec, sense) in enumerate(self.observers):
            if spec not in cache:
                cache[spec] = self.env.sense(sense(self.env.state), spec)
            out.append(cache[spec][i:i + 1])
        return out

    def commands(self) -> np.ndarray:
        """``(2, 2)`` rows of (steering degrees, speed m/s): each model's greedy action; held or
        finished cars ask for nothing (their pose is kept by :meth:`step`)."""
        speeds = self.env.state.speed.astype(np.float32)
        rows, self.actions = [], []
        for i, (policy, obs) in enumerate(zip(self.policies, self.observe())):
            action = policy.act(obs, speeds[i:i + 1])
            steer, speed = policy.action_space.commands(action)
            rows.append((float(steer[0]), float(speed[0])))
            self.actions.append(action)
        return np.array(rows)

    def step(self, on_step: H2MStepHook | None) -> None:
        env = self.env
        cmd = self.commands()
        frozen = (self.hold > 0) | ~self.racing
        cmd[frozen] = (0.0, SPEED_LIMITS[0])
        kept = _keep(env, frozen)
        _, _, _, _, info = env.step(cmd)
        _restore(env, frozen, kept)
        status = np.where(frozen, EpisodeStatus.IN_PROGRESS, info["status"])
        now = self.touching()
        judged = self.racing & ~np.isin(status, (EpisodeStatus.LAP_COMPLETE, EpisodeStatus.TIME_UP))
        hit = now & ~self.contact & self._behind() & judged
        self.contact = now
        self.hold = np.maximum(self.hold - 1, 0)
        self.lap_time[self.racing] += self.dt
        info.update(collision=hit, held=frozen & self.racing, racing=self.racing.copy(), status=status,
                    actions=self.actions)
        self._laps_done(status, info)
        info["put_back"] = self._penalties(hit, info, frozen)
        self._lap_ends(status, info)
        env.objects.follow()
        if on_step is not None:
            on_step(env, info, cmd)

    def _behind(self) -> np.ndarray:
        """``(2,)`` bool: the other car is ahead in the lap (DeepRacer compares the agents' progress:
        a car lapping the other runs into it from behind)."""
        env = self.env
        d = env.start_s + env.travelled
        gap = d[::-1] - d
        if env.track.closed:
            L = env.track.length
            gap = (gap + L / 2) % L - L / 2
        return gap > 0

    def _laps_done(self, status: np.ndarray, info: dict) -> None:
        for i in np.flatnonzero(self.racing & (status == EpisodeStatus.LAP_COMPLETE)):
            frac = float(info["cross_fraction"][i])
            t = float(self.lap_time[i] - self.dt + frac * self.dt)
            self.laps[i].append(LapResult(len(self.laps[i]) + 1, t, True, 100.0, int(self.offs[i]),
                                          penalty_s=float(self.penalty[i]), seed=self.rules.seed,
                                          collisions=int(self.hits[i])))
            self.lap_time[i] = (1.0 - frac) * self.dt
            self.offs[i], self.penalty[i], self.hits[i] = 0, 0.0, 0
            self.env.continue_lap(np.array([i]))
            if len(self.laps[i]) == self.rules.laps:
                self._park(i)

    def _penalties(self, hit: np.ndarray, info: dict, frozen: np.ndarray) -> np.ndarray:
        """Hold the cars that ran into the other from behind or left the road; returns those put back."""
        rules, env = self.rules, self.env
        for i in np.flatnonzero(hit & self.racing):
            self.hits[i] += 1
            self.penalty[i] += rules.collision_penalty_s
            self.hold[i] = int(round(rules.collision_penalty_s / self.dt))
            env.state.speed[i] = 0.0
        if rules.penalty_s is None:
            return np.zeros(2, dtype=bool)
        off = self.racing & ~frozen & ~hit & info["off_track"] & (info["status"] != EpisodeStatus.LAP_COMPLETE)
        for i in np.flatnonzero(off):
            self.offs[i] += 1
            self.penalty[i] += rules.penalty_s
            self.hold[i] = int(round(rules.penalty_s / self.dt))
            env.put_back(np.array([i]))
        return off

    def _lap_ends(self, status: np.ndarray, info: dict) -> None:
        ended = self.racing & np.isin(status, (EpisodeStatus.OFF_TRACK, EpisodeStatus.REVERSED,
                                               EpisodeStatus.IMMOBILIZED, EpisodeStatus.TIME_UP))
        for i in np.flatnonzero(ended):
            st = EpisodeStatus(int(status[i]))
            self.laps[i].append(LapResult(len(self.laps[i]) + 1, None, False, float(info["progress"][i]),
                                          int(self.offs[i]) + (st == EpisodeStatus.OFF_TRACK),
                                          reversed=st == EpisodeStatus.REVERSED,
                                          immobilized=st == EpisodeStatus.IMMOBILIZED, status=st.label,
                                          penalty_s=float(self.penalty[i]), seed=self.rules.seed,
                                          collisions=int(self.hits[i])))
            self._park(i)

    def _park(self, i: int) -> None:
        self.racing[i] = False
        self.hold[i] = 0
        self.env.objects.parked[i] = True

    def result(self) -> H2MResult:
        n = self.rules.laps
        race_s = tuple(float(sum(lap.time_s for lap in laps)) if sum(lap.completed for lap in laps) == n else None
                       for laps in self.laps)
        return H2MResult(self.laps[0], self.laps[1], winner(self.laps, race_s), race_s, self.rules.seed,
                         replace(self.rules))


def winner(laps: list[list[LapResult]], race_s) -> str | None:
    """``"a"``/``"b"``: the first to finish (smaller race time), else more laps, then more progress."""
    def key(k):
        done = [lap for lap in laps[k] if lap.completed]
        last = laps[k][-1].progress if laps[k] and not laps[k][-1].completed else 0.0
        total = race_s[k] if race_s[k] is not None else float(sum(lap.time_s for lap in done))
        return (-len(done), -last, total)
    a, b = key(0), key(1)
    return None if a == b else ("a" if a < b else "b")


def _observers(env: RacingEnv, policies) -> list[tuple[ObservationSpec, Callable]]:
    """``(spec, state -> (2, ...) observation)`` of each policy's sensors, seeing the other car."""
    out, made = [], {}
    for p in policies:
        spec = ObservationSpec.from_sensors(p.sensor, p.camera_size)
        if spec not in made:
            cfg = EnvConfig(sensor=p.sensor, camera_size=p.camera_size)
            made[spec] = with_objects(make_sensor(env.track, cfg), env.objects)
        out.append((spec, made[spec]))
    return out


_KEPT = ("x", "y", "yaw")


def _keep(env: RacingEnv, frozen: np.ndarray) -> dict:
    """What a held or parked car keeps through a step: its pose and its place in the lap."""
    kept = {f: getattr(env.state, f)[frozen].copy() for f in _KEPT}
    kept.update(travelled=env.travelled[frozen].copy(), progress=env.progress[frozen].copy())
    return kept


def _restore(env: RacingEnv, frozen: np.ndarray, kept: dict) -> None:
    for f in _KEPT:
        getattr(env.state, f)[frozen] = kept[f]
    env.state.speed[frozen] = 0.0
    env.travelled[frozen], env.progress[frozen] = kept["travelled"], kept["progress"]
    env.falling[frozen] = 0
    env.still[frozen] = 0
    env.objects.follow()
