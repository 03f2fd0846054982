"""A simulated race-day session: a model drives the event's track for one timed session.

On a multi-track event the session drives ``event.on_track(T)`` (``RaceDayEvent.on_track``: the
event as a session on track T sees it), so ``event.track`` is always the track driven.

The car starts on the line with the session clock and drives continuous laps with its
policy acting greedily (as in ``trainer.driving``), timed by the same
:class:`league.timing.SessionTimer` a timekeeper uses for a physical car:

- the timer's ``now`` is simulated time: steps x 1/15 s plus the time cars are held;
- a lap is captured at the moment the reference point crosses the finish line inside
  the step (``info["cross_fraction"]``), not rounded to a step;
- an off-track is a reset (DeepRacer's evaluation rule): the car is held for the
  event's penalty, then put back on the road at the progress it had reached, and the
  reset is counted on the lap. A car that goes backwards for 15 steps or stands still
  for 15 steps (``reversed``/``immobilized``) is put back the same way, as a marshal
  would: otherwise a stuck policy could never finish;
- in an object-avoidance or head-to-bot event the car drives among the event's boxes or bot
  cars (``RaceDayEvent.objects``; ``EnvConfig(objects=..., end_on_crash=False)``). A collision
  (``trainer.crashes.counted_hit``: a box, or a bot the car is behind) is judged as DeepRacer's
  evaluation judges it (simapp ``agent_ctrl/rollout_agent_ctrl.py``): after a completed lap and
  before an off-track; a box puts the car 1 m behind it in the other lane
  (``trainer.crashes.hold_after_crash``), a bot leaves it where it is; the car is held for the
  event's collision penalty in view of the spectators while the bots drive on, and the timer
  counts it as a reset (``SessionTimer.add_collision``: DeepRacer's ``_check_for_phase_change``
  keeps one reset count for crashes and off-tracks, so it also counts against the resets limit);
  the lap records its collisions. The bots drive on during an off-track hold too (DeepRacer's
  world does not stop while one car is paused);
- when the clock runs out the lap in progress still counts and the session ends at the
  next finish; a car that has not finished ``overtime_s`` (default 60 s) after the clock
  ran out is stopped and that lap does not count (the timer's ``end``).

``speed`` paces it against the wall clock: 1 = real time for spectators, k = k times
real time, 0 or infinity = as fast as the computer goes.

The car and its sensors are noisy (:mod:`sim.noise`), so its laps differ as a real car's do;
every draw comes from the session's ``seed`` (None: a fresh one), kept on the returned timer
(``timer.seed``) and recorded with the session (``raceday_sessions.seed``): the same model,
event and seed replay the session lap for lap.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from sim.actions import ActionSpace
from sim.env import EnvConfig, EpisodeStatus, RacingEnv
from sim.errors import TracksideError
from sim.library import load_track
from sim.noise import NoiseConfig, fresh_seed
from sim.object_rows import object_rows
from trainer.crashes import counted_hit, hold_after_crash, touching

from ..timing import LAST_LAP, LIVE, DoubleTrigger, SessionTimer
from .events import RaceDayEvent

Act = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``act(obs (1, ...), speed (1,) m/s) -> env action``, as ``trainer.driving`` uses."""
UPDATE_PERIOD_S = 0.05
"""Least wall time between two ``on_update`` calls, s (a display redraws at 20 Hz at most)."""


class SimulatedDriverError(TracksideError):
    """The model cannot drive a session (no checkpoint, an unsupported sensor ...)."""


def model_actor(model, checkpoint: str | int | None = None) -> tuple[Act, ActionSpace, object]:
    """The greedy ``act`` of ``model`` (a ``trainer.model_store.Model`` or a name) with its
    action space and observation spec (an ``EnvConfig.sensor``: every sensor, its camera size).
    ``checkpoint``: iteration or best/final/latest; default: the one
    races use (final, else best, else latest)."""
    from trainer.policy import PolicyError, load_policy

    try:
        policy = load_policy(model, checkpoint)
    except PolicyError as exc:
        raise SimulatedDriverError(str(exc)) from None
    return policy.act, policy.action_space, policy.observation


