"""Training a model folder: iterations of its algorithm (``training_algorithm``: clipped_ppo or
sac, :mod:`trainer.algorithms`), checkpoints, metrics, traces and live telemetry.

``train_model(model)`` runs in the calling process until a stop condition (see
:func:`stop_conditions`): the time limit (what normally ends a training), DeepRacer's
``term_cond_max_episodes`` read as DeepRacer reads it (training iterations), the model's own
episode limit or target evaluation progress if it has them, Ctrl-C, or a stop request
(``request_stop(model)``, used by the desktop app from another process). DeepRacer's
``term_cond_avg_score`` stops nothing, in DeepRacer as here. Each iteration ends with a
checkpoint and a short greedy evaluation (5 continuous laps, a lap ends off the road) that
picks the best one; lap 1 from a standing start under ``trackside evaluate``'s rules is the model's best lap.

What a viewer can follow while it runs, all inside the model folder:

- ``metrics/episodes.jsonl`` and ``metrics/iterations.jsonl``: one line per episode and iteration;
- DeepRacer's ``training-simtrace/{iteration}-iteration.csv`` (every car, whole episodes:
  :mod:`trainer.episode_traces`) and ``metrics/TrainingMetrics.json`` (:mod:`trainer.deepracer_metrics`),
  written at the end of each iteration;
- ``telemetry.jsonl``: car poses (and each car's obstacles and bot cars) about 10 times a second
  (:mod:`trainer.live_telemetry`);
- ``logs/training.log``; ``status.json``.
"""

from __future__ import annotations

import os
import signal
import time
import traceback
from dataclasses import dataclass, field

import numpy as np
import torch

from sim.env import EnvConfig, RacingEnv
from sim.errors import TracksideError
from sim.library import load_track
from sim.reward import RewardError, RewardFunctionError, compile_reward_source
from sim.reward_sandbox import RewardSandbox, SandboxLimits

from .algorithms import ALGORITHM_NAMES, Algorithm, build_network, make_algorithm
from .deepracer_metrics import TrainingMetricsFile, evaluation_entries, training_entries
from .driving import EvaluationRules, evaluate_policy, greedy_actor, summarize
from .episode_traces import EpisodeTraces
from .hyperparameters import Hyperparameters, TrainingConfig
from .live_telemetry import TelemetryWriter
from .model_folder import READ_ONLY_MESSAGE, Model
from .model_metrics import format_seconds
from .model_rules import check_trainable
from .model_state import ModelState, summarize_params
from .race import describe as describe_race
from .resume import resume_point
from .reward_trust import UntrustedRewardError, check_trusted
from .training_process import request_stop, stop_request_path  # noqa: F401 (request_stop: callers' name)

EVAL_LAPS = 5
EVAL_SEED = 0
"""Noise seed of the greedy evaluation after each iteration (``sim.noise``): every checkpoint is
driven through the same noise, so their laps differ only by their weights."""


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


@dataclass
class _Run:
    """What one training run works with, and where it resumes from."""

    model: Model
    env: RacingEnv
    agent: object
    """The network ``meta.training_algorithm`` trains (:func:`trainer.algorithms.build_network`)."""
    init: dict | None
    start_iteration: int = 0
    start_episodes: int = 0
    prior_s: float = 0.0
    iteration: int = 0
    episodes: int = 0
    traces: EpisodeTraces | None = None
    deepracer_metrics: TrainingMetricsFile | None = None
    eval_laps: list = field(default_factory=list)

    def __post_init__(self):
        self.meta, self.hp, self.cfg = self.model.metadata(), self.model.hyperparameters(), self.model.training_config()
        self.iteration, self.episodes = self.start_iteration, self.start_episodes


def _prepare(model: Model) -> _Run:
    """Check the model may train now, build its environment and network, find where to resume."""
    if model.read_only:
        raise TrainingError(READ_ONLY_MESSAGE)
    model.check_not_training()
    meta, cfg = model.metadata(), model.training_config()
    try:
        check_trainable(cfg.track)
        track = load_track(cfg.track)
    except TracksideError as exc:
        raise TrainingError(str(exc)) from None
    try:
        compile_reward_source(model.reward_source(), "reward_function.py")  # runs nothing: syntax errors first
        check_trusted(model.path, model.name)  # someone else's code never runs unasked; see _start_reward
    except (UntrustedRewardError, RewardFunctionError) as exc:
        raise TrainingError(str(exc)) from None
    env = RacingEnv(track, meta.action_space,
                    EnvConfig(n_cars=cfg.n_cars, sensor=meta.observation.sensors, camera_size=meta.camera_size,
                              round_robin=cfg.round_robin, reverse=cfg.reverse,
                              alternate_direction=cfg.alternate_direction, objects=cfg.objects()))
    torch.manual_seed(cfg.seed)
    agent = build_network(env.obs_spec.shape, meta)
    run = _Run(model, env, agent, *resume_point(model, cfg.init_from))
    if run.init is not None:
        agent.load_state_dict(run.init["agent"])
    run.deepracer_metrics = TrainingMetricsFile(model.path / "metrics" / "TrainingMetrics.json", run.start_episodes)
    run.traces = EpisodeTraces(env.n, env.dt, clock_s=run.deepracer_metrics.clock_s)
    return run


