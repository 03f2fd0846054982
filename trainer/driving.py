"""The one driver: timed laps of a policy acting greedily, used by training's evaluation,
``trackside evaluate``, league submissions, the app's evaluation and screenshots.

Rules follow DeepRacer's evaluation (``deepracer-conventions.md`` section 6):

- ``trials`` mode: each lap starts at rest on the start line; ``continuous`` mode:
  laps follow each other without stopping, the car keeps its speed over the line.
- With an off-track penalty (seconds, DeepRacer's default 2), a car that leaves the
  road is held for the penalty, then put back on the centre line at the progress it
  had reached; the penalty counts in the lap time. With ``penalty_s=None`` a lap
  ends (incomplete) when the car leaves the road.
- With objects (``EvaluationRules.objects``: DeepRacer's object avoidance or head-to-bot), a
  collision holds the car for the collision penalty (seconds, DeepRacer-for-Cloud's default 5)
  and the lap goes on, as :mod:`trainer.crashes` describes; the penalty counts in the lap time
  and :attr:`LapResult.collisions` counts the lap's collisions. The objects' random placement
  and the bots' lane changes draw from the evaluation's seeded generator.
- Lap times are simulated seconds interpolated to the moment the reference point
  crosses the finish line inside the last step.

The policy acts greedily (most likely action, or the mean). The car and its sensors are
noisy as DeepRacer's are (:mod:`sim.noise`), so laps differ from one another; every draw
comes from the evaluation's ``seed`` (``EvaluationRules.seed``; None draws a fresh one, which
is recorded in every :class:`LapResult` and in :func:`summarize`), and the same model on the
same track under the same rules and seed gives the same times to the last bit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Callable

import numpy as np

from sim.actions import ActionSpace
from sim.camera import TRAINING_SIZE
from sim.env import EnvConfig, EpisodeStatus, RacingEnv
from sim.noise import NoiseConfig, fresh_seed
from sim.objects import ObjectsConfig
from sim.track import Track
from sim.vehicle import VehicleConfig

from .crashes import DEFAULT_COLLISION_PENALTY_S, counted_hit, hold_after_crash, touching


@dataclass
class LapResult:
    """One evaluated lap."""

    lap: int
    """1-based lap number."""
    time_s: float | None
    """Lap time including penalties, simulated s; None when the lap was not completed."""
    completed: bool
    progress: float
    """Percent of the lap reached."""
    off_track: int = 0
    """Times the car left the road (each cost ``penalty_s``)."""
    crashed: bool = False
    reversed: bool = False
    immobilized: bool = False
    status: str = "lap_complete"
    penalty_s: float = 0.0
    """Penalty seconds included in ``time_s`` (off-track and collisions)."""
    collisions: int = 0
    """Times the car ran into an object (each cost ``collision_penalty_s``)."""
    seed: int | None = None
    """The evaluation's noise seed (:attr:`EvaluationRules.seed`); the same for every lap of one run."""


@dataclass
class EvaluationRules:
    """How an evaluation runs."""

    laps: int = 5
    """Laps (trials) to drive."""
    mode: str = "trials"
    """``trials`` (each lap from a standing start) or ``continuous``."""
    penalty_s: float | None = 2.0
    """Off-track penalty, s; None: a lap ends when the car leaves the road."""
    reverse: bool = False
    """Drive the track in the reverse direction."""
    max_lap_s: float | None = None
    """Give up on a lap after this many simulated seconds (None: the environment's step cap)."""
    seed: int | None = None
    """Seed of the noise (:mod:`sim.noise`), 0 .. 2**32 - 1; None: draw a fresh one (:func:`with_seed`)."""
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    """The noise model; ``NoiseConfig.off()`` drives exact, identical laps."""
    objects: ObjectsConfig | None = None
    """Obstacles and bot cars (object avoidance, head-to-bot); None: a time trial."""
    collision_penalty_s: float = DEFAULT_COLLISION_PENALTY_S
    """Seconds a car is held after running into an object, counted in the lap time."""

    def same_race_rules(self, other: EvaluationRules) -> bool:
        """True when ``other`` is these rules whatever seed each holds (a race fixes the rules, not the seed)."""
        return replace(self, seed=None) == replace(other, seed=None)


def with_seed(rules: EvaluationRules) -> EvaluationRules:
    """``rules`` with a concrete seed: its own, or a fresh one (to be recorded with the result)."""
    return rules if rules.seed is not None else replace(rules, seed=fresh_seed())


StepHook = Callable[[RacingEnv, dict, np.ndarray, int], None]