def run_simulated_session(event: RaceDayEvent, racer: str, model=None, checkpoint: str | int | None = None, *,
                          speed: float = 1.0, on_update: Callable[[dict], None] | None = None,
                          should_stop: Callable[[], bool] | None = None, overtime_s: float = 60.0,
                          act_factory: Callable[[RacingEnv], Act] | None = None,
                          action_space: ActionSpace | None = None, sensor: str | None = None,
                          sleep: Callable[[float], None] = time.sleep,
                          wall_clock: Callable[[], float] = time.monotonic, seed: int | None = None,
                          noise: NoiseConfig | None = None) -> SessionTimer:
    """Drive one session of ``event`` for ``racer`` and return its timer, ended (not yet recorded).

    Args:
        model: a model name or ``Model`` (default ``standard``); ignored with ``act_factory``.
        speed: simulated seconds per wall second; 0 or ``math.inf``: no waiting.
        on_update: called with a state dict (``timer.snapshot`` plus ``racer``, ``car``
            ``{x, y, yaw_deg, speed, progress}``, ``objects`` (the car's boxes and bot cars as
            ``sim.object_rows`` rows ``[x, y, yaw_deg, length, width, is_bot]``, 3 decimals; empty
            in a time trial), ``held`` and ``event``: ``tick``, ``lap``, ``reset``, ``collision`` or
            ``end``) at most every ``UPDATE_PERIOD_S`` of wall time, and always when a lap lands,
            a reset or a collision happens and the session ends.
        should_stop: polled each step; True ends the session now (the lap in progress is dropped).
        overtime_s: simulated seconds after the clock ran out before an unfinished last lap is given up.
        act_factory: for tests and scripted drivers: ``env -> act`` instead of a model;
            needs ``action_space`` and ``sensor`` (None for no observation).
        seed: the noise seed, 0 .. 2**32 - 1 (None: a fresh one); returned as ``timer.seed``.
        noise: the noise model (default ``NoiseConfig()``; ``NoiseConfig.off()`` for exact laps).
    """
    if not (speed == 0 or speed > 0):
        raise ValueError(f"speed: expected 0 (as fast as possible) or a positive multiple of real time, got {speed}")
    if act_factory is None:
        act, action_space, sensor = model_actor(model or "standard", checkpoint)
    elif action_space is None:
        raise ValueError("act_factory needs the action_space it drives")
    seed = fresh_seed() if seed is None else int(seed)
    env = _session_env(event, action_space, sensor, overtime_s, noise or NoiseConfig())
    obs, _ = env.reset(seed=seed)
    if act_factory is not None:
        act = act_factory(env)
    timer = event.new_timer()
    timer.seed = seed
    view = _Spectators(env, timer, racer, speed, on_update, sleep, wall_clock)
    car = _Car(env, timer, view, act, event)
    t = 0.0  # simulated session time, s
    timer.start(t)
    view.publish(t, "tick")
    while timer.state in LIVE:
        if should_stop is not None and should_stop():
            timer.end(t)
            break
        obs, t = car.step(obs, t)
        if timer.tick(t) == LAST_LAP and timer.clock_s(t) > event.length_s + overtime_s:
            timer.end(t)
        view.pace(t)
    view.publish(t, "end")
    return timer


def _session_env(event: RaceDayEvent, action_space: ActionSpace, sensor: str | None, overtime_s: float,
                 noise: NoiseConfig) -> RacingEnv:
    """One car on the event's track, continuous laps, never ended by the env (the timer decides)."""
    from sim.camera import TRAINING_SIZE

    track = load_track(event.track)
    # The step cap must never end the session: the timer decides when it is over.
    max_steps = int(math.ceil((event.length_s + overtime_s + 60.0) * 15)) + 1
    return RacingEnv(track, action_space, EnvConfig(n_cars=1, sensor=sensor, camera_size=TRAINING_SIZE,
                                                    round_robin=False, autoreset=False, end_on_off_track=False,
                                                    max_steps=max_steps, noise=noise, objects=event.objects,
                                                    end_on_crash=False))