class _StopFlag:
    """A stop asked for by a file (another process), a signal (Ctrl-C, SIGTERM) or a condition."""

    def __init__(self, model: Model, install_signals: bool):
        self.flag, self.why = False, None
        self.deadline: tuple[float, str] | None = None
        """(monotonic time, reason): the time limit, checked on every poll."""
        self.file = stop_request_path(model)
        self.file.unlink(missing_ok=True)
        self.last_poll = 0.0
        self.old_handlers = {}
        if install_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    self.old_handlers[sig] = signal.signal(sig, self.on_signal)
                except ValueError:  # not the main thread
                    pass

    def on_signal(self, signum, frame) -> None:
        self.flag, self.why = True, "stopped (interrupted)"

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self.flag and self.deadline is not None and now >= self.deadline[0]:
            self.flag, self.why = True, self.deadline[1]
        if now - self.last_poll > 0.25:
            self.last_poll = now
            if self.file.exists():
                self.flag, self.why = True, "stopped on request"
        return self.flag

    def close(self) -> None:
        self.file.unlink(missing_ok=True)
        for sig, handler in self.old_handlers.items():
            signal.signal(sig, handler)


def _start_reward(run: _Run, stop: "_StopFlag", limits: SandboxLimits | None) -> None:
    """The reward function in a worker process with resource limits, one instance per car (a function
    that keeps state in globals sees one car, as in DeepRacer); its prints go to logs/reward_output.log."""
    try:
        run.env.reward_fn = RewardSandbox(
            run.model.reward_source(), "reward_function.py", instances=run.env.n,
            waypoints=run.env.params_builder.waypoints, track_length=run.env.track.length,
            limits=limits or SandboxLimits.from_env(), output_path=run.model.path / "logs" / "reward_output.log",
            should_stop=stop)
    except TracksideError as exc:
        stop.close()
        raise TrainingError(str(exc)) from None


def train_model(model: Model, *, minutes: float | None = None, max_iterations: int | None = None,
                on_iteration=None, install_signals: bool = True, limits: SandboxLimits | None = None) -> TrainingResult:
    """Train ``model`` until a stop condition; returns how it ended. The model ends
    ``ready`` (stopped or done) or ``failed`` (with the reason in its status).

    The reward function runs in a worker process under ``limits`` (default
    :meth:`SandboxLimits.from_env`). Raises :class:`TrainingError` (one line) when it cannot start:
    a competition track, a reward function not accepted or that does not load;
    ``AlreadyTrainingError`` while another process trains it (the model's training lock, held
    from before the status says ``training`` until after it says how the run ended, lets only
    one trainer in).
    """
    if model.read_only:
        raise TrainingError(READ_ONLY_MESSAGE)
    lock = model.claim_training()
    try:
        return _train(model, minutes, max_iterations, on_iteration, install_signals, limits)
    finally:
        lock.release()


