"""Reward and hyperparameter sweeps: train variants of one model as Ray tasks, evaluate, rank.

The workshop's advice for a better model is to try a few reward functions and settings, evaluate
each in the simulator and keep the best. :func:`run_sweep` does that in one call: each variant
(:mod:`league.sweep_variants`: rewards x hyperparameters x top speeds x race types) is cloned from
the base model as an ordinary model, then trained (``trainer.training.train_model``, one torch
thread per task) and evaluated on a track it did not train on (:func:`league.evaluation.evaluate_model`,
the same seed for every variant) as one Ray task (``num_cpus=1``). Ray runs locally
(``ray.init(num_cpus=...)``) unless an ``address`` names a cluster (``auto`` or ``HOST:6379`` from
a node of it; ``ray://HOST:10001`` from elsewhere, with Ray's client: ``pip install 'ray[client]'``),
whose workers must have Trackside installed and see this machine's Trackside home at the same path
(a shared folder): the models are written there.

A variant that fails (a reward that does not load or raises while training, a worker lost) is
recorded with its reason; the others go on. The results, ranked by completed laps, then best and
mean lap time (:func:`rank`), with each variant's curve (per-iteration mean progress and reward
from its ``metrics/iterations.jsonl``), are written to ``home()/sweeps/<name>.json`` (atomic) after
every variant, so a viewer can follow a running sweep.

Ray is optional (``pip install -e '.[cluster]'``); without it :func:`run_sweep` raises a
:class:`SweepError` that says how to get it, and nothing else in Trackside needs it.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from sim.errors import TracksideError
from sim.library import load_track
from sim.paths import home
from trainer.driving import EvaluationRules
from trainer.model_files import atomic_write_json, utc_now
from trainer.model_folder import NAME_RULE
from trainer.model_store import ModelStore

from .ray_setup import start_ray as ray_start
from .sweep_variants import RewardChoice, SweepError, Variant, create_variant, plan_variants

RAY_MISSING = ("a sweep runs on Ray, which is not installed here: pip install -e '.[cluster]' "
               "(or pip install 'ray>=2.9')")


@dataclass
class SweepSpec:
    """What to sweep and how long each variant trains."""

    name: str
    """The sweep's name: its results are ``home()/sweeps/<name>.json``."""
    base: str
    """The model every variant is cloned from."""
    eval_track: str
    """Where every variant is evaluated; none of them may train on it."""
    rewards: list[RewardChoice] = field(default_factory=list)
    hyperparameters: dict[str, list] = field(default_factory=dict)
    """DeepRacer hyperparameter name -> the values to try."""
    speeds: list[float] = field(default_factory=list)
    """Top speeds of the action space to try, m/s."""
    race_types: list[str] = field(default_factory=list)
    minutes: float | None = 5.0
    """Training time per variant, min (None: the model's own limit)."""
    iterations: int | None = None
    """Training iterations per variant (None: no limit of the sweep's own)."""
    eval_laps: int = 3
    seed: int = 0
    """Noise seed of every variant's evaluation: all drive through the same noise."""
    names: list[str] | None = None
    """The variants' model names (default ``BASE-sweep-N``)."""


def sweeps_dir() -> Path:
    path = home() / "sweeps"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sweep_path(name: str) -> Path:
    if not NAME_RULE.match(name or ""):
        raise SweepError(f"sweep name: {name!r} must be 1-64 letters, digits, '-' or '_'")
    return sweeps_dir() / f"{name}.json"


def list_sweeps() -> list[str]:
    return sorted(p.stem for p in sweeps_dir().glob("*.json"))


def load_sweep(name: str) -> dict:
    """A saved sweep's results (the JSON :func:`run_sweep` writes)."""
    path = sweep_path(name)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SweepError(f"no sweep named {name!r}") from None
    except (OSError, ValueError) as exc:
        raise SweepError(f"sweep {name!r}: cannot read {path.name} ({exc})") from None