class _Car:
    """The car on track: one simulator step at a time, a lap captured at the crossing, a reset or a
    collision held in view of the spectators (see the module docstring)."""

    def __init__(self, env: RacingEnv, timer: SessionTimer, view: "_Spectators", act: Act, event: RaceDayEvent):
        self.env, self.timer, self.view, self.act, self.event = env, timer, view, act, event
        self.contact = touching(env)
        """``(m,)`` bool: the objects the car touched after the last step (a collision is a new contact)."""

    def step(self, obs, t: float) -> tuple[np.ndarray, float]:
        """One simulator step from session time ``t``; returns (obs, the new session time)."""
        env, timer, view = self.env, self.timer, self.view
        car = np.array([0])
        dt = env.dt
        action = self.act(obs, env.state.speed.astype(np.float32))
        obs, _, _, _, info = env.step(action)
        status = int(info["status"][0])
        now = touching(env)
        # DeepRacer judges time-up and a completed lap before a crash, a crash before the rest.
        hit = (counted_hit(env, now, self.contact)
               if status not in (EpisodeStatus.LAP_COMPLETE, EpisodeStatus.TIME_UP) else None)
        self.contact = now
        if status == EpisodeStatus.LAP_COMPLETE:
            kind = "lap"
            try:
                timer.capture_lap(t + float(info["cross_fraction"][0]) * dt)
            except DoubleTrigger:  # only with an event minimum above a real lap: the time stays in the running lap
                kind = "tick"
            env.continue_lap(car)
            t += dt
            view.publish(t, kind)
            return obs, t
        t += dt
        if hit is not None:
            timer.add_collision(t)
            hold_after_crash(env, hit, 0.0)  # behind a box, at rest; the bots drive on in the hold below
            view.publish(t, "collision", held=True)
            t = self.hold(t, self.event.collision_penalty_s)
        elif info["off_track"][0] or status in (EpisodeStatus.REVERSED, EpisodeStatus.IMMOBILIZED):
            timer.add_reset(t)
            view.publish(t, "reset", held=True)
            t = self.hold(t, self.event.penalty_s)  # held where it left the road, then put back
            env.put_back(car)
        else:
            return obs, t
        self.contact = touching(env)
        return env.observe(), t

    def hold(self, t: float, seconds: float) -> float:
        """Hold the car ``seconds`` from ``t`` in view of the spectators while the bot cars drive on,
        one simulator step at a time (as ``trainer.crashes.hold_after_crash`` counts them). Returns t + seconds."""
        env = self.env
        steps = int(round(seconds / env.dt))
        for k in range(1, steps + 1):
            if env.objects is not None:
                env.objects.advance(env.dt, env.np_random)
            now = t + seconds * k / steps
            self.timer.tick(now)
            self.view.pace(now, held=True)
        return t + seconds


class _Spectators:
    """Paces the session against the wall clock and hands states to ``on_update`` (20 Hz at most)."""

    def __init__(self, env: RacingEnv, timer: SessionTimer, racer: str, speed: float,
                 on_update: Callable[[dict], None] | None, sleep: Callable[[float], None],
                 wall_clock: Callable[[], float]):
        self.env, self.timer, self.racer, self.speed = env, timer, racer, speed
        self.on_update, self.sleep, self.wall_clock = on_update, sleep, wall_clock
        self.realtime = 0 < speed < math.inf
        self.wall0 = wall_clock()
        self.last_update = -math.inf

    def publish(self, t: float, kind: str, held: bool = False) -> None:
        if self.on_update is None:
            return
        w = self.wall_clock()
        if kind == "tick" and w - self.last_update < UPDATE_PERIOD_S:
            return
        self.last_update = w
        s, env = self.env.state, self.env
        state = self.timer.snapshot(t)
        state.update(racer=self.racer, event=kind, held=held, car={
            "x": float(s.x[0]), "y": float(s.y[0]), "yaw_deg": math.degrees(float(s.yaw[0])),
            "speed": float(s.speed[0]), "progress": float(env.progress[0])},
            objects=[] if env.objects is None else np.round(object_rows(env.objects.state, 0), 3).tolist())
        self.on_update(state)

    def pace(self, t: float, held: bool = False) -> None:
        """Sleep until the wall clock catches up with simulated time t, publishing while waiting."""
        if self.realtime:
            while (ahead := self.wall0 + t / self.speed - self.wall_clock()) > 0:
                self.sleep(min(ahead, UPDATE_PERIOD_S))
                self.publish(min(t, (self.wall_clock() - self.wall0) * self.speed), "tick", held)
        self.publish(t, "tick", held)