def _train(model: Model, minutes: float | None, max_iterations: int | None, on_iteration,
           install_signals: bool, limits: SandboxLimits | None) -> TrainingResult:
    run = _prepare(model)
    stop = _StopFlag(model, install_signals)
    _start_reward(run, stop, limits)
    telemetry = TelemetryWriter(model.path / "telemetry.jsonl")
    algo = make_algorithm(run.meta, run.env, run.agent, run.hp, seed=run.cfg.seed,
                          on_step=lambda *a: _on_step(run, telemetry, *a), should_stop=stop)
    if run.init is not None and "optimizer" in run.init:
        algo.load_optimizer_state(run.init["optimizer"])  # a clone's need not fit: then it starts fresh
    limit_min = minutes if minutes is not None else run.cfg.max_minutes
    model.set_status(ModelState.TRAINING, pid=os.getpid())
    model.log(f"training started on {run.env.track.name}, {describe_race(run.cfg.race_type, run.cfg.race_settings)}, "
              f"with {run.env.n} cars, sensors {run.meta.sensor_label}, "
              f"network {run.meta.neural_network}, {run.meta.action_space.n or 'continuous'} actions, "
              f"{ALGORITHM_NAMES[run.meta.training_algorithm]}; stops at the first of: "
              + ", ".join(stop_conditions(run.hp, run.cfg, limit_min, max_iterations)))
    for note in run.meta.notes:
        model.log(f"note: {note}")
    if run.init is not None and algo.resume_note:
        model.log(algo.resume_note)
    model.log(f"SIM_TRACE: every step of all {run.env.n} cars, whole episodes per iteration file "
              "(training-simtrace/); an episode still running when training stops is not written")
    t_start = time.monotonic()
    if limit_min is not None:  # checked every step (and while a reward runs), not only between iterations
        stop.deadline = (t_start + limit_min * 60, f"time limit of {limit_min:g} min reached")
    result_status, reason = ModelState.READY, None
    try:
        while reason is None:
            it_row = _iteration(run, algo, t_start)
            if on_iteration is not None:
                on_iteration(it_row)
            reason = stop.why if stop.flag else _stop_reason(run, it_row, limit_min, max_iterations)
    except RewardError as exc:
        result_status, reason = ModelState.FAILED, str(exc)
        model.log(f"failed: {exc}")
        model.fail(str(exc), step=int(algo.env_steps), params=getattr(exc, "params", None) and
                   summarize_params(exc.params))
    except Exception as exc:  # keep the model usable and say why, whatever broke
        result_status, reason = ModelState.FAILED, f"internal error: {exc.__class__.__name__}: {exc}"
        model.log(traceback.format_exc())
        model.fail(reason, step=int(algo.env_steps))
    finally:
        run.env.reward_fn.close()
        telemetry.close()
        stop.close()
    if result_status == ModelState.READY:
        model.set_status(ModelState.READY, reason)
        model.log(f"ready: {reason}")
    best_entry = model.checkpoint_entry("best") if model.list_checkpoints() else None
    return TrainingResult(result_status.value, run.iteration - run.start_iteration, run.episodes - run.start_episodes,
                          algo.env_steps, time.monotonic() - t_start, reason, best_entry)


def _on_step(run: _Run, telemetry: TelemetryWriter, env, info, actions, rewards) -> None:
    run.traces.record_step(env, info, actions, rewards)
    telemetry.maybe_write(env, info, run.iteration)


def _iteration(run: _Run, algo: Algorithm, t_start: float) -> dict:
    """One iteration of the model's algorithm, its greedy evaluation, metrics, checkpoint and log line;
    the iteration row."""
    model, iteration = run.model, run.iteration
    rollout, stats = algo.iteration()
    eps = rollout.episodes
    elapsed = time.monotonic() - t_start
    traced = run.traces.write_iteration(model.training_simtrace_path(iteration), run.episodes, len(eps))
    rows = [{"iteration": iteration, "episode": run.episodes + i, "reward": e.reward,
             "progress": e.progress, "steps": e.steps, "status": e.status, "lap_time": e.lap_time,
             "start_fraction": e.start_fraction, "reverse": e.reverse, "time": run.prior_s + elapsed}
            for i, e in enumerate(eps)]
    model.append_episodes(rows)
    run.episodes += len(eps)
    ev = _evaluate(run)
    run.deepracer_metrics.add(training_entries(rows, [t.start_s for t in traced], run.env.dt)
                              + evaluation_entries(run.eval_laps, run.episodes, len(eps), run.traces.clock_s))
    run.deepracer_metrics.write()
    elapsed = time.monotonic() - t_start
    laps = [e.lap_time for e in eps if e.lap_time is not None]
    it_row = {"iteration": iteration, "episodes": run.episodes, "env_steps": algo.env_steps,
              "elapsed_s": run.prior_s + elapsed, "mean_reward": _mean([e.reward for e in eps]),
              "mean_progress": _mean([e.progress for e in eps]),
              "completion_rate": len(laps) / len(eps) if eps else 0.0,
              "best_lap_s": min(laps) if laps else None, "mean_steps": _mean([e.steps for e in eps]),
              **{k: stats.get(k) for k in ("entropy", "policy_loss", "value_loss", "approx_kl",
                                            "clip_frac", "env_steps_per_s", "samples")},
              **{k: stats[k] for k in ("alpha", "q_mean", "replay_size") if k in stats},  # SAC's own
              "eval": ev}
    model.append_iterations([it_row])
    info = {"episodes": run.episodes, "time": run.prior_s + elapsed, "env_steps": algo.env_steps, "eval": ev}
    # The checkpoint carries its own counts, so an index lost in a crash is rebuilt from it.
    state = {"agent": run.agent.state_dict(), "optimizer": algo.optimizer_state(),
             "obs_shape": list(run.env.obs_spec.shape), "iteration": iteration, **info}
    model.write_checkpoint(iteration, state, info)
    model.log(f"iteration {iteration}: {len(eps)} episodes, progress {it_row['mean_progress']:.1f}%, "
              f"eval {ev['laps_completed']}/{EVAL_LAPS} laps, "
              f"standing-start lap {format_seconds(ev['standing_start_s'])}, "
              f"{stats.get('env_steps_per_s', 0):.0f} steps/s")
    run.iteration += 1
    return it_row


