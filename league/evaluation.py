"""Evaluate a model on any track for N laps, as DeepRacer's evaluation does (conventions section 6).

The model's policy comes from :func:`trainer.policy.load_policy` and drives by
:func:`trainer.driving.drive_laps` (greedy: most likely action, or the mean). The car is
noisy as DeepRacer's is (:mod:`sim.noise`); the evaluation's seed (``rules.seed``, drawn
fresh when None) is recorded in its rules, laps and summary, and the same model on the same
track under the same rules and seed gives the same lap times to the last bit.

Rules (:class:`trainer.driving.EvaluationRules`): ``trials`` (each lap from a standing
start) or ``continuous`` laps; an off-track penalty in seconds (DeepRacer's default 2)
after which the car is put back at the progress it reached, or ``penalty_s=None`` for no
resets (a lap ends off the road). With objects (``rules.objects``: object avoidance or
head-to-bot) a collision holds the car for ``rules.collision_penalty_s`` and the lap goes on
(:mod:`trainer.crashes`); each lap counts its ``collisions``. Lap times are simulated seconds, penalties included,
interpolated to the moment the reference point crosses the finish line.

Each evaluation of a user's model writes
``evaluation-YYYYMMDDHHMMSS/evaluation-simtrace/0-iteration.csv`` (SIM_TRACE) into the
model folder, where deepracer-utils looks for it, and DeepRacer-for-Cloud's evaluation metrics
``metrics/evaluation/evaluation-YYYYMMDDHHMMSS.json`` (:mod:`trainer.deepracer_metrics`). The
standard model's folder is read-only, so its traces and metrics go to
``home()/evaluations/standard/`` in the same layout.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from sim.env import EpisodeStatus
from sim.errors import TracksideError
from sim.library import load_track
from sim.paths import home
from sim.track import Track
from trainer.deepracer_metrics import evaluation_metrics_path, write_evaluation_metrics
from trainer.driving import EvaluationRules, LapResult, drive_laps, summarize, with_seed
from trainer.model_metrics import new_evaluation_simtrace_path
from trainer.model_store import Model
from trainer.policy import PolicyError, load_policy, resolve_checkpoint
from trainer.simtrace import SimTraceWriter

from .db import LeagueError
from .freeze import resolve_model


@dataclass
class Evaluation:
    """The result of one evaluation: which weights, where, under which rules, and each lap."""

    model: str
    checkpoint: str
    """What was asked for: ``final``, ``best``, ``latest``, ``initial`` or an iteration number."""
    iteration: int | None
    """The training iteration whose weights ran (None for a clone's or an import's initial weights)."""
    track: str
    rules: EvaluationRules
    """The rules with the seed the laps were driven with (never None)."""
    laps: list[LapResult]
    summary: dict = field(default_factory=dict)
    """:func:`trainer.driving.summarize` of the laps (``best_lap_s``, ``mean_lap_s`` in s ...)."""
    simtrace: str | None = None
    """Path of the SIM_TRACE file written, if any."""

    def to_dict(self) -> dict:
        """Plain JSON-ready dict; ``laps`` hold ``lap, time_s, completed, progress, off_track, ...``."""
        return {"model": self.model, "checkpoint": self.checkpoint, "iteration": self.iteration,
                "track": self.track, "rules": asdict(self.rules), "laps": [asdict(lap) for lap in self.laps],
                "summary": dict(self.summary), "simtrace": self.simtrace}


def evaluate_model(model: str | Model, track: str | Track, rules: EvaluationRules | None = None, *,
                   checkpoint: str | int | None = None, simtrace: bool = True, on_step=None,
                   models=None) -> Evaluation:
    """Drive ``rules.laps`` laps of ``track`` with ``model``'s greedy policy.

    ``checkpoint``: an iteration, ``final``, ``best``, ``latest`` or ``initial`` (default:
    final, else best, else latest). ``simtrace``: write the SIM_TRACE file (see the module
    docstring for where). ``on_step(env, info, actions, lap)`` is called after every
    simulated step (a replay recorder). ``models``: the store a model name is looked up in
    (:func:`league.freeze.resolve_model`). Raises :class:`LeagueError` for an unknown model or
    bad rules, :class:`trainer.policy.PolicyError` for a missing checkpoint or weights whose
    action space or sensor cannot run here.
    """
    model = resolve_model(model, models)
    track = track if isinstance(track, Track) else load_track(track)
    rules = with_seed(rules or EvaluationRules())
    check_rules(rules)
    which, _, iteration = resolve_checkpoint(model, checkpoint)
    trace_path = trace_path_for(model) if simtrace else None
    laps = run_laps(model, which, track, rules, trace_path=trace_path, on_step=on_step)
    return Evaluation(model.name, str(which), iteration, track.name, rules, laps, summarize(laps),
                      str(trace_path) if trace_path else None)


def check_rules(rules: EvaluationRules) -> None:
    if not isinstance(rules.laps, int) or not 1 <= rules.laps <= 100:
        raise LeagueError(f"laps: expected 1..100, got {rules.laps!r}")
    if rules.mode not in ("trials", "continuous"):
        raise LeagueError(f"mode: expected 'trials' or 'continuous', got {rules.mode!r}")
    if rules.penalty_s is not None and not 0 <= rules.penalty_s <= 60:
        raise LeagueError(f"penalty: expected 0..60 s, got {rules.penalty_s!r}")
    if not 0 <= rules.collision_penalty_s <= 60:
        raise LeagueError(f"collision penalty: expected 0..60 s, got {rules.collision_penalty_s!r}")
    if rules.objects is not None:
        try:
            rules.objects.check()
        except TracksideError as exc:
            raise LeagueError(str(exc)) from None
    if rules.seed is not None and (not isinstance(rules.seed, int) or not 0 <= rules.seed < 2**32):
        raise LeagueError(f"seed: expected a whole number 0..{2**32 - 1}, got {rules.seed!r}")


def run_laps(model: Model, which: str | int, track: Track, rules: EvaluationRules, *,
             trace_path: Path | None = None, on_step=None) -> list[LapResult]:
    """The laps of ``model``'s checkpoint ``which`` on ``track``; SIM_TRACE rows to ``trace_path`` if given.
    Pass rules with a seed (:func:`trainer.driving.with_seed`) to know it before the laps' ``seed``."""
    policy = load_policy(model, which)
    trace = SimTraceWriter(trace_path) if trace_path is not None else None
    trace_hook = _TraceHook(trace, rules) if trace else None
    hooks = [h for h in (trace_hook, on_step) if h is not None]

    def step_hook(env, info, action, lap):
        for hook in hooks:
            hook(env, info, action, lap)

    try:
        laps = drive_laps(policy, track, rules, on_step=step_hook if hooks else None)
    except (ImportError, NotImplementedError) as exc:
        raise PolicyError(f"model {model.name!r} uses the {' + '.join(policy.sensor)} sensor, "
                          "which this version of Trackside "
                          f"cannot simulate ({exc})") from None
    finally:
        if trace is not None:
            trace.close()
    if trace_hook is not None:
        trace_hook.write_metrics(laps)
    return laps