def evaluate_policy(act: Callable[[np.ndarray, np.ndarray], np.ndarray], track: Track, action_space: ActionSpace,
                    sensor, rules: EvaluationRules | None = None, *, camera_size=TRAINING_SIZE,
                    vehicle: VehicleConfig | None = None, on_step: StepHook | None = None) -> list[LapResult]:
    """Drive ``rules.laps`` laps with ``act(obs (1, ...), speed (1,)) -> env action``.

    ``sensor`` is an ``EnvConfig.sensor``: a name, a model's sensor list (every sensor its network
    sees) or None; ``camera_size`` the image (width, height) px of a camera among them.

    ``on_step(env, info, actions, lap)`` is called after each simulated step (traces, replays).
    """
    rules = with_seed(rules or EvaluationRules())
    env = _evaluation_env(track, action_space, sensor, rules, camera_size, vehicle or VehicleConfig())
    obs, _ = env.reset(seed=rules.seed)
    dt = env.dt
    results: list[LapResult] = []
    lap_time = 0.0      # time into the current lap, s (penalties included)
    penalty = 0.0
    offs = hits = 0
    car = np.array([0])
    contact = touching(env)
    while len(results) < rules.laps:
        action = act(obs, env.state.speed.astype(np.float32))
        obs, _, _, _, info = env.step(action)
        lap_no = len(results) + 1
        status = int(info["status"][0])
        now = touching(env)
        # DeepRacer judges time-up and a completed lap before a crash, a crash before the rest.
        hit = counted_hit(env, now, contact) if status not in (EpisodeStatus.LAP_COMPLETE,
                                                               EpisodeStatus.TIME_UP) else None
        contact = now
        hits += hit is not None
        info["collision"] = np.array([hit is not None])
        info["lap_collisions"] = np.array([hits])
        if on_step is not None:
            on_step(env, info, action, lap_no)
        if status == EpisodeStatus.LAP_COMPLETE:
            t = lap_time + float(info["cross_fraction"][0]) * dt
            results.append(LapResult(lap_no, t, True, 100.0, offs, penalty_s=penalty, seed=rules.seed,
                                     collisions=hits))
            carry = (1.0 - float(info["cross_fraction"][0])) * dt
            offs, penalty, hits = 0, 0.0, 0
            if rules.mode == "continuous":
                env.continue_lap(car)
                lap_time = carry
            else:
                env.reset()
                obs = env.observe()
                lap_time = 0.0
                contact = touching(env)
            continue
        lap_time += dt
        if hit is not None:  # DeepRacer checks a crash before off-track and the other reset rules
            penalty += rules.collision_penalty_s
            lap_time += rules.collision_penalty_s
            hold_after_crash(env, hit, rules.collision_penalty_s)
            contact = touching(env)
            obs = env.observe()
            continue
        if rules.penalty_s is not None and info["off_track"][0]:
            offs += 1
            penalty += rules.penalty_s
            lap_time += rules.penalty_s
            env.put_back(car)
            obs = env.observe()
            continue
        if status in (EpisodeStatus.OFF_TRACK, EpisodeStatus.REVERSED, EpisodeStatus.IMMOBILIZED,
                      EpisodeStatus.TIME_UP):
            results.append(LapResult(lap_no, None, False, float(info["progress"][0]),
                                     offs + (status == EpisodeStatus.OFF_TRACK),
                                     reversed=status == EpisodeStatus.REVERSED,
                                     immobilized=status == EpisodeStatus.IMMOBILIZED,
                                     status=EpisodeStatus(status).label, penalty_s=penalty, seed=rules.seed,
                                     collisions=hits))
            offs, penalty, lap_time, hits = 0, 0.0, 0.0, 0
            env.reset()
            obs = env.observe()
            contact = touching(env)
    return results


def _evaluation_env(track: Track, action_space: ActionSpace, sensor, rules: EvaluationRules, camera_size,
                    vehicle: VehicleConfig) -> RacingEnv:
    """The one-car environment of an evaluation: no round robin, no autoreset, collisions and
    (with penalties) off-tracks handled by :func:`evaluate_policy`."""
    if rules.mode not in ("trials", "continuous"):
        raise ValueError(f"mode: expected 'trials' or 'continuous', got {rules.mode!r}")
    max_steps = None if rules.max_lap_s is None else int(np.ceil(rules.max_lap_s / vehicle.step_dt))
    cfg = EnvConfig(n_cars=1, sensor=sensor, camera_size=camera_size, round_robin=False, reverse=rules.reverse,
                    autoreset=False, end_on_off_track=rules.penalty_s is None, max_steps=max_steps,
                    noise=rules.noise, objects=rules.objects, end_on_crash=False)
    return RacingEnv(track, action_space, cfg, vehicle=vehicle)


def drive_laps(policy, track: Track, rules: EvaluationRules | None = None, *, vehicle: VehicleConfig | None = None,
               on_step: StepHook | None = None) -> list[LapResult]:
    """:func:`evaluate_policy` with a :class:`trainer.policy.Policy`: its greedy ``act``, action
    space and observation spec (sensor, camera size) from the model's metadata."""
    return evaluate_policy(policy.act, track, policy.action_space, policy.sensor, rules,
                           camera_size=policy.camera_size, vehicle=vehicle, on_step=on_step)


def greedy_actor(agent) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """An ``act`` function for :func:`evaluate_policy` from a network with ``act_greedy`` and
    ``to_command``: ``trainer.networks.Agent`` (PPO) or ``trainer.sac.SACNetwork`` (its squashed mean)."""
    import torch

    def act(obs, speed):
        with torch.no_grad():
            a = agent.act_greedy(torch.as_tensor(obs), torch.as_tensor(speed))
        return agent.to_command(a)

    return act


def summarize(laps: list[LapResult]) -> dict:
    """Numbers used to pick the best checkpoint and to show a result."""
    done = [lap.time_s for lap in laps if lap.completed]
    return {
        "laps": len(laps),
        "laps_completed": len(done),
        "progress": float(np.mean([lap.progress for lap in laps])) if laps else 0.0,
        "best_lap_s": min(done) if done else None,
        # The first lap starts at rest, like the theoretical best_lap_s; later continuous laps are flying.
        "first_lap_s": laps[0].time_s if laps and laps[0].completed else None,
        "mean_lap_s": float(np.mean(done)) if done else None,
        "off_track": int(sum(lap.off_track for lap in laps)),
        "collisions": int(sum(lap.collisions for lap in laps)),
        "seed": laps[0].seed if laps else None,
    }


def laps_as_dicts(laps: list[LapResult]) -> list[dict]:
    return [asdict(lap) for lap in laps]