def _evaluate(run: _Run) -> dict:
    """The greedy policy's laps now: :func:`summarize` of 5 continuous laps without put-backs (a lap
    ends off the road), plus ``standing_start_s``, lap 1 under ``trackside evaluate``'s rules
    (trials, DeepRacer's 2 s off-track penalty): the model's best lap if this checkpoint is picked.
    Both drive among the model's obstacles or bot cars (collisions cost the default penalty)."""
    act = greedy_actor(run.agent)
    space, sensor, camera = run.meta.action_space, run.meta.observation.sensors, run.meta.camera_size
    common = {"reverse": run.cfg.reverse, "seed": EVAL_SEED, "objects": run.cfg.objects()}
    laps = evaluate_policy(act, run.env.track, space, sensor,
                           EvaluationRules(laps=EVAL_LAPS, mode="continuous", penalty_s=None, **common),
                           camera_size=camera)
    ev = summarize(laps)
    run.eval_laps = laps  # for TrainingMetrics.json's evaluation entries
    if laps[0].completed:  # it never left the road, so the rules (and the seed) agree: the same lap to the last bit
        ev["standing_start_s"] = laps[0].time_s
    else:
        [lap] = evaluate_policy(act, run.env.track, space, sensor, EvaluationRules(laps=1, **common),
                                camera_size=camera)
        ev["standing_start_s"] = lap.time_s
    return ev


def stop_conditions(hp: Hyperparameters, cfg: TrainingConfig, limit_min: float | None,
                    max_iterations: int | None) -> list[str]:
    """The stop conditions of a training run in words, in the order they are checked
    (``limit_min``: the time limit in minutes, None for none; ``max_iterations``: a caller's own
    iteration limit, e.g. ``trackside train --iterations``)."""
    out = [f"time limit of {limit_min:g} min" if limit_min is not None else "no time limit"]
    if cfg.max_episodes is not None:
        out.append(f"{cfg.max_episodes} episodes (max_episodes)")
    if cfg.target_progress is not None:
        out.append(f"evaluation progress {cfg.target_progress:g}% (target_progress)")
    if max_iterations is not None:
        out.append(f"{max_iterations} training iterations (asked for)")
    out.append(f"{hp.term_cond_max_episodes} training iterations (term_cond_max_episodes)")
    return out


def _stop_reason(run: _Run, it_row: dict, limit_min: float | None, max_iterations: int | None) -> str | None:
    """Why training ends after this iteration, or None to go on; every count is of this run.

    As DeepRacer reads its hyperparameters (``bundle/markov/sagemaker_graph_manager.py``:
    ``improve_steps = TrainingSteps(term_cond_max_episodes)``; ``bundle/markov/training_worker.py``:
    ``while steps < graph_manager.improve_steps.num_steps``, ``steps += 1`` per ``train()``, in
    aws-deepracer-community/deepracer-simapp): ``term_cond_max_episodes`` counts training
    iterations (policy updates), not episodes, and ``term_cond_avg_score`` is read there and never
    used, so it stops nothing here either. The model's own ``max_episodes`` is an episode limit."""
    ev = it_row["eval"]
    iterations = run.iteration - run.start_iteration
    if limit_min is not None and it_row["elapsed_s"] - run.prior_s >= limit_min * 60:
        return f"time limit of {limit_min:g} min reached"
    if run.cfg.max_episodes is not None and run.episodes - run.start_episodes >= run.cfg.max_episodes:
        return f"{run.cfg.max_episodes} episodes done (max_episodes)"
    if run.cfg.target_progress is not None and ev["progress"] >= run.cfg.target_progress:
        return f"evaluation progress {ev['progress']:.1f}% reached the target (target_progress)"
    if max_iterations is not None and iterations >= max_iterations:
        return f"{max_iterations} training iterations done"
    if iterations >= run.hp.term_cond_max_episodes:
        return f"{run.hp.term_cond_max_episodes} training iterations done (term_cond_max_episodes)"
    return None


def _mean(xs) -> float:
    return float(np.mean(xs)) if len(xs) else 0.0
