"""Head-to-model evaluation of two stored models: the use case behind ``trackside evaluate
--race-type head_to_model --opponent B`` and the app's Evaluation page (and, later, race-day finals).

The race itself is :func:`trainer.head_to_model.race_head_to_model` (DeepRacer-for-Cloud's
``DR_RACE_TYPE=HEAD_TO_MODEL``); here the two models are looked up, their checkpoints resolved and
loaded, the rules checked, and the result kept with what ran. Model A's drive is written as an
evaluation SIM_TRACE where :func:`league.evaluation.evaluate_model` writes its own (one episode per
lap; rows of a car standing out a penalty are ``pause``, the step of a counted collision
``crashed``, a put-back ``off_track``, as DeepRacer's evaluation writes them).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from sim.library import load_track
from sim.track import Track
from trainer.driving import EvaluationRules, with_seed
from trainer.head_to_model import H2MResult, race_head_to_model
from trainer.model_store import Model
from trainer.policy import load_policy, resolve_checkpoint
from trainer.simtrace import SimTraceWriter, TraceStatus, step_columns

from .db import LeagueError
from .evaluation import check_rules, trace_path_for
from .freeze import resolve_model


@dataclass
class HeadToModel:
    """Two models' race: which weights ran, where, under which rules, and the outcome."""

    model: str
    """Model A (car 0, starting in the outer lane)."""
    opponent: str
    """Model B (car 1, starting in the inner lane)."""
    checkpoints: tuple[str, str]
    iterations: tuple[int | None, int | None]
    track: str
    rules: EvaluationRules
    """The rules with the seed the race was driven with."""
    result: H2MResult
    simtrace: str | None = None
    """Path of model A's SIM_TRACE file, if written."""

    @property
    def winner_name(self) -> str | None:
        """The winning model's name (``model`` or ``opponent``), None for no winner."""
        return {"a": self.model, "b": self.opponent}.get(self.result.winner)

    def to_dict(self) -> dict:
        return {"model": self.model, "opponent": self.opponent, "checkpoints": list(self.checkpoints),
                "iterations": list(self.iterations), "track": self.track, "rules": asdict(self.rules),
                "winner_model": self.winner_name, "simtrace": self.simtrace, **self.result.to_dict()}


def evaluate_head_to_model(model_a: str | Model, model_b: str | Model, track: str | Track,
                           rules: EvaluationRules | None = None, *, checkpoint_a=None, checkpoint_b=None,
                           simtrace: bool = True, on_step=None, models=None) -> HeadToModel:
    """Race ``model_a`` against ``model_b`` on ``track`` for ``rules.laps`` laps (continuous).

    ``checkpoint_*``: as :func:`league.evaluation.evaluate_model` takes them. ``on_step(env, info,
    commands)`` after every simulated step (a replay recorder). ``simtrace``: write model A's
    SIM_TRACE (see the module docstring). Raises :class:`LeagueError` for an
    unknown model or bad rules (obstacles or bot cars among them), :class:`trainer.policy.PolicyError`
    for a checkpoint that cannot run."""
    a, b = resolve_model(model_a, models), resolve_model(model_b, models)
    track = track if isinstance(track, Track) else load_track(track)
    rules = with_seed(rules or EvaluationRules())
    check_rules(rules)
    if rules.objects is not None:
        raise LeagueError("head_to_model: the other car is the only object; give no obstacles or bot cars")
    which_a, _, it_a = resolve_checkpoint(a, checkpoint_a)
    which_b, _, it_b = resolve_checkpoint(b, checkpoint_b)
    policies = load_policy(a, which_a), load_policy(b, which_b)
    trace = _TraceA(trace_path_for(a)) if simtrace else None
    hooks = [h for h in (trace, on_step) if h is not None]

    def step_hook(env, info, commands):
        for hook in hooks:
            hook(env, info, commands)

    try:
        result = race_head_to_model(*policies, track, rules, on_step=step_hook)
    finally:
        if trace is not None:
            trace.writer.close()
    return HeadToModel(a.name, b.name, (str(which_a), str(which_b)), (it_a, it_b), track.name, rules, result,
                       str(trace.writer.path) if trace else None)


_CAR_A = np.array([0])


class _TraceA:
    """SIM_TRACE rows of model A's car (car 0) while it races; ``tstamp`` is the race's simulated time."""

    def __init__(self, path: Path):
        self.writer = SimTraceWriter(path)
        self.clock = 0.0
        self.lap = 0

    def __call__(self, env, info, commands) -> None:
        self.clock += env.dt
        if not info["racing"][0]:
            return
        cols = step_columns(env, info, np.asarray(info["actions"][0]), cars=_CAR_A, tstamp=self.clock,
                            penalised=info["put_back"][_CAR_A])
        if info["held"][0]:
            cols["episode_status"] = np.array([TraceStatus.PAUSE.value])
        cols.pop("n")
        self.writer.write_rows(episode=self.lap, **cols)
        self.lap += int(info["status"][0] != 0)