# -- SIM_TRACE ---------------------------------------------------------------------------------
def trace_path_for(model: Model) -> Path:
    """Where a new evaluation of ``model`` writes its SIM_TRACE (see the module docstring)."""
    if not model.read_only:
        return model.new_evaluation_simtrace_path()
    # A read-only model keeps its folder untouched; same layout under the home instead.
    return new_evaluation_simtrace_path(home() / "evaluations" / model.name)


_CAR = np.array([0])


class _TraceHook:
    """Writes one SIM_TRACE row per step; ``tstamp`` counts simulated time with the penalties stood out."""

    def __init__(self, writer: SimTraceWriter, rules: EvaluationRules):
        self.writer, self.rules = writer, rules
        self.clock = 0.0   # simulated s since the evaluation started, penalties included
        self.lap_starts, self.lap_ends = [0.0], []   # each lap's start and end on that clock, s
        self.resets: list[dict] = [{}]               # each lap's resets by cause, e.g. {"off_track": 2}

    def __call__(self, env, info, action, lap: int) -> None:
        status = int(info["status"][0])
        penalised = (self.rules.penalty_s is not None and bool(info["off_track"][0])
                     and status != EpisodeStatus.LAP_COMPLETE)
        self.clock += env.dt
        a = np.asarray(action)
        a = a.reshape(-1, 2)[:1] if a.dtype.kind == "f" and a.size == 2 else a.reshape(-1)[:1].astype(np.int64)
        self.writer.write_step(env, info, a, cars=_CAR, episode=lap - 1, tstamp=self.clock,
                               penalised=np.array([penalised]))
        if penalised:  # the car stands out its penalty before the next row
            self.clock += self.rules.penalty_s
            self.resets[-1]["off_track"] = self.resets[-1].get("off_track", 0) + 1
        if "collision" in info and info["collision"][0]:  # held for the collision penalty
            self.clock += self.rules.collision_penalty_s
            self.resets[-1]["crashed"] = self.resets[-1].get("crashed", 0) + 1
        if status != EpisodeStatus.IN_PROGRESS:  # the lap ended
            if status in (EpisodeStatus.OFF_TRACK, EpisodeStatus.REVERSED, EpisodeStatus.IMMOBILIZED):
                key = EpisodeStatus(status).label
                self.resets[-1][key] = self.resets[-1].get(key, 0) + 1
            self.lap_ends.append(self.clock)
            self.lap_starts.append(self.clock)
            self.resets.append({})

    def write_metrics(self, laps: list[LapResult]) -> Path:
        """DeepRacer's evaluation metrics of ``laps`` beside the trace (see :mod:`trainer.deepracer_metrics`)."""
        path = evaluation_metrics_path(self.writer.path)
        write_evaluation_metrics(path, laps, self.lap_starts, self.lap_ends, self.resets)
        return path
