"""Training a model folder: PPO iterations, checkpoints, metrics, traces and live telemetry.

``train_model(model)`` runs in the calling process until a stop condition: the time
limit, the episode limit, a target evaluation progress, DeepRacer's
``term_cond_avg_score``, Ctrl-C, or a stop request (``request_stop(model)``, used by the
desktop app from another process). Each iteration ends with a checkpoint and a short
greedy evaluation (5 continuous laps, a lap ends off the road) that picks the best one.

What a viewer can follow while it runs, all inside the model folder:

- ``metrics/episodes.jsonl`` and ``metrics/iterations.jsonl``: one line per episode and iteration;
- ``telemetry.jsonl``: car poses about 10 times a second (``{"t", "iteration", "cars": [[x, y, yaw_deg, speed, progress], ...]}``);
- ``logs/training.log``; ``status.json``.
"""

from __future__ import annotations

import json
import os
import signal
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from sim.env import STATUSES, EnvConfig, RacingEnv
from sim.errors import TracksideError
from sim.library import load_track
from sim.reward import RewardError, RewardFunctionError, load_reward_function

from .evaluation import EvaluationRules, evaluate_policy, greedy_actor, summarize
from .model_store import Model, summarize_params
from .networks import Agent, build_agent
from .ppo import PPO
from .simtrace import SimTraceWriter

TRACE_CARS = 4
"""Cars whose every step goes into SIM_TRACE: enough episodes for analysis at a small cost."""
TELEMETRY_PERIOD_S = 0.1
TELEMETRY_CARS = 8
EVAL_LAPS = 5
CAMERA_SIZE = (80, 60)
"""Camera resolution for training (DeepRacer's 160x120 halved)."""


class TrainingError(TracksideError):
    """Training could not start: a message for the user."""


@dataclass
class TrainingResult:
    status: str
    iterations: int
    episodes: int
    env_steps: int
    elapsed_s: float
    reason: str | None = None
    best: dict | None = None


def stop_request_path(model: Model) -> Path:
    return model.path / "stop_request"


def request_stop(model: Model) -> None:
    """Ask a training process to stop after its current step (works from any process)."""
    stop_request_path(model).write_text(str(time.time()))


def sensor_settings(metadata) -> tuple[str, tuple[int, int]]:
    return metadata.primary_sensor, CAMERA_SIZE


def load_agent(model: Model, which: int | str = "final") -> tuple[Agent, object]:
    """The model's policy from a checkpoint (``which``: iteration, best, final, latest, initial)."""
    meta = model.metadata()
    state = model.load_checkpoint(which)
    agent = build_agent(tuple(state["obs_shape"]), meta.action_space)
    agent.load_state_dict(state["agent"])
    agent.eval()
    return agent, meta