def require_ray():
    """The ``ray`` module, or :class:`SweepError` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise SweepError(RAY_MISSING) from None
    return ray


def train_and_evaluate(trackside_home: str, name: str, minutes: float | None, iterations: int | None,
                       eval_track: str, eval_laps: int, seed: int) -> dict:
    """One variant's Ray task (also callable in-process): train model ``name`` of ``trackside_home``,
    evaluate it on ``eval_track``; its result row (``status`` done or failed, with ``reason``)."""
    os.environ["TRACKSIDE_HOME"] = trackside_home
    import torch

    from trainer.training import train_model

    from .evaluation import evaluate_model

    torch.set_num_threads(1)
    model = ModelStore().get(name)
    row = {"name": name, "status": "failed", "reason": None, "training": None, "evaluation": None, "curve": []}
    try:
        result = train_model(model, minutes=minutes, max_iterations=iterations, install_signals=False)
        row["training"] = {"status": result.status, "reason": result.reason, "iterations": result.iterations,
                           "episodes": result.episodes, "env_steps": int(result.env_steps),
                           "elapsed_s": result.elapsed_s}
        row["curve"] = curve(model)
        if result.status != "ready":
            row["reason"] = f"training failed: {result.reason}"
            return row
        ev = evaluate_model(model, eval_track, EvaluationRules(laps=eval_laps, seed=seed))
        row["evaluation"] = {k: ev.summary.get(k) for k in
                             ("laps", "laps_completed", "progress", "best_lap_s", "mean_lap_s", "off_track")}
        row["evaluation"]["iteration"] = ev.iteration
        row["status"] = "done"
    except TracksideError as exc:
        row["reason"] = str(exc)
    return row


def curve(model) -> list[dict]:
    """Per training iteration: mean progress (%), mean reward, evaluation progress (%), elapsed s."""
    return [{"iteration": r.get("iteration"), "mean_progress": r.get("mean_progress"),
             "mean_reward": r.get("mean_reward"), "eval_progress": (r.get("eval") or {}).get("progress"),
             "elapsed_s": r.get("elapsed_s")} for r in model.read_iterations()]


def rank_key(row: dict) -> tuple:
    """Done before failed; more completed laps; then a faster best lap, then a faster mean lap;
    then more progress."""
    ev = row.get("evaluation") or {}
    inf = math.inf
    return (row.get("status") != "done", -(ev.get("laps_completed") or 0), ev.get("best_lap_s") or inf,
            ev.get("mean_lap_s") or inf, -(ev.get("progress") or 0.0), row.get("name", ""))


def rank(rows: list[dict]) -> list[dict]:
    """``rows`` best first, each with its ``rank`` (1-based; failed variants have none)."""
    out = sorted(rows, key=rank_key)
    for i, row in enumerate(out, 1):
        row["rank"] = i if row.get("status") == "done" else None
    return out


def check_spec(spec: SweepSpec, store: ModelStore) -> list[Variant]:
    """The spec's variants, or :class:`SweepError` for what cannot run at all."""
    sweep_path(spec.name)
    base = store.get(spec.base)
    load_track(spec.eval_track)
    if spec.minutes is None and spec.iterations is None and base.training_config().max_minutes is None:
        raise SweepError("give --minutes or --iterations: the base model has no time limit of its own")
    if base.training_config().track == spec.eval_track:
        raise SweepError(f"evaluate on a track the variants do not train on ({spec.eval_track} is {spec.base}'s "
                         "training track)")
    if not 1 <= spec.eval_laps <= 100:
        raise SweepError(f"eval laps: expected 1..100, got {spec.eval_laps}")
    return plan_variants(spec.base, spec.rewards, spec.hyperparameters, spec.speeds, spec.race_types,
                         spec.names, taken=store.names())


def run_sweep(spec: SweepSpec, *, address: str | None = None, num_cpus: int | None = None,
              on_result=None, store: ModelStore | None = None) -> dict:
    """Create, train and evaluate every variant of ``spec`` as Ray tasks; the ranked results (also
    saved as ``home()/sweeps/<name>.json``). ``on_result(results)`` is called after each variant
    ends. Ray: the running instance if there is one, else ``address`` or a local one with
    ``num_cpus`` (default: all cores), shut down at the end."""
    ray = require_ray()
    store = store or ModelStore()
    variants = check_spec(spec, store)
    own_ray = not ray.is_initialized()
    if own_ray:  # before any model is created: a cluster that cannot be reached leaves nothing behind
        start_ray(ray, address, num_cpus)
    try:
        results = _start_results(spec, variants)
        tasks = _create_all(spec, store, variants, results)
        remote = ray.remote(num_cpus=1, max_retries=0)(train_and_evaluate)
        pending = {remote.remote(str(home()), v.name, spec.minutes, spec.iterations, spec.eval_track,
                                 spec.eval_laps, spec.seed): v for v in tasks}
        _save(results, on_result)
        while pending:
            [ref], _ = ray.wait(list(pending), num_returns=1)
            variant = pending.pop(ref)
            try:
                row = ray.get(ref)
            except Exception as exc:  # a task that raised or whose worker died: this variant only
                row = {"name": variant.name, "status": "failed", "curve": [],
                       "reason": f"task failed: {str(exc).strip().splitlines()[-1][:300]}"}
            _record(results, variant, row)
            _save(results, on_result)
    finally:
        if own_ray:
            ray.shutdown()
    results["status"], results["finished"] = "finished", utc_now()
    return _save(results, on_result)


def start_ray(ray, address: str | None, num_cpus: int | None) -> None:
    """:func:`league.ray_setup.start_ray` for a sweep: :class:`SweepError` with the reason when it fails."""
    ray_start(ray, address, num_cpus, SweepError)


def _start_results(spec: SweepSpec, variants: list[Variant]) -> dict:
    return {"name": spec.name, "base": spec.base, "eval_track": spec.eval_track, "status": "running",
            "created": utc_now(), "finished": None, "started_monotonic": time.monotonic(),
            "settings": {"minutes": spec.minutes, "iterations": spec.iterations, "eval_laps": spec.eval_laps,
                         "seed": spec.seed},
            "variants": [{"name": v.name, "variant": v.to_dict(), "status": "pending", "reason": None,
                          "curve": [], "rank": None} for v in variants]}


def _create_all(spec: SweepSpec, store: ModelStore, variants: list[Variant], results: dict) -> list[Variant]:
    """Create each variant's model; one that cannot be created is failed with the reason. The rest."""
    ok = []
    for v in variants:
        try:
            create_variant(store, spec.base, v, spec.rewards)
            ok.append(v)
        except TracksideError as exc:
            _record(results, v, {"name": v.name, "status": "failed", "reason": f"not created: {exc}", "curve": []})
    return ok


def _record(results: dict, variant: Variant, row: dict) -> None:
    rows = [r for r in results["variants"] if r["name"] != variant.name]
    rows.append({**row, "variant": variant.to_dict()})
    results["variants"] = rank([r for r in rows if r["status"] != "pending"]) + \
        [r for r in rows if r["status"] == "pending"]


def _save(results: dict, on_result) -> dict:
    """Write the results as they stand (atomic), tell ``on_result``; what was written."""
    out = {k: v for k, v in results.items() if k != "started_monotonic"}
    out["elapsed_s"] = time.monotonic() - results["started_monotonic"]
    atomic_write_json(sweep_path(results["name"]), out)
    if on_result is not None:
        on_result(out)
    return out