def train_model(model: Model, *, minutes: float | None = None, max_iterations: int | None = None,
                on_iteration=None, install_signals: bool = True) -> TrainingResult:
    """Train ``model`` until a stop condition; returns how it ended. The model ends
    ``ready`` (stopped or done) or ``failed`` (with the reason in its status)."""
    meta, hp, cfg = model.metadata(), model.hyperparameters(), model.training_config()
    track = load_track(cfg.track)
    if not track.info.trainable:
        raise TrainingError(f"track {cfg.track!r} is a competition track and cannot be used for training"
                            + (f"; train on {track.info.resembles!r} instead" if track.info.resembles else ""))
    try:
        # One instance per car: a function that keeps state in globals sees one car, as in DeepRacer.
        reward_fn = [load_reward_function(model.reward_source(), "reward_function.py") for _ in range(cfg.n_cars)]
    except RewardFunctionError as exc:
        raise TrainingError(str(exc)) from None
    sensor, camera = sensor_settings(meta)
    env = RacingEnv(track, meta.action_space,
                    EnvConfig(n_cars=cfg.n_cars, sensor=sensor, camera_size=camera, round_robin=cfg.round_robin,
                              reverse=cfg.reverse, alternate_direction=cfg.alternate_direction),
                    reward_fn=reward_fn)
    torch.manual_seed(cfg.seed)
    agent = build_agent(env.observe().shape[1:], meta.action_space)
    start_iteration, start_episodes, prior_s = 0, 0, 0.0
    ckpts = model.list_checkpoints()
    init = None
    if ckpts:  # resume where the last run stopped
        init = model.load_checkpoint("latest")
        start_iteration = ckpts[-1]["iteration"] + 1
        start_episodes = int(ckpts[-1].get("episodes", 0))
        prior_s = float(ckpts[-1].get("time", 0.0))
    elif cfg.init_from:
        init = model.load_checkpoint("initial")
    if init is not None:
        agent.load_state_dict(init["agent"])

    stop = {"flag": False, "why": None}
    stop_file = stop_request_path(model)
    stop_file.unlink(missing_ok=True)
    last_poll = [0.0]

    def should_stop() -> bool:
        now = time.monotonic()
        if now - last_poll[0] > 0.25:
            last_poll[0] = now
            if stop_file.exists():
                stop["flag"], stop["why"] = True, "stopped on request"
        return stop["flag"]

    old_handlers = {}
    if install_signals:
        def on_signal(signum, frame):
            stop["flag"], stop["why"] = True, "stopped (interrupted)"
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                old_handlers[sig] = signal.signal(sig, on_signal)
            except ValueError:  # not the main thread
                pass

    limit_min = minutes if minutes is not None else cfg.max_minutes
    max_episodes = cfg.max_episodes or hp.term_cond_max_episodes
    telemetry = _Telemetry(model.path / "telemetry.jsonl")
    iteration = start_iteration
    trace = None  # one SimTraceWriter per iteration, opened when the iteration starts
    trace_cars = np.arange(min(TRACE_CARS, env.n))
    sim_t = np.zeros(env.n)

    def on_step(env, info, actions, rewards):
        sim_t[:] = info["steps"] * env.dt
        status = np.asarray(STATUSES, dtype=object)[info["status"][trace_cars]]
        # DeepRacer marks an episode's first row "prepare"; analysis tools time episodes from it.
        status[(info["steps"][trace_cars] == 1) & (info["status"][trace_cars] == 0)] = "prepare"
        acts = actions[trace_cars]
        trace.write_rows(episode=start_episodes + info["episode"][trace_cars], steps=info["steps"][trace_cars],
                         x=info["x"][trace_cars], y=info["y"][trace_cars],
                         yaw=np.degrees(info["yaw"][trace_cars]), steer=info["steering"][trace_cars],
                         throttle=info["speed"][trace_cars], action=acts, reward=rewards[trace_cars],
                         done=info["status"][trace_cars] != 0, all_wheels_on_track=info["all_wheels_on_track"][trace_cars],
                         progress=info["progress"][trace_cars], closest_waypoint=info["closest_waypoint"][trace_cars],
                         track_len=env.track.length, tstamp=sim_t[trace_cars], episode_status=status)
        telemetry.maybe_write(env, info, iteration)

    ppo = PPO(env, agent, hp, seed=cfg.seed, on_step=on_step, should_stop=should_stop)
    if init is not None and "optimizer" in init:
        try:
            ppo.optimizer.load_state_dict(init["optimizer"])
        except (ValueError, KeyError):
            pass  # a clone's optimizer state need not match; start it fresh
    model.set_status("training", pid=os.getpid())
    model.log(f"training started on {track.name} with {env.n} cars, sensor {sensor}, "
              f"{meta.action_space.n or 'continuous'} actions; limit {limit_min} min, {max_episodes} episodes")
    t_start = time.monotonic()
    episodes_total = start_episodes
    result_status, reason = "ready", None
    try:
        while True:
            trace = SimTraceWriter(model.training_simtrace_path(iteration))
            rollout, stats = ppo.iteration()
            trace.close()
            elapsed = time.monotonic() - t_start
            rows = [{"iteration": iteration, "episode": episodes_total + i, "reward": e.reward, "progress": e.progress,
                     "steps": e.steps, "status": e.status, "lap_time": e.lap_time, "start_fraction": e.start_fraction,
                     "reverse": e.reverse, "time": prior_s + elapsed} for i, e in enumerate(rollout.episodes)]
            episodes_total += len(rollout.episodes)
            model.append_episodes(rows)
            ev = summarize(evaluate_policy(greedy_actor(agent), track, meta.action_space, sensor,
                                           EvaluationRules(laps=EVAL_LAPS, mode="continuous", penalty_s=None,
                                                           reverse=cfg.reverse),
                                           camera_size=camera))
            elapsed = time.monotonic() - t_start
            eps = rollout.episodes
            laps = [e.lap_time for e in eps if e.lap_time is not None]
            it_row = {"iteration": iteration, "episodes": episodes_total, "env_steps": ppo.env_steps,
                      "elapsed_s": prior_s + elapsed, "mean_reward": _mean([e.reward for e in eps]),
                      "mean_progress": _mean([e.progress for e in eps]),
                      "completion_rate": len(laps) / len(eps) if eps else 0.0,
                      "best_lap_s": min(laps) if laps else None, "mean_steps": _mean([e.steps for e in eps]),
                      **{k: stats.get(k) for k in ("entropy", "policy_loss", "value_loss", "approx_kl",
                                                    "clip_frac", "env_steps_per_s", "samples")},
                      "eval": ev}
            model.append_iterations([it_row])
            state = {"agent": agent.state_dict(), "optimizer": ppo.optimizer.state_dict(),
                     "obs_shape": list(env.observe().shape[1:]), "iteration": iteration}
            model.write_checkpoint(iteration, state, {"episodes": episodes_total, "time": prior_s + elapsed,
                                                      "env_steps": ppo.env_steps, "eval": ev})
            model.log(f"iteration {iteration}: {len(eps)} episodes, progress {it_row['mean_progress']:.1f}%, "
                      f"eval {ev['laps_completed']}/{EVAL_LAPS} laps, best {ev['best_lap_s']}, "
                      f"{stats.get('env_steps_per_s', 0):.0f} steps/s")
            if on_iteration is not None:
                on_iteration(it_row)
            iteration += 1
            if stop["flag"]:
                reason = stop["why"]
                break
            if limit_min is not None and elapsed >= limit_min * 60:
                reason = f"time limit of {limit_min:g} min reached"
                break
            if episodes_total - start_episodes >= max_episodes:
                reason = f"{max_episodes} episodes done"
                break
            if cfg.target_progress is not None and ev["progress"] >= cfg.target_progress:
                reason = f"evaluation progress {ev['progress']:.1f}% reached the target"
                break
            if it_row["mean_reward"] >= hp.term_cond_avg_score:
                reason = f"average reward {it_row['mean_reward']:.1f} reached term_cond_avg_score"
                break
            if max_iterations is not None and iteration - start_iteration >= max_iterations:
                reason = f"{max_iterations} iterations done"
                break
    except RewardError as exc:
        result_status, reason = "failed", str(exc)
        model.log(f"failed: {exc}")
        model.fail(str(exc), step=int(ppo.env_steps), params=getattr(exc, "params", None) and
                   summarize_params(exc.params))
    except Exception as exc:  # keep the model usable and say why, whatever broke
        result_status, reason = "failed", f"internal error: {exc.__class__.__name__}: {exc}"
        model.log(traceback.format_exc())
        model.fail(reason, step=int(ppo.env_steps))
    finally:
        if trace is not None:
            trace.close()
        telemetry.close()
        stop_file.unlink(missing_ok=True)
        for sig, handler in old_handlers.items():
            signal.signal(sig, handler)
    if result_status == "ready":
        model.set_status("ready", reason)
        model.log(f"ready: {reason}")
    best_entry = None
    if model.list_checkpoints():
        best_file = model.resolve_checkpoint("best").name
        best_entry = next((c for c in model.list_checkpoints() if c.get("file") == best_file), None)
    return TrainingResult(result_status, iteration - start_iteration, episodes_total - start_episodes,
                          ppo.env_steps, time.monotonic() - t_start, reason, best_entry)


def _mean(xs) -> float:
    return float(np.mean(xs)) if len(xs) else 0.0


class _Telemetry:
    """Throttled car poses for a live viewer, appended as JSON lines."""

    MAX_BYTES = 4_000_000

    def __init__(self, path: Path):
        self.path = path
        self.fh = open(path, "w", encoding="utf-8")
        self.last = 0.0

    def maybe_write(self, env: RacingEnv, info: dict, iteration: int) -> None:
        now = time.monotonic()
        if now - self.last < TELEMETRY_PERIOD_S:
            return
        self.last = now
        k = min(TELEMETRY_CARS, env.n)
        cars = np.stack([info["x"][:k], info["y"][:k], np.degrees(info["yaw"][:k]), info["actual_speed"][:k],
                         info["progress"][:k]], axis=1).round(3).tolist()
        if self.fh.tell() > self.MAX_BYTES:  # a viewer only needs the recent past
            self.fh.seek(0)
            self.fh.truncate()
        self.fh.write(json.dumps({"t": time.time(), "iteration": iteration, "cars": cars}) + "\n")
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()
